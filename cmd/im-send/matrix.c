/* matrix.c - im-send target: Matrix client-server API, m.room.message
 *
 * SPDX-License-Identifier: MIT
 * PUT {homeserver}/_matrix/client/v3/rooms/{room}/send/m.room.message/
 * {txnId} with Authorization: Bearer and {"msgtype","body"} (providers.md
 * §13).  base_url is the homeserver (required); room the default room id
 * ("!abc:example.org"), a record's "to" naming another.  The account must
 * already be in the room; aliases ("#room:server") are not resolved.
 *
 * Idempotent: txnId is "cxkit-" + the part's journal key ("ID", "ID#2"),
 * so a retry, or a re-run of the same input, repeats the transaction and
 * the homeserver answers with the first event instead of a second one.
 *
 * A markdown text also goes as "formatted_body" in org.matrix.custom.html,
 * from a deliberately small renderer: &, <, > and " escaped; **bold**,
 * `code` and [label](http(s) or mailto URL) converted; newlines as <br>;
 * anything else (lists, headings, _em_) stays as written.  An event that
 * would then pass 64 KiB drops the formatted body and goes plain.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

/* The homeserver refuses events over 65,536 bytes of canonical JSON,
 * which also holds the sender, room id and other fields. */
#define MATRIX_BODY_MAX 64000

struct matrix {
	char *token;		/* access_token: a secret */
	const char *room;	/* room, or NULL */
	const char *msgtype;	/* "m.text" or "m.notice" */
};

static const char *const matrix_keys[] = {
	"access_token", "room", "msgtype", NULL
};

static int
matrix_init(struct im_target *t, char **err)
{
	struct matrix *x = cx_xcalloc(1, sizeof(*x));
	const char *mt;

	t->priv = x;
	if (t->base_url == NULL || *t->base_url == '\0') {
		*err = cx_section_err(t->sec, "base_url", "needed: the homeserver's "
		    "URL");
		return -1;
	}
	if (strncasecmp(t->base_url, "http://", 7) != 0 &&
	    strncasecmp(t->base_url, "https://", 8) != 0) {
		*err = cx_section_err(t->sec, "base_url", "not an http:// or https:// "
		    "URL");
		return -1;
	}
	x->msgtype = "m.text";
	if ((mt = cx_section_get(t->sec, "msgtype")) != NULL) {
		if (strcmp(mt, "m.text") != 0 && strcmp(mt, "m.notice") != 0) {
			*err = cx_section_err(t->sec, "msgtype", "'%s' is neither "
			    "m.text nor m.notice", mt);
			return -1;
		}
		x->msgtype = mt;
	}
	x->room = cx_section_get(t->sec, "room");
	if (x->room != NULL && *x->room == '\0')
		x->room = NULL;
	if ((x->token = cx_section_secret(t->sec, "access_token", err))
	    == NULL)
		return -1;
	if (*x->token == '\0' || strpbrk(x->token, " \t\r\n") != NULL) {
		*err = cx_section_err(t->sec, "access_token", "empty or holds a blank");
		return -1;
	}
	t->needs_to = x->room == NULL && t->to == NULL;
	return 0;
}

/* Appends s[0..n) to b with &, <, > and " as entities. */
static void
add_escaped(struct cx_buf *b, const char *s, size_t n)
{
	size_t k;

	while (n > 0) {
		for (k = 0; k < n && strchr("&<>\"", s[k]) == NULL; k++)
			;
		cx_buf_add(b, s, k);
		if (k == n)
			break;
		cx_buf_adds(b, s[k] == '&' ? "&amp;" : s[k] == '<' ? "&lt;" :
		    s[k] == '>' ? "&gt;" : "&quot;");
		s += k + 1;
		n -= k + 1;
	}
}

/* 1 when u[0..n) is a link target we pass on: http(s) or mailto, with
 * no blank. */
static int
link_ok(const char *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr(" \t\r\n", u[i]) != NULL || u[i] == '\0')
			return 0;
	return (n > 7 && strncasecmp(u, "http://", 7) == 0) ||
	    (n > 8 && strncasecmp(u, "https://", 8) == 0) ||
	    (n > 7 && strncasecmp(u, "mailto:", 7) == 0);
}

/* The first tok in (start, end), so that the span it closes, from start
 * on, is not empty; NULL when there is none. */
static const char *
closing(const char *start, const char *end, const char *tok)
{
	size_t n = strlen(tok);

	if (end - start < (ptrdiff_t)n + 1)
		return NULL;
	return memmem(start + 1, (size_t)(end - start - 1), tok, n);
}

/* Renders the markdown in s[0..n) as HTML into b.  Each recursion is on
 * a strictly shorter span. */
static void
render(struct cx_buf *b, const char *s, size_t n)
{
	const char *e, *u, *q, *end = s + n;

	while (s < end) {
		if (*s == '`' && (e = closing(s + 1, end, "`")) != NULL) {
			cx_buf_adds(b, "<code>");
			add_escaped(b, s + 1, (size_t)(e - s - 1));
			cx_buf_adds(b, "</code>");
			s = e + 1;
		} else if (end - s >= 2 && s[0] == '*' && s[1] == '*' &&
		    (e = closing(s + 2, end, "**")) != NULL) {
			cx_buf_adds(b, "<b>");
			render(b, s + 2, (size_t)(e - s - 2));
			cx_buf_adds(b, "</b>");
			s = e + 2;
		} else if (*s == '[' &&
		    (u = closing(s + 1, end, "](")) != NULL &&
		    memchr(s + 1, ']', (size_t)(u - s - 1)) == NULL &&
		    (q = closing(u + 2, end, ")")) != NULL &&
		    link_ok(u + 2, (size_t)(q - u - 2))) {
			cx_buf_adds(b, "<a href=\"");
			add_escaped(b, u + 2, (size_t)(q - u - 2));
			cx_buf_adds(b, "\">");
			render(b, s + 1, (size_t)(u - s - 1));
			cx_buf_adds(b, "</a>");
			s = q + 1;
		} else if (*s == '\n') {
			cx_buf_adds(b, "<br>");
			s++;
		} else {
			add_escaped(b, s, 1);
			s++;
		}
	}
}

static int
matrix_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct matrix *x = t->priv;
	struct cx_buf html = { 0 };
	const char *room;
	char *eroom, *txn, *etxn, *s;
	json_t *body;

	/* A record's own "to" wins over room; the section's `to` does not. */
	room = m->to != NULL && (m->to != t->to || x->room == NULL) ? m->to :
	    x->room;
	if (room == NULL || *room == '\0') {
		cx_result_set(res, CX_OUT_FAIL, CX_E_MISSING_FIELD, 0,
		    "matrix: no room: set 'to' or room");
		return -1;
	}
	if (*room == '#') {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "matrix: '%.80s' is a room alias: give the room id "
		    "(!...:server)", room);
		return -1;
	}
	body = json_pack("{s:s, s:s}", "msgtype", x->msgtype, "body",
	    m->text);
	if (body == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "matrix: the text is not valid UTF-8");
		return -1;
	}
	if (m->markdown) {
		cx_buf_adds(&html, "");
		render(&html, m->text, strlen(m->text));
		json_object_set_new(body, "format",
		    json_string("org.matrix.custom.html"));
		json_object_set_new(body, "formatted_body",
		    json_stringn(html.s, html.len));
		cx_buf_free(&html);
		if ((s = json_dumps(body, JSON_COMPACT)) == NULL)
			cx_die(NULL, "out of memory");
		if (strlen(s) > MATRIX_BODY_MAX) {
			json_object_del(body, "format");
			json_object_del(body, "formatted_body");
		}
		free(s);
	}
	eroom = cx_url_encode(room, strlen(room));
	txn = cx_xasprintf("cxkit-%s", m->txn ? m->txn : m->id);
	etxn = cx_url_encode(txn, strlen(txn));
	req->method = "PUT";
	req->url = im_url(t, "/_matrix/client/v3/rooms/%s/send/"
	    "m.room.message/%s", eroom, etxn);
	free(eroom);
	free(txn);
	free(etxn);
	cx_http_req_header(req, "Authorization: Bearer %s", x->token);
	im_json_body(req, body);
	return 0;
}

static void
matrix_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	const char *ev, *ec, *msg, *code = CX_E_PROVIDER_REJECTED;
	long long ms;
	json_t *j;

	(void)t;
	(void)m;
	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	ev = json_string_value(json_object_get(j, "event_id"));
	ec = json_string_value(json_object_get(j, "errcode"));
	msg = json_string_value(json_object_get(j, "error"));
	if (msg == NULL)
		msg = "";
	if (resp->status >= 200 && resp->status < 300) {
		/* No event_id: not the homeserver answering (a proxy?).
		 * Trying again is safe: the txnId makes it idempotent. */
		if (ev != NULL && *ev != '\0')
			cx_result_ok(res, ev, NULL);
		else
			cx_result_set(res, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1,
			    "matrix: HTTP %ld without an event_id: %.*s",
			    resp->status, cx_http_excerpt(resp),
			    resp->body ? resp->body : "");
	} else if (resp->status == 429 || (ec != NULL &&
	    strcmp(ec, "M_LIMIT_EXCEEDED") == 0)) {
		cx_result_set(res, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1,
		    "matrix: HTTP %ld %s %.200s", resp->status,
		    ec ? ec : "", msg);
		res->retry_after_s = resp->retry_after_s;
		if (res->retry_after_s < 0 && im_int(j, "retry_after_ms", &ms)
		    && ms >= 0)
			res->retry_after_s = (long)((ms + 999) / 1000);
	} else if (resp->status >= 500 || ec == NULL) {
		cx_result_from_http(res, resp);
	} else {
		if (strcmp(ec, "M_UNKNOWN_TOKEN") == 0 ||
		    strcmp(ec, "M_MISSING_TOKEN") == 0)
			code = CX_E_AUTH_FAILED;
		else if (strcmp(ec, "M_TOO_LARGE") == 0)
			code = CX_E_TOO_LONG;
		cx_result_set(res, CX_OUT_FAIL, code, 0,
		    "matrix: HTTP %ld %.40s %.200s", resp->status, ec, msg);
	}
	json_decref(j);
}

static void
matrix_fini(struct im_target *t)
{
	struct matrix *x = t->priv;

	if (x != NULL) {
		cx_secret_free(x->token);
		free(x);
	}
	t->priv = NULL;
}

const struct im_provider im_matrix = {
	.type = "matrix",
	.default_url = NULL,
	.keys = matrix_keys,
	.limit = 60000,
	.limit_chars = 0,
	.markdown = 1,
	.rate = 0,
	.idempotent = 1,
	.customers = 0,
	.init = matrix_init,
	.build = matrix_build,
	.parse = matrix_parse,
	.fini = matrix_fini,
};
