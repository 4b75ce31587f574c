/* util.c - ticket-sync's helpers shared by the backends: errors, HTTP,
 * JSON bodies, status mapping
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sqlite3.h>

#include "ts.h"

void
ts_err_set(struct ts_err *e, const char *code, int retryable,
    const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) < 0)
		cx_die(NULL, "out of memory");
	va_end(ap);
	free(e->msg);
	e->code = code;
	e->msg = m;
	e->retryable = retryable;
}

void
ts_err_clear(struct ts_err *e)
{
	free(e->msg);
	e->msg = NULL;
	e->code = NULL;
	e->retryable = 0;
}

void
ts_pull_add(struct ts_pull *p, json_t *ticket, json_t *comment,
    char *change_id, char *ts)
{
	struct ts_pulled *x;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = cx_xrealloc(p->v, p->cap * sizeof *p->v);
	}
	x = &p->v[p->n++];
	memset(x, 0, sizeof *x);
	x->ticket = ticket;
	x->comment = comment;
	x->change_id = change_id;
	x->ts = ts;
}

const char *
ts_pull_ticket(struct ts_ctx *c, struct ts_pull *p, json_t *t)
{
	const char *upd = json_string_value(json_object_get(t, "updated_at"));

	if (upd == NULL) {
		json_decref(t);
		return NULL;
	}
	if (p->once) {
		char *k = cx_xasprintf("%s %s", json_string_value(
		    json_object_get(t, "id")), upd);
		json_t *v = json_object_get(p->once, k);

		if (v != NULL) {	/* pulled already: its own string */
			free(k);
			json_decref(t);
			return json_string_value(v);
		}
		json_object_set_new(p->once, k, json_string(upd));
		free(k);
	}
	ts_pull_add(p, t, NULL, cx_xasprintf("%s:%s:%s", c->name,
	    json_string_value(json_object_get(t, "id")), upd),
	    cx_xstrdup(upd));
	return upd;
}

void
ts_pull_comment(struct ts_ctx *c, struct ts_pull *p, const json_t *t,
    long long seq, json_t *comment, const char *ts)
{
	if (ts == NULL)		/* a comment with no date: the change's */
		ts = json_string_value(json_object_get(t, "updated_at"));
	ts_pull_add(p, json_deep_copy(t), comment, cx_xasprintf("%s:%s:c%lld",
	    c->name, json_string_value(json_object_get(t, "id")), seq),
	    cx_xstrdup(ts ? ts : ""));
	p->v[p->n - 1].seq = seq;
	p->v[p->n - 1].event = "ticket.comment";
	/* As the local backend: a comment leaves the status as it was. */
	if (json_is_string(json_object_get(t, "status")))
		p->v[p->n - 1].prev_status = cx_xstrdup(json_string_value(
		    json_object_get(t, "status")));
}

/* Kept in the key-value store: ns ticket-sync.comment, key NAME:TICKET. */
long long
ts_comment_hw(struct cx_state *st, const char *backend, const char *id)
{
	char *k = cx_xasprintf("%s:%s", backend, id), *v;
	long long n = 0;

	v = cx_kv_get(st, "ticket-sync.comment", k);
	if (v)
		n = strtoll(v, NULL, 10);
	free(v);
	free(k);
	return n;
}

int
ts_comment_hw_put(struct cx_state *st, const char *backend, const char *id,
    long long seq)
{
	char *k = cx_xasprintf("%s:%s", backend, id);
	char *v = cx_xasprintf("%lld", seq);
	int rv = cx_kv_put(st, "ticket-sync.comment", k, v, 0);

	free(k);
	free(v);
	return rv;
}

char *
ts_new_body(const struct ts_new *n)
{
	struct cx_buf b = { 0 };
	const char *sep = "";

	cx_buf_printf(&b, "%s", n->body ? n->body : "");
	if (!n->name && !n->phone && !n->member_id)
		return cx_buf_take(&b);
	cx_buf_printf(&b, "%sCustomer: ", b.len ? "\n\n" : "");
	if (n->name) {
		cx_buf_printf(&b, "%s", n->name);
		sep = ", ";
	}
	if (n->phone) {
		cx_buf_printf(&b, "%sphone %s", sep, n->phone);
		sep = ", ";
	}
	if (n->member_id)
		cx_buf_printf(&b, "%smember id %s", sep, n->member_id);
	return cx_buf_take(&b);
}

void
ts_pull_free(struct ts_pull *p)
{
	for (size_t i = 0; i < p->n; i++) {
		json_decref(p->v[i].ticket);
		json_decref(p->v[i].comment);
		free(p->v[i].change_id);
		free(p->v[i].ts);
		free(p->v[i].prev_status);
	}
	free(p->v);
	free(p->cursor);
	json_decref(p->once);
	memset(p, 0, sizeof *p);
}

char *
ts_urlenc(const char *s)
{
	char *t = curl_easy_escape(NULL, s, 0), *r;

	if (t == NULL)
		cx_die(NULL, "out of memory");
	r = cx_xstrdup(t);
	curl_free(t);
	return r;
}

int
ts_status_done(const char *status)
{
	return status && (strcmp(status, "solved") == 0 ||
	    strcmp(status, "closed") == 0 || strcmp(status, "deleted") == 0);
}

/* Looks status up in a "from:to,from:to" list; the "to" part in buf. */
static const char *
map_lookup(const char *list, const char *status, char *buf, size_t size)
{
	size_t n = strlen(status);

	for (const char *p = list; p && *p; ) {
		size_t k = strcspn(p, ",");
		const char *colon = memchr(p, ':', k);

		while (*p == ' ')
			p++, k--;
		if (colon && (size_t)(colon - p) == n &&
		    strncasecmp(p, status, n) == 0) {
			size_t m = k - (size_t)(colon + 1 - p);

			while (m > 0 && colon[1] == ' ')
				colon++, m--;
			while (m > 0 && colon[m] == ' ')
				m--;
			if (m >= size)
				m = size - 1;
			memcpy(buf, colon + 1, m);
			buf[m] = '\0';
			return buf;
		}
		p += k + (p[k] == ',');
	}
	return NULL;
}

const char *
ts_status_map(const struct ts_ctx *c, const char *defaults,
    const char *status)
{
	static char buf[64];
	const char *r;

	if (status == NULL)
		return "open";
	if ((r = map_lookup(c ? c->status_map : NULL, status, buf,
	    sizeof buf)) != NULL)
		return r;
	if ((r = map_lookup(defaults, status, buf, sizeof buf)) != NULL)
		return r;
	return status;
}

json_t *
ts_json_body(const struct cx_http_resp *resp, const char *what,
    struct ts_err *e)
{
	json_error_t jerr;
	json_t *j = json_loadb(resp->body ? resp->body : "", resp->body_len,
	    0, &jerr);

	if (j == NULL || !json_is_object(j)) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 1, "%s: HTTP %ld: the "
		    "answer is not a JSON object: %.*s", what, resp->status,
		    cx_http_excerpt(resp), resp->body ? resp->body : "");
		json_decref(j);
		return NULL;
	}
	return j;
}

int
ts_http(struct ts_ctx *c, struct cx_http_req *req,
    struct cx_http_resp *resp, char **body, struct ts_err *e)
{
	return ts_http_hdr(c, req, NULL, NULL, resp, body, e);
}

int
ts_http_hdr(struct ts_ctx *c, struct cx_http_req *req, const char *hdr,
    char **hval, struct cx_http_resp *resp, char **body, struct ts_err *e)
{
	for (int attempt = 0; ; attempt++) {
		int rc;

		*body = NULL;
		cx_debug(NULL, "%s: %s %s", c->name, req->method ?
		    req->method : (req->body ? "POST" : "GET"), req->url);
		if (hdr) {
			free(*hval);
			rc = cx_http_do_header(req, c->timeout_ms, NULL, hdr,
			    hval, resp, body);
		} else {
			rc = cx_http_do(req, c->timeout_ms, NULL, resp, body);
		}
		if (rc != 0) {
			ts_err_set(e, resp->transport == CURLE_OPERATION_TIMEDOUT
			    ? CX_E_TIMEOUT : CX_E_NETWORK, 1, "%s: %s",
			    c->name, resp->transport_msg);
			return -1;
		}
		if (resp->status == 429 && attempt == 0) {
			long wait = resp->retry_after_s >= 0 ?
			    resp->retry_after_s : 60;

			if (wait > 120) {
				ts_err_set(e, CX_E_RATE_LIMITED, 1, "%s: rate "
				    "limited (HTTP 429), Retry-After %ld s",
				    c->name, wait);
				return -1;
			}
			cx_notice(NULL, "%s: rate limited, waiting %ld s "
			    "(Retry-After)", c->name, wait);
			free(*body);
			if (wait > 0) {
				struct timespec ts = { wait, 0 };

				nanosleep(&ts, NULL);
			}
			continue;
		}
		break;
	}
	switch (resp->status) {
	case 401:
	case 403:
		ts_err_set(e, CX_E_AUTH_FAILED, 0, "%s: authentication "
		    "failed (HTTP %ld): check the token", c->name,
		    resp->status);
		goto fail;
	case 429:
		ts_err_set(e, CX_E_RATE_LIMITED, 1, "%s: rate limited (HTTP "
		    "429) again after waiting", c->name);
		goto fail;
	}
	if (resp->status >= 500) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 1, "%s: HTTP %ld: %.*s",
		    c->name, resp->status, cx_http_excerpt(resp),
		    resp->body ? resp->body : "");
		goto fail;
	}
	return 0;
fail:
	free(*body);
	*body = NULL;
	return -1;
}

json_t *
ts_fetch_json(struct ts_ctx *c, struct cx_http_req *req, const char *hdr,
    char **hval, const char *what, struct ts_err *e)
{
	struct cx_http_resp resp;
	char *body, *w;
	json_t *j = NULL;

	if (ts_http_hdr(c, req, hdr, hval, &resp, &body, e) != 0) {
		cx_http_req_free(req);
		return NULL;
	}
	cx_http_req_free(req);
	w = cx_xasprintf("%s: %s", c->name, what);
	if (resp.status == 404)
		ts_err_set(e, CX_E_NOT_FOUND, 0, "%s: not found (deleted or "
		    "never existed)", w);
	else if (resp.status != 200)
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: HTTP %ld: %.*s", w,
		    resp.status, cx_http_excerpt(&resp),
		    resp.body ? resp.body : "");
	else
		j = ts_json_body(&resp, w, e);
	free(w);
	free(body);
	return j;
}

json_t *
ts_get_json(struct ts_ctx *c, struct cx_http_req *req, const char *what,
    struct ts_err *e)
{
	return ts_fetch_json(c, req, NULL, NULL, what, e);
}

/* ---- SQLite (identity.c, local.c) ---- */

sqlite3_stmt *
ts_prep(struct cx_state *st, const char *sql)
{
	sqlite3 *db = cx_state_db(st);
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		cx_err(NULL, "state: %s", sqlite3_errmsg(db));
		return NULL;
	}
	return s;
}

int
ts_done(struct cx_state *st, sqlite3_stmt *s, int rc)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		cx_err(NULL, "state: %s", sqlite3_errmsg(cx_state_db(st)));
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
ts_step_done(struct cx_state *st, sqlite3_stmt *s)
{
	return ts_done(st, s, sqlite3_step(s));
}

void
ts_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}
