#!/usr/bin/env bats
# ticket-sync's redmine backend against tests/mock/redmine-mock: issues,
# notes, status_id=* on pull, offset paging, agents' notes as comments,
# 422 errors with the field

load lib

setup() {
	setup_tmp
	export RM_KEY=rmkey
}

teardown() {
	if [ -s "$T/rm.pid" ]; then
		kill "$(cat "$T/rm.pid")" 2>/dev/null || true
	fi
	teardown_tmp
}

rm_start() {
	: > "$T/rm.ndjson"
	"$TOP/tests/mock/redmine-mock" --port 0 --port-file "$T/rm.port" \
	    --pid-file "$T/rm.pid" --record "$T/rm.ndjson" "$@" \
	    >/dev/null 2>"$T/rm.err" &
	local i
	for i in $(seq 1 100); do
		[ -s "$T/rm.port" ] && break
		sleep 0.05
	done
	RM=http://127.0.0.1:$(cat "$T/rm.port")
	config "[ticket rm]
type = redmine
url = $RM
token = env:RM_KEY
queue = ${RM_PROJECT:-support}
timeout = 5"
}

@test "push: an issue for the customer, then notes; the agent's status by name" {
	rm_start
	run_in '{"channel":"sms","from":"+8613800138001","text":"leaks"}
{"channel":"sms","from":"+8613800138001","text":"still"}
{"to":"+8613800138001","text":"We are on it","sms":{"status":"sent","provider":"outbox"}}
' ticket-sync push -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r '.ticket.action + ":" + .ticket.id + ":" + .ticket.url' | tr '\n' ' ')" \
	    "created:1:$RM/issues/1 commented:1:$RM/issues/1 commented:1:$RM/issues/1 "
	expect_eq "$(jq -c 'select(.method=="PUT") | .body.issue | [.notes, .private_notes]' "$T/rm.ndjson" | tr '\n' ' ')" \
	    '["still",false] ["SMS sent via outbox: We are on it",true] '
	run ticket-sync update 1 --status solved
	expect_eq "$status" 0
	expect_eq "$(printf '%s' "$output" | jq -r .status)" solved
	expect_eq "$(jq -c 'select(.method=="PUT") | .body.issue.status_id // empty' "$T/rm.ndjson")" 3
}

@test "pull: status_id=* (closed issues too), pages by updated_on, each change once" {
	rm_start --max-limit 2
	run_in '{"channel":"sms","from":"+8613800138001","text":"a"}
{"channel":"sms","from":"+8613800138002","text":"b"}
{"channel":"sms","from":"+8613800138003","text":"c"}
' ticket-sync push -q
	curl -fsS -X POST "$RM/_mock/touch?id=2&status_id=5" >/dev/null
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + ":" + .ticket.id + ":" + .ticket.status' | tr '\n' ' ')" \
	    "ticket.created:1:new ticket.created:3:new ticket.created:2:closed "
	# The second page is a new search from the first page's last
	# updated_on (issue 3's), which it overlaps.
	expect_eq "$(jq -r 'select(.path=="/issues.json" and .method=="GET") | .query | [.status_id, .offset, .sort] | join(",")' "$T/rm.ndjson" | tr '\n' ' ')" \
	    "*,0,updated_on *,0,updated_on "
	expect_eq "$(jq -r 'select(.path=="/issues.json" and .method=="GET") | .query.updated_on' "$T/rm.ndjson" | tail -1)" \
	    ">=$(printf '%s\n' "$output" | jq -r 'select(.ticket.id=="3") | .ticket.updated_at')"
	run ticket-sync pull
	expect_eq "$output" ""
	curl -fsS -X POST "$RM/_mock/touch?id=2&status_id=2" >/dev/null
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r '[.event, .ticket.prev_status, .ticket.status] | join(" ")')" \
	    "ticket.reopened closed open"
}

@test "pull: agents' notes are ticket.comment events, each once; the author's are not" {
	rm_start
	run_in '{"channel":"sms","from":"+8613800138001","text":"leaks"}
' ticket-sync push -q
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r .event)" "ticket.created"
	# the customer's second message (ticket-sync's user, the author), a
	# public and a private note by agents, a status change with no note
	run_in '{"channel":"sms","from":"+8613800138001","text":"still"}
' ticket-sync push -q
	curl -fsS -X POST "$RM/_mock/note?id=1&uid=2&user=Wang&notes=A%20technician%20comes" >/dev/null
	curl -fsS -X POST "$RM/_mock/note?id=1&uid=3&user=Li&notes=check%20the%20order&private=1" >/dev/null
	curl -fsS -X POST "$RM/_mock/touch?id=1&status_id=2" >/dev/null
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -c '[.event, .id, .ticket.status, .comment]' | tr '\n' ' ')" \
	    '["ticket.updated","rm:1:'"$(printf '%s\n' "$output" | jq -r 'select(.event=="ticket.updated") | .ticket.updated_at')"'","open",null] ["ticket.comment","rm:1:c2","open",{"author":"Wang","public":true,"body":"A technician comes","by_agent":true}] ["ticket.comment","rm:1:c3","open",{"author":"Li","public":false,"body":"check the order","by_agent":true}] '
	# one issue GET with include=journals a pull that saw the issue
	expect_eq "$(jq -s '[.[] | select(.path=="/issues/1.json" and .query.include=="journals")] | length' "$T/rm.ndjson")" 2
	run ticket-sync pull
	expect_eq "$output" ""
	curl -fsS -X POST "$RM/_mock/touch?id=1&status_id=3" >/dev/null
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r .event | tr '\n' ' ')" "ticket.solved "
}

@test "a 422 is reported with Redmine's errors, which name the field" {
	RM_PROJECT=nosuch rm_start
	run_in '{"channel":"sms","from":"+8613800138001","text":"a"}
' ticket-sync push
	expect_eq "$status" 1
	expect_eq "$(jqo -r .ticket.error.code)" provider_rejected
	[[ $stderr_out == *"rm: create: rejected (HTTP 422): Project cannot be blank"* ]]
}

@test "bad key: auth_failed; a deleted issue: not_found" {
	rm_start
	RM_KEY=nope run_in '{"channel":"sms","from":"+8613800138001","text":"a"}
' ticket-sync push
	expect_eq "$(jqo -r .ticket.error.code)" auth_failed
	run_in '{"channel":"sms","from":"+8613800138001","text":"a"}
' ticket-sync push -q
	curl -fsS -X POST "$RM/_mock/delete?id=1" >/dev/null
	run_in '{"ticket":{"id":1}}
' ticket-sync lookup
	expect_eq "$(jqo -r .ticket.error.code)" not_found
	[[ $stderr_out == *"rm: issue 1: not found"* ]]
}

@test "a --since replay moves nothing: the next pull still has the changes" {
	rm_start
	run_in '{"channel":"sms","from":"+8613800138001","text":"a"}
{"channel":"sms","from":"+8613800138002","text":"b"}
' ticket-sync push -q
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r .event | tr '\n' ' ')" "ticket.created ticket.created "
	state() { sqlite3 "$CXKIT_STATE" "SELECT ns, key, value FROM kv WHERE ns LIKE 'ticket-sync.c%' ORDER BY 1, 2; SELECT * FROM ts_seen ORDER BY 1, 2"; }
	before=$(state)
	curl -fsS -X POST "$RM/_mock/touch?id=1&status_id=3" >/dev/null
	curl -fsS -X POST "$RM/_mock/note?id=2&uid=2&user=Wang&notes=on%20its%20way" >/dev/null
	run ticket-sync pull --since 2000-01-01T00:00:00Z
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + ":" + .ticket.id' | tr '\n' ' ')" \
	    "ticket.solved:1 ticket.updated:2 ticket.comment:2 "
	expect_eq "$(state)" "$before"
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r '[.event, .ticket.id, .ticket.prev_status] | join(":")' | tr '\n' ' ')" \
	    "ticket.solved:1:new ticket.updated:2:new ticket.comment:2:new "
	run ticket-sync pull
	expect_eq "$output" ""
}

@test "pull: an issue changed during a paged pull shifts no page: none is skipped" {
	rm_start --max-limit 2
	run_in "$(for i in 1 2 3 4 5; do printf '{"channel":"sms","from":"+86138001380%02d","text":"%s"}\n' $i $i; done)
" ticket-sync push -q
	# Issue 1 changes after the first page is read: it moves to the end
	# of the updated_on order (an offset would now skip one issue).
	curl -fsS -X POST "$RM/_mock/touch_on_list?id=1&after=1" >/dev/null
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + ":" + .ticket.id' | tr '\n' ' ')" \
	    "ticket.created:1 ticket.created:2 ticket.created:3 ticket.created:4 ticket.created:5 ticket.updated:1 "
	# Each page a new search from the last updated_on seen, offset 0.
	expect_eq "$(jq -r 'select(.path=="/issues.json" and .method=="GET") | .query.offset' "$T/rm.ndjson" | sort -u)" 0
	run ticket-sync pull
	expect_eq "$output" ""
}

@test "push: a new issue carries the customer: full phone, name, member id; a missed call names the caller" {
	rm_start
	run_in '{"channel":"sms","from":"+8613800138001","text":"leaks","customer":{"name":"Zhang San","member_id":"M1001"}}
{"event":"missed","call_id":"c9","queue":"support","caller":"+8613900139000","wait_s":12}
' ticket-sync push -q
	expect_eq "$status" 0
	expect_eq "$(jq -r 'select(.method=="POST" and .path=="/issues.json") | .body.issue.description' "$T/rm.ndjson")" \
	    "leaks

Customer: Zhang San, phone +8613800138001, member id M1001
Missed call from +8613900139000 (queue support) after 12 s.

Customer: phone +8613900139000"
}

# rm_issue SUBJECT PHONE: an issue opened in Redmine (not through
# ticket-sync) with the Phone custom field; prints its id.
rm_issue() {
	curl -fsS -X POST "$RM/issues.json" -H 'X-Redmine-API-Key: rmkey' \
	    -H 'Content-Type: application/json' -d "$(jq -nc --arg s "$1" --arg p "$2" \
	    '{issue: {project_id: "support", subject: $s, custom_fields: [{id: 1, value: $p}]}}')" |
	    jq -r .issue.id
}

@test "pull: phone_field names the custom field of the customer's phone on issues opened in Redmine" {
	rm_start
	printf 'phone_field = phone\n[defaults]\nregion = CN\n' >> "$CXKIT_CONFIG"
	expect_eq "$(rm_issue 'dryer noisy' '138 0013 8007')" 1
	expect_eq "$(rm_issue 'no number' '')" 2
	expect_eq "$(rm_issue 'bad number' 'call me')" 3
	run_in '' ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(jqo '[.ticket.id, .ticket.customer]' | tr '\n' ' ')" \
	    '["1",{"phone":"+8613800138007","member_id":null,"name":null,"lang":null}] ["2",{"phone":null,"member_id":null,"name":null,"lang":null}] ["3",{"phone":null,"member_id":null,"name":null,"lang":null}] '
	case $stderr_out in
	*"ticket 3: the requester's phone is not a valid phone number"*) ;;
	*) echo "stderr: $stderr_out" >&2; return 1 ;;
	esac
	# In the identity map: a reply from that phone is a note on issue 1.
	run_in '{"id":"r1","channel":"sms","from":"+8613800138007","text":"still noisy"}
' ticket-sync push -q
	expect_eq "$(jqo -r '.ticket.action + ":" + .ticket.id')" "commented:1"
}
