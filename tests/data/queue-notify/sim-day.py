#!/usr/bin/env python3
# sim-day.py - a simulated hotline day as Asterisk's queue_log, and its check
#
# SPDX-License-Identifier: MIT
#   sim-day.py gen CALLS [SEED] > queue_log
#       A FIFO queue with N agents (exponential handle times), Poisson
#       arrivals over 08:00-20:00 Asia/Shanghai, callers who hang up after
#       an exponential patience, a queue timeout, "press 1 for a callback",
#       withheld numbers, and callers who call again.  Exact for FIFO
#       multi-server queues with reneging: each call is served by the
#       first agent free, in arrival order, unless it gave up first.
#   sim-day.py check QUEUE_LOG REQUESTS SMS_RESULTS OUTBOX DELAY COOLDOWN
#       Replays the log through a reference model of the follow-up rules
#       of queue-notify(1) and checks the requests and what sms-send did:
#       every abandon or timeout gets exactly the follow-up the rules
#       give (one per caller and episode, none when the caller was
#       answered or asked for a callback before it was due, none within
#       the cooldown), no id twice, no caller notified twice within the
#       cooldown (a wait notice of a grown estimate: within
#       wait_interval), every request in the outbox once.
import heapq
import json
import os
import random
import sys

DAY0 = 1760054400  # 2025-10-10 08:00 +08:00 (00:00Z)


def gen(ncalls, seed):
    rnd = random.Random(seed)
    aht, patience, timeout = 90.0, 150.0, 600
    span = 12 * 3600
    rate = ncalls / span
    # A little fewer agents than the offered load: the queue grows and
    # callers give up, as on a busy day (200 for 100,000 calls).
    agents = max(3, int(rate * aht * 0.965))
    # Repeat callers: a pool smaller than the calls.
    pool = ['13%09d' % rnd.randrange(10**9) for _ in range(ncalls // 3)]
    lines = []
    seq = 0

    def out(t, *f):
        nonlocal seq
        seq += 1
        lines.append((int(t), seq, '|'.join([str(int(t))] + [str(x) for x in f])))

    for a in range(agents):
        out(DAY0 - 60, 'MANAGER', 'support', 'PJSIP/%d' % (1000 + a), 'ADDMEMBER', '')
    free = [float(DAY0)] * agents
    heapq.heapify(free)
    waiting = []  # times callers leave the queue (answered or gave up)
    t = float(DAY0)
    for i in range(ncalls):
        t += rnd.expovariate(rate)
        cid = '%d.%d' % (int(t), i)
        caller = 'anonymous' if rnd.random() < 0.02 else rnd.choice(pool)
        while waiting and waiting[0] <= t:
            heapq.heappop(waiting)
        pos = len(waiting) + 1
        out(t, cid, 'support', 'NONE', 'ENTERQUEUE', '', caller, pos)
        start = max(t, free[0])
        give_up = t + rnd.expovariate(1 / patience)
        if start <= give_up and start - t <= timeout:
            talk = max(1, int(rnd.expovariate(1 / aht)))
            heapq.heapreplace(free, start + talk)
            heapq.heappush(waiting, start)
            wait = int(start) - int(t)
            agent = 'PJSIP/%d' % rnd.randrange(1000, 1000 + agents)
            out(start, cid, 'support', agent, 'CONNECT', wait, cid + '.b', 1)
            out(start + talk, cid, 'support', agent, 'COMPLETECALLER', wait, talk, pos)
        elif give_up - t < timeout:
            heapq.heappush(waiting, give_up)
            w = int(give_up) - int(t)
            if rnd.random() < 0.05:
                out(give_up, cid, 'support', 'NONE', 'EXITWITHKEY', 1, 1, pos, w)
            else:
                out(give_up, cid, 'support', 'NONE', 'ABANDON', 1, pos, w)
        else:
            heapq.heappush(waiting, t + timeout)
            out(t + timeout, cid, 'support', 'NONE', 'EXITWITHTIMEOUT', 1, pos, timeout)
    lines.sort()
    try:
        sys.stdout.write(''.join(l + '\n' for _, _, l in lines))
        sys.stdout.flush()
    except BrokenPipeError:
        # Read by head: the rest is not wanted.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def e164(c):
    return None if not c.isdigit() or len(c) != 11 else '+86' + c


def model(path, delay, cooldown):
    """The follow-ups queue-notify must write, as (reason, call_id, caller)."""
    calls, pending, last, made = {}, {}, {}, []
    clock = 0

    def fire():
        due = sorted((d, c, r) for (r, c), (d, cid) in pending.items() if d <= clock)
        for d, c, r in due:
            cid = pending.pop((r, c))[1]
            if (r, c) in last and clock - last[(r, c)] < cooldown:
                continue
            last[(r, c)] = clock
            made.append((r, cid, c))

    for line in open(path):
        f = line.rstrip('\n').split('|')
        t, cid, ev = int(f[0]) * 1000, f[1], f[4]
        clock = max(clock, t)
        fire()
        if ev == 'ENTERQUEUE':
            calls[cid] = e164(f[6])
            continue
        caller = calls.get(cid)
        if ev == 'CONNECT' or (ev == 'EXITWITHKEY' and f[5] == '1'):
            for r in ('abandon', 'timeout', 'missed'):
                pending.pop((r, caller), None)
        elif ev in ('ABANDON', 'EXITWITHTIMEOUT') and caller:
            r = 'abandon' if ev == 'ABANDON' else 'timeout'
            pending[(r, caller)] = (clock + delay[r], cid)
        fire()
    return made


def check(log, reqs, results, outbox, delay_ab, cooldown_min):
    delay = {'abandon': int(delay_ab) * 1000, 'timeout': 60000}
    cooldown = int(cooldown_min) * 60000
    want = sorted(model(log, delay, cooldown))
    rs = [json.loads(l) for l in open(reqs)]
    got = sorted((r['queue']['reason'], r['queue']['call_id'], r['to'])
                 for r in rs if r['queue']['reason'] in ('abandon', 'timeout'))
    bad = []
    if got != want:
        ws, gs = set(want), set(got)
        bad.append('follow-ups: %d expected, %d made; missing %s; extra %s' % (
            len(want), len(got), sorted(ws - gs)[:5], sorted(gs - ws)[:5]))
    ids = [r['id'] for r in rs]
    if len(ids) != len(set(ids)):
        bad.append('an id twice')
    seen = {}
    from datetime import datetime
    for r in rs:
        k = (r['queue']['reason'], r['to'])
        t = datetime.fromisoformat(r['ts'].replace('Z', '+00:00')).timestamp() * 1000
        # A wait notice after the first of its call (qn:wait:CALL:N, N
        # > 1) told of a grown estimate: held only by wait_interval (5).
        growth = r['queue']['reason'] == 'wait' and int(r['id'].rsplit(':', 1)[1]) > 1
        if k in seen and t - seen[k] < (300000 if growth else cooldown):
            bad.append('%s notified twice within the %s' % (
                k, 'wait_interval' if growth else 'cooldown'))
            break
        seen[k] = t
    res = [json.loads(l) for l in open(results)]
    st = {}
    for r in res:
        st[r['sms']['status']] = st.get(r['sms']['status'], 0) + 1
    if st != {'outbox': len(rs)}:
        bad.append('sms-send statuses %s for %d requests' % (st, len(rs)))
    ob = [json.loads(l)['id'] for l in open(outbox)]
    if sorted(ob) != sorted(ids):
        bad.append('outbox: %d lines for %d requests' % (len(ob), len(ids)))
    nab = sum(1 for l in open(log) if '|ABANDON|' in l)
    print('# %d requests: %d follow-ups (%d abandons in the log), %d wait notices'
          % (len(rs), len(got), nab, len(rs) - len(got)))
    for b in bad:
        print('not ok: ' + b)
    return 1 if bad else 0


if __name__ == '__main__':
    if sys.argv[1] == 'gen':
        gen(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    else:
        sys.exit(check(*sys.argv[2:8]))
