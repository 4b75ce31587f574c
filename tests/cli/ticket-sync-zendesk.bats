#!/usr/bin/env bats
# ticket-sync's zendesk backend against tests/mock/zendesk-mock: the
# cursor export and end_of_stream, agents' comments, 429 with
# Retry-After, 409 on safe updates, deleted tickets, auth failures,
# malformed answers

load lib

setup() {
	setup_tmp
	export ZD_TOKEN=zdtoken
}

teardown() {
	if [ -s "$T/zd.pid" ]; then
		kill "$(cat "$T/zd.pid")" 2>/dev/null || true
	fi
	teardown_tmp
}

# zd_start [MOCK OPTIONS]: starts the mock, writes the config.
zd_start() {
	: > "$T/zd.ndjson"
	"$TOP/tests/mock/zendesk-mock" --port 0 --port-file "$T/zd.port" \
	    --pid-file "$T/zd.pid" --record "$T/zd.ndjson" "$@" \
	    >/dev/null 2>"$T/zd.err" &
	local i
	for i in $(seq 1 100); do
		[ -s "$T/zd.port" ] && break
		sleep 0.05
	done
	ZD=http://127.0.0.1:$(cat "$T/zd.port")
	config "[ticket zd]
type = zendesk
url = $ZD/
user = agent@example.com
token = env:ZD_TOKEN
export_rate = ${ZD_RATE:-6000}
timeout = 5"
}

zd_ctl() { curl -fsS -X POST "$ZD/_mock/$1" >/dev/null; }

msgs() {
	local i
	for i in "$@"; do
		printf '{"id":"m%s","channel":"sms","from":"+86138001380%02d","text":"help %s"}\n' "$i" "$i" "$i"
	done
}

@test "push: the requester is found or created by phone; a second message is a safe update" {
	zd_start
	run_in "$(msgs 1 2 1)
" ticket-sync push -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r '[.ticket.action, .ticket.id, .ticket.url] | join(" ")' | tr '\n' ',')" \
	    "created 1 $ZD/agent/tickets/1,created 2 $ZD/agent/tickets/2,commented 1 $ZD/agent/tickets/1,"
	# Two users created, each searched by phone first.
	expect_eq "$(jq -c 'select(.path=="/api/v2/users.json") | .body.user.phone' "$T/zd.ndjson" | tr '\n' ' ')" \
	    '"+8613800138001" "+8613800138002" '
	expect_eq "$(jq -r 'select(.path=="/api/v2/users/search.json") | .query' "$T/zd.ndjson" | head -1)" \
	    "query=phone:%2B8613800138001"
	expect_eq "$(jq -c 'select(.method=="PUT") | .body.ticket | [.safe_update, (.updated_stamp|type), .comment.public]' "$T/zd.ndjson")" \
	    '[true,"string",true]'
}

@test "pull: cursor pages until end_of_stream, each change once, statuses compared" {
	zd_start --page-size 2
	run_in "$(msgs 1 2 3 4 5)
" ticket-sync push -q
	expect_eq "$status" 0
	sleep 1.1	# the mock's clock has 1-second steps, like Zendesk's
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + ":" + .ticket.id' | tr '\n' ' ')" \
	    "ticket.created:1 ticket.created:2 ticket.created:3 ticket.created:4 ticket.created:5 "
	expect_eq "$(jq -r 'select(.path | test("incremental")) | .query | sub("=.*"; "")' "$T/zd.ndjson" | tr '\n' ' ')" \
	    "start_time cursor cursor "
	expect_eq "$(printf '%s\n' "$output" | jq -c 'select(.ticket.id=="3") | .ticket.customer')" \
	    '{"phone":"+8613800138003","member_id":null,"name":null,"lang":null}'
	ticket-sync update 3 --status solved --comment "fixed" >/dev/null
	zd_ctl "touch?id=4&status=pending"
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r '[.event, .ticket.id, .ticket.prev_status, .ticket.status] | join(" ")' | tr '\n' ',')" \
	    "ticket.solved 3 new solved,ticket.updated 4 new pending,"
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$output" ""
	zd_ctl "touch?id=3&status=open"
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + " " + .ticket.prev_status')" "ticket.reopened solved"
}

@test "pull: agents' comments are ticket.comment events, each once; the requester's and ticket-sync's own are not" {
	zd_start --comment-page 2
	run_in "$(msgs 1)
" ticket-sync push -q
	sleep 1.1
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r .event)" "ticket.created"
	zd_ctl "comment?id=1&author=901&public=1&body=A%20technician%20comes%20tomorrow"
	zd_ctl "comment?id=1&author=1&public=1&body=thanks"	# the requester
	zd_ctl "comment?id=1&author=902&public=0&body=check%20the%20order"
	ticket-sync update 1 --comment "sent from ticket-sync" >/dev/null
	sleep 1.1
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -c '[.event, .ticket.id, .comment]' | tr '\n' ' ')" \
	    '["ticket.updated","1",null] ["ticket.comment","1",{"author":"901","public":true,"body":"A technician comes tomorrow","by_agent":true}] ["ticket.comment","1",{"author":"902","public":false,"body":"check the order","by_agent":true}] '
	expect_eq "$(printf '%s\n' "$output" | jq -r 'select(.event=="ticket.comment") | .id' | tr '\n' ' ')" \
	    "zd:1:c1002 zd:1:c1004 "
	# Comments are paged (links.next; 2 a page here) and come from the
	# normal API, not the paced export.
	expect_eq "$(jq -r 'select(.path=="/api/v2/tickets/1/comments.json") | .query' "$T/zd.ndjson" | tr '\n' ' ')" \
	    "page%5Bsize%5D=100 page%5Bsize%5D=100 page%5Bsize%5D=2&page%5Bafter%5D=2 page%5Bsize%5D=2&page%5Bafter%5D=4 "
	# Once: another change of the ticket does not bring them again.
	zd_ctl "touch?id=1&status=pending"
	sleep 1.1
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + " " + .ticket.status' | tr '\n' ',')" "ticket.updated pending,"
	run ticket-sync pull
	expect_eq "$output" ""
	# A replay (--since) brings them again, with the same ids.
	run ticket-sync pull --since 2000-01-01T00:00:00Z
	expect_eq "$(printf '%s\n' "$output" | jq -r 'select(.event=="ticket.comment") | .id' | tr '\n' ' ')" \
	    "zd:1:c1002 zd:1:c1004 "
}

@test "pull: a 429 waits for Retry-After and goes on" {
	zd_start
	run_in "$(msgs 1)
" ticket-sync push -q
	zd_ctl "fault?mode=429&count=1"
	start=$(date +%s%N)
	run ticket-sync pull
	end=$(date +%s%N)
	expect_eq "$status" 0
	[[ $output == *"rate limited, waiting 1 s (Retry-After)"* ]]
	[ $(( (end - start) / 1000000 )) -ge 1000 ]
	expect_eq "$(printf '%s\n' "$output" | grep -c '^{')" 1
}

@test "pull: the export's 10 calls a minute are kept to, across runs" {
	# export_rate 60: a second between calls; the mock refuses a 4th call
	# in a minute (429 with a long Retry-After, which would show).
	ZD_RATE=60 zd_start --page-size 1 --export-limit 3
	run_in "$(msgs 1 2)
" ticket-sync push -q
	start=$(date +%s%N)
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | grep -c '^{')" 2
	run ticket-sync pull
	end=$(date +%s%N)
	expect_eq "$status" 0
	[[ $output != *"rate limited"* ]]
	expect_eq "$(curl -fsS "$ZD/_mock/stats" | jq .export_calls)" 3
	[ $(( (end - start) / 1000000 )) -ge 2000 ]
}

@test "update: a 409 conflict refetches and retries once; twice is a clear error" {
	zd_start
	run_in "$(msgs 1)
" ticket-sync push -q
	zd_ctl "fault?mode=409&count=1"
	run ticket-sync update 1 --status solved
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r .status)" solved
	expect_eq "$(jq -c 'select(.method=="PUT")' "$T/zd.ndjson" | wc -l)" 2
	zd_ctl "fault?mode=409&count=2"
	run ticket-sync update 1 --comment "one more thing"
	expect_eq "$status" 1
	[[ $output == *"update 1: zd: ticket 1: update conflict (HTTP 409) twice"* ]]
	# In a push the record fails with provider_rejected, the stream goes on.
	run_in "$(msgs 2)
" ticket-sync push -q
	zd_ctl "fault?mode=409&count=2"
	run_in "$(msgs 2 3)
" ticket-sync push
	expect_eq "$status" 1
	expect_eq "$(jqo -r '.ticket.error.code // .ticket.action' | tr '\n' ' ')" "provider_rejected created "
}

@test "a ticket deleted on the server: push opens a new one, lookup says not_found" {
	zd_start
	run_in "$(msgs 1)
" ticket-sync push -q
	zd_ctl "delete?id=1"
	run_in "$(msgs 1)
{\"id\":\"l\",\"ticket\":{\"id\":\"1\"}}
" ticket-sync push -q
	expect_eq "$(jqo -r '.ticket.action + ":" + (.ticket.id // "-")' | head -1)" "created:2"
	run_in '{"ticket":{"id":"1"}}
' ticket-sync lookup
	expect_eq "$status" 1
	expect_eq "$(jqo -r .ticket.error.code)" not_found
	[[ $stderr_out == *"zd: ticket 1: not found (deleted or never existed)"* ]]
}

@test "auth failure: records fail with auth_failed, pull exits 2, no secret shown" {
	zd_start
	ZD_TOKEN=wrong-secret run_in "$(msgs 1 2)
" ticket-sync push
	expect_eq "$status" 1
	expect_eq "$(jqo -r .ticket.error.code | tr '\n' ' ')" "auth_failed auth_failed "
	[[ $stderr_out != *wrong-secret* ]]
	ZD_TOKEN=wrong-secret run ticket-sync pull
	expect_eq "$status" 2
	[[ $output == *"authentication failed (HTTP 401)"* ]]
}

@test "a malformed or failed export: exit 1, the cursor stays, the next pull gets it all" {
	zd_start
	run_in "$(msgs 1 2)
" ticket-sync push -q
	sleep 1.1
	zd_ctl "fault?mode=malformed&count=1"
	run ticket-sync pull
	expect_eq "$status" 1
	[[ $output == *"pull: zd: export: the export is not a JSON object"* ]]
	zd_ctl "fault?mode=500&count=1"
	run ticket-sync pull
	expect_eq "$status" 1
	[[ $output == *"HTTP 500"* ]]
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r .event | tr '\n' ' ')" "ticket.created ticket.created "
}

@test "Zendesk's lag: a change of the last minute comes in a later pull, never skipped" {
	zd_start --lag 2
	run_in "$(msgs 1)
" ticket-sync push -q
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$output" ""
	sleep 3
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + ":" + .ticket.id')" "ticket.created:1"
}

@test "crash after writing, zendesk: the batch comes again with the same ids" {
	zd_start
	run_in "$(msgs 1 2)
" ticket-sync push -q
	sleep 1.1
	CXKIT_TEST_CRASH=after-write run ticket-sync pull
	expect_eq "$status" 99
	# The crashed run wrote both events, then saved nothing.
	expect_eq "$(printf '%s\n' "$output" | grep -c '^{')" 2
	first=$(printf '%s\n' "$output" | grep '^{' | jq -r .id | tr '\n' ' ')
	expect_eq "$(sqlite3 "$CXKIT_STATE" "SELECT count(*) FROM kv WHERE ns='ticket-sync.cursor'")" 0
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "$first"
	run ticket-sync pull
	expect_eq "$output" ""
}

@test "a --since replay moves nothing: the next pull still has the changes" {
	zd_start
	run_in "$(msgs 1 2)
" ticket-sync push -q
	sleep 1.1
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r .event | tr '\n' ' ')" "ticket.created ticket.created "
	state() { sqlite3 "$CXKIT_STATE" "SELECT ns, key, value FROM kv WHERE ns LIKE 'ticket-sync.c%' ORDER BY 1, 2; SELECT * FROM ts_seen ORDER BY 1, 2"; }
	before=$(state)
	zd_ctl "touch?id=1&status=solved"
	zd_ctl "comment?id=2&author=901&public=1&body=on%20its%20way"
	sleep 1.1
	run ticket-sync pull --since 2000-01-01T00:00:00Z
	expect_eq "$status" 0
	# (ticket-sync(1): a remote replay judges by dates and status now,
	# prev_status unknown; a comment keeps its ticket's status)
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + ":" + .ticket.id + ":" + (.ticket.prev_status // "null")' | tr '\n' ' ')" \
	    "ticket.solved:1:null ticket.updated:2:null ticket.comment:2:new "
	expect_eq "$(state)" "$before"
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r '[.event, .ticket.id, .ticket.prev_status] | join(":")' | tr '\n' ' ')" \
	    "ticket.solved:1:new ticket.updated:2:new ticket.comment:2:new "
	run ticket-sync pull
	expect_eq "$output" ""
}

@test "the documented CSAT flow asks each solved ticket once; ticket-sync's own writes are no change" {
	zd_start
	tmpl csat_ask 'Ticket {{ticket.id}} is resolved. Reply 1-9.'
	run_in "$(msgs 1 2)
" ticket-sync push -q
	sleep 1.1
	# README, ticket-sync(1), examples/demo.sh
	csat() {
		ticket-sync pull | jq -c 'select(.event=="ticket.solved") | .to = .ticket.customer.phone' |
		    sms-send -q --template csat_ask >/dev/null
	}
	csat
	# An agent solves ticket 1 and writes once more on it after.
	zd_ctl "touch?id=1&status=solved"
	sleep 1.1
	zd_ctl "comment?id=1&author=901&public=1&body=Anything%20else%3F"
	sleep 1.1
	csat
	expect_eq "$(jq -r '.to + " " + .text' "$T/outbox/sms.ndjson")" \
	    "+8613800138001 Ticket 1 is resolved. Reply 1-9."
	# The customer rates it, and writes on ticket 2: ticket-sync's own
	# notes bump the tickets' update times but bring no event.
	run_in '{"channel":"sms","from":"+8613800138001","text":"9","intent":{"name":"csat","entities":{"score":9,"scale":9}}}
{"channel":"sms","from":"+8613800138002","text":"any news?"}
' ticket-sync push -q
	expect_eq "$(jqo -r .ticket.action | tr '\n' ' ')" "rated commented "
	sleep 1.1
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$output" ""
	csat
	expect_eq "$(wc -l < "$T/outbox/sms.ndjson")" 1
	# An agent's change after them still comes.
	zd_ctl "touch?id=2&status=pending"
	sleep 1.1
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r '[.event, .ticket.id, .ticket.prev_status, .ticket.status] | join(" ")')" \
	    "ticket.updated 2 new pending"
}

@test "push: the customer's messages are the requester's comments (author_id), not the API agent's" {
	zd_start
	run_in "$(msgs 1 1)
{\"to\":\"+8613800138001\",\"text\":\"We are on it\",\"sms\":{\"status\":\"sent\",\"provider\":\"outbox\"}}
" ticket-sync push -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r .ticket.action | tr '\n' ' ')" "created commented commented "
	ticket-sync update 1 --comment "A technician comes tomorrow" >/dev/null
	expect_eq "$(jq -c 'select(.method=="POST" and .path=="/api/v2/tickets.json") | .body.ticket | [.requester_id, .comment.author_id, .comment.public]' "$T/zd.ndjson")" \
	    '[1,1,true]'
	# the second message, what was sent (internal), the agent's reply
	expect_eq "$(jq -c 'select(.method=="PUT") | .body.ticket.comment | [.author_id, .public]' "$T/zd.ndjson" | tr '\n' ' ')" \
	    '[1,true] [null,false] [null,true] '
	expect_eq "$(curl -fsS -u agent@example.com/token:zdtoken "$ZD/api/v2/tickets/1/comments.json" | jq -c '[.comments[].author_id]')" \
	    '[1,1,900,900]'
}

# zd_api METHOD PATH JSON: the documented API, as an agent or the web form
# would use it (not through ticket-sync); prints the answer.
zd_api() {
	curl -fsS -u agent@example.com/token:zdtoken -X "$1" "$ZD$2" \
	    -H 'Content-Type: application/json' -d "$3"
}

# zd_ticket_for NAME PHONE LOCALE EXTERNAL_ID [ROLE]: a requester and a
# ticket of theirs, opened in Zendesk; prints the ticket id.
zd_ticket_for() {
	local uid
	uid=$(zd_api POST /api/v2/users.json "$(jq -nc --arg n "$1" --arg p "$2" \
	    --arg l "$3" --arg x "$4" --arg r "${5:-end-user}" '{user: {name: $n,
	    phone: $p, locale: $l, role: $r,
	    external_id: (if $x == "" then null else $x end)}}')" | jq -r .user.id)
	zd_api POST /api/v2/tickets.json "$(jq -nc --argjson u "$uid" \
	    '{ticket: {subject: "washing machine", requester_id: $u,
	    comment: {body: "it leaks"}}}')" | jq -r .ticket.id
}

@test "pull: a ticket opened in Zendesk carries its requester (side-loaded users): phone in E.164 by the section's region, external_id, name, locale" {
	zd_start
	printf 'region = CN\n' >> "$CXKIT_CONFIG"
	expect_eq "$(zd_ticket_for 'Li Wei' '138 0013 8009' zh-CN M9)" 1
	expect_eq "$(zd_ticket_for 'Wang Fang' '+86 139 0013 9001' zh-TW '')" 2
	sleep 1.1
	run_in '' ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(jqo '[.event, .ticket.id, .ticket.customer]' | tr '\n' ' ')" \
	    '["ticket.created","1",{"phone":"+8613800138009","member_id":"M9","name":"Li Wei","lang":"zh-CN"}] ["ticket.created","2",{"phone":"+8613900139001","member_id":null,"name":"Wang Fang","lang":"zh-TW"}] '
	# One export call, asking for the users; no request a requester.
	expect_eq "$(jq -r 'select(.path | test("incremental")) | .query | test("include=users")' "$T/zd.ndjson")" true
	expect_eq "$(jq -r 'select(.path | test("^/api/v2/users/[0-9]")) | .path' "$T/zd.ndjson")" ""
	# The CSAT flow reaches them: an agent solves ticket 1.
	zd_ctl "touch?id=1&status=solved"
	sleep 1.1
	run_in '' ticket-sync pull
	expect_eq "$(jqo -r 'select(.event=="ticket.solved") | .ticket.customer.phone')" "+8613800138009"
}

@test "pull: the requester found is recorded in the identity map, so a reply from that phone lands on that ticket" {
	zd_start
	printf 'region = CN\n' >> "$CXKIT_CONFIG"
	zd_ticket_for 'Li Wei' '13800138009' zh-CN M9 >/dev/null
	sleep 1.1
	run_in '' ticket-sync pull
	expect_eq "$status" 0
	run_in '{"id":"r1","channel":"sms","from":"+8613800138009","text":"any news?"}
{"id":"r2","channel":"wecom","from":"liwei","customer":{"member_id":"M9"},"text":"hello?"}
' ticket-sync push -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r '.ticket.action + ":" + .ticket.id' | tr '\n' ' ')" "commented:1 commented:1 "
	expect_eq "$(sqlite3 "$CXKIT_STATE" "SELECT kind || '=' || value FROM ts_identity ORDER BY kind" | tr '\n' ' ')" \
	    "im=wecom:liwei member=M9 phone=+8613800138009 "
}

@test "pull: a requester whose phone is not valid: customer.phone null, a warning naming the ticket, exit 0" {
	zd_start
	zd_ticket_for 'Li Wei' '12345' zh-CN M9 >/dev/null
	sleep 1.1
	run_in '' ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(jqo '.ticket.customer')" '{"phone":null,"member_id":"M9","name":"Li Wei","lang":"zh-CN"}'
	case $stderr_out in
	*"ticket 1: the requester's phone is not a valid phone number"*) ;;
	*) echo "stderr: $stderr_out" >&2; return 1 ;;
	esac
	case $stderr_out in *12345*) echo "the number is shown: $stderr_out" >&2; return 1 ;; esac
}

@test "pull: a requester that conflicts with the identity map: the map is left alone and the conflict logged" {
	zd_start
	# +8613800138001 is customer 1, member M2 customer 2 (ticket-sync's own).
	run_in '{"id":"a","channel":"sms","from":"+8613800138001","text":"one"}
{"id":"b","channel":"wecom","from":"x","customer":{"member_id":"M2"},"text":"two"}
' ticket-sync push -q
	expect_eq "$status" 0
	before=$(sqlite3 "$CXKIT_STATE" "SELECT kind, value, customer FROM ts_identity ORDER BY 1, 2; SELECT ticket, customer FROM ts_link ORDER BY 1")
	expect_eq "$(zd_ticket_for 'Zhang San' '+8613800138001' en-US M2)" 3
	sleep 1.1
	run_in '' ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(jqo -c 'select(.ticket.id=="3") | .ticket.customer')" \
	    '{"phone":"+8613800138001","member_id":"M2","name":"Zhang San","lang":"en-US"}'
	case $stderr_out in
	*"ticket 3: ambiguous customer"*"the identity map is left as it was"*) ;;
	*) echo "stderr: $stderr_out" >&2; return 1 ;;
	esac
	expect_eq "$(sqlite3 "$CXKIT_STATE" "SELECT kind, value, customer FROM ts_identity ORDER BY 1, 2; SELECT ticket, customer FROM ts_link ORDER BY 1")" "$before"
}

@test "pull: a ticket whose requester is an agent (their own) carries no customer and maps nothing" {
	zd_start
	zd_ticket_for 'Agent Wang' '+8613900139000' zh-CN '' agent >/dev/null
	sleep 1.1
	run_in '' ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(jqo '.ticket.customer')" '{"phone":null,"member_id":null,"name":null,"lang":null}'
	expect_eq "$(sqlite3 "$CXKIT_STATE" "SELECT count(*) FROM ts_identity")" 0
}
