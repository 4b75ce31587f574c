/* zendesk.c - the zendesk backend: Support API v2
 *
 * SPDX-License-Identifier: MIT
 * Auth: Basic "{user}/token:{token}" when user is set, else "Bearer
 * token" (OAuth).  pull: the cursor-based incremental export
 * (/api/v2/incremental/tickets/cursor.json), paged until end_of_stream;
 * its after_cursor is the pull cursor.  The export allows 10 requests a
 * minute: calls are spaced 60/export_rate s apart, also across runs (the
 * last call's time is kept in the state store), and a 429 waits for its
 * Retry-After.  Changes of the last minute appear in a later export
 * (Zendesk's lag); the cursor never skips them.  Updates are safe
 * updates (updated_stamp); a 409 refetches the ticket and retries once.
 * The export side-loads the requesters (include=users: a top-level
 * "users" array), so each ticket's requester comes with no request of
 * its own: phone, external_id (the member id), name, locale.  On push
 * the requester is found by phone (/api/v2/users/search.json), or
 * created with it; the customer's messages are comments with the
 * requester as author_id (not the API agent's: triggers would mail the
 * customer their own words).  Agents' comments: for each ticket of an export
 * page, GET /api/v2/tickets/ID/comments.json (cursor-paged; the normal
 * rate limit, whose 429 waits for Retry-After); the comment id is its
 * seq.  An agent's: written neither by the requester nor by ticket-sync's
 * own user (/api/v2/users/me.json), which writes the customers' messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ts.h"

static const char *const zd_keys[] = { "export_rate", NULL };

#define ZD_STATUS "new:new,open:open,pending:pending,hold:hold," \
	"solved:solved,closed:closed,deleted:deleted"

struct zd {
	double rate;		/* export requests per minute */
	cx_ms last_call;
	long long me;		/* ticket-sync's own user id, 0: not known */
};

static void
auth(struct ts_ctx *c, struct cx_http_req *r)
{
	if (c->user) {
		free(r->userpwd);
		r->userpwd = cx_xasprintf("%s/token:%s", c->user,
		    c->token ? c->token : "");
	} else if (c->token) {
		cx_http_req_header(r, "Authorization: Bearer %s", c->token);
	}
	cx_http_req_header(r, "Accept: application/json");
}

static json_t *
id_str(json_t *v)
{
	char b[32];

	if (json_is_string(v))
		return json_incref(v);
	if (!json_is_integer(v))
		return NULL;
	snprintf(b, sizeof b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return json_string(b);
}

/* A Zendesk ticket object in the event's shape, or NULL (no id). */
static json_t *
zd_ticket(struct ts_ctx *c, const json_t *z)
{
	json_t *t, *id = id_str(json_object_get(z, "id"));
	const char *st = json_string_value(json_object_get(z, "status"));
	const char *ch = cx_rec_str(z, "via.channel");

	if (id == NULL)
		return NULL;
	t = json_object();
	json_object_set_new(t, "id", id);
	json_object_set_new(t, "status", json_string(ts_status_map(c,
	    ZD_STATUS, st ? st : "open")));
	json_object_set_new(t, "subject", json_is_string(json_object_get(z,
	    "subject")) ? json_incref(json_object_get(z, "subject")) :
	    json_null());
	json_object_set_new(t, "url", c->url ? json_sprintf("%s/agent/"
	    "tickets/%s", c->url, json_string_value(id)) : json_null());
	json_object_set_new(t, "channel", ch ? json_string(ch) :
	    json_null());
	json_object_set_new(t, "created_at", json_is_string(json_object_get(z,
	    "created_at")) ? json_incref(json_object_get(z, "created_at")) :
	    json_null());
	json_object_set_new(t, "updated_at", json_is_string(json_object_get(z,
	    "updated_at")) ? json_incref(json_object_get(z, "updated_at")) :
	    json_null());
	if (json_is_string(json_object_get(z, "external_id")))
		json_object_set(t, "ref", json_object_get(z, "external_id"));
	return t;
}

/* The requester of ticket z among the side-loaded users (id -> user),
 * as main.c wants it, or NULL when it is not there or is staff (an agent
 * or admin who opened a ticket of their own is no customer). */
static json_t *
zd_requester(const json_t *users, const json_t *z)
{
	json_t *id = id_str(json_object_get(z, "requester_id")), *u;
	const char *role;

	if (id == NULL)
		return NULL;
	u = json_object_get(users, json_string_value(id));
	json_decref(id);
	role = cx_rec_str(u, "role");
	if (!json_is_object(u) || (role && strcmp(role, "end-user") != 0))
		return NULL;
	return json_pack("{s:s?,s:s?,s:s?,s:s?}", "phone", cx_rec_str(u,
	    "phone"), "member_id", cx_rec_str(u, "external_id"), "name",
	    cx_rec_str(u, "name"), "lang", cx_rec_str(u, "locale"));
}

int
ts_zendesk_parse_export(struct ts_ctx *c, const char *body, size_t len,
    struct ts_pull *out, const char **why)
{
	json_t *j = json_loadb(body, len, 0, NULL), *tickets, *z;
	json_t *eos, *users = json_object(), *u;
	size_t i;

	if (!json_is_object(j)) {
		*why = "the export is not a JSON object";
		goto fail;
	}
	tickets = json_object_get(j, "tickets");
	eos = json_object_get(j, "end_of_stream");
	if (!json_is_array(tickets) || !json_is_boolean(eos)) {
		*why = "the export has no 'tickets' array or no "
		    "'end_of_stream'";
		goto fail;
	}
	json_array_foreach(json_object_get(j, "users"), i, u) {
		json_t *id = id_str(json_object_get(u, "id"));

		if (id && json_is_object(u))
			json_object_set(users, json_string_value(id), u);
		json_decref(id);
	}
	json_array_foreach(tickets, i, z) {
		json_t *t = json_is_object(z) ? zd_ticket(c, z) : NULL, *rq;

		if (t == NULL) {
			*why = "a ticket of the export has no id";
			goto fail;
		}
		if ((rq = zd_requester(users, z)) != NULL)
			json_object_set_new(t, "requester", rq);
		if (ts_pull_ticket(c, out, t) == NULL) {
			*why = "a ticket of the export has no updated_at";
			goto fail;
		}
	}
	if (json_is_string(json_object_get(j, "after_cursor"))) {
		free(out->cursor);
		out->cursor = cx_xstrdup(json_string_value(
		    json_object_get(j, "after_cursor")));
	}
	out->more = !json_is_true(eos);
	json_decref(users);
	json_decref(j);
	return 0;
fail:
	json_decref(users);
	json_decref(j);
	return -1;
}

/* An id (integer or digits) as a number, 0 when none. */
static long long
id_num(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) :
	    0;
}

/* Adds the agents' comments of one page (comments[]) of ticket t to out:
 * those after after, not by requester nor by me. */
int
ts_zendesk_parse_comments(struct ts_ctx *c, const json_t *t,
    const char *body, size_t len, long long after, long long requester,
    long long me, struct ts_pull *out, char **next, const char **why)
{
	json_t *j = json_loadb(body, len, 0, NULL), *list, *cm;
	size_t i;

	*next = NULL;
	if (!json_is_object(j) || !json_is_array(list = json_object_get(j,
	    "comments"))) {
		*why = "the answer has no 'comments' array";
		json_decref(j);
		return -1;
	}
	json_array_foreach(list, i, cm) {
		long long seq = id_num(json_object_get(cm, "id"));
		long long who = id_num(json_object_get(cm, "author_id"));
		json_t *text = json_object_get(cm, "plain_body");
		char author[32];

		if (!json_is_string(text))
			text = json_object_get(cm, "body");
		if (seq <= after || who == 0 || who == requester || who == me)
			continue;
		snprintf(author, sizeof author, "%lld", who);
		ts_pull_comment(c, out, t, seq, json_pack("{sssbsosb}",
		    "author", author, "public",
		    !json_is_false(json_object_get(cm, "public")), "body",
		    json_is_string(text) ? json_incref(text) : json_string(""),
		    "by_agent", 1), json_string_value(json_object_get(cm,
		    "created_at")));
	}
	if (json_is_true(cx_rec_path(j, "meta.has_more")) &&
	    json_is_string(cx_rec_path(j, "links.next")))
		*next = cx_xstrdup(json_string_value(cx_rec_path(j,
		    "links.next")));
	json_decref(j);
	return 0;
}

/* ticket-sync's own user id (once a run). */
static int
zd_me(struct ts_ctx *c, struct ts_err *e)
{
	struct zd *z = c->priv;
	struct cx_http_req r = { 0 };
	json_t *j;

	if (z->me)
		return 0;
	r.url = cx_xasprintf("%s/api/v2/users/me.json", c->url);
	auth(c, &r);
	if ((j = ts_get_json(c, &r, "users/me", e)) == NULL)
		return -1;
	z->me = id_num(cx_rec_path(j, "user.id"));
	json_decref(j);
	if (z->me == 0) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: users/me: no user id "
		    "in the answer", c->name);
		return -1;
	}
	return 0;
}

/* The agents' comments of ticket t (raw: the export's ticket object). */
static int
zd_comments(struct ts_ctx *c, const json_t *raw, const json_t *t,
    struct ts_pull *out, struct ts_err *e)
{
	struct zd *z = c->priv;
	const char *id = json_string_value(json_object_get(t, "id"));
	long long after = c->replay ? 0 : ts_comment_hw(c->st, c->name,
	    id);
	long long requester = id_num(json_object_get(raw, "requester_id"));
	char *eid = ts_urlenc(id), *url;

	url = cx_xasprintf("%s/api/v2/tickets/%s/comments.json?"
	    "page%%5Bsize%%5D=100", c->url, eid);
	free(eid);
	for (int page = 0; url && page < 1000; page++) {
		struct cx_http_req r = { 0 };
		struct cx_http_resp resp;
		const char *why;
		char *body;

		r.url = url;
		auth(c, &r);
		if (ts_http(c, &r, &resp, &body, e) != 0) {
			cx_http_req_free(&r);
			return -1;
		}
		cx_http_req_free(&r);
		if (resp.status == 404) {	/* deleted meanwhile */
			free(body);
			return 0;
		}
		if (resp.status != 200) {
			ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: ticket %s: "
			    "comments: HTTP %ld: %.*s", c->name, id,
			    resp.status, cx_http_excerpt(&resp), resp.body);
			free(body);
			return -1;
		}
		if (ts_zendesk_parse_comments(c, t, resp.body, resp.body_len,
		    after, requester, z->me, out, &url, &why) != 0) {
			ts_err_set(e, CX_E_PROVIDER_ERROR, 1, "%s: ticket %s: "
			    "comments: %s: %.*s", c->name, id, why,
			    cx_http_excerpt(&resp), resp.body);
			free(body);
			return -1;
		}
		free(body);
	}
	free(url);
	return 0;
}

/* Spaces export calls 60/rate s apart, across runs too. */
static void
pace(struct ts_ctx *c)
{
	struct zd *z = c->priv;
	cx_ms gap = (cx_ms)(60000.0 / z->rate), now = cx_mono();
	char *v = cx_kv_get(c->st, "ticket-sync.zendesk-export", c->name);
	cx_ms wall = cx_now(), wait = 0;

	if (v) {
		cx_ms last = strtoll(v, NULL, 10);

		if (last + gap > wall && last <= wall)
			wait = last + gap - wall;
		free(v);
	}
	if (z->last_call && z->last_call + gap > now &&
	    z->last_call + gap - now > wait)
		wait = z->last_call + gap - now;
	if (wait > 0) {
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };

		cx_info(NULL, "%s: export rate limit: waiting %lld ms",
		    c->name, (long long)wait);
		nanosleep(&ts, NULL);
	}
	z->last_call = cx_mono();
	v = cx_xasprintf("%lld", (long long)cx_now());
	cx_kv_put(c->st, "ticket-sync.zendesk-export", c->name, v, 0);
	free(v);
}

static int
zd_pull(struct ts_ctx *c, const char *cursor, cx_ms since_ms,
    struct ts_pull *out, struct ts_err *e)
{
	struct cx_http_req r = { 0 };
	struct cx_http_resp resp;
	char *body;
	const char *why;
	size_t n0, nt;
	json_t *j;

	if (cursor) {
		char *cu = ts_urlenc(cursor);

		r.url = cx_xasprintf("%s/api/v2/incremental/tickets/cursor.json"
		    "?cursor=%s&include=users", c->url, cu);
		free(cu);
	} else {
		r.url = cx_xasprintf("%s/api/v2/incremental/tickets/cursor.json"
		    "?start_time=%lld&include=users", c->url,
		    (long long)(since_ms / 1000));
	}
	auth(c, &r);
	pace(c);
	if (ts_http(c, &r, &resp, &body, e) != 0)
		goto fail;
	if (resp.status != 200) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: export: HTTP %ld: "
		    "%.*s", c->name, resp.status, cx_http_excerpt(&resp),
		    resp.body);
		free(body);
		goto fail;
	}
	n0 = out->n;
	if (ts_zendesk_parse_export(c, resp.body, resp.body_len, out,
	    &why) != 0) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 1, "%s: export: %s: %.*s",
		    c->name, why, cx_http_excerpt(&resp), resp.body);
		free(body);
		goto fail;
	}
	/* Then the agents' comments of the tickets of this page (not of
	 * deleted ones: their comments are gone). */
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	free(body);
	nt = out->n - n0;
	if (nt > 0 && zd_me(c, e) != 0) {
		json_decref(j);
		goto fail;
	}
	for (size_t k = 0; k < nt; k++) {
		json_t *t = out->v[n0 + k].ticket;

		if (strcmp(json_string_value(json_object_get(t, "status")),
		    "deleted") == 0)
			continue;
		if (zd_comments(c, json_array_get(json_object_get(j,
		    "tickets"), k), t, out, e) != 0) {
			json_decref(j);
			goto fail;
		}
	}
	json_decref(j);
	/* No cursor back (an empty first page): keep the old one. */
	if (out->cursor == NULL && cursor)
		out->cursor = cx_xstrdup(cursor);
	cx_http_req_free(&r);
	return 0;
fail:
	cx_http_req_free(&r);
	return -1;
}

/* GET /api/v2/tickets/ID.json into the raw Zendesk object. */
static int
zd_get_raw(struct ts_ctx *c, const char *id, json_t **raw, struct ts_err *e)
{
	struct cx_http_req r = { 0 };
	char *eid = ts_urlenc(id), *what = cx_xasprintf("ticket %s", id);
	json_t *j;

	*raw = NULL;
	r.url = cx_xasprintf("%s/api/v2/tickets/%s.json", c->url, eid);
	free(eid);
	auth(c, &r);
	j = ts_get_json(c, &r, what, e);
	free(what);
	if (j == NULL)
		return -1;
	*raw = json_incref(json_object_get(j, "ticket"));
	json_decref(j);
	if (!json_is_object(*raw)) {
		json_decref(*raw);
		*raw = NULL;
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: ticket %s: no "
		    "'ticket' object in the answer", c->name, id);
		return -1;
	}
	return 0;
}

static int
zd_get(struct ts_ctx *c, const char *id, json_t **out, struct ts_err *e)
{
	json_t *raw;

	*out = NULL;
	if (zd_get_raw(c, id, &raw, e) != 0)
		return -1;
	*out = zd_ticket(c, raw);
	json_decref(raw);
	if (*out == NULL) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: ticket %s has no id",
		    c->name, id);
		return -1;
	}
	return 0;
}

/* Sends a JSON body; returns the parsed answer (or NULL with *e). */
static json_t *
zd_send(struct ts_ctx *c, const char *method, char *url, json_t *payload,
    long *status, struct ts_err *e)
{
	struct cx_http_req r = { 0 };
	struct cx_http_resp resp;
	char *body, *js = json_dumps(payload, JSON_COMPACT);
	json_t *j = NULL;

	r.method = method;
	r.url = url;
	auth(c, &r);
	cx_http_req_header(&r, "Content-Type: application/json");
	cx_http_req_body(&r, js, strlen(js));
	if (ts_http(c, &r, &resp, &body, e) != 0) {
		cx_http_req_free(&r);
		return NULL;
	}
	*status = resp.status;
	if (resp.status == 409 || resp.status == 404 || resp.status == 422) {
		ts_err_set(e, resp.status == 404 ? CX_E_NOT_FOUND :
		    CX_E_PROVIDER_REJECTED, 0, "%s: %s: HTTP %ld: %.*s",
		    c->name, method, resp.status, cx_http_excerpt(&resp),
		    resp.body);
	} else if (resp.status / 100 != 2) {
		ts_err_set(e, CX_E_PROVIDER_REJECTED, 0, "%s: %s: HTTP %ld: "
		    "%.*s", c->name, method, resp.status,
		    cx_http_excerpt(&resp), resp.body);
	} else {
		j = ts_json_body(&resp, c->name, e);
	}
	free(body);
	cx_http_req_free(&r);
	return j;
}

/* The requester's user id for a phone number: found, or created. */
static json_t *
requester(struct ts_ctx *c, const struct ts_new *n, struct ts_err *e)
{
	struct cx_http_req r = { 0 };
	struct cx_http_resp resp;
	char *body, *q;
	json_t *j, *u, *id;
	long status;

	if (n->phone == NULL)
		return NULL;
	q = ts_urlenc(n->phone);
	r.url = cx_xasprintf("%s/api/v2/users/search.json?query=phone:%s",
	    c->url, q);
	free(q);
	auth(c, &r);
	if (ts_http(c, &r, &resp, &body, e) != 0) {
		cx_http_req_free(&r);
		return NULL;
	}
	cx_http_req_free(&r);
	j = resp.status == 200 ? ts_json_body(&resp, c->name, e) : NULL;
	free(body);
	if (j == NULL) {
		if (e->code == NULL)
			ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: user search: "
			    "HTTP %ld", c->name, resp.status);
		return NULL;
	}
	u = json_array_get(json_object_get(j, "users"), 0);
	if (json_array_size(json_object_get(j, "users")) > 1) {
		ts_err_set(e, CX_E_BAD_FIELD, 0, "%s: ambiguous customer: "
		    "several Zendesk users have this phone number", c->name);
		json_decref(j);
		return NULL;
	}
	if ((id = json_incref(json_object_get(u, "id"))) != NULL) {
		json_decref(j);
		return id;
	}
	json_decref(j);
	u = json_pack("{s{ssssss?}}", "user", "name", n->name ? n->name :
	    n->phone, "phone", n->phone, "external_id", n->member_id);
	j = zd_send(c, "POST", cx_xasprintf("%s/api/v2/users.json", c->url),
	    u, &status, e);
	json_decref(u);
	id = j ? json_incref(cx_rec_path(j, "user.id")) : NULL;
	json_decref(j);
	if (id == NULL && e->code == NULL)
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: user create: no "
		    "user.id in the answer", c->name);
	return id;
}

static int
zd_create(struct ts_ctx *c, const struct ts_new *n, json_t **out,
    struct ts_err *e)
{
	json_t *req, *t, *j, *who = requester(c, n, e);
	long status;

	*out = NULL;
	if (who == NULL && e->code)
		return -1;
	t = json_pack("{sss{sssb}}", "subject", n->subject ? n->subject :
	    "(no subject)", "comment", "body", n->body ? n->body :
	    (n->subject ? n->subject : ""), "public", n->public);
	/* The customer's own message is the requester's comment, not the
	 * API agent's: else triggers may e-mail it back to them. */
	if (who && n->public)
		json_object_set(json_object_get(t, "comment"), "author_id", who);
	if (who)
		json_object_set_new(t, "requester_id", who);
	if (n->ref)
		json_object_set_new(t, "external_id", json_string(n->ref));
	req = json_pack("{so}", "ticket", t);
	j = zd_send(c, "POST", cx_xasprintf("%s/api/v2/tickets.json",
	    c->url), req, &status, e);
	json_decref(req);
	if (j == NULL)
		return -1;
	*out = zd_ticket(c, json_object_get(j, "ticket"));
	json_decref(j);
	if (*out == NULL) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: create: no ticket "
		    "in the answer", c->name);
		return -1;
	}
	return 0;
}

static int
zd_update(struct ts_ctx *c, const char *id, const char *body, int public,
    int by_agent, const char *author, const char *status, int score,
    int scale, struct ts_err *e)
{
	char *note = NULL;
	int rv = -1;

	if (score >= 0)
		note = cx_xasprintf("Customer satisfaction: %d of %d%s%s",
		    score, scale, body ? "\n" : "", body ? body : "");
	/* Safe update: a 409 means someone changed the ticket meanwhile;
	 * refetch its updated_at and try once more. */
	for (int attempt = 0; attempt < 2; attempt++) {
		json_t *raw, *t, *req, *j;
		const char *stamp;
		char *eid;
		long hs = 0;

		if (zd_get_raw(c, id, &raw, e) != 0)
			break;
		stamp = json_string_value(json_object_get(raw, "updated_at"));
		t = json_pack("{sbss?}", "safe_update", 1, "updated_stamp",
		    stamp);
		if (note || body)
			json_object_set_new(t, "comment", json_pack("{sssb}",
			    "body", note ? note : body, "public",
			    note ? 0 : public));
		/* A customer's message (public, not an agent's): written by
		 * the requester, as on a new ticket. */
		if (body && !note && public && !by_agent &&
		    json_object_get(raw, "requester_id") &&
		    !json_is_null(json_object_get(raw, "requester_id")))
			json_object_set(json_object_get(t, "comment"),
			    "author_id", json_object_get(raw, "requester_id"));
		if (status)
			json_object_set_new(t, "status", json_string(status));
		req = json_pack("{so}", "ticket", t);
		json_decref(raw);
		eid = ts_urlenc(id);
		ts_err_clear(e);
		j = zd_send(c, "PUT", cx_xasprintf("%s/api/v2/tickets/%s.json",
		    c->url, eid), req, &hs, e);
		free(eid);
		json_decref(req);
		if (j != NULL) {
			json_decref(j);
			rv = 0;
			break;
		}
		if (hs != 409)
			break;
		if (attempt == 1) {
			ts_err_set(e, CX_E_PROVIDER_REJECTED, 1, "%s: ticket "
			    "%s: update conflict (HTTP 409) twice: it keeps "
			    "changing on the server", c->name, id);
			break;
		}
		cx_info(NULL, "%s: ticket %s changed meanwhile (409): "
		    "refetching", c->name, id);
	}
	free(note);
	return rv;
}

static int
zd_open(struct ts_ctx *c, char **err)
{
	struct zd *z = cx_xcalloc(1, sizeof *z);

	z->rate = 10;
	if (cx_section_double(c->sec, "export_rate", 0.1, 100000, &z->rate,
	    err) != 0) {
		free(z);
		return -1;
	}
	if (c->token == NULL) {
		*err = cx_section_err(c->sec, "token", "the zendesk backend "
		    "needs a token (API token with user, or OAuth)");
		free(z);
		return -1;
	}
	c->priv = z;
	return 0;
}

static void
zd_close(struct ts_ctx *c)
{
	free(c->priv);
	c->priv = NULL;
}

const struct ts_backend ts_zendesk = {
	"zendesk", zd_keys, zd_open, zd_close, zd_get, zd_create, zd_update,
	zd_pull, NULL,
};
