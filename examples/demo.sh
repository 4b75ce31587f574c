#!/bin/sh
# demo.sh - cxkit's end-to-end flow on the built-in defaults
#
# SPDX-License-Identifier: MIT
# No account, no configuration: senders write to the outbox in a temporary
# state directory.  Run by `make demo`; each program joins this flow.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
demo=$(mktemp -d "${TMPDIR:-/tmp}/cxkit-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT INT TERM
export CXKIT_STATE=$demo/state.db CXKIT_CONFIG=/dev/null
export CXKIT_TEMPLATES=$top/examples/templates

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }

say "The requests: queue notices, a CSAT ask, a missed call, a confirmation"
cat "$top/examples/requests.ndjson"

say "sms-send --region CN: each record comes back with its sms result"
set +e
sms-send --region CN < "$top/examples/requests.ndjson" > "$demo/out.ndjson"
rc=$?
set -e
jq -c '{id, sms: (.sms | {status, to} + (if .segments then {segments, encoding} else {} end) +
    (if .error then {error: .error.code} else {} end))}' "$demo/out.ndjson"
echo "exit status $rc: 1 because demo-6 holds a card number and demo-7 lacks variables"

say "What the outbox holds (the messages as a provider would get them)"
jq -r '"\(.to)  [\(.segments) \(.encoding)]  \(.text)"' "$demo/outbox/sms.ndjson"

say "A re-run of the same input sends nothing twice"
sms-send --region CN < "$top/examples/requests.ndjson" 2>/dev/null |
    jq -r '"\(.id)  \(.sms.status)"' || true
echo "outbox lines: $(wc -l < "$demo/outbox/sms.ndjson")"

say "Quiet hours: at 22:30 in Shanghai the notice is deferred to 08:00"
printf '%s\n' '{"id":"demo-night","to":"+8613800138000","text":"您的维修已完成"}' |
    CXKIT_NOW=2025-10-01T14:30:00Z sms-send --quiet-hours 21:00-08:00 |
    jq -c '{id, not_before, sms: .sms.status}'

say "Replies come in: keyword-parse --record turns them into intents"
cat > "$demo/replies.ndjson" <<'R'
{"id":"in-1","channel":"sms","from":"+8613800138000","text":"【１】"}
{"id":"in-2","channel":"sms","from":"+14155552671","text":"STOP"}
{"id":"in-3","channel":"sms","from":"+8613911112222","text":"滿意，8分"}
{"id":"in-4","channel":"sms","from":"+447700900123","text":"退款+W20251001"}
{"id":"in-5","channel":"sms","from":"+85291234567","text":"please call me back tomorrow"}
R
keyword-parse --record < "$demo/replies.ndjson" > "$demo/intents.ndjson"
jq -c '{id, text, intent: (.intent | {name, entities, confidence, route})}' "$demo/intents.ndjson"

say "The customer who replied STOP gets nothing more"
printf '%s\n' '{"id":"demo-8","to":"+14155552671","text":"Your repair is done."}' |
    sms-send -q | jq -c '{id, sms: (.sms | {status, error: .error.code})}'

say "What needs a person goes to the operations room (im-send; the outbox here)"
jq -c 'select(.intent.route == "agent" or .intent.name == "order_query")
    | {id: ("ops-" + .id), to: "ops-room",
       text: ("[" + .intent.name + "] " + .from + ": " + .text)}' \
    "$demo/intents.ndjson" | im-send -q | jq -c '{id, im: (.im | {status, parts})}'
jq -r '"\(.to)  \(.text)"' "$demo/outbox/im.ndjson"

say "The call queue: queue-notify reads Asterisk's queue_log and writes requests"
cat > "$demo/queue_log" <<'Q'
1760000000|MANAGER|support|PJSIP/1001|ADDMEMBER|
1760000010|1760000010.1|support|NONE|ENTERQUEUE||13800138001|1
1760000012|1760000010.1|support|PJSIP/1001|CONNECT|2|1760000011.2|2
1760000020|1760000020.1|support|NONE|ENTERQUEUE||13800138002|1
1760000030|1760000030.1|support|NONE|ENTERQUEUE||+14155552671|2
1760000040|1760000040.1|support|NONE|ENTERQUEUE||13800138003|3
1760000050|1760000050.1|support|NONE|ENTERQUEUE||anonymous|4
1760000060|1760000060.1|support|NONE|ENTERQUEUE||13800138004|5
1760000090|1760000020.1|support|NONE|ABANDON|1|1|70
1760000300|1760000010.1|support|PJSIP/1001|COMPLETECALLER|2|288|1
Q
queue-notify --from asterisk --region CN --skipped "$demo/skipped.ndjson" \
    --events "$demo/queue-events.ndjson" < "$demo/queue_log" > "$demo/queue-req.ndjson"
jq -c '{to, template, lang, vars, why: .queue.reason}' "$demo/queue-req.ndjson"
echo "not messaged: $(jq -c '[.caller, .queue.skipped]' "$demo/skipped.ndjson")"
echo "normalised queue events for cx-report: $(wc -l < "$demo/queue-events.ndjson")"

say "... and sms-send sends them (the outbox here)"
sms-send -q < "$demo/queue-req.ndjson" | tee "$demo/queue-sent.ndjson" | jq -c '{id, sms: .sms.status}'
tail -n 2 "$demo/outbox/sms.ndjson" | jq -r '"\(.to)  \(.text)"'
say "The replies become tickets (ticket-sync push, the local store)"
set +e
ticket-sync push -q < "$demo/intents.ndjson" > "$demo/tickets.ndjson"
rc=$?
set -e
jq -c '{id, from, ticket: (.ticket | {action, id, status} +
    (if .error then {error: .error.code} else {} end))}' "$demo/tickets.ndjson"
echo "exit status $rc: 1 because in-3 rates a ticket its sender never had"

say "An agent solves the refund ticket; ticket-sync pull reports each change once"
refund=$(jq -r 'select(.id == "in-4") | .ticket.id' "$demo/tickets.ndjson")
ticket-sync update "$refund" --status solved --comment "Refund W20251001 sent" >/dev/null
ticket-sync pull > "$demo/events.ndjson"
jq -c '{id, event, ticket: (.ticket | {id, prev_status, status})}' "$demo/events.ndjson"
echo "a second pull: $(ticket-sync pull | wc -l) new events"

say "Solved tickets ask for a rating (pull | jq | sms-send --template csat_ask)"
jq -c 'select(.event == "ticket.solved") | .to = .ticket.customer.phone' \
    "$demo/events.ndjson" | sms-send -q --template csat_ask |
    jq -c '{id, to, sms: .sms.status}'

say "\"进度 W20251001\": ticket-sync lookup finds the ticket (for sms-send --template order_status)"
printf '%s\n' '{"id":"in-6","channel":"sms","from":"+447700900123","text":"进度 W20251001"}' \
    '{"id":"in-7","channel":"sms","from":"+447700900123","text":"进度 W20259999"}' |
    keyword-parse | { ticket-sync lookup -q --template-not-found order_status_not_found || true; } |
    jq -c '{id, template, ticket: (.ticket | {id, status, error: .error.code})}'
say "msg-recv: replies arrive as provider webhooks, and join the same flow"
cat > "$demo/recv.ini" <<'R'
[recv hook]
type = webhook
secret = demo-secret
R
chmod 600 "$demo/recv.ini"
CXKIT_CONFIG=$demo/recv.ini msg-recv --listen 127.0.0.1:0 \
    > "$demo/inbound.ndjson" 2> "$demo/recv.err" &
recv=$!
port=
for _ in $(seq 50); do
	port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$demo/recv.err")
	[ -n "$port" ] && break
	sleep 0.1
done
post() {	# post BODY [SECRET]: signed as the webhook source wants
	sig=$(printf %s "$1" | openssl dgst -sha256 -hmac "${2:-demo-secret}" -r | cut -d' ' -f1)
	printf '%s -> ' "$1"
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
	    -H "X-Signature: $sig" -d "$1" "http://127.0.0.1:$port/hook"
}
post '{"id":"wh-1","from":"+8613800138000","text":"不满意，要人工"}'
post '{"id":"wh-1","from":"+8613800138000","text":"不满意，要人工"}'
post '{"id":"wh-2","from":"+8613800138001","text":"退订"}'
post '{"id":"wh-3","from":"+8613800138002","text":"forged"}' wrong-secret
kill -TERM "$recv"
wait "$recv" || true
echo "msg-recv's stderr:"
sed 's/^/  /' "$demo/recv.err"
echo "its stdout, through keyword-parse --record (the duplicate written once, the forgery never):"
CXKIT_CONFIG=/dev/null keyword-parse --record < "$demo/inbound.ndjson" |
    jq -c '{id, from, text, intent: .intent.name}'
say "The morning report: cx-report on every record of this flow"
# The queue events queue-notify normalised from the queue_log, its notices
# as sms-send sent them, the other SMS results, the replies with their
# intents, the ticket events and what msg-recv received.
set -- "$demo/queue-events.ndjson" "$demo/queue-sent.ndjson" \
    "$demo/out.ndjson" "$demo/intents.ndjson" "$demo/events.ndjson" \
    "$demo/inbound.ndjson"
cat "$@" | cx-report -f table --by channel
cat "$@" | cx-report -f html > "$demo/report.html"
echo "(and as one HTML page with charts: $(grep -c '<svg ' "$demo/report.html") SVG charts, $(wc -c < "$demo/report.html") bytes)"
