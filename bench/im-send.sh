#!/bin/bash
# im-send.sh - im-send's sending rate beside apprise, on the same endpoint
#
# SPDX-License-Identifier: MIT
# Usage: bench/im-send.sh      (from `make bench`; bin/im-send must exist)
# Environment: N (default 10000) messages for im-send, NA (1000) for
# apprise, C (16) requests in flight for im-send, NGINX_WORKERS (1).
#
# The endpoint is Debian's nginx with its own configuration in a temporary
# directory on a loopback ephemeral port, answering as fast as the machine
# allows like a Slack incoming webhook (POST /services/T/B/X: 200, text
# "ok") and like a WeCom group robot (POST /cgi-bin/webhook/send?key=K:
# 200, {"errcode":0,"errmsg":"ok"}).  im-send sends N messages through its
# slack target (webhook mode) and N through its wecom-robot target, each
# webhook's host replaced by the nginx (base_url).  Both platforms pace a
# webhook (Slack about 1 message a second, WeCom robots 20 a minute), and
# im-send paces to that by default: 10,000 messages would take hours, so
# this bench raises the pace with --rate 1000000 to measure im-send itself,
# not the platforms' limits.  apprise sends NA messages to the same nginx
# through its Python API in one process (json://, the same Slack-webhook
# path; a new connection each time), as in bench/sms-send.sh.  The table
# gives each rate (messages a second) and im-send's ratio to apprise.
# Everything started here is stopped here, by its pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10000}
NA=${NA:-1000}
C=${C:-16}
NGINX_WORKERS=${NGINX_WORKERS:-1}
RATE=1000000	# --rate: im-send's highest; see above
NGINX=/usr/sbin/nginx
PY=/usr/bin/python3	# Debian's, where the apprise package lives
IM_SEND=$top/bin/im-send

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$IM_SEND" ] || die "$IM_SEND not built (make bin/im-send)"
[ -x "$NGINX" ] || die "nginx missing (scripts/deps bench)"
for c in curl jq; do
	command -v $c >/dev/null 2>&1 || die "$c missing (scripts/deps bench)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing (scripts/deps bench)"
"$PY" -c 'import apprise' 2>/dev/null || die "apprise missing (scripts/deps bench)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-bench-im.XXXXXX")
nginx_pid=
stop() {
	if [ -n "$nginx_pid" ]; then
		# the master's workers, to end them too if the master hangs
		workers=$(pgrep -P "$nginx_pid" 2>/dev/null || true)
		kill -TERM "$nginx_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$nginx_pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$nginx_pid" 2>/dev/null; then
			# shellcheck disable=SC2086
			kill -9 "$nginx_pid" $workers 2>/dev/null || true
		fi
		wait "$nginx_pid" 2>/dev/null || true
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap stop EXIT
trap 'exit 1' INT TERM HUP

now() { date +%s.%N; }
# rate COUNT START END
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hook_path=/services/T0CXKIT01/B0CXKIT01/cxkitbenchwebhooksecret0
wecom_key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa

mkdir -p "$tmp/nginx"
cat > "$tmp/nginx/nginx.conf" <<EOF
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
		listen 127.0.0.1:$port;
		# a Slack incoming webhook (providers.md §10)
		location /services/ {
			if (\$request_method != POST) { return 405; }
			default_type text/plain;
			return 200 'ok';
		}
		# a WeCom group robot (providers.md §6)
		location = /cgi-bin/webhook/send {
			if (\$request_method != POST) { return 405; }
			default_type application/json;
			return 200 '{"errcode":0,"errmsg":"ok"}';
		}
		location / { return 404; }
	}
}
EOF
"$NGINX" -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
url=http://127.0.0.1:$port$hook_path
for _ in $(seq 100); do
	curl -s -o /dev/null -X POST "$url" && break
	kill -0 "$nginx_pid" 2>/dev/null || die "nginx did not start: $(cat "$tmp/nginx/error.log")"
	sleep 0.05
done
got=$(curl -s -H 'Content-Type: application/json' -d '{"text":"hi"}' "$url")
[ "$got" = ok ] || die "nginx answers '$got', not ok, on the Slack webhook"
got=$(curl -s -H 'Content-Type: application/json' -d '{"msgtype":"text"}' \
    "http://127.0.0.1:$port/cgi-bin/webhook/send?key=$wecom_key")
[ "$got" = '{"errcode":0,"errmsg":"ok"}' ] || die "nginx answers '$got' on the WeCom robot"

export CXKIT_CONFIG=$tmp/config.ini
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_STATE CXKIT_TEMPLATES CXKIT_NOW
cat > "$CXKIT_CONFIG" <<EOF
[provider slack]
type = slack
webhook = https://hooks.slack.com$hook_path
base_url = http://127.0.0.1:$port

[provider wecom]
type = wecom-robot
webhook = https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=$wecom_key
base_url = http://127.0.0.1:$port
EOF
chmod 600 "$CXKIT_CONFIG"

"$PY" "$top/bench/im-send-gen.py" "$N" i > "$tmp/in.ndjson"

# run TARGET: im-send sends N messages through TARGET, C in flight, fresh
# state; sets r_TARGET (msg/s), s_TARGET (seconds), m_TARGET (max RSS kB).
run() {
	local t0 t1 sent
	t0=$(now)
	/usr/bin/time -v -o "$tmp/time-$1.out" "$IM_SEND" -q --via "$1" \
	    --rate "$RATE" --concurrency "$C" --state "$tmp/state-$1.db" \
	    < "$tmp/in.ndjson" > "$tmp/out-$1.ndjson"
	t1=$(now)
	sent=$(grep -c '"status":"sent"' "$tmp/out-$1.ndjson" || true)
	[ "$sent" = "$N" ] || die "im-send --via $1 sent $sent of $N: $(jq -c .im "$tmp/out-$1.ndjson" | sort | uniq -c | sort -rn | head -3)"
	printf -v "r_$1" %s "$(rate "$N" "$t0" "$t1")"
	printf -v "s_$1" %s "$(secs "$t0" "$t1")"
	printf -v "m_$1" %s "$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time-$1.out")"
}

# 1. and 2. im-send through the slack webhook and the WeCom robot.
run slack
run wecom

# 3. apprise, Python API in one process (a new connection each time).
read -r an aok as <<<"$("$PY" "$top/bench/apprise-loop.py" "json://127.0.0.1:$port$hook_path" "$NA" 2>/dev/null)"
[ "$aok" = "$NA" ] || die "apprise delivered $aok of $NA"
r_app=$(awk -v n="$an" -v s="$as" 'BEGIN { printf "%.1f", n / s }')

cpus=$(nproc)
ngv=$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')
apv=$("$PY" -c 'import apprise; print(apprise.__version__)')
# shellcheck disable=SC2154	# r_slack and the like: set by run
{
echo
echo "im-send bench: nginx $ngv ($NGINX_WORKERS worker) on 127.0.0.1 answering like a Slack webhook (200 ok) and a WeCom robot ({\"errcode\":0}); $cpus CPUs"
echo "im-send runs with --rate $RATE (the platforms' webhook pacing, 1/s and 20/min, lifted to measure im-send) and --concurrency $C"
printf '%-44s %9s %9s %11s %11s %10s\n' "sender" "messages" "seconds" "msg/s" "max RSS" "÷ apprise"
printf '%-44s %9s %9s %11s %8s kB %10s\n' "im-send --via slack (incoming webhook)" "$N" "$s_slack" "$r_slack" "$m_slack" "$(ratio "$r_slack" "$r_app")"
printf '%-44s %9s %9s %11s %8s kB %10s\n' "im-send --via wecom (group robot)" "$N" "$s_wecom" "$r_wecom" "$m_wecom" "$(ratio "$r_wecom" "$r_app")"
printf '%-44s %9s %9s %11s %11s %10s\n' "apprise $apv (Python API, json://, same path)" "$an" "$(printf %.3f "$as")" "$r_app" "-" "1.00"
echo
awk -v s="$r_slack" -v w="$r_wecom" -v a="$r_app" 'BEGIN {
	printf "aim (issue 3): >= 20x apprise: slack %s (%.1fx), wecom %s (%.1fx)\n",
	    (s >= 20 * a) ? "met" : "NOT met", s / a,
	    (w >= 20 * a) ? "met" : "NOT met", w / a
}'
}
