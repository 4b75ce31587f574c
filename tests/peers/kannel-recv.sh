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
. "$(dirname "$0")/kannel-lib.bash"
kannel_need msg-recv sms-send
kannel_setup kannel-recv
kannel_ports
recv_port=$spare_port
kannel_conf "mo-recode = true" "group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = \"http://127.0.0.1:$recv_port/kn/mo?token=kn-token&from=%p&to=%P&text=%a&id=%I&ts=%T\""

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
kannel_start

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
