#!/bin/sh
# selftest.sh - self-test of tests/mock/provider-mock; prints TAP.
#
# SPDX-License-Identifier: MIT
# Starts the mock on an ephemeral port, checks the signing vectors of
# providers.md (signers.py), sends correctly and wrongly signed requests to
# every provider, exercises the magic-number and control faults, reads the
# record file back, then stops the mock by its pid (SIGTERM must exit 0).
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
