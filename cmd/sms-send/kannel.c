/* kannel.c - sms-send provider: Kannel smsbox sendsms HTTP interface
 *
 * SPDX-License-Identifier: MIT
 * GET {base}/cgi-bin/sendsms?username=..&password=..&from=..&to=..&text=..
 * &charset=UTF-8&coding=0|2[&smsc=..][&dlr-mask=..&dlr-url=..]
 * (providers.md §5).  The password travels in the query string, so the
 * URL never appears in a message.  Kannel returns no message id: the
 * record id rides in the dlr-url as its parameter "id", so delivery
 * reports can be matched to records.  Replies are plain text: 202 "0:",
 * "3:" or "Sent." is success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx.h"
#include "sms-send.h"

struct kannel {
	const char *user;	/* username */
	char *pass;		/* password: a secret */
	const char *smsc;	/* smsc, or NULL */
	const char *dlr_url;	/* dlr_url, or NULL */
	int dlr_mask;		/* 0: none sent */
};

static const char *const kannel_keys[] = {
	"username", "password", "smsc", "dlr_url", "dlr_mask", NULL
};

static int
kannel_init(struct sms_prov *p, char **err)
{
	struct kannel *k = cx_xcalloc(1, sizeof(*k));
	const char *mask;
	char *end;
	long n;

	p->priv = k;
	if ((k->user = cx_section_need(p->sec, "username", err)) == NULL)
		return -1;
	k->smsc = cx_section_get(p->sec, "smsc");
	k->dlr_url = cx_section_get(p->sec, "dlr_url");
	if (k->dlr_url != NULL)
		k->dlr_mask = 31;
	if ((mask = cx_section_get(p->sec, "dlr_mask")) != NULL) {
		n = strtol(mask, &end, 10);
		if (end == mask || *end != '\0' || n < 1 || n > 31) {
			*err = cx_section_err(p->sec, "dlr_mask",
			    "'%s' is not a number from 1 to 31", mask);
			return -1;
		}
		k->dlr_mask = (int)n;
	}
	k->pass = cx_section_secret(p->sec, "password", err);
	return k->pass == NULL ? -1 : 0;
}

static void
add(struct cx_buf *b, const char *k, const char *v)
{
	char *e = cx_url_encode(v, strlen(v));

	cx_buf_printf(b, "%s%s=%s", b->len ? "&" : "", k, e);
	free(e);
}

/* The configured dlr-url with "id=<record id>" added to its query.  Kannel
 * expands %-codes in it (%d, %A, ...) and turns "%%" into "%", so each
 * '%' of the percent-encoded id is doubled: %3A reaches the receiver as
 * %3A, never as a %A expansion.  The user's own %-codes stay as they are. */
static char *
dlr_url(const char *url, const char *id)
{
	size_t at = strcspn(url, "#");
	struct cx_buf b = { 0 };
	char *e = cx_url_encode(id, strlen(id)), *c;

	cx_buf_add(&b, url, at);
	cx_buf_adds(&b, memchr(url, '?', at) ? "&id=" : "?id=");
	for (c = e; *c != '\0'; c++) {
		if (*c == '%')
			cx_buf_addc(&b, '%');
		cx_buf_addc(&b, *c);
	}
	cx_buf_adds(&b, url + at);
	free(e);
	return cx_buf_take(&b);
}

static int
kannel_build(struct sms_prov *p, const struct sms_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct kannel *k = p->priv;
	struct cx_buf q = { 0 };
	size_t blen = strlen(p->base_url);
	char mask[16], *du;

	if (m->text == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "kannel: no text to send");
		return -1;
	}
	add(&q, "username", k->user);
	add(&q, "password", k->pass);
	if (m->from != NULL)
		add(&q, "from", m->from);
	add(&q, "to", m->to);
	add(&q, "text", m->text);
	add(&q, "charset", "UTF-8");
	add(&q, "coding", m->seg.encoding == CX_ENC_UCS2 ? "2" : "0");
	if (k->smsc != NULL)
		add(&q, "smsc", k->smsc);
	if (k->dlr_mask > 0) {
		snprintf(mask, sizeof(mask), "%d", k->dlr_mask);
		add(&q, "dlr-mask", mask);
	}
	if (k->dlr_url != NULL) {
		du = dlr_url(k->dlr_url, m->id);
		add(&q, "dlr-url", du);
		free(du);
	}
	while (blen > 0 && p->base_url[blen - 1] == '/')
		blen--;
	req->method = "GET";
	req->url = cx_xasprintf("%.*s/cgi-bin/sendsms?%s", (int)blen,
	    p->base_url, q.s);
	explicit_bzero(q.s, q.len);
	cx_buf_free(&q);
	return 0;
}

/* 1 when the body holds s. */
static int
says(const struct cx_http_resp *resp, const char *s)
{
	return resp->body != NULL &&
	    memmem(resp->body, resp->body_len, s, strlen(s)) != NULL;
}

static void
kannel_parse(struct sms_prov *p, const struct sms_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	const char *body = resp->body ? resp->body : "", *b;
	int n = cx_http_excerpt(resp);

	/* Drop the trailing newline from what is quoted. */
	while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r'))
		n--;
	b = body + strspn(body, " \t\r\n");
	switch (resp->status) {
	case 200:
	case 202:
		if (strncmp(b, "0:", 2) == 0 || strncmp(b, "3:", 2) == 0 ||
		    strncmp(b, "Sent.", 5) == 0)
			cx_result_ok(res, NULL, NULL);
		else
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
			    "kannel: HTTP %ld: unexpected answer: %.*s",
			    resp->status, n, body);
		return;
	case 400:
		cx_result_set(res, CX_OUT_FAIL,
		    says(resp, "denied by white- and/or black-lists") ?
		    CX_E_OPTED_OUT : CX_E_PROVIDER_REJECTED, 0,
		    "kannel: HTTP 400: %.*s", n, body);
		return;
	case 403:
		cx_result_set(res, CX_OUT_FAIL, says(resp, "Not routable") ?
		    CX_E_PROVIDER_REJECTED : CX_E_AUTH_FAILED, 0,
		    "kannel: HTTP 403: %.*s", n, body);
		return;
	case 404:
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "kannel: HTTP 404 (is base_url the smsbox's sendsms "
		    "port?): %.*s", n, body);
		return;
	case 500:
	case 503:
		cx_result_set(res, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1,
		    "kannel: HTTP %ld: %.*s", resp->status, n, body);
		res->retry_after_s = resp->retry_after_s;
		return;
	default:
		cx_result_from_http(res, resp);
		return;
	}
}

static void
kannel_fini(struct sms_prov *p)
{
	struct kannel *k = p->priv;

	if (k != NULL) {
		cx_secret_free(k->pass);
		free(k);
	}
	p->priv = NULL;
}

const struct sms_provider sms_kannel = {
	.type = "kannel",
	.default_url = NULL,
	.keys = kannel_keys,
	.need_template = 0,
	.init = kannel_init,
	.build = kannel_build,
	.parse = kannel_parse,
	.fini = kannel_fini,
};
