#!/bin/bash
# kannel-recv.sh - msg-recv behind a real Kannel: MO and DLR callbacks
#
# SPDX-License-Identifier: MIT
# Starts Debian's Kannel (bearerbox + smsbox) with its own configuration in a
# temporary directory, the fake SMSC from kannel-extras, and msg-recv, all on
# loopback ephemeral ports.  Messages injected at fakesmsc (ASCII, and
# Chinese as UCS-2) reach msg-recv through an sms-service get-url and come
# out as inbound records; a message sent by sms-send through Kannel with a
# dlr_url pointing at msg-recv comes back as a delivery receipt whose
# record_id is the record's id.  Prints TAP.
set -u

BEARERBOX=/usr/sbin/bearerbox
SMSBOX=/usr/sbin/smsbox
FAKESMSC=/usr/lib/kannel/test/fakesmsc
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

skip() { echo "1..0 # SKIP $*"; exit 0; }
command -v msg-recv >/dev/null 2>&1 || skip "msg-recv not built"
command -v sms-send >/dev/null 2>&1 || skip "sms-send not built"
command -v jq >/dev/null 2>&1 || skip "jq missing"
[ -x "$BEARERBOX" ] && [ -x "$SMSBOX" ] || skip "kannel not installed"
[ -x "$FAKESMSC" ] || skip "kannel-extras (fakesmsc) not installed"
command -v stdbuf >/dev/null 2>&1 || skip "stdbuf missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-kannel-recv.XXXXXX") || exit 2
pids=()
stop() {
	local p
	{ exec 3>&-; } 2>/dev/null
	# msg-recv, smsbox, then bearerbox (which ends fakesmsc's connection)
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "${KEEP:-}" ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap stop EXIT
trap 'exit 1' INT TERM HUP

# n free loopback TCP ports, distinct (all bound at once, then released)
free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
ss = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))
EOF
}

# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
	local t=$1
	shift
	for _ in $(seq $((t * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

read -r admin_port box_port smsc_port send_port recv_port <<<"$(free_ports 5)"

cat > "$tmp/kannel.conf" <<EOF
group = core
admin-port = $admin_port
admin-interface = 127.0.0.1
admin-password = cxkit-admin
admin-allow-ip = 127.0.0.1
smsbox-port = $box_port
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = $tmp/bearerbox.log
log-level = 1
access-log = $tmp/bearerbox-access.log

group = smsc
smsc = fake
smsc-id = fake
port = $smsc_port
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $box_port
sendsms-port = $send_port
sendsms-interface = 127.0.0.1
mo-recode = true
log-file = $tmp/smsbox.log
log-level = 1
access-log = $tmp/smsbox-access.log

group = sendsms-user
username = cxkit
password = s3cret-kannel
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "http://127.0.0.1:$recv_port/kn/mo?token=kn-token&from=%p&to=%P&text=%a&id=%I&ts=%T"
EOF

export CXKIT_CONFIG=$tmp/config.ini CXKIT_STATE=$tmp/state.db
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_TEMPLATES CXKIT_NOW
cat > "$CXKIT_CONFIG" <<EOF
[defaults]
region = CN

[provider kn]
type = kannel
base_url = http://127.0.0.1:$send_port
username = cxkit
password = s3cret-kannel
from = 10086
dlr_url = http://127.0.0.1:$recv_port/kn/dlr?token=kn-token&status=%d&answer=%A&to=%p

[recv kn]
type = kannel
token = kn-token
EOF
chmod 600 "$CXKIT_CONFIG"

cd "$tmp" || exit 2
msg-recv --listen "127.0.0.1:$recv_port" -v > "$tmp/recv.ndjson" 2> "$tmp/recv.err" &
pids=($! "${pids[@]}")
"$BEARERBOX" "$tmp/kannel.conf" > "$tmp/bearerbox.out" 2>&1 &
pids=($! "${pids[@]}")
if ! wait_for 10 curl -sf -o /dev/null \
    "http://127.0.0.1:$admin_port/status.txt?password=cxkit-admin"; then
	echo "1..0 # SKIP bearerbox did not start (see $tmp/bearerbox.out)"
	exit 0
fi
# fakesmsc reads MOs from a FIFO this shell keeps open for writing, since
# fakesmsc dies when its stdin ends.
mkfifo "$tmp/mo"
exec 3<>"$tmp/mo"
stdbuf -i0 -o0 -e0 "$FAKESMSC" -H 127.0.0.1 -r "$smsc_port" -i 0 \
    < "$tmp/mo" > "$tmp/fakesmsc.log" 2>&1 &
pids=($! "${pids[@]}")
"$SMSBOX" "$tmp/kannel.conf" > "$tmp/smsbox.out" 2>&1 &
pids=($! "${pids[@]}")

ready() {
	local st
	st=$(curl -sf "http://127.0.0.1:$admin_port/status.txt?password=cxkit-admin") || return 1
	grep -q 'fake\[fake\].*online' <<<"$st" || return 1
	grep -q 'smsbox:.*on-line' <<<"$st" || return 1
	curl -s -o /dev/null "http://127.0.0.1:$send_port/"
}
if ! wait_for 15 ready; then
	echo "1..0 # SKIP Kannel did not become ready (see $tmp)"
	exit 0
fi

echo "1..5"
n=0
t() {	# t OK? DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
lines() { wc -l < "$tmp/recv.ndjson" | tr -d ' '; }

# MO: an ASCII reply, and a Chinese one as UCS-2 (URL-encoded UTF-16BE).
zh=$("$PY" -c 'import urllib.parse; print(urllib.parse.quote("退款 W20251001".encode("utf-16-be")))')
printf '%s\n' "+8613800138000 10086 text STOP" >&3
printf '%s\n' "+8613800138001 10086 ucs2 $zh" >&3
wait_for 10 sh -c "[ \$(wc -l < '$tmp/recv.ndjson') -ge 2 ]"
got=$(jq -c '[.channel, .provider, .from, .to, .text]' "$tmp/recv.ndjson" 2>/dev/null | sort | tr '\n' ';')
want='["sms","kn","+8613800138000","10086","STOP"];["sms","kn","+8613800138001","10086","退款 W20251001"];'
t "$([ "$got" = "$want" ] && echo 0)" "MOs injected at fakesmsc come out of msg-recv as inbound records"
[ "$got" = "$want" ] || { echo "# got:  $got"; echo "# want: $want"; sed 's/^/# /' "$tmp/recv.ndjson" "$tmp/recv.err"; }
ids=$(jq -r .id "$tmp/recv.ndjson" 2>/dev/null | sort -u | grep -c .)
t "$([ "$ids" = 2 ] && echo 0)" "each MO has its own id (Kannel's %I)"

# DLR: sms-send through Kannel with dlr_url at msg-recv; the fake SMSC
# acknowledges (8) and then delivers (1); only the final one is written.
printf '%s\n' '{"id":"k-dlr-1","to":"+8613800138002","text":"Your repair W20251001 is done"}' |
    sms-send --via kn --timeout 10 > "$tmp/sent.ndjson" 2> "$tmp/sent.err"
rc=$?
t "$([ $rc = 0 ] && echo 0)" "sms-send sends through Kannel with the dlr-url (exit $rc)"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/sent.ndjson" "$tmp/sent.err"
wait_for 10 sh -c "grep -q '\"event\":\"delivery\"' '$tmp/recv.ndjson'"
sleep 0.5	# a second receipt for the same message would be a bug
got=$(jq -c 'select(.event == "delivery") | [.id, .provider, .record_id, .status, .error_code, .to]' "$tmp/recv.ndjson" 2>/dev/null | tr '\n' ';')
want='["k-dlr-1:delivered","kn","k-dlr-1","delivered",null,"+8613800138002"];'
t "$([ "$got" = "$want" ] && echo 0)" "the DLR comes back matched to the record id, once"
[ "$got" = "$want" ] || { echo "# got:  $got"; echo "# want: $want"; sed 's/^/# /' "$tmp/recv.ndjson" "$tmp/recv.err"; }

# The same MO again (Kannel gives it a new %I): a new message, as it is.
# A replayed callback (same id) is written once.
before=$(lines)
curl -s -o /dev/null "http://127.0.0.1:$recv_port/kn/mo?$(jq -r '"token=kn-token&from=\(.from|@uri)&text=\(.text|@uri)&id=\(.id|@uri)"' "$tmp/recv.ndjson" | head -1)"
sleep 0.3
t "$([ "$(lines)" = "$before" ] && echo 0)" "a replayed MO callback (same id) is not written again"
exit 0
