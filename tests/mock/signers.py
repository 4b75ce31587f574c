"""signers.py - request signing for the SMS and IM providers cxkit talks to.

SPDX-License-Identifier: MIT

One implementation, used both ways: tests/mock/provider-mock imports it to
VERIFY what arrives (it recomputes the signature from the request as
received), and tests/mock/selftest.sh uses it to SIGN requests and to check
the published test vectors of /work/shared/reference/providers.md (see
vectors() at the bottom; `python3 signers.py` prints them as TAP).

Python 3 standard library only.
"""

import base64
import datetime
import hashlib
import hmac
import urllib.parse

__all__ = [
    "twilio_signature", "twilio_body_sha256",
    "vonage_sign_string", "vonage_signature", "vonage_sign_params",
    "VONAGE_METHODS",
    "percent_encode", "aliyun_v1_canonical_query", "aliyun_v1_string_to_sign",
    "aliyun_v1_signature", "aliyun_v1_sign_params",
    "aliyun_v3_canonical_query", "aliyun_v3_canonical_request",
    "aliyun_v3_signature", "aliyun_v3_sign_headers", "AliyunV3Auth",
    "parse_aliyun_v3_authorization",
    "tencent_canonical_request", "tencent_signature", "tencent_sign_headers",
    "parse_tencent_authorization", "utc_date",
    "sha256_hex", "EMPTY_SHA256",
    "dingtalk_sign", "dingtalk_sign_query", "feishu_sign", "wecom_image",
    "telegram_escape_markdown_v2", "TELEGRAM_MDV2_RESERVED",
]

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _b(s):
    return s if isinstance(s, bytes) else str(s).encode("utf-8")


def sha256_hex(data):
    return hashlib.sha256(_b(data)).hexdigest()


def _pairs(params):
    """A dict or an iterable of (name, value) pairs -> list of pairs."""
    if params is None:
        return []
    if isinstance(params, dict):
        return list(params.items())
    return list(params)


# ---------------------------------------------------------------------------
# §1 Twilio: X-Twilio-Signature (webhooks).  HMAC-SHA1(token, url + sorted
# name+value pairs), Base64.  Duplicate names: values sorted too.

def twilio_signature(auth_token, url, params=None):
    groups = {}
    for k, v in _pairs(params):
        groups.setdefault(k, []).append(v)
    s = url
    for k in sorted(groups):
        for v in sorted(groups[k]):
            s += k + v
    mac = hmac.new(_b(auth_token), _b(s), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def twilio_body_sha256(body):
    return sha256_hex(body)


# ---------------------------------------------------------------------------
# §2 Vonage: `sig` over "&k1=v1&k2=v2..." (sorted by name, '&' and '=' in
# values replaced by '_', raw values).  md5hash = md5(string + secret);
# md5/sha1/sha256/sha512 = HMAC(secret, string); lower-case hex.

VONAGE_METHODS = ("md5hash", "md5", "sha1", "sha256", "sha512")


def vonage_sign_string(params):
    items = []
    for k, v in _pairs(params):
        if k == "sig":
            continue
        if isinstance(v, str):
            v = v.replace("&", "_").replace("=", "_")
        items.append((k, str(v)))
    items.sort(key=lambda kv: kv[0])
    return "".join("&%s=%s" % kv for kv in items)


def vonage_signature(params, secret, method="md5hash"):
    s = vonage_sign_string(params)
    if method == "md5hash":
        return hashlib.md5(_b(s + secret)).hexdigest()
    if method not in VONAGE_METHODS:
        raise ValueError("unknown vonage signature method %r" % method)
    return hmac.new(_b(secret), _b(s), getattr(hashlib, method)).hexdigest()


def vonage_sign_params(params, api_key, secret, method="md5hash",
                       timestamp=None):
    """Client side: params (dict) + api_key + timestamp + sig, as a dict."""
    import time
    p = dict(params)
    p.pop("api_secret", None)
    p.pop("sig", None)
    p["api_key"] = api_key
    if "timestamp" not in p:
        p["timestamp"] = str(int(time.time()) if timestamp is None
                             else timestamp)
    p["sig"] = vonage_signature(p, secret, method)
    return p


# ---------------------------------------------------------------------------
# §3 Aliyun.  percentEncode = RFC 3986 on UTF-8, unreserved kept, %XX upper.

def percent_encode(s):
    return urllib.parse.quote(_b(s), safe="~")


def aliyun_v1_canonical_query(params):
    items = [(percent_encode(k), percent_encode(v))
             for k, v in _pairs(params) if k != "Signature"]
    items.sort()
    return "&".join("%s=%s" % kv for kv in items)


def aliyun_v1_string_to_sign(method, params):
    return "%s&%s&%s" % (method.upper(), percent_encode("/"),
                         percent_encode(aliyun_v1_canonical_query(params)))


def aliyun_v1_signature(secret, method, params):
    sts = aliyun_v1_string_to_sign(method, params)
    mac = hmac.new(_b(secret + "&"), _b(sts), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def aliyun_v1_sign_params(params, access_key_id, secret, method="POST",
                          timestamp=None, nonce=None):
    """Client side: add the common V1 params and Signature; returns a dict."""
    import time
    import uuid
    p = dict(params)
    p.setdefault("AccessKeyId", access_key_id)
    p.setdefault("Format", "JSON")
    p.setdefault("SignatureMethod", "HMAC-SHA1")
    p.setdefault("SignatureVersion", "1.0")
    p.setdefault("SignatureNonce", nonce or uuid.uuid4().hex)
    p.setdefault("Timestamp", timestamp or time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    p.pop("Signature", None)
    p["Signature"] = aliyun_v1_signature(secret, method, p)
    return p


def aliyun_v3_canonical_query(params):
    items = [(percent_encode(k), percent_encode(v)) for k, v in _pairs(params)]
    items.sort()
    return "&".join("%s=%s" % kv for kv in items)


def _canon_headers(headers, signed, lower_values=False):
    """headers: dict lower-name -> value, or -> list of values (merged:
    trimmed, sorted, comma-joined).  signed: list of lower-case names."""
    out = ""
    for name in signed:
        v = headers.get(name, "")
        if isinstance(v, (list, tuple)):
            v = ",".join(sorted(x.strip() for x in v))
        else:
            v = v.strip()
        if lower_values:
            v = v.lower()
        out += "%s:%s\n" % (name, v)
    return out


def aliyun_v3_canonical_request(method, path, query, headers, signed_headers,
                                hashed_payload):
    """query: pairs or dict (decoded).  headers: dict lower-name -> value(s).
    signed_headers: list of lower-case names (sorted)."""
    return "\n".join([
        method.upper(),
        path or "/",
        aliyun_v3_canonical_query(query),
        _canon_headers(headers, signed_headers),
        ";".join(signed_headers),
        hashed_payload,
    ])


def aliyun_v3_signature(secret, canonical_request):
    sts = "ACS3-HMAC-SHA256\n" + sha256_hex(canonical_request)
    return hmac.new(_b(secret), _b(sts), hashlib.sha256).hexdigest()


class AliyunV3Auth:
    """Parsed `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,
    Signature=..`."""

    def __init__(self, credential, signed_headers, signature):
        self.credential = credential
        self.signed_headers = signed_headers
        self.signature = signature


def _parse_kv_list(s):
    out = {}
    for part in s.split(","):
        part = part.strip()
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def parse_aliyun_v3_authorization(value):
    """Returns AliyunV3Auth, or None when malformed."""
    if not value or not value.startswith("ACS3-HMAC-SHA256 "):
        return None
    kv = _parse_kv_list(value[len("ACS3-HMAC-SHA256 "):])
    if not {"Credential", "SignedHeaders", "Signature"} <= set(kv):
        return None
    return AliyunV3Auth(kv["Credential"],
                        [h for h in kv["SignedHeaders"].split(";") if h],
                        kv["Signature"])


def aliyun_v3_sign_headers(access_key_id, secret, method, host, query,
                           body=b"", action="SendSms", version="2017-05-25",
                           date=None, nonce=None, content_type=None,
                           path="/"):
    """Client side: returns the headers (dict) to send, Authorization
    included."""
    import time
    import uuid
    h = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                            time.gmtime()),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": sha256_hex(body),
    }
    if content_type:
        h["content-type"] = content_type
    signed = sorted(h)
    cr = aliyun_v3_canonical_request(method, path, query, h, signed,
                                     h["x-acs-content-sha256"])
    sig = aliyun_v3_signature(secret, cr)
    h["authorization"] = ("ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,"
                          "Signature=%s" % (access_key_id, ";".join(signed),
                                            sig))
    return h


# ---------------------------------------------------------------------------
# §4 Tencent TC3-HMAC-SHA256.  Header names AND values lower-cased and
# trimmed in the canonical headers; scope = UTC date of the timestamp.

def utc_date(timestamp):
    return datetime.datetime.fromtimestamp(
        int(timestamp), datetime.timezone.utc).strftime("%Y-%m-%d")


def tencent_canonical_request(method, path, query_string, headers,
                              signed_headers, payload):
    return "\n".join([
        method.upper(),
        path or "/",
        query_string or "",
        _canon_headers(headers, signed_headers, lower_values=True),
        ";".join(signed_headers),
        sha256_hex(payload),
    ])


def tencent_signature(secret_key, service, timestamp, canonical_request,
                      date=None):
    """Returns (signature hex, credential scope)."""
    date = date or utc_date(timestamp)
    scope = "%s/%s/tc3_request" % (date, service)
    sts = "TC3-HMAC-SHA256\n%s\n%s\n%s" % (timestamp, scope,
                                           sha256_hex(canonical_request))

    def h(key, msg):
        return hmac.new(key, _b(msg), hashlib.sha256).digest()
    k = h(_b("TC3" + secret_key), date)
    k = h(k, service)
    k = h(k, "tc3_request")
    return hmac.new(k, _b(sts), hashlib.sha256).hexdigest(), scope


def tencent_sign_headers(secret_id, secret_key, host, payload,
                         action="SendSms", version="2021-01-11",
                         region="ap-guangzhou", timestamp=None,
                         service="sms",
                         content_type="application/json; charset=utf-8",
                         signed=("content-type", "host", "x-tc-action")):
    """Client side: returns the headers (dict) to send."""
    import time
    ts = str(int(time.time()) if timestamp is None else timestamp)
    h = {"content-type": content_type, "host": host, "x-tc-action": action}
    signed = sorted(signed)
    cr = tencent_canonical_request("POST", "/", "", h, signed, payload)
    sig, scope = tencent_signature(secret_key, service, ts, cr)
    return {
        "Content-Type": content_type,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": ts,
        "X-TC-Region": region,
        "Authorization": "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                         "Signature=%s" % (secret_id, scope, ";".join(signed),
                                           sig),
    }


def parse_tencent_authorization(value):
    """Returns dict(secret_id, date, service, term, signed_headers,
    signature) or None when malformed."""
    if not value or not value.startswith("TC3-HMAC-SHA256 "):
        return None
    kv = _parse_kv_list(value[len("TC3-HMAC-SHA256 "):])
    if not {"Credential", "SignedHeaders", "Signature"} <= set(kv):
        return None
    cred = kv["Credential"].split("/")
    if len(cred) != 4:
        return None
    return {
        "secret_id": cred[0], "date": cred[1], "service": cred[2],
        "term": cred[3],
        "signed_headers": [h for h in kv["SignedHeaders"].split(";") if h],
        "signature": kv["Signature"],
    }


# ---------------------------------------------------------------------------
# §6 WeCom robot image: base64 of the raw bytes + lower-case hex md5 of the
# raw bytes (before Base64).

def wecom_image(data):
    """Returns (base64 str, md5 hex) for an image message."""
    data = _b(data)
    return (base64.b64encode(data).decode("ascii"),
            hashlib.md5(data).hexdigest())


# ---------------------------------------------------------------------------
# §8 DingTalk robot sign: base64(HMAC-SHA256(key = secret,
# msg = timestamp_ms + "\n" + secret)), sent URL-encoded in the query.

def dingtalk_sign(secret, timestamp_ms):
    """The Base64 signature (NOT yet URL-encoded)."""
    s = "%s\n%s" % (timestamp_ms, secret)
    mac = hmac.new(_b(secret), _b(s), hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def dingtalk_sign_query(secret, timestamp_ms=None):
    """Client side: "timestamp=<ms>&sign=<urlencoded>" to append to the
    webhook URL (after "&")."""
    import time
    ts = str(int(time.time() * 1000) if timestamp_ms is None
             else timestamp_ms)
    return "timestamp=%s&sign=%s" % (
        ts, urllib.parse.quote(dingtalk_sign(secret, ts), safe=""))


# ---------------------------------------------------------------------------
# §9 Feishu bot sign: base64(HMAC-SHA256(key = timestamp_s + "\n" + secret,
# msg = "")) - key and message the other way round from DingTalk.  Sent as
# top-level body fields "timestamp" (string, seconds) and "sign".

def feishu_sign(secret, timestamp_s):
    key = "%s\n%s" % (timestamp_s, secret)
    mac = hmac.new(_b(key), b"", hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


# ---------------------------------------------------------------------------
# §12 Telegram MarkdownV2: these must be escaped with a preceding '\'
# outside entities.

TELEGRAM_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"


def telegram_escape_markdown_v2(text):
    return "".join("\\" + c if c in TELEGRAM_MDV2_RESERVED or c == "\\"
                   else c for c in text)


# ---------------------------------------------------------------------------
# The published vectors of providers.md.  Each entry: (name, got, want).

def vectors():
    v = []
    tw = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"),
          ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212")]
    v.append(("twilio HMAC-SHA1 form params",
              twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", tw),
              "RSOYDt4T1cUTdK1PDd93/VVr8B8="))
    v.append(("twilio with :443",
              twilio_signature("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", tw),
              "kvajT1Ptam85bY51eRf/AJRuM3w="))
    v.append(("twilio duplicate keys",
              twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
                               [("Sid", "CA123"), ("SidAccount", "AC123"),
                                ("Digits", "5678"), ("Digits", "1234")]),
              "IK+Dwps556ElfBT0I3Rgjkr1wJU="))
    bh = twilio_body_sha256(b'{"property": "value", "boolean": true}')
    v.append(("twilio bodySHA256", bh,
              "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"))
    v.append(("twilio JSON body URL",
              twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=" + bh),
              "a9nBmqA0ju/hNViExpshrM61xv4="))

    vp = {"param1": "value1", "param2": "value2", "timestamp": 1234567890}
    v.append(("vonage sign string", vonage_sign_string(vp),
              "&param1=value1&param2=value2&timestamp=1234567890"))
    v.append(("vonage HMAC-SHA256", vonage_signature(vp, "signature_secret", "sha256"),
              "280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287"))
    v.append(("vonage HMAC-MD5", vonage_signature(vp, "signature_secret", "md5"),
              "724c2bf6ca423c36e20631b11d1c5753"))
    v.append(("vonage HMAC-MD5 & and = replaced",
              vonage_signature({"param1": "value&1", "param2": "value=2",
                                "timestamp": 1234567890}, "signature_secret", "md5"),
              "2bbf0abafb2c55e5af6231513896a2ac"))
    v.append(("vonage legacy md5hash", vonage_signature(vp, "signature_secret", "md5hash"),
              "d72f75ac8cda9bbce891c4fa62bee6cd"))

    ap = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML",
          "OutId": "123", "PhoneNumbers": "15300000001",
          "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
          "SignatureMethod": "HMAC-SHA1",
          "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
          "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
          "TemplateParam": '{"customer":"test"}',
          "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    v.append(("aliyun V1 SendSms doc example",
              aliyun_v1_signature("testSecret", "GET", ap),
              "zJDF+Lrzhj/ThnlvIToysFRq6t4="))
    v.append(("aliyun V1 DescribeRegions",
              aliyun_v1_signature("testsecret", "GET", {
                  "Action": "DescribeRegions", "Format": "XML",
                  "AccessKeyId": "testid",
                  "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
                  "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
                  "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"}),
              "OLeaidS1JvxuMvnyHOwuJ+uX5qY="))
    v.append(("aliyun V1 darabonba",
              aliyun_v1_signature("secret", "GET", {"query": "test", "body": "test"}),
              "XlUyV4sXjOuX5FnjUz9IF9tm5rU="))

    h3 = {"host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances",
          "x-acs-version": "2014-05-26", "x-acs-date": "2023-10-26T10:22:32Z",
          "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
          "x-acs-content-sha256": EMPTY_SHA256}
    cr = aliyun_v3_canonical_request(
        "POST", "/", [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"),
                      ("RegionId", "cn-shanghai")], h3, sorted(h3), EMPTY_SHA256)
    v.append(("aliyun V3 hashed canonical request", sha256_hex(cr),
              "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"))
    v.append(("aliyun V3 ACS3-HMAC-SHA256", aliyun_v3_signature("YourAccessKeySecret", cr),
              "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"))

    key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
    payload = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    th = {"content-type": "application/json; charset=utf-8",
          "host": "cvm.tencentcloudapi.com"}
    cr = tencent_canonical_request("POST", "/", "", th, ["content-type", "host"], payload)
    v.append(("tencent payload hash", sha256_hex(payload),
              "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"))
    v.append(("tencent hashed canonical request", sha256_hex(cr),
              "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"))
    v.append(("tencent TC3-HMAC-SHA256", tencent_signature(key, "cvm", "1551113065", cr)[0],
              "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"))
    body = ('{"PhoneNumberSet":["+8613711112222"],"SmsSdkAppId":"1400006666",'
            '"SignName":"腾讯云","TemplateId":"1234","TemplateParamSet":["12345"]}')
    th = {"content-type": "application/json; charset=utf-8",
          "host": "sms.tencentcloudapi.com", "x-tc-action": "SendSms"}
    cr = tencent_canonical_request("POST", "/", "", th,
                                   ["content-type", "host", "x-tc-action"], body)
    v.append(("tencent SendSms fixture [S]", tencent_signature(key, "sms", "1700000000", cr)[0],
              "c86c96f8a167b755ad496d995b102150e708a1d016dd4ad0bf7de59ab84b4ba7"))

    v.append(("dingtalk robot sign [S]",
              dingtalk_sign("SEC0123456789abcdef", "1700000000000"),
              "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="))
    v.append(("dingtalk robot sign, URL-encoded [S]",
              dingtalk_sign_query("SEC0123456789abcdef", 1700000000000),
              "timestamp=1700000000000&sign="
              "TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D"))
    v.append(("feishu bot sign [S]", feishu_sign("abc123secret", "1700000000"),
              "Rygmst2/pjCN91zR5j8WGdK/L/rRP5PMV2C05Z19M5o="))
    v.append(("wecom image: base64 + md5 of the raw bytes (RFC 1321 \"abc\")",
              "%s %s" % wecom_image(b"abc"),
              "YWJj 900150983cd24fb0d6963f7d28e17f72"))
    v.append(("telegram MarkdownV2 escape",
              telegram_escape_markdown_v2("W1 done - thanks! (a_b)"),
              "W1 done \\- thanks\\! \\(a\\_b\\)"))
    return v


if __name__ == "__main__":
    vs = vectors()
    bad = 0
    for i, (name, got, want) in enumerate(vs, 1):
        if got == want:
            print("ok %d - vector: %s" % (i, name))
        else:
            bad += 1
            print("not ok %d - vector: %s\n# got  %s\n# want %s" % (i, name, got, want))
    print("1..%d" % len(vs))
    raise SystemExit(1 if bad else 0)
