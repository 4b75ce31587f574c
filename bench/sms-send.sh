#!/bin/bash
# sms-send.sh - sms-send's sending rate beside apprise, a curl loop and wrk
#
# SPDX-License-Identifier: MIT
# Usage: bench/sms-send.sh      (from `make bench`; bin/sms-send must exist)
# Environment: N (default 10000) messages for sms-send, NA (1000) for
# apprise, NC (500) for the curl loop, C (16) connections for sms-send and
# wrk, WRK_S (5) seconds of wrk, NCM (50000) requests for bare libcurl
# (bench/curl-multi.c), NM (100000) messages for the memory run,
# NGINX_WORKERS (1).
#
# The endpoint is Debian's nginx with its own configuration in a temporary
# directory on a loopback ephemeral port, answering every Twilio Messages
# create with a fixed 201 Twilio-shaped JSON, as fast as the machine
# allows.  Every tool posts to that same endpoint; the table gives each
# rate (messages or requests a second) and sms-send's ratio to it.  Then
# sms-send's peak memory (maximum resident set size) for NM messages to the
# same nginx.  Everything started here is stopped here, by its pid.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10000}
NA=${NA:-1000}
NC=${NC:-500}
C=${C:-16}
WRK_S=${WRK_S:-5}
NM=${NM:-100000}
NCM=${NCM:-50000}
NGINX_WORKERS=${NGINX_WORKERS:-1}
NGINX=/usr/sbin/nginx
PY=/usr/bin/python3	# Debian's, where the apprise package lives
SMS_SEND=$top/bin/sms-send

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$SMS_SEND" ] || die "$SMS_SEND not built (make bin/sms-send)"
[ -x "$NGINX" ] || die "nginx missing (scripts/deps bench)"
for c in wrk curl jq; do
	command -v $c >/dev/null 2>&1 || die "$c missing (scripts/deps bench)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing (scripts/deps bench)"
"$PY" -c 'import apprise' 2>/dev/null || die "apprise missing (scripts/deps bench)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-bench.XXXXXX")
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

cc -O2 -o "$tmp/curl-multi" "$top/bench/curl-multi.c" \
    $(pkg-config --cflags --libs libcurl) || die "cannot build bench/curl-multi.c"

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sid=AC0123456789abcdef0123456789abcdef
token=0123456789abcdef0123456789abcdef

# A Twilio Messages create answer (the shape of providers.md §1).
resp='{"account_sid":"'$sid'","api_version":"2010-04-01","body":"ok","date_created":"Tue, 24 Nov 2026 06:00:00 +0000","date_sent":null,"date_updated":"Tue, 24 Nov 2026 06:00:00 +0000","direction":"outbound-api","error_code":null,"error_message":null,"from":"+15005550006","messaging_service_sid":null,"num_media":"0","num_segments":"1","price":null,"price_unit":"USD","sid":"SM0123456789abcdef0123456789abcdef","status":"queued","subresource_uris":{"media":"/2010-04-01/Accounts/'$sid'/Messages/SM0123456789abcdef0123456789abcdef/Media.json"},"to":"+8613800000001","uri":"/2010-04-01/Accounts/'$sid'/Messages/SM0123456789abcdef0123456789abcdef.json"}'

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
		default_type application/json;
		location ~ ^/2010-04-01/Accounts/[^/]+/Messages\.json\$ {
			if (\$request_method != POST) { return 405; }
			return 201 '$resp';
		}
		location / { return 404; }
	}
}
EOF
"$NGINX" -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
nginx_pid=$!
url=http://127.0.0.1:$port/2010-04-01/Accounts/$sid/Messages.json
for i in $(seq 100); do
	curl -s -o /dev/null -X POST "$url" && break
	kill -0 "$nginx_pid" 2>/dev/null || die "nginx did not start: $(cat "$tmp/nginx/error.log")"
	sleep 0.05
done
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$sid:$token" -d To=+8613800000001 "$url")
[ "$code" = 201 ] || die "nginx answers $code, not 201"

export CXKIT_CONFIG=$tmp/config.ini
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_STATE CXKIT_TEMPLATES CXKIT_NOW
cat > "$CXKIT_CONFIG" <<EOF
[provider tw]
type = twilio
base_url = http://127.0.0.1:$port
account_sid = $sid
auth_token = $token
from = +15005550006
EOF
chmod 600 "$CXKIT_CONFIG"

# 1. sms-send: N messages, C requests in flight, fresh state.
"$PY" "$top/bench/gen-requests.py" "$N" b > "$tmp/in.ndjson"
t0=$(now)
"$SMS_SEND" -q --via tw --concurrency "$C" --state "$tmp/state1.db" \
    < "$tmp/in.ndjson" > "$tmp/out.ndjson"
t1=$(now)
sent=$(jq -r 'select(.sms.status == "sent") | .id' "$tmp/out.ndjson" | wc -l)
[ "$sent" = "$N" ] || die "sms-send sent $sent of $N: $(jq -c .sms "$tmp/out.ndjson" | sort | uniq -c | sort -rn | head -3)"
r_sms=$(rate "$N" "$t0" "$t1")
s_sms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

# 2. apprise, Python API in one process (a new connection each time).
read -r an aok as <<<"$("$PY" "$top/bench/apprise-loop.py" \
    "json://127.0.0.1:$port/2010-04-01/Accounts/$sid/Messages.json" "$NA" 2>/dev/null)"
[ "$aok" = "$NA" ] || die "apprise delivered $aok of $NA"
r_app=$(awk -v n="$an" -v s="$as" 'BEGIN { printf "%.1f", n / s }')

# 3. a shell loop of curl: one process and one connection a message.
t0=$(now)
i=0
while [ $i -lt "$NC" ]; do
	curl -s -o /dev/null -u "$sid:$token" --data-urlencode "To=+86138$(printf %08d $i)" \
	    --data-urlencode From=+15005550006 \
	    --data-urlencode "Body=您好，您的维修单W$((20250000 + i))已完成。回复 1 满意 / 2 不满意" \
	    "$url" || die "curl failed"
	i=$((i + 1))
done
t1=$(now)
r_curl=$(rate "$NC" "$t0" "$t1")
s_curl=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')

# 4. wrk: C connections, keep-alive, the same POST, WRK_S seconds.
wt=2
[ "$C" -lt $wt ] && wt=$C
wrk -t "$wt" -c "$C" -d "${WRK_S}s" -s "$top/bench/twilio-post.lua" "$url" > "$tmp/wrk.out"
r_wrk=$(awk '/^Requests\/sec:/ { printf "%.1f", $2 }' "$tmp/wrk.out")
n_wrk=$(awk '/requests in/ { print $1 }' "$tmp/wrk.out")
s_wrk=$(awk '/requests in/ { sub(/s,$/, "", $4); print $4 }' "$tmp/wrk.out")
[ -n "$r_wrk" ] || die "wrk gave no rate: $(cat "$tmp/wrk.out")"
if grep -q 'Non-2xx' "$tmp/wrk.out"; then
	die "wrk got errors: $(grep Non-2xx "$tmp/wrk.out")"
fi

# 4b. libcurl alone: the same POST, C connections, one multi handle, no
# JSON, journal or template (bench/curl-multi.c): the most any sender
# built on libcurl can reach here.
read -r n_cm s_cm <<<"$("$tmp/curl-multi" "$url" "$NCM" "$C")"
[ "$n_cm" = "$NCM" ] || die "curl-multi failed"
r_cm=$(rate "$n_cm" 0 "$s_cm")

# 5. sms-send's peak memory for NM messages to the same nginx.
"$PY" "$top/bench/gen-requests.py" "$NM" m > "$tmp/in-mem.ndjson"
t0=$(now)
/usr/bin/time -v -o "$tmp/time.out" "$SMS_SEND" -q --via tw --concurrency "$C" \
    --state "$tmp/state2.db" < "$tmp/in-mem.ndjson" > "$tmp/out-mem.ndjson"
t1=$(now)
sent_m=$(grep -c '"status":"sent"' "$tmp/out-mem.ndjson" || true)
rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/time.out")
r_mem=$(rate "$NM" "$t0" "$t1")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cpus=$(nproc)
ngv=$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')
echo
echo "sms-send bench: nginx $ngv ($NGINX_WORKERS worker) on 127.0.0.1, a fixed 201 Twilio answer; $cpus CPUs"
printf '%-38s %9s %9s %11s %12s\n' "sender" "messages" "seconds" "msg/s" "sms-send ÷"
printf '%-38s %9s %9s %11s %12s\n' "sms-send (twilio, --concurrency $C)" "$N" "$s_sms" "$r_sms" "1.00"
printf '%-38s %9s %9s %11s %12s\n' "apprise $("$PY" -c 'import apprise; print(apprise.__version__)') (Python API, json://)" "$an" "$(printf %.3f "$as")" "$r_app" "$(ratio "$r_sms" "$r_app")"
printf '%-38s %9s %9s %11s %12s\n' "curl loop (shell, form POST)" "$NC" "$s_curl" "$r_curl" "$(ratio "$r_sms" "$r_curl")"
printf '%-38s %9s %9s %11s %12s\n' "wrk (-c $C -t $wt, same POST)" "$n_wrk" "$s_wrk" "$r_wrk" "$(ratio "$r_sms" "$r_wrk")"
printf '%-38s %9s %9s %11s %12s\n' "libcurl multi alone (-c $C, same POST)" "$n_cm" "$s_cm" "$r_cm" "$(ratio "$r_sms" "$r_cm")"
echo
printf 'sms-send peak memory: %s messages to the same nginx (%s sent, %s msg/s): maximum RSS %s kB (%.1f MB)\n' \
    "$NM" "$sent_m" "$r_mem" "$rss_kb" "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
echo
printf 'bare libcurl reaches %.0f%% of wrk on this endpoint: the ceiling of a libcurl sender\n' \
    "$(awk -v c="$r_cm" -v w="$r_wrk" 'BEGIN { print 100 * c / w }')"
awk -v s="$r_sms" -v a="$r_app" -v w="$r_wrk" -v m="$rss_kb" -v nm="$NM" 'BEGIN {
	printf "aims (issue 2): >= 20x apprise: %s (%.1fx); >= 80%% of wrk: %s (%.0f%%); < 20 MB for %d messages: %s (%.1f MB)\n",
	    (s >= 20 * a) ? "met" : "NOT met", s / a,
	    (s >= 0.8 * w) ? "met" : "NOT met", 100 * s / w, nm,
	    (m < 20 * 1024) ? "met" : "NOT met", m / 1024
}'
