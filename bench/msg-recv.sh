#!/bin/bash
# msg-recv.sh - msg-recv's request rate beside nginx's static answer
#
# SPDX-License-Identifier: MIT
# Usage: bench/msg-recv.sh      (from `make bench`; bin/msg-recv must exist)
# Environment: C (16) connections and WRK_S (5) seconds of wrk a run,
# NGINX_WORKERS (1).
#
# wrk posts Telegram webhook updates (bench/recv-post.lua) over keep-alive
# connections on loopback:
#   1. to nginx answering every POST with a static 200: the ceiling of
#      the machine for this traffic;
#   2. to msg-recv writing every update (a new id each) to /dev/null, with
#      the ids remembered in the state store (the default);
#   3. the same with --dedup-window 0 (ids in memory only);
#   4. the same update again and again (every one a duplicate);
#   5. --spool FILE: an fdatasync before every answer.
# Then msg-recv's peak memory (VmHWM) over run 2.
# Everything started here is stopped here, by its pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
C=${C:-16}
WRK_S=${WRK_S:-5}
NGINX_WORKERS=${NGINX_WORKERS:-1}
NGINX=/usr/sbin/nginx
PY=/usr/bin/python3
MSG_RECV=$top/bin/msg-recv

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$MSG_RECV" ] || die "$MSG_RECV not built (make bin/msg-recv)"
[ -x "$NGINX" ] || die "nginx missing (scripts/deps bench)"
for c in wrk curl; do
	command -v $c >/dev/null 2>&1 || die "$c missing (scripts/deps bench)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-bench.XXXXXX")
pids=()
stop() {
	local p
	# nginx, and any msg-recv a failed run left (run_recv runs in a
	# subshell: its pids are in $tmp/pids)
	for p in "${pids[@]}" $(cat "$tmp/pids" 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "${KEEP:-}" ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap stop EXIT
trap 'exit 1' INT TERM HUP

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {	# wait_port PORT PID
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
		kill -0 "$2" 2>/dev/null || die "server $2 did not start"
		sleep 0.05
	done
	die "port $1 did not answer"
}
# wrk_rate PORT [ENV...]: requests a second of a WRK_S-second run, and
# checks every answer was a 2xx.  With DUP=1 every update is the same one,
# and its copies that come while the first is being written are answered
# 503 (retry): those are counted apart, and the rate is of the 2xx ones.
wrk_rate() {
	local port=$1 out bad
	shift
	out=$(env "$@" wrk -t2 -c"$C" -d"${WRK_S}s" -s "$top/bench/recv-post.lua" \
	    "http://127.0.0.1:$port/tg")
	bad=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	if [ -n "$bad" ] && [[ " $* " != *" DUP=1 "* ]]; then
		die "non-2xx answers: $bad"
	fi
	awk -v bad="${bad:-0}" '/requests in/ { n = $1; s = $4; sub(/s,$/, "", s) }
	    END { printf "%.2f\n", (n - bad) / s }' <<<"$out"
	[ -z "$bad" ] || echo "bench: $bad copies of the duplicate answered 503 while the first was written" >&2
}

# 1. nginx's static answer
nport=$(free_port)
mkdir -p "$tmp/nginx"
cat > "$tmp/nginx/nginx.conf" <<NGINX_END
worker_processes $NGINX_WORKERS;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	proxy_temp_path $tmp/nginx/proxy;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	server {
		listen 127.0.0.1:$nport;
		location / { return 200 ''; }
	}
}
NGINX_END
"$NGINX" -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
pids+=($!)
wait_port "$nport" "$!"
r_nginx=$(wrk_rate "$nport")

export CXKIT_CONFIG=$tmp/config.ini XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_STATE CXKIT_NOW
printf '[recv tg]\ntype = telegram\nsecret = bench-secret\n' > "$CXKIT_CONFIG"
chmod 600 "$CXKIT_CONFIG"

# run_recv NAME WRK-ENV -- MSG-RECV-ARGS: one msg-recv, one wrk run
run_recv() {
	local name=$1 env=$2 port pid r
	shift 3
	port=$(free_port)
	"$MSG_RECV" -q --rate 0 --max-connections 1000 \
	    --state "$tmp/$name.db" --listen "127.0.0.1:$port" "$@" \
	    > /dev/null 2> "$tmp/$name.err" &
	pid=$!
	echo "$pid" >> "$tmp/pids"
	wait_port "$port" "$pid"
	r=$(wrk_rate "$port" $env)
	# peak resident set size, before it goes
	awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" > "$tmp/$name.rss"
	kill -TERM "$pid"
	wait "$pid" || die "msg-recv ($name) exited $?: $(cat "$tmp/$name.err")"
	echo "$r"
}
r_state=$(run_recv state "DUP=0" --)
r_mem=$(run_recv mem "DUP=0" -- --dedup-window 0)
r_dup=$(run_recv dup "DUP=1" --)
r_spool=$(run_recv spool "DUP=0" -- --spool "$tmp/spool.ndjson")
rss=$(cat "$tmp/state.rss")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '\nmsg-recv: Telegram webhook updates, wrk -t2 -c%s -d%ss, loopback\n' "$C" "$WRK_S"
printf '%-52s %12s %8s\n' "server" "requests/s" "ratio"
printf '%-52s %12s %8s\n' "nginx, static 200 ($NGINX_WORKERS worker)" "$r_nginx" "1.00"
printf '%-52s %12s %8s\n' "msg-recv, each written, ids in the state store" "$r_state" "$(ratio "$r_state" "$r_nginx")"
printf '%-52s %12s %8s\n' "msg-recv, each written, --dedup-window 0" "$r_mem" "$(ratio "$r_mem" "$r_nginx")"
printf '%-52s %12s %8s\n' "msg-recv, every one a duplicate" "$r_dup" "$(ratio "$r_dup" "$r_nginx")"
printf '%-52s %12s %8s\n' "msg-recv, --spool (fdatasync each)" "$r_spool" "$(ratio "$r_spool" "$r_nginx")"
printf 'msg-recv peak memory (VmHWM, state store run): %s KiB\n' "$rss"
