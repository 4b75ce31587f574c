/* dingtalk.c - im-send target: DingTalk (钉钉) custom robot webhook
 *
 * SPDX-License-Identifier: MIT
 * POST {webhook} (https://oapi.dingtalk.com/robot/send?access_token=T),
 * with "&timestamp=<ms>&sign=<sign>" added when the robot has a signing
 * `secret` (SEC...; sign.h, providers.md §8), JSON, one of:
 *   actionCard when the record sets "card": true and has "url": the
 *             title (as markdown's), the text (markdown), one button
 *             (the record's "button", else "查看详情") opening the url;
 *   link      when the record has "url" and "title";
 *   markdown  when the text is markdown: title = the record's "title", else
 *             the text's first line (at most 64 characters);
 *   text      otherwise.
 * Mentions ("mention": mobile numbers, user ids, "@all") go in "at" on the
 * first part; DingTalk shows an @mobile only when "@138..." is also in
 * the text, so " @138..." is appended for each one the text lacks (user
 * ids likewise).  The answer is {"errcode","errmsg"}, no message id.
 *
 * A robot takes 20 messages a minute; past that it is throttled for 10
 * minutes (errcode 130101).  That wait is longer than the engine sleeps
 * through (CX_RETRY_AFTER_MAX), so such a message fails, retryable, for a
 * later run.  The size limit of a text (about 20000 bytes) is not
 * documented: unverified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

#define TITLE_MAX	64	/* characters of a markdown title */
#define BUTTON		"查看详情"	/* a card's button without "button" */

struct ding {
	char *hook;		/* webhook: a secret */
	char *secret;		/* secret (SEC...): a secret, or NULL */
};

static const char *const ding_keys[] = { "webhook", "secret", NULL };

static int
ding_init(struct im_target *t, char **err)
{
	struct ding *d = cx_xcalloc(1, sizeof(*d));

	t->priv = d;
	t->needs_to = 0;
	if ((d->hook = cx_section_secret(t->sec, "webhook", err)) == NULL)
		return -1;
	if (im_hook_check(t, "webhook", d->hook, err) != 0)
		return -1;
	if (cx_section_get(t->sec, "secret") != NULL &&
	    (d->secret = cx_section_secret(t->sec, "secret", err)) == NULL)
		return -1;
	if (d->secret != NULL && *d->secret == '\0') {
		*err = cx_section_err(t->sec, "secret", "empty");
		return -1;
	}
	return 0;
}

/* The "at" object of the first part, and the text with the mentions
 * DingTalk needs to see in it appended (*text, malloc'd). */
static json_t *
mentions(const struct im_msg *m, char **text)
{
	json_t *mobiles = json_array(), *users = json_array(), *at;
	struct cx_buf b = { 0 };
	int all = 0;
	const char *s, *mob;
	char *tag;
	size_t i;

	cx_buf_adds(&b, m->text);
	for (i = 0; m->part <= 1 && i < json_array_size(m->mention); i++) {
		if ((s = json_string_value(json_array_get(m->mention, i))) ==
		    NULL || *s == '\0')
			continue;
		if (im_mention_all(s)) {
			all = 1;
			continue;
		}
		if (*s == '@' && *++s == '\0')
			continue;
		if ((mob = im_mobile(s)) != NULL)
			json_array_append_new(mobiles, json_string(mob));
		else
			json_array_append_new(users, json_string(s));
		tag = cx_xasprintf("@%s", mob ? mob : s);
		if (strstr(m->text, tag) == NULL)
			cx_buf_printf(&b, " %s", tag);
		free(tag);
	}
	at = json_object();
	if (json_array_size(mobiles) > 0)
		json_object_set(at, "atMobiles", mobiles);
	if (json_array_size(users) > 0)
		json_object_set(at, "atUserIds", users);
	json_object_set_new(at, "isAtAll", json_boolean(all));
	json_decref(mobiles);
	json_decref(users);
	*text = cx_buf_take(&b);
	return at;
}

/* A markdown title: the record's, else the first line of the text less
 * its heading marks, at most TITLE_MAX characters (malloc'd). */
static char *
md_title(const struct im_msg *m)
{
	const char *s = m->title, *p, *end;
	size_t n;
	int c;

	if (s == NULL) {
		s = m->text + strspn(m->text, "# \t\r\n");
		if (*s == '\0')
			s = m->text;
	}
	end = s + strcspn(s, "\r\n");
	for (p = s, c = 0; p < end && c < TITLE_MAX; c++)
		cx_utf8_next(&p, end);
	n = (size_t)(p - s);
	return cx_xstrndup(s, n);
}

static int
ding_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct ding *d = t->priv;
	char b64[CX_SIGN_B64_LEN], enc[CX_SIGN_B64_ENC_LEN];
	char *url, *text = NULL, *title;
	json_t *body, *at;
	long long ts;

	if (m->card && m->url != NULL) {
		title = md_title(m);
		body = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}",
		    "msgtype", "actionCard", "actionCard", "title", title,
		    "text", m->text, "btnOrientation", "0", "singleTitle",
		    m->button && *m->button ? m->button : BUTTON,
		    "singleURL", m->url);
		free(title);
	} else if (m->url != NULL && m->title != NULL) {
		body = json_pack("{s:s, s:{s:s, s:s, s:s}}", "msgtype", "link",
		    "link", "title", m->title, "text", m->text, "messageUrl",
		    m->url);
	} else {
		at = mentions(m, &text);
		if (m->markdown) {
			title = md_title(m);
			body = json_pack("{s:s, s:{s:s, s:s}, s:o}",
			    "msgtype", "markdown", "markdown", "title", title,
			    "text", text, "at", at);
			free(title);
		} else {
			body = json_pack("{s:s, s:{s:s}, s:o}",
			    "msgtype", "text", "text", "content", text,
			    "at", at);
		}
		free(text);
	}
	if (body == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "dingtalk: a field is not valid UTF-8");
		return -1;
	}
	url = im_hook_url(t, d->hook, "/robot/send?access_token=");
	if (d->secret != NULL) {
		ts = (long long)cx_now();
		cx_sign_dingtalk(d->secret, ts, b64, enc);
		req->url = cx_xasprintf("%s%ctimestamp=%lld&sign=%s", url,
		    strchr(url, '?') ? '&' : '?', ts, enc);
		explicit_bzero(url, strlen(url));
		free(url);
	} else {
		req->url = url;
	}
	req->method = "POST";
	im_json_body(req, body);
	return 0;
}

static void
ding_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	const char *msg;
	long long code;
	json_t *j;

	if ((j = im_errcode("dingtalk", resp, res, &code, &msg)) == NULL)
		return;
	switch (code) {
	case 0:
		cx_result_ok(res, NULL, NULL);
		break;
	case 130101:
		/* Throttled for 10 minutes: longer than the engine waits,
		 * so the message fails retryable. */
		cx_result_set(res, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1,
		    "dingtalk: %lld %.*s", code, im_clip(msg), msg);
		res->retry_after_s = resp->retry_after_s >= 0 ?
		    resp->retry_after_s : 600;
		break;
	case -1:
		/* "System busy": nothing was sent. */
		cx_result_set(res, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1,
		    "dingtalk: %lld %.*s", code, im_clip(msg), msg);
		res->retry_after_s = resp->retry_after_s;
		break;
	case 310000:
		/* Keywords, signature, timestamp or IP allowlist. */
		cx_result_set(res, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0,
		    "dingtalk: %lld %.*s (the robot's security settings: "
		    "keywords, sign secret, clock, IP allowlist)", code,
		    im_clip(msg), msg);
		break;
	case 300001:
		/* Unknown or disabled robot token (unverified). */
		cx_result_set(res, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0,
		    "dingtalk: %lld %.*s (check the webhook)", code,
		    im_clip(msg), msg);
		break;
	default:
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "dingtalk: %lld %.*s", code, im_clip(msg), msg);
		break;
	}
	json_decref(j);
}

static void
ding_fini(struct im_target *t)
{
	struct ding *d = t->priv;

	if (d != NULL) {
		cx_secret_free(d->hook);
		cx_secret_free(d->secret);
		free(d);
	}
	t->priv = NULL;
}

const struct im_provider im_dingtalk = {
	.type = "dingtalk",
	.default_url = "https://oapi.dingtalk.com",
	.keys = ding_keys,
	.limit = 20000,
	.limit_chars = 0,
	.markdown = 1,
	.rate = 20 / 60.0,
	.idempotent = 0,
	.customers = 0,
	.init = ding_init,
	.build = ding_build,
	.parse = ding_parse,
	.fini = ding_fini,
};
