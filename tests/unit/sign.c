/* sign.c - unit tests of libcommon/sign.c against providers.md §1-§4, §6-§9
 *
 * SPDX-License-Identifier: MIT
 * Every vector marked [V] (published by the provider or its SDK and
 * re-computed) and every [S] fixture (self-computed, for regressions) in
 * providers.md §1-§4 is asserted here, with the intermediate strings and
 * hashes where the source publishes them; so are the DingTalk and Feishu
 * [S] fixtures of §8 and §9 and the WeCom robot's image encoding (§6).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "sign.h"
#include "tap.h"
#include "xwrap.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_twilio(void)
{
	static const char *const k[] = { "CallSid", "Digits", "From", "To",
	    "Caller" };
	static const char *const v[] = { "CA1234567890ABCDE", "1234",
	    "+14158675309", "+18005551212", "+14158675309" };
	static const char *const dk[] = { "Sid", "SidAccount", "Digits",
	    "Digits" };
	static const char *const dv[] = { "CA123", "AC123", "5678", "1234" };
	const char *url = "https://mycompany.com/myapp.php?foo=1&bar=2";
	const char *body = "{\"property\": \"value\", \"boolean\": true}";
	char sig[CX_TWILIO_SIG_LEN], hash[65], *s, *u;

	s = cx_sign_twilio_string(url, k, v, N(k));
	is_str(s, "https://mycompany.com/myapp.php?foo=1&bar=2"
	    "CallSidCA1234567890ABCDECaller+14158675309Digits1234"
	    "From+14158675309To+18005551212", "twilio: string to sign");
	free(s);
	cx_sign_twilio("12345", url, k, v, N(k), sig);
	is_str(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "twilio: signature");

	cx_sign_twilio("12345",
	    "https://mycompany.com:443/myapp.php?foo=1&bar=2", k, v, N(k), sig);
	is_str(sig, "kvajT1Ptam85bY51eRf/AJRuM3w=", "twilio: https :443");
	cx_sign_twilio("12345",
	    "http://mycompany.com:80/myapp.php?foo=1&bar=2", k, v, N(k), sig);
	is_str(sig, "0ZXoZLH/DfblKGATFgpif+LLRf4=", "twilio: http :80");
	cx_sign_twilio("12345",
	    "http://mycompany.com:1234/myapp.php?foo=1&bar=2", k, v, N(k), sig);
	is_str(sig, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", "twilio: http :1234");

	/* The port variants a verifier derives from the URL it knows. */
	u = cx_twilio_url_port(url, 1);
	is_str(u, "https://mycompany.com:443/myapp.php?foo=1&bar=2",
	    "twilio: add default port (https)");
	cx_sign_twilio("12345", u, k, v, N(k), sig);
	is_str(sig, "kvajT1Ptam85bY51eRf/AJRuM3w=", "twilio: added :443");
	free(u);
	u = cx_twilio_url_port("http://mycompany.com/myapp.php?foo=1&bar=2",
	    1);
	cx_sign_twilio("12345", u, k, v, N(k), sig);
	is_str(sig, "0ZXoZLH/DfblKGATFgpif+LLRf4=", "twilio: added :80");
	free(u);
	u = cx_twilio_url_port(
	    "https://mycompany.com:1234/myapp.php?foo=1&bar=2", 0);
	is_str(u, url, "twilio: remove port");
	cx_sign_twilio("12345", u, k, v, N(k), sig);
	is_str(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "twilio: removed :1234");
	free(u);
	u = cx_twilio_url_port("https://mycompany.com:1234/x", 1);
	is_str(u, "https://mycompany.com:1234/x", "twilio: keep a port");
	free(u);
	u = cx_twilio_url_port("http://[::1]:8080?a=b", 0);
	is_str(u, "http://[::1]?a=b", "twilio: remove an IPv6 port");
	free(u);
	u = cx_twilio_url_port("https://u:p@h.example", 1);
	is_str(u, "https://u:p@h.example:443", "twilio: userinfo, no path");
	free(u);
	ok(cx_twilio_url_port("ftp://x/", 1) == NULL, "twilio: not http");

	cx_sign_twilio("12345", url, dk, dv, N(dk), sig);
	is_str(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=",
	    "twilio: duplicate keys sorted by value");

	cx_sha256_hex(body, strlen(body), hash);
	is_str(hash,
	    "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
	    "twilio: bodySHA256 of a JSON body");
	u = cx_xasprintf("%s&bodySHA256=%s", url, hash);
	cx_sign_twilio("12345", u, NULL, NULL, 0, sig);
	is_str(sig, "a9nBmqA0ju/hNViExpshrM61xv4=",
	    "twilio: JSON body, URL alone");
	free(u);
}

static void
test_vonage(void)
{
	static const char *const k[] = { "timestamp", "param2", "param1" };
	static const char *const v[] = { "1234567890", "value2", "value1" };
	static const char *const sk[] = { "param1", "param2", "timestamp" };
	static const char *const sv[] = { "value&1", "value=2", "1234567890" };
	static const char *const ck[] = { "param", "timestamp", "sig" };
	static const char *const cv[] = { "value", "1234567890",
	    "655a4d0b7f064dff438defc52b012cf5" };
	static const char *const tk[] = { "param1", "param2", "timestamp" };
	static const char *const tv[] = { "value1", "value2", "12345" };
	const char *secret = "signature_secret";
	char sig[CX_SIGN_HEX_MAX], *s;
	enum cx_vonage_sig m;

	s = cx_sign_vonage_string(k, v, N(k));
	is_str(s, "&param1=value1&param2=value2&timestamp=1234567890",
	    "vonage: string to sign");
	free(s);
	cx_sign_vonage(CX_VONAGE_HMAC_SHA256, secret, k, v, N(k), sig);
	is_str(sig,
	    "280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287",
	    "vonage: HMAC-SHA256");
	cx_sign_vonage(CX_VONAGE_HMAC_MD5, secret, k, v, N(k), sig);
	is_str(sig, "724c2bf6ca423c36e20631b11d1c5753", "vonage: HMAC-MD5");

	s = cx_sign_vonage_string(sk, sv, N(sk));
	is_str(s, "&param1=value_1&param2=value_2&timestamp=1234567890",
	    "vonage: & and = replaced by _");
	free(s);
	cx_sign_vonage(CX_VONAGE_HMAC_MD5, secret, sk, sv, N(sk), sig);
	is_str(sig, "2bbf0abafb2c55e5af6231513896a2ac",
	    "vonage: HMAC-MD5, special characters");

	s = cx_sign_vonage_string(ck, cv, N(ck));
	is_str(s, "&param=value&timestamp=1234567890", "vonage: sig dropped");
	free(s);
	cx_sign_vonage(CX_VONAGE_HMAC_MD5, secret, ck, cv, N(ck), sig);
	is_str(sig, cv[2], "vonage: HMAC-MD5, check_signature");

	cx_sign_vonage(CX_VONAGE_HMAC_MD5, secret, tk, tv, N(tk), sig);
	is_str(sig, "bc7e95bb4e341090b3a202a2885903a5",
	    "vonage: HMAC-MD5, timestamp 12345");

	cx_sign_vonage(CX_VONAGE_MD5HASH, secret, k, v, N(k), sig);
	is_str(sig, "d72f75ac8cda9bbce891c4fa62bee6cd", "vonage: md5hash [S]");

	ok(cx_vonage_sig_method("md5hash", &m) == 0 &&
	    m == CX_VONAGE_MD5HASH, "vonage: method md5hash");
	ok(cx_vonage_sig_method("md5", &m) == 0 && m == CX_VONAGE_HMAC_MD5,
	    "vonage: method md5 is HMAC");
	ok(cx_vonage_sig_method("sha512", &m) == 0 &&
	    m == CX_VONAGE_HMAC_SHA512, "vonage: method sha512");
	ok(cx_vonage_sig_method("sha384", &m) == -1, "vonage: bad method");
	cx_sign_vonage(CX_VONAGE_HMAC_SHA512, secret, k, v, N(k), sig);
	is_int(strlen(sig), 128, "vonage: HMAC-SHA512 length");
}

static void
test_aliyun_v1(void)
{
	/* The SendSms example of the SMS documentation. */
	static const char *const k[] = { "AccessKeyId", "Action", "Format",
	    "OutId", "PhoneNumbers", "RegionId", "SignName",
	    "SignatureMethod", "SignatureNonce", "SignatureVersion",
	    "TemplateCode", "TemplateParam", "Timestamp", "Version" };
	static const char *const v[] = { "testId", "SendSms", "XML", "123",
	    "15300000001", "cn-hangzhou",
	    "\xe9\x98\xbf\xe9\x87\x8c\xe4\xba\x91\xe7\x9f\xad\xe4\xbf\xa1"
	    "\xe6\xb5\x8b\xe8\xaf\x95\xe4\xb8\x93\xe7\x94\xa8",
	    "HMAC-SHA1", "45e25e9b-0a6f-4070-8c85-2956eda1b466", "1.0",
	    "SMS_71390007", "{\"customer\":\"test\"}", "2017-07-12T02:42:19Z",
	    "2017-05-25" };
	/* The RPC example of the API documentation, with Signature given
	 * (a verifier passes every received parameter). */
	static const char *const rk[] = { "Signature", "Action", "Format",
	    "AccessKeyId", "SignatureNonce", "Timestamp", "Version",
	    "SignatureMethod", "SignatureVersion" };
	static const char *const rv[] = { "OLeaidS1JvxuMvnyHOwuJ+uX5qY=",
	    "DescribeRegions", "XML", "testid",
	    "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "2016-02-23T12:46:24Z",
	    "2014-05-26", "HMAC-SHA1", "1.0" };
	static const char *const dk[] = { "query", "body" };
	static const char *const dv[] = { "test", "test" };
	static const char *const ek[] = { "b", "a", "e", "s" };
	static const char *const ev[] = { "x y*~/", "", "\xe9\x98\xbf", "+" };
	const char *start = "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms"
	    "%26Format%3DXML";
	char *s;

	s = cx_sign_aliyun_v1_string("GET", k, v, N(k));
	ok(strncmp(s, start, strlen(start)) == 0,
	    "aliyun v1: SendSms string start");
	ok(strstr(s, "SignName%3D%25E9%2598%25BF") != NULL,
	    "aliyun v1: SignName encoded twice");
	free(s);
	s = cx_sign_aliyun_v1("GET", "testSecret", k, v, N(k));
	is_str(s, "zJDF+Lrzhj/ThnlvIToysFRq6t4=", "aliyun v1: SendSms");
	free(s);

	s = cx_sign_aliyun_v1_string("GET", rk, rv, N(rk));
	is_str(s, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions"
	    "%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
	    "%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
	    "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version"
	    "%3D2014-05-26", "aliyun v1: RPC string to sign");
	free(s);
	s = cx_sign_aliyun_v1("GET", "testsecret", rk, rv, N(rk));
	is_str(s, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", "aliyun v1: RPC example");
	free(s);

	s = cx_sign_aliyun_v1("GET", "secret", dk, dv, N(dk));
	is_str(s, "XlUyV4sXjOuX5FnjUz9IF9tm5rU=", "aliyun v1: darabonba");
	free(s);

	s = cx_aliyun_canonical_query(ek, ev, N(ek));
	is_str(s, "a=&b=x%20y%2A~%2F&e=%E9%98%BF&s=%2B",
	    "aliyun: canonical query encoding");
	free(s);
	s = cx_aliyun_canonical_query(NULL, NULL, 0);
	is_str(s, "", "aliyun: empty canonical query");
	free(s);
}

static void
test_aliyun_v3(void)
{
	static const char *const qk[] = { "RegionId", "ImageId" };
	static const char *const qv[] = { "cn-shanghai",
	    "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd" };
	static const char *const hk[] = { "host", "x-acs-action",
	    "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
	    "x-acs-content-sha256" };
	static const char *const hv[] = { "ecs.cn-shanghai.aliyuncs.com",
	    "RunInstances", "2014-05-26", "2023-10-26T10:22:32Z",
	    "3156853299f313e23d1673dc12e1703d",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	};
	static const char *const dqk[] = { "test", "empty" };
	static const char *const dqv[] = { "ok", "" };
	static const char *const dhk[] = { "x-acs-test", "x-acs-TEST",
	    "Accept" };
	static const char *const dhv[] = { "http", " https ",
	    "application/json" };
	struct cx_acs3 in = { 0 };
	struct cx_acs3_sig out;

	in.method = "POST";
	in.qnames = qk;
	in.qvalues = qv;
	in.nq = N(qk);
	in.hnames = hk;
	in.hvalues = hv;
	in.nh = N(hk);
	in.payload_hash = hv[5];
	in.secret = "YourAccessKeySecret";
	cx_sign_aliyun_v3(&in, &out);
	is_str(out.canonical_request, "POST\n/\n"
	    "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"
	    "&RegionId=cn-shanghai\n"
	    "host:ecs.cn-shanghai.aliyuncs.com\n"
	    "x-acs-action:RunInstances\n"
	    "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
	    "934ca495991b7852b855\n"
	    "x-acs-date:2023-10-26T10:22:32Z\n"
	    "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n"
	    "x-acs-version:2014-05-26\n\n"
	    "host;x-acs-action;x-acs-content-sha256;x-acs-date;"
	    "x-acs-signature-nonce;x-acs-version\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "aliyun v3: canonical request");
	is_str(out.signed_headers, "host;x-acs-action;x-acs-content-sha256;"
	    "x-acs-date;x-acs-signature-nonce;x-acs-version",
	    "aliyun v3: signed headers");
	is_str(out.hashed_request,
	    "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
	    "aliyun v3: hashed canonical request");
	is_str(out.signature,
	    "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
	    "aliyun v3: RunInstances signature");
	cx_acs3_sig_free(&out);

	/* darabonba-openapi-util: a header given twice (any case), an
	 * empty query value; Accept is not signed. */
	memset(&in, 0, sizeof(in));
	in.method = "GET";
	in.uri = "/";
	in.qnames = dqk;
	in.qvalues = dqv;
	in.nq = N(dqk);
	in.hnames = dhk;
	in.hvalues = dhv;
	in.nh = N(dhk);
	in.payload_hash =
	    "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
	in.secret = "secret";
	cx_sign_aliyun_v3(&in, &out);
	is_str(out.canonical_request, "GET\n/\nempty=&test=ok\n"
	    "x-acs-test:http,https\n\nx-acs-test\n"
	    "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
	    "aliyun v3: darabonba canonical request");
	is_str(out.signed_headers, "x-acs-test", "aliyun v3: merged header");
	is_str(out.signature,
	    "d16b30a7699ae9e43875b13195b2f81bcc3ed10c14a9b5eb780e51619aa50be1",
	    "aliyun v3: darabonba signature");
	cx_acs3_sig_free(&out);
}

static void
test_tc3(void)
{
	struct cx_tc3 in = { 0 };
	struct cx_tc3_sig out;
	const char *doc = "{\"Limit\": 1, \"Filters\": [{\"Values\": "
	    "[\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
	const char *sms = "{\"PhoneNumberSet\":[\"+8613711112222\"],"
	    "\"SmsSdkAppId\":\"1400006666\",\"SignName\":"
	    "\"\xe8\x85\xbe\xe8\xae\xaf\xe4\xba\x91\",\"TemplateId\":\"1234\","
	    "\"TemplateParamSet\":[\"12345\"]}";

	in.secret_key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
	in.service = "cvm";
	in.timestamp = 1551113065;
	in.canonical_headers = "content-type:application/json; charset=utf-8\n"
	    "host:cvm.tencentcloudapi.com\n";
	in.signed_headers = "content-type;host";
	in.payload = doc;
	in.payload_len = strlen(doc);
	is_int(cx_sign_tc3(&in, &out), 0, "tc3: doc example signs");
	is_str(out.scope, "2019-02-25/cvm/tc3_request", "tc3: scope");
	is_str(out.payload_hash,
	    "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
	    "tc3: doc payload hash");
	is_str(out.hashed_request,
	    "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
	    "tc3: doc hashed canonical request");
	is_str(out.signature,
	    "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
	    "tc3: doc signature");

	in.service = "sms";
	in.timestamp = 1700000000;
	in.canonical_headers = "content-type:application/json; charset=utf-8\n"
	    "host:sms.tencentcloudapi.com\nx-tc-action:sendsms\n";
	in.signed_headers = "content-type;host;x-tc-action";
	in.payload = sms;
	in.payload_len = strlen(sms);
	is_int(cx_sign_tc3(&in, &out), 0, "tc3: SendSms signs");
	is_str(out.scope, "2023-11-14/sms/tc3_request", "tc3: SendSms scope");
	is_str(out.payload_hash,
	    "cba7ff6f2f1a217e9d6860d854a072a7838dba6491bf2baa96bac8cd80e4c6f9",
	    "tc3: SendSms payload hash [S]");
	is_str(out.signature,
	    "c86c96f8a167b755ad496d995b102150e708a1d016dd4ad0bf7de59ab84b4ba7",
	    "tc3: SendSms signature [S]");

	in.service = "a-service-name-that-is-longer-than-forty-bytes";
	is_int(cx_sign_tc3(&in, &out), -1, "tc3: service too long");
}

static void
test_dingtalk(void)
{
	char b64[CX_SIGN_B64_LEN], enc[CX_SIGN_B64_ENC_LEN];

	cx_sign_dingtalk("SEC0123456789abcdef", 1700000000000LL, b64, enc);
	is_str(b64, "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=",
	    "dingtalk: sign [S]");
	is_str(enc, "TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D",
	    "dingtalk: sign, URL-encoded [S]");
	cx_sign_dingtalk("SEC0123456789abcdef", 1700000000001LL, b64, NULL);
	ok(strcmp(b64, "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=") != 0,
	    "dingtalk: the timestamp is signed");
}

static void
test_feishu(void)
{
	char b64[CX_SIGN_B64_LEN];

	cx_sign_feishu("abc123secret", 1700000000LL, b64);
	is_str(b64, "Rygmst2/pjCN91zR5j8WGdK/L/rRP5PMV2C05Z19M5o=",
	    "feishu: sign [S]");
	/* Not DingTalk's scheme: the key is timestamp + secret. */
	cx_sign_dingtalk("abc123secret", 1700000000LL, b64, NULL);
	ok(strcmp(b64, "Rygmst2/pjCN91zR5j8WGdK/L/rRP5PMV2C05Z19M5o=") != 0,
	    "feishu: differs from dingtalk's scheme");
}

/* Writes n bytes to a new temporary file; returns its malloc'd path. */
static char *
tmpfile_with(const void *p, size_t n)
{
	char *path = cx_xstrdup("/tmp/cx-sign-test.XXXXXX");
	int fd = mkstemp(path);

	if (fd == -1 || write(fd, p, n) != (ssize_t)n) {
		perror("sign.t: temporary file");
		exit(1);
	}
	close(fd);
	return path;
}

static void
test_wecom_image(void)
{
	unsigned char data[3 * 256 + 4];
	char md5[33], *b64, *path;
	size_t i;

	for (i = 0; i < 3 * 256; i++)
		data[i] = (unsigned char)i;
	memcpy(data + 3 * 256, "\x89PNG", 4);

	path = tmpfile_with("hello\n", 6);
	is_int(cx_wecom_image(path, 2 << 20, &b64, md5), 0,
	    "wecom: small file");
	is_str(b64, "aGVsbG8K", "wecom: base64");
	is_str(md5, "b1946ac92492d2347c6235b4d2611184", "wecom: md5 hex");
	free(b64);
	is_int(cx_wecom_image(path, 6, &b64, md5), 0, "wecom: exactly max");
	free(b64);
	errno = 0;
	ok(cx_wecom_image(path, 5, &b64, md5) == -1 && errno == EFBIG &&
	    b64 == NULL, "wecom: over max is EFBIG");
	unlink(path);
	free(path);

	path = tmpfile_with(data, sizeof(data));
	is_int(cx_wecom_image(path, 2 << 20, &b64, md5), 0,
	    "wecom: binary file");
	is_int(strlen(b64), 1032, "wecom: binary base64 length");
	ok(strncmp(b64, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd", 40) == 0,
	    "wecom: binary base64 [S]");
	is_str(md5, "a23a4cd91959c1dd1fa9040b54c3eef5",
	    "wecom: md5 of the raw bytes, not the base64 [S]");
	free(b64);
	unlink(path);
	free(path);

	path = tmpfile_with("", 0);
	errno = 0;
	ok(cx_wecom_image(path, 100, &b64, md5) == -1 && errno == EINVAL,
	    "wecom: empty file is EINVAL");
	unlink(path);
	free(path);
	errno = 0;
	ok(cx_wecom_image("/nonexistent/x.png", 100, &b64, md5) == -1 &&
	    errno == ENOENT, "wecom: missing file is ENOENT");
	errno = 0;
	ok(cx_wecom_image("/tmp", 100, &b64, md5) == -1 && errno == EISDIR,
	    "wecom: a directory is EISDIR");
}

int
main(void)
{
	test_twilio();
	test_vonage();
	test_aliyun_v1();
	test_aliyun_v3();
	test_tc3();
	test_dingtalk();
	test_feishu();
	test_wecom_image();
	return tap_done();
}
