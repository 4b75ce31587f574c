/* recv.c - msg-recv's parsers and signature checks (cmd/msg-recv/body.c,
 * verify.c) against published vectors
 *
 * SPDX-License-Identifier: MIT
 * Twilio: twilio-python's tests/unit/test_request_validator.py (providers.md
 * §1).  Slack: the example of "Verifying requests from Slack".  Vonage:
 * vonage-python-sdk's test_auth.py (§2).  WeCom: a self-computed [S]
 * message (Python's cryptography package, fixed random bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "../../cmd/msg-recv/mr.h"
#include "tap.h"

static void
form(struct mr_form *f, const char *s)
{
	if (mr_form_parse(s, strlen(s), f) != 0)
		abort();
}

static void
test_twilio(void)
{
	const char *jb = "{\"property\": \"value\", \"boolean\": true}";
	const char *ju = "https://mycompany.com/myapp.php?foo=1&bar=2&"
	    "bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf1963"
	    "2632f96e6620";
	struct mr_form f, d;
	const char *base = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&"
	    "Digits=1234&From=%2B14158675309&To=%2B18005551212";
	const char *u = "https://mycompany.com/myapp.php?foo=1&bar=2";

	form(&f, base);
	ok(mr_twilio_verify("12345", u, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	    "twilio: published vector");
	ok(!mr_twilio_verify("12345", u, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B9="),
	    "twilio: one character off is refused");
	ok(!mr_twilio_verify("12346", u, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	    "twilio: another token is refused");
	ok(!mr_twilio_verify("12345", u, &f, NULL), "twilio: no header");
	/* Signed with :443, checked against the URL without a port. */
	ok(mr_twilio_verify("12345", u, &f, "kvajT1Ptam85bY51eRf/AJRuM3w="),
	    "twilio: signed with :443, URL without port");
	ok(mr_twilio_verify("12345",
	    "https://mycompany.com:443/myapp.php?foo=1&bar=2", &f,
	    "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
	    "twilio: signed without port, URL with :443");
	ok(mr_twilio_verify("12345",
	    "http://mycompany.com/myapp.php?foo=1&bar=2", &f,
	    "0ZXoZLH/DfblKGATFgpif+LLRf4="), "twilio: http with :80");
	ok(mr_twilio_verify("12345",
	    "http://mycompany.com:1234/myapp.php?foo=1&bar=2", &f,
	    "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="), "twilio: http with :1234");
	mr_form_free(&f);
	form(&d, "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234");
	ok(mr_twilio_verify("12345", u, &d, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
	    "twilio: duplicate keys sorted by value");
	mr_form_free(&d);
	ok(mr_twilio_verify_json("12345", ju, jb, strlen(jb),
	    "a9nBmqA0ju/hNViExpshrM61xv4="),
	    "twilio: JSON body, bodySHA256 in the URL");
	ok(!mr_twilio_verify_json("12345", ju, "{\"property\": \"valuE\", "
	    "\"boolean\": true}", strlen(jb), "a9nBmqA0ju/hNViExpshrM61xv4="),
	    "twilio: JSON body changed: the signed URL's hash no longer fits");
	ok(!mr_twilio_verify_json("12345", "https://mycompany.com/myapp.php?"
	    "foo=1&bar=2", jb, strlen(jb), "a9nBmqA0ju/hNViExpshrM61xv4="),
	    "twilio: JSON body without bodySHA256 refused");
	ok(!mr_twilio_verify_json("54321", ju, jb, strlen(jb),
	    "a9nBmqA0ju/hNViExpshrM61xv4="), "twilio: JSON body, wrong token");
}

static void
test_slack(void)
{
	const char *body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&"
	    "team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
	    "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
	    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
	    "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
	    "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b"
	    "6703c";
	const char *sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd2"
	    "7519666489c69b503";
	const char *key = "8f742231b10e8888abcd99yyyzzz85a5";

	ok(mr_slack_verify(key, "1531420618", body, strlen(body), sig),
	    "slack: published example");
	ok(!mr_slack_verify(key, "1531420619", body, strlen(body), sig),
	    "slack: another timestamp is refused");
	ok(!mr_slack_verify(key, "1531420618", body, strlen(body) - 1, sig),
	    "slack: a changed body is refused");
	ok(!mr_slack_verify(key, NULL, body, strlen(body), sig),
	    "slack: no timestamp");
}

static void
test_vonage(void)
{
	struct mr_form f;

	form(&f, "param1=value1&param2=value2&timestamp=1234567890&"
	    "sig=280C4320703DBC98BFA22DB676655ED2ACFBFE8792B062FF7622E67F1183"
	    "C287");
	ok(mr_vonage_verify(CX_VONAGE_HMAC_SHA256, "signature_secret", &f),
	    "vonage: HMAC-SHA256 vector, upper-case sig");
	ok(!mr_vonage_verify(CX_VONAGE_HMAC_MD5, "signature_secret", &f),
	    "vonage: another method is refused");
	mr_form_free(&f);
	form(&f, "param1=value1&param2=value2&timestamp=1234567890&"
	    "sig=d72f75ac8cda9bbce891c4fa62bee6cd");
	ok(mr_vonage_verify(CX_VONAGE_MD5HASH, "signature_secret", &f),
	    "vonage: legacy md5hash");
	mr_form_free(&f);
	form(&f, "param1=value1&timestamp=1234567890");
	ok(!mr_vonage_verify(CX_VONAGE_MD5HASH, "signature_secret", &f),
	    "vonage: no sig");
	mr_form_free(&f);
}

static const char wecom_key[] = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
static const char wecom_enc[] =
    "JVwoIzeb5XuqKIT2XqjnoKIxPXfc0qcyBoMnoxzIyexoDLhJSrJSd1SfEKjJX8G2x4Iz"
    "MSrtSEY+F3SIeR/k0KoDluXZO+Vh0tl27XTuphzz4HrXqQa4EAU1WofpPSAvuffen2Gv"
    "J5z/5QmUGXmko1Ij/20bF47LrpGKLa9euDr/SogwmgRovntkAzqVieIESxeuuqji666o"
    "sm4AN4eJALxc7covNQEeMljG6ccBwTbDsmhiX/NfShYiu7m/iRctgt4hNKgESGXiPXeg"
    "6dk+VrEn5KuJ84frpyXXad3766uDr7THbuE18pgyjSNApiuk7NHCRHu2Ct93oZjcvMeA"
    "ykXeohL8hYQAzd49tG/1r7MxaVPgNx82u2p8im5gC/A8bk3/0lIVyJbyO6bBhl3T/p8v"
    "yW/v+Y79FkWDsQqcGIM=";
static const char wecom_msg[] =
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>"
    "<FromUserName><![CDATA[mycreate]]></FromUserName><CreateTime>"
    "1409659813</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>"
    "<![CDATA[hello]]></Content><MsgId>4561255354251345929</MsgId>"
    "<AgentID>218</AgentID></xml>";

static void
test_wecom(void)
{
	unsigned char rnd[16];
	char sig[41], *rid = NULL, *m, *e;
	const char *why = NULL;
	size_t n = 0;
	struct mr_form f;

	mr_wecom_signature("QDG6eK", "1409659813", "1372623149", wecom_enc,
	    sig);
	is_str(sig, "63ab14830492754d33138da6b49fec5342d68572",
	    "wecom: msg_signature");
	m = mr_wecom_decrypt(wecom_key, wecom_enc, &n, &rid, &why);
	is_str(m, wecom_msg, "wecom: decrypted message");
	is_int((long long)n, (long long)strlen(wecom_msg), "wecom: its length");
	is_str(rid, "wx5823bf96d3bd56c7", "wecom: receive id");
	free(m);
	free(rid);
	for (int i = 0; i < 16; i++)
		rnd[i] = (unsigned char)i;
	e = mr_wecom_encrypt(wecom_key, rnd, wecom_msg, strlen(wecom_msg),
	    "wx5823bf96d3bd56c7");
	is_str(e, wecom_enc, "wecom: encryption gives the same text");
	free(e);
	m = mr_wecom_decrypt("kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
	    wecom_enc, &n, &rid, &why);
	ok(m == NULL && why != NULL, "wecom: wrong key refused (%s)",
	    why ? why : "");
	free(m);
	free(rid);
	m = mr_wecom_decrypt(wecom_key, "AAAA", &n, &rid, &why);
	ok(m == NULL, "wecom: short ciphertext refused");
	free(m);
	free(rid);
	ok(mr_xml_fields(wecom_msg, strlen(wecom_msg), &f) == 0 && f.n == 7,
	    "xml: 7 fields");
	is_str(mr_form_get(&f, "Content"), "hello", "xml: CDATA text");
	is_str(mr_form_get(&f, "CreateTime"), "1409659813", "xml: plain text");
	mr_form_free(&f);
}

static void
test_parsers(void)
{
	struct mr_form f;
	const char *why;
	json_t *j;
	const char *jf;
	const char *dtd = "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><xml><A>&a;</A>"
	    "</xml>";

	form(&f, "a=1&b=%E9%80%80%E8%AE%A2+now&&c&a=2");
	is_int((long long)f.n, 4, "form: four pairs, empty ones skipped");
	is_str(mr_form_get(&f, "b"), "退订 now", "form: %%XX and '+'");
	is_str(mr_form_get(&f, "c"), "", "form: a name alone");
	is_str(mr_form_get(&f, "a"), "1", "form: the first of a repeated name");
	mr_form_free(&f);
	ok(mr_form_parse("a=%00b", 6, &f) == -1 && f.n == 0,
	    "form: a NUL is refused");
	ok(mr_form_parse("a=%FF", 5, &f) == -1, "form: invalid UTF-8 refused");
	ok(mr_form_parse("a=%ED%A0%80", 11, &f) == -1,
	    "form: a UTF-16 surrogate is refused");
	j = mr_json_parse("[{\"a\":1}]", 9, 1, &why);
	ok(j != NULL, "json: an array of objects");
	json_decref(j);
	ok(mr_json_parse("[1]", 3, 1, &why) == NULL, "json: [1] refused (%s)",
	    why);
	ok(mr_json_parse("{\"a\":1,\"a\":2}", 13, 0, &why) == NULL,
	    "json: duplicate keys refused");
	ok(mr_json_parse("{}", 2, 1, &why) == NULL, "json: not the array asked");
	j = mr_json_parse("{\"a\":1}", 7, -1, &why);
	ok(json_is_array(j) && json_array_size(j) == 1 &&
	    json_integer_value(json_object_get(json_array_get(j, 0), "a")) == 1,
	    "json: either, a lone object comes back as a one-element array");
	json_decref(j);
	j = mr_json_parse("[{\"a\":1},{}]", 12, -1, &why);
	ok(json_is_array(j) && json_array_size(j) == 2,
	    "json: either, an array as it is");
	json_decref(j);
	ok(mr_json_parse("\"x\"", 3, -1, &why) == NULL,
	    "json: either, a string refused (%s)", why);
	jf = "{\"Sid\":\"SM1\",\"N\":2,\"B\":true,\"O\":{}}";
	ok(mr_json_form(jf, strlen(jf), &f, &why) == 0 && f.n == 3,
	    "json form: strings, numbers, booleans; nested skipped");
	is_str(mr_form_get(&f, "N"), "2", "json form: a number as text");
	is_str(mr_form_get(&f, "B"), "true", "json form: a boolean as text");
	mr_form_free(&f);
	ok(mr_json_form("[]", 2, &f, &why) == -1, "json form: not an object");
	ok(mr_xml_fields(dtd, strlen(dtd), &f) == -1, "xml: a DOCTYPE refused");
	ok(mr_xml_fields("<xml><A><B>x</B></A></xml>", 26, &f) == -1,
	    "xml: nested elements refused");
	ok(mr_xml_fields("<root><A>x</A></root>", 21, &f) == -1,
	    "xml: another root refused");
	ok(mr_xml_fields("<xml><A>x</A><A>y</A></xml>", 27, &f) == -1,
	    "xml: a repeated field refused");
	ok(mr_hex_equal("abCD", "ABcd") && !mr_hex_equal("ab", "abc"),
	    "hex: case-insensitive, length-checked");
}

int
main(void)
{
	test_twilio();
	test_slack();
	test_vonage();
	test_wecom();
	test_parsers();
	return tap_done();
}
