#!/usr/bin/env python3
# recv-client.py - signed webhook requests for msg-recv's tests
#
# SPDX-License-Identifier: MIT
# Builds a provider's callback the way the provider does (signature,
# encryption), sends it to 127.0.0.1 and prints "STATUS BODY" on one line.
#   recv-client.py send URL [-m METHOD] [-t CTYPE] [-H 'K: V']... [-d DATA]
#   recv-client.py twilio URL TOKEN [--sign-url URL] [--sig SIG] k=v...
#   recv-client.py vonage|vonage-get URL SECRET METHOD k=v...
#   recv-client.py slack URL SECRET TS BODY
#   recv-client.py wecom URL TOKEN AESKEY CORP TS NONCE INNER_XML
#   recv-client.py wecom-echo URL TOKEN AESKEY CORP TS NONCE ECHO
#   recv-client.py webhook URL SECRET HEADER BODY [PREFIX]
import base64, hashlib, hmac, os, sys, urllib.parse, urllib.request, urllib.error


def send(url, method="POST", ctype=None, headers=(), data=None):
    req = urllib.request.Request(url, method=method,
                                 data=data.encode() if isinstance(data, str) else data)
    if ctype:
        req.add_header("Content-Type", ctype)
    for h in headers:
        k, v = h.split(":", 1)
        req.add_header(k.strip(), v.strip())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    print(("%d %s" % (status, body.decode("utf-8", "replace"))).strip())


def pairs(args):
    return [tuple(a.split("=", 1)) for a in args]


def twilio(url, token, rest):
    sign_url, sig = url, None
    while rest and rest[0].startswith("--"):
        if rest[0] == "--sign-url":
            sign_url = rest[1]
        elif rest[0] == "--sig":
            sig = rest[1]
        rest = rest[2:]
    p = pairs(rest)
    s = sign_url + "".join(k + v for k, v in sorted(p))
    if sig is None:
        sig = base64.b64encode(hmac.new(token.encode(), s.encode(),
                                        hashlib.sha1).digest()).decode()
    send(url, ctype="application/x-www-form-urlencoded",
         headers=["X-Twilio-Signature: " + sig], data=urllib.parse.urlencode(p))


def vonage(url, secret, method, rest, get=False):
    p = [(k, v) for k, v in pairs(rest) if k != "sig"]
    s = "".join("&%s=%s" % (k, v.replace("&", "_").replace("=", "_"))
                for k, v in sorted(p))
    if method == "md5hash":
        sig = hashlib.md5((s + secret).encode()).hexdigest()
    else:
        sig = hmac.new(secret.encode(), s.encode(), method).hexdigest()
    p.append(("sig", sig.upper()))
    if get:
        send(url + "?" + urllib.parse.urlencode(p), method="GET")
    else:
        send(url, ctype="application/x-www-form-urlencoded",
             data=urllib.parse.urlencode(p))


def slack(url, secret, ts, body):
    sig = "v0=" + hmac.new(secret.encode(), ("v0:%s:%s" % (ts, body)).encode(),
                           hashlib.sha256).hexdigest()
    send(url, ctype="application/json", data=body,
         headers=["X-Slack-Request-Timestamp: " + ts, "X-Slack-Signature: " + sig])


def wecom_encrypt(aeskey, corp, msg):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    key = base64.b64decode(aeskey + "=")
    raw = os.urandom(16) + len(msg.encode()).to_bytes(4, "big") + msg.encode() + corp.encode()
    pad = 32 - len(raw) % 32
    raw += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(raw) + enc.finalize()).decode()


def wecom_sig(token, ts, nonce, enc):
    return hashlib.sha1("".join(sorted([token, ts, nonce, enc])).encode()).hexdigest()


def wecom(url, token, aeskey, corp, ts, nonce, inner, echo=False):
    enc = wecom_encrypt(aeskey, corp, inner)
    q = {"msg_signature": wecom_sig(token, ts, nonce, enc), "timestamp": ts, "nonce": nonce}
    if echo:
        q["echostr"] = enc
        send(url + "?" + urllib.parse.urlencode(q), method="GET")
        return
    body = ("<xml><ToUserName><![CDATA[%s]]></ToUserName><AgentID><![CDATA[1000002]]>"
            "</AgentID><Encrypt><![CDATA[%s]]></Encrypt></xml>" % (corp, enc))
    send(url + "?" + urllib.parse.urlencode(q), ctype="text/xml", data=body)


def webhook(url, secret, header, body, prefix=""):
    sig = prefix + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    send(url, ctype="application/json", data=body, headers=[header + ": " + sig])


def main(a):
    cmd, url = a[0], a[1]
    if cmd == "send":
        method, ctype, headers, data, i = "POST", None, [], None, 2
        while i < len(a):
            o, v = a[i], a[i + 1]
            if o == "-m":
                method = v
            elif o == "-t":
                ctype = v
            elif o == "-H":
                headers.append(v)
            elif o == "-d":
                data = v
            i += 2
        send(url, method, ctype, headers, data)
    elif cmd == "twilio":
        twilio(url, a[2], a[3:])
    elif cmd in ("vonage", "vonage-get"):
        vonage(url, a[2], a[3], a[4:], cmd == "vonage-get")
    elif cmd == "slack":
        slack(url, *a[2:6])
    elif cmd == "wecom":
        wecom(url, *a[2:8])
    elif cmd == "wecom-echo":
        wecom(url, *a[2:8], echo=True)
    elif cmd == "webhook":
        webhook(url, *a[2:])


main(sys.argv[1:])
