/* mr.h - msg-recv's pieces: a request, a source type, the body parsers
 *
 * SPDX-License-Identifier: MIT
 * main.c owns the HTTP server (libmicrohttpd), the queue, the writer and
 * the de-duplication; each source type (twilio.c, vonage.c, ...) turns one
 * request into an answer and zero or more records, after checking its
 * signature; body.c holds the pure parsers (form, JSON, WeCom XML) the
 * fuzz harness links, verify.c the signature checks the unit tests link.
 */
#ifndef MR_H
#define MR_H

#include <stddef.h>

#include <jansson.h>

#include "cx.h"

/* A form (or query string): n decoded name/value pairs, in order. */
struct mr_form {
	size_t n;
	char **names, **values;
};

/* Parses application/x-www-form-urlencoded s (n bytes; '+' is a space,
 * %XX decoded).  Returns 0, or -1 when a decoded name or value holds a
 * NUL byte or invalid UTF-8 (the form is then empty). */
int mr_form_parse(const char *s, size_t n, struct mr_form *f);
void mr_form_free(struct mr_form *f);
/* The first value of name, or NULL. */
const char *mr_form_get(const struct mr_form *f, const char *name);

/* Parses a JSON body that must be an object (want_array 0) or an array
 * of objects (1), or either (-1), which then always comes back as an
 * array: a lone object as its only element.  NULL with *why (static)
 * otherwise. */
json_t *mr_json_parse(const char *s, size_t n, int want_array,
    const char **why);

/* The top-level strings, numbers and booleans of a JSON object body as
 * name/value pairs (nested values skipped).  0, or -1 with *why (static)
 * when the body is not a JSON object. */
int mr_json_form(const char *s, size_t n, struct mr_form *f,
    const char **why);

/* Parses WeCom's XML: the children of the root element <xml> with their
 * text (CDATA included) as name/value pairs.  Returns 0, or -1 on bad
 * XML, a nested element, or more than 64 fields. */
int mr_xml_fields(const char *s, size_t n, struct mr_form *f);

/* WeCom callbacks (verify.c).  msg_signature = sha1 hex of the sorted
 * concatenation of token, timestamp, nonce and the encrypted text. */
void mr_wecom_signature(const char *token, const char *timestamp,
    const char *nonce, const char *encrypt, char out[41]);
/* Decrypts Base64 `encrypt` with the 43-character EncodingAESKey
 * (AES-256-CBC, IV = the key's first 16 bytes, PKCS#7 to 32 bytes), then
 * takes apart random(16) | length(4, network order) | message | receiveid.
 * Returns the malloc'd message (*mlen bytes, NUL-terminated) and sets
 * *receiveid (malloc'd), or NULL with *why (static). */
char *mr_wecom_decrypt(const char *aes_key, const char *encrypt,
    size_t *mlen, char **receiveid, const char **why);
/* The inverse, for tests and for answering: Base64 of the encrypted
 * random | length | msg | receiveid, with the given 16 random bytes. */
char *mr_wecom_encrypt(const char *aes_key, const unsigned char rnd[16],
    const char *msg, size_t mlen, const char *receiveid);

/* Twilio: 1 when sig is X-Twilio-Signature of url and the form, with the
 * URL as given, with the default port added, or with the port removed. */
int mr_twilio_verify(const char *token, const char *url,
    const struct mr_form *f, const char *sig);
/* Twilio, JSON body: 1 when the URL's bodySHA256 is the hex SHA-256 of
 * the body and sig is X-Twilio-Signature of the URL alone (no params). */
int mr_twilio_verify_json(const char *token, const char *url,
    const char *body, size_t blen, const char *sig);
/* Slack: 1 when sig is "v0=" hex HMAC-SHA256(secret, "v0:ts:body"). */
int mr_slack_verify(const char *secret, const char *ts, const char *body,
    size_t blen, const char *sig);
/* Vonage: 1 when the form's "sig" is right for method m (case-insensitive
 * hex comparison, constant time). */
int mr_vonage_verify(enum cx_vonage_sig m, const char *secret,
    const struct mr_form *f);
/* Constant-time comparison of hex strings, ignoring case. */
int mr_hex_equal(const char *a, const char *b);

/* One HTTP request, as a source sees it. */
struct mr_req {
	const char *method;	/* "GET", "POST" */
	const char *path;	/* "/twilio/inbound" */
	const char *sub;	/* path after the source's prefix ("/inbound") */
	const char *query;	/* raw query string without '?', maybe "" */
	const char *url;	/* the URL the provider requested (public) */
	const char *ctype;	/* Content-Type, or NULL */
	const char *body;	/* NUL-terminated */
	size_t blen;
	const char *ip;		/* client address (logged with its last
				 * octet masked: mask_ip in main.c) */
	cx_ms now;
	void *conn;		/* struct MHD_Connection */
};

/* A request header's value, or NULL. */
const char *mr_header(const struct mr_req *r, const char *name);

/* What a source answers.  recs gets the records (new references); a
 * rejection sets status 4xx and reason (for the log, never a secret). */
struct mr_resp {
	int status;		/* 200 unless set */
	const char *ctype;	/* of body; default text/plain */
	char *body;		/* malloc'd, or NULL (empty) */
	char reason[160];
	json_t *recs;		/* array */
};

void mr_reject(struct mr_resp *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mr_answer(struct mr_resp *rs, const char *ctype, const char *body);

struct mr_source;

struct mr_type {
	const char *name;
	const char *const *keys;	/* its config keys beside the common */
	int (*init)(struct mr_source *s, char **err);
	void (*handle)(struct mr_source *s, const struct mr_req *r,
	    struct mr_resp *rs);
	void (*free)(struct mr_source *s);
};

struct mr_source {
	const char *name;		/* [recv NAME] */
	const struct mr_type *type;
	const struct cx_section *sec;
	char *path;			/* "/NAME" */
	const char *public_url;		/* or NULL */
	const char *region;		/* for national numbers */
	long window;			/* replay window, seconds */
	void *priv;
};

extern const struct mr_type mr_twilio, mr_vonage, mr_aliyun, mr_tencent,
    mr_kannel, mr_wecom, mr_slack, mr_telegram, mr_webhook;

/* Record builders (main.c), in the contract's field order.  from is
 * normalised to E.164 when channel is "sms" and it can be (else kept). */
json_t *mr_inbound(const struct mr_source *s, const char *channel,
    const char *id, cx_ms ts, const char *from, const char *to,
    const char *text);
json_t *mr_delivery(const struct mr_source *s, const char *channel,
    const char *provider_id, const char *record_id, const char *status,
    const char *error_code, const char *to, cx_ms ts);
/* A phone number in E.164 when it can be made one with s's region. */
char *mr_phone(const struct mr_source *s, const char *num);
/* 0 when ts (Unix seconds, as text) is within s->window of now, else -1
 * with a reason in rs. */
int mr_fresh(const struct mr_source *s, const struct mr_req *r,
    const char *ts, struct mr_resp *rs);
/* The secret key of s; dies (config error) when missing. */
char *mr_secret(const struct mr_source *s, const char *key, int need,
    char **err);
/* Checks the "token" query parameter against the configured token (for
 * providers that sign nothing); 0 ok, -1 rejected (401). */
int mr_token_check(const char *token, const struct mr_req *r,
    struct mr_resp *rs);
/* The parameters of a GET (its query) or a form POST (its body) into f;
 * -1 with a rejection in rs (405, 415, 400). */
int mr_params(const struct mr_req *r, struct mr_resp *rs, struct mr_form *f);
/* Checks method POST and a Content-Type starting with ctype; -1 with a
 * rejection (405, 415). */
int mr_want_post(const struct mr_req *r, struct mr_resp *rs,
    const char *ctype);
/* "YYYY-MM-DD HH:MM:SS" in zone offset ("+08:00", "Z") to cx_ms; now
 * when s is NULL or malformed. */
cx_ms mr_local_time(const char *s, const char *offset, cx_ms now);
/* A JSON string or integer as a malloc'd string, else NULL. */
char *mr_json_text(const json_t *v);

#endif
