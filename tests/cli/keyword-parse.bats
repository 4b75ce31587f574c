#!/usr/bin/env bats
# keyword-parse: the golden set, bad input, rules files, --record

load lib

setup() { setup_tmp; }
teardown() { teardown_tmp; }

GOLDEN=$TOP/tests/data/keyword-parse/golden.ndjson

@test "golden set: every reply gets its expected intent, confidence and entities" {
	[ -s "$GOLDEN" ]
	run_in "$(cat "$GOLDEN")
" keyword-parse
	expect_eq "$status" 0
	printf '%s\n' "$output" | jq -c 'select(.intent.name != .want.name
	    or .intent.confidence != .want.confidence
	    or .intent.entities != .want.entities)
	    | {text, want, got: (.intent | {name, confidence, entities, rule})}' > "$T/miss"
	total=$(printf '%s\n' "$output" | wc -l)
	printf '# %s replies, %s mismatches\n' "$total" "$(wc -l < "$T/miss")" >&3
	[ ! -s "$T/miss" ] || { head -40 "$T/miss" >&2; false; }
	[ "$total" -ge 300 ]
}

@test "the record is kept whole and the text unchanged" {
	run_in '{"id":"m1","channel":"sms","from":"+8613800138000","text":"【１】 ","x":[1]}
' keyword-parse
	expect_eq "$(jqo -c '[.id,.text,.x,.intent.name,.intent.entities.choice,.intent.confidence]')" \
	    '["m1","【１】 ",[1],"menu",1,"exact"]'
	expect_eq "$(printf '%s' "$output" | jq -c keys_unsorted)" '["id","channel","from","text","x","intent"]'
}

@test "opt-out wins over the user's rules; user rules come before the other packs" {
	cat > "$T/r.rules" <<'R'
[rule stop_is_mine]
intent = mine
test = has_any_word stop 1
R
	run_in '{"text":"STOP"}
{"text":"1"}
' keyword-parse -r "$T/r.rules"
	expect_eq "$(jqo -r .intent.name | tr '\n' ' ')" "opt_out mine "
}

@test "CJK words are found inside text (goflow misses this); phrases restart right" {
	cat > "$T/r.rules" <<'R'
[rule refund]
intent = r
test = has_any_word 退款
[rule fox]
intent = f
test = has_phrase brown fox
[rule cant]
intent = c
test = has_any_word can
R
	run_in '{"text":"我想退款谢谢"}
{"text":"brown brown fox"}
{"text":"I can'"'"'t"}
' keyword-parse --packs none -r "$T/r.rules"
	expect_eq "$(jqo -r .intent.name | tr '\n' ' ')" "r f other "
}

@test "every test of the rules format, with entities" {
	cat > "$T/r.rules" <<'R'
[rule all]
intent = all
test = has_all_words 发票 开
[rule beg]
intent = beg
test = has_beginning hello world
[rule phone]
intent = phone
test = has_phone CN
[rule between]
intent = between
test = has_number_between 100 200
as = amount
[rule email]
intent = email
test = has_email
[rule date]
intent = date
test = has_date
[rule only]
intent = only
test = has_only_phrase world too
[rule pat]
intent = pat
test = has_pattern ^tk(?<n>\d+)$
numbers = n
set = kind=ticket urgent=true level=2
[rule num]
intent = num
test = has_number
[rule text]
intent = text
test = has_text
R
	run_in '{"text":"帮我開個發票"}
{"text":"Hello World, again"}
{"text":"price 150 yuan"}
{"text":"call me on 138 0013 8000"}
{"text":"mail a.b@example.com."}
{"text":"2025年10月8日 ok"}
{"text":" World,   Too! "}
{"text":"TK42"}
{"text":"just 7"}
{"text":"hmm"}
{"text":""}
' keyword-parse --packs none -r "$T/r.rules"
	expect_eq "$(jqo -c '[.intent.name, .intent.entities]' | tr '\n' ' ')" \
	    '["all",{}] ["beg",{}] ["between",{"amount":150}] ["phone",{"phone":"+8613800138000"}] ["email",{"email":"a.b@example.com"}] ["date",{"date":"2025-10-08"}] ["only",{}] ["pat",{"n":42,"kind":"ticket","urgent":true,"level":2}] ["num",{"number":7}] ["text",{}] ["other",{}] '
}

@test "a rules file with an error is refused at start with file, line and reason: exit 2" {
	printf '[rule a]\nintent = x\ntest = has_pattern (unclosed\n' > "$T/bad.rules"
	run_in '{"text":"x"}
' keyword-parse -r "$T/bad.rules"
	expect_eq "$status" 2
	[[ $stderr_out == *"bad.rules:3: bad pattern at offset"* ]]
	printf '[rule a]\nintent = x\ntest = has_wings x\n' > "$T/bad.rules"
	run_in '' keyword-parse -r "$T/bad.rules"
	expect_eq "$status" 2
	[[ $stderr_out == *"bad.rules:3: unknown test 'has_wings'"* ]]
	printf '[rule a]\nintent = x\n' > "$T/bad.rules"
	run_in '' keyword-parse -r "$T/bad.rules"
	[[ $stderr_out == *"bad.rules:1: [rule a] needs 'test'"* ]]
	printf 'intent = x\n' > "$T/bad.rules"
	run_in '' keyword-parse -r "$T/bad.rules"
	[[ $stderr_out == *"bad.rules:1: a key before any [rule NAME]"* ]]
	run_in '' keyword-parse -r "$T/missing.rules"
	expect_eq "$status" 2
	run_in '' keyword-parse --packs nope
	expect_eq "$status" 2
}

@test "a catastrophic pattern fails that record, the stream goes on" {
	printf '[rule slow]\nintent = slow\ntest = has_pattern ^(a+)+$\n' > "$T/slow.rules"
	long=$(printf 'a%.0s' $(seq 1 40))
	run_in "{\"id\":1,\"text\":\"${long}b\"}
{\"id\":2,\"text\":\"STOP\"}
" keyword-parse -r "$T/slow.rules"
	expect_eq "$status" 1
	expect_eq "$(jqo -c '[.id, .intent.name, .intent.error.code]' | tr '\n' ' ')" '[1,null,"match_limit"] [2,"opt_out",null] '
	[[ $stderr_out == *"<stdin>:1: rule slow"*"match limit"* ]]
}

@test "bad input: not JSON, no text, text not a string, invalid UTF-8; the rest goes on" {
	printf '{"text":"STOP"}\nnope\n{"id":"n"}\n{"text":5}\n{"text":"\xff"}\n{"text":"EN"}\n' > "$T/in"
	run bash -c "keyword-parse --rejects '$T/rej' < '$T/in' 2>/dev/null"
	expect_eq "$status" 1
	expect_eq "$(printf '%s\n' "$output" | jq -c '[.intent.name, .intent.error.code]' | tr '\n' ' ')" \
	    '["opt_out",null] [null,"missing_field"] [null,"bad_field"] ["language",null] '
	expect_eq "$(wc -l < "$T/rej")" 2
}

@test "--record: STOP stops sms-send at once; START lifts it; a language choice is used" {
	printf '%s\n' 'Hello {{name}}' > "$T/templates/hi.txt"
	printf '%s\n' '你好{{name}}' > "$T/templates/hi.zh-CN.txt"
	run_in '{"id":"i1","channel":"sms","from":"13800138000","text":"退订"}
{"id":"i2","channel":"sms","from":"+8613800138001","text":"中文"}
{"id":"i3","channel":"sms","from":"+8613800138002","text":"please stop texting me"}
' keyword-parse --record --region CN
	expect_eq "$status" 0
	expect_eq "$(jqo -c '[.intent.name, .intent.recorded]' | tr '\n' ' ')" '["opt_out",true] ["language",true] ["opt_out",null] '
	run_in '{"id":"s1","to":"+8613800138000","text":"hi"}
{"id":"s2","to":"+8613800138001","template":"hi","name":"王"}
{"id":"s3","to":"+8613800138002","text":"hi"}
' sms-send -q
	expect_eq "$(jqo -r .sms.status | tr '\n' ' ')" "suppressed outbox outbox "
	expect_eq "$(jq -r .text "$T/outbox/sms.ndjson" | head -1)" "你好王"
	run_in '{"id":"i4","channel":"sms","from":"+8613800138000","text":"START"}
' keyword-parse --record
	run_in '{"id":"s4","to":"+8613800138000","text":"hi"}
' sms-send -q
	expect_eq "$(jqo -r .sms.status)" outbox
}

@test "--record needs a valid sender; -n records nothing" {
	run_in '{"text":"STOP"}
{"text":"STOP","from":"abc"}
' keyword-parse --record
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.intent.error.code' | tr '\n' ' ')" '"missing_field" "invalid_number" '
	run_in '{"text":"STOP","from":"+8613800138000"}
' keyword-parse --record -n
	expect_eq "$(jqo -c .intent.recorded)" null
}

@test "--dump-packs prints rules that load back as a rules file" {
	run keyword-parse --dump-packs
	expect_eq "$status" 0
	printf '%s\n' "$output" > "$T/all.rules"
	run_in '{"text":"TD"}
{"text":"8分"}
' keyword-parse --packs none -r "$T/all.rules"
	expect_eq "$(jqo -c '[.intent.name,.intent.entities]' | tr '\n' ' ')" '["opt_out",{}] ["csat",{"score":8,"scale":9}] '
}

@test "usage: no rules at all, stray arguments: exit 2" {
	run keyword-parse --packs none
	expect_eq "$status" 2
	run keyword-parse stray
	expect_eq "$status" 2
}
