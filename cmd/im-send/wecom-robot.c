/* wecom-robot.c - im-send target: WeCom (企业微信) group robot webhook
 *
 * SPDX-License-Identifier: MIT
 * POST {webhook} (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K),
 * JSON, one of (providers.md §6):
 *   image     when the record has "image": the file's bytes in base64 and
 *             their MD5 (at most 2 MB); the text is not sent with it;
 *   news      when it has "url" and "title": one article (title, the text
 *             as description, url);
 *   markdown  when the text is markdown (mentions are <@userid> in the
 *             text, the user's business: the mentioned lists are not
 *             sent with markdown);
 *   text      otherwise, with the record's "mention": mobile numbers in
 *             mentioned_mobile_list, user ids (and "@all") in
 *             mentioned_list, on the first part only.
 * The webhook key is the whole credential: the URL never appears in a
 * message.  The answer is HTTP 200 with {"errcode","errmsg"}; there is no
 * message id.  Text takes 2048 bytes, markdown 4096: the one limit of
 * struct im_provider is 2048, so markdown is split at 2048 too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

#define IMAGE_MAX	(2 * 1024 * 1024)

struct robot {
	char *hook;		/* webhook: a secret */
};

static const char *const robot_keys[] = { "webhook", NULL };

static int
robot_init(struct im_target *t, char **err)
{
	struct robot *r = cx_xcalloc(1, sizeof(*r));

	t->priv = r;
	t->needs_to = 0;
	if ((r->hook = cx_section_secret(t->sec, "webhook", err)) == NULL)
		return -1;
	return im_hook_check(t, "webhook", r->hook, err);
}

/* The text message's mention lists, from the record's "mention". */
static void
add_mentions(json_t *text, const json_t *mention)
{
	json_t *users = json_array(), *mobiles = json_array();
	const char *s, *mob;
	size_t i;

	for (i = 0; i < json_array_size(mention); i++) {
		s = json_string_value(json_array_get(mention, i));
		if (s == NULL || *s == '\0')
			continue;
		if (im_mention_all(s)) {
			json_array_append_new(users, json_string("@all"));
			continue;
		}
		if (*s == '@' && s[1] != '\0')
			s++;
		if ((mob = im_mobile(s)) != NULL)
			json_array_append_new(mobiles, json_string(mob));
		else
			json_array_append_new(users, json_string(s));
	}
	if (json_array_size(users) > 0)
		json_object_set(text, "mentioned_list", users);
	if (json_array_size(mobiles) > 0)
		json_object_set(text, "mentioned_mobile_list", mobiles);
	json_decref(users);
	json_decref(mobiles);
}

static json_t *
image_body(const struct im_msg *m, struct cx_result *res)
{
	char md5[33], *b64;
	json_t *body;

	if (m->nparts > 1) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "wecom-robot: an image goes without text, so a text "
		    "longer than one message cannot go with it: send the "
		    "image in a record of its own");
		return NULL;
	}
	if (cx_wecom_image(m->image, IMAGE_MAX, &b64, md5) != 0) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "wecom-robot: 'image' %s: %s", m->image, errno == EFBIG ?
		    "larger than the 2 MB a robot takes" : errno == EINVAL ?
		    "empty file" : strerror(errno));
		return NULL;
	}
	body = json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "image", "image",
	    "base64", b64, "md5", md5);
	free(b64);
	return body;
}

static int
robot_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct robot *r = t->priv;
	json_t *body, *text;

	if (m->image != NULL) {
		if ((body = image_body(m, res)) == NULL)
			return -1;
	} else if (m->url != NULL && m->title != NULL) {
		body = json_pack("{s:s, s:{s:[{s:s, s:s, s:s}]}}",
		    "msgtype", "news", "news", "articles", "title", m->title,
		    "description", m->text, "url", m->url);
	} else if (m->markdown) {
		body = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown",
		    "markdown", "content", m->text);
	} else {
		text = json_pack("{s:s}", "content", m->text);
		if (text != NULL && m->part <= 1)
			add_mentions(text, m->mention);
		body = json_pack("{s:s, s:o}", "msgtype", "text", "text", text);
	}
	if (body == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "wecom-robot: a field is not valid UTF-8");
		return -1;
	}
	req->method = "POST";
	req->url = im_hook_url(t, r->hook, "/cgi-bin/webhook/send?key=");
	im_json_body(req, body);
	return 0;
}

static void
robot_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	const char *body = resp->body ? resp->body : "", *msg;
	long long code;
	json_t *j;

	j = json_loadb(body, resp->body_len, 0, NULL);
	if (resp->status < 200 || resp->status > 299 ||
	    !im_int(j, "errcode", &code)) {
		if (resp->status >= 200 && resp->status <= 299)
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
			    "wecom-robot: HTTP %ld without an errcode: %.*s",
			    resp->status, cx_http_excerpt(resp), body);
		else
			cx_result_from_http(res, resp);
		json_decref(j);
		return;
	}
	if ((msg = json_string_value(json_object_get(j, "errmsg"))) == NULL)
		msg = "";
	switch (code) {
	case 0:
		cx_result_ok(res, NULL, NULL);
		break;
	case 45009:
		/* 20 messages a minute per robot. */
		cx_result_set(res, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1,
		    "wecom-robot: %lld %.*s", code, im_clip(msg), msg);
		res->retry_after_s = resp->retry_after_s >= 0 ?
		    resp->retry_after_s : 60;
		break;
	case -1:
		/* WeCom's global "system busy, try again later". */
		cx_result_set(res, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1,
		    "wecom-robot: %lld %.*s", code, im_clip(msg), msg);
		res->retry_after_s = resp->retry_after_s;
		break;
	case 93000:
		cx_result_set(res, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0,
		    "wecom-robot: %lld %.*s (check the webhook key)", code,
		    im_clip(msg), msg);
		break;
	default:
		/* 40008 message type, 44004 empty text, 40058 parameter... */
		if (strcasestr(msg, "invalid webhook") != NULL ||
		    strcasestr(msg, "invalid key") != NULL)
			cx_result_set(res, CX_OUT_FAIL, CX_E_AUTH_FAILED, 0,
			    "wecom-robot: %lld %.*s (check the webhook key)",
			    code, im_clip(msg), msg);
		else
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED,
			    0, "wecom-robot: %lld %.*s", code, im_clip(msg),
			    msg);
		break;
	}
	json_decref(j);
}

static void
robot_fini(struct im_target *t)
{
	struct robot *r = t->priv;

	if (r != NULL) {
		cx_secret_free(r->hook);
		free(r);
	}
	t->priv = NULL;
}

const struct im_provider im_wecom_robot = {
	.type = "wecom-robot",
	.default_url = "https://qyapi.weixin.qq.com",
	.keys = robot_keys,
	.limit = 2048,
	.limit_chars = 0,
	.markdown = 1,
	.rate = 20 / 60.0,
	.idempotent = 0,
	.customers = 0,
	.init = robot_init,
	.build = robot_build,
	.parse = robot_parse,
	.fini = robot_fini,
};
