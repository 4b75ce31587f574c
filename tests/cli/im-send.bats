#!/usr/bin/env bats
# im-send: every target against the mock (tests/mock/provider-mock) on
# 127.0.0.1, the outbox, splitting, pacing, the journal, bad input.

load lib

setup() {
	setup_tmp
	MOCK_ARGS="--robot-window 2 --robot-max 25"
	mock_start
	export WECOM_HOOK="$MOCK_URL/cgi-bin/webhook/send?key=wecomkey"
	export DING_HOOK="$MOCK_URL/robot/send?access_token=dingtoken"
	export FEISHU_HOOK="$MOCK_URL/open-apis/bot/v2/hook/feishutoken"
	export SLACK_HOOK="$MOCK_URL/services/TMOCK/BMOCK/slacksecret"
	export TEAMS_HOOK="$MOCK_URL/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=teamssig"
	config "[provider wecom]
type = wecom-robot
webhook = env:WECOM_HOOK
rate = 10

[provider wapp]
type = wecom-app
base_url = $MOCK_URL
corp_id = wwcorp
corp_secret = wwsecret
agent_id = 1000002

[provider ding]
type = dingtalk
webhook = env:DING_HOOK
secret = SECdingsecret
rate = 10

[provider feishu]
type = feishu
webhook = env:FEISHU_HOOK
secret = feishusecret

[provider slackhook]
type = slack
webhook = env:SLACK_HOOK

[provider slackbot]
type = slack
base_url = $MOCK_URL/api
bot_token = xoxb-mock
to = C0123

[provider teams]
type = teams
webhook = env:TEAMS_HOOK

[provider tg]
type = telegram
base_url = $MOCK_URL
bot_token = 123:telegramtoken

[provider mx]
type = matrix
base_url = $MOCK_URL
access_token = matrixtoken
room = !room:example.org"
}
teardown() { teardown_tmp; }

# sent_via TARGET RECORD: one record through TARGET must be sent.
sent_via() {
	run_in "$2
" im-send --via "$1"
	if [ "$status" -ne 0 ]; then
		printf '%s\n%s\n' "$output" "$stderr_out" >&2
		return 1
	fi
	expect_eq "$(jqo -r .im.status)" sent
}

@test "no target configured: the outbox, exit 0" {
	config ''
	run_in '{"id":"o1","to":"ops-room","text":"队列已满：12 人等待"}
' im-send
	expect_eq "$status" 0
	expect_eq "$(jqo -c '.im|[.status,.provider,.parts]')" '["outbox","outbox",1]'
	[[ $stderr_out == *"no IM provider configured"* ]]
	expect_eq "$(jq -r .text "$T/outbox/im.ndjson")" "队列已满：12 人等待"
}

@test "wecom-robot: text with mentioned mobiles" {
	sent_via wecom '{"id":"w1","text":"热线排队 15 人","mention":["13800138000"]}'
	expect_eq "$(mock_count '.provider=="wecom-robot" and .status==200 and .text=="热线排队 15 人"')" 1
}

@test "wecom-robot: a file is uploaded, then sent by its media_id" {
	printf 'ticket W1 transcript\n' > "$T/通话记录 W1.txt"
	sent_via wecom "{\"id\":\"wf1\",\"text\":\"transcript\",\"file\":\"$T/通话记录 W1.txt\"}"
	expect_eq "$(mock_count '.provider=="wecom-robot" and .op=="upload_media" and .filename=="通话记录 W1.txt" and .media_bytes==21')" 1
	mid=$(jq -r 'select(.op=="upload_media") | .media_id' "$MOCK_REC")
	expect_eq "$(mock_count ".op==\"send\" and .msgtype==\"file\" and .media_id==\"$mid\" and .status==200")" 1
	printf 'hi' > "$T/tiny"
	run_in "{\"id\":\"wf2\",\"text\":\"x\",\"file\":\"$T/tiny\"}
" im-send --via wecom
	expect_eq "$(jqo -r .im.error.code)" bad_field
	expect_eq "$(mock_count '.op=="upload_media"')" 1
}

@test "wecom-app: token fetched once, cached in the state store, refreshed when expired" {
	sent_via wapp '{"id":"a1","to":"zhangsan","text":"工单 W1 已完成"}'
	sent_via wapp '{"id":"a2","to":"zhangsan","text":"工单 W2 已完成"}'
	expect_eq "$(curl -s "$MOCK_URL/_mock/stats" | jq '.tokens_issued // .wecom_tokens // 0')" 1
	curl -s -X POST "$MOCK_URL/_mock/expire-tokens" >/dev/null
	sent_via wapp '{"id":"a3","to":"zhangsan","text":"工单 W3 已完成"}'
	[ -n "$(jqo -r .im.provider_id)" ]
}

@test "dingtalk: signed robot request" {
	sent_via ding '{"id":"d1","text":"hotline overflow"}'
	expect_eq "$(mock_count '.provider=="dingtalk" and .sig_ok and .status==200')" 1
}

@test "feishu: signed bot request" {
	sent_via feishu '{"id":"f1","text":"队列告警"}'
	expect_eq "$(mock_count '.provider=="feishu" and .sig_ok')" 1
}

@test "dingtalk: an actionCard with one button when card is true" {
	sent_via ding '{"id":"d2","card":true,"title":"排队告警","text":"### 12 人等待","url":"https://example.org/q","button":"打开队列"}'
	expect_eq "$(mock_count '.provider=="dingtalk" and .msgtype=="actionCard" and .title=="排队告警" and .sig_ok and .status==200')" 1
}

@test "feishu: an interactive card when card is true" {
	sent_via feishu '{"id":"f2","card":true,"title":"排队告警","text":"**12** 人等待","url":"https://example.org/q"}'
	expect_eq "$(mock_count '.provider=="feishu" and .msgtype=="interactive" and .sig_ok and .status==200 and (.text|contains("排队告警") and contains("查看详情"))')" 1
}

@test "slack: incoming webhook and chat.postMessage with a thread" {
	sent_via slackhook '{"id":"s1","text":"hotline: 12 waiting"}'
	sent_via slackbot '{"id":"s2","text":"ticket W1 solved","thread":"1700000000.000100"}'
	[ -n "$(jqo -r .im.provider_id)" ]
}

@test "teams: an Adaptive Card through a Workflows webhook" {
	sent_via teams '{"id":"t1","title":"Hotline","text":"12 callers waiting","url":"https://example.org/q"}'
}

@test "telegram: plain text by default, chat from to" {
	sent_via tg '{"id":"g1","to":"4242","text":"Your repair W1 is done - thanks!"}'
	expect_eq "$(jqo -r .im.provider_id | grep -c '^[0-9][0-9]*$')" 1
	expect_eq "$(mock_count '.provider=="telegram" and (.parse_mode // "")==""')" 1
}

@test "matrix: a retry after a timeout is safe: the server knows the txnId" {
	sent_via mx '{"id":"m1","text":"hello room"}'
	[[ $(jqo -r .im.provider_id) == \$* ]]
	# The first attempt is delivered but answered too late; the retry
	# (allowed: Matrix de-duplicates) gets the same event, delivered once.
	run_in '{"id":"m2","text":"slow room #faulttimeout"}
' im-send --via mx --timeout 1
	expect_eq "$(jqo -c '.im|[.status,.attempts]')" '["sent",2]'
	expect_eq "$(mock_count '.provider=="matrix" and .delivered and (.text|test("slow room"))')" 1
	# Telegram has no such key: the same fault leaves the outcome unknown.
	run_in '{"id":"g2","to":"4242","text":"slow chat #faulttimeout"}
' im-send --via tg --timeout 1
	expect_eq "$(jqo -c '.im|[.status,.error.code,.attempts]')" '["unknown","timeout",1]'
}

@test "a long text is split into numbered parts, in order, never truncated" {
	long=$(python3 -c 'print(("这是一段很长的工单说明，" * 500) + "完")')
	run_in "{\"id\":\"L1\",\"to\":\"4242\",\"text\":\"$long\"}
" im-send --via tg
	expect_eq "$status" 0
	n=$(jqo -r .im.parts)
	[ "$n" -ge 2 ]
	expect_eq "$(mock_count '.provider=="telegram" and .status==200')" "$n"
	jq -r 'select(.provider=="telegram") | .text' "$MOCK_REC" | head -1 | grep -q "^(1/$n) "
	# the re-run sends nothing
	run_in "{\"id\":\"L1\",\"to\":\"4242\",\"text\":\"$long\"}
" im-send --via tg
	expect_eq "$(jqo -r .im.status)" duplicate
	expect_eq "$(mock_count '.provider=="telegram" and .status==200')" "$n"
	# --overflow=fail refuses instead
	run_in "{\"id\":\"L2\",\"to\":\"4242\",\"text\":\"$long\"}
" im-send --via tg --overflow fail
	expect_eq "$(jqo -c '.im|[.status,.error.code]')" '["failed","too_long"]'
}

@test "a robot target is paced: 100 messages at 10/s take >= 9 s and none hits the limit" {
	for i in $(seq 1 100); do printf '{"id":"p%d","text":"alert %d"}\n' "$i" "$i"; done > "$T/in"
	start=$(date +%s)
	run bash -c "im-send -q --via wecom < '$T/in'"
	end=$(date +%s)
	expect_eq "$status" 0
	[ $((end - start)) -ge 9 ]
	expect_eq "$(mock_count '.provider=="wecom-robot" and .status==200')" 100
	expect_eq "$(jq -c 'select(.provider=="wecom-robot") | .error' "$MOCK_REC" | grep -c 45009 || true)" 0
}

@test "the robot's default pace is 20 a minute (3 s apart)" {
	config "[provider slow]
type = wecom-robot
webhook = env:WECOM_HOOK"
	start=$(date +%s%N)
	run_in '{"id":"r1","text":"a"}
{"id":"r2","text":"b"}
' im-send
	end=$(date +%s%N)
	expect_eq "$(jqo -r .im.status | sort -u)" sent
	[ $(( (end - start) / 1000000 )) -ge 2900 ]
}

@test "a 429 with Retry-After is waited out; a 500 fails retryable" {
	run_in '{"id":"e1","to":"4242","text":"hi #fault429"}
' im-send --via tg
	expect_eq "$(jqo -c '.im|[.status,.attempts]')" '["sent",2]'
	run_in '{"id":"e2","to":"4242","text":"hi #fault500"}
' im-send --via tg --retries 1
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.im|[.status,.error.retryable,.attempts]')" '["failed",true,2]'
}

@test "nothing twice: a re-run reports duplicates" {
	run_in '{"id":"x1","text":"one"}
' im-send --via slackhook
	run_in '{"id":"x1","text":"one"}
' im-send --via slackhook
	expect_eq "$(jqo -r .im.status)" duplicate
	expect_eq "$(mock_count '.provider=="slack"')" 1
}

@test "bad input: not JSON, no text, to not a string, unknown target, no to for a chat target" {
	printf '%s\n' 'nope' '{"id":"b1","via":"slackhook"}' '{"id":"b2","text":"x","to":5,"via":"slackhook"}' \
	    '{"id":"b3","text":"x","via":"nowhere"}' '{"id":"b4","text":"x","via":"tg"}' > "$T/in"
	run bash -c "im-send < '$T/in' 2>/dev/null"
	expect_eq "$status" 1
	expect_eq "$(printf '%s\n' "$output" | jq -r .im.error.code | tr '\n' ' ')" \
	    "missing_field bad_field unknown_provider missing_field "
}

@test "the sensitive-content guard is on for targets that reach customers" {
	run_in '{"id":"c1","to":"4242","text":"card 4111 1111 1111 1111"}
' im-send --via tg
	expect_eq "$(jqo -r .im.error.code)" sensitive_content
	run_in '{"id":"c2","text":"card 4111 1111 1111 1111"}
' im-send --via slackhook
	expect_eq "$(jqo -r .im.status)" sent
}

@test "a missing secret or unknown key is a configuration error: exit 2" {
	config "[provider tg]
type = telegram
bot_token = env:NOT_SET_ANYWHERE"
	run_in '' im-send
	expect_eq "$status" 2
	[[ $stderr_out == *NOT_SET_ANYWHERE* ]]
	config "[provider tg]
type = telegram
bot_token = x
colour = red"
	run_in '' im-send
	expect_eq "$status" 2
	[[ $stderr_out == *"colour"* ]]
}

@test "telegram: template values are escaped for the record's parse_mode" {
	tmpl tg_hi '*Hello* {{name}}, ticket {{ticket}}'
	run_in '{"id":"tg1","to":"4242","template":"tg_hi","parse_mode":"MarkdownV2","vars":{"name":"Ann-Marie (VIP)","ticket":"W-1.2"}}
' im-send --via tg
	expect_eq "$(jqo -r .im.status)" sent
	expect_eq "$(jq -r 'select(.provider=="telegram") | .text' "$MOCK_REC")" "Hello Ann-Marie (VIP), ticket W-1.2"
	tmpl tg_html '<b>Hi</b> {{name}}'
	run_in '{"id":"tg2","to":"4242","template":"tg_html","parse_mode":"HTML","vars":{"name":"A&B <co>"}}
' im-send --via tg
	expect_eq "$(jqo -r .im.status)" sent
	expect_eq "$(jq -r 'select(.provider=="telegram" and .parse_mode=="HTML") | .markup' "$MOCK_REC")" '<b>Hi</b> A&amp;B &lt;co&gt;'
}
