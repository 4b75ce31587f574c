/* telegram.c - im-send target: Telegram Bot API sendMessage
 *
 * SPDX-License-Identifier: MIT
 * POST {base}/bot<TOKEN>/sendMessage with {"chat_id","text"} and, when
 * the record asks, "parse_mode" and "message_thread_id" (providers.md
 * §12).  The URL holds the bot token, so it is never quoted.  chat_id is
 * the record's or the section's `to`: a number ("-1001234567890") goes as
 * a JSON integer, anything else ("@channel") as a string.
 *
 * Formatting (the trap of providers.md §18): the text goes as plain text
 * unless the record names a parse_mode (MarkdownV2, HTML or Markdown),
 * and then exactly as the record gave it: escaping for the mode is the
 * record owner's business.  A markdown template's text with no
 * parse_mode is sent plain too, so a stray '-' or '.' never turns a
 * message into "can't parse entities".
 *
 * The answer is {"ok":true,"result":{"message_id":N}}, or {"ok":false,
 * "error_code","description","parameters":{"retry_after",
 * "migrate_to_chat_id"}}.  message_id is the provider id (unique within
 * the chat).  No idempotency: a retry after a timeout may duplicate.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

struct telegram {
	char *token;		/* bot_token: a secret */
};

static const char *const telegram_keys[] = { "bot_token", NULL };

static int
telegram_init(struct im_target *t, char **err)
{
	struct telegram *g = cx_xcalloc(1, sizeof(*g));

	t->priv = g;
	if ((g->token = cx_section_secret(t->sec, "bot_token", err)) == NULL)
		return -1;
	/* It goes in the URL's path.  Never quote it. */
	if (*g->token == '\0' || strpbrk(g->token, " \t\r\n/?#%") != NULL) {
		*err = cx_section_err(t->sec, "bot_token", "empty, or holds a blank "
		    "or one of / ? # %%");
		return -1;
	}
	t->needs_to = t->to == NULL;
	return 0;
}

/* s as a JSON integer when it is one ("-100123"), else NULL. */
static json_t *
integer(const char *s)
{
	const char *d = *s == '-' ? s + 1 : s;
	long long n;
	char *end;

	if (*d == '\0' || strspn(d, "0123456789") != strlen(d))
		return NULL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return NULL;
	return json_integer((json_int_t)n);
}

static int
telegram_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	static const char *const modes[] = { "MarkdownV2", "HTML", "Markdown" };
	struct telegram *g = t->priv;
	json_t *body, *chat, *thread = NULL;
	size_t i;

	if (m->to == NULL || *m->to == '\0') {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "telegram: no chat: set 'to'");
		return -1;
	}
	if (m->parse_mode != NULL) {
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strcmp(m->parse_mode, modes[i]) == 0)
				break;
		if (i == sizeof(modes) / sizeof(modes[0])) {
			cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
			    "telegram: parse_mode '%.40s' is not MarkdownV2, "
			    "HTML or Markdown", m->parse_mode);
			return -1;
		}
	}
	if (m->thread != NULL && (*m->thread == '-' ||
	    (thread = integer(m->thread)) == NULL)) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "telegram: thread '%.40s' is not a message_thread_id "
		    "(a number)", m->thread);
		return -1;
	}
	if ((chat = integer(m->to)) == NULL)
		chat = json_string(m->to);
	/* A part's "(1/2) " is im-send's: in MarkdownV2 its parentheses
	 * are reserved and must be escaped (the rest is the record's). */
	if (m->nparts > 1 && m->parse_mode != NULL &&
	    strcmp(m->parse_mode, "MarkdownV2") == 0 && m->text[0] == '(') {
		const char *close = strchr(m->text, ')');
		char *esc = close ? cx_xasprintf("\\(%.*s\\)%s",
		    (int)(close - m->text - 1), m->text + 1, close + 1) :
		    cx_xstrdup(m->text);

		body = json_pack("{s:o?, s:s}", "chat_id", chat, "text", esc);
		free(esc);
	} else {
		body = json_pack("{s:o?, s:s}", "chat_id", chat, "text",
		    m->text);
	}
	if (body == NULL || chat == NULL) {
		json_decref(thread);
		json_decref(body);
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "telegram: the chat or the text is not valid UTF-8");
		return -1;
	}
	if (m->parse_mode != NULL)
		json_object_set_new(body, "parse_mode",
		    json_string(m->parse_mode));
	if (thread != NULL)
		json_object_set_new(body, "message_thread_id", thread);
	req->method = "POST";
	req->url = im_url(t, "/bot%s/sendMessage", g->token);
	im_json_body(req, body);
	return 0;
}

/* 1 when the description says the user is out of reach for good. */
static int
gone(const char *d)
{
	return strstr(d, "bot was blocked by the user") != NULL ||
	    strstr(d, "user is deactivated") != NULL ||
	    strstr(d, "kicked") != NULL;
}

static void
telegram_error(const struct cx_http_resp *resp, const json_t *j,
    struct cx_result *res)
{
	const json_t *par = json_object_get(j, "parameters");
	const char *d = json_string_value(json_object_get(j, "description"));
	const char *code = CX_E_PROVIDER_REJECTED;
	long long ec = resp->status, wait = -1, chat;
	int moved;

	if (d == NULL)
		d = "";
	(void)im_int(j, "error_code", &ec);
	moved = im_int(par, "migrate_to_chat_id", &chat);
	if (ec == 429 || resp->status == 429) {
		if (!im_int(par, "retry_after", &wait) || wait < 0)
			wait = resp->retry_after_s;
		cx_result_set(res, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1,
		    "telegram: %lld %.200s", ec, d);
		res->retry_after_s = (long)wait;
		return;
	}
	if (moved) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "telegram: the group became a supergroup: send to chat "
		    "%lld instead", chat);
		return;
	}
	if (ec == 401 || ec == 404)	/* 404: no bot with this token */
		code = CX_E_AUTH_FAILED;
	else if (ec == 403 && gone(d))
		code = CX_E_OPTED_OUT;
	else if (ec == 400 && strstr(d, "message is too long") != NULL)
		code = CX_E_TOO_LONG;
	cx_result_set(res, CX_OUT_FAIL, code, 0, "telegram: %lld %.200s", ec,
	    d);
}

static void
telegram_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	const json_t *ok;
	long long id;
	char num[32];
	json_t *j;

	(void)t;
	(void)m;
	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	ok = json_object_get(j, "ok");
	if (resp->status >= 500 || (!json_is_boolean(ok) &&
	    (resp->status < 200 || resp->status >= 300))) {
		cx_result_from_http(res, resp);
	} else if (json_is_false(ok)) {
		telegram_error(resp, j, res);
	} else if (json_is_true(ok)) {
		/* Accepted, with or without the message_id it always has. */
		if (im_int(json_object_get(j, "result"), "message_id", &id)) {
			snprintf(num, sizeof(num), "%lld", id);
			cx_result_ok(res, num, NULL);
		} else {
			cx_result_ok(res, NULL, NULL);
		}
	} else {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
		    "telegram: HTTP %ld, an answer without ok: %.*s",
		    resp->status, cx_http_excerpt(resp),
		    resp->body ? resp->body : "");
	}
	json_decref(j);
}

static void
telegram_fini(struct im_target *t)
{
	struct telegram *g = t->priv;

	if (g != NULL) {
		cx_secret_free(g->token);
		free(g);
	}
	t->priv = NULL;
}

/* limit: 4,096 characters after entity parsing; a plain text counts as
 * it is.  rate: Telegram allows about one message a second per chat. */
/* Escapes a template value for parse_mode (Telegram's formatting
 * options): MarkdownV2 backslashes every reserved character, HTML
 * writes &, < and > as entities, legacy Markdown backslashes _ * ` [. */
static char *
telegram_escape(const char *mode, const char *s, size_t n)
{
	const char *reserved = strcmp(mode, "MarkdownV2") == 0 ?
	    "_*[]()~`>#+-=|{}.!\\" : strcmp(mode, "Markdown") == 0 ?
	    "_*`[" : NULL;
	struct cx_buf b = { 0 };

	cx_buf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (strcmp(mode, "HTML") == 0 && (c == '&' || c == '<' ||
		    c == '>'))
			cx_buf_adds(&b, c == '&' ? "&amp;" : c == '<' ?
			    "&lt;" : "&gt;");
		else if (reserved && c != '\0' && strchr(reserved, c)) {
			cx_buf_addc(&b, '\\');
			cx_buf_addc(&b, c);
		} else
			cx_buf_addc(&b, c);
	}
	return cx_buf_take(&b);
}

const struct im_provider im_telegram = {
	.type = "telegram",
	.default_url = "https://api.telegram.org",
	.keys = telegram_keys,
	.limit = 4096,
	.limit_chars = 1,
	.markdown = 0,		/* plain text: a .md template shows its ** */
	.rate = 1.0,
	.idempotent = 0,
	.customers = 1,
	.init = telegram_init,
	.build = telegram_build,
	.parse = telegram_parse,
	.fini = telegram_fini,
	.escape = telegram_escape,
};
