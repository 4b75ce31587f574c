/* feishu.c - im-send target: Feishu (飞书) / Lark custom bot webhook
 *
 * SPDX-License-Identifier: MIT
 * POST {webhook} (https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN;
 * Lark's is on open.larksuite.com), JSON (providers.md §9), with the body
 * fields "timestamp" (seconds, a string) and "sign" when the bot has a
 * signing `secret` (sign.h: the key is timestamp + "\n" + secret, the
 * message empty), and:
 *   interactive  when the record sets "card": true: a card (top-level
 *         "card", not "content") headed by "title" (when it has one),
 *         the text as lark_md, and with "url" one button (the record's
 *         "button", else "查看详情") opening it;
 *   post  when the text is markdown, or the record has "url" and "title":
 *         a zh_cn post titled by "title", one paragraph a line, markdown
 *         links [text](url) as "a" elements, the url last as a link;
 *   text  otherwise, mentions as <at user_id="..."></at>.
 * Mentions (user ids, "@all") go on the first part.  The answer is
 * {"code","msg"} (older bots also say StatusCode); no message id.  A bot
 * takes 5 requests a second and 100 a minute: the default pace is the
 * minute's, which keeps both.  A body takes 20 KB: parts are split at
 * 18000 bytes of text, and a body still over 20 KB (a post of many short
 * lines) fails too_long rather than be refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

#define BODY_MAX	(20 * 1024)
#define BUTTON		"查看详情"	/* a card's button without "button" */

struct feishu {
	char *hook;		/* webhook: a secret */
	char *secret;		/* secret: a secret, or NULL */
};

static const char *const feishu_keys[] = { "webhook", "secret", NULL };

static int
feishu_init(struct im_target *t, char **err)
{
	struct feishu *f = cx_xcalloc(1, sizeof(*f));

	t->priv = f;
	t->needs_to = 0;
	if ((f->hook = cx_section_secret(t->sec, "webhook", err)) == NULL)
		return -1;
	if (im_hook_check(t, "webhook", f->hook, err) != 0)
		return -1;
	if (cx_section_get(t->sec, "secret") != NULL &&
	    (f->secret = cx_section_secret(t->sec, "secret", err)) == NULL)
		return -1;
	if (f->secret != NULL && *f->secret == '\0') {
		*err = cx_section_err(t->sec, "secret", "empty");
		return -1;
	}
	return 0;
}

/* The user id of a mention ("all" for everyone), or NULL when it cannot
 * be one (empty, or holding a character of the <at> markup). */
static const char *
mention_id(const json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || im_mention_all(s))
		return s ? "all" : NULL;
	if (*s == '@')
		s++;
	if (*s == '\0' || strpbrk(s, "\"<>&") != NULL)
		return NULL;
	return s;
}

static json_t *
text_content(const struct im_msg *m)
{
	struct cx_buf b = { 0 };
	const char *id;
	json_t *c;
	size_t i;

	cx_buf_adds(&b, m->text);
	for (i = 0; m->part <= 1 && i < json_array_size(m->mention); i++) {
		if ((id = mention_id(json_array_get(m->mention, i))) == NULL)
			continue;
		cx_buf_printf(&b, " <at user_id=\"%s\">%s</at>", id,
		    strcmp(id, "all") == 0 ? "所有人" : "");
	}
	c = json_pack("{s:s}", "text", b.s);
	cx_buf_free(&b);
	return c;
}

static void
add_elem(json_t *para, const char *tag, const char *text, size_t n,
    const char *href, size_t hn)
{
	json_t *e = json_object();

	json_object_set_new(e, "tag", json_string(tag));
	json_object_set_new(e, "text", json_stringn(text, n));
	if (href != NULL)
		json_object_set_new(e, "href", json_stringn(href, hn));
	json_array_append_new(para, e);
}

/* The markdown link [text](url) at lb, on one line ending at end: 1 with
 * *rb at its ']' and *rp at its ')', else 0. */
static int
md_link(const char *lb, const char *end, const char **rb, const char **rp)
{
	*rb = memchr(lb, ']', (size_t)(end - lb));
	if (*rb == NULL || *rb + 1 >= end || (*rb)[1] != '(')
		return 0;
	*rp = memchr(*rb, ')', (size_t)(end - *rb));
	return *rp != NULL;
}

/* One post paragraph from the line s[0..n): text, and markdown links
 * [text](url) as "a" elements. */
static json_t *
paragraph(const char *s, size_t n)
{
	json_t *para = json_array();
	const char *p = s, *q = s, *end = s + n, *lb, *rb, *rp;

	while ((lb = memchr(q, '[', (size_t)(end - q))) != NULL) {
		if (!md_link(lb, end, &rb, &rp)) {
			q = lb + 1;
			continue;
		}
		if (lb > p)
			add_elem(para, "text", p, (size_t)(lb - p), NULL, 0);
		add_elem(para, "a", lb + 1, (size_t)(rb - lb - 1), rb + 2,
		    (size_t)(rp - rb - 2));
		p = q = rp + 1;
	}
	if (p < end || json_array_size(para) == 0)
		add_elem(para, "text", p, (size_t)(end - p), NULL, 0);
	return para;
}

static json_t *
post_content(const struct im_msg *m)
{
	json_t *content = json_array(), *last = NULL, *e;
	const char *p = m->text, *id;
	size_t n, i;

	for (;;) {
		n = strcspn(p, "\n");
		json_array_append_new(content, last = paragraph(p,
		    n > 0 && p[n - 1] == '\r' ? n - 1 : n));
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	for (i = 0; m->part <= 1 && i < json_array_size(m->mention); i++) {
		if ((id = mention_id(json_array_get(m->mention, i))) == NULL)
			continue;
		e = json_pack("{s:s, s:s}", "tag", "at", "user_id", id);
		json_array_append_new(last, e);
	}
	if (m->url != NULL) {
		e = json_array();
		add_elem(e, "a", m->url, strlen(m->url), m->url,
		    strlen(m->url));
		json_array_append_new(content, e);
	}
	return json_pack("{s:{s:{s:s, s:o}}}", "post", "zh_cn", "title",
	    m->title ? m->title : "", "content", content);
}

/* The interactive card: a header (the title), the text as lark_md, a
 * button opening the url; NULL when a field is not valid UTF-8. */
static json_t *
card(const struct im_msg *m)
{
	json_t *c = json_object(), *elems = json_array(), *e;
	int bad = 0;

	if (m->title != NULL && *m->title != '\0')
		bad |= json_object_set_new(c, "header", json_pack(
		    "{s:{s:s, s:s}}", "title", "tag", "plain_text",
		    "content", m->title));
	bad |= json_array_append_new(elems, json_pack("{s:s, s:{s:s, s:s}}",
	    "tag", "div", "text", "tag", "lark_md", "content", m->text));
	if (m->url != NULL) {
		e = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}, s:s, s:s}]}",
		    "tag", "action", "actions", "tag", "button", "text",
		    "tag", "plain_text", "content", m->button && *m->button ?
		    m->button : BUTTON, "url", m->url, "type", "primary");
		bad |= json_array_append_new(elems, e);
	}
	bad |= json_object_set_new(c, "elements", elems);
	if (bad) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static int
feishu_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct feishu *f = t->priv;
	char b64[CX_SIGN_B64_LEN], ts[24];
	json_t *body = json_object(), *c;
	long long now;
	int post = m->markdown || (m->url != NULL && m->title != NULL);

	if (f->secret != NULL) {
		now = (long long)(cx_now() / 1000);
		snprintf(ts, sizeof(ts), "%lld", now);
		cx_sign_feishu(f->secret, now, b64);
		json_object_set_new(body, "timestamp", json_string(ts));
		json_object_set_new(body, "sign", json_string(b64));
	}
	json_object_set_new(body, "msg_type", json_string(m->card ?
	    "interactive" : post ? "post" : "text"));
	c = m->card ? card(m) : post ? post_content(m) : text_content(m);
	if (c == NULL || json_object_set_new(body, m->card ? "card" :
	    "content", c) != 0) {
		json_decref(body);
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "feishu: a field is not valid UTF-8");
		return -1;
	}
	req->method = "POST";
	req->url = im_hook_url(t, f->hook, "/open-apis/bot/v2/hook/");
	im_json_body(req, body);
	if (req->body_len > BODY_MAX) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_TOO_LONG, 0,
		    "feishu: the request is %zu bytes, more than the 20 KB a "
		    "bot takes", req->body_len);
		cx_http_req_free(req);
		return -1;
	}
	return 0;
}

static void
feishu_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	const char *body = resp->body ? resp->body : "", *msg;
	long long code;
	json_t *j;

	j = json_loadb(body, resp->body_len, 0, NULL);
	/* Errors come as HTTP 200 or 400 with a code; 429 and 5xx are
	 * the gateway's. */
	if (resp->status == 429 || resp->status >= 500 ||
	    (!im_int(j, "code", &code) && !im_int(j, "StatusCode", &code))) {
		if (resp->status >= 200 && resp->status <= 299)
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
			    "feishu: HTTP %ld without a code: %.*s",
			    resp->status, cx_http_excerpt(resp), body);
		else
			cx_result_from_http(res, resp);
		json_decref(j);
		return;
	}
	if ((msg = json_string_value(json_object_get(j, "msg"))) == NULL &&
	    (msg = json_string_value(json_object_get(j, "StatusMessage"))) ==
	    NULL)
		msg = "";
	switch (code) {
	case 0:
		if (resp->status >= 200 && resp->status <= 299)
			cx_result_ok(res, NULL, NULL);
		else
			cx_result_from_http(res, resp);
		break;
	case 11232:
		/* Frequency limited: 5 a second, 100 a minute. */
		cx_result_set(res, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1,
		    "feishu: %lld %.*s", code, im_clip(msg), msg);
		res->retry_after_s = resp->retry_after_s;
		break;
	case 19021:
		cx_result_set(res, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0,
		    "feishu: %lld %.*s (check the secret and the clock)", code,
		    im_clip(msg), msg);
		break;
	case 19022:
	case 19024:
		/* IP allowlist, keywords (unverified codes). */
		cx_result_set(res, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0,
		    "feishu: %lld %.*s (the bot's security settings)", code,
		    im_clip(msg), msg);
		break;
	default:
		/* 9499 bad request, ... */
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "feishu: %lld %.*s", code, im_clip(msg), msg);
		break;
	}
	json_decref(j);
}

static void
feishu_fini(struct im_target *t)
{
	struct feishu *f = t->priv;

	if (f != NULL) {
		cx_secret_free(f->hook);
		cx_secret_free(f->secret);
		free(f);
	}
	t->priv = NULL;
}

const struct im_provider im_feishu = {
	.type = "feishu",
	.default_url = "https://open.feishu.cn",
	.keys = feishu_keys,
	.limit = 18000,
	.limit_chars = 0,
	.markdown = 1,
	.rate = 100 / 60.0,
	.idempotent = 0,
	.customers = 0,
	.init = feishu_init,
	.build = feishu_build,
	.parse = feishu_parse,
	.fini = feishu_fini,
};
