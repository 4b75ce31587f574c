#!/usr/bin/env bats
# sms-send: records, exit codes, bad input, outbox, journal, policies

load lib

setup() { setup_tmp; }
teardown() { teardown_tmp; }

@test "a request goes to the outbox when nothing is configured: exit 0" {
	run_in '{"id":"r1","to":"+8613800138000","text":"您好"}
' sms-send
	expect_eq "$status" 0
	expect_eq "$(jqo '.sms | [.status,.to,.provider,.segments,.encoding]')" \
	    '["outbox","+8613800138000","outbox",1,"UCS-2"]'
	[[ $stderr_out == *"no SMS provider configured"*outbox* ]]
	expect_eq "$(jq -r .text "$T/outbox/sms.ndjson")" "您好"
}

@test "every field of the record is kept, in order, with sms appended" {
	run_in '{"z":1,"id":"r2","to":"+14155552671","a":{"b":[1,2]},"text":"hi"}
' sms-send -q
	expect_eq "$(printf '%s' "$output" | jq -c keys_unsorted)" '["z","id","to","a","text","sms"]'
}

@test "--region turns a national number into E.164" {
	run_in '{"id":"r3","to":"138 0013 8000","text":"hi"}
' sms-send -q --region CN
	expect_eq "$(jqo -r .sms.to)" "+8613800138000"
}

@test "a re-run reports duplicates and sends nothing twice" {
	in='{"id":"a","to":"+8613800138000","text":"one"}
{"id":"b","to":"+8613800138001","text":"two"}
'
	run_in "$in" sms-send -q
	expect_eq "$status" 0
	run_in "$in" sms-send -q
	expect_eq "$status" 0
	expect_eq "$(jqo -r .sms.status | tr '\n' ' ')" "duplicate duplicate "
	expect_eq "$(wc -l < "$T/outbox/sms.ndjson")" 2
}

@test "the same id twice in one run is sent once" {
	run_in '{"id":"x","to":"+8613800138000","text":"one"}
{"id":"x","to":"+8613800138000","text":"one"}
' sms-send -q
	expect_eq "$(jqo -r .sms.status | tr '\n' ' ')" "outbox duplicate "
	expect_eq "$(wc -l < "$T/outbox/sms.ndjson")" 1
}

@test "records without id get a stable derived id" {
	in='{"to":"+8613800138000","text":"same"}
'
	run_in "$in" sms-send -q
	expect_eq "$(jqo -r .sms.status)" outbox
	run_in "$in" sms-send -q
	expect_eq "$(jqo -r .sms.status)" duplicate
}

@test "bad lines are reported with their line number, the rest goes on: exit 1" {
	in='{"id":"1","to":"+8613800138000","text":"ok"}
not json
[1,2]
{"id":"2","to":"+8613800138001","text":"ok"}
'
	run_in "$in" sms-send
	expect_eq "$status" 1
	expect_eq "$(jqo -r .id | tr '\n' ' ')" "1 2 "
	[[ $stderr_out == *"sms-send: <stdin>:2: not valid JSON"* ]]
	[[ $stderr_out == *"sms-send: <stdin>:3: not a JSON object (an array)"* ]]
}

@test "invalid UTF-8 is rejected and kept byte for byte with --rejects" {
	printf '{"id":"1","to":"+8613800138000","text":"ok"}\n{"text":"\xff\xfe"}\nnope\n' > "$T/in"
	run sms-send -q --rejects "$T/rej" < "$T/in"
	expect_eq "$status" 1
	printf '{"text":"\xff\xfe"}\nnope\n' > "$T/want"
	cmp "$T/rej" "$T/want"
}

@test "a 10 MB line is read whole" {
	python3 -c 'import json; print(json.dumps({"id":"big","to":"+8613800138000","text":"x","pad":"y"*10_000_000}))' > "$T/big"
	run sms-send -q < "$T/big"
	expect_eq "$status" 0
	expect_eq "$(printf '%s' "$output" | jq -r .sms.status)" outbox
	expect_eq "$(printf '%s' "$output" | jq -r '.pad|length')" 10000000
}

@test "missing to: failed with missing_field, exit 1" {
	run_in '{"id":"m","text":"hi"}
' sms-send
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.sms | [.status,.error.code,.error.retryable]')" '["failed","missing_field",false]'
	[[ $stderr_out == *"<stdin>:1: m: missing field 'to'"* ]]
}

@test "a bad number: failed with invalid_number naming the field" {
	run_in '{"id":"n","to":"12345","text":"hi"}
' sms-send --region CN
	expect_eq "$status" 1
	expect_eq "$(jqo -r .sms.error.code)" invalid_number
	[[ $(jqo -r .sms.error.message) == "'to' is not a valid phone number"* ]]
}

@test "customer.phone is used when there is no to" {
	run_in '{"id":"c","customer":{"phone":"+8613800138000"},"text":"hi"}
' sms-send -q
	expect_eq "$(jqo -r .sms.to)" "+8613800138000"
}

@test "templates: language fallback zh-HK -> zh, variables from vars, record and customer" {
	tmpl csat.zh '您好{{customer.name}}，工单{{ticket.id}}已完成，请回复1-9评分。{{sig}}'
	tmpl csat 'Hi {{customer.name}}, ticket {{ticket.id}} is done.'
	run_in '{"id":"t1","to":"+85291234567","template":"csat","lang":"zh-HK","vars":{"sig":"【客服】"},"ticket":{"id":"W20251001"},"customer":{"name":"王"}}
{"id":"t2","to":"+14155552671","template":"csat","ticket":{"id":"W2"},"customer":{"name":"Ann"}}
' sms-send -q
	expect_eq "$status" 0
	expect_eq "$(jq -r .text "$T/outbox/sms.ndjson" | head -1)" "您好王，工单W20251001已完成，请回复1-9评分。【客服】"
	expect_eq "$(jq -r .text "$T/outbox/sms.ndjson" | tail -1)" "Hi Ann, ticket W2 is done."
}

@test "a missing template variable fails the record, never sends {{...}}" {
	tmpl csat 'ticket {{ticket.id}} done'
	run_in '{"id":"v","to":"+14155552671","template":"csat"}
' sms-send
	expect_eq "$status" 1
	expect_eq "$(jqo -r .sms.error.code)" template_var_missing
	[[ $(jqo -r .sms.error.message) == *"'ticket.id'"* ]]
	[ ! -e "$T/outbox/sms.ndjson" ]
}

@test "--template applies to records that name none; a missing one is template_missing" {
	tmpl hello 'hello {{name}}'
	run_in '{"id":"h","to":"+14155552671","name":"Bo"}
{"id":"i","to":"+14155552671","template":"nope"}
' sms-send -q --template hello
	expect_eq "$(jqo -r '.sms.status + ":" + (.sms.error.code // "")' | tr '\n' ' ')" "outbox: failed:template_missing "
}

@test "--dry-run renders and checks, sends nothing, journals nothing" {
	run_in '{"id":"d","to":"+8613800138000","text":"hi"}
' sms-send -n
	expect_eq "$(jqo -r .sms.status)" dry_run
	[ ! -e "$T/outbox/sms.ndjson" ]
	run_in '{"id":"d","to":"+8613800138000","text":"hi"}
' sms-send -q
	expect_eq "$(jqo -r .sms.status)" outbox
}

@test "opted-out numbers are suppressed" {
	run_in '' sms-send -q
	sqlite3 "$CXKIT_STATE" "INSERT INTO optout(address,chan,created,source) VALUES('+8613800138000','sms',0,'test')"
	run_in '{"id":"o","to":"+8613800138000","text":"hi"}
' sms-send -q
	expect_eq "$status" 0
	expect_eq "$(jqo -c '.sms|[.status,.error.code]')" '["suppressed","opted_out"]'
}

@test "sensitive content is refused unless --allow-sensitive" {
	in='{"id":"s1","to":"+8613800138000","text":"card 4111 1111 1111 1111"}
{"id":"s2","to":"+8613800138000","text":"身份证 11010519491231002X"}
{"id":"s3","to":"+8613800138000","text":"order W20251001, call 13800138000"}
'
	run_in "$in" sms-send -q
	expect_eq "$status" 1
	expect_eq "$(jqo -r '.sms.error.code // .sms.status' | tr '\n' ' ')" "sensitive_content sensitive_content outbox "
	run_in '{"id":"s4","to":"+8613800138000","text":"card 4111 1111 1111 1111"}
' sms-send -q --allow-sensitive
	expect_eq "$(jqo -r .sms.status)" outbox
}

@test "--max-segments: too_long, never truncated" {
	long=$(printf '中%.0s' $(seq 1 200))
	run_in "{\"id\":\"l\",\"to\":\"+8613800138000\",\"text\":\"$long\"}
" sms-send -q --max-segments 2
	expect_eq "$(jqo -c '.sms|[.status,.error.code,.segments]')" '["failed","too_long",3]'
}

@test "segments and encoding: GSM-7 with the extension table" {
	run_in '{"id":"g","to":"+14155552671","text":"Price: 5€ [ok]"}
' sms-send -q
	expect_eq "$(jqo -c '.sms|[.segments,.encoding]')" '[1,"GSM-7"]'
}

@test "--quiet-hours defers with not_before in the recipient's zone" {
	export CXKIT_NOW=2025-10-01T14:30:00Z	# 22:30 in Shanghai
	run_in '{"id":"q","to":"+8613800138000","text":"hi"}
' sms-send -q --quiet-hours 21:00-08:00
	expect_eq "$status" 0
	expect_eq "$(jqo -c '[.sms.status,.not_before,.sms.error.code]')" '["deferred","2025-10-02T08:00:00+08:00","quiet_hours"]'
	[ ! -e "$T/outbox/sms.ndjson" ]
}

@test "not_before in the future defers; in the past sends" {
	export CXKIT_NOW=2025-10-01T00:00:00Z
	run_in '{"id":"f","to":"+8613800138000","text":"hi","not_before":"2025-10-02T00:00:00Z"}
{"id":"p","to":"+8613800138000","text":"hi","not_before":"2025-09-30T00:00:00Z"}
{"id":"b","to":"+8613800138000","text":"hi","not_before":"tomorrow"}
' sms-send -q
	expect_eq "$(jqo -r '.sms.status' | tr '\n' ' ')" "deferred outbox failed "
}

@test "usage errors exit 2 with a hint" {
	run sms-send --bogus
	expect_eq "$status" 2
	[[ $output == *Try*"sms-send --help"* ]]
	run sms-send --concurrency 0
	expect_eq "$status" 2
	run sms-send --quiet-hours 25:00-26:00
	expect_eq "$status" 2
	run sms-send extra-arg
	expect_eq "$status" 2
}

@test "--help exits 0 and --version names cxkit" {
	run sms-send --help
	expect_eq "$status" 0
	[[ $output == *"--via"* ]]
	run sms-send --version
	expect_eq "$status" 0
	[[ $output == "sms-send (cxkit) "* ]]
}

@test "config: an unknown key is refused with file, line and key: exit 2" {
	config '[provider tw]
type = twilio
account_sid = ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
auth_token = env:TW_TOKEN
colour = blue'
	run_in '' sms-send
	expect_eq "$status" 2
	[[ $stderr_out == *"config.ini:5:"*"colour"* ]]
}

@test "config: a literal secret in a group-readable file is refused" {
	config '[provider tw]
type = twilio
account_sid = ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
auth_token = s3cr3t'
	chmod 640 "$CXKIT_CONFIG"
	run_in '' sms-send
	expect_eq "$status" 2
	[[ $stderr_out == *"readable by group or others"* ]]
	[[ $stderr_out != *s3cr3t* ]]
}

@test "config: an unknown provider type is refused; --via to a missing provider is exit 2" {
	config '[provider x]
type = twillio'
	run_in '' sms-send
	expect_eq "$status" 2
	[[ $stderr_out == *"unknown type 'twillio'"* ]]
	config ''
	run_in '' sms-send --via nowhere
	expect_eq "$status" 2
}

@test "a state store that cannot be opened is fatal: exit 2" {
	run_in '{"id":"1","to":"+8613800138000","text":"hi"}
' sms-send --state /proc/nonexistent/state.db
	expect_eq "$status" 2
}

@test "stdout closed early: quiet exit" {
	for i in $(seq 1 2000); do echo "{\"id\":\"$i\",\"to\":\"+8613800138000\",\"text\":\"hi\"}"; done > "$T/in"
	run bash -c "sms-send -q < '$T/in' | head -1"
	expect_eq "$status" 0
	[[ $output != *"Broken pipe"* ]]
}

@test "phone numbers are masked in diagnostics" {
	run_in '{"id":"m","to":"+8613800138000"}
' sms-send
	[[ $stderr_out != *13800138000* ]]
	run_in '{"id":"m2","to":"+8613800138000"}
' sms-send --log-format json
	printf '%s\n' "$stderr_out" | jq -e 'select(.level=="warn") | .context == "<stdin>:1"' >/dev/null
}
