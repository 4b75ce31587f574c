/* wecom.c - WeCom (企业微信) application callbacks (§7)
 *
 * SPDX-License-Identifier: MIT
 * URL verification: GET ?msg_signature&timestamp&nonce&echostr, answered
 * with the decrypted echostr.  Messages: POST <xml><Encrypt>…</Encrypt>
 * </xml>, msg_signature = sha1(sort(token, timestamp, nonce, Encrypt)),
 * the timestamp within the replay window, AES-256-CBC decrypted with the
 * EncodingAESKey (aes_key), the receive id checked against corp_id.  A
 * text message (MsgType text) becomes an inbound record: id MsgId, from
 * FromUserName, to AgentID, text Content, ts CreateTime; other types and
 * events are answered and not written.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"

static const char *const keys[] = { "token", "aes_key", "corp_id", NULL };

struct wecom {
	char *token, *aes_key;
	const char *corp_id;
};

static int
wecom_init(struct mr_source *s, char **err)
{
	struct wecom *w = cx_xcalloc(1, sizeof *w);

	s->priv = w;
	if ((w->corp_id = cx_section_need(s->sec, "corp_id", err)) == NULL ||
	    (w->token = mr_secret(s, "token", 1, err)) == NULL ||
	    (w->aes_key = mr_secret(s, "aes_key", 1, err)) == NULL)
		return -1;
	if (strlen(w->aes_key) != 43) {
		*err = cx_section_err(s->sec, "aes_key", "the EncodingAESKey "
		    "has 43 characters");
		return -1;
	}
	return 0;
}

static void
wecom_free(struct mr_source *s)
{
	struct wecom *w = s->priv;

	cx_secret_free(w->token);
	cx_secret_free(w->aes_key);
	free(w);
}

/* Verifies and decrypts enc; NULL with a rejection in rs. */
static char *
open_msg(struct mr_source *s, const struct mr_req *r,
    const struct mr_form *q, const char *enc, size_t *len,
    struct mr_resp *rs)
{
	struct wecom *w = s->priv;
	const char *sig = mr_form_get(q, "msg_signature");
	const char *ts = mr_form_get(q, "timestamp");
	const char *nonce = mr_form_get(q, "nonce"), *why;
	char want[41], *msg, *rid;

	if (sig == NULL || ts == NULL || nonce == NULL || enc == NULL) {
		mr_reject(rs, 400, "needs msg_signature, timestamp, nonce and "
		    "the encrypted text");
		return NULL;
	}
	mr_wecom_signature(w->token, ts, nonce, enc, want);
	if (!mr_hex_equal(want, sig)) {
		mr_reject(rs, 403, "bad msg_signature");
		return NULL;
	}
	if (mr_fresh(s, r, ts, rs) != 0)
		return NULL;
	msg = mr_wecom_decrypt(w->aes_key, enc, len, &rid, &why);
	if (msg == NULL) {
		mr_reject(rs, 400, "%s", why);
		return NULL;
	}
	if (strcmp(rid, w->corp_id) != 0) {
		mr_reject(rs, 403, "message for another corp_id");
		free(msg);
		msg = NULL;
	}
	free(rid);
	return msg;
}

static void
wecom_handle(struct mr_source *s, const struct mr_req *r,
    struct mr_resp *rs)
{
	struct mr_form q, x = { 0 }, m = { 0 };
	char *msg = NULL;
	size_t len;

	if (mr_form_parse(r->query, strlen(r->query), &q) != 0) {
		mr_reject(rs, 400, "bad query string");
		return;
	}
	if (strcmp(r->method, "GET") == 0) {
		msg = open_msg(s, r, &q, mr_form_get(&q, "echostr"), &len, rs);
		if (msg)
			mr_answer(rs, "text/plain; charset=utf-8", msg);
		goto out;
	}
	if (r->ctype == NULL || strstr(r->ctype, "xml") == NULL) {
		mr_reject(rs, 415, r->ctype ? "Content-Type is not XML" :
		    "no Content-Type");
		goto out;
	}
	if (mr_xml_fields(r->body, r->blen, &x) != 0) {
		mr_reject(rs, 400, "body is not WeCom's <xml>");
		goto out;
	}
	msg = open_msg(s, r, &q, mr_form_get(&x, "Encrypt"), &len, rs);
	if (msg == NULL)
		goto out;
	if (mr_xml_fields(msg, len, &m) != 0) {
		mr_reject(rs, 400, "decrypted message is not <xml>");
		goto out;
	}
	if (mr_form_get(&m, "MsgType") &&
	    strcmp(mr_form_get(&m, "MsgType"), "text") == 0) {
		const char *id = mr_form_get(&m, "MsgId");
		const char *ct = mr_form_get(&m, "CreateTime");
		const char *agent = mr_form_get(&m, "AgentID");
		long long t = ct ? strtoll(ct, NULL, 10) : 0;

		if (id == NULL || *id == '\0') {
			mr_reject(rs, 400, "text message without MsgId");
			goto out;
		}
		json_array_append_new(rs->recs, mr_inbound(s, "wecom", id,
		    t > 0 ? (cx_ms)t * 1000 : r->now,
		    mr_form_get(&m, "FromUserName"),
		    agent ? agent : mr_form_get(&m, "ToUserName"),
		    mr_form_get(&m, "Content")));
	}
	mr_answer(rs, "text/plain; charset=utf-8", "success");
out:
	free(msg);
	mr_form_free(&m);
	mr_form_free(&x);
	mr_form_free(&q);
}

const struct mr_type mr_wecom = {
	"wecom", keys, wecom_init, wecom_handle, wecom_free
};
