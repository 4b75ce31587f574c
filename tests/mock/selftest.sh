#!/bin/sh
# selftest.sh - self-test of tests/mock/provider-mock; prints TAP.
#
# SPDX-License-Identifier: MIT
# Starts the mock on an ephemeral port, checks the signing vectors of
# providers.md (signers.py), sends correctly and wrongly signed requests to
# every provider and IM platform (WeCom robot/app incl. token expiry,
# DingTalk, Feishu, Slack, Teams, Telegram, Matrix txnId idempotency, the
# robot rate limits with a 1 s window), exercises the magic-number,
# magic-word and control faults, reads the record file back, then stops
# the mock by its pid (SIGTERM must exit 0).
#
#   sh tests/mock/selftest.sh            (or: prove tests/mock/selftest.sh)

set -u
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/provider-mock.XXXXXX") || exit 1
mpid=
cleanup() {
	[ -n "$mpid" ] && kill "$mpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$here/provider-mock" --port 0 --record "$tmp/record" \
    --robot-window 1 --robot-max 5 \
    --port-file "$tmp/port" --pid-file "$tmp/pid" \
    >"$tmp/stdout" 2>"$tmp/stderr" &
mpid=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -s "$tmp/port" ]; then
	echo "Bail out! provider-mock did not start"
	sed 's/^/# /' "$tmp/stderr"
	exit 1
fi
port=$(cat "$tmp/port")

python3 - "$port" "$tmp" "$here" "$mpid" <<'EOF'
import http.client, json, os, socket, sys, time, urllib.parse
port, tmp, here, mpid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sys.path.insert(0, here)
import signers as S

n = 0
fails = 0
def ok(cond, name, diag=None):
    global n, fails
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond:
        fails += 1
        if diag is not None:
            for l in str(diag).splitlines():
                print("# " + l)
    sys.stdout.flush()
    return cond

HOST = "127.0.0.1:%d" % port
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def req(method, path, body=None, headers=None, fresh=False, timeout=10):
    global conn
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout) if fresh else conn
    if isinstance(body, str):
        body = body.encode()
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if fresh:
        c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
def jreq(*a, **kw):
    st, h, data = req(*a, **kw)
    try:
        return st, h, json.loads(data)
    except ValueError:
        return st, h, data

# --- vectors
for name, got, want in S.vectors():
    ok(got == want, "vector: " + name, "got  %s\nwant %s" % (got, want))

# --- start-up
ok(open(os.path.join(tmp, "stdout")).read().strip() == str(port),
   "stdout carries the port, as --port-file")
ok(open(os.path.join(tmp, "pid")).read().strip() == mpid, "--pid-file holds its pid")
st, h, body = req("GET", "/_mock/health")
ok(st == 200 and body.strip() == b"ok", "GET /_mock/health -> 200 ok")

# --- Twilio
SID = "AC" + "a" * 32
TW = "/2010-04-01/Accounts/%s/Messages.json" % SID
import base64
def basic(u, p):
    return "Basic " + base64.b64encode(("%s:%s" % (u, p)).encode()).decode()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
def tw(to, token="twilio-token", **extra):
    f = {"To": to, "From": "+15550001111", "Body": "hello from cxkit",
         "StatusCallback": "http://127.0.0.1:9/cb?id=rec-tw"}
    f.update(extra)
    return jreq("POST", TW, urllib.parse.urlencode(f),
                dict(FORM, Authorization=basic(SID, token)))
st, h, j = tw("+15551234567")
ok(st == 201 and j["status"] == "queued" and j["sid"].startswith("SM")
   and len(j["sid"]) == 34 and j["num_segments"] == "1" and j["to"] == "+15551234567",
   "twilio: Basic auth, form body -> 201 queued SM...", j)
st, h, j = tw("+15551234567", token="wrong")
ok(st == 401 and j["code"] == 20003, "twilio: wrong AuthToken -> 401 code 20003", j)
st, h, j = tw("15551234567")
ok(st == 400 and j["code"] == 21211, "twilio: To not E.164 -> 400 code 21211", j)
st, h, j = tw("+15551230000")
ok(st == 400 and j["code"] == 21610, "twilio: To ...0000 -> 400 code 21610 (opted out)", j)

# --- Vonage
def vo(params, auth=None):
    return jreq("POST", "/sms/json", urllib.parse.urlencode(params),
                dict(FORM, **({"Authorization": auth} if auth else {})))
base = {"from": "cxkit", "to": "447700900123", "text": "hello", "client-ref": "rec-vo"}
st, h, j = vo(dict(base, api_key="vkey", api_secret="vsecret"))
m = j["messages"][0]
ok(st == 200 and m["status"] == "0" and m["client-ref"] == "rec-vo" and m["message-id"],
   "vonage: api_key/api_secret -> status 0", j)
st, h, j = vo(base, auth=basic("vkey", "vsecret"))
ok(j["messages"][0]["status"] == "0", "vonage: HTTP Basic -> status 0", j)
for meth in ("md5hash", "sha256"):
    st, h, j = vo(S.vonage_sign_params(base, "vkey", "vsigsecret", meth))
    ok(j["messages"][0]["status"] == "0", "vonage: signed request (%s) -> status 0" % meth, j)
p = S.vonage_sign_params(base, "vkey", "vsigsecret", "sha256")
p["text"] = "tampered"
st, h, j = vo(p)
ok(j["messages"][0]["status"] == "14", "vonage: wrong sig -> status 14", j)
st, h, j = vo(dict(base, api_key="vkey", api_secret="nope"))
ok(st == 200 and j["messages"][0]["status"] == "4" and "error-text" in j["messages"][0],
   "vonage: wrong api_secret -> status 4 with error-text", j)
st, h, j = vo(dict(base, to="+447700900123", api_key="vkey", api_secret="vsecret"))
ok(j["messages"][0]["status"] == "3", "vonage: to with '+' -> status 3", j)
st, h, j = vo(dict(base, to="447700900000", api_key="vkey", api_secret="vsecret"))
ok(j["messages"][0]["status"] == "7", "vonage: to ...0000 -> status 7 (barred)", j)
st, h, j = jreq("GET", "/sms/json?" + urllib.parse.urlencode(dict(base, api_key="vkey", api_secret="vsecret")))
ok(j["messages"][0]["status"] == "0", "vonage: GET with query -> status 0", j)

# --- Aliyun
SMS = {"Action": "SendSms", "Version": "2017-05-25", "RegionId": "cn-hangzhou",
       "PhoneNumbers": "13800138000", "SignName": "阿里云", "TemplateCode": "SMS_1",
       "TemplateParam": '{"code":"1234"}', "OutId": "rec-al"}
p = S.aliyun_v1_sign_params(SMS, "akid", "aksecret", "POST")
st, h, j = jreq("POST", "/", urllib.parse.urlencode(p, quote_via=urllib.parse.quote), FORM)
ok(st == 200 and j["Code"] == "OK" and j["BizId"].endswith("^0"),
   "aliyun V1: POST form -> Code OK, BizId", j)
p = S.aliyun_v1_sign_params(SMS, "akid", "aksecret", "GET")
st, h, j = jreq("GET", "/?" + urllib.parse.urlencode(p, quote_via=urllib.parse.quote))
ok(st == 200 and j["Code"] == "OK", "aliyun V1: GET query -> Code OK", j)
p = S.aliyun_v1_sign_params(SMS, "akid", "wrong", "POST")
st, h, j = jreq("POST", "/", urllib.parse.urlencode(p), FORM)
ok(st == 400 and j["Code"] == "SignatureDoesNotMatch", "aliyun V1: wrong secret -> 400 SignatureDoesNotMatch", j)
p = S.aliyun_v1_sign_params(SMS, "akid", "aksecret", "POST", nonce="fixed-nonce-1")
jreq("POST", "/", urllib.parse.urlencode(p), FORM)
st, h, j = jreq("POST", "/", urllib.parse.urlencode(p), FORM)
ok(st == 400 and j["Code"] == "SignatureNonceUsed", "aliyun V1: nonce reused -> 400 SignatureNonceUsed", j)
p = S.aliyun_v1_sign_params(dict(SMS, TemplateParam='{"code":1234}'), "akid", "aksecret", "POST")
st, h, j = jreq("POST", "/", urllib.parse.urlencode(p), FORM)
ok(st == 200 and j["Code"] == "isv.INVALID_JSON_PARAM", "aliyun: non-string TemplateParam value -> isv.INVALID_JSON_PARAM", j)
p = S.aliyun_v1_sign_params(dict(SMS, PhoneNumbers="12345"), "akid", "aksecret", "POST")
st, h, j = jreq("POST", "/", urllib.parse.urlencode(p), FORM)
ok(j["Code"] == "isv.MOBILE_NUMBER_ILLEGAL", "aliyun: bad PhoneNumbers -> isv.MOBILE_NUMBER_ILLEGAL", j)
p = S.aliyun_v1_sign_params(dict(SMS, PhoneNumbers="13800130000"), "akid", "aksecret", "POST")
st, h, j = jreq("POST", "/", urllib.parse.urlencode(p), FORM)
ok(j["Code"] == "isv.BLACK_KEY_CONTROL_LIMIT", "aliyun: ...0000 -> isv.BLACK_KEY_CONTROL_LIMIT", j)
q = {k: v for k, v in SMS.items() if k not in ("Action", "Version")}
qs = urllib.parse.urlencode(q, quote_via=urllib.parse.quote)
hd = S.aliyun_v3_sign_headers("akid", "aksecret", "POST", HOST, q, b"")
st, h, j = jreq("POST", "/?" + qs, b"", hd)
ok(st == 200 and j["Code"] == "OK", "aliyun V3: ACS3-HMAC-SHA256 -> Code OK", j)
hd = S.aliyun_v3_sign_headers("akid", "aksecret", "POST", "other.host:1", q, b"")
st, h, j = jreq("POST", "/?" + qs, b"", dict(hd, host=HOST))
ok(st == 400 and j["Code"] == "SignatureDoesNotMatch", "aliyun V3: signed for another Host -> 400 SignatureDoesNotMatch", j)

# --- Tencent
TB = json.dumps({"PhoneNumberSet": ["+8613711112222"], "SmsSdkAppId": "1400006666",
                 "SignName": "腾讯云", "TemplateId": "1234", "TemplateParamSet": ["12345"],
                 "SessionContext": "rec-tc"}, ensure_ascii=False).encode()
hd = S.tencent_sign_headers("tcid", "tckey", HOST, TB)
st, h, j = jreq("POST", "/", TB, hd)
r = j.get("Response", {})
ss = (r.get("SendStatusSet") or [{}])[0]
ok(st == 200 and ss.get("Code") == "Ok" and ss.get("SessionContext") == "rec-tc" and ss.get("SerialNo"),
   "tencent: TC3-HMAC-SHA256 -> Code Ok, SessionContext echoed", j)
hd = S.tencent_sign_headers("tcid", "wrong", HOST, TB)
st, h, j = jreq("POST", "/", TB, hd)
ok(st == 200 and j["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure",
   "tencent: wrong key -> 200 Error AuthFailure.SignatureFailure", j)
# a scope date taken in UTC+8 instead of UTC: 1700000000 is 2023-11-14 UTC, 11-15 in Beijing
cr = S.tencent_canonical_request("POST", "/", "", {"content-type": "application/json; charset=utf-8",
                                                   "host": HOST}, ["content-type", "host"], TB)
sig, scope = S.tencent_signature("tckey", "sms", "1700000000", cr, date="2023-11-15")
hd = {"Content-Type": "application/json; charset=utf-8", "X-TC-Action": "SendSms",
      "X-TC-Version": "2021-01-11", "X-TC-Timestamp": "1700000000", "X-TC-Region": "ap-guangzhou",
      "Authorization": "TC3-HMAC-SHA256 Credential=tcid/%s, SignedHeaders=content-type;host, Signature=%s" % (scope, sig)}
st, h, j = jreq("POST", "/", TB, hd)
ok(j["Response"].get("Error", {}).get("Code") == "AuthFailure.SignatureFailure",
   "tencent: credential scope with a UTC+8 date -> AuthFailure.SignatureFailure", j)
TB2 = json.dumps({"PhoneNumberSet": ["8613711112222", "+8613711110000"], "SmsSdkAppId": "1400006666",
                  "SignName": "x", "TemplateId": "1", "TemplateParamSet": []}).encode()
st, h, j = jreq("POST", "/", TB2, S.tencent_sign_headers("tcid", "tckey", HOST, TB2))
codes = [x["Code"] for x in j["Response"]["SendStatusSet"]]
ok(codes == ["InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist"],
   "tencent: no '+' -> IncorrectPhoneNumber, ...0000 -> PhoneNumberInBlacklist", j)

# --- Kannel
def ka(**kw):
    q = {"username": "kuser", "password": "kpass", "from": "10086", "to": "+8613800138000",
         "text": "hello", "dlr-mask": "3",
         "dlr-url": "http://127.0.0.1:9/dlr?id=rec-ka&s=%d"}
    q.update(kw)
    q = {k: v for k, v in q.items() if v is not None}
    return req("GET", "/cgi-bin/sendsms?" + urllib.parse.urlencode(q))
st, h, b = ka(text="你好 cxkit", coding="2", charset="UTF-8")
ok(st == 202 and b == b"0: Accepted for delivery", "kannel: UTF-8 text, coding=2 -> 202 0: Accepted for delivery", b)
st, h, b = ka(text="你好 no coding")
ok(st == 202, "kannel: non-GSM text without coding=2 is accepted (recorded coding_ok false)", b)
st, h, b = ka(password="nope")
ok(st == 403 and b == b"Authorization failed for sendsms", "kannel: wrong password -> 403", b)
st, h, b = ka(to=None)
ok(st == 400 and b == b"Missing receiver number, rejected", "kannel: no to -> 400 Missing receiver number", b)

# --- generic http
HJ = {"Content-Type": "application/json"}
st, h, j = jreq("POST", "/http/send", json.dumps({"to": "+15551234567", "text": "hi", "id": "rec-h"}),
                dict(HJ, Authorization="Bearer httptoken"))
ok(st == 200 and j["status"] == "accepted" and j["id"].startswith("H"), "http: Bearer -> 200 accepted H<n>", j)
st, h, j = jreq("POST", "/http/send", json.dumps({"to": "+15551234567", "text": "hi"}),
                dict(HJ, Authorization="Bearer nope"))
ok(st == 401, "http: wrong Bearer token -> 401", j)

# --- magic-number faults
st1 = tw("+15551235000")[0]; st2 = tw("+15551235000")[0]
ok(st1 == 500 and st2 == 500, "magic 5000: 500 every time", (st1, st2))
st1 = tw("+15551235030")[0]; st2 = tw("+15551235030")[0]
ok(st1 == 503 and st2 == 201, "magic 5030: 503 once, then 201", (st1, st2))
st1, h1, j1 = vo(dict(base, to="447700904290", api_key="vkey", api_secret="vsecret"))
st2, h2, j2 = vo(dict(base, to="447700904290", api_key="vkey", api_secret="vsecret"))
ok(st1 == 429 and h1.get("retry-after") == "1" and st2 == 200 and j2["messages"][0]["status"] == "0",
   "magic 4290: 429 Retry-After: 1 once, then success", (st1, h1, st2, j2))
st1, h1, _ = ka(to="+8613800134291"); st2, h2, _ = ka(to="+8613800134291")
ok(st1 == 429 and st2 == 429 and h2.get("retry-after") == "1", "magic 4291: 429 Retry-After: 1 always", (st1, st2))
t0 = time.time(); st, h, b = ka(to="+8613800139003"); dt = time.time() - t0
ok(st == 202 and dt >= 0.45, "magic 9003: slow (%.2f s) then 202" % dt, (st, dt))
try:
    r = req("GET", "/cgi-bin/sendsms?username=kuser&password=kpass&to=%2B8613800139002&text=x", fresh=True)
    ok(False, "magic 9002: connection reset", r)
except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError) as e:
    ok(True, "magic 9002: connection reset (%s)" % type(e).__name__)
t0 = time.time()
try:
    r = req("GET", "/cgi-bin/sendsms?username=kuser&password=kpass&to=%2B8613800139001&text=x",
            fresh=True, timeout=1)
    ok(False, "magic 9001: client times out", r)
except (socket.timeout, TimeoutError):
    ok(time.time() - t0 < 3, "magic 9001: client times out after 1 s")

# --- control faults
st, h, j = jreq("POST", "/_mock/fault?mode=500&count=2")
ok(st == 200 and j == {"mode": "500", "count": 2}, "POST /_mock/fault?mode=500&count=2", j)
sts = [tw("+15551234567")[0] for _ in range(3)]
ok(sts == [500, 500, 201], "/_mock/fault: next 2 requests 500, then 201", sts)
jreq("POST", "/_mock/fault?mode=reset&count=1")
try:
    r = req("POST", "/http/send", json.dumps({"to": "+15551234567"}),
            dict(HJ, Authorization="Bearer httptoken"), fresh=True)
    ok(False, "/_mock/fault mode=reset", r)
except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
    ok(True, "/_mock/fault mode=reset resets the next request")
st, h, j = jreq("POST", "/http/send", json.dumps({"to": "+15551234567"}),
                dict(HJ, Authorization="Bearer httptoken", **{"X-Mock-Fault": "503"}))
ok(st == 503, "X-Mock-Fault: 503 -> 503", st)

# --- IM platforms (providers.md §6-§13).  The mock runs with
# --robot-window 1 --robot-max 5 so the robot limits are testable quickly.
JH = {"Content-Type": "application/json"}
def jpost(path, obj, headers=None, method="POST", fresh=False, timeout=10):
    b = obj if isinstance(obj, (bytes, str)) else json.dumps(obj, ensure_ascii=False)
    return jreq(method, path, b, dict(JH, **(headers or {})), fresh=fresh, timeout=timeout)
def reset_expected(method, path, body, headers=None):
    try:
        r = req(method, path, body, dict(JH, **(headers or {})), fresh=True)
        return False, r
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError) as e:
        return True, type(e).__name__

# WeCom group robot
WR = "/cgi-bin/webhook/send?key=wecomkey"
st, h, j = jpost(WR, {"msgtype": "text", "text": {"content": "热线排队 15 人",
                 "mentioned_mobile_list": ["13800138000"]}})
ok(st == 200 and j == {"errcode": 0, "errmsg": "ok"}, "wecom-robot: text -> errcode 0", j)
st, h, j = jpost("/cgi-bin/webhook/send?key=nope", {"msgtype": "text", "text": {"content": "x"}})
ok(j.get("errcode") == 93000, "wecom-robot: wrong key -> errcode 93000", j)
st, h, j = jpost(WR, {"msgtype": "text", "text": {"content": "字" * 683}})
ok(j.get("errcode") == 40058 and "2048" in j["errmsg"], "wecom-robot: text of 2049 bytes -> 40058", j)
st, h, j = jpost(WR, {"msgtype": "markdown", "markdown": {"content": "## x\n" + "a" * 4000}})
ok(j.get("errcode") == 0, "wecom-robot: markdown of 4005 bytes -> 0", j)
b64, md5 = S.wecom_image(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
st, h, j = jpost(WR, {"msgtype": "image", "image": {"base64": b64, "md5": md5}})
ok(j.get("errcode") == 0, "wecom-robot: image, md5 of the raw bytes -> 0", j)
st, h, j = jpost(WR, {"msgtype": "image", "image": {"base64": b64,
                 "md5": S.wecom_image(b64.encode())[1]}})
ok(j.get("errcode") == 40058 and "md5" in j["errmsg"], "wecom-robot: md5 of the base64 text -> 40058", j)
bd = "cxkitboundary"
mp = ("--%s\r\nContent-Disposition: form-data; name=\"media\"; filename=\"r.txt\"; "
      "filelength=11\r\nContent-Type: application/octet-stream\r\n\r\nreport body\r\n--%s--\r\n" % (bd, bd))
st, h, j = jreq("POST", "/cgi-bin/webhook/upload_media?key=wecomkey&type=file", mp,
                {"Content-Type": "multipart/form-data; boundary=" + bd})
mid = j.get("media_id") if isinstance(j, dict) else None
ok(j.get("errcode") == 0 and j.get("type") == "file" and mid, "wecom-robot: upload_media -> media_id", j)
st, h, j = jpost(WR, {"msgtype": "file", "file": {"media_id": mid}})
ok(j.get("errcode") == 0, "wecom-robot: file message with the uploaded media_id -> 0", j)
st, h, j = jpost(WR, {"msgtype": "file", "file": {"media_id": "MEDIA-none"}})
ok(j.get("errcode") == 40007, "wecom-robot: unknown media_id -> 40007", j)

# WeCom application messages
st, h, j = jreq("GET", "/cgi-bin/gettoken?corpid=wwcorp&corpsecret=wrong")
ok(j.get("errcode") == 40001, "wecom-app: gettoken with a wrong secret -> 40001", j)
st, h, j = jreq("GET", "/cgi-bin/gettoken?corpid=wwcorp&corpsecret=wwsecret")
tok1 = j.get("access_token")
ok(j.get("errcode") == 0 and tok1 and j.get("expires_in", 0) > 7000, "wecom-app: gettoken -> access_token", j)
st, h, j = jreq("GET", "/_mock/stats")
ok(j.get("tokens_issued") == 1, "wecom-app: /_mock/stats tokens_issued 1", j)
APP = {"touser": "zhangsan", "msgtype": "text", "agentid": 1000002,
       "text": {"content": "工单 W1 已完成"}}
st, h, j = jpost("/cgi-bin/message/send?access_token=" + tok1, APP)
ok(j.get("errcode") == 0 and j.get("msgid", "").startswith("MSG-"), "wecom-app: message/send -> msgid", j)
st, h, j = jpost("/cgi-bin/message/send?access_token=bogus", APP)
ok(j.get("errcode") == 40014, "wecom-app: never-issued token -> 40014", j)
st, h, j = jpost("/cgi-bin/message/send?access_token=" + tok1, dict(APP, agentid=None))
ok(j.get("errcode") == 41011, "wecom-app: no agentid -> 41011", j)
st, h, j = jpost("/cgi-bin/message/send?access_token=" + tok1, {k: v for k, v in APP.items() if k != "touser"})
ok(j.get("errcode") == 81013, "wecom-app: no touser/toparty/totag -> 81013", j)
DUP = dict(APP, text={"content": "dup check"}, enable_duplicate_check=1, duplicate_check_interval=600)
_, _, j1 = jpost("/cgi-bin/message/send?access_token=" + tok1, DUP)
_, _, j2 = jpost("/cgi-bin/message/send?access_token=" + tok1, DUP)
ok(j1.get("errcode") == 0 and j2.get("errcode") == 0 and j1.get("msgid") == j2.get("msgid"),
   "wecom-app: enable_duplicate_check: the same body twice -> same msgid", (j1, j2))
st, h, j = jreq("POST", "/_mock/expire-tokens")
ok(j.get("expired") == 1, "POST /_mock/expire-tokens", j)
st, h, j = jpost("/cgi-bin/message/send?access_token=" + tok1, APP)
ok(j.get("errcode") == 42001, "wecom-app: expired token -> 42001", j)
st, h, j = jreq("GET", "/cgi-bin/gettoken?corpid=wwcorp&corpsecret=wwsecret")
tok2 = j.get("access_token")
st, h, j = jpost("/cgi-bin/message/send?access_token=%s" % tok2, APP)
ok(tok2 and tok2 != tok1 and j.get("errcode") == 0, "wecom-app: a new token after expiry -> sent", (tok1, tok2, j))

# DingTalk
def ding(obj, secret="SECdingsecret", ts=None, token="dingtoken"):
    return jpost("/robot/send?access_token=%s&%s" % (token, S.dingtalk_sign_query(secret, ts)), obj)
DT = {"msgtype": "text", "text": {"content": "hotline overflow @13800138000"},
      "at": {"atMobiles": ["13800138000"], "isAtAll": False}}
st, h, j = ding(DT)
ok(st == 200 and j == {"errcode": 0, "errmsg": "ok"}, "dingtalk: signed text -> errcode 0", j)
st, h, j = ding(DT, secret="SECwrong")
ok(j.get("errcode") == 310000 and "sign not match" in j["errmsg"], "dingtalk: wrong sign -> 310000 sign not match", j)
st, h, j = ding(DT, ts=int(time.time() * 1000) - 2 * 3600 * 1000)
ok(j.get("errcode") == 310000, "dingtalk: timestamp 2 h old -> 310000", j)
ts = int(time.time() * 1000)
while "+" not in S.dingtalk_sign("SECdingsecret", ts):
    ts -= 1
st, h, j = jpost("/robot/send?access_token=dingtoken&timestamp=%d&sign=%s" % (ts, S.dingtalk_sign("SECdingsecret", ts)), DT)
ok(j.get("errcode") == 310000, "dingtalk: a sign with '+' not URL-encoded -> 310000", j)
st, h, j = ding(DT, token="nope")
ok(j.get("errcode") == 300005, "dingtalk: wrong access_token -> 300005", j)
st, h, j = ding({"msgtype": "markdown", "markdown": {"text": "## no title"}})
ok(j.get("errcode") == 40035, "dingtalk: markdown without title -> 40035", j)

# Feishu
def feishu(obj, secret="feishusecret", ts=None, token="feishutoken"):
    ts = str(int(time.time()) if ts is None else ts)
    o = dict(obj, timestamp=ts, sign=S.feishu_sign(secret, ts))
    return jpost("/open-apis/bot/v2/hook/" + token, o)
FT = {"msg_type": "text", "content": {"text": "队列告警 <at user_id=\"ou_1\">Li</at>"}}
st, h, j = feishu(FT)
ok(st == 200 and j == {"code": 0, "msg": "success", "data": {}}, "feishu: signed text -> code 0", j)
st, h, j = feishu(FT, secret="wrong")
ok(j.get("code") == 19021, "feishu: wrong sign -> 19021", j)
st, h, j = feishu(FT, ts=int(time.time()) - 7200)
ok(j.get("code") == 19021, "feishu: timestamp 2 h old -> 19021", j)
st, h, j = feishu(FT, token="nope")
ok(j.get("code") == 19001, "feishu: wrong token -> 19001", j)
st, h, j = feishu({"msg_type": "text", "content": {"text": "x" * 21000}})
ok(j.get("code") == 9499, "feishu: body > 20 KB -> 9499 Bad Request", j)
st, h, j = feishu({"msg_type": "post", "content": {"post": {"zh_cn": {"title": "T",
                  "content": [[{"tag": "text", "text": "line "}, {"tag": "a", "text": "link", "href": "https://x"}]]}}}})
ok(j.get("code") == 0, "feishu: post -> code 0", j)

# Slack
SH = "/services/TMOCK/BMOCK/slacksecret"
st, h, b = req("POST", SH, json.dumps({"text": "hotline: 12 waiting"}), JH)
ok(st == 200 and b == b"ok", "slack webhook: -> 200 ok", (st, b))
st, h, b = req("POST", "/services/TMOCK/BMOCK/wrong", json.dumps({"text": "x"}), JH)
ok(st == 403 and b == b"invalid_token", "slack webhook: wrong path -> 403 invalid_token", (st, b))
st, h, b = req("POST", SH, json.dumps({"username": "x"}), JH)
ok(st == 400 and b == b"no_text", "slack webhook: no text -> 400 no_text", (st, b))
SB = {"Authorization": "Bearer xoxb-mock", "Content-Type": "application/json; charset=utf-8"}
st, h, j = jpost("/api/chat.postMessage", {"channel": "C0123", "text": "ticket W1 solved",
                 "thread_ts": "1700000000.000100"}, SB)
ok(st == 200 and j.get("ok") is True and j["channel"] == "C0123" and j["ts"].startswith("1700000000.")
   and j["message"]["thread_ts"] == "1700000000.000100", "slack chat.postMessage: JSON, thread -> ok ts", j)
st, h, j = jpost("/api/chat.postMessage", {"channel": "C0123", "text": "x"}, {"Authorization": "Bearer xoxb-nope"})
ok(st == 200 and j == {"ok": False, "error": "invalid_auth"}, "slack chat.postMessage: wrong token -> invalid_auth", j)
st, h, j = jpost("/api/chat.postMessage", {"text": "x"}, SB)
ok(j.get("error") == "channel_not_found", "slack chat.postMessage: no channel -> channel_not_found", j)
st, h, j = jpost("/api/chat.postMessage", {"channel": "C0123", "text": "x" * 40001}, SB)
ok(j.get("error") == "msg_too_long", "slack chat.postMessage: 40001 chars -> msg_too_long", j)
st, h, j = jreq("POST", "/api/chat.postMessage", urllib.parse.urlencode({"channel": "C0123", "text": "form"}),
                dict(FORM, Authorization="Bearer xoxb-mock"))
ok(j.get("ok") is True, "slack chat.postMessage: form body -> ok", j)

# Teams
TF = "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers&sv=1.0&sig="
CARD = {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None, "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": [
            {"type": "TextBlock", "text": "Hotline", "weight": "bolder"},
            {"type": "TextBlock", "text": "12 callers waiting", "wrap": True}]}}]}
st, h, b = req("POST", TF + "teamssig", json.dumps(CARD), JH)
ok(st == 202 and b == b"", "teams workflow: Adaptive Card -> 202, empty body", (st, b))
st, h, j = jpost(TF + "wrong", CARD)
ok(st == 401, "teams workflow: wrong sig -> 401", (st, j))
st, h, j = jreq("POST", TF + "teamssig", "12 callers waiting", {"Content-Type": "text/plain"})
ok(st == 400, "teams workflow: text/plain -> 400", (st, j))
st, h, j = jpost(TF + "teamssig", {"type": "message", "attachments": [{"contentType": "text/html", "content": {}}]})
ok(st == 400 and j["error"]["code"] == "TriggerInputSchemaMismatch", "teams workflow: not an Adaptive Card -> 400", j)
big = json.loads(json.dumps(CARD)); big["attachments"][0]["content"]["body"][1]["text"] = "x" * 29000
st, h, j = jpost(TF + "teamssig", big)
ok(st == 413, "teams workflow: > 28 KB -> 413", st)
st, h, b = req("POST", "/webhookb2/g1@g2/IncomingWebhook/abc/g3", json.dumps(
    {"@type": "MessageCard", "@context": "http://schema.org/extensions", "summary": "s", "text": "hello"}), JH)
ok(st == 200 and b == b"1", "teams connector: MessageCard -> 200 \"1\"", (st, b))
st, h, b = req("POST", "/webhookb2/g1@g2/IncomingWebhook/abc/g3", json.dumps({"title": "only"}), JH)
ok(st == 400 and b"Summary or Text" in b, "teams connector: no text -> 400", (st, b))

# Telegram
TG = "/bot123:telegramtoken/sendMessage"
st, h, j = jpost(TG, {"chat_id": 4242, "text": "Your repair W1 is done - thanks!"})
ok(st == 200 and j["ok"] and j["result"]["message_id"] >= 1 and j["result"]["chat"]["id"] == 4242
   and j["result"]["text"] == "Your repair W1 is done - thanks!", "telegram: plain text -> ok, message_id", j)
st, h, j = jpost("/bot123:wrong/sendMessage", {"chat_id": 4242, "text": "x"})
ok(st == 401 and j == {"ok": False, "error_code": 401, "description": "Unauthorized"}, "telegram: wrong token -> 401", j)
st, h, j = jpost(TG, {"text": "x"})
ok(st == 400 and j["description"].startswith("Bad Request: chat"), "telegram: no chat_id -> 400", j)
st, h, j = jpost(TG, {"chat_id": "blocked", "text": "x"})
ok(st == 403 and j["description"] == "Forbidden: bot was blocked by the user", "telegram: blocked -> 403", j)
st, h, j = jpost(TG, {"chat_id": 4242, "text": "done - thanks", "parse_mode": "MarkdownV2"})
ok(st == 400 and j["description"] == "Bad Request: can't parse entities: Character '-' is reserved "
   "and must be escaped with the preceding '\\'", "telegram: MarkdownV2 unescaped '-' -> 400", j)
st, h, j = jpost(TG, {"chat_id": 4242, "parse_mode": "MarkdownV2",
                 "text": "*W1* " + S.telegram_escape_markdown_v2("done - thanks! (v1.2)")})
ok(st == 200 and j["result"]["text"] == "W1 done - thanks! (v1.2)", "telegram: MarkdownV2 escaped -> 200, entities parsed", j)
st, h, j = jpost(TG, {"chat_id": 4242, "parse_mode": "HTML", "text": "<b>W1</b> &lt;done&gt;"})
ok(st == 200 and j["result"]["text"] == "W1 <done>", "telegram: HTML -> 200", j)
st, h, j = jpost(TG, {"chat_id": 4242, "text": "工" * 4096})
ok(st == 200, "telegram: 4096 CJK characters -> 200", j)
st, h, j = jpost(TG, {"chat_id": 4242, "text": "😀" * 4097})
ok(st == 400 and j["description"] == "Bad Request: message is too long", "telegram: 4097 characters -> too long", j)
st1, h1, j1 = jpost(TG, {"chat_id": 4242, "text": "hi #fault429"})
st2, h2, j2 = jpost(TG, {"chat_id": 4242, "text": "hi #fault429"})
ok(st1 == 429 and j1.get("parameters") == {"retry_after": 1} and st2 == 200,
   "telegram: #fault429 -> 429 retry_after 1 once, then 200", (j1, j2))

# Matrix
MX = "/_matrix/client/v3/rooms/%s/send/m.room.message/" % urllib.parse.quote("!room:example.org", safe="")
MH = {"Authorization": "Bearer matrixtoken"}
st, h, j = jpost(MX + "cxkit-m1", {"msgtype": "m.text", "body": "hello room"}, MH, method="PUT")
ev1 = j.get("event_id")
ok(st == 200 and ev1 and ev1.startswith("$"), "matrix: PUT send -> event_id", j)
st, h, j = jpost(MX + "cxkit-m1", {"msgtype": "m.text", "body": "hello room"}, MH, method="PUT")
ok(st == 200 and j.get("event_id") == ev1, "matrix: the same txnId again -> the same event_id", (ev1, j))
st, h, j = jpost(MX + "cxkit-m2", {"msgtype": "m.text", "body": "x"}, {"Authorization": "Bearer nope"}, method="PUT")
ok(st == 401 and j.get("errcode") == "M_UNKNOWN_TOKEN", "matrix: wrong token -> 401 M_UNKNOWN_TOKEN", j)
st, h, j = jpost(MX + "cxkit-m3", {"msgtype": "m.text"}, MH, method="PUT")
ok(st == 400 and j.get("errcode") == "M_BAD_JSON", "matrix: no body -> 400 M_BAD_JSON", j)
st, h, j = jpost(MX + "cxkit-m4", {"msgtype": "m.text", "body": "x"}, dict(MH, **{"X-Mock-Fault": "429"}), method="PUT")
ok(st == 429 and j.get("errcode") == "M_LIMIT_EXCEEDED" and h.get("retry-after") == "1",
   "matrix: 429 -> M_LIMIT_EXCEEDED, Retry-After: 1", (st, h, j))
t0 = time.time()
try:
    jpost(MX + "cxkit-m5", {"msgtype": "m.text", "body": "slow #faulttimeout"}, MH, method="PUT", fresh=True, timeout=1)
    ok(False, "matrix: #faulttimeout -> client times out")
except (socket.timeout, TimeoutError):
    st, h, j = jpost(MX + "cxkit-m5", {"msgtype": "m.text", "body": "slow #faulttimeout"}, MH, method="PUT")
    ok(st == 200 and j.get("event_id") and time.time() - t0 < 3,
       "matrix: #faulttimeout, the retry of that txnId answers at once with the first event_id", j)

# magic words and faults on IM
sts = [jpost(WR, {"msgtype": "text", "text": {"content": "x #fault500"}})[0] for _ in range(2)]
ok(sts == [500, 500], "#fault500: 500 every time", sts)
r = reset_expected("POST", WR, json.dumps({"msgtype": "text", "text": {"content": "x #faultreset"}}))
ok(r[0], "#faultreset: connection reset", r)
t0 = time.time(); st, h, j = feishu({"msg_type": "text", "content": {"text": "x #faultslow"}}); dt = time.time() - t0
ok(j.get("code") == 0 and dt >= 0.45, "#faultslow: feishu answers after %.2f s" % dt, j)
st, h, j = jpost("/robot/send?access_token=dingtoken&" + S.dingtalk_sign_query("SECdingsecret"), DT,
                 {"X-Mock-Fault": "429"})
ok(st == 200 and j.get("errcode") == 130101, "X-Mock-Fault: 429 on dingtalk -> HTTP 200 errcode 130101", j)
st, h, j = jpost(TG, {"chat_id": 4242, "text": "x #fault503"})
ok(st == 503, "#fault503 on telegram -> 503", j)

# robot rate limits: --robot-window 1 --robot-max 5
time.sleep(1.05)
sts = [jpost(WR, {"msgtype": "text", "text": {"content": "burst %d" % i}})[2].get("errcode") for i in range(6)]
ok(sts == [0, 0, 0, 0, 0, 45009], "wecom-robot: 6 in the window -> the 6th gets 45009", sts)
time.sleep(1.05)
st, h, j = jpost(WR, {"msgtype": "text", "text": {"content": "after the window"}})
ok(j.get("errcode") == 0, "wecom-robot: after the window -> 0 again", j)
sts = [ding({"msgtype": "text", "text": {"content": "burst %d" % i}})[2].get("errcode") for i in range(6)]
ok(sts[:5] == [0] * 5 and sts[5] == 130101, "dingtalk: 6 in the window -> the 6th gets 130101", sts)

# IM records
time.sleep(0.2)
im = [json.loads(l) for l in open(os.path.join(tmp, "record"), encoding="utf-8").read().splitlines()]
im = [r for r in im if r.get("op") is not None]
def first_rec(pred):
    return next((r for r in im if pred(r)), None)
r = first_rec(lambda r: r["provider"] == "wecom-robot" and r["msgtype"] == "text")
ok(r and r["text"] == "热线排队 15 人" and r["mentions"] == ["13800138000"] and r["sig_ok"] is True
   and r["delivered"] is True and r["status"] == 200, "record: wecom-robot text, mentions, delivered", r)
r = [x for x in im if x["provider"] == "wecom-app" and x["text"] == "dup check"]
ok(len(r) == 2 and r[0]["delivered"] and not r[0]["duplicate"] and r[1]["duplicate"] and not r[1]["delivered"]
   and r[0]["id"] == r[1]["id"], "record: wecom-app duplicate true, delivered once", r)
r = first_rec(lambda r: r["provider"] == "wecom-app" and r["error"] == "42001")
ok(r and r["sig_ok"] is False, "record: wecom-app 42001 sig_ok false", r)
r = first_rec(lambda r: r["provider"] == "dingtalk")
ok(r and r["sig_ok"] is True and r["mentions"] == ["13800138000"] and r.get("mentions_in_text") is True,
   "record: dingtalk sig_ok, mentions", r)
r = [x for x in im if x["provider"] == "dingtalk" and x["error"] == "310000"]
ok(r and all(x["sig_ok"] is False and x["detail"] for x in r), "record: dingtalk 310000 sig_ok false with detail", r[:1])
r = first_rec(lambda r: r["provider"] == "feishu" and r["msgtype"] == "text")
ok(r and r["sig_ok"] and r["mentions"] == ["ou_1"] and r["text"].startswith("队列告警"), "record: feishu", r)
r = first_rec(lambda r: r["provider"] == "slack" and r["op"] == "chat.postMessage" and r["delivered"])
ok(r and r["to"] == "C0123" and r["thread_ts"] == "1700000000.000100" and r["id"].startswith("1700000000."),
   "record: slack chat.postMessage to, thread_ts, id = ts", r)
r = first_rec(lambda r: r["provider"] == "teams" and r["delivered"])
ok(r and r["text"] == "Hotline\n12 callers waiting" and r["status"] == 202, "record: teams card text", r)
r = first_rec(lambda r: r["provider"] == "telegram" and r.get("parse_mode") == "MarkdownV2" and r["delivered"])
ok(r and r["text"] == "W1 done - thanks! (v1.2)" and r["markup"].startswith("*W1* ") and r["to"] == "4242",
   "record: telegram parse_mode, text as shown, markup", r)
r = [x for x in im if x["provider"] == "matrix" and x.get("txn") == "cxkit-m1"]
ok(len(r) == 2 and r[0]["delivered"] and r[1]["duplicate"] and not r[1]["delivered"] and r[0]["id"] == r[1]["id"]
   and r[0]["to"] == "!room:example.org", "record: matrix txn, duplicate, room", r)
r = [x for x in im if x["provider"] == "matrix" and x.get("txn") == "cxkit-m5"]
ok(len(r) == 2 and r[0]["fault"] == "timeout" and r[0]["delivered"] and r[1]["duplicate"],
   "record: matrix #faulttimeout delivered once, the retry a duplicate", r)
ok(all({"provider", "op", "to", "text", "id", "sig_ok", "status", "fault", "delivered", "duplicate",
        "msgtype", "mentions"} <= set(x) for x in im), "record: IM fields in every IM line (%d)" % len(im))
st, h, j = jreq("GET", "/_mock/stats")
ok(j["providers"]["matrix"].get("duplicates", 0) == 2 and j["providers"]["wecom-robot"]["delivered"] >= 5,
   "/_mock/stats: delivered and duplicates per platform", j["providers"].get("matrix"))

# --- throughput: 1000 requests on one keep-alive connection
t0 = time.time()
good = 0
for i in range(1000):
    st, h, b = req("POST", "/http/send", '{"to":"+15551234567","text":"x"}',
                   dict(HJ, Authorization="Bearer httptoken"))
    good += st == 200
dt = time.time() - t0
ok(good == 1000 and dt < 10, "1000 keep-alive requests in %.2f s" % dt, (good, dt))

# --- stats and record
st, h, j = jreq("GET", "/_mock/stats")
ok(st == 200 and j["providers"]["http"]["status"]["200"] >= 1001 and j["total"] >= 1040,
   "GET /_mock/stats counts by provider and status", j)
time.sleep(0.2)
lines = open(os.path.join(tmp, "record"), encoding="utf-8").read().splitlines()
recs = [json.loads(l) for l in lines]
ok(len(recs) == j["total"] and all(
    {"provider", "path", "method", "status", "to", "text", "from", "id", "ref", "sig_ok",
     "template", "params", "fault", "t"} <= set(r) for r in recs),
   "record: one complete JSON line per provider request (%d)" % len(recs), (len(recs), j["total"]))
by = {}
for r in recs:
    by.setdefault(r["provider"], []).append(r)
tw0 = by["twilio"][0]
ok(tw0["status"] == 201 and tw0["id"].startswith("SM") and tw0["ref"] == "rec-tw"
   and tw0["sig_ok"] is True and tw0["text"] == "hello from cxkit", "record: twilio id, ref, text", tw0)
ok(by["twilio"][1]["sig_ok"] is False and by["twilio"][1]["status"] == 401, "record: rejected twilio sig_ok false", by["twilio"][1])
ok(by["vonage"][0]["ref"] == "rec-vo" and by["vonage"][0]["id"], "record: vonage client-ref", by["vonage"][0])
al = by["aliyun"][0]
ok(al["ref"] == "rec-al" and al["template"] == "SMS_1" and al["params"] == {"code": "1234"}
   and al["auth"] == "v1", "record: aliyun OutId, TemplateCode, params", al)
ok(any(r["auth"] == "v3" and r["status"] == 200 and r["id"] for r in by["aliyun"]), "record: aliyun V3 accepted")
tc = by["tencent"][0]
ok(tc["ref"] == "rec-tc" and tc["params"] == ["12345"] and tc["template"] == "1234" and tc["id"],
   "record: tencent SessionContext, TemplateId, SerialNo", tc)
k0, k1 = by["kannel"][0], by["kannel"][1]
ok(k0["text"] == "你好 cxkit" and k0["coding_ok"] is True and k0["ref"] == "rec-ka"
   and k1["coding_ok"] is False, "record: kannel decoded text, coding_ok, dlr-url id", (k0, k1))
faults = [r["fault"] for r in recs if r["fault"]]
ok(all(f in faults for f in ("500", "503", "429", "reset", "slow", "timeout", "optout")),
   "record: fault names", faults)

with open(os.path.join(tmp, "n"), "w") as f:
    f.write("%d %d\n" % (n, fails))
EOF

read n fails <"$tmp/n" 2>/dev/null || { n=0; fails=1; }
# SIGTERM: exit 0, pid file removed
kill "$mpid"
wait "$mpid"
rc=$?
mpid=
n=$((n + 1))
if [ $rc -eq 0 ] && [ ! -e "$tmp/pid" ]; then
	echo "ok $n - SIGTERM: exit 0, pid file removed"
else
	echo "not ok $n - SIGTERM: exit 0, pid file removed (rc $rc)"
	fails=$((fails + 1))
fi
echo "1..$n"
[ "$fails" -eq 0 ]
