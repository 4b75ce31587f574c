/* wecom-robot.c - im-send target: WeCom (企业微信) group robot webhook
 *
 * SPDX-License-Identifier: MIT
 * POST {webhook} (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K),
 * JSON, one of (providers.md §6):
 *   image     when the record has "image": the file's bytes in base64 and
 *             their MD5 (at most 2 MB); the text is not sent with it;
 *   file      when it has "file": the file (5 B to 20 MB) is first
 *             uploaded (POST .../cgi-bin/webhook/upload_media?key=K&
 *             type=file, multipart, part "media"), then its media_id
 *             sent; the text is not sent with it.  The media_id is kept
 *             for the record's later attempts (it is valid 3 days);
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
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

#define IMAGE_MAX	(2 * 1024 * 1024)
#define FILE_MIN	5
#define FILE_MAX	(20 * 1024 * 1024)

struct robot {
	char *hook;		/* webhook: a secret */
	char *media_txn;	/* the message the last upload was for */
	char *media_id;		/* and its media_id */
};

static void robot_parse(struct im_target *, const struct im_msg *,
    const struct cx_http_resp *, struct cx_result *);

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

/* The upload URL of the webhook: the send URL with its last path
 * segment ("send") replaced by "upload_media", and "type=file" added
 * (malloc'd; a secret). */
static char *
upload_url(const struct im_target *t, const struct robot *r)
{
	char *u = im_hook_url(t, r->hook, "/cgi-bin/webhook/send?key=");
	char *q = u + strcspn(u, "?#"), *seg, *v;

	for (seg = q; seg > u && seg[-1] != '/'; seg--)
		;
	v = cx_xasprintf("%.*supload_media%.*s%ctype=file", (int)(seg - u),
	    u, (int)strcspn(q, "#"), q, *q == '?' ? '&' : '?');
	explicit_bzero(u, strlen(u));
	free(u);
	return v;
}

/* Uploads m->file (once per message: a retry reuses the media_id) and
 * returns the file message, or NULL after setting res. */
static json_t *
file_body(struct im_target *t, const struct im_msg *m, struct cx_result *res)
{
	struct robot *r = t->priv;
	struct cx_http_req req = { 0 };
	struct cx_http_resp resp;
	const char *mid, *why = NULL;
	char *body = NULL, *msg;
	struct stat sb;
	json_t *j;

	if (m->nparts > 1) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "wecom-robot: a file goes without text, so a text longer "
		    "than one message cannot go with it: send the file in a "
		    "record of its own");
		return NULL;
	}
	if (r->media_txn != NULL && strcmp(r->media_txn, m->txn) == 0)
		return json_pack("{s:s, s:{s:s}}", "msgtype", "file", "file",
		    "media_id", r->media_id);
	if (stat(m->file, &sb) != 0)
		why = strerror(errno);
	else if (!S_ISREG(sb.st_mode))
		why = "not a regular file";
	else if (sb.st_size < FILE_MIN)
		why = "smaller than the 5 bytes a robot takes";
	else if (sb.st_size > FILE_MAX)
		why = "larger than the 20 MB a robot takes";
	else if (access(m->file, R_OK) != 0)
		why = strerror(errno);
	if (why != NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "wecom-robot: 'file' %s: %s", m->file, why);
		return NULL;
	}
	req.url = upload_url(t, r);
	memset(&resp, 0, sizeof(resp));
	if (cx_http_upload(&req, "media", m->file, t->timeout_ms, t->proxy,
	    &resp, &body) != 0) {
		/* Nothing sent yet: a later attempt or run may do better. */
		cx_result_set(res, CX_OUT_RETRY, CX_E_NETWORK, 1,
		    "wecom-robot: uploading the file: %s",
		    resp.transport_msg && *resp.transport_msg ?
		    resp.transport_msg : "no answer");
		j = NULL;
	} else {
		robot_parse(t, m, &resp, res);
		j = json_loadb(resp.body, resp.body_len, 0, NULL);
		mid = json_string_value(json_object_get(j, "media_id"));
		if (res->outcome != CX_OUT_OK) {
			msg = res->message;
			res->message = cx_xasprintf("%s (uploading the file)",
			    msg ? msg : "");
			free(msg);
			json_decref(j);
			j = NULL;
		} else if (mid == NULL || *mid == '\0') {
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
			    "wecom-robot: upload_media answered without a "
			    "media_id: %.*s", cx_http_excerpt(&resp),
			    resp.body);
			json_decref(j);
			j = NULL;
		} else {
			cx_result_clear(res);
			free(r->media_txn);
			free(r->media_id);
			r->media_txn = cx_xstrdup(m->txn);
			r->media_id = cx_xstrdup(mid);
			json_decref(j);
			j = json_pack("{s:s, s:{s:s}}", "msgtype", "file",
			    "file", "media_id", r->media_id);
		}
	}
	explicit_bzero(req.url, strlen(req.url));
	cx_http_req_free(&req);
	free(body);
	return j;
}

static int
robot_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct robot *r = t->priv;
	json_t *body, *text;

	if (m->file != NULL) {
		if ((body = file_body(t, m, res)) == NULL)
			return -1;
	} else if (m->image != NULL) {
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
	const char *msg;
	long long code;
	json_t *j;

	if ((j = im_errcode("wecom-robot", resp, res, &code, &msg)) == NULL)
		return;
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
		free(r->media_txn);
		free(r->media_id);
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
