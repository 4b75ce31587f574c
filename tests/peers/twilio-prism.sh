#!/bin/bash
# twilio-prism.sh - contract test: sms-send's twilio provider against
# Twilio's official OpenAPI spec, served by Prism
#
# SPDX-License-Identifier: MIT
# Prism (npm @stoplight/prism-cli, pinned to 5.14.2, the last to run on
# Node 20) mocks the spec on a loopback ephemeral port and validates every
# request: 201 when it is valid, 422 (schema), 401 (auth) or 415 (media
# type) when not.  Every request sms-send makes must pass; a malformed
# account_sid must be refused, to show that Prism does validate.
# Prism is installed once under build/prism (ignored by git), so later runs
# need no network.  Prints TAP.
set -u

top=${CXKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# Twilio's official OpenAPI spec (twilio/twilio-oai, MIT), vendored.
spec=$top/tests/data/specs/twilio_api_v2010.json
prism_dir=$top/build/prism
prism=$prism_dir/node_modules/.bin/prism
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

skip() { echo "1..0 # SKIP $*"; exit 0; }
command -v sms-send >/dev/null 2>&1 || skip "sms-send not built"
command -v jq >/dev/null 2>&1 || skip "jq missing"
command -v node >/dev/null 2>&1 || skip "node missing"
[ -f "$spec" ] || skip "Twilio OpenAPI spec not found"
if [ ! -x "$prism" ]; then
	command -v npm >/dev/null 2>&1 || skip "npm missing"
	echo "# installing @stoplight/prism-cli@5.14.2 into $prism_dir" >&2
	mkdir -p "$prism_dir"
	if ! timeout 180 npm install --prefix "$prism_dir" --no-audit \
	    --no-fund --loglevel=error @stoplight/prism-cli@5.14.2 \
	    > "$prism_dir/install.log" 2>&1 || [ ! -x "$prism" ]; then
		skip "could not install Prism from the npm registry" \
		    "(see $prism_dir/install.log)"
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-prism.XXXXXX") || exit 2
pid=
stop() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap stop EXIT
trap 'exit 1' INT TERM HUP

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$prism" mock -h 127.0.0.1 -p "$port" "$spec" > "$tmp/prism.log" 2>&1 &
pid=$!
up=
for _ in $(seq 400); do	# the 1.9 MB spec takes a few seconds
	if grep -q 'Prism is listening' "$tmp/prism.log" &&
	    curl -s -o /dev/null "http://127.0.0.1:$port/"; then
		up=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$up" ] || skip "Prism did not start: $(tail -n 3 "$tmp/prism.log" | tr '\n' ' ')"

echo "1..8"
n=0
t() {	# t OK? DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

export CXKIT_CONFIG=$tmp/config.ini CXKIT_STATE=$tmp/state.db
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_TEMPLATES CXKIT_NOW
sid=AC0123456789abcdef0123456789abcdef
cat > "$CXKIT_CONFIG" <<EOF
[provider tw]
type = twilio
base_url = http://127.0.0.1:$port
account_sid = $sid
auth_token = 0123456789abcdef0123456789abcdef
from = +15005550006

[provider tw-svc]
type = twilio
base_url = http://127.0.0.1:$port/
account_sid = $sid
auth_token = 0123456789abcdef0123456789abcdef
messaging_service_sid = MG0123456789abcdef0123456789abcdef
status_callback = http://127.0.0.1:8080/twilio/status?src=cxkit#ct=5000&rc=2

[provider tw-bad]
type = twilio
base_url = http://127.0.0.1:$port
account_sid = XX123
auth_token = 0123456789abcdef0123456789abcdef
from = +15005550006
EOF
chmod 600 "$CXKIT_CONFIG"

"$PY" - > "$tmp/in.ndjson" <<'EOF'
import json
long_zh = ("您好，您的维修单W20251001已由王工程师于10月8日14:00上门处理完毕，"
           "更换了主板和电源模块。如对本次服务满意请回复1，不满意请回复2。感谢您的耐心等待！")
msgs = [
    ("p-en", "+14155552345", "Your repair W20251001 is done. Reply 1 to rate it."),
    ("p-zh", "+8613800138000", "您好，您的维修单W20251001已完成"),
    ("p-mix", "+8613800138001", "Ticket W20251001: 已完成 / done 👍 回复 满意 or 不满意"),
    ("p-long", "+8613800138002", long_zh * 3),
    ("p-chars", "+447700900123", "a&b=c+d%e?f#g \"q\" <x> 50% off\nline 2\ttab"),
    ("p-gsm", "+14155552346", "€5 £3 ¥2 {[~]} ^|\\ ÄÖÜäöüß"),
]
for i, to, text in msgs:
    print(json.dumps({"id": i, "to": to, "text": text}, ensure_ascii=False,
                     separators=(",", ":")))
EOF
nrec=$(wc -l < "$tmp/in.ndjson")

# Requests that reached Prism's Messages route, those that passed its
# validation, and its errors, counted from log line $1 on.
count() { tail -n +"$1" "$tmp/prism.log" | grep -c "$2"; }
posts='post /2010-04-01/Accounts/[^ ]*/Messages.json .*Request received'
passed='VALIDATOR\] .*passed the validation rules'
errors='✖'
mark=$(($(wc -l < "$tmp/prism.log") + 1))

sms-send --via tw --concurrency 4 --timeout 15 < "$tmp/in.ndjson" \
    > "$tmp/out.ndjson" 2> "$tmp/err"
rc=$?
head -n 2 "$tmp/in.ndjson" | sed 's/"id":"p-/"id":"s-/' |
    sms-send --via tw-svc --timeout 15 >> "$tmp/out.ndjson" 2>> "$tmp/err"
rc2=$?
t "$([ $rc = 0 ] && [ $rc2 = 0 ] && echo 0)" \
    "sms-send exits 0 through tw and tw-svc (got $rc, $rc2)"
[ $rc = 0 ] && [ $rc2 = 0 ] || sed 's/^/# /' "$tmp/err"

got=$(jq -r '.sms.status' "$tmp/out.ndjson" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
want=" $((nrec + 2)) sent;"
t "$([ "$got" = "$want" ] && echo 0)" "all $((nrec + 2)) records: sms.status sent (Prism's 201)"
[ "$got" = "$want" ] || jq -c '{id, sms}' "$tmp/out.ndjson" | sed 's/^/# /'

got=$(jq -r '.sms.provider_id' "$tmp/out.ndjson" | sort -u | tr '\n' ' ')
t "$([ "$got" = "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa " ] && echo 0)" \
    "provider_id is the spec example's sid (got '$got')"

# Prism logs asynchronously: give it a moment to catch up.
for _ in $(seq 30); do
	[ "$(count "$mark" "$passed")" -ge $((nrec + 2)) ] && break
	sleep 0.1
done
np=$(count "$mark" "$posts")
nv=$(count "$mark" "$passed")
ne=$(count "$mark" "$errors")
t "$([ "$np" = $((nrec + 2)) ] && echo 0)" \
    "Prism received $((nrec + 2)) message requests, no more (got $np)"
t "$([ "$nv" = "$np" ] && [ "$ne" = 0 ] && echo 0)" \
    "every request passed Prism's validation against the spec ($nv of $np, $ne errors)"
[ "$ne" = 0 ] || tail -n +"$mark" "$tmp/prism.log" | grep -B3 "$errors" | sed 's/^/# /'

# Negative: a malformed AccountSid in the path is refused with 422, and
# sms-send reports the record failed.
mark=$(($(wc -l < "$tmp/prism.log") + 1))
printf '%s\n' '{"id":"p-bad","to":"+8613800138000","text":"hello"}' |
    sms-send --via tw-bad --retries 0 --timeout 15 > "$tmp/out-bad.ndjson" 2> "$tmp/err-bad"
rc=$?
got=$(jq -r '.sms.status' "$tmp/out-bad.ndjson" 2>/dev/null)
t "$([ "$got" = failed ] && [ $rc = 1 ] && echo 0)" \
    "malformed account_sid: sms.status failed, exit 1 (got '$got', exit $rc; error $(jq -c '.sms.error' "$tmp/out-bad.ndjson" 2>/dev/null))"
for _ in $(seq 30); do
	[ "$(count "$mark" 'UNPROCESSABLE_ENTITY')" -ge 1 ] && break
	sleep 0.1
done
t "$(count "$mark" 'must match pattern "^AC\[0-9a-fA-F\]{32}\$"' | grep -qx '[1-9][0-9]*' && echo 0)" \
    "Prism refused it: AccountSid must match the spec's pattern"
t "$([ "$(count "$mark" 'UNPROCESSABLE_ENTITY')" -ge 1 ] && echo 0)" \
    "Prism answered 422 Unprocessable Entity"
exit 0
