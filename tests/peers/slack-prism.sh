#!/bin/bash
# slack-prism.sh - contract test: im-send's slack target (bot mode,
# chat.postMessage) against Slack's official OpenAPI spec, served by Prism
#
# SPDX-License-Identifier: MIT
# Prism (npm @stoplight/prism-cli 5.14.2, installed under build/prism by
# twilio-prism.sh, or here when that has not run yet) mocks the Slack Web
# API spec (slackapi/slack-api-specs, Swagger 2.0, MIT) on a loopback
# ephemeral port and validates every request: 200 with the spec's example
# ({"ok":true,"channel":"C1H9RESGL","ts":"1503435956.000247",..}) when it
# is valid, 422 (schema: a missing channel, a missing `token` header, a
# non-boolean mrkdwn), 401 (no Bearer token) or 415 (not a form) when not.
# Prism has no /api prefix on Slack's routes, so base_url is Prism's root.
# Every request im-send makes must pass; a request without a channel or
# without a Bearer token must be refused, to show that Prism does validate;
# and a base_url with Slack's /api prefix reaches no route here and must
# end the record failed.  The slack target paces at Slack's 1 message a
# second; --rate 50 keeps the test short.  Prints TAP.
set -u

top=${CXKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# Slack's official OpenAPI spec (slackapi/slack-api-specs, MIT), vendored.
spec=$top/tests/data/specs/slack_web_openapi_v2.json
prism_dir=$top/build/prism
prism=$prism_dir/node_modules/.bin/prism
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

skip() { echo "1..0 # SKIP $*"; exit 0; }
command -v im-send >/dev/null 2>&1 || skip "im-send not built"
command -v jq >/dev/null 2>&1 || skip "jq missing"
command -v curl >/dev/null 2>&1 || skip "curl missing"
command -v node >/dev/null 2>&1 || skip "node missing"
[ -f "$spec" ] || skip "Slack OpenAPI spec not found"
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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-slack-prism.XXXXXX") || exit 2
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
for _ in $(seq 400); do	# the 1.2 MB spec takes a few seconds
	if grep -q 'Prism is listening' "$tmp/prism.log" &&
	    curl -s -o /dev/null "http://127.0.0.1:$port/"; then
		up=1
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$up" ]; then	# installed but broken: a failure, not a skip
	echo "1..1"
	echo "not ok 1 - Prism started and answered on 127.0.0.1:$port"
	tail -n 5 "$tmp/prism.log" | sed 's/^/# /'
	exit 0
fi

echo "1..9"
n=0
t() {	# t OK? DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

export CXKIT_CONFIG=$tmp/config.ini CXKIT_STATE=$tmp/state.db
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_STATE_HOME=$tmp/xdg-state
unset CXKIT_TEMPLATES CXKIT_NOW
token=xoxb-0123456789-0123456789012-abcdefABCDEF0123456789ab
cat > "$CXKIT_CONFIG" <<EOF
[provider sl]
type = slack
base_url = http://127.0.0.1:$port
bot_token = $token
to = C0123456789

[provider sl-api]
type = slack
base_url = http://127.0.0.1:$port/api
bot_token = $token
to = C0123456789
EOF
chmod 600 "$CXKIT_CONFIG"

# English, Chinese, mixed with emoji, Slack's markup characters, a mention,
# a thread reply, a channel given by the record, and a text over Slack's
# 40,000 characters (split in two parts: two requests).
"$PY" - > "$tmp/in.ndjson" <<'EOF'
import json
msgs = [
    {"id": "s-en", "text": "Queue overflow: 14 callers waiting, longest 6 min."},
    {"id": "s-zh", "text": "您好，您的维修单W20251001已完成。回复 1 满意 / 2 不满意"},
    {"id": "s-mix", "text": "Ticket W20251001: 已完成 / done 👍 回复 满意 or 不满意"},
    {"id": "s-chars", "text": "a&b=c+d%e?f#g \"q\" <x> 50% off\nline 2\ttab"},
    {"id": "s-mention", "text": "热线占线，请支援", "mention": ["U0123ABCD", "@all"]},
    {"id": "s-thread", "to": "C0987654321", "thread": "1503435956.000247",
     "text": "Follow-up in the thread: callback scheduled 14:00."},
    {"id": "s-long", "text": ("客服热线今日来电摘要：排队溢出三次，平均等待四分钟。\n" * 1700)},
]
for m in msgs:
    print(json.dumps(m, ensure_ascii=False, separators=(",", ":")))
EOF
nrec=$(wc -l < "$tmp/in.ndjson")
nreq=$((nrec + 1))	# s-long goes in 2 parts

# Requests that reached Prism's chat.postMessage route, those that passed
# its validation, and its request violations, counted from log line $1 on.
count() { tail -n +"$1" "$tmp/prism.log" | grep -c -- "$2"; }
posts='post /chat.postMessage .*Request received'
passed='VALIDATOR\] .*passed the validation rules'
violations='Violation: request'
mark=$(($(wc -l < "$tmp/prism.log") + 1))

im-send --via sl --rate 50 --concurrency 4 --timeout 15 < "$tmp/in.ndjson" \
    > "$tmp/out.ndjson" 2> "$tmp/err"
rc=$?
t "$([ $rc = 0 ] && echo 0)" "im-send exits 0 through sl (got $rc)"
[ $rc = 0 ] || sed 's/^/# /' "$tmp/err"

got=$(jq -r '.im.status' "$tmp/out.ndjson" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
want=" $nrec sent;"
t "$([ "$got" = "$want" ] && echo 0)" "all $nrec records: im.status sent (Prism's 200 ok:true)"
[ "$got" = "$want" ] || jq -c '{id, im}' "$tmp/out.ndjson" | sed 's/^/# /'

got=$(jq -r '(.im.provider_id // empty), (.im.provider_ids[]?), .im.channel' \
    "$tmp/out.ndjson" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
want=" $((nreq)) 1503435956.000247; $nrec C1H9RESGL;"
t "$([ "$got" = "$want" ] && echo 0)" \
    "message ids (ts) and channel are the spec example's, one id a request (got '$got')"

got=$(jq -r 'select(.id == "s-long") | "\(.im.parts) \(.im.provider_ids | length)"' "$tmp/out.ndjson")
t "$([ "$got" = "2 2" ] && echo 0)" \
    "a text over 40,000 characters goes in 2 parts, 2 ids (got '$got')"

# Prism logs asynchronously: give it a moment to catch up.
for _ in $(seq 30); do
	[ "$(count "$mark" "$passed")" -ge "$nreq" ] && break
	[ "$(count "$mark" "$posts")" -ge "$nreq" ] &&
	    [ "$(count "$mark" "$violations")" -gt 0 ] && break
	sleep 0.1
done
np=$(count "$mark" "$posts")
nv=$(count "$mark" "$passed")
ne=$(count "$mark" "$violations")
t "$([ "$np" = "$nreq" ] && echo 0)" \
    "Prism received $nreq chat.postMessage requests, no more (got $np)"
t "$([ "$nv" = "$np" ] && [ "$ne" = 0 ] && echo 0)" \
    "every request passed Prism's validation against the spec ($nv of $np, $ne violations)"
[ "$ne" = 0 ] || tail -n +"$mark" "$tmp/prism.log" | sed 's/\x1b\[[0-9;]*m//g' |
    grep -- "$violations" | sort | uniq -c | sed 's/^/# /'

# Negative: Prism does validate.  The form im-send sends, with every header
# the spec names, is accepted; without channel it is refused with 422 naming
# channel, and without the Bearer token with 401.
u=http://127.0.0.1:$port/chat.postMessage
post() {	# post CURL-ARGS...: prints the HTTP status and the violations
	curl -s -o /dev/null -D "$tmp/hdr" -w '%{http_code}' "$@" "$u"
	echo " $(grep -i '^sl-violations:' "$tmp/hdr" | tr -d '\r')"
}
ok=$(post -H "Authorization: Bearer $token" -H "token: $token" \
    --data-urlencode channel=C0123456789 --data-urlencode text=hello -d mrkdwn=false)
noch=$(post -H "Authorization: Bearer $token" -H "token: $token" \
    --data-urlencode text=hello -d mrkdwn=false)
noauth=$(post -H "token: $token" --data-urlencode channel=C0123456789 \
    --data-urlencode text=hello -d mrkdwn=false)
t "$([ "${ok%% *}" = 200 ] && [ "${noch%% *}" = 422 ] &&
    grep -q "required property 'channel'" <<<"$noch" && [ "${noauth%% *}" = 401 ] && echo 0)" \
    "Prism validates: a valid form 200, no channel 422 naming it, no Bearer token 401 (got ${ok%% *}, ${noch%% *}, ${noauth%% *})"

# Negative: Slack's own /api prefix is no route in Prism's mock: 404, and
# im-send ends the record failed with exit 1.
printf '%s\n' '{"id":"s-bad","text":"hello"}' |
    im-send --via sl-api --rate 50 --retries 0 --timeout 15 > "$tmp/out-bad.ndjson" 2> "$tmp/err-bad"
rc=$?
got=$(jq -r '.im.status' "$tmp/out-bad.ndjson" 2>/dev/null)
t "$([ "$got" = failed ] && [ $rc = 1 ] && echo 0)" \
    "base_url with /api (no route here): im.status failed, exit 1 (got '$got', exit $rc; error $(jq -c '.im.error' "$tmp/out-bad.ndjson" 2>/dev/null))"
got=$(jq -r '.im.error.message // ""' "$tmp/out-bad.ndjson" 2>/dev/null)
t "$(grep -q '404' <<<"$got" && echo 0)" "the error names Prism's 404 (got '$got')"
exit 0
