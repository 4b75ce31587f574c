/* webhook.c - a generic JSON webhook signed with an HMAC header
 *
 * SPDX-License-Identifier: MIT
 * For an in-house gateway or any provider msg-recv does not know.  The
 * body is one JSON object; header (X-Signature by default) holds prefix
 * followed by the HMAC (algorithm sha256, sha1 or sha512; encoding hex
 * or base64) of the body with secret.  With timestamp_header, that
 * header's Unix time must be within the replay window and the HMAC is
 * over "TIMESTAMP.BODY" (as Stripe and others sign).  The body's fields:
 *   inbound:  id, from, to, text (needed), ts (RFC 3339)
 *   receipt:  event "delivery", provider_id, record_id, status
 *             (delivered|undelivered|failed), error_code, to, ts
 * A missing id is a hash of the body, stable across retries.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mr.h"

static const char *const keys[] = {
	"secret", "header", "algorithm", "encoding", "prefix",
	"timestamp_header", "channel", NULL
};

struct webhook {
	char *secret;
	const char *header, *prefix, *ts_header, *channel;
	enum cx_hash alg;
	int b64;
};

static int
webhook_init(struct mr_source *s, char **err)
{
	struct webhook *w = cx_xcalloc(1, sizeof *w);
	const char *a = cx_section_get(s->sec, "algorithm");
	const char *e = cx_section_get(s->sec, "encoding");

	s->priv = w;
	w->header = cx_section_get(s->sec, "header");
	if (w->header == NULL)
		w->header = "X-Signature";
	w->prefix = cx_section_get(s->sec, "prefix");
	if (w->prefix == NULL)
		w->prefix = "";
	w->ts_header = cx_section_get(s->sec, "timestamp_header");
	w->channel = cx_section_get(s->sec, "channel");
	if (w->channel == NULL)
		w->channel = "webhook";
	w->alg = CX_SHA256;
	if (a && strcmp(a, "sha1") == 0)
		w->alg = CX_SHA1;
	else if (a && strcmp(a, "sha512") == 0)
		w->alg = CX_SHA512;
	else if (a && strcmp(a, "sha256") != 0) {
		*err = cx_section_err(s->sec, "algorithm", "'%s' is not "
		    "sha256, sha1 or sha512", a);
		return -1;
	}
	if (e && strcmp(e, "base64") == 0)
		w->b64 = 1;
	else if (e && strcmp(e, "hex") != 0) {
		*err = cx_section_err(s->sec, "encoding", "'%s' is not hex "
		    "or base64", e);
		return -1;
	}
	w->secret = mr_secret(s, "secret", 1, err);
	return w->secret ? 0 : -1;
}

static void
webhook_free(struct mr_source *s)
{
	struct webhook *w = s->priv;

	cx_secret_free(w->secret);
	free(w);
}

static int
check_sig(const struct webhook *w, const struct mr_req *r, const char *ts,
    const char *got)
{
	unsigned char mac[64];
	char hex[129], *want, *enc;
	struct cx_buf b = { 0 };
	int good;

	if (ts)
		cx_buf_printf(&b, "%s.", ts);
	cx_buf_add(&b, r->body, r->blen);
	cx_hmac(w->alg, w->secret, strlen(w->secret), b.s, b.len, mac);
	cx_buf_free(&b);
	if (w->b64) {
		enc = cx_base64(mac, cx_hash_len(w->alg));
	} else {
		cx_hex(mac, cx_hash_len(w->alg), hex);
		enc = cx_xstrdup(hex);
	}
	want = cx_xasprintf("%s%s", w->prefix, enc);
	good = w->b64 ? cx_str_equal_ct(want, got) : mr_hex_equal(want, got);
	free(want);
	free(enc);
	return good;
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
webhook_handle(struct mr_source *s, const struct mr_req *r,
    struct mr_resp *rs)
{
	struct webhook *w = s->priv;
	const char *sig = mr_header(r, w->header), *ts = NULL, *why;
	char hid[CX_ID_MAX], *id;
	json_t *j;
	cx_ms t;

	if (mr_want_post(r, rs, "application/json") != 0)
		return;
	if (w->ts_header) {
		ts = mr_header(r, w->ts_header);
		if (mr_fresh(s, r, ts, rs) != 0)
			return;
	}
	if (sig == NULL || !check_sig(w, r, ts, sig)) {
		mr_reject(rs, 403, sig ? "bad %s" : "no %s", w->header);
		return;
	}
	if ((j = mr_json_parse(r->body, r->blen, 0, &why)) == NULL) {
		mr_reject(rs, 400, "%s", why);
		return;
	}
	t = r->now;
	if (str(j, "ts") && cx_time_parse(str(j, "ts"), &t) != 0) {
		mr_reject(rs, 400, "field 'ts' is not an RFC 3339 time");
		goto out;
	}
	id = mr_json_text(json_object_get(j, "id"));
	if (str(j, "event") && strcmp(str(j, "event"), "delivery") == 0) {
		const char *st = str(j, "status");

		if (st == NULL || (strcmp(st, "delivered") &&
		    strcmp(st, "undelivered") && strcmp(st, "failed")))
			mr_reject(rs, 400, "field 'status' is not delivered, "
			    "undelivered or failed");
		else if (!str(j, "provider_id") && !str(j, "record_id"))
			mr_reject(rs, 400, "a delivery needs 'provider_id' or "
			    "'record_id'");
		else
			json_array_append_new(rs->recs, mr_delivery(s,
			    w->channel, str(j, "provider_id"),
			    str(j, "record_id"), st, str(j, "error_code"),
			    str(j, "to"), t));
	} else if (!json_is_string(json_object_get(j, "text"))) {
		mr_reject(rs, 400, "missing field 'text'");
	} else {
		json_array_append_new(rs->recs, mr_inbound(s, w->channel,
		    id ? id : cx_rec_id(j, hid), t, str(j, "from"),
		    str(j, "to"), str(j, "text")));
	}
	free(id);
out:
	json_decref(j);
}

const struct mr_type mr_webhook = {
	"webhook", keys, webhook_init, webhook_handle, webhook_free
};
