/* vonage.c - Vonage (Nexmo) inbound SMS and delivery receipts (§2)
 *
 * SPDX-License-Identifier: MIT
 * GET (query) or POST (form or JSON), signed with `sig` over every other
 * parameter (signature_secret, signature_method as set in Vonage's
 * dashboard), and `timestamp` checked against the replay window.  text
 * makes an inbound message; status a receipt: delivered; failed and
 * rejected are failed; expired and unknown undelivered; accepted and
 * buffered are not final and give no record.  client-ref (the record id
 * sms-send set) is record_id.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mr.h"

static const char *const keys[] = {
	"signature_secret", "signature_method", NULL
};

struct vonage {
	char *secret;
	enum cx_vonage_sig m;
};

static int
vonage_init(struct mr_source *s, char **err)
{
	struct vonage *v = cx_xcalloc(1, sizeof *v);
	const char *m = cx_section_get(s->sec, "signature_method");

	s->priv = v;
	if (m && cx_vonage_sig_method(m, &v->m) != 0) {
		*err = cx_section_err(s->sec, "signature_method", "'%s' is "
		    "not md5hash, md5, sha1, sha256 or sha512", m);
		return -1;
	}
	v->secret = mr_secret(s, "signature_secret", 1, err);
	return v->secret ? 0 : -1;
}

static void
vonage_free(struct mr_source *s)
{
	struct vonage *v = s->priv;

	cx_secret_free(v->secret);
	free(v);
}

/* A JSON body's scalar fields as a form. */
static int
json_form(const struct mr_req *r, struct mr_resp *rs, struct mr_form *f)
{
	const char *why, *k;
	json_t *j = mr_json_parse(r->body, r->blen, 0, &why), *v;
	struct cx_buf b = { 0 };
	int rc;

	if (j == NULL) {
		mr_reject(rs, 400, "%s", why);
		return -1;
	}
	json_object_foreach(j, k, v) {
		char *t = json_is_string(v) ? cx_xstrdup(json_string_value(v)) :
		    json_is_object(v) || json_is_array(v) || json_is_null(v) ?
		    NULL : json_dumps(v, JSON_ENCODE_ANY);
		char *ek, *ev;

		if (t == NULL)
			continue;
		ek = cx_form_encode(k, strlen(k));
		ev = cx_form_encode(t, strlen(t));
		cx_buf_printf(&b, "%s%s=%s", b.len ? "&" : "", ek, ev);
		free(ek);
		free(ev);
		free(t);
	}
	json_decref(j);
	rc = mr_form_parse(b.s ? b.s : "", b.len, f);
	cx_buf_free(&b);
	if (rc != 0)
		mr_reject(rs, 400, "malformed JSON fields");
	return rc;
}

static void
vonage_handle(struct mr_source *s, const struct mr_req *r,
    struct mr_resp *rs)
{
	struct vonage *v = s->priv;
	struct mr_form f;
	const char *id, *st, *text;
	cx_ms ts;

	if (strcmp(r->method, "POST") == 0 && r->ctype &&
	    strncasecmp(r->ctype, "application/json", 16) == 0) {
		if (json_form(r, rs, &f) != 0)
			return;
	} else if (mr_params(r, rs, &f) != 0) {
		return;
	}
	if (!mr_vonage_verify(v->m, v->secret, &f)) {
		mr_reject(rs, 403, mr_form_get(&f, "sig") ? "bad sig" :
		    "no sig");
		goto out;
	}
	if (mr_fresh(s, r, mr_form_get(&f, "timestamp"), rs) != 0)
		goto out;
	id = mr_form_get(&f, "messageId");
	if (id == NULL)
		id = mr_form_get(&f, "message-id");
	if (id == NULL || *id == '\0') {
		mr_reject(rs, 400, "no messageId");
		goto out;
	}
	ts = mr_local_time(mr_form_get(&f, "message-timestamp"), "Z", r->now);
	text = mr_form_get(&f, "text");
	st = mr_form_get(&f, "status");
	if (text != NULL) {
		char *from = cx_xasprintf("+%s", mr_form_get(&f, "msisdn") ?
		    mr_form_get(&f, "msisdn") : "");
		const char *to = mr_form_get(&f, "to");
		char *pto = to ? cx_xasprintf("+%s", to) : NULL;

		json_array_append_new(rs->recs, mr_inbound(s, "sms", id, ts,
		    from, pto, text));
		free(from);
		free(pto);
	} else if (st != NULL) {
		const char *out = strcmp(st, "delivered") == 0 ? "delivered" :
		    strcmp(st, "failed") == 0 || strcmp(st, "rejected") == 0 ?
		    "failed" : strcmp(st, "expired") == 0 ||
		    strcmp(st, "unknown") == 0 ? "undelivered" : NULL;
		const char *ec = mr_form_get(&f, "err-code");
		char *to = cx_xasprintf("+%s", mr_form_get(&f, "msisdn") ?
		    mr_form_get(&f, "msisdn") : "");

		if (out)
			json_array_append_new(rs->recs, mr_delivery(s, "sms", id,
			    mr_form_get(&f, "client-ref"), out,
			    ec && strcmp(ec, "0") != 0 ? ec : NULL, to, ts));
		free(to);
	} else {
		mr_reject(rs, 400, "neither text nor status");
	}
out:
	mr_form_free(&f);
}

const struct mr_type mr_vonage = {
	"vonage", keys, vonage_init, vonage_handle, vonage_free
};
