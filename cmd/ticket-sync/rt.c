/* rt.c - the rt backend: Request Tracker 5 REST2
 *
 * SPDX-License-Identifier: MIT
 * Auth: "Authorization: token TOKEN", or Basic user:password.  pull:
 * GET /tickets?query=LastUpdated >= 'CURSOR' (TicketSQL, no 'Z': RT
 * misreads a trailing Z) ordered by LastUpdated, following next_page.
 * RT reads a TicketSQL date as wall time in the API user's time zone
 * (RT::Date's ParseByTimeParseDate, Timezone => 'user': the user's own
 * Timezone, else RT's $Timezone), while its answers are in UTC: the
 * cursor is kept in UTC and written into the query in that zone, the
 * key timezone, else the Timezone of user read from GET /user/USER (a
 * token alone names no user), else UTC.
 * LastUpdated has 1-second resolution, so the cursor is the last second
 * seen and the search overlaps it: tickets already seen with the same
 * LastUpdated and status are skipped (main.c's ts_seen).  Updates to the
 * status send the ticket's ETag as If-Match; a 412 refetches and retries
 * once (CXKIT_TEST_RT_BEFORE_PUT, a test hook, runs a command between
 * the two).  Customers' messages are correspondence, the rest comments.
 * Agents' comments: for each ticket of a search page, its history
 * (Correspond, Comment transactions after the last one pulled; main.c
 * keeps that per ticket) and, for their bodies, its attachments.  The
 * transaction id is the comment's seq.  Not an agent's: the requestors',
 * RT_System's, and on a ticket opened through ticket-sync its creator's
 * (ticket-sync's own user, who writes the customers' messages).
 * The customer of a ticket ticket-sync did not open is its first
 * requestor: GET /user/NAME, once a run for each (kept in memory), read
 * for MobilePhone (else WorkPhone, else HomePhone), RealName and Lang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

#define RT_STATUS "new:new,open:open,stalled:pending,resolved:solved," \
	"rejected:closed,deleted:deleted"
#define RT_BACK "pending:stalled,solved:resolved,closed:rejected,hold:stalled"

static const char *const rt_keys[] = { "page_size", "timezone", NULL };

struct rt {
	char *tz;		/* the API user's zone, NULL: not known yet */
	int per_page;		/* search page size, at most 100 (RT's) */
	json_t *users;		/* requestors read this run: name -> user,
				 * null when it cannot be read */
};

static void
auth(struct ts_ctx *c, struct cx_http_req *r)
{
	if (c->token)
		cx_http_req_header(r, "Authorization: token %s", c->token);
	else if (c->user) {
		free(r->userpwd);
		r->userpwd = cx_xasprintf("%s:%s", c->user,
		    c->password ? c->password : "");
	}
	cx_http_req_header(r, "Accept: application/json");
}

static json_t *
str_or_null(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_incref(v) : json_null();
}

/* An RT date "2025-01-02T03:04:05Z"; RT writes unset dates as
 * "1970-01-01T00:00:00Z". */
static json_t *
rt_ticket(struct ts_ctx *c, const json_t *r)
{
	json_t *t, *id = json_object_get(r, "id");
	const char *st = json_string_value(json_object_get(r, "Status"));
	char buf[32];

	if (json_is_integer(id)) {
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(id));
	} else if (json_is_string(id) && json_string_length(id) < 20) {
		snprintf(buf, sizeof buf, "%s", json_string_value(id));
	} else {
		return NULL;
	}
	t = json_object();
	json_object_set_new(t, "id", json_string(buf));
	json_object_set_new(t, "status", json_string(ts_status_map(c,
	    RT_STATUS, st ? st : "open")));
	json_object_set_new(t, "subject", str_or_null(r, "Subject"));
	json_object_set_new(t, "url", c->url ? json_sprintf("%s/Ticket/"
	    "Display.html?id=%s", c->url, buf) : json_null());
	json_object_set_new(t, "channel", json_null());
	json_object_set_new(t, "created_at", str_or_null(r, "Created"));
	json_object_set_new(t, "updated_at", str_or_null(r, "LastUpdated"));
	return t;
}

/* The name of a user reference {"type":"user","id":"root",...}. */
static const char *
user_name(const json_t *ref)
{
	return json_is_string(ref) ? json_string_value(ref) :
	    json_string_value(json_object_get(ref, "id"));
}

/* Adds the agents' comments of one page of a ticket's history (items
 * with Type, Creator, Created, Content) after transaction after to out.
 * An agent's: Correspond (public) or Comment (private) by a user who is
 * not a requestor, not RT_System and, on a ticket opened through
 * ticket-sync, not its creator (ticket-sync's own user, who writes the
 * customer's messages and what was sent to them). */
static void
rt_history(struct ts_ctx *c, const json_t *t, const json_t *items,
    long long after, const json_t *requestors, const char *own,
    struct ts_pull *out)
{
	json_t *it;
	size_t i;

	json_array_foreach(items, i, it) {
		const char *type = json_string_value(json_object_get(it,
		    "Type"));
		const char *who = user_name(json_object_get(it, "Creator"));
		json_t *id = json_object_get(it, "id"), *rq;
		long long seq;
		size_t k;
		int agent = 1;

		if (json_is_integer(id))
			seq = json_integer_value(id);
		else if (json_is_string(id))
			seq = strtoll(json_string_value(id), NULL, 10);
		else
			continue;
		if (seq <= after || type == NULL || who == NULL ||
		    (strcmp(type, "Correspond") != 0 &&
		    strcmp(type, "Comment") != 0))
			continue;
		json_array_foreach(requestors, k, rq)
			if (user_name(rq) && strcmp(user_name(rq), who) == 0)
				agent = 0;
		if (strcmp(who, "RT_System") == 0 || (own &&
		    strcmp(who, own) == 0))
			agent = 0;
		if (!agent)
			continue;
		/* The body is in the transaction's attachments. */
		ts_pull_comment(c, out, t, seq, json_pack("{sssbsssb}",
		    "author", who, "public", strcmp(type, "Correspond") == 0,
		    "body", "", "by_agent", 1), json_string_value(
		    json_object_get(it, "Created")));
	}
}

/* The id of a reference {"type":...,"id":"41"}, or of a plain id. */
static long long
ref_id(const json_t *v)
{
	if (json_is_object(v))
		v = json_object_get(v, "id");
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) :
	    0;
}

/* Fills the bodies of out->v[from..] (RT comments, by transaction) from
 * the ticket's attachments: each transaction's first text/plain part. */
static int
rt_bodies(struct ts_ctx *c, const char *id, struct ts_pull *out,
    size_t from, struct ts_err *e)
{
	int more = 1;

	for (int page = 1; more && page <= 1000; page++) {
		struct cx_http_req q = { 0 };
		json_t *j, *items, *a;
		size_t i;

		q.url = cx_xasprintf("%s/REST/2.0/ticket/%s/attachments?"
		    "orderby=id&order=ASC&per_page=100&page=%d&fields="
		    "TransactionId,ContentType,Content", c->url, id, page);
		auth(c, &q);
		if ((j = ts_get_json(c, &q, "attachments", e)) == NULL)
			return -1;
		items = json_object_get(j, "items");
		json_array_foreach(items, i, a) {
			long long tx = ref_id(json_object_get(a,
			    "TransactionId"));
			const char *ct = json_string_value(json_object_get(a,
			    "ContentType"));
			json_t *body = json_object_get(a, "Content");

			if (ct == NULL || strncasecmp(ct, "text/plain", 10) != 0
			    || !json_is_string(body))
				continue;
			for (size_t k = from; k < out->n; k++) {
				json_t *cm = out->v[k].comment;

				if (out->v[k].seq == tx && json_string_length(
				    json_object_get(cm, "body")) == 0)
					json_object_set(cm, "body", body);
			}
		}
		more = json_is_string(json_object_get(j, "next_page"));
		json_decref(j);
	}
	return 0;
}

/* The agents' comments of ticket t (search item r) after the last one
 * pulled. */
static int
rt_comments(struct ts_ctx *c, const json_t *r, const json_t *t,
    struct ts_pull *out, struct ts_err *e)
{
	const char *id = json_string_value(json_object_get(t, "id"));
	const json_t *rq = json_object_get(r, "Requestor");
	const char *own = NULL;
	long long after = c->replay ? 0 : ts_comment_hw(c->st, c->name,
	    id);
	size_t from = out->n;
	int more = 1;

	if (ts_link_customer(c->st, c->name, id) > 0)
		own = user_name(json_object_get(r, "Creator"));
	for (int page = 1; more && page <= 1000; page++) {
		struct cx_http_req q = { 0 };
		json_t *j, *items;

		q.url = cx_xasprintf("%s/REST/2.0/ticket/%s/history?orderby=id"
		    "&order=ASC&per_page=100&page=%d&fields=Type,Creator,"
		    "Created,Content", c->url, id, page);
		auth(c, &q);
		if ((j = ts_get_json(c, &q, "history", e)) == NULL)
			return -1;
		if (!json_is_array(items = json_object_get(j, "items"))) {
			ts_err_set(e, CX_E_PROVIDER_ERROR, 1, "%s: ticket %s: "
			    "the history answer has no 'items' array",
			    c->name, id);
			json_decref(j);
			return -1;
		}
		rt_history(c, t, items, after, rq, own, out);
		more = json_is_string(json_object_get(j, "next_page"));
		json_decref(j);
	}
	if (out->n > from && rt_bodies(c, id, out, from, e) != 0)
		return -1;
	return 0;
}

int
ts_rt_parse_search(struct ts_ctx *c, const char *body, size_t len,
    struct ts_pull *out, int *more, const char **why)
{
	json_t *j = json_loadb(body, len, 0, NULL), *items, *it;
	size_t i;

	*more = 0;
	if (!json_is_object(j)) {
		*why = "the search answer is not a JSON object";
		goto fail;
	}
	if (!json_is_array(items = json_object_get(j, "items"))) {
		*why = "the search answer has no 'items' array";
		goto fail;
	}
	json_array_foreach(items, i, it) {
		json_t *t = json_is_object(it) ? rt_ticket(c, it) : NULL;
		const char *upd;

		if (t == NULL) {
			*why = "an item of the search has no id";
			goto fail;
		}
		/* (the cursor below takes the first 19 characters) */
		if ((upd = ts_pull_ticket(c, out, t)) == NULL ||
		    strlen(upd) < 19) {
			*why = "an item of the search has no LastUpdated";
			goto fail;
		}
		/* The cursor: the latest LastUpdated, as TicketSQL wants it
		 * ("YYYY-MM-DD HH:MM:SS", UTC). */
		if (out->cursor == NULL || strncmp(out->cursor, upd, 10) < 0 ||
		    (strncmp(out->cursor, upd, 10) == 0 &&
		    strncmp(out->cursor + 11, upd + 11, 8) < 0)) {
			free(out->cursor);
			out->cursor = cx_xasprintf("%.10s %.8s", upd, upd + 11);
		}
	}
	*more = json_is_string(json_object_get(j, "next_page"));
	json_decref(j);
	return 0;
fail:
	json_decref(j);
	return -1;
}

/* The API user's time zone, in which RT reads TicketSQL dates. */
static const char *
rt_zone(struct ts_ctx *c, struct ts_err *e)
{
	struct rt *rt = c->priv;
	struct cx_http_req q = { 0 };
	const char *tz;
	char *eu;
	json_t *j;

	if (rt->tz)
		return rt->tz;
	if (c->user == NULL) {
		rt->tz = cx_xstrdup("UTC");
		return rt->tz;
	}
	eu = ts_urlenc(c->user);
	q.url = cx_xasprintf("%s/REST/2.0/user/%s", c->url, eu);
	free(eu);
	auth(c, &q);
	if ((j = ts_get_json(c, &q, "user", e)) == NULL)
		return NULL;
	tz = json_string_value(json_object_get(j, "Timezone"));
	if (tz && *tz && !cx_tz_valid(tz)) {
		cx_warn(NULL, "%s: user %s: time zone '%s' is not known here: "
		    "set timezone in [ticket %s]; UTC meanwhile", c->name,
		    c->user, tz, c->name);
		tz = NULL;
	}
	rt->tz = cx_xstrdup(tz && *tz ? tz : "UTC");
	json_decref(j);
	cx_debug(NULL, "%s: TicketSQL dates in %s", c->name, rt->tz);
	return rt->tz;
}

/* A UTC "YYYY-MM-DD HH:MM:SS" as that wall time in zone tz, in out. */
static int
rt_sqltime(const char *utc, const char *tz, char out[40])
{
	char iso[40];
	cx_ms t;

	snprintf(iso, sizeof iso, "%.10sT%.8sZ", utc, utc + 11);
	if (strlen(utc) < 19 || cx_time_parse(iso, &t) != 0 ||
	    cx_time_format_tz(t, tz, out) == NULL)
		return -1;
	out[10] = ' ';
	out[19] = '\0';
	return 0;
}

/* The first non-empty of user u's fields keys, or NULL. */
static const char *
user_field(const json_t *u, const char *const *keys)
{
	for (int i = 0; keys[i]; i++) {
		const char *v = json_string_value(json_object_get(u, keys[i]));

		if (v && *v)
			return v;
	}
	return NULL;
}

/* The customer of ticket t (search item it) as RT knows them, unless the
 * ticket is linked to one already: its first requestor's user record,
 * read once a run, as t's "requester"; not a privileged user's (staff,
 * who opened a ticket of their own, are no customer).  A user that
 * cannot be read (gone, or not visible to the API user) leaves the
 * customer unknown, with a warning; -1 (with *e) for other failures,
 * which stop the pull. */
static int
rt_requester(struct ts_ctx *c, const json_t *it, json_t *t,
    struct ts_err *e)
{
	static const char *const phones[] = { "MobilePhone", "WorkPhone",
	    "HomePhone", NULL };
	static const char *const names[] = { "RealName", NULL };
	static const char *const langs[] = { "Lang", NULL };
	struct rt *rt = c->priv;
	const char *id = json_string_value(json_object_get(t, "id"));
	const char *name = user_name(json_array_get(json_object_get(it,
	    "Requestor"), 0));
	json_t *u, *priv;

	if (name == NULL || ts_link_customer(c->st, c->name, id) > 0)
		return 0;
	if ((u = json_object_get(rt->users, name)) == NULL) {
		struct cx_http_req q = { 0 };
		char *en = ts_urlenc(name);

		q.url = cx_xasprintf("%s/REST/2.0/user/%s", c->url, en);
		free(en);
		auth(c, &q);
		if ((u = ts_get_json(c, &q, "requestor", e)) == NULL) {
			if (strcmp(e->code, CX_E_NOT_FOUND) != 0 &&
			    strcmp(e->code, CX_E_AUTH_FAILED) != 0)
				return -1;
			cx_warn(NULL, "%s: ticket %s: its requestor's user "
			    "record cannot be read (%s): no customer",
			    c->name, id, e->msg);
			ts_err_clear(e);
			u = json_null();
		}
		json_object_set_new(rt->users, name, u);
	}
	priv = json_object_get(u, "Privileged");
	if (json_is_object(u) && !json_is_true(priv) &&
	    !(json_is_integer(priv) && json_integer_value(priv) != 0))
		json_object_set_new(t, "requester", json_pack("{s:s?,s:s?,"
		    "s:s?}", "phone", user_field(u, phones), "name",
		    user_field(u, names), "lang", user_field(u, langs)));
	return 0;
}

/* The search item of ticket id, among items. */
static const json_t *
rt_item(const json_t *items, const char *id)
{
	const json_t *it;
	size_t i;

	json_array_foreach(items, i, it) {
		json_t *v = json_object_get(it, "id");
		char buf[32];

		if (json_is_integer(v))
			snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		else
			snprintf(buf, sizeof buf, "%s", json_is_string(v) ?
			    json_string_value(v) : "");
		if (strcmp(buf, id) == 0)
			return it;
	}
	return NULL;
}

/* Pages from the cursor up, by LastUpdated: each next page is a new
 * search from the last LastUpdated seen (>=), not the next page number
 * of the first search, whose pages shift when a ticket is updated during
 * the pull; the overlap is pulled once (out->once).  Page numbers are
 * only followed within one second, when a whole page shares it. */
static int
rt_pull(struct ts_ctx *c, const char *cursor, cx_ms since_ms,
    struct ts_pull *out, struct ts_err *e)
{
	struct rt *rt = c->priv;
	char from[40], local[40], *q, *eq = NULL;
	const char *why, *tz;
	int page = 1, more = 1;
	size_t n0;
	json_t *j, *items;

	if (cursor) {
		snprintf(from, sizeof from, "%s", cursor);
	} else {
		cx_time_format(since_ms - since_ms % 1000, from);
		from[10] = ' ';
		from[19] = '\0';
	}
	if ((tz = rt_zone(c, e)) == NULL)
		return -1;
	out->once = json_object();
	for (int round = 0; more && round < 100000; round++) {
		struct cx_http_req r = { 0 };
		struct cx_http_resp resp;
		char *body;

		if (rt_sqltime(from, tz, local) != 0) {
			ts_err_set(e, CX_E_STATE, 0, "%s: the cursor '%s' is "
			    "not a TicketSQL date", c->name, from);
			return -1;
		}
		if (c->queue)
			q = cx_xasprintf("LastUpdated >= '%s' AND Queue = '%s'",
			    local, c->queue);
		else
			q = cx_xasprintf("LastUpdated >= '%s'", local);
		eq = ts_urlenc(q);
		free(q);
		r.url = cx_xasprintf("%s/REST/2.0/tickets?query=%s&orderby="
		    "LastUpdated&order=ASC&per_page=%d&page=%d&fields="
		    "Subject,Status,LastUpdated,Created,Queue,Creator,Requestor",
		    c->url, eq, rt->per_page, page);
		free(eq);
		auth(c, &r);
		if (ts_http(c, &r, &resp, &body, e) != 0) {
			cx_http_req_free(&r);
			return -1;
		}
		cx_http_req_free(&r);
		if (resp.status != 200) {
			ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: search: "
			    "HTTP %ld: %.*s", c->name, resp.status,
			    cx_http_excerpt(&resp), resp.body);
			free(body);
			return -1;
		}
		n0 = out->n;
		if (ts_rt_parse_search(c, resp.body, resp.body_len, out, &more,
		    &why) != 0) {
			ts_err_set(e, CX_E_PROVIDER_ERROR, 1, "%s: search: %s: "
			    "%.*s", c->name, why, cx_http_excerpt(&resp),
			    resp.body);
			free(body);
			return -1;
		}
		/* Then the customers and the agents' comments of the new
		 * tickets of this page (rt_comments appends after them,
		 * copying the ticket with its requester). */
		items = json_object_get(j = json_loadb(resp.body,
		    resp.body_len, 0, NULL), "items");
		free(body);
		for (size_t k = n0, nt = out->n; k < nt; k++) {
			const char *id = json_string_value(json_object_get(
			    out->v[k].ticket, "id"));
			const json_t *it = rt_item(items, id);

			if (rt_requester(c, it, out->v[k].ticket, e) != 0 ||
			    rt_comments(c, it, out->v[k].ticket, out, e) != 0) {
				json_decref(j);
				return -1;
			}
		}
		json_decref(j);
		if (!more || out->cursor == NULL)
			break;
		if (strcmp(out->cursor, from) == 0) {
			page++;		/* a whole page in one second */
		} else {
			snprintf(from, sizeof from, "%s", out->cursor);
			page = 1;
		}
	}
	if (out->cursor == NULL)
		out->cursor = cx_xstrdup(from);
	out->more = 0;
	return 0;
}

static int
rt_get_etag(struct ts_ctx *c, const char *id, json_t **out, char **etag,
    struct ts_err *e)
{
	struct cx_http_req r = { 0 };
	char *eid = ts_urlenc(id), *what = cx_xasprintf("ticket %s", id);
	json_t *j;

	*out = NULL;
	r.url = cx_xasprintf("%s/REST/2.0/ticket/%s", c->url, eid);
	free(eid);
	auth(c, &r);
	j = ts_fetch_json(c, &r, "ETag", etag, what, e);
	free(what);
	if (j == NULL)
		return -1;
	*out = rt_ticket(c, j);
	/* RT answers a ticket it deleted with Status "deleted". */
	json_decref(j);
	if (*out == NULL) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: ticket %s: no id "
		    "in the answer", c->name, id);
		return -1;
	}
	return 0;
}

static int
rt_get(struct ts_ctx *c, const char *id, json_t **out, struct ts_err *e)
{
	char *etag = NULL;
	int rv = rt_get_etag(c, id, out, &etag, e);

	free(etag);
	if (rv == 0 && strcmp(json_string_value(json_object_get(*out,
	    "status")), "deleted") == 0) {
		json_decref(*out);
		*out = NULL;
		ts_err_set(e, CX_E_NOT_FOUND, 0, "%s: ticket %s was deleted",
		    c->name, id);
		return -1;
	}
	return rv;
}

/* POST/PUT a JSON body; the answer in *ans (may be NULL). */
static int
rt_send(struct ts_ctx *c, const char *method, char *url, json_t *payload,
    const char *if_match, long *status, json_t **ans, struct ts_err *e)
{
	struct cx_http_req r = { 0 };
	struct cx_http_resp resp;
	char *body, *js = json_dumps(payload, JSON_COMPACT);

	if (ans)
		*ans = NULL;
	r.method = method;
	r.url = url;
	auth(c, &r);
	cx_http_req_header(&r, "Content-Type: application/json");
	if (if_match)
		cx_http_req_header(&r, "If-Match: %s", if_match);
	cx_http_req_body(&r, js, strlen(js));
	if (ts_http(c, &r, &resp, &body, e) != 0) {
		cx_http_req_free(&r);
		return -1;
	}
	cx_http_req_free(&r);
	*status = resp.status;
	if (resp.status == 404) {
		ts_err_set(e, CX_E_NOT_FOUND, 0, "%s: %s: HTTP 404: %.*s",
		    c->name, method, cx_http_excerpt(&resp), resp.body);
	} else if (resp.status / 100 != 2) {
		ts_err_set(e, CX_E_PROVIDER_REJECTED, resp.status == 412, "%s: "
		    "%s: HTTP %ld: %.*s", c->name, method, resp.status,
		    cx_http_excerpt(&resp), resp.body);
	} else {
		if (ans)
			*ans = json_loadb(resp.body, resp.body_len, 0, NULL);
		free(body);
		return 0;
	}
	free(body);
	return -1;
}

static int
rt_create(struct ts_ctx *c, const struct ts_new *n, json_t **out,
    struct ts_err *e)
{
	json_t *req, *ans;
	long status;
	char id[32], *body = ts_new_body(n);
	int rv;

	*out = NULL;
	req = json_pack("{ssssssss}", "Queue", c->queue ? c->queue :
	    "General", "Subject", n->subject ? n->subject : "(no subject)",
	    "Content", body, "ContentType", "text/plain");
	free(body);
	rv = rt_send(c, "POST", cx_xasprintf("%s/REST/2.0/ticket", c->url),
	    req, NULL, &status, &ans, e);
	json_decref(req);
	if (rv != 0)
		return -1;
	if (json_is_integer(json_object_get(ans, "id")))
		snprintf(id, sizeof id, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(ans, "id")));
	else if (json_is_string(json_object_get(ans, "id")))
		snprintf(id, sizeof id, "%s",
		    json_string_value(json_object_get(ans, "id")));
	else {
		json_decref(ans);
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: create: no id in "
		    "the answer", c->name);
		return -1;
	}
	json_decref(ans);
	return rt_get(c, id, out, e);
}

/* CXKIT_TEST_RT_BEFORE_PUT is a test hook (tests/peers/rt.sh): a shell
 * command run between the GET of the ETag and the PUT of a status, so
 * that a test can change the ticket right there and force RT's 412. */
static void
test_hook_before_put(void)
{
	const char *h = getenv("CXKIT_TEST_RT_BEFORE_PUT");

	if (h && *h && system(h) != 0)
		cx_notice(NULL, "CXKIT_TEST_RT_BEFORE_PUT failed");
}

static int
rt_update(struct ts_ctx *c, const char *id, const char *body, int public,
    int by_agent, const char *author, const char *status, int score,
    int scale, struct ts_err *e)
{
	char *eid = ts_urlenc(id), *note = NULL;
	long hs;
	int rv = -1;

	if (score >= 0)
		note = cx_xasprintf("Customer satisfaction: %d of %d", score,
		    scale);
	for (int k = 0; k < 2; k++) {
		const char *text = k == 0 ? body : note;
		json_t *req;

		if (text == NULL)
			continue;
		req = json_pack("{ssss}", "Content", text, "ContentType",
		    "text/plain");
		rv = rt_send(c, "POST", cx_xasprintf("%s/REST/2.0/ticket/%s/%s",
		    c->url, eid, k == 0 && public ? "correspond" : "comment"),
		    req, NULL, &hs, NULL, e);
		json_decref(req);
		if (rv != 0)
			goto out;
	}
	rv = 0;
	if (status == NULL)
		goto out;
	for (int attempt = 0; attempt < 2; attempt++) {
		char *etag = NULL;
		json_t *t, *req;
		const char *back;

		if (rt_get_etag(c, id, &t, &etag, e) != 0) {
			rv = -1;
			break;
		}
		json_decref(t);
		test_hook_before_put();
		back = ts_status_map(NULL, RT_BACK, status);
		req = json_pack("{ss}", "Status", back);
		rv = rt_send(c, "PUT", cx_xasprintf("%s/REST/2.0/ticket/%s",
		    c->url, eid), req, etag, &hs, NULL, e);
		json_decref(req);
		free(etag);
		if (rv == 0 || hs != 412)
			break;
		if (attempt == 1)
			ts_err_set(e, CX_E_PROVIDER_REJECTED, 1, "%s: ticket "
			    "%s: update conflict (HTTP 412, ETag) twice: it "
			    "keeps changing on the server", c->name, id);
		else
			ts_err_clear(e);
	}
out:
	free(note);
	free(eid);
	return rv;
}

static int
rt_open(struct ts_ctx *c, char **err)
{
	const char *tz = cx_section_get(c->sec, "timezone");
	struct rt *rt;
	double d = 100;

	if (c->token == NULL && (c->user == NULL || c->password == NULL)) {
		*err = cx_section_err(c->sec, "token", "the rt backend needs "
		    "a token, or user and password");
		return -1;
	}
	if (tz && !cx_tz_valid(tz)) {
		*err = cx_section_err(c->sec, "timezone", "'%s' is not a time "
		    "zone of the system's tzdata (e.g. Asia/Shanghai)", tz);
		return -1;
	}
	if (cx_section_double(c->sec, "page_size", 1, 100, &d, err) != 0)
		return -1;
	rt = cx_xcalloc(1, sizeof *rt);
	rt->tz = tz ? cx_xstrdup(tz) : NULL;
	rt->per_page = (int)d;
	rt->users = json_object();
	c->priv = rt;
	return 0;
}

static void
rt_close(struct ts_ctx *c)
{
	struct rt *rt = c->priv;

	if (rt) {
		free(rt->tz);
		json_decref(rt->users);
	}
	free(rt);
	c->priv = NULL;
}

const struct ts_backend ts_rt = {
	"rt", rt_keys, rt_open, rt_close, rt_get, rt_create, rt_update,
	rt_pull, NULL,
};
