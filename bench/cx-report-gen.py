#!/usr/bin/env python3
# cx-report-gen.py - a deterministic stream of mixed cxkit records for
# cx-report's tests and bench: queue events, sms/im results, delivery
# receipts, inbound messages (some CSAT replies and opt-outs) and ticket
# events, over 30 days from 2026-10-01, in time order.
#
# SPDX-License-Identifier: MIT
# Usage: cx-report-gen.py N [SEED] > events.ndjson
import json
import random
import sys
import time

n = int(sys.argv[1])
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
start = 1790812800  # 2026-10-01T00:00:00Z
span = 30 * 86400
out = sys.stdout
w = out.write
queues = ["support", "sales", "billing", "vip"]
agents = ["Wang Fang", "Li Lei", "Zhang Wei", "\u738b\u82b3", "Chen Jing"]
providers = [("sms", "twilio-main"), ("sms", "aliyun-cn"),
             ("wecom", "ops-wecom"), ("slack", "ops-slack")]
qev = (["connect"] * 50 + ["abandon"] * 20 + ["timeout"] * 5 +
       ["missed"] * 5 + ["callback"] * 3 + ["enter"] * 12 + ["complete"] * 5)
statuses = ["sent"] * 80 + ["failed"] * 8 + ["outbox"] * 5 + \
    ["suppressed"] * 3 + ["deferred"] * 2 + ["unknown"] * 2
codes = ["invalid_number", "rate_limited", "provider_rejected", "network"]


_cache = {}


def ts(i):
    t = start + i * span // n
    s = _cache.get(t)
    if s is None:
        if len(_cache) > 100000:
            _cache.clear()
        s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        _cache[t] = s
    return s


def phone():
    return "+86138%08d" % rnd.randrange(50000)


for i in range(n):
    r = rnd.random()
    t = ts(i)
    if r < 0.5:
        e = rnd.choice(qev)
        rec = {"id": "q%d" % i, "ts": t, "event": e,
               "call_id": "c%d" % i, "queue": rnd.choice(queues),
               "caller": phone()}
        if e in ("connect", "abandon", "timeout"):
            rec["wait_s"] = rnd.randrange(0, 6000) / 10
        if e in ("connect", "complete"):
            rec["agent"] = rnd.choice(agents)
        if e == "complete":
            rec["talk_s"] = rnd.randrange(10, 1200)
    elif r < 0.75:
        ch, pv = rnd.choice(providers)
        st = rnd.choice(statuses)
        res = {"status": st, "to": phone() if ch == "sms" else "u%d" %
               rnd.randrange(1000), "provider": pv}
        if st in ("sent", "outbox"):
            res["provider_id"] = "P%d" % i
        if ch == "sms":
            res["segments"] = rnd.choice([1, 1, 1, 2, 3])
        else:
            res["parts"] = 1
        if st in ("failed", "suppressed", "deferred", "unknown"):
            res["error"] = {"code": rnd.choice(codes), "message": "x",
                            "retryable": False}
        rec = {"id": "r%d" % i, "ts": t, "to": res["to"], "text": "hello",
               "template": rnd.choice(["queue_wait", "missed_call",
                                       "csat_ask"])}
        if ch != "sms":
            rec["channel"] = ch
        if rnd.random() < 0.2:
            rec["queue"] = {"reason": "wait", "call_id": "c%d" % i,
                            "queue": rnd.choice(queues), "event": "position"}
        rec["sms" if ch == "sms" else "im"] = res
    elif r < 0.85:
        ch, pv = rnd.choice(providers[:2])
        st = rnd.choice(["delivered"] * 9 + ["undelivered", "failed"])
        rec = {"id": "d%d" % i, "ts": t, "event": "delivery", "channel": ch,
               "provider": pv, "provider_id": "P%d" % rnd.randrange(i + 1),
               "status": st, "to": phone()}
        if st != "delivered":
            rec["error_code"] = rnd.choice(["30003", "30005", "DELIVRD0"])
    elif r < 0.95:
        rec = {"id": "m%d" % i, "ts": t, "channel": "sms",
               "provider": "twilio-main", "from": phone(), "to": "+10000",
               "text": "hi"}
        x = rnd.random()
        if x < 0.3:
            sc = rnd.choice([5, 9, 10])
            rec["intent"] = {"name": "csat", "rule": "r", "entities":
                             {"score": rnd.randrange(1, sc + 1), "scale": sc},
                             "confidence": "exact", "route": "csat"}
        elif x < 0.35:
            rec["intent"] = {"name": "opt_out", "rule": "r", "entities": {},
                             "confidence": "exact", "route": "optout"}
        elif x < 0.7:
            rec["intent"] = {"name": rnd.choice(["order_query", "menu",
                                                 "help", "other"]),
                             "rule": "r", "entities": {},
                             "confidence": "loose", "route": "agent"}
    else:
        tid = "T%d" % rnd.randrange(20000)
        e = rnd.choice(["ticket.created", "ticket.comment", "ticket.solved",
                        "ticket.updated", "ticket.reopened"])
        rec = {"id": "t%d" % i, "ts": t, "event": e,
               "ticket": {"id": tid, "status": "open", "channel": "sms",
                          "created_at": ts(max(0, i - rnd.randrange(1, 5000))),
                          "customer": {"phone": phone()}}}
        if e == "ticket.comment":
            rec["comment"] = {"author": rnd.choice(agents), "public": True,
                              "body": "x", "by_agent": rnd.random() < 0.7}
    w(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    w("\n")
