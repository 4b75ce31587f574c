/* sign.h - request signatures of the SMS providers and IM robots
 *
 * SPDX-License-Identifier: MIT
 * providers.md §1-§4 (SMS) and §6, §8, §9 (IM robots).  Shared by
 * sms-send and im-send, which sign requests, and msg-recv, which verifies
 * webhooks.  Parameters are passed as two parallel arrays, names[i] and
 * values[i] (n pairs of NUL-terminated UTF-8 strings), which are never
 * modified; the order in which they are given does not matter.  Where a
 * provider publishes an intermediate step of its algorithm (the string to
 * sign, the hashed canonical request) it is exposed too, so that the unit
 * tests check every step against the published vectors.  Everything is
 * built on crypto.h; nothing here fails except on bad arguments, and out
 * of memory is fatal (xwrap.h).
 */
#ifndef CX_SIGN_H
#define CX_SIGN_H

#include <stddef.h>

#define CX_SIGN_HEX_MAX	129	/* lower-case hex of SHA-512, + NUL */

/*
 * Twilio: X-Twilio-Signature (§1).
 */

/* Base64 of HMAC-SHA1, with padding: 28 characters + NUL. */
#define CX_TWILIO_SIG_LEN 29

/* The string Twilio signs: url exactly as requested, then name + value of
 * every pair, sorted by name and, for duplicate names, by value (byte
 * order), with no separators.  For a JSON body pass n = 0 (the url then
 * carries bodySHA256=<cx_sha256_hex of the body>).  Malloc'd. */
char *cx_sign_twilio_string(const char *url, const char *const *names,
    const char *const *values, size_t n);
/* Base64(HMAC-SHA1(key = auth_token, cx_sign_twilio_string(...))) into
 * out.  Compare a received signature with cx_str_equal_ct(). */
void cx_sign_twilio(const char *auth_token, const char *url,
    const char *const *names, const char *const *values, size_t n,
    char out[CX_TWILIO_SIG_LEN]);
/* Twilio may sign the URL with or without the scheme's default port, so
 * a verifier tries both.  With add, returns url with ":443" (https) or
 * ":80" (http) inserted after the host when it has no port (unchanged
 * when it has one); without add, returns url with any port removed.
 * Malloc'd; NULL when url is not http:// or https://. */
char *cx_twilio_url_port(const char *url, int add);

/*
 * Vonage (Nexmo): the `sig` parameter (§2).
 */

enum cx_vonage_sig {
	CX_VONAGE_MD5HASH,	/* md5_hex(string + secret): legacy default */
	CX_VONAGE_HMAC_MD5,	/* hmac_hex(secret, string) ... */
	CX_VONAGE_HMAC_SHA1,
	CX_VONAGE_HMAC_SHA256,
	CX_VONAGE_HMAC_SHA512,
};

/* Parses a signature_method value: "md5hash", "md5", "sha1", "sha256" or
 * "sha512" (Vonage's dashboard names; "md5" is HMAC-MD5).  Returns 0 and
 * sets *out, or -1 when name is none of them. */
int cx_vonage_sig_method(const char *name, enum cx_vonage_sig *out);
/* The string Vonage signs: every pair except one named "sig", each value
 * with '&' and '=' replaced by '_', sorted by name (then value), as
 * "&name1=value1&name2=value2..." (leading '&', nothing URL-encoded).
 * The caller includes api_key and timestamp among the pairs.  Malloc'd. */
char *cx_sign_vonage_string(const char *const *names,
    const char *const *values, size_t n);
/* The signature in lower-case hex into out (32, 40, 64 or 128 digits +
 * NUL).  Vonage's webhooks send upper case: compare case-insensitively. */
void cx_sign_vonage(enum cx_vonage_sig m, const char *secret,
    const char *const *names, const char *const *values, size_t n,
    char out[CX_SIGN_HEX_MAX]);

/*
 * Aliyun (Alibaba Cloud) RPC APIs: signature V1 and V3 (§3).
 */

/* The canonical query of both versions, also the query string (or form
 * body) to send: every pair percent-encoded with cx_url_encode (RFC 3986:
 * space %20, '*' %2A, '~' kept), sorted by encoded name (then encoded
 * value), "enc(k)=enc(v)" joined by '&'; an empty value gives "k=".
 * Malloc'd ("" when n is 0). */
char *cx_aliyun_canonical_query(const char *const *names,
    const char *const *values, size_t n);

/* V1 (SignatureMethod=HMAC-SHA1, SignatureVersion=1.0): the string to
 * sign, method + "&%2F&" + enc(canonical query of every pair except one
 * named "Signature").  method is "GET" or "POST".  Malloc'd. */
char *cx_sign_aliyun_v1_string(const char *method, const char *const *names,
    const char *const *values, size_t n);
/* Base64(HMAC-SHA1(key = secret + "&", string to sign)); malloc'd.  Send
 * it as the parameter Signature (percent-encoded like the others). */
char *cx_sign_aliyun_v1(const char *method, const char *secret,
    const char *const *names, const char *const *values, size_t n);

/* V3 (ACS3-HMAC-SHA256): what is signed. */
struct cx_acs3 {
	const char *method;		/* "POST" */
	const char *uri;		/* canonical URI, encoded; NULL: "/" */
	const char *const *qnames;	/* query parameters, raw */
	const char *const *qvalues;
	size_t nq;
	/* The request's headers: those named host, content-type and
	 * x-acs-* (any case) are signed, the others ignored.  Names are
	 * lower-cased, values trimmed; a name given twice is signed once
	 * with its values sorted and joined by ','. */
	const char *const *hnames;
	const char *const *hvalues;
	size_t nh;
	const char *payload_hash;	/* lower hex SHA-256 of the body (the
					 * x-acs-content-sha256 value) */
	const char *secret;		/* AccessKeySecret (no "&" added) */
};

struct cx_acs3_sig {
	char *canonical_request;	/* malloc'd */
	char *signed_headers;		/* malloc'd "host;x-acs-action;..." */
	char hashed_request[65];	/* hex SHA-256 of canonical_request */
	char signature[65];		/* hex HMAC-SHA256 */
};

/* Computes the V3 signature of in into out (whose malloc'd members the
 * caller releases with cx_acs3_sig_free).  The string to sign is
 * "ACS3-HMAC-SHA256\n" + out->hashed_request.  The Authorization header
 * is then "ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=
 * <signed_headers>,Signature=<signature>". */
void cx_sign_aliyun_v3(const struct cx_acs3 *in, struct cx_acs3_sig *out);
void cx_acs3_sig_free(struct cx_acs3_sig *s);

/*
 * Tencent Cloud API 3.0: TC3-HMAC-SHA256 (§4).
 */

struct cx_tc3 {
	const char *secret_key;
	const char *service;		/* "sms" (at most 40 bytes) */
	long long timestamp;		/* Unix seconds: X-TC-Timestamp */
	const char *method;		/* NULL: "POST" */
	const char *uri;		/* canonical URI; NULL: "/" */
	const char *query;		/* canonical query; NULL: "" */
	/* "content-type:application/json; charset=utf-8\nhost:...\n":
	 * lower-case names, sorted, each line ending in '\n', the values
	 * byte-identical to the headers sent. */
	const char *canonical_headers;
	const char *signed_headers;	/* "content-type;host" */
	const char *payload;		/* the body, payload_len bytes */
	size_t payload_len;
};

struct cx_tc3_sig {
	/* "2019-02-25/cvm/tc3_request": the UTC date of the timestamp. */
	char scope[64];
	char payload_hash[65];		/* hex SHA-256 of the payload */
	char hashed_request[65];	/* hex SHA-256 of the canonical
					 * request */
	char signature[65];
};

/* Computes the TC3 signature of in into out.  The string to sign is
 * "TC3-HMAC-SHA256\n<timestamp>\n<scope>\n<hashed_request>", signed with
 * the key derived from "TC3" + secret_key, the date, the service and
 * "tc3_request".  The Authorization header is then "TC3-HMAC-SHA256
 * Credential=<SecretId>/<scope>, SignedHeaders=<signed_headers>,
 * Signature=<signature>".  Returns 0, or -1 (errno EINVAL) when service
 * is longer than 40 bytes or timestamp is not a date in years 0-9999. */
int cx_sign_tc3(const struct cx_tc3 *in, struct cx_tc3_sig *out);

/*
 * IM robots: DingTalk (§8) and Feishu / Lark (§9) custom robot signatures,
 * and the WeCom group robot's image encoding (§6).
 */

/* Base64 of an HMAC-SHA256, with padding: 44 characters + NUL. */
#define CX_SIGN_B64_LEN		45
/* The same percent-encoded (every character at most 3) + NUL. */
#define CX_SIGN_B64_ENC_LEN	133

/* DingTalk: Base64(HMAC-SHA256(key = secret, timestamp_ms + "\n" +
 * secret)) into b64, and when enc is not NULL the same percent-encoded
 * (cx_url_encode) into enc: the "sign" query parameter that goes with
 * "timestamp=<timestamp_ms>".  A verifier of DingTalk's outgoing robot
 * callbacks compares with cx_str_equal_ct(). */
void cx_sign_dingtalk(const char *secret, long long timestamp_ms,
    char b64[CX_SIGN_B64_LEN], char *enc);
/* Feishu / Lark: Base64(HMAC-SHA256(key = timestamp_s + "\n" + secret,
 * message = "")) into b64: the body field "sign" that goes with
 * "timestamp":"<timestamp_s>" (seconds, as a string). */
void cx_sign_feishu(const char *secret, long long timestamp_s,
    char b64[CX_SIGN_B64_LEN]);

/* WeCom group robot image: reads the file at path, at most max bytes,
 * and returns its bytes in base64 (*b64, malloc'd) and the lower-case hex
 * MD5 of the raw bytes in md5.  Returns 0, or -1 with errno: that of
 * open(2)/read(2) (ENOENT, EACCES, EISDIR...), EFBIG when the file is
 * larger than max, EINVAL when it is empty (*b64 is then NULL). */
int cx_wecom_image(const char *path, size_t max, char **b64, char md5[33]);

#endif
