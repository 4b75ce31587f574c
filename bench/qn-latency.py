#!/usr/bin/env python3
# qn-latency.py - pipe latency of queue-notify: event line in, request out
#
# SPDX-License-Identifier: MIT
# Usage: qn-latency.py QUEUE-NOTIFY N
# Starts QUEUE-NOTIFY (its configuration from the environment: every
# enter must make a wait notice), writes N enter events one at a time into
# its stdin pipe, and times each from the write to the request line read
# back on its stdout pipe.  Prints "p50 p99 max" in microseconds.
import os
import subprocess
import sys
import time

prog, n = sys.argv[1], int(sys.argv[2])
p = subprocess.Popen([prog], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     bufsize=0)
out = p.stdout
lat = []
buf = b''
for i in range(n):
    line = ('{"ts":"2025-10-10T02:00:%02d.%03dZ","event":"enter","call_id":"c%d",'
            '"queue":"q","caller":"+86138%08d","position":9}\n'
            % (i // 1000 % 60, i % 1000, i, i)).encode()
    t0 = time.perf_counter()
    os.write(p.stdin.fileno(), line)
    while b'\n' not in buf:
        chunk = os.read(out.fileno(), 65536)
        if not chunk:
            sys.exit('queue-notify stopped')
        buf += chunk
    lat.append(time.perf_counter() - t0)
    buf = buf[buf.index(b'\n') + 1:]
p.stdin.close()
p.wait()
lat.sort()
us = lambda x: x * 1e6
print('%.0f %.0f %.0f' % (us(lat[len(lat) // 2]), us(lat[int(len(lat) * 0.99)]),
                          us(lat[-1])))
