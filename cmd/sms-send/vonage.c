/* vonage.c - sms-send provider: Vonage (Nexmo) SMS API
 *
 * SPDX-License-Identifier: MIT
 * POST {base}/sms/json, a form of api_key, from, to (digits, no '+'),
 * text, type and client-ref (the record id, at most 40 bytes), plus
 * either api_secret or, when signature_secret is set, timestamp and sig
 * (never both: Vonage answers status 32).  The answer is HTTP 200 with
 * one messages[] entry per segment, each with its own status
 * (providers.md §2).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "sms-send.h"

struct vonage {
	const char *key;		/* api_key */
	char *secret;			/* api_secret; NULL when signing */
	char *sigsecret;		/* signature_secret, or NULL */
	enum cx_vonage_sig method;
};

static const char *const vonage_keys[] = {
	"api_key", "api_secret", "signature_secret", "signature_method", NULL
};

static int
vonage_init(struct sms_prov *p, char **err)
{
	struct vonage *v = cx_xcalloc(1, sizeof(*v));
	const char *meth;

	p->priv = v;
	if ((v->key = cx_section_need(p->sec, "api_key", err)) == NULL)
		return -1;
	v->method = CX_VONAGE_MD5HASH;
	meth = cx_section_get(p->sec, "signature_method");
	if (meth != NULL && cx_vonage_sig_method(meth, &v->method) != 0) {
		*err = cx_section_err(p->sec, "signature_method", "'%s' is not one of "
		    "md5hash, md5, sha1, sha256, sha512", meth);
		return -1;
	}
	if (cx_section_get(p->sec, "signature_secret") != NULL) {
		v->sigsecret = cx_section_secret(p->sec, "signature_secret",
		    err);
		return v->sigsecret == NULL ? -1 : 0;
	}
	if (meth != NULL) {
		*err = cx_section_err(p->sec, "signature_method",
		    "needs signature_secret");
		return -1;
	}
	v->secret = cx_section_secret(p->sec, "api_secret", err);
	return v->secret == NULL ? -1 : 0;
}

/* The record id cut to Vonage's 40 bytes, on a UTF-8 boundary. */
static char *
client_ref(const char *id)
{
	size_t n = strlen(id);

	if (n > 40) {
		n = 40;
		while (n > 0 && ((unsigned char)id[n] & 0xc0) == 0x80)
			n--;
	}
	return cx_xstrndup(id, n);
}

static void
put(const char **names, const char **values, size_t *n, const char *k,
    const char *v)
{
	names[*n] = k;
	values[*n] = v;
	(*n)++;
}

static int
vonage_build(struct sms_prov *p, const struct sms_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct vonage *v = p->priv;
	const char *names[8], *values[8];
	char ts[24], sig[CX_SIGN_HEX_MAX], *ref;
	struct cx_buf b = { 0 };
	size_t n = 0, i, blen = strlen(p->base_url);

	if (m->text == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "vonage: no text to send");
		return -1;
	}
	if (m->from == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "vonage: no sender: set 'from' in [provider %s] or in "
		    "the record", p->name);
		return -1;
	}
	ref = client_ref(m->id);
	put(names, values, &n, "api_key", v->key);
	if (v->secret != NULL)
		put(names, values, &n, "api_secret", v->secret);
	put(names, values, &n, "from", m->from);
	put(names, values, &n, "to", m->to[0] == '+' ? m->to + 1 : m->to);
	put(names, values, &n, "text", m->text);
	put(names, values, &n, "type", m->seg.encoding == CX_ENC_UCS2 ?
	    "unicode" : "text");
	put(names, values, &n, "client-ref", ref);
	if (v->sigsecret != NULL) {
		snprintf(ts, sizeof(ts), "%lld", (long long)(cx_now() / 1000));
		put(names, values, &n, "timestamp", ts);
		cx_sign_vonage(v->method, v->sigsecret, names, values, n, sig);
		put(names, values, &n, "sig", sig);
	}
	for (i = 0; i < n; i++)
		cx_form_add(&b, names[i], values[i]);
	free(ref);

	while (blen > 0 && p->base_url[blen - 1] == '/')
		blen--;
	req->method = "POST";
	req->url = cx_xasprintf("%.*s/sms/json", (int)blen, p->base_url);
	cx_http_req_header(req, "Content-Type: "
	    "application/x-www-form-urlencoded");
	cx_http_req_header(req, "Accept: application/json");
	blen = b.len;
	cx_http_req_body(req, cx_buf_take(&b), blen);
	return 0;
}

/* A status, a string "0" or a number, as a long; -1 when neither. */
static long
status_of(const json_t *s)
{
	char *end;
	long n;

	if (json_is_integer(s))
		return (long)json_integer_value(s);
	if (json_is_string(s)) {
		n = strtol(json_string_value(s), &end, 10);
		if (end != json_string_value(s) && *end == '\0' && n >= 0)
			return n;
	}
	return -1;
}

/* Maps a non-zero status onto res (providers.md §2). */
static void
vonage_status(long st, const char *text, int part, int parts, int accepted,
    struct cx_result *res)
{
	const char *code = CX_E_PROVIDER_REJECTED;
	enum cx_outcome o = CX_OUT_FAIL;
	int retry = 0;

	switch (st) {
	case 1:
		code = CX_E_RATE_LIMITED;
		o = CX_OUT_RETRY;
		retry = 1;
		break;
	case 4:
	case 8:
	case 14:
		code = CX_E_AUTH_FAILED;
		break;
	case 5:		/* internal error */
	case 10:	/* too many existing binds */
		code = CX_E_PROVIDER_ERROR;
		o = CX_OUT_RETRY;
		retry = 1;
		break;
	case 6:
	case 33:
		code = CX_E_INVALID_NUMBER;
		break;
	case 7:
		code = CX_E_OPTED_OUT;
		break;
	case 12:
		code = CX_E_TOO_LONG;
		break;
	}
	/* Parts already accepted would go out twice: never resend. */
	if (accepted > 0) {
		o = CX_OUT_FAIL;
		retry = 0;
		cx_result_set(res, o, code, retry, "vonage: status %ld: %s "
		    "(part %d of %d; %d part%s accepted)", st, text, part,
		    parts, accepted, accepted == 1 ? "" : "s");
	} else {
		cx_result_set(res, o, code, retry, "vonage: status %ld: %s",
		    st, text);
	}
}

static void
vonage_parse(struct sms_prov *p, const struct sms_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	json_t *j, *msgs, *e, *ids;
	const char *text, *mid;
	long st, bad = 0;
	size_t i, nparts;
	int badpart = 0, accepted = 0;

	if (resp->status < 200 || resp->status >= 300) {
		cx_result_from_http(res, resp);
		return;
	}
	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	msgs = json_object_get(j, "messages");
	if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
		    "vonage: unexpected answer: %.*s", cx_http_excerpt(resp),
		    resp->body ? resp->body : "");
		json_decref(j);
		return;
	}
	nparts = json_array_size(msgs);
	ids = json_array();
	text = NULL;
	json_array_foreach(msgs, i, e) {
		st = status_of(json_object_get(e, "status"));
		mid = json_string_value(json_object_get(e, "message-id"));
		if (st == 0 && mid != NULL) {
			json_array_append_new(ids, json_string(mid));
			accepted++;
		} else if (badpart == 0) {
			bad = st;
			badpart = (int)i + 1;
			text = json_string_value(json_object_get(e,
			    "error-text"));
		}
	}
	if (badpart == 0) {
		cx_result_ok(res, json_string_value(json_array_get(ids, 0)),
		    nparts > 1 ? json_pack("{s:O}", "message_ids", ids) :
		    NULL);
	} else if (bad <= 0) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
		    "vonage: part %d without a status or message-id: %.*s",
		    badpart, cx_http_excerpt(resp),
		    resp->body ? resp->body : "");
	} else {
		vonage_status(bad, text ? text : "", badpart, (int)nparts,
		    accepted, res);
		if (accepted > 0) {
			free(res->provider_id);
			res->provider_id = cx_xstrdup(json_string_value(
			    json_array_get(ids, 0)));
		}
	}
	json_decref(ids);
	json_decref(j);
}

static void
vonage_fini(struct sms_prov *p)
{
	struct vonage *v = p->priv;

	if (v != NULL) {
		cx_secret_free(v->secret);
		cx_secret_free(v->sigsecret);
		free(v);
	}
	p->priv = NULL;
}

const struct sms_provider sms_vonage = {
	.type = "vonage",
	.default_url = "https://rest.nexmo.com",
	.keys = vonage_keys,
	.need_template = 0,
	.init = vonage_init,
	.build = vonage_build,
	.parse = vonage_parse,
	.fini = vonage_fini,
};
