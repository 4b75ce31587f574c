#!/usr/bin/env bats
# ticket-sync: the local backend end to end, exactly-once pulls across a
# crash, identity, lookup, bad input, configuration errors

load lib

setup() { setup_tmp; }
teardown() { teardown_tmp; }

DAY=$TOP/tests/data/ticket-sync/day.ndjson

@test "usage: no command, an unknown one, show without ID: exit 2" {
	run_in '' ticket-sync
	expect_eq "$status" 2
	[[ $stderr_out == *"a command is needed"* ]]
	run_in '' ticket-sync frobnicate
	expect_eq "$status" 2
	[[ $stderr_out == *"unknown command 'frobnicate'"* ]]
	run_in '' ticket-sync show
	expect_eq "$status" 2
	run_in '' ticket-sync push --since 2025-01-01T00:00:00Z
	expect_eq "$status" 2
	run_in '' ticket-sync update 1
	expect_eq "$status" 2
}

@test "a day of events: push opens one ticket a customer, pull reports each change once" {
	[ -s "$DAY" ]
	run_in "$(cat "$DAY")
" ticket-sync push
	expect_eq "$status" 0
	[[ $stderr_out == *"tickets go to the local store"* ]]
	# Every record comes back, in order, with a ticket result.
	expect_eq "$(jqo -r '.id' | tr '\n' ' ')" "$(jq -r .id "$DAY" | tr '\n' ' ')"
	expect_eq "$(jqo -r '[.id, .ticket.action, (.ticket.id // "null")] | @tsv' | tr '\t\n' ': ')" \
	    "q1:created:1 q2:none:null m1:commented:1 s1:commented:1 m2:created:2 q3:created:3 w1:commented:2 c1:rated:1 s2:none:null "
	# The WeCom user who gave the phone of customer 2 lands on ticket 2.
	expect_eq "$(jqo -r 'select(.id=="w1") | .ticket.id')" 2
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r .event | sort | uniq -c | tr -s ' \n' ' ')" \
	    " 3 ticket.created "
	# Agents work: a reply, a solve, a reopen.
	ticket-sync update 1 --comment "Your refund is on its way" --author wang >/dev/null
	ticket-sync update 1 --status solved >/dev/null
	ticket-sync update 2 --status pending --comment "checking" --private >/dev/null
	ticket-sync update 1 --status open >/dev/null
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$(printf '%s\n' "$output" | jq -r '[.event, .ticket.id, .ticket.prev_status, .ticket.status] | join(" ")' | tr '\n' ',')" \
	    "ticket.comment 1 new new,ticket.solved 1 new solved,ticket.comment 2 new new,ticket.updated 2 new pending,ticket.reopened 1 solved open,"
	expect_eq "$(printf '%s\n' "$output" | jq -c 'select(.event=="ticket.comment" and .ticket.id=="1") | .comment')" \
	    '{"author":"wang","public":true,"body":"Your refund is on its way","by_agent":true}'
	expect_eq "$(printf '%s\n' "$output" | jq -c 'select(.ticket.id=="1") | .ticket.customer' | sort -u)" \
	    '{"phone":"+8613800138000","member_id":"M1001","name":"Zhang San","lang":"zh"}'
	# Nothing new: nothing out.  Ids are unique over all pulls.
	run ticket-sync pull
	expect_eq "$status" 0
	expect_eq "$output" ""
	run ticket-sync pull --since 2000-01-01T00:00:00Z
	expect_eq "$(printf '%s\n' "$output" | jq -r .id | sort | uniq -d)" ""
	expect_eq "$(printf '%s\n' "$output" | wc -l)" 8
}

@test "crash between writing the events and saving the cursor: they come again, nothing skipped" {
	run_in "$(head -3 "$DAY")
" ticket-sync push -q
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | wc -l)" 1
	ticket-sync update 1 --status solved >/dev/null
	ticket-sync update 1 --comment "done" >/dev/null
	CXKIT_TEST_CRASH=after-write run ticket-sync pull
	expect_eq "$status" 99
	first=$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')
	expect_eq "$(printf '%s\n' "$output" | wc -l)" 2
	ticket-sync update 1 --status open >/dev/null
	run ticket-sync pull
	expect_eq "$status" 0
	# The two unsaved events again, with the same ids, then the new one.
	expect_eq "$(printf '%s\n' "$output" | jq -r .id | head -2 | tr '\n' ' ')" "$first"
	expect_eq "$(printf '%s\n' "$output" | jq -r .event | tr '\n' ' ')" \
	    "ticket.solved ticket.comment ticket.reopened "
	run ticket-sync pull
	expect_eq "$output" ""
}

@test "identity: phone, member id and IM id are one customer; a conflict is never guessed" {
	run_in '{"id":"a","channel":"sms","from":"13800138000","text":"hi","intent":{"name":"other","entities":{}}}
{"id":"b","channel":"telegram","from":"tg42","text":"me again","customer":{"phone":"+86 138 0013 8000","member_id":"M9"}}
{"id":"c","channel":"telegram","from":"tg42","text":"and again"}
{"id":"e","channel":"sms","from":"+8613900139000","text":"someone else"}
{"id":"d","channel":"sms","from":"+8613900139000","customer":{"member_id":"M9"},"text":"who am I"}
' ticket-sync push --region CN
	expect_eq "$status" 1
	expect_eq "$(jqo -r '.ticket.id' | tr '\n' ' ')" "1 1 1 2 null "
	expect_eq "$(jqo -r 'select(.id=="d") | .ticket.error.code')" bad_field
	[[ $stderr_out == *"<stdin>:5: ambiguous customer: phone +86*******9000 is customer 2, member id M9 is customer 1"* ]]
	# The phone number never appears whole on stderr.
	[[ $stderr_out != *"13900139000"* ]]
}

@test "push: what the customer was sent becomes a comment; a csat reply rates the ticket" {
	run_in '{"id":"m","channel":"sms","from":"+8613800138000","text":"refund?","intent":{"name":"other","entities":{}}}
{"id":"r","to":"+8613800138000","text":"Your refund is on its way","sms":{"status":"sent","provider":"outbox"}}
{"id":"k","channel":"sms","from":"+8613800138000","text":"5","intent":{"name":"csat","entities":{"score":5,"scale":5}}}
{"id":"x","channel":"sms","from":"+8613700137000","text":"3","intent":{"name":"csat","entities":{"score":3,"scale":5}}}
' ticket-sync push -q
	expect_eq "$status" 1
	expect_eq "$(jqo -r '.ticket.action' | tr '\n' ' ')" "created commented rated failed "
	expect_eq "$(jqo -r 'select(.id=="x") | .ticket.error.code')" not_found
	run ticket-sync show 1
	expect_eq "$status" 0
	expect_eq "$(printf '%s' "$output" | jq -c '.satisfaction')" '{"score":5,"scale":5}'
	expect_eq "$(printf '%s' "$output" | jq -r '.comments[1].body')" \
	    "SMS sent via outbox: Your refund is on its way"
	expect_eq "$(printf '%s' "$output" | jq -r '.comments[1].public')" false
}

@test "lookup: by order, by ticket id, by customer; unknown ones get not_found" {
	run_in '{"id":"m","channel":"sms","from":"+8613800138000","text":"退款 W20251001","intent":{"name":"order_query","entities":{"order":"W20251001"}}}
' ticket-sync push -q
	ticket-sync update 1 --status solved >/dev/null
	run_in '{"id":"1","text":"进度 w20251001","from":"+8613800138000","intent":{"name":"order_query","entities":{"order":"W20251001"}}}
{"id":"2","text":"进度 W1","from":"+8613800138000","intent":{"name":"order_query","entities":{"order":"W1"}}}
{"id":"3","ticket":{"id":1}}
{"id":"4","ticket":{"id":"77"}}
{"id":"5","channel":"sms","from":"+8613800138000","text":"?"}
{"id":"6","channel":"sms","from":"+8613700137000","text":"?"}
{"id":"7","text":"no sender"}
' ticket-sync lookup
	expect_eq "$status" 1
	expect_eq "$(jqo -r '[.id, .ticket.id, .ticket.status, .ticket.error.code] | map(. // "-") | join(":")' | tr '\n' ' ')" \
	    "1:1:solved:- 2:-:-:not_found 3:1:solved:- 4:-:-:not_found 5:1:solved:- 6:-:-:not_found 7:-:-:missing_field "
	[[ $stderr_out == *"<stdin>:2: no ticket for order W1"* ]]
	# lookup changes nothing: the unknown customer is still unknown.
	run_in '{"channel":"sms","from":"+8613700137000","text":"?"}
' ticket-sync lookup
	expect_eq "$(jqo -r .ticket.error.code)" not_found
}

@test "a solved ticket is not reopened by a new message: a new ticket is" {
	run_in '{"channel":"sms","from":"+8613800138000","text":"a"}
' ticket-sync push -q
	ticket-sync update 1 --status solved >/dev/null
	run_in '{"channel":"sms","from":"+8613800138000","text":"b"}
' ticket-sync push -q
	expect_eq "$(jqo -c '[.ticket.action, .ticket.id]')" '["created","2"]'
	run ticket-sync list
	expect_eq "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "2 "
	run ticket-sync list --all
	expect_eq "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "1 2 "
	run ticket-sync list --status solved
	expect_eq "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "1 "
}

@test "bad input: bad lines, a bad number, a missing customer; the stream goes on" {
	run_in '{"channel":"sms","from":"+8613800138000","text":"a"}
not json
{"channel":"sms","from":"12","text":"b"}
{"text":"c"}
{"event":"abandon","call_id":"x","queue":"q"}
{"channel":"sms","from":"+8613800138000","text":"d"}
' ticket-sync push --rejects "$T/rej"
	expect_eq "$status" 1
	expect_eq "$(jqo -r '.ticket.action + ":" + (.ticket.error.code // "-")' | tr '\n' ' ')" \
	    "created:- failed:invalid_number failed:missing_field failed:missing_field commented:- "
	[[ $stderr_out == *"<stdin>:2: not valid JSON"* ]]
	[[ $stderr_out == *"<stdin>:3: 'from' is not a valid phone number"* ]]
	expect_eq "$(cat "$T/rej")" "not json"
}

@test "show and update of a ticket that does not exist: exit 1 with a clear error" {
	run_in '' ticket-sync show 42
	expect_eq "$status" 1
	[[ $stderr_out == *"show 42: no ticket 42 in the local store"* ]]
	run_in '' ticket-sync update abc --status solved
	expect_eq "$status" 1
	[[ $stderr_out == *"no ticket 'abc'"* ]]
}

@test "dry run: push changes nothing" {
	run_in '{"channel":"sms","from":"+8613800138000","text":"a"}
' ticket-sync push -n -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r .ticket.action)" dry_run
	run ticket-sync list --all
	expect_eq "$output" ""
}

@test "configuration: unknown type, unknown key, missing secret, two sections without --via" {
	config '[ticket a]
type = jira'
	run_in '' ticket-sync pull
	expect_eq "$status" 2
	[[ $stderr_out == *"config.ini:2: [ticket a] type: unknown type 'jira'"* ]]
	config '[ticket a]
type = zendesk
url = http://127.0.0.1:9
token = env:TS_NO_SUCH_VAR
colour = blue'
	run_in '' ticket-sync pull
	expect_eq "$status" 2
	[[ $stderr_out == *"unknown key 'colour'"* ]]
	config '[ticket a]
type = zendesk
url = http://127.0.0.1:9
token = env:TS_NO_SUCH_VAR'
	run_in '' ticket-sync pull
	expect_eq "$status" 2
	[[ $stderr_out == *"TS_NO_SUCH_VAR"* ]]
	config '[ticket a]
type = local
[ticket b]
type = local'
	run_in '' ticket-sync list
	expect_eq "$status" 2
	[[ $stderr_out == *"several [ticket] sections"* ]]
	run_in '' ticket-sync list --via b
	expect_eq "$status" 0
	run_in '' ticket-sync list --via c
	expect_eq "$status" 2
	[[ $stderr_out == *"no section [ticket c]"* ]]
}

@test "a network failure on pull: exit 1, the cursor stays" {
	config '[ticket zd]
type = zendesk
url = http://127.0.0.1:9
user = a@example.com
token = env:TS_TOKEN
timeout = 2'
	cursor() { sqlite3 "$CXKIT_STATE" "SELECT value FROM kv WHERE ns='ticket-sync.cursor' AND key='zd'"; }
	TS_TOKEN=secret-xyz run ticket-sync pull
	expect_eq "$status" 1
	[[ $output == *"pull: zd:"* ]]
	[[ $output != *"secret-xyz"* ]]
	expect_eq "$(cursor)" ""
	# A cursor saved by an earlier pull stays, and is the one asked for.
	sqlite3 "$CXKIT_STATE" "INSERT INTO kv (ns, key, value) VALUES ('ticket-sync.cursor', 'zd', 'CURSOR-1')"
	TS_TOKEN=secret-xyz run ticket-sync -vv pull
	expect_eq "$status" 1
	[[ $output == *"cursor.json?cursor=CURSOR-1"* ]]
	expect_eq "$(cursor)" "CURSOR-1"
}

@test "an opt-out opens no ticket, but goes on an open one" {
	run_in '{"channel":"sms","from":"+8613800138000","text":"STOP","intent":{"name":"opt_out","entities":{}}}
{"channel":"sms","from":"+8613900139000","text":"broken","intent":{"name":"other","entities":{}}}
{"channel":"sms","from":"+8613900139000","text":"TD","intent":{"name":"opt_out","entities":{}}}
' ticket-sync push -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r '.ticket.action + ":" + (.ticket.id // "-")' | tr '\n' ' ')" \
	    "none:- created:1 commented:1 "
}

@test "a --since replay moves nothing: the next pull still has the changes" {
	run_in '{"channel":"sms","from":"+8613800138000","text":"a"}
' ticket-sync push -q
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r .event)" ticket.created
	before=$(sqlite3 "$CXKIT_STATE" "SELECT value FROM kv WHERE ns='ticket-sync.cursor'")
	ticket-sync update 1 --status solved >/dev/null
	run ticket-sync pull --since 2000-01-01T00:00:00Z
	# (ticket-sync(1): the local log's prev_status, not null)
	expect_eq "$(printf '%s\n' "$output" | jq -r '.event + ":" + (.ticket.prev_status // "null")' | tr '\n' ' ')" \
	    "ticket.created:null ticket.solved:new "
	expect_eq "$(sqlite3 "$CXKIT_STATE" "SELECT value FROM kv WHERE ns='ticket-sync.cursor'")" "$before"
	run ticket-sync pull
	expect_eq "$(printf '%s\n' "$output" | jq -r .event)" ticket.solved
}

@test "push: a plain queue-notify request opens the caller's ticket, with the caller's number" {
	run_in '{"id":"qn:abandon:c1","to":"+8613800138000","template":"queue_abandon","vars":{},"queue":{"reason":"abandon","call_id":"c1","queue":"support","wait_s":95}}
{"id":"qn:wait:c2:1","to":"+8613900139000","template":"queue_wait","queue":{"reason":"wait","call_id":"c2","queue":"support"}}
' ticket-sync push -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r '.ticket.action + ":" + (.ticket.id // "-")' | tr '\n' ' ')" "created:1 none:- "
	run ticket-sync show 1
	expect_eq "$(printf '%s' "$output" | jq -r '.customer.phone + " | " + .comments[0].body')" \
	    "+8613800138000 | Abandoned call from +8613800138000 (queue support) after 95 s."
}

@test "push: an im-send result finds the customer by channel and to" {
	run_in '{"id":"in","channel":"wecom","from":"lisi","to":"corp","text":"refund?"}
{"id":"out","channel":"wecom","to":"lisi","text":"We are on it","im":{"status":"sent","to":"lisi","provider":"wecom-app"}}
{"id":"out2","via":"wecom","to":"lisi","text":"Any news?","im":{"status":"sent","to":"lisi","provider":"wecom-app"}}
' ticket-sync push -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r '.ticket.action + ":" + .ticket.id' | tr '\n' ' ')" "created:1 commented:1 commented:1 "
	run ticket-sync show 1
	expect_eq "$(printf '%s' "$output" | jq -r '.comments[1].body')" \
	    "IM sent via wecom-app: We are on it"
}

@test "lookup | sms-send --template order_status: a known order gets its status, --template-not-found answers an unknown one" {
	cp "$TOP"/examples/templates/order_status*.txt "$T/templates/"
	run_in '{"id":"m","channel":"sms","from":"+8613800138000","text":"refund W20251001","intent":{"name":"order_query","entities":{"order":"W20251001"}}}
' ticket-sync push -q
	ticket-sync update 1 --status solved >/dev/null
	q='{"id":"q1","channel":"sms","from":"+8613800138000","to":"10690000","lang":"en","text":"status W20251001","intent":{"name":"order_query","entities":{"order":"W20251001"}}}
{"id":"q2","channel":"sms","from":"+8613900139000","to":"10690000","lang":"zh","text":"进度 W1","intent":{"name":"order_query","entities":{"order":"W1"}}}'
	# Without it, the template engine has no answer for a null ticket.id.
	printf '%s\n' "$q" | ticket-sync lookup -q 2>/dev/null | jq -c '.to = .from' |
	    sms-send -q -n --template order_status > "$T/dry" 2>/dev/null || true
	expect_eq "$(jq -r '.sms.status + ":" + (.sms.error.code // "-")' "$T/dry" | tr '\n' ' ')" \
	    "dry_run:- failed:template_var_missing "
	# The flow of README and ticket-sync(1), with examples/templates.
	printf '%s\n' "$q" | ticket-sync lookup -q --template-not-found order_status_not_found 2>/dev/null |
	    jq -c '.to = .from' | sms-send -q --template order_status > "$T/sent"
	expect_eq "$(jq -r '.template // "-"' "$T/sent" | tr '\n' ' ')" "- order_status_not_found "
	expect_eq "$(jq -r '.to + " " + .text' "$T/outbox/sms.ndjson")" \
	    "+8613800138000 Your request 1 (Message: refund W20251001) is solved. Reply with a question and an agent will answer.
+8613900139000 【客服中心】未找到该订单或工单，请核对单号后重新发送，或直接回复您的问题，客服会尽快答复。"
	run_in '' ticket-sync pull --template-not-found x
	expect_eq "$status" 2
}

@test "a record whose transaction cannot be written fails (state_error, retryable); a failed record is rolled back" {
	run_in '{"channel":"sms","from":"+8613800138000","text":"a"}
' ticket-sync push -q
	# Another process holds the write lock past the busy timeout (10 s).
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(11)
c.execute("ROLLBACK")' "$CXKIT_STATE" "$T/locked" &
	while [ ! -e "$T/locked" ]; do sleep 0.05; done
	run_in '{"channel":"sms","from":"+8613800138001","text":"b"}
' ticket-sync push -q
	wait
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.ticket | [.action, .error.code, .error.retryable]')" '["failed","state_error",true]'
	run ticket-sync list
	expect_eq "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "1 "
	# A csat reply with no ticket to rate fails: its new customer is not kept.
	run_in '{"channel":"sms","from":"+8613700137000","text":"5","intent":{"name":"csat","entities":{"score":5,"scale":5}}}
' ticket-sync push -q
	expect_eq "$(jqo -r .ticket.error.code)" not_found
	expect_eq "$(sqlite3 "$CXKIT_STATE" "SELECT count(*) FROM ts_identity WHERE value LIKE '%8613700137000%'")" 0
}
