/* im-send.h - what im-send's main.c and its target files share
 *
 * SPDX-License-Identifier: MIT
 * Each target file (wecom-robot.c, dingtalk.c, ...) exports exactly one
 * const struct im_provider; main.c finds it by the section's `type`.  The
 * request building and response parsing mirror sms-send's providers, on
 * the same engine (dispatch.h).
 */
#ifndef IM_SEND_H
#define IM_SEND_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx.h"

/* One part of a message, prepared by main.c (all borrowed, valid until the
 * part is done).  A long text is split into numbered parts (split.h),
 * sent one after the other, each journalled on its own. */
struct im_msg {
	const json_t *rec;	/* the whole record */
	const char *id;		/* the record's id */
	const char *txn;	/* stable per (id, part): "ID" or "ID#2"; use
				 * it where the platform de-duplicates
				 * (Matrix txnId) */
	const char *to;		/* user, chat, room or JID: the record's
				 * "to", else the target's `to`; may be NULL */
	const char *text;	/* this part's text */
	int markdown;		/* text is markdown (a NAME.LANG.md
				 * template, or "format":"markdown") */
	const char *title;	/* record "title", may be NULL */
	const char *url;	/* record "url" (a link to attach), or NULL */
	const char *image;	/* record "image": a local file path (WeCom
				 * robot sends it as base64 + md5) or NULL */
	const char *file;	/* record "file": a local file path (WeCom
				 * robot uploads it, then sends its
				 * media_id) or NULL */
	int card;		/* record "card": true: DingTalk actionCard,
				 * Feishu interactive card */
	const char *button;	/* record "button": the card's button
				 * label, or NULL */
	const json_t *mention;	/* record "mention": an array of strings
				 * (mobiles or user ids; "@all"), or NULL */
	const char *parse_mode;	/* record "parse_mode" (Telegram), or NULL */
	const char *thread;	/* record "thread" (Slack thread_ts, Telegram
				 * message_thread_id), or NULL */
	int part, nparts;	/* 1-based */
};

/* One configured target: a [provider NAME] section of an IM type. */
struct im_target {
	const struct im_provider *ops;
	const char *name;	/* section name */
	const struct cx_section *sec;
	const struct cx_config *cfg;
	struct cx_state *st;	/* for token caches (cx_kv_*) */
	const char *base_url;	/* `base_url`, or the provider's default */
	const char *to;		/* `to`: default recipient, may be NULL */
	double rate;		/* messages/s; the provider's default when
				 * `rate` is absent */
	long timeout_ms;
	const char *proxy;
	int customers;		/* reaches customers (`audience`): the
				 * sensitive-content guard is on */
	int needs_to;		/* set by init: a record must name `to`
				 * when the target has none */
	struct cx_pacer *pacer;
	void *priv;		/* the provider's own (secrets resolved) */
};

struct im_provider {
	const char *type;		/* "wecom-robot"; the generic one is
					 * "webhook" (sms-send has "http") */
	const char *default_url;	/* or NULL */
	const char *const *keys;	/* its own keys, NULL-terminated; the
					 * common keys type, base_url, from,
					 * to, rate, timeout, proxy, audience
					 * are always allowed */
	size_t limit;			/* one message's text at most ... */
	int limit_chars;		/* ... code points (1) or bytes (0) */
	int markdown;			/* can send markdown */
	double rate;			/* default pace, messages/s (20/60.0
					 * for the robots), 0 unpaced */
	int idempotent;			/* the platform de-duplicates, so a
					 * retry after a timeout is safe */
	int customers;			/* default audience is customers */
	/* Resolves credentials into t->priv, sets t->needs_to.  Returns
	 * 0, or -1 with *err ("FILE:LINE: ..."). */
	int (*init)(struct im_target *t, char **err);
	/* Fills req for one attempt (see struct cx_job.build). */
	int (*build)(struct im_target *t, const struct im_msg *m,
	    struct cx_http_req *req, struct cx_result *res);
	/* Interprets an HTTP response (see struct cx_job.parse). */
	void (*parse)(struct im_target *t, const struct im_msg *m,
	    const struct cx_http_resp *resp, struct cx_result *res);
	void (*fini)(struct im_target *t);
	/* Optional: escapes a template value for the record's formatting
	 * mode (Telegram's parse_mode), so "Ann-Marie" cannot break
	 * MarkdownV2.  Returns a malloc'd string. */
	char *(*escape)(const char *mode, const char *s, size_t n);
};

extern const struct im_provider im_wecom_robot, im_wecom_app, im_dingtalk,
    im_feishu, im_slack, im_teams, im_telegram, im_matrix, im_xmpp,
    im_webhook;

/*
 * Small helpers the target files share (static inline, so that each
 * target file still exports nothing but its ops table), as in sms-send.h.
 */

/* How many bytes of s (a platform's error message) a message may quote:
 * at most 200, never ending inside a UTF-8 sequence.  Use as "%.*s". */
static inline int __attribute__((unused))
im_clip(const char *s)
{
	size_t n = strnlen(s, 201);

	if (n <= 200)
		return (int)n;
	n = 200;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

/* Sets req's body to body as compact JSON (keys in insertion order, so
 * the same object gives the same bytes) with its Content-Type; steals
 * the reference. */
static inline void __attribute__((unused))
im_json_body(struct cx_http_req *req, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (s == NULL)
		cx_die(NULL, "out of memory");
	cx_http_req_header(req, "Content-Type: application/json; "
	    "charset=utf-8");
	cx_http_req_body(req, s, strlen(s));
}

/* The integer member name of j, a JSON integer or a numeric string:
 * returns 1 and sets *out, or 0 when absent or not a number. */
static inline int __attribute__((unused))
im_int(const json_t *j, const char *name, long long *out)
{
	const json_t *v = json_object_get(j, name);
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 1;
	}
	if (!json_is_string(v) || *(s = json_string_value(v)) == '\0')
		return 0;
	*out = strtoll(s, &end, 10);
	return *end == '\0';
}

/* Reads the {"errcode":N,"errmsg":"..."} answer of WeCom and DingTalk:
 * returns the parsed body (the caller decrefs it) with *code and *msg
 * (never NULL) set, or NULL after setting res when the answer is not such
 * a body (a non-2xx status: cx_result_from_http; a 2xx without errcode:
 * provider_error, quoting the body).  who prefixes the message, or is
 * NULL. */
static inline json_t * __attribute__((unused))
im_errcode(const char *who, const struct cx_http_resp *resp,
    struct cx_result *res, long long *code, const char **msg)
{
	const char *body = resp->body ? resp->body : "";
	json_t *j = json_loadb(body, resp->body_len, 0, NULL);

	if (resp->status >= 200 && resp->status <= 299 &&
	    im_int(j, "errcode", code)) {
		*msg = json_string_value(json_object_get(j, "errmsg"));
		if (*msg == NULL)
			*msg = "";
		return j;
	}
	if (resp->status >= 200 && resp->status <= 299)
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
		    "%s%sHTTP %ld without an errcode: %.*s", who ? who : "",
		    who ? ": " : "", resp->status, cx_http_excerpt(resp), body);
	else
		cx_result_from_http(res, resp);
	json_decref(j);
	return NULL;
}

/* Checks a robot's webhook at init: the whole http(s) URL the platform
 * gave, or only its key or token (no "://").  Returns 0, or -1 with *err
 * (which never quotes the webhook: it is a secret). */
static inline int __attribute__((unused))
im_hook_check(const struct im_target *t, const char *key, const char *hook,
    char **err)
{
	if (*hook == '\0')
		*err = cx_section_err(t->sec, key, "empty");
	else if (strstr(hook, "://") != NULL &&
	    strncasecmp(hook, "http://", 7) != 0 &&
	    strncasecmp(hook, "https://", 8) != 0)
		*err = cx_section_err(t->sec, key, "not an http:// or https:// URL");
	else if (strpbrk(hook, " \t\r\n") != NULL)
		*err = cx_section_err(t->sec, key, "holds a blank");
	else
		return 0;
	return -1;
}

/* The URL a robot's webhook posts to (malloc'd; a secret, never to be put
 * in a message).  A key or token alone goes after the target's base_url
 * and prefix ("/cgi-bin/webhook/send?key="), percent-encoded.  A whole
 * URL is used as it is, unless the section sets base_url: then its
 * scheme and host are replaced by base_url (for a relay or a test
 * server) and its path and query kept. */
static inline char * __attribute__((unused))
im_hook_url(const struct im_target *t, const char *hook, const char *prefix)
{
	const char *base = t->base_url ? t->base_url : "", *rest;
	size_t blen = strlen(base);
	char *e, *u;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if ((rest = strstr(hook, "://")) == NULL) {
		e = cx_url_encode(hook, strlen(hook));
		u = cx_xasprintf("%.*s%s%s", (int)blen, base, prefix, e);
		explicit_bzero(e, strlen(e));
		free(e);
		return u;
	}
	if (cx_section_get(t->sec, "base_url") == NULL)
		return cx_xstrdup(hook);
	rest += 3;
	rest += strcspn(rest, "/?#");
	return cx_xasprintf("%.*s%s", (int)blen, base, rest);
}

/* A mention that looks like a mobile number (an optional '+' and 5 to 15
 * digits): s, less a leading "+86" (the robots want mainland numbers
 * bare); NULL when s is not one. */
static inline const char * __attribute__((unused))
im_mobile(const char *s)
{
	const char *d = *s == '+' ? s + 1 : s;
	size_t n = strspn(d, "0123456789");

	if (d[n] != '\0' || n < 5 || n > 15)
		return NULL;
	return strncmp(s, "+86", 3) == 0 ? s + 3 : s;
}

/* 1 when a mention means everyone ("@all" or "all"); a user's mention
 * may be written with or without a leading '@'. */
static inline int __attribute__((unused))
im_mention_all(const char *s)
{
	return strcmp(s, "@all") == 0 || strcmp(s, "all") == 0;
}

/* t's base_url less any trailing '/', then the printf-formatted rest
 * ("/chat.postMessage"); malloc'd.  t->base_url must not be NULL. */
static inline char * __attribute__((format(printf, 2, 3), unused))
im_url(const struct im_target *t, const char *fmt, ...)
{
	size_t n = strlen(t->base_url);
	va_list ap;
	char *rest, *u;

	while (n > 0 && t->base_url[n - 1] == '/')
		n--;
	va_start(ap, fmt);
	if (vasprintf(&rest, fmt, ap) < 0)
		cx_die(NULL, "out of memory");
	va_end(ap);
	u = cx_xasprintf("%.*s%s", (int)n, t->base_url, rest);
	free(rest);
	return u;
}

#endif
