/* xmpp.c - im-send target: XMPP through ejabberd's mod_http_api
 *
 * SPDX-License-Identifier: MIT
 * POST {base}/send_message with {"type","from","to","subject","body"}
 * (providers.md §14); base_url is the API's root
 * ("http://127.0.0.1:5280/api"), required.  Keys: from (the sender's JID,
 * required), message_type (chat, headline or normal; chat by default),
 * and username + password for HTTP Basic auth (a JID and its password)
 * when api_permissions asks for it.  The record's "title" is the subject.
 *
 * The answer is HTTP 200 with the body 0 (done) or 1 (the command
 * failed); errors are {"status":"error","code":N,"message":".."} or a
 * bare JSON string, by HTTP status.  There is no message id, and 0 comes
 * back even for a user that does not exist: delivery is not confirmed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

struct xmpp {
	const char *from;	/* the sender's JID */
	const char *type;	/* message_type */
	const char *user;	/* username, or NULL */
	char *password;		/* a secret, or NULL */
};

static const char *const xmpp_keys[] = {
	"username", "password", "message_type", NULL
};

static int
xmpp_init(struct im_target *t, char **err)
{
	static const char *const types[] = { "chat", "headline", "normal" };
	struct xmpp *x = cx_xcalloc(1, sizeof(*x));
	size_t i;

	t->priv = x;
	if (t->base_url == NULL || *t->base_url == '\0') {
		*err = cx_section_err(t->sec, "base_url", "needed: the API's URL, e.g. "
		    "http://127.0.0.1:5280/api");
		return -1;
	}
	if (strncasecmp(t->base_url, "http://", 7) != 0 &&
	    strncasecmp(t->base_url, "https://", 8) != 0) {
		*err = cx_section_err(t->sec, "base_url", "not an http:// or https:// "
		    "URL");
		return -1;
	}
	if ((x->from = cx_section_need(t->sec, "from", err)) == NULL)
		return -1;
	if ((x->type = cx_section_get(t->sec, "message_type")) == NULL)
		x->type = "chat";
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(x->type, types[i]) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		*err = cx_section_err(t->sec, "message_type", "'%s' is not chat, "
		    "headline or normal", x->type);
		return -1;
	}
	x->user = cx_section_get(t->sec, "username");
	if (x->user != NULL && strchr(x->user, ':') != NULL) {
		*err = cx_section_err(t->sec, "username", "holds a ':'");
		return -1;
	}
	if (x->user != NULL) {
		if ((x->password = cx_section_secret(t->sec, "password",
		    err)) == NULL)
			return -1;
	} else if (cx_section_get(t->sec, "password") != NULL) {
		*err = cx_section_err(t->sec, "password", "needs username as well");
		return -1;
	}
	t->needs_to = t->to == NULL;
	return 0;
}

static int
xmpp_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct xmpp *x = t->priv;
	json_t *body;

	if (m->to == NULL || *m->to == '\0') {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "xmpp: no recipient: set 'to' (a JID)");
		return -1;
	}
	body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", x->type,
	    "from", x->from, "to", m->to, "subject",
	    m->title && m->part <= 1 ? m->title : "", "body", m->text);
	if (body == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "xmpp: from, to, the title or the text is not valid "
		    "UTF-8");
		return -1;
	}
	req->method = "POST";
	req->url = im_url(t, "/send_message");
	if (x->user != NULL)
		req->userpwd = cx_xasprintf("%s:%s", x->user, x->password);
	im_json_body(req, body);
	return 0;
}

static void
xmpp_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	const char *b = resp->body ? resp->body : "", *msg;
	size_t n = resp->body ? resp->body_len : 0;
	const char *code = CX_E_PROVIDER_REJECTED;
	json_t *j;

	(void)t;
	(void)m;
	while (n > 0 && strchr(" \t\r\n", b[n - 1]) != NULL)
		n--;
	if (resp->status >= 200 && resp->status < 300) {
		if (n == 0 || (n == 1 && *b == '0'))
			cx_result_ok(res, NULL, NULL);
		else if (n == 1 && *b == '1')
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED,
			    0, "xmpp: send_message failed (result 1)");
		else
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
			    "xmpp: HTTP %ld, an unexpected answer: %.*s",
			    resp->status, cx_http_excerpt(resp), b);
		return;
	}
	if (resp->status == 429 || resp->status >= 500) {
		cx_result_from_http(res, resp);
		return;
	}
	j = json_loadb(b, resp->body_len, JSON_DECODE_ANY, NULL);
	msg = json_string_value(json_is_string(j) ? j :
	    json_object_get(j, "message"));
	if (resp->status == 401 || resp->status == 403)
		code = CX_E_AUTH_FAILED;
	if (msg != NULL)
		cx_result_set(res, CX_OUT_FAIL, code, 0,
		    "xmpp: HTTP %ld %.200s", resp->status, msg);
	else
		cx_result_set(res, CX_OUT_FAIL, code, 0, "xmpp: HTTP %ld %.*s",
		    resp->status, cx_http_excerpt(resp), b);
	json_decref(j);
}

static void
xmpp_fini(struct im_target *t)
{
	struct xmpp *x = t->priv;

	if (x != NULL) {
		cx_secret_free(x->password);
		free(x);
	}
	t->priv = NULL;
}

const struct im_provider im_xmpp = {
	.type = "xmpp",
	.default_url = NULL,
	.keys = xmpp_keys,
	.limit = 60000,
	.limit_chars = 0,
	.markdown = 0,
	.rate = 0,
	.idempotent = 0,
	.customers = 0,
	.init = xmpp_init,
	.build = xmpp_build,
	.parse = xmpp_parse,
	.fini = xmpp_fini,
};
