#!/usr/bin/env bats
# sms-send against the provider mock (tests/mock/provider-mock) on 127.0.0.1:
# each provider's protocol and signature, error mapping, retries, faults.

load lib

setup() {
	setup_tmp
	mock_start
	config "[provider tw]
type = twilio
base_url = $MOCK_URL
account_sid = ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
auth_token = twilio-token
from = +15005550006

[provider vo]
type = vonage
base_url = $MOCK_URL
api_key = vkey
api_secret = vsecret
from = CXKIT

[provider vosig]
type = vonage
base_url = $MOCK_URL
api_key = vkey
signature_secret = vsigsecret
signature_method = sha256
from = CXKIT

[provider ali1]
type = aliyun
base_url = $MOCK_URL
access_key_id = akid
access_key_secret = aksecret
sign_name = 客服中心
signature_version = 1

[provider ali3]
type = aliyun
base_url = $MOCK_URL
access_key_id = akid
access_key_secret = aksecret
sign_name = 客服中心
signature_version = 3

[provider tc]
type = tencent
base_url = $MOCK_URL
secret_id = tcid
secret_key = tckey
sdk_app_id = 1400006666
sign_name = 腾讯云

[provider kn]
type = kannel
base_url = $MOCK_URL
username = kuser
password = kpass
from = 10086
dlr_url = http://127.0.0.1:9/dlr?s=%d

[provider hp]
type = http
url = $MOCK_URL/http/send
auth_header = env:HTTP_AUTH
body = {\"to\":\"{{to}}\",\"text\":\"{{text}}\",\"ref\":\"{{id}}\",\"kind\":\"sms\"}

[provider bad]
type = twilio
base_url = $MOCK_URL
account_sid = ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
auth_token = wrong
from = +15005550006

[provider closed]
type = twilio
base_url = http://127.0.0.1:9
account_sid = ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
auth_token = twilio-token
from = +15005550006

[template csat_ask]
aliyun_code = SMS_71390007
tencent_id = 1234
params = ticket.id,customer.name"
	export HTTP_AUTH='Authorization: Bearer httptoken'
	tmpl csat_ask.zh '您的工单{{ticket.id}}已完成，{{customer.name}}，请评分'
}
teardown() { teardown_tmp; }

# sent_via PROVIDER RECORD: sends one record, checks it was sent.
sent_via() {
	run_in "$2
" sms-send --via "$1"
	if [ "$status" -ne 0 ]; then
		printf '%s\n%s\n' "$output" "$stderr_out" >&2
		return 1
	fi
	expect_eq "$(jqo -r .sms.status)" sent
}

@test "twilio: form body, Basic auth, E.164, sid as provider_id" {
	sent_via tw '{"id":"t1","to":"+8613800138000","text":"您好 hello"}'
	[[ $(jqo -r .sms.provider_id) == SM* ]]
	expect_eq "$(mock_count '.provider=="twilio" and .status==201 and .to=="+8613800138000" and .text=="您好 hello"')" 1
	expect_eq "$(jqo -c '.sms|[.provider,.attempts,.encoding]')" '["tw",1,"UCS-2"]'
}

@test "vonage: api_key/api_secret, number without +, client-ref carries the id" {
	sent_via vo '{"id":"v1","to":"+447700900123","text":"Hello"}'
	expect_eq "$(mock_count '.provider=="vonage" and .to=="447700900123" and .ref=="v1" and .sig_ok')" 1
	[ -n "$(jqo -r .sms.provider_id)" ]
}

@test "vonage: signed requests (HMAC-SHA256)" {
	sent_via vosig '{"id":"v2","to":"+447700900123","text":"Hello"}'
	expect_eq "$(mock_count '.provider=="vonage" and .sig_ok and .ref=="v2"')" 1
}

@test "aliyun: signature V1 and V3, template code and parameters, OutId" {
	rec='{"id":"a1","to":"+8613800138000","template":"csat_ask","lang":"zh","ticket":{"id":"W20251001"},"customer":{"name":"王"}}'
	sent_via ali1 "$rec"
	sent_via ali3 "${rec/a1/a3}"
	expect_eq "$(mock_count '.provider=="aliyun" and .sig_ok and .template=="SMS_71390007" and .to=="13800138000"')" 2
	expect_eq "$(jq -c 'select(.ref=="a3") | .params' "$MOCK_REC")" '{"ticket.id":"W20251001","customer.name":"王"}'
}

@test "aliyun: free text is refused with template_required" {
	run_in '{"id":"a2","to":"+8613800138000","text":"free"}
' sms-send --via ali3
	expect_eq "$status" 1
	expect_eq "$(jqo -r .sms.error.code)" template_required
	expect_eq "$(mock_count '.provider=="aliyun"')" 0
}

@test "tencent: TC3-HMAC-SHA256, TemplateParamSet in order, SerialNo" {
	sent_via tc '{"id":"c1","to":"+8613800138000","template":"csat_ask","ticket":{"id":"W1"},"customer":{"name":"李"}}'
	expect_eq "$(mock_count '.provider=="tencent" and .sig_ok and .ref=="c1" and .to=="+8613800138000"')" 1
	expect_eq "$(jq -c 'select(.ref=="c1") | .params' "$MOCK_REC")" '["W1","李"]'
	[ -n "$(jqo -r .sms.provider_id)" ]
}

@test "kannel: coding=2 and charset=UTF-8 for Chinese, the id in dlr-url" {
	sent_via kn '{"id":"k1","to":"+8613800138000","text":"您好，工单已完成"}'
	expect_eq "$(mock_count '.provider=="kannel" and .coding_ok and .ref=="k1" and .text=="您好，工单已完成"')" 1
}

@test "http: templated JSON body with escaping, bearer header from env:" {
	sent_via hp '{"id":"h1","to":"+8613800138000","text":"say \"hi\"\\nbye"}'
	expect_eq "$(jqo -r .sms.provider_id)" "$(jq -r 'select(.provider=="http") | .id' "$MOCK_REC")"
	expect_eq "$(mock_count '.provider=="http" and .status==200 and .to=="+8613800138000"')" 1
	expect_eq "$(jq -r 'select(.provider=="http") | .text' "$MOCK_REC")" 'say "hi"\nbye'
}

@test "wrong credentials: auth_failed, not retried" {
	run_in '{"id":"w","to":"+8613800138000","text":"x"}
' sms-send --via bad
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.sms|[.status,.error.code,.error.retryable,.attempts]')" '["failed","auth_failed",false,1]'
}

@test "the provider's opt-out answer: failed opted_out" {
	run_in '{"id":"o","to":"+14155550000","text":"x"}
' sms-send --via tw
	expect_eq "$(jqo -c '.sms|[.status,.error.code]')" '["failed","opted_out"]'
}

@test "429 with Retry-After: waits and succeeds on attempt 2" {
	run_in '{"id":"r","to":"+14155554290","text":"x"}
' sms-send --via tw
	expect_eq "$(jqo -c '.sms|[.status,.attempts]')" '["sent",2]'
}

@test "503 once: retried, sent on attempt 2" {
	run_in '{"id":"r5","to":"+14155555030","text":"x"}
' sms-send --via tw
	expect_eq "$(jqo -c '.sms|[.status,.attempts]')" '["sent",2]'
}

@test "500 every time: failed provider_error, retryable, after --retries" {
	run_in '{"id":"e","to":"+14155555000","text":"x"}
' sms-send --via tw --retries 2
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.sms|[.status,.error.code,.error.retryable,.attempts]')" '["failed","provider_error",true,3]'
}

@test "a timeout after sending: unknown, never retried blindly" {
	run_in '{"id":"to","to":"+14155559001","text":"x"}
' sms-send --via tw --timeout 1 --retries 3
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.sms|[.status,.error.code,.attempts]')" '["unknown","timeout",1]'
	expect_eq "$(mock_count '.to=="+14155559001"')" 1
	# and a re-run does not send it again
	run_in '{"id":"to","to":"+14155559001","text":"x"}
' sms-send --via tw --timeout 1
	expect_eq "$(jqo -r .sms.status)" unknown
	sleep 4.5
	expect_eq "$(mock_count '.to=="+14155559001"')" 1
}

@test "a connection reset after sending: unknown" {
	run_in '{"id":"rs","to":"+14155559002","text":"x"}
' sms-send --via tw
	expect_eq "$(jqo -c '.sms|[.status,.attempts]')" '["unknown",1]'
}

@test "connection refused: nothing was sent, retried, then failed network retryable" {
	run_in '{"id":"cr","to":"+14155552671","text":"x"}
' sms-send --via closed --retries 2
	expect_eq "$status" 1
	expect_eq "$(jqo -c '.sms|[.status,.error.code,.error.retryable,.attempts]')" '["failed","network",true,3]'
}

@test "output keeps input order while requests run concurrently" {
	in='{"id":"s1","to":"+14155559003","text":"slow"}'
	for i in $(seq 2 30); do in="$in
{\"id\":\"s$i\",\"to\":\"+1415555$(printf %04d $((i+1000)))\",\"text\":\"x\"}"; done
	run_in "$in
" sms-send --via tw --concurrency 8
	expect_eq "$status" 0
	expect_eq "$(jqo -r .id | tr '\n' ' ')" "$(seq -f 's%g' 1 30 | tr '\n' ' ')"
	expect_eq "$(jqo -r .sms.status | sort -u)" sent
}

@test "--rate paces a provider" {
	in=
	for i in $(seq 1 10); do in="$in{\"id\":\"p$i\",\"to\":\"+1415555$(printf %04d $((i+2000)))\",\"text\":\"x\"}
"; done
	start=$(date +%s%N)
	run_in "$in" sms-send --via tw --rate 20
	end=$(date +%s%N)
	expect_eq "$status" 0
	[ $(( (end - start) / 1000000 )) -ge 400 ]
}

@test "records choose their provider with via" {
	run_in '{"id":"m1","to":"+8613800138000","text":"a","via":"tw"}
{"id":"m2","to":"+447700900123","text":"b","via":"vo"}
{"id":"m3","to":"+447700900123","text":"c","via":"nope"}
' sms-send
	expect_eq "$(jqo -r '.sms.provider + ":" + .sms.status' | tr '\n' ' ')" "tw:sent vo:sent :failed "
	expect_eq "$(jqo -r 'select(.id=="m3") | .sms.error.code')" unknown_provider
}
