/* twilio.c - sms-send provider: Twilio Programmable Messaging
 *
 * SPDX-License-Identifier: MIT
 * POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, a form of
 * To, From and/or MessagingServiceSid, Body and StatusCallback, with HTTP
 * Basic auth (providers.md §1).  Twilio has no correlation field on send,
 * so the record id rides in the StatusCallback URL as ?id=.  A 201 gives
 * the message "sid"; errors are JSON {"code","message"} mapped by code.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "sms-send.h"

struct twilio {
	const char *sid;	/* account_sid (borrowed from the config) */
	char *token;		/* auth_token: a secret */
	const char *service;	/* messaging_service_sid, or NULL */
	const char *callback;	/* status_callback, or NULL */
};

static const char *const twilio_keys[] = {
	"account_sid", "auth_token", "messaging_service_sid",
	"status_callback", NULL
};

static int
twilio_init(struct sms_prov *p, char **err)
{
	struct twilio *t = cx_xcalloc(1, sizeof(*t));

	p->priv = t;
	if ((t->sid = cx_section_need(p->sec, "account_sid", err)) == NULL)
		return -1;
	if ((t->token = cx_section_secret(p->sec, "auth_token", err)) == NULL)
		return -1;
	t->service = cx_section_get(p->sec, "messaging_service_sid");
	t->callback = cx_section_get(p->sec, "status_callback");
	return 0;
}

/* The status callback URL with "id=<record id>" added to its query
 * (before any "#..." connection overrides). */
static char *
callback_url(const char *cb, const char *id)
{
	size_t at = strcspn(cb, "#");
	char *eid = cx_url_encode(id, strlen(id)), *u;

	u = cx_xasprintf("%.*s%cid=%s%s", (int)at, cb,
	    memchr(cb, '?', at) ? '&' : '?', eid, cb + at);
	free(eid);
	return u;
}

static int
twilio_build(struct sms_prov *p, const struct sms_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct twilio *t = p->priv;
	struct cx_buf b = { 0 };
	size_t blen = strlen(p->base_url);
	char *esid, *cb;

	if (m->text == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "twilio: no text to send");
		return -1;
	}
	if (m->from == NULL && t->service == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "twilio: no sender: set 'from' or messaging_service_sid "
		    "in [provider %s]", p->name);
		return -1;
	}
	while (blen > 0 && p->base_url[blen - 1] == '/')
		blen--;
	esid = cx_url_encode(t->sid, strlen(t->sid));
	req->method = "POST";
	req->url = cx_xasprintf("%.*s/2010-04-01/Accounts/%s/Messages.json",
	    (int)blen, p->base_url, esid);
	free(esid);
	req->userpwd = cx_xasprintf("%s:%s", t->sid, t->token);

	cx_form_add(&b, "To", m->to);
	if (m->from != NULL)
		cx_form_add(&b, "From", m->from);
	if (t->service != NULL)
		cx_form_add(&b, "MessagingServiceSid", t->service);
	cx_form_add(&b, "Body", m->text);
	if (t->callback != NULL) {
		cb = callback_url(t->callback, m->id);
		cx_form_add(&b, "StatusCallback", cb);
		free(cb);
	}
	cx_http_req_header(req, "Content-Type: "
	    "application/x-www-form-urlencoded");
	cx_http_req_header(req, "Accept: application/json");
	blen = b.len;
	cx_http_req_body(req, cx_buf_take(&b), blen);
	return 0;
}

/* A JSON number or numeric string as a long; def when neither. */
static long
num(const json_t *v, long def)
{
	char *end;
	long n;

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v)) {
		n = strtol(json_string_value(v), &end, 10);
		if (end != json_string_value(v) && *end == '\0')
			return n;
	}
	return def;
}

static void
twilio_error(const struct cx_http_resp *resp, json_t *j,
    struct cx_result *res)
{
	const char *msg = json_string_value(json_object_get(j, "message"));
	long code = num(json_object_get(j, "code"), 0);
	const char *ecode = CX_E_PROVIDER_REJECTED;
	enum cx_outcome o = CX_OUT_FAIL;
	int retry = 0;

	if (msg == NULL)
		msg = json_string_value(json_object_get(j, "title"));
	if (msg == NULL)
		msg = "";
	switch (code) {
	case 21211:
	case 21614:
		ecode = CX_E_INVALID_NUMBER;
		break;
	case 21610:
		ecode = CX_E_OPTED_OUT;
		break;
	case 20003:
		ecode = CX_E_AUTH_FAILED;
		break;
	case 21617:
		ecode = CX_E_TOO_LONG;
		break;
	case 20429:
		ecode = CX_E_RATE_LIMITED;
		o = CX_OUT_RETRY;
		retry = 1;
		break;
	default:
		if (resp->status == 429) {
			ecode = CX_E_RATE_LIMITED;
			o = CX_OUT_RETRY;
			retry = 1;
		} else if (resp->status == 401 && code == 0) {
			ecode = CX_E_AUTH_FAILED;
		}
		break;
	}
	cx_result_set(res, o, ecode, retry, "twilio: %ld %s", code, msg);
	res->retry_after_s = resp->retry_after_s;
}

static void
twilio_parse(struct sms_prov *p, const struct sms_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	json_t *j, *extra = NULL;
	const char *sid;
	long segs;

	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	if (resp->status >= 200 && resp->status < 300) {
		sid = json_string_value(json_object_get(j, "sid"));
		if (sid == NULL) {
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
			    "twilio: HTTP %ld without a message sid: %.*s",
			    resp->status, cx_http_excerpt(resp),
			    resp->body ? resp->body : "");
		} else {
			segs = num(json_object_get(j, "num_segments"), 0);
			if (segs > 0)
				extra = json_pack("{s:i}", "num_segments",
				    (int)segs);
			cx_result_ok(res, sid, extra);
		}
	} else if (resp->status >= 500 || !json_is_object(j) ||
	    (json_object_get(j, "code") == NULL && resp->status != 429)) {
		cx_result_from_http(res, resp);
	} else {
		twilio_error(resp, j, res);
	}
	json_decref(j);
}

static void
twilio_fini(struct sms_prov *p)
{
	struct twilio *t = p->priv;

	if (t != NULL) {
		cx_secret_free(t->token);
		free(t);
	}
	p->priv = NULL;
}

const struct sms_provider sms_twilio = {
	.type = "twilio",
	.default_url = "https://api.twilio.com",
	.keys = twilio_keys,
	.need_template = 0,
	.init = twilio_init,
	.build = twilio_build,
	.parse = twilio_parse,
	.fini = twilio_fini,
};
