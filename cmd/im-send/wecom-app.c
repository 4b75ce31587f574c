/* wecom-app.c - im-send target: WeCom (企业微信) application messages
 *
 * SPDX-License-Identifier: MIT
 * POST {base}/cgi-bin/message/send?access_token=TOKEN, JSON: touser,
 * toparty or totag from `to` ("u1|u2", "party:ID", "tag:ID"), msgtype
 * text or markdown, agentid, and enable_duplicate_check with an interval
 * of 1800 s (providers.md §7).  The platform drops a request whose JSON is
 * identical to one it took within the interval, so a retry after a
 * timeout is safe: the body is built the same, byte for byte, on every
 * attempt.  (The flip side: the same text to the same people twice within
 * half an hour is sent once.)
 *
 * The access token comes from GET {base}/cgi-bin/gettoken?corpid=..&
 * corpsecret=.., fetched in build() when the state store has none, and
 * cached there ("im-send.wecom-token", "CORPID:AGENTID") until 300 s
 * before it expires.  On 40014/42001/40001 (token invalid or expired) the
 * cached token is dropped and the request retried: the next build fetches
 * a new one.  Neither the token, the secret nor a URL holding them ever
 * appears in a message.  A message id is "msgid"; recipients the platform
 * refused while taking the message come back as invaliduser,
 * invalidparty, invalidtag and unlicenseduser in the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

#define TOKEN_NS	"im-send.wecom-token"
#define TOKEN_MARGIN	300	/* seconds before expiry a token is dropped */

struct app {
	const char *corp;	/* corp_id */
	char *secret;		/* corp_secret: a secret */
	long long agent;	/* agent_id */
	int safe;		/* safe = 1: confidential text messages */
	char *key;		/* "CORPID:AGENTID", the token's cache key */
};

static const char *const app_keys[] = {
	"corp_id", "corp_secret", "agent_id", "safe", NULL
};

static int
app_init(struct im_target *t, char **err)
{
	struct app *a = cx_xcalloc(1, sizeof(*a));
	const char *v;
	char *end;

	t->priv = a;
	if ((a->corp = cx_section_need(t->sec, "corp_id", err)) == NULL)
		return -1;
	if ((v = cx_section_need(t->sec, "agent_id", err)) == NULL)
		return -1;
	a->agent = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || a->agent < 0) {
		*err = cx_section_err(t->sec, "agent_id", "'%s' is not an integer", v);
		return -1;
	}
	if ((v = cx_section_get(t->sec, "safe")) != NULL) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
			*err = cx_section_err(t->sec, "safe", "'%s' is not 0 or 1", v);
			return -1;
		}
		a->safe = *v == '1';
	}
	a->key = cx_xasprintf("%s:%lld", a->corp, a->agent);
	t->needs_to = t->to == NULL;
	a->secret = cx_section_secret(t->sec, "corp_secret", err);
	return a->secret == NULL ? -1 : 0;
}

/* base_url without its trailing '/': the length to print. */
static int
base_len(const struct im_target *t)
{
	size_t n = strlen(t->base_url);

	while (n > 0 && t->base_url[n - 1] == '/')
		n--;
	return (int)n;
}

/* Prefixes res's message with "wecom-app: gettoken: ". */
static void
gettoken_context(struct cx_result *res)
{
	char *m = res->message;

	res->message = NULL;
	cx_result_set(res, res->outcome, res->code, res->retryable,
	    "wecom-app: gettoken: %s", m ? m : "failed");
	free(m);
}

/* Interprets gettoken's answer: the token (malloc'd), or NULL with res
 * set. */
static char *
token_answer(struct im_target *t, const struct cx_http_resp *resp,
    struct cx_result *res)
{
	struct app *a = t->priv;
	const char *tok, *msg;
	long long code, ttl;
	char *token = NULL;
	json_t *j;

	if ((j = im_errcode(NULL, resp, res, &code, &msg)) == NULL)
		goto out;
	tok = json_string_value(json_object_get(j, "access_token"));
	if (code == -1) {
		cx_result_set(res, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1,
		    "%lld %.*s", code, im_clip(msg), msg);
	} else if (code == 45009) {
		cx_result_set(res, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1,
		    "%lld %.*s", code, im_clip(msg), msg);
	} else if (code != 0) {
		/* 40013 corp id, 40001/40091 secret, 60020 caller's IP... */
		cx_result_set(res, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0,
		    "%lld %.*s (check corp_id and corp_secret)", code,
		    im_clip(msg), msg);
	} else if (tok == NULL || *tok == '\0' ||
	    strpbrk(tok, " \t\r\n") != NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
		    "errcode 0 without a usable access_token");
	} else {
		token = cx_xstrdup(tok);
		if (!im_int(j, "expires_in", &ttl) || ttl <= 0)
			ttl = 7200;
		ttl = ttl > 2 * TOKEN_MARGIN ? ttl - TOKEN_MARGIN : ttl / 2;
		/* The store's expiry runs on the real clock, not cx_now(). */
		if (t->st != NULL && ttl > 0)
			(void)cx_kv_put(t->st, TOKEN_NS, a->key, token,
			    (int64_t)time(NULL) + ttl);
	}
out:
	if (token == NULL)
		gettoken_context(res);
	json_decref(j);
	return token;
}

/* The access token: cached, else fetched (blocking).  NULL with res set
 * when it cannot be had. */
static char *
token_get(struct im_target *t, struct cx_result *res)
{
	struct app *a = t->priv;
	struct cx_http_req req = { 0 };
	struct cx_http_resp resp;
	char *tok, *body = NULL, *ec, *es;

	if (t->st != NULL &&
	    (tok = cx_kv_get(t->st, TOKEN_NS, a->key)) != NULL)
		return tok;
	ec = cx_url_encode(a->corp, strlen(a->corp));
	es = cx_url_encode(a->secret, strlen(a->secret));
	req.method = "GET";
	req.url = cx_xasprintf("%.*s/cgi-bin/gettoken?corpid=%s&corpsecret=%s",
	    base_len(t), t->base_url, ec, es);
	explicit_bzero(es, strlen(es));
	free(es);
	free(ec);
	cx_http_req_header(&req, "Accept: application/json");
	memset(&resp, 0, sizeof(resp));
	if (cx_http_do(&req, t->timeout_ms, t->proxy, &resp, &body) != 0) {
		/* Nothing to be had: a later attempt or run may do better. */
		cx_result_set(res, CX_OUT_RETRY, CX_E_NETWORK, 1,
		    "wecom-app: gettoken: %s", resp.transport_msg &&
		    *resp.transport_msg ? resp.transport_msg :
		    "no answer");
		tok = NULL;
	} else {
		tok = token_answer(t, &resp, res);
	}
	explicit_bzero(req.url, strlen(req.url));
	cx_http_req_free(&req);
	if (body != NULL) {
		explicit_bzero(body, resp.body_len);
		free(body);
	}
	return tok;
}

/* Puts the recipients of to into body: "party:ID" → toparty, "tag:ID" →
 * totag, anything else → touser ("u1|u2", "@all"). */
static void
add_recipients(json_t *body, const char *to)
{
	if (strncmp(to, "party:", 6) == 0)
		json_object_set_new(body, "toparty", json_string(to + 6));
	else if (strncmp(to, "tag:", 4) == 0)
		json_object_set_new(body, "totag", json_string(to + 4));
	else
		json_object_set_new(body, "touser", json_string(to));
}

static int
app_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct app *a = t->priv;
	const char *to = m->to ? m->to : t->to;
	const char *type = m->markdown ? "markdown" : "text";
	json_t *body;
	char *tok, *et;

	if (to == NULL || *to == '\0' || strcmp(to, "party:") == 0 ||
	    strcmp(to, "tag:") == 0) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "wecom-app: no recipient: 'to' names users (\"u1|u2\"), "
		    "\"party:ID\" or \"tag:ID\"");
		return -1;
	}
	/* The same fields in the same order on every attempt. */
	body = json_object();
	add_recipients(body, to);
	json_object_set_new(body, "msgtype", json_string(type));
	json_object_set_new(body, "agentid", json_integer(a->agent));
	json_object_set_new(body, type, json_pack("{s:s}", "content",
	    m->text));
	if (!m->markdown && a->safe)
		json_object_set_new(body, "safe", json_integer(1));
	json_object_set_new(body, "enable_duplicate_check", json_integer(1));
	json_object_set_new(body, "duplicate_check_interval",
	    json_integer(1800));
	if (json_object_get(body, type) == NULL ||
	    json_object_size(body) < 6) {
		json_decref(body);
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "wecom-app: a field is not valid UTF-8");
		return -1;
	}
	if ((tok = token_get(t, res)) == NULL) {
		json_decref(body);
		return -1;
	}
	et = cx_url_encode(tok, strlen(tok));
	req->method = "POST";
	req->url = cx_xasprintf("%.*s/cgi-bin/message/send?access_token=%s",
	    base_len(t), t->base_url, et);
	explicit_bzero(et, strlen(et));
	explicit_bzero(tok, strlen(tok));
	free(et);
	free(tok);
	im_json_body(req, body);
	return 0;
}

/* Recipients refused while the message was taken, for the result. */
static json_t *
refused(const json_t *j)
{
	static const char *const keys[] = {
		"invaliduser", "invalidparty", "invalidtag", "unlicenseduser",
		NULL
	};
	const char *const *k;
	json_t *x = NULL;
	const char *v;

	for (k = keys; *k != NULL; k++) {
		v = json_string_value(json_object_get(j, *k));
		if (v == NULL || *v == '\0')
			continue;
		if (x == NULL)
			x = json_object();
		json_object_set_new(x, *k, json_string(v));
	}
	return x;
}

static void
app_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	struct app *a = t->priv;
	const char *msg, *id;
	long long code;
	json_t *j;

	if ((j = im_errcode("wecom-app", resp, res, &code, &msg)) == NULL)
		return;
	switch (code) {
	case 0:
		id = json_string_value(json_object_get(j, "msgid"));
		cx_result_ok(res, id, refused(j));
		break;
	case 40014:
	case 42001:
	case 40001:
		/* The token was revoked or expired early: the next build
		 * fetches another. */
		if (t->st != NULL)
			(void)cx_kv_del(t->st, TOKEN_NS, a->key);
		cx_result_set(res, CX_OUT_RETRY, CX_E_AUTH_FAILED, 1,
		    "wecom-app: %lld %.*s (access token dropped)", code,
		    im_clip(msg), msg);
		break;
	case 45009:
		cx_result_set(res, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1,
		    "wecom-app: %lld %.*s", code, im_clip(msg), msg);
		res->retry_after_s = resp->retry_after_s >= 0 ?
		    resp->retry_after_s : 60;
		break;
	case -1:
		/* WeCom's global "system busy, try again later". */
		cx_result_set(res, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1,
		    "wecom-app: %lld %.*s", code, im_clip(msg), msg);
		res->retry_after_s = resp->retry_after_s;
		break;
	case 81013:
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "wecom-app: no valid recipient: %lld %.*s", code,
		    im_clip(msg), msg);
		break;
	case 60020:
		cx_result_set(res, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0,
		    "wecom-app: %lld %.*s (the caller's IP is not trusted by "
		    "the app)", code, im_clip(msg), msg);
		break;
	default:
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "wecom-app: %lld %.*s", code, im_clip(msg), msg);
		break;
	}
	json_decref(j);
}

static void
app_fini(struct im_target *t)
{
	struct app *a = t->priv;

	if (a != NULL) {
		cx_secret_free(a->secret);
		free(a->key);
		free(a);
	}
	t->priv = NULL;
}

const struct im_provider im_wecom_app = {
	.type = "wecom-app",
	.default_url = "https://qyapi.weixin.qq.com",
	.keys = app_keys,
	.limit = 2048,
	.limit_chars = 0,
	.markdown = 1,
	.rate = 0,
	.idempotent = 1,
	.customers = 0,		/* corp members: staff */
	.init = app_init,
	.build = app_build,
	.parse = app_parse,
	.fini = app_fini,
};
