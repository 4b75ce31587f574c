#!/usr/bin/env python3
# im-send-gen.py - N im-send message requests (NDJSON) on stdout
#
# SPDX-License-Identifier: MIT
# Usage: im-send-gen.py N [PREFIX]
# Realistic hotline traffic to a staff group: queue alerts, ticket
# summaries and hand-offs in Chinese and English, one of four texts, each
# record with a distinct id and no "to" (a robot or webhook posts to its
# own group).
import json
import sys

n = int(sys.argv[1])
prefix = sys.argv[2] if len(sys.argv) > 2 else "i"
texts = [
    "【热线告警】排队溢出：当前 {q} 位来电等待，最长等待 6 分钟，请空闲坐席接听。",
    "Ticket W{t} summary: caller reports no power after repair; engineer Wang "
    "scheduled Oct 8 14:00. Customer chose WeChat for follow-up.",
    "客户 138****{s} 选择转微信继续：工单 W{t}，问题：空调不制冷，已发送维修预约链接。",
    "Hotline swamped: {q} callers waiting, service level 62% (target 80%). "
    "Overflow notice sent to {q} callers.",
]
w = sys.stdout.write
for i in range(n):
    w(json.dumps({"id": "%s%07d" % (prefix, i),
                  "text": texts[i % 4].format(t=20250000 + i, q=10 + i % 30,
                                              s="%04d" % (i % 10000))},
                 ensure_ascii=False, separators=(",", ":")) + "\n")
