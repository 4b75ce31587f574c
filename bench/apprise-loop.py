#!/usr/bin/python3
# apprise-loop.py - apprise's rate through its Python API, in one process
#
# SPDX-License-Identifier: MIT
# Usage: apprise-loop.py URL N
# Sends N notifications to URL (e.g. json://127.0.0.1:PORT/path) with
# apprise.Apprise().notify() in a loop, and prints "N OK SECONDS".
import sys
import time

import apprise

url, n = sys.argv[1], int(sys.argv[2])
a = apprise.Apprise()
if not a.add(url):
    sys.exit("apprise-loop: apprise does not take the URL " + url)
ok = 0
t0 = time.monotonic()
for i in range(n):
    if a.notify(body="您好，您的维修单W%08d已完成。回复 1 满意 / 2 不满意" % i,
                title="cxkit"):
        ok += 1
print(n, ok, "%.6f" % (time.monotonic() - t0))
