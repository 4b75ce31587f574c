#!/usr/bin/env bats
# msg-recv: each source's callback signed as its provider signs it
# (accepted, exact NDJSON), and refused when the signature is bad, the
# timestamp old, the body too big, the method or content type wrong;
# duplicates written once, also across a restart; the spool; limits;
# SIGTERM.  Everything on 127.0.0.1; msg-recv is stopped by its pid.

load lib
load msg-recv

setup() {
	setup_tmp
	config '[recv tw]
type = twilio
auth_token = tw-token
public_url = https://hooks.example.com/tw

[recv vn]
type = vonage
signature_secret = vn-secret
signature_method = sha256

[recv ali]
type = aliyun
token = ali-token

[recv tc]
type = tencent
token = tc-token

[recv kn]
type = kannel
token = kn-token

[recv wc]
type = wecom
token = QDG6eK
aes_key = jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
corp_id = wx5823bf96d3bd56c7

[recv sl]
type = slack
signing_secret = sl-secret

[recv tg]
type = telegram
secret = tg-secret

[recv hook]
type = webhook
secret = hook-secret
header = X-Hub-Signature-256
prefix = sha256=
channel = line'
}

teardown() {
	mr_stop
	teardown_tmp
}

# A Twilio inbound SMS signed for its public URL.
tw_inbound() {
	post twilio /tw/sms tw-token --sign-url https://hooks.example.com/tw/sms \
	    MessageSid=SM0001 AccountSid=AC1 From=+8613800138000 \
	    To=+14155550100 Body="退款 W20251001" NumSegments=1 "$@"
}

@test "no [recv] section: exit 2 with the reason" {
	config '[defaults]
region = CN'
	run_in '' msg-recv --listen 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ $stderr_out == *"no [recv NAME] section"* ]]
}

@test "config errors name the file, line and key: exit 2" {
	config '[recv x]
type = sms'
	run_in '' msg-recv
	[ "$status" -eq 2 ]
	[[ $stderr_out == *"config.ini:2: [recv x] type: unknown type 'sms'"* ]]
	config '[recv x]
type = twilio'
	run_in '' msg-recv
	[ "$status" -eq 2 ]
	[[ $stderr_out == *"[recv x] needs auth_token"* ]]
	config '[recv x]
type = telegram
secret = env:CXKIT_NO_SUCH_VAR'
	run_in '' msg-recv
	[ "$status" -eq 2 ]
	[[ $stderr_out == *"CXKIT_NO_SUCH_VAR"* ]]
	run_in '' msg-recv --tls-cert /dev/null
	[ "$status" -eq 2 ]
	[[ $stderr_out == *"--tls-cert and --tls-key go together"* ]]
}

@test "--listen: a bad address or port, or one in use, is exit 2" {
	config '[recv tg]
type = telegram
secret = s'
	run_in '' msg-recv --listen 127.0.0.1:99999
	[ "$status" -eq 2 ]
	[[ $stderr_out == *"--listen: '127.0.0.1:99999' is not ADDR:PORT"* ]]
	run_in '' msg-recv --listen nowhere
	[ "$status" -eq 2 ]
	mr_start
	run_in '' msg-recv --listen "127.0.0.1:$MR_PORT"
	[ "$status" -eq 2 ]
	[[ $stderr_out == *"cannot listen on 127.0.0.1:$MR_PORT"* ]]
}

@test "twilio: an inbound SMS signed for public_url, exact NDJSON and TwiML" {
	mr_start
	tw_inbound
	expect_eq "$output" '200 <?xml version="1.0" encoding="UTF-8"?><Response/>'
	mr_stop
	[ "$MR_RC" -eq 0 ]
	expect_eq "$output" '{"id":"SM0001","ts":"2025-10-01T06:00:00Z","channel":"sms","provider":"tw","from":"+8613800138000","to":"+14155550100","text":"退款 W20251001"}'
}

@test "twilio: signed with :443 in the URL is accepted too" {
	mr_start
	post twilio /tw/sms tw-token --sign-url https://hooks.example.com:443/tw/sms \
	    MessageSid=SM0002 From=+8613800138000 To=+14155550100 Body=1
	expect_eq "${output%% *}" 200
}

@test "twilio: a bad or missing signature is 403, logged without the number, never written" {
	mr_start
	post twilio /tw/sms wrong-token --sign-url https://hooks.example.com/tw/sms \
	    MessageSid=SM0003 From=+8613800138000 Body=STOP
	expect_eq "$output" '403 forbidden'
	# signed for the local URL, not the public one
	post twilio /tw/sms tw-token MessageSid=SM0003 From=+8613800138000 Body=STOP
	expect_eq "$output" '403 forbidden'
	post send /tw/sms -t application/x-www-form-urlencoded -d 'MessageSid=SM0003&Body=STOP'
	expect_eq "$output" '403 forbidden'
	mr_stop
	expect_eq "$output" ''
	grep -q 'POST /tw/sms: tw: 403: bad X-Twilio-Signature' "$T/err"
	grep -q 'tw: 403: no X-Twilio-Signature' "$T/err"
	not_in 13800138000 "$T/err"
	not_in tw-token "$T/err"
}

@test "twilio: a JSON body, its bodySHA256 in the signed URL" {
	mr_start
	body='{"MessageSid":"SM0J1","From":"+8613800138000","To":"+14155550100","Body":"满意"}'
	sha=$(printf %s "$body" | sha256sum | cut -d' ' -f1)
	sig() {
		"$PY" -c 'import base64,hmac,hashlib,sys; print(base64.b64encode(hmac.new(b"tw-token", sys.argv[1].encode(), hashlib.sha1).digest()).decode())' "$1"
	}
	s=$(sig "https://hooks.example.com/tw/sms?bodySHA256=$sha")
	post send "/tw/sms?bodySHA256=$sha" -t application/json -H "X-Twilio-Signature: $s" -d "$body"
	expect_eq "${output%% *}" 200
	# the body changed after signing: its hash is not the signed one
	post send "/tw/sms?bodySHA256=$sha" -t application/json -H "X-Twilio-Signature: $s" \
	    -d "${body/满意/STOP}"
	expect_eq "$output" '403 forbidden'
	post send "/tw/sms" -t application/json -H "X-Twilio-Signature: $s" -d "$body"
	expect_eq "$output" '415 unsupported media type'
	mr_stop
	expect_eq "$output" '{"id":"SM0J1","ts":"2025-10-01T06:00:00Z","channel":"sms","provider":"tw","from":"+8613800138000","to":"+14155550100","text":"满意"}'
	grep -q 'tw: 415: JSON body without bodySHA256 in the URL' "$T/err"
}

@test "twilio: status callbacks: final ones are receipts with the record id, others nothing" {
	mr_start
	post twilio "/tw/status?id=r-42" tw-token \
	    --sign-url "https://hooks.example.com/tw/status?id=r-42" \
	    MessageSid=SM0009 MessageStatus=sent To=+8613800138000 From=+14155550100
	expect_eq "$output" '200'
	post twilio "/tw/status?id=r-42" tw-token \
	    --sign-url "https://hooks.example.com/tw/status?id=r-42" \
	    MessageSid=SM0009 MessageStatus=undelivered ErrorCode=30003 \
	    To=+8613800138000 From=+14155550100
	expect_eq "$output" '200'
	mr_stop
	expect_eq "$output" '{"id":"SM0009:undelivered","ts":"2025-10-01T06:00:00Z","event":"delivery","channel":"sms","provider":"tw","provider_id":"SM0009","record_id":"r-42","status":"undelivered","error_code":"30003","to":"+8613800138000"}'
}

@test "duplicates are written once, also after a restart (state store)" {
	mr_start
	tw_inbound
	tw_inbound
	expect_eq "${output%% *}" 200
	mr_stop
	[ "$(printf '%s\n' "$output" | grep -c SM0001)" -eq 1 ]
	mr_start
	tw_inbound
	expect_eq "${output%% *}" 200
	mr_stop
	expect_eq "$output" ''
	# --dedup-window 0: memory only, so a restart writes it again
	mr_start --dedup-window 0
	tw_inbound
	mr_stop
	[ "$(printf '%s\n' "$output" | grep -c SM0001)" -eq 1 ]
}

@test "vonage: inbound and receipt signed with sha256, in the replay window" {
	mr_start
	post vonage /vn vn-secret sha256 msisdn=8613800138000 to=14155550100 \
	    messageId=0A0000001 text="满意" type=unicode \
	    message-timestamp="2025-10-01 05:59:58" timestamp=$NOW_S nonce=abc
	expect_eq "$output" '200'
	post vonage-get /vn vn-secret sha256 msisdn=8613800138000 to=14155550100 \
	    messageId=0B0000002 status=delivered err-code=0 client-ref=r-7 \
	    message-timestamp="2025-10-01 06:00:01" timestamp=$NOW_S
	expect_eq "$output" '200'
	post vonage /vn vn-secret sha256 msisdn=8613800138000 messageId=0B0000003 \
	    status=rejected err-code=7 client-ref=r-8 timestamp=$NOW_S
	mr_stop
	expect_eq "$output" '{"id":"0A0000001","ts":"2025-10-01T05:59:58Z","channel":"sms","provider":"vn","from":"+8613800138000","to":"+14155550100","text":"满意"}
{"id":"0B0000002:delivered","ts":"2025-10-01T06:00:01Z","event":"delivery","channel":"sms","provider":"vn","provider_id":"0B0000002","record_id":"r-7","status":"delivered","error_code":null,"to":"+8613800138000"}
{"id":"0B0000003:failed","ts":"2025-10-01T06:00:00Z","event":"delivery","channel":"sms","provider":"vn","provider_id":"0B0000003","record_id":"r-8","status":"failed","error_code":"7","to":"+8613800138000"}'
}

@test "vonage: an old timestamp is 401, a bad sig 403" {
	mr_start
	post vonage /vn vn-secret sha256 msisdn=8613800138000 messageId=0A1 \
	    text=hi timestamp=$((NOW_S - 301))
	expect_eq "$output" '401 unauthorized'
	post vonage /vn vn-secret md5hash msisdn=8613800138000 messageId=0A1 \
	    text=hi timestamp=$NOW_S
	expect_eq "$output" '403 forbidden'
	mr_stop
	expect_eq "$output" ''
	grep -q 'vn: 401: timestamp outside the 300s replay window' "$T/err"
	grep -q 'vn: 403: bad sig' "$T/err"
}

@test "aliyun: a batch of a reply and a receipt, with the token" {
	mr_start
	post send "/ali?token=ali-token" -t application/json -d '[{"phone_number":"13800138000","send_time":"2025-10-01 14:00:00","content":"退订","sign_name":"阿里云","dest_code":"1","sequence_id":1234567},{"phone_number":"13800138000","send_time":"2025-10-01 13:59:00","report_time":"2025-10-01 14:00:05","success":false,"err_code":"MK:0001","err_msg":"失败","sms_size":"1","biz_id":"900619746936498440^0","out_id":"r-9"}]'
	expect_eq "$output" '200 {"code":0,"msg":"成功"}'
	post send "/ali?token=nope" -t application/json -d '[]'
	expect_eq "$output" '401 unauthorized'
	post send "/ali" -t application/json -d '[]'
	expect_eq "$output" '401 unauthorized'
	mr_stop
	expect_eq "$output" '{"id":"1234567","ts":"2025-10-01T06:00:00Z","channel":"sms","provider":"ali","from":"+8613800138000","to":"1","text":"退订"}
{"id":"900619746936498440^0:undelivered","ts":"2025-10-01T06:00:05Z","event":"delivery","channel":"sms","provider":"ali","provider_id":"900619746936498440^0","record_id":"r-9","status":"undelivered","error_code":"MK:0001","to":"+8613800138000"}'
	not_in ali-token "$T/err"
}

@test "aliyun, tencent: a bad item is logged and skipped, the rest of the batch accepted" {
	mr_start
	post send "/ali?token=ali-token" -t application/json -d '[{"phone_number":"13800138000","content":"1","sequence_id":11},{"phone_number":"13800138000","nonsense":true},{"phone_number":"13800138000","success":true,"biz_id":"B12","report_time":"2025-10-01 14:00:05"}]'
	expect_eq "$output" '200 {"code":0,"msg":"成功"}'
	post send "/tc?token=tc-token" -t application/json -d '[{"mobile":"13800138000","nationcode":"86","report_status":"SUCCESS","sid":"S1"},{"mobile":"13800138000"}]'
	expect_eq "$output" '200 {"result":0,"errmsg":"OK"}'
	post send "/ali?token=ali-token" -t application/json -d '[{"x":1'
	expect_eq "$output" '400 bad request'
	mr_stop
	expect_eq "$(jqo -r .id | tr '\n' ' ')" '11 B12:delivered S1:delivered '
	grep -q 'ali: item 2 of 3 is neither a reply (content, sequence_id) nor a receipt (success, biz_id): skipped' "$T/err"
	grep -q 'tc: item 2 of 2 is neither a reply (text) nor a receipt (report_status, sid): skipped' "$T/err"
}

@test "aliyun: a single JSON object, not an array, is one item" {
	mr_start
	post send "/ali?token=ali-token" -t application/json -d '{"phone_number":"13800138000","send_time":"2025-10-01 14:00:00","content":"满意","dest_code":"1","sequence_id":21}'
	expect_eq "$output" '200 {"code":0,"msg":"成功"}'
	mr_stop
	expect_eq "$output" '{"id":"21","ts":"2025-10-01T06:00:00Z","channel":"sms","provider":"ali","from":"+8613800138000","to":"1","text":"满意"}'
}

@test "tencent: a wrong or missing token is 401, never written" {
	mr_start
	post send "/tc?token=tc-tokeN" -t application/json -d '{"mobile":"13800138000","nationcode":"86","text":"1","time":1759298390}'
	expect_eq "$output" '401 unauthorized'
	post send "/tc" -t application/json -d '{"mobile":"13800138000","nationcode":"86","text":"1","time":1759298390}'
	expect_eq "$output" '401 unauthorized'
	mr_stop
	expect_eq "$output" ''
	grep -q 'tc: 401: wrong token' "$T/err"
	grep -q 'tc: 401: no token' "$T/err"
	not_in tc-tokeN "$T/err"
}

@test "tencent: a reply and a receipt batch" {
	mr_start
	post send "/tc?token=tc-token" -t application/json -d '{"extend":"","mobile":"13800138000","nationcode":"86","sign":"腾讯云","text":"1","time":1759298390}'
	expect_eq "$output" '200 {"result":0,"errmsg":"OK"}'
	post send "/tc?token=tc-token" -t application/json -d '[{"user_receive_time":"2025-10-01 14:00:03","nationcode":"86","mobile":"13800138000","report_status":"SUCCESS","errmsg":"DELIVRD","description":"用户短信送达成功","sid":"2019:538884*****","ext":"r-3"}]'
	expect_eq "$output" '200 {"result":0,"errmsg":"OK"}'
	mr_stop
	expect_eq "$(jqo -c 'del(.id)' | head -1)" '{"ts":"2025-10-01T05:59:50Z","channel":"sms","provider":"tc","from":"+8613800138000","to":null,"text":"1"}'
	[[ $(jqo -r .id | head -1) == h:* ]]
	expect_eq "$(printf '%s\n' "$output" | sed -n 2p)" '{"id":"2019:538884*****:delivered","ts":"2025-10-01T06:00:03Z","event":"delivery","channel":"sms","provider":"tc","provider_id":"2019:538884*****","record_id":"r-3","status":"delivered","error_code":null,"to":"+8613800138000"}'
}

@test "kannel: MO by get-url and DLRs by dlr-url" {
	mr_start
	post send "/kn/mo?token=kn-token&from=%2B8613800138000&to=10086&text=%E6%BB%A1%E6%84%8F&id=c0ffee&ts=$NOW_S" -m GET
	expect_eq "$output" '200'
	post send "/kn/dlr?token=kn-token&status=8&answer=ACK&id=r-5" -m GET
	expect_eq "$output" '200'
	post send "/kn/dlr?token=kn-token&status=1&answer=id%3A1+stat%3ADELIVRD+err%3A000&to=%2B8613800138000&id=r-5" -m GET
	expect_eq "$output" '200'
	post send "/kn/dlr?token=kn-token&status=16&answer=NACK%2Ferr%3A0B&id=r-6" -m GET
	post send "/kn/dlr?status=1&id=r-6" -m GET
	expect_eq "$output" '401 unauthorized'
	mr_stop
	expect_eq "$output" '{"id":"c0ffee","ts":"2025-10-01T06:00:00Z","channel":"sms","provider":"kn","from":"+8613800138000","to":"10086","text":"满意"}
{"id":"r-5:delivered","ts":"2025-10-01T06:00:00Z","event":"delivery","channel":"sms","provider":"kn","provider_id":null,"record_id":"r-5","status":"delivered","error_code":null,"to":"+8613800138000"}
{"id":"r-6:failed","ts":"2025-10-01T06:00:00Z","event":"delivery","channel":"sms","provider":"kn","provider_id":null,"record_id":"r-6","status":"failed","error_code":"0B","to":null}'
}

@test "wecom: URL verification echo, then an encrypted text message" {
	mr_start
	"$PY" "$CLIENT" wecom-echo "$MR_URL/wc" QDG6eK \
	    jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C wx5823bf96d3bd56c7 \
	    $NOW_S 1372623149 "echo-4711" > "$T/r"
	expect_eq "$(cat "$T/r")" '200 echo-4711'
	post wecom /wc QDG6eK jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C \
	    wx5823bf96d3bd56c7 $NOW_S 1372623149 \
	    '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1759298399</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[退款 W20251001]]></Content><MsgId>4561255354251345929</MsgId><AgentID>1000002</AgentID></xml>'
	expect_eq "$output" '200 success'
	post wecom /wc QDG6eK jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C \
	    wx5823bf96d3bd56c7 $NOW_S 1 \
	    '<xml><MsgType>event</MsgType><Event>enter_agent</Event></xml>'
	expect_eq "$output" '200 success'
	mr_stop
	expect_eq "$output" '{"id":"4561255354251345929","ts":"2025-10-01T05:59:59Z","channel":"wecom","provider":"wc","from":"zhangsan","to":"1000002","text":"退款 W20251001"}'
}

@test "wecom: a wrong token, an old timestamp, another corp, bad XML, no XML Content-Type are refused" {
	mr_start
	post wecom /wc wrong jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C \
	    wx5823bf96d3bd56c7 $NOW_S 1 '<xml><MsgType>text</MsgType><MsgId>1</MsgId></xml>'
	expect_eq "$output" '403 forbidden'
	post wecom /wc QDG6eK jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C \
	    wx5823bf96d3bd56c7 $((NOW_S - 3600)) 1 '<xml><MsgType>text</MsgType><MsgId>1</MsgId></xml>'
	expect_eq "$output" '401 unauthorized'
	post wecom /wc QDG6eK jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C \
	    wxOTHER $NOW_S 1 '<xml><MsgType>text</MsgType><MsgId>1</MsgId></xml>'
	expect_eq "$output" '403 forbidden'
	post send "/wc?msg_signature=x&timestamp=$NOW_S&nonce=1" -t text/xml -d '<xml><Encrypt>'
	expect_eq "$output" '400 bad request'
	# a POST with no Content-Type, or another one
	run curl -s -w ' %{http_code}' -H 'Content-Type:' --data-binary '<xml><Encrypt>x</Encrypt></xml>' \
	    "$MR_URL/wc?msg_signature=x&timestamp=$NOW_S&nonce=1"
	expect_eq "$output" 'unsupported media type
 415'
	post send "/wc?msg_signature=x&timestamp=$NOW_S&nonce=1" -t application/json -d '<xml/>'
	expect_eq "$output" '415 unsupported media type'
	mr_stop
	expect_eq "$output" ''
	grep -q 'wc: 403: bad msg_signature' "$T/err"
	grep -q 'wc: 403: message for another corp_id' "$T/err"
}

@test "slack: url_verification, a signed message event, bot messages skipped" {
	mr_start
	post slack /sl sl-secret $NOW_S '{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'
	expect_eq "$output" '200 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P'
	post slack /sl sl-secret $NOW_S '{"type":"event_callback","event_id":"Ev01","event_time":1759298399,"event":{"type":"message","user":"U2147483697","channel":"C024BE91L","text":"STOP","ts":"1759298399.000200"}}'
	expect_eq "$output" '200'
	post slack /sl sl-secret $NOW_S '{"type":"event_callback","event_id":"Ev02","event_time":1759298399,"event":{"type":"message","bot_id":"B1","channel":"C024BE91L","text":"hi"}}'
	expect_eq "$output" '200'
	mr_stop
	expect_eq "$output" '{"id":"Ev01","ts":"2025-10-01T05:59:59Z","channel":"slack","provider":"sl","from":"U2147483697","to":"C024BE91L","text":"STOP"}'
}

@test "slack: a bad signature 403, an old timestamp 401" {
	mr_start
	post slack /sl other-secret $NOW_S '{"type":"url_verification","challenge":"c"}'
	expect_eq "$output" '403 forbidden'
	post slack /sl sl-secret $((NOW_S - 301)) '{"type":"url_verification","challenge":"c"}'
	expect_eq "$output" '401 unauthorized'
	mr_stop
	expect_eq "$output" ''
}

@test "telegram: the secret token header; a wrong one 403" {
	mr_start
	post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
	    -d '{"update_id":10,"message":{"message_id":7,"from":{"id":42,"is_bot":false},"chat":{"id":42,"type":"private"},"date":1759298398,"text":"EN"}}'
	expect_eq "$output" '200'
	post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secreT' \
	    -d '{"update_id":11,"message":{"message_id":8,"from":{"id":42},"chat":{"id":42},"date":1759298398,"text":"x"}}'
	expect_eq "$output" '403 forbidden'
	mr_stop
	expect_eq "$output" '{"id":"42:7","ts":"2025-10-01T05:59:58Z","channel":"telegram","provider":"tg","from":"42","to":"42","text":"EN"}'
}

@test "webhook: an HMAC header of the operator's choice; inbound and delivery" {
	mr_start
	post webhook /hook hook-secret X-Hub-Signature-256 '{"id":"m1","from":"Uabc","to":"bot","text":"8","ts":"2025-10-01T14:00:00+08:00"}' sha256=
	expect_eq "$output" '200'
	post webhook /hook hook-secret X-Hub-Signature-256 '{"event":"delivery","provider_id":"p9","record_id":"r-1","status":"failed","error_code":"E1","to":"Uabc"}' sha256=
	expect_eq "$output" '200'
	post webhook /hook hook-secret X-Hub-Signature-256 '{"event":"delivery","provider_id":"p9","status":"read"}' sha256=
	expect_eq "$output" '400 bad request'
	post webhook /hook other X-Hub-Signature-256 '{"text":"x"}' sha256=
	expect_eq "$output" '403 forbidden'
	mr_stop
	expect_eq "$output" '{"id":"m1","ts":"2025-10-01T06:00:00Z","channel":"line","provider":"hook","from":"Uabc","to":"bot","text":"8"}
{"id":"p9:failed","ts":"2025-10-01T06:00:00Z","event":"delivery","channel":"line","provider":"hook","provider_id":"p9","record_id":"r-1","status":"failed","error_code":"E1","to":"Uabc"}'
	grep -q "hook: 400: field 'status' is not delivered, undelivered or failed" "$T/err"
}

@test "an oversized body is 413, announced or chunked" {
	mr_start --max-body 1024
	big=$(head -c 2000 /dev/zero | tr '\0' a)
	post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' -d "{\"x\":\"$big\"}"
	expect_eq "$output" '413 payload too large'
	run curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
	    -H 'Content-Type: application/json' -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
	    --data-binary "{\"x\":\"$big\"}" "$MR_URL/tg"
	expect_eq "$output" 413
	mr_stop
	expect_eq "$output" ''
	grep -q '413: body over --max-body' "$T/err"
}

@test "duplicates from vonage, kannel, telegram and the webhook are written once" {
	mr_start
	for i in 1 2; do
		post vonage /vn vn-secret sha256 msisdn=8613800138000 to=14155550100 \
		    messageId=0D0000001 text=1 timestamp=$NOW_S
		expect_eq "$output" 200
		post send "/kn/mo?token=kn-token&from=%2B8613800138000&to=10086&text=TD&id=k-1&ts=$NOW_S" -m GET
		expect_eq "$output" 200
		post send "/kn/dlr?token=kn-token&status=1&id=r-11" -m GET
		expect_eq "$output" 200
		post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
		    -d '{"update_id":30,"message":{"message_id":31,"from":{"id":42},"chat":{"id":42},"date":1759298398,"text":"EN"}}'
		expect_eq "$output" 200
		post webhook /hook hook-secret X-Hub-Signature-256 '{"id":"w-1","from":"Uabc","text":"8"}' sha256=
		expect_eq "$output" 200
	done
	mr_stop
	expect_eq "$(jqo -r '.provider + " " + .id' | tr '\n' ',')" 'vn 0D0000001,kn k-1,kn r-11:delivered,tg 42:31,hook w-1,'
}

@test "webhook: timestamp_header: signed over TIMESTAMP.BODY, an old or missing one 401" {
	config '[recv hook]
type = webhook
secret = hook-secret
timestamp_header = X-Timestamp'
	mr_start
	sign() {
		"$PY" -c 'import hmac,hashlib,sys; print(hmac.new(b"hook-secret", sys.argv[1].encode(), hashlib.sha256).hexdigest())' "$1"
	}
	body='{"id":"t1","from":"Uabc","text":"STOP"}'
	post send /hook -t application/json -H "X-Timestamp: $NOW_S" \
	    -H "X-Signature: $(sign "$NOW_S.$body")" -d "$body"
	expect_eq "$output" 200
	old=$((NOW_S - 301))
	post send /hook -t application/json -H "X-Timestamp: $old" \
	    -H "X-Signature: $(sign "$old.$body")" -d "${body/t1/t2}"
	expect_eq "$output" '401 unauthorized'
	post send /hook -t application/json -H "X-Signature: $(sign "$body")" -d "${body/t1/t3}"
	expect_eq "$output" '401 unauthorized'
	# the timestamp changed after signing (a replay with a fresh one)
	post send /hook -t application/json -H "X-Timestamp: $((NOW_S + 5))" \
	    -H "X-Signature: $(sign "$NOW_S.$body")" -d "$body"
	expect_eq "$output" '403 forbidden'
	mr_stop
	expect_eq "$(jqo -r .id)" t1
	grep -q 'hook: 401: timestamp outside the 300s replay window' "$T/err"
	grep -q 'hook: 401: no timestamp' "$T/err"
}

@test "an oversized form (vonage) or chunked JSON (webhook) is 413" {
	mr_start --max-body 1024
	big=$(head -c 2000 /dev/zero | tr '\0' a)
	post vonage /vn vn-secret sha256 msisdn=8613800138000 messageId=0E1 \
	    text="$big" timestamp=$NOW_S
	expect_eq "$output" '413 payload too large'
	run curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
	    -H 'Content-Type: application/json' -H 'X-Hub-Signature-256: sha256=00' \
	    --data-binary "{\"id\":\"x\",\"text\":\"$big\"}" "$MR_URL/hook"
	expect_eq "$output" 413
	mr_stop
	expect_eq "$output" ''
	[ "$(grep -c '413: body over --max-body' "$T/err")" -eq 2 ]
}

@test "wrong method 405, wrong content type 415, unknown path 404" {
	mr_start
	post send /tg -m PUT -t application/json -d '{}'
	expect_eq "$output" '405 method not allowed'
	post send /tw/sms -m GET
	expect_eq "$output" '405 method not allowed'
	post send /tg -t text/plain -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' -d '{}'
	expect_eq "$output" '415 unsupported media type'
	post send /tw -t application/json -d '{}'
	expect_eq "$output" '415 unsupported media type'
	post send /nowhere -t application/json -d '{}'
	expect_eq "$output" '404 not found'
	post send /tgx -t application/json -d '{}'
	expect_eq "$output" '404 not found'
	mr_stop
	expect_eq "$output" ''
}

@test "slowloris: a client dribbling headers or body is cut off after --timeout; others are served" {
	mr_start --timeout 2
	run "$PY" - "$MR_PORT" <<'EOF2'
import select, socket, sys, threading, time, urllib.request
port = int(sys.argv[1])
def dribble(head, drip):
    """Sends head, then one byte of drip every 0.4 s (never idle as long
    as --timeout); returns the seconds until the server closed, or None."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(head)
    t = time.time()
    for i in range(25):
        r, _, _ = select.select([s], [], [], 0.4)
        if r:
            try:
                if s.recv(1000) == b"":
                    return round(time.time() - t)
            except OSError:
                return round(time.time() - t)
        try:
            s.sendall(drip[i % len(drip):][:1])
        except OSError:
            return round(time.time() - t)
    return None
res = {}
def run(name, *a):
    res[name] = dribble(*a)
ts = [threading.Thread(target=run, args=("headers",
          b"POST /tg HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a")),
      threading.Thread(target=run, args=("body",
          b"POST /tg HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"X-Telegram-Bot-Api-Secret-Token: tg-secret\r\n"
          b"Content-Length: 1000\r\n\r\n", b"{\"x\":\"aaaaaaaaaaa"))]
for t in ts: t.start()
time.sleep(1)
req = urllib.request.Request("http://127.0.0.1:%d/tg" % port,
    data=b'{"message":{"message_id":1,"chat":{"id":1},"text":"hi"}}',
    headers={"Content-Type": "application/json",
             "X-Telegram-Bot-Api-Secret-Token": "tg-secret"})
other = urllib.request.urlopen(req, timeout=5).status
for t in ts: t.join()
print("headers closed after %s s, body closed after %s s, other %d" %
      (res["headers"], res["body"], other))
EOF2
	[ "$status" -eq 0 ]
	[[ $output == "headers closed after "[23]" s, body closed after "[23]" s, other 200" ]]
	mr_stop
	expect_eq "$(jqo -r .text)" hi
	[ "$(grep -c 'request not done in 2s: connection closed' "$T/err")" -eq 2 ]
	grep -q '^msg-recv: 127\.0\.0\.x: ' "$T/err"
}

@test "--max-per-address and --max-connections: connections over the limit are closed at once" {
	for opt in --max-per-address --max-connections; do
		mr_start $opt 2
		run "$PY" - "$MR_PORT" <<'EOF2'
import socket, sys, time
port = int(sys.argv[1])
def request(s):
    s.sendall(b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    s.settimeout(5)
    try:
        return (s.recv(100).split(b"\r\n")[0] or b"closed").decode()
    except OSError:
        return "closed"
held = [socket.create_connection(("127.0.0.1", port)) for i in range(2)]
for h in held:
    h.sendall(b"GET /nowhere HTTP/1.1\r\n")   # idle, headers unfinished
time.sleep(0.3)
print(request(socket.create_connection(("127.0.0.1", port))))
held.pop().close()
time.sleep(0.3)
print(request(socket.create_connection(("127.0.0.1", port))))
EOF2
		expect_eq "$output" 'closed
HTTP/1.1 404 Not Found'
		mr_stop
	done
}

@test "per-address rate: over --rate is 429 with Retry-After" {
	mr_start --rate 2
	for i in 1 2 3 4; do
		curl -s -o /dev/null -w '%{http_code}\n' -X POST "$MR_URL/nowhere" >> "$T/codes"
	done
	grep -q 429 "$T/codes"
	run curl -s -D - -o /dev/null -X POST "$MR_URL/nowhere"
	[[ $output == *"Retry-After: 1"* ]]
	mr_stop
	# logged at the normal level, once a second, the address masked
	n=$(grep -c '^msg-recv: 127\.0\.0\.x POST /nowhere: 429: over the per-address rate$' "$T/err")
	[ "$n" -ge 1 ] && [ "$n" -le 2 ]
	not_in '127\.0\.0\.1 ' "$T/err"
}

@test "a full --queue is 503 with Retry-After; the held request is answered once written" {
	local i cpid
	mkfifo "$T/pipe"
	# a consumer that reads nothing for 2 s, then everything
	"$PY" -c 'import sys, time; time.sleep(2); sys.stdout.buffer.write(sys.stdin.buffer.read())' \
	    < "$T/pipe" > "$T/out" &
	MR_OUT=$T/pipe mr_start --queue 1 --max-body 200000
	big=$(head -c 70000 /dev/zero | tr '\0' a)
	# 70 KB fills the 64 KiB pipe: its request is held, the queue full
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
	    -d "{\"message\":{\"message_id\":1,\"chat\":{\"id\":1},\"text\":\"$big\"}}" \
	    "$MR_URL/tg" > "$T/first" &
	cpid=$!
	sleep 0.5
	[ ! -s "$T/first" ]
	run curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
	    -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
	    -d '{"message":{"message_id":2,"chat":{"id":1},"text":"m2"}}' "$MR_URL/tg"
	[[ $output == "HTTP/1.1 503 "* ]]
	[[ $output == *"Retry-After: 1"* ]]
	wait "$cpid"
	expect_eq "$(cat "$T/first")" 200
	kill -TERM "$MR_PID"
	wait "$MR_PID"
	MR_PID=
	wait
	expect_eq "$(jq -r .id "$T/out")" 1:1
	grep -q '^msg-recv: 127\.0\.0\.x POST /tg: tg: 503: queue full (slow consumer)$' "$T/err"
}

@test "--spool: records appended to the file, fsync'd, nothing on stdout" {
	mr_start --spool "$T/spool.ndjson"
	tw_inbound
	expect_eq "${output%% *}" 200
	post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
	    -d '{"update_id":10,"message":{"message_id":7,"from":{"id":42},"chat":{"id":42},"date":1759298398,"text":"EN"}}'
	# written before the answer: already there
	[ "$(wc -l < "$T/spool.ndjson")" -eq 2 ]
	mr_stop
	[ "$MR_RC" -eq 0 ]
	expect_eq "$output" ''
	expect_eq "$(jq -r .id "$T/spool.ndjson" | tr '\n' ' ')" 'SM0001 42:7 '
}

@test "--spool rotation: mv, then flock, mid-stream: each record in one batch, none lost" {
	mr_start --spool "$T/spool" --rate 0
	# 4 clients post 600 messages; meanwhile a consumer rotates the spool
	# every 50 ms the documented way and reads each batch at once.
	run "$PY" - "$MR_PORT" "$T" <<'EOF2'
import fcntl, json, os, sys, threading, time, urllib.request
port, d = sys.argv[1], sys.argv[2]
accepted, lock, done = [], threading.Lock(), []
def client(k):
    for i in range(k, 600, 4):
        body = json.dumps({"message": {"message_id": i, "chat": {"id": 1},
                                       "date": 1759298398, "text": "m%d" % i}})
        req = urllib.request.Request("http://127.0.0.1:%s/tg" % port,
            data=body.encode(), headers={"Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": "tg-secret"})
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status == 200:
                with lock:
                    accepted.append("1:%d" % i)
ts = [threading.Thread(target=client, args=(k,)) for k in range(4)]
for t in ts: t.start()
seen, n = [], 0
def rotate():
    global n
    if not os.path.exists(d + "/spool"):
        return
    n += 1
    b = "%s/batch%d" % (d, n)
    os.rename(d + "/spool", b)              # mv spool batchN
    with open(b) as f:                      # flock batchN true
        fcntl.flock(f, fcntl.LOCK_EX)
        fcntl.flock(f, fcntl.LOCK_UN)
    with open(b) as f:                      # the consumer reads it
        seen.extend(json.loads(l)["id"] for l in f)
while any(t.is_alive() for t in ts):
    time.sleep(0.05)
    rotate()
rotate()
time.sleep(0.3)
# nothing came into a batch after it was read
late = sum(1 for k in range(1, n + 1)
           for l in open("%s/batch%d" % (d, k))) - len(seen)
print(len(accepted), len(seen), len(set(seen)), sorted(seen) == sorted(accepted),
      late, n > 3)
EOF2
	expect_eq "$output" '600 600 600 True 0 True'
	# SIGHUP reopens the spool; it does not stop msg-recv
	kill -HUP "$MR_PID"
	tw_inbound
	expect_eq "${output%% *}" 200
	mr_stop
	[ "$MR_RC" -eq 0 ]
	expect_eq "$(jq -r .id "$T/spool")" SM0001
}

@test "--spool: a failed write is 500 and leaves no half line" {
	mkdir "$T/bin"
	printf '#!/bin/bash\ntrap "" XFSZ\nulimit -f 1\nexec "%s" "$@"\n' \
	    "$TOP/bin/msg-recv" > "$T/bin/msg-recv"
	chmod +x "$T/bin/msg-recv"
	# 1000 bytes in the spool; the 1024-byte file size limit cuts the next
	# record's write short (EFBIG)
	printf '{"pad":"%0989d"}\n' 0 > "$T/spool"
	PATH=$T/bin:$PATH mr_start --spool "$T/spool" --dedup-window 0
	post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
	    -d '{"message":{"message_id":1,"chat":{"id":1},"date":1759298398,"text":"a reply long enough to cross the limit"}}'
	expect_eq "$output" '500 internal error'
	[ "$(wc -c < "$T/spool")" -eq 1000 ]
	jq -e .pad "$T/spool" > /dev/null
	mr_stop
	grep -q 'tg: 500: cannot write the spool' "$T/err"
	grep -q 'File too large' "$T/err"
}

@test "--spool: a reopen that fails leaves the renamed batch unlocked" {
	mkdir "$T/d"
	mr_start --spool "$T/d/spool" --dedup-window 0
	tg_post() {
		post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
		    -d "{\"message\":{\"message_id\":$1,\"chat\":{\"id\":1},\"date\":1759298398,\"text\":\"m$1\"}}"
	}
	tg_post 1
	expect_eq "$output" 200
	# the consumer takes the spool, and the spool's directory goes too
	mv "$T/d/spool" "$T/batch"
	rmdir "$T/d"
	tg_post 2
	expect_eq "$output" '500 internal error'
	# nothing holds the batch's lock while no request comes
	timeout 2 flock "$T/batch" true
	expect_eq "$(jq -r .text "$T/batch")" m1
	mr_stop
}

@test "SIGTERM while a request is in flight: it is answered and written, exit 0" {
	mr_start
	"$PY" - "$MR_PORT" > "$T/slow" <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
body = b'{"update_id":1,"message":{"message_id":9,"from":{"id":5},"chat":{"id":5},"date":1759298398,"text":"late"}}'
s.sendall(b"POST /tg HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"X-Telegram-Bot-Api-Secret-Token: tg-secret\r\nContent-Length: %d\r\n\r\n" % len(body))
s.sendall(body[:10])
time.sleep(0.8)
s.sendall(body[10:])
print(s.recv(1000).split(b"\r\n")[0].decode())
EOF
	cpid=$!
	sleep 0.3
	mr_stop
	wait "$cpid"
	[ "$MR_RC" -eq 0 ]
	expect_eq "$(cat "$T/slow")" 'HTTP/1.1 200 OK'
	expect_eq "$(jqo -r .text)" late
	# and it listens no more
	run curl -s -m 2 "$MR_URL/tg"
	[ "$status" -ne 0 ]
}

@test "TLS: --tls-cert/--tls-key serve HTTPS; Twilio's URL is then https://Host/..." {
	command -v openssl >/dev/null || skip "openssl missing"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
	    -out "$T/cert.pem" -days 2 -subj /CN=127.0.0.1 2>/dev/null
	config '[recv tw]
type = twilio
auth_token = tw-token'
	mr_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	# recv-client.py speaks plain HTTP: sign here, post with curl -k.
	sig=$("$PY" -c 'import base64,hmac,hashlib,sys; print(base64.b64encode(hmac.new(b"tw-token", sys.argv[1].encode(), hashlib.sha1).digest()).decode())' \
	    "https://127.0.0.1:$MR_PORT/tw/smsBody1From+8613800138000MessageSidSM7")
	run curl -sk -w ' %{http_code}' -H "X-Twilio-Signature: $sig" \
	    --data-urlencode MessageSid=SM7 --data-urlencode From=+8613800138000 \
	    --data-urlencode Body=1 "https://127.0.0.1:$MR_PORT/tw/sms"
	[[ $output == *"<Response/> 200" ]]
	run curl -s -m 3 "http://127.0.0.1:$MR_PORT/tw/sms"
	[ "$status" -ne 0 ]
	mr_stop
	expect_eq "$(jqo -r '[.id, .from, .text] | join(" ")')" 'SM7 +8613800138000 1'
}

@test "stdout closed (the consumer went away): msg-recv stops with exit 2" {
	local i code
	mkfifo "$T/pipe"
	head -n 1 < "$T/pipe" > "$T/first" &
	MR_OUT=$T/pipe mr_start
	for i in 1 2 3 4 5 6; do
		post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
		    -d "{\"message\":{\"message_id\":$i,\"chat\":{\"id\":1},\"text\":\"m$i\"}}" || true
		sleep 0.2
	done
	set +e
	wait "$MR_PID"
	code=$?
	set -e
	MR_PID=
	[ "$code" -eq 2 ]
	expect_eq "$(jq -r .text "$T/first")" m1
}

@test "stdout closed: a request is answered 200 only once written; an unwritten id is taken again" {
	local i code
	mkfifo "$T/pipe"
	head -n 1 < "$T/pipe" > "$T/first" &
	MR_OUT=$T/pipe mr_start
	tg() {
		post send /tg -t application/json -H 'X-Telegram-Bot-Api-Secret-Token: tg-secret' \
		    -d "{\"message\":{\"message_id\":$1,\"chat\":{\"id\":1},\"date\":1759298398,\"text\":\"m$1\"}}"
	}
	tg 1
	expect_eq "$output" 200
	sleep 0.3		# head has its line and is gone
	tg 2
	expect_eq "$output" '503 busy, retry'
	code=0
	wait "$MR_PID" || code=$?
	MR_PID=
	[ "$code" -eq 2 ]
	grep -q 'tg: 503: standard output closed' "$T/err"
	# EPIPE is the consumer's exit, not an error to report
	not_in 'write error' "$T/err"
	# the provider retries after a restart: 2 is written, 1 is a duplicate
	mr_start
	tg 2
	expect_eq "$output" 200
	tg 1
	expect_eq "$output" 200
	mr_stop
	expect_eq "$(jqo -r .text)" m2
}
