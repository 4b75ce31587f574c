#!/usr/bin/env bats
# msg-recv under load: 10,000 callbacks from 50 concurrent clients while a
# slow consumer (10 ms every 10 lines) makes the bounded queue fill, so
# msg-recv answers 503 + Retry-After and the clients retry: every
# callback comes out exactly once, none lost, none twice.

load lib
load msg-recv

setup() {
	setup_tmp
	config '[recv tg]
type = telegram
secret = tg-secret'
}

teardown() {
	[ -n "${MR_PID:-}" ] && kill "$MR_PID" 2>/dev/null
	[ -n "${RD_PID:-}" ] && kill "$RD_PID" 2>/dev/null
	teardown_tmp
}

@test "10,000 callbacks, 50 clients, a slow consumer: all out once, 503s retried" {
	local port i
	port=$(free_port)
	mkfifo "$T/pipe"
	"$PY" "$TOP/tests/cli/recv-load.py" --slow-reader < "$T/pipe" > "$T/out" &
	RD_PID=$!
	# every client is 127.0.0.1: no per-address limits; a request waits
	# for its line to be written, so only a queue shorter than the 50
	# clients can fill
	msg-recv --listen "127.0.0.1:$port" --queue 16 --rate 0 --max-per-address 0 \
	    --dedup-window 0 -q > "$T/pipe" 2> "$T/err" &
	MR_PID=$!
	for i in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.05
	done
	"$PY" "$TOP/tests/cli/recv-load.py" "$port" /tg tg-secret 10000 50 > "$T/load"
	cat "$T/load" >&3
	kill -TERM "$MR_PID"
	wait "$MR_PID"
	MR_PID=
	wait "$RD_PID"
	RD_PID=
	[ "$(wc -l < "$T/out")" -eq 10000 ]
	[ "$(jq -r .id "$T/out" | sort -u | wc -l)" -eq 10000 ]
	# the queue did fill: some requests were answered 503 and retried
	read -r _ _ _ n503 _ nerr _ nother _ <<< "$(cat "$T/load")"
	[ "$n503" -gt 0 ]
	[ "$nother" -eq 0 ]
}
