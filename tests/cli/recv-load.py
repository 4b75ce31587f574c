#!/usr/bin/env python3
# recv-load.py - N Telegram-style callbacks from C concurrent clients that
# retry on 503 (and on a dropped connection), for msg-recv's load test and
# bench.  Prints "sent N 503s R errors E seconds S rps X".
#   recv-load.py PORT PATH SECRET N C
#   recv-load.py --slow-reader   (stdin to stdout, 10 ms every 10 lines)
import http.client, json, sys, threading, time


def slow_reader():
    n = 0
    for line in sys.stdin.buffer:
        sys.stdout.buffer.write(line)
        n += 1
        if n % 10 == 0:
            sys.stdout.buffer.flush()
            time.sleep(0.01)
    sys.stdout.buffer.flush()


def main(port, path, secret, n, c):
    lock = threading.Lock()
    stats = {"503": 0, "err": 0, "other": 0}
    nxt = [0]

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = nxt[0]
                if i >= n:
                    break
                nxt[0] += 1
            body = json.dumps({"update_id": i, "message": {
                "message_id": i, "from": {"id": 1000 + i % 97},
                "chat": {"id": 1000 + i % 97}, "date": 1759298400,
                "text": "load %d" % i}})
            while True:
                try:
                    conn.request("POST", path, body, {
                        "Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token": secret})
                    r = conn.getresponse()
                    r.read()
                    if r.status == 200:
                        break
                    with lock:
                        stats["503" if r.status == 503 else "other"] += 1
                    if r.status != 503:
                        print("status %d for %d" % (r.status, i), file=sys.stderr)
                        break
                    time.sleep(0.05)
                except (OSError, http.client.HTTPException):
                    with lock:
                        stats["err"] += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    time.sleep(0.05)
        conn.close()

    t0 = time.time()
    ts = [threading.Thread(target=worker) for _ in range(c)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.time() - t0
    print("sent %d 503s %d errors %d other %d seconds %.1f rps %.0f" % (
        n, stats["503"], stats["err"], stats["other"], dt, n / dt))


if sys.argv[1] == "--slow-reader":
    slow_reader()
else:
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
