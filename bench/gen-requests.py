#!/usr/bin/env python3
# gen-requests.py - N sms-send message requests (NDJSON) on stdout
#
# SPDX-License-Identifier: MIT
# Usage: gen-requests.py N [PREFIX]
# Realistic traffic: Chinese and English ticket notices to mainland mobiles,
# one of four 1-segment texts (GSM-7 and UCS-2), each with a distinct id.
import json
import sys

n = int(sys.argv[1])
prefix = sys.argv[2] if len(sys.argv) > 2 else "b"
texts = [
    "您好，您的维修单W{t}已完成。回复 1 满意 / 2 不满意",
    "Your repair W{t} is done. Reply 1 if satisfied, 2 if not.",
    "您前面还有 12 位，预计等待 20 分钟。回复 1 转微信继续。",
    "Appointment confirmed: Oct 8 14:00, engineer Wang, ticket W{t}.",
]
w = sys.stdout.write
for i in range(n):
    w(json.dumps({"id": "%s%07d" % (prefix, i),
                  "to": "+86138%08d" % i,
                  "text": texts[i % 4].format(t=20250000 + i)},
                 ensure_ascii=False, separators=(",", ":")) + "\n")
