/* slack.c - im-send target: Slack (incoming webhook or chat.postMessage)
 *
 * SPDX-License-Identifier: MIT
 * Two modes, chosen by the key the section holds (providers.md §10):
 *   webhook    the incoming webhook's whole URL (a secret): POST
 *              {"text":..} to it; success is HTTP 200 with the body "ok",
 *              errors are a bare string in the body ("no_service").  The
 *              webhook's channel is fixed; there is no message id.
 *   bot_token  a bot token (a secret): POST {base}/chat.postMessage with
 *              Authorization: Bearer and the form channel, text,
 *              thread_ts, mrkdwn (form, as Slack's OpenAPI spec has it;
 *              the API takes JSON too); the answer is HTTP 200
 *              {"ok":true,"channel","ts"} or {"ok":false,"error":".."}.
 *              The message id is ts, the channel goes in the result as
 *              "channel".
 * Text: Slack reads &, < and > as markup (<@U123>, <url|label>), so plain
 * text has them escaped as &amp; &lt; &gt; and goes with "mrkdwn":false;
 * markdown text (a .md template) is sent as written, with "mrkdwn":true,
 * and must be written in Slack's mrkdwn.  "mention" ids become <@ID> in
 * front of the first part, "@all" becomes <!channel>.
 * Slack has no idempotency key: a retry after a timeout may duplicate.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

/* The characters of a Slack user id ("U0123ABCD", "W0123ABCD"). */
#define SLACK_ID "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

struct slack {
	char *hook;	/* webhook URL (a secret), or NULL in bot mode */
	char *token;	/* bot_token (a secret), or NULL in webhook mode */
};

static const char *const slack_keys[] = { "webhook", "bot_token", NULL };

static int
slack_init(struct im_target *t, char **err)
{
	struct slack *s = cx_xcalloc(1, sizeof(*s));
	int hook = cx_section_get(t->sec, "webhook") != NULL;
	int bot = cx_section_get(t->sec, "bot_token") != NULL;
	char *h;

	t->priv = s;
	if (hook == bot) {
		*err = cx_section_err(t->sec, hook ? "bot_token" : "webhook",
		    hook ? "set webhook or bot_token, not both" :
		    "needed (or bot_token)");
		return -1;
	}
	if (hook) {
		if ((h = cx_section_secret(t->sec, "webhook", err)) == NULL)
			return -1;
		/* Never quote the value: it is a secret. */
		if (strncasecmp(h, "http://", 7) != 0 &&
		    strncasecmp(h, "https://", 8) != 0) {
			cx_secret_free(h);
			*err = cx_section_err(t->sec, "webhook", "not an http:// or "
			    "https:// URL");
			return -1;
		}
		if (im_hook_check(t, "webhook", h, err) != 0) {
			cx_secret_free(h);
			return -1;
		}
		s->hook = im_hook_url(t, h, "");
		cx_secret_free(h);
		t->needs_to = 0;
		return 0;
	}
	if ((s->token = cx_section_secret(t->sec, "bot_token", err)) == NULL)
		return -1;
	if (*s->token == '\0' || strpbrk(s->token, " \t\r\n") != NULL) {
		*err = cx_section_err(t->sec, "bot_token", "empty or holds a blank");
		return -1;
	}
	t->needs_to = t->to == NULL;
	return 0;
}

/* Appends s to b with &, < and > escaped as Slack wants. */
static void
add_escaped(struct cx_buf *b, const char *s)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "&<>");
		cx_buf_add(b, s, n);
		s += n;
		if (*s == '&')
			cx_buf_adds(b, "&amp;");
		else if (*s == '<')
			cx_buf_adds(b, "&lt;");
		else if (*s == '>')
			cx_buf_adds(b, "&gt;");
		else
			break;
		s++;
	}
}

/* The text to send: mentions (first part only), then the part's text,
 * escaped unless it is markdown.  NULL after setting res. */
static char *
slack_text(const struct im_msg *m, struct cx_result *res)
{
	struct cx_buf b = { 0 };
	const char *id;
	json_t *v;
	size_t i;

	cx_buf_adds(&b, "");
	json_array_foreach(m->part <= 1 ? m->mention : NULL, i, v) {
		if ((id = json_string_value(v)) == NULL)
			continue;
		if (im_mention_all(id)) {
			cx_buf_adds(&b, "<!channel> ");
		} else if (*id != '\0' && strspn(id, SLACK_ID) ==
		    strlen(id)) {
			cx_buf_printf(&b, "<@%s> ", id);
		} else {
			cx_buf_free(&b);
			cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
			    "slack: mention '%.40s' is not a Slack user id "
			    "(U0123ABCD) or @all", id);
			return NULL;
		}
	}
	if (m->markdown)
		cx_buf_adds(&b, m->text);
	else
		add_escaped(&b, m->text);
	return cx_buf_take(&b);
}

/* chat.postMessage's form: the fields of Slack's OpenAPI spec, which
 * takes form encoding (the API takes JSON as well). */
static char *
api_form(const struct im_msg *m, const char *text)
{
	struct cx_buf b = { 0 };

	cx_form_add(&b, "channel", m->to);
	cx_form_add(&b, "text", text);
	if (m->thread != NULL)
		cx_form_add(&b, "thread_ts", m->thread);
	cx_form_add(&b, "mrkdwn", m->markdown ? "true" : "false");
	return cx_buf_take(&b);
}

static int
slack_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct slack *s = t->priv;
	json_t *body;
	char *text, *f;

	if (s->token != NULL && (m->to == NULL || *m->to == '\0')) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "slack: no channel: set 'to'");
		return -1;
	}
	if ((text = slack_text(m, res)) == NULL)
		return -1;
	req->method = "POST";
	if (s->token != NULL) {
		f = api_form(m, text);
		free(text);
		req->url = im_url(t, "/chat.postMessage");
		cx_http_req_header(req, "Authorization: Bearer %s", s->token);
		/* Slack's own OpenAPI description of chat.postMessage also
		 * names the token as a "token" header (checked by
		 * tests/peers/slack-prism.sh); Slack reads either. */
		cx_http_req_header(req, "token: %s", s->token);
		cx_http_req_header(req, "Content-Type: "
		    "application/x-www-form-urlencoded");
		cx_http_req_body(req, f, strlen(f));
		return 0;
	}
	body = json_pack("{s:s, s:b}", "text", text, "mrkdwn", m->markdown);
	free(text);
	if (body == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "slack: the text is not valid UTF-8");
		return -1;
	}
	req->url = cx_xstrdup(s->hook);
	im_json_body(req, body);
	return 0;
}

struct slack_err {
	const char *error;
	const char *code;
	int retry;
};

/* Errors in an incoming webhook's body and in chat.postMessage's
 * "error"; anything else is provider_rejected. */
static const struct slack_err slack_errs[] = {
	{ "invalid_token", CX_E_AUTH_FAILED, 0 },
	{ "invalid_auth", CX_E_AUTH_FAILED, 0 },
	{ "not_authed", CX_E_AUTH_FAILED, 0 },
	{ "account_inactive", CX_E_AUTH_FAILED, 0 },
	{ "token_revoked", CX_E_AUTH_FAILED, 0 },
	{ "token_expired", CX_E_AUTH_FAILED, 0 },
	{ "no_service", CX_E_AUTH_FAILED, 0 },
	{ "no_service_id", CX_E_AUTH_FAILED, 0 },
	{ "no_team", CX_E_AUTH_FAILED, 0 },
	{ "team_disabled", CX_E_AUTH_FAILED, 0 },
	{ "msg_too_long", CX_E_TOO_LONG, 0 },
	{ "msg_blocks_too_long", CX_E_TOO_LONG, 0 },
	{ "ratelimited", CX_E_RATE_LIMITED, 1 },
	{ "rate_limited", CX_E_RATE_LIMITED, 1 },
	{ "internal_error", CX_E_PROVIDER_ERROR, 1 },
	{ "fatal_error", CX_E_PROVIDER_ERROR, 1 },
	{ "service_unavailable", CX_E_PROVIDER_ERROR, 1 },
	{ "request_timeout", CX_E_PROVIDER_ERROR, 1 },
	{ "rollup_error", CX_E_PROVIDER_ERROR, 1 },
};

/* Sets res for Slack's error string e (NUL-free, n bytes). */
static void
slack_error(const char *e, size_t n, const struct cx_http_resp *resp,
    struct cx_result *res)
{
	const struct slack_err *x = NULL;
	size_t i;

	for (i = 0; i < sizeof(slack_errs) / sizeof(slack_errs[0]); i++)
		if (strlen(slack_errs[i].error) == n &&
		    memcmp(slack_errs[i].error, e, n) == 0)
			x = &slack_errs[i];
	if (n > 200)
		n = 200;
	if (x == NULL)
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "slack: HTTP %ld %.*s", resp->status, (int)n, e);
	else
		cx_result_set(res, x->retry ? CX_OUT_RETRY : CX_OUT_FAIL,
		    x->code, x->retry, "slack: HTTP %ld %.*s", resp->status,
		    (int)n, e);
	res->retry_after_s = resp->retry_after_s;
}

/* An incoming webhook's answer: "ok", or an error string. */
static void
hook_parse(const struct cx_http_resp *resp, struct cx_result *res)
{
	const char *b = resp->body ? resp->body : "";
	size_t n = resp->body ? resp->body_len : 0;

	while (n > 0 && strchr(" \t\r\n", b[n - 1]) != NULL)
		n--;
	if (resp->status >= 200 && resp->status < 300 &&
	    (n == 0 || (n == 2 && memcmp(b, "ok", 2) == 0))) {
		cx_result_ok(res, NULL, NULL);
	} else if (resp->status == 429 || resp->status >= 500 || n == 0 ||
	    strspn(b, "abcdefghijklmnopqrstuvwxyz_") != n) {
		cx_result_from_http(res, resp);	/* not an error string */
	} else {
		slack_error(b, n, resp, res);
	}
}

/* chat.postMessage's answer. */
static void
api_parse(const struct cx_http_resp *resp, struct cx_result *res)
{
	json_t *j, *ok, *extra = NULL;
	const char *ts, *ch, *e;

	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	ok = json_object_get(j, "ok");
	e = json_string_value(json_object_get(j, "error"));
	if (resp->status >= 500 || (!json_is_boolean(ok) &&
	    (resp->status < 200 || resp->status >= 300))) {
		cx_result_from_http(res, resp);
	} else if (json_is_false(ok) && e != NULL) {
		slack_error(e, strlen(e), resp, res);
	} else if (json_is_true(ok)) {
		/* Accepted; ts is always there, but its absence is no
		 * reason to call the message failed. */
		ts = json_string_value(json_object_get(j, "ts"));
		if ((ch = json_string_value(json_object_get(j, "channel")))
		    != NULL)
			extra = json_pack("{s:s}", "channel", ch);
		cx_result_ok(res, ts != NULL && *ts != '\0' ? ts : NULL, extra);
	} else if (resp->status == 429) {
		cx_result_from_http(res, resp);
	} else {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
		    "slack: HTTP %ld, an answer without ok: %.*s",
		    resp->status, cx_http_excerpt(resp),
		    resp->body ? resp->body : "");
	}
	json_decref(j);
}

static void
slack_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	struct slack *s = t->priv;

	(void)m;
	if (s->hook != NULL)
		hook_parse(resp, res);
	else
		api_parse(resp, res);
}

static void
slack_fini(struct im_target *t)
{
	struct slack *s = t->priv;

	if (s != NULL) {
		cx_secret_free(s->hook);
		cx_secret_free(s->token);
		free(s);
	}
	t->priv = NULL;
}

const struct im_provider im_slack = {
	.type = "slack",
	.default_url = "https://slack.com/api",
	.keys = slack_keys,
	.limit = 40000,
	.limit_chars = 1,
	.markdown = 1,
	.rate = 1.0,
	.idempotent = 0,
	.customers = 0,
	.init = slack_init,
	.build = slack_build,
	.parse = slack_parse,
	.fini = slack_fini,
};
