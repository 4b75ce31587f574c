/* redmine.c - the redmine backend: the issues REST API
 *
 * SPDX-License-Identifier: MIT
 * Auth: the API key (token) in X-Redmine-API-Key.  Issues of the project
 * named by queue (an identifier or id).  pull: GET /issues.json with
 * status_id=* (Redmine lists open issues only by default), updated_on
 * >= the cursor, sorted by updated_on; each page a new search from the
 * last updated_on seen (an offset only within one second); like rt, the
 * cursor is the last updated_on and the overlap is de-duplicated.  A 422
 * is reported with Redmine's errors (which name the field).  Statuses are
 * set by name, through /issue_statuses.json.  Agents' comments: for
 * each pulled issue, GET /issues/N.json?include=journals; a journal with
 * notes after the last one pulled (its id is the seq) by another user
 * than the issue's author (the customer, or ticket-sync's own user on
 * the issues it opened, which writes the customers' messages) is one;
 * private_notes: not public.
 * Redmine issues have no requester: the customer of an issue
 * ticket-sync did not open is only known when phone_field names an issue
 * custom field that holds their phone number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

#define RM_STATUS "new:new,in progress:open,feedback:pending," \
	"resolved:solved,closed:closed,rejected:closed"
#define RM_BACK "open:In Progress,pending:Feedback,solved:Resolved," \
	"closed:Closed,new:New"

static const char *const rm_keys[] = { "phone_field", NULL };

struct rm {
	const char *phone_field;	/* custom field of the phone, or NULL */
};

static void
auth(struct ts_ctx *c, struct cx_http_req *r)
{
	cx_http_req_header(r, "X-Redmine-API-Key: %s", c->token);
	cx_http_req_header(r, "Accept: application/json");
}

static json_t *
rm_ticket(struct ts_ctx *c, const json_t *r)
{
	json_t *t, *id = json_object_get(r, "id");
	const char *st = cx_rec_str(r, "status.name");
	char buf[32], low[64];

	if (!json_is_integer(id))
		return NULL;
	snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
	    json_integer_value(id));
	t = json_object();
	json_object_set_new(t, "id", json_string(buf));
	if (st) {
		size_t i;

		for (i = 0; st[i] && i < sizeof low - 1; i++)
			low[i] = (char)(st[i] >= 'A' && st[i] <= 'Z' ?
			    st[i] + 32 : st[i]);
		low[i] = '\0';
		st = ts_status_map(c, RM_STATUS, low);
		if (strcmp(st, low) == 0 && json_is_true(cx_rec_path(r,
		    "status.is_closed")))
			st = "closed";
	}
	json_object_set_new(t, "status", json_string(st ? st : "open"));
	json_object_set_new(t, "subject", json_is_string(json_object_get(r,
	    "subject")) ? json_incref(json_object_get(r, "subject")) :
	    json_null());
	json_object_set_new(t, "url", c->url ? json_sprintf("%s/issues/%s",
	    c->url, buf) : json_null());
	json_object_set_new(t, "channel", json_null());
	json_object_set_new(t, "created_at", json_is_string(json_object_get(r,
	    "created_on")) ? json_incref(json_object_get(r, "created_on")) :
	    json_null());
	json_object_set_new(t, "updated_at", json_is_string(json_object_get(r,
	    "updated_on")) ? json_incref(json_object_get(r, "updated_on")) :
	    json_null());
	return t;
}

/* The customer's phone in issue r's custom field phone_field, as t's
 * "requester". */
static void
rm_requester(struct ts_ctx *c, const json_t *r, json_t *t)
{
	const struct rm *rm = c->priv;
	json_t *cf;
	size_t i;

	if (rm == NULL || rm->phone_field == NULL)
		return;
	json_array_foreach(json_object_get(r, "custom_fields"), i, cf) {
		const char *name = cx_rec_str(cf, "name");
		const char *v = cx_rec_str(cf, "value");

		if (name && strcasecmp(name, rm->phone_field) == 0) {
			if (v && *v)
				json_object_set_new(t, "requester",
				    json_pack("{ss}", "phone", v));
			return;
		}
	}
}

int
ts_redmine_parse_issues(struct ts_ctx *c, const char *body, size_t len,
    struct ts_pull *out, long *total, long *n, const char **why)
{
	json_t *j = json_loadb(body, len, 0, NULL), *issues, *it;
	size_t i;

	*total = *n = 0;
	if (!json_is_object(j)) {
		*why = "the answer is not a JSON object";
		goto fail;
	}
	if (!json_is_array(issues = json_object_get(j, "issues"))) {
		*why = "the answer has no 'issues' array";
		goto fail;
	}
	*total = json_is_integer(json_object_get(j, "total_count")) ?
	    (long)json_integer_value(json_object_get(j, "total_count")) : 0;
	json_array_foreach(issues, i, it) {
		json_t *t = json_is_object(it) ? rm_ticket(c, it) : NULL;
		const char *upd;

		if (t == NULL) {
			*why = "an issue has no id";
			goto fail;
		}
		rm_requester(c, it, t);
		if ((upd = ts_pull_ticket(c, out, t)) == NULL) {
			*why = "an issue has no updated_on";
			goto fail;
		}
		++*n;
		if (out->cursor == NULL || strcmp(out->cursor, upd) < 0) {
			free(out->cursor);
			out->cursor = cx_xstrdup(upd);
		}
	}
	json_decref(j);
	return 0;
fail:
	json_decref(j);
	return -1;
}

/* 422: {"errors":["Subject cannot be blank", ...]} joined. */
static void
rm_errors(struct ts_ctx *c, const struct cx_http_resp *resp,
    const char *what, struct ts_err *e)
{
	json_t *j = json_loadb(resp->body, resp->body_len, 0, NULL), *v;
	struct cx_buf b = { 0 };
	size_t i;

	json_array_foreach(json_object_get(j, "errors"), i, v)
		if (json_is_string(v))
			cx_buf_printf(&b, "%s%s", b.len ? "; " : "",
			    json_string_value(v));
	json_decref(j);
	if (b.len == 0)
		cx_buf_printf(&b, "%.*s", cx_http_excerpt(resp), resp->body);
	{
		char *m = cx_buf_take(&b);

		ts_err_set(e, CX_E_PROVIDER_REJECTED, 0, "%s: %s: rejected "
		    "(HTTP %ld): %s", c->name, what, resp->status, m);
		free(m);
	}
}

static int
rm_call(struct ts_ctx *c, const char *method, char *url, json_t *payload,
    const char *what, json_t **ans, struct ts_err *e)
{
	struct cx_http_req r = { 0 };
	struct cx_http_resp resp;
	char *body;

	*ans = NULL;
	r.method = method;
	r.url = url;
	auth(c, &r);
	if (payload) {
		char *js = json_dumps(payload, JSON_COMPACT);

		cx_http_req_header(&r, "Content-Type: application/json");
		cx_http_req_body(&r, js, strlen(js));
	}
	if (ts_http(c, &r, &resp, &body, e) != 0) {
		cx_http_req_free(&r);
		return -1;
	}
	cx_http_req_free(&r);
	if (resp.status == 404) {
		ts_err_set(e, CX_E_NOT_FOUND, 0, "%s: %s: not found (deleted "
		    "or never existed)", c->name, what);
	} else if (resp.status == 422) {
		rm_errors(c, &resp, what, e);
	} else if (resp.status / 100 != 2) {
		ts_err_set(e, CX_E_PROVIDER_REJECTED, 0, "%s: %s: HTTP %ld: "
		    "%.*s", c->name, what, resp.status,
		    cx_http_excerpt(&resp), resp.body);
	} else {
		if (resp.status != 204 && (*ans = ts_json_body(&resp, c->name,
		    e)) == NULL) {
			free(body);
			return -1;
		}
		free(body);
		return 0;
	}
	free(body);
	return -1;
}

static int
rm_get(struct ts_ctx *c, const char *id, json_t **out, struct ts_err *e)
{
	char *eid = ts_urlenc(id), *what = cx_xasprintf("issue %s", id);
	json_t *j;
	int rv = rm_call(c, "GET", cx_xasprintf("%s/issues/%s.json", c->url,
	    eid), NULL, what, &j, e);

	free(eid);
	free(what);
	*out = NULL;
	if (rv != 0)
		return -1;
	*out = rm_ticket(c, json_object_get(j, "issue"));
	json_decref(j);
	if (*out == NULL) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: issue %s: no issue "
		    "in the answer", c->name, id);
		return -1;
	}
	return 0;
}

static int
rm_create(struct ts_ctx *c, const struct ts_new *n, json_t **out,
    struct ts_err *e)
{
	json_t *req, *j;
	char *body = ts_new_body(n);
	int rv;

	req = json_pack("{s{ssssss}}", "issue", "project_id", c->queue,
	    "subject", n->subject ? n->subject : "", "description", body);
	free(body);
	rv = rm_call(c, "POST", cx_xasprintf("%s/issues.json", c->url), req,
	    "create", &j, e);
	json_decref(req);
	*out = NULL;
	if (rv != 0)
		return -1;
	*out = rm_ticket(c, json_object_get(j, "issue"));
	json_decref(j);
	if (*out == NULL) {
		ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: create: no issue "
		    "in the answer", c->name);
		return -1;
	}
	return 0;
}

/* The id of the issue status named like status (case-insensitive). */
static json_t *
status_id(struct ts_ctx *c, const char *status, struct ts_err *e)
{
	const char *want = ts_status_map(NULL, RM_BACK, status);
	json_t *j, *s, *id = NULL;
	size_t i;

	if (rm_call(c, "GET", cx_xasprintf("%s/issue_statuses.json", c->url),
	    NULL, "issue statuses", &j, e) != 0)
		return NULL;
	json_array_foreach(json_object_get(j, "issue_statuses"), i, s) {
		const char *name = cx_rec_str(s, "name");

		if (name && (strcasecmp(name, want) == 0 ||
		    strcasecmp(name, status) == 0))
			id = json_incref(json_object_get(s, "id"));
		if (id)
			break;
	}
	json_decref(j);
	if (id == NULL)
		ts_err_set(e, CX_E_BAD_FIELD, 0, "%s: no issue status named "
		    "'%s' or '%s'", c->name, want, status);
	return id;
}

static int
rm_update(struct ts_ctx *c, const char *id, const char *body, int public,
    int by_agent, const char *author, const char *status, int score,
    int scale, struct ts_err *e)
{
	json_t *issue = json_object(), *req, *j;
	char *eid, *what, *note = NULL;
	int rv;

	if (score >= 0)
		body = note = cx_xasprintf("Customer satisfaction: %d of %d",
		    score, scale);
	if (body) {
		json_object_set_new(issue, "notes", json_string(body));
		json_object_set_new(issue, "private_notes",
		    json_boolean(!public || note));
	}
	if (status) {
		json_t *sid = status_id(c, status, e);

		if (sid == NULL) {
			json_decref(issue);
			free(note);
			return -1;
		}
		json_object_set_new(issue, "status_id", sid);
	}
	req = json_pack("{so}", "issue", issue);
	eid = ts_urlenc(id);
	what = cx_xasprintf("issue %s", id);
	rv = rm_call(c, "PUT", cx_xasprintf("%s/issues/%s.json", c->url, eid),
	    req, what, &j, e);
	json_decref(j);
	json_decref(req);
	free(eid);
	free(what);
	free(note);
	return rv;
}

/* Adds the agents' notes of issue (an issue object, with journals) to
 * out, as comments of ticket t, after journal after. */
int
ts_redmine_parse_journals(struct ts_ctx *c, const json_t *t,
    const json_t *issue, long long after, struct ts_pull *out)
{
	json_t *jn;
	size_t i;
	long long author = json_integer_value(cx_rec_path(issue,
	    "author.id"));

	json_array_foreach(json_object_get(issue, "journals"), i, jn) {
		json_t *id = json_object_get(jn, "id");
		const char *notes = json_string_value(json_object_get(jn,
		    "notes"));
		const char *who = cx_rec_str(jn, "user.name");
		long long uid = json_integer_value(cx_rec_path(jn, "user.id"));

		if (!json_is_integer(id) || json_integer_value(id) <= after ||
		    notes == NULL || *notes == '\0' || uid == 0 ||
		    uid == author)
			continue;
		ts_pull_comment(c, out, t, json_integer_value(id), json_pack(
		    "{s:s?,s:b,s:s,s:b}", "author", who, "public",
		    !json_is_true(json_object_get(jn, "private_notes")),
		    "body", notes, "by_agent", 1), json_string_value(
		    json_object_get(jn, "created_on")));
	}
	return 0;
}

/* The agents' notes of the pulled tickets out->v[from..to). */
static int
rm_journals(struct ts_ctx *c, struct ts_pull *out, size_t from, size_t to,
    struct ts_err *e)
{
	for (size_t k = from; k < to; k++) {
		struct cx_http_req r = { 0 };
		json_t *t = out->v[k].ticket, *j;
		const char *id = json_string_value(json_object_get(t, "id"));
		char *eid = ts_urlenc(id);

		r.url = cx_xasprintf("%s/issues/%s.json?include=journals",
		    c->url, eid);
		free(eid);
		auth(c, &r);
		if ((j = ts_get_json(c, &r, "journals", e)) == NULL) {
			if (strcmp(e->code, CX_E_NOT_FOUND) == 0) {
				ts_err_clear(e);	/* deleted meanwhile */
				continue;
			}
			return -1;
		}
		ts_redmine_parse_journals(c, t, json_object_get(j, "issue"),
		    c->replay ? 0 : ts_comment_hw(c->st, c->name, id), out);
		json_decref(j);
	}
	return 0;
}

/* Pages from the cursor up, by updated_on: each next page is a new
 * search from the last updated_on seen (>=), not an offset into the
 * first, whose pages shift when an issue is updated during the pull
 * (domain.md 4.3); the overlap is pulled once (out->once).  An offset
 * is only used within one second, when a whole page shares it. */
static int
rm_pull(struct ts_ctx *c, const char *cursor, cx_ms since_ms,
    struct ts_pull *out, struct ts_err *e)
{
	char from[40], *proj = NULL;
	long offset = 0, total = 0;
	const char *why;

	if (cursor)
		snprintf(from, sizeof from, "%s", cursor);
	else
		cx_time_format(since_ms - since_ms % 1000, from);
	if (c->queue) {
		char *q = ts_urlenc(c->queue);

		proj = cx_xasprintf("&project_id=%s", q);
		free(q);
	}
	out->once = json_object();
	for (int round = 0; round < 100000; round++) {
		struct cx_http_req r = { 0 };
		struct cx_http_resp resp;
		char *body, *ef = ts_urlenc(from);
		long n;

		r.url = cx_xasprintf("%s/issues.json?status_id=*&updated_on="
		    "%%3E%%3D%s&sort=updated_on&limit=100&offset=%ld%s",
		    c->url, ef, offset, proj ? proj : "");
		free(ef);
		auth(c, &r);
		if (ts_http(c, &r, &resp, &body, e) != 0) {
			cx_http_req_free(&r);
			goto fail;
		}
		cx_http_req_free(&r);
		if (resp.status != 200) {
			ts_err_set(e, CX_E_PROVIDER_ERROR, 0, "%s: issues: "
			    "HTTP %ld: %.*s", c->name, resp.status,
			    cx_http_excerpt(&resp), resp.body);
			free(body);
			goto fail;
		}
		free(out->cursor);
		out->cursor = NULL;
		if (ts_redmine_parse_issues(c, resp.body, resp.body_len, out,
		    &total, &n, &why) != 0) {
			ts_err_set(e, CX_E_PROVIDER_ERROR, 1, "%s: issues: %s: "
			    "%.*s", c->name, why, cx_http_excerpt(&resp),
			    resp.body);
			free(body);
			goto fail;
		}
		free(body);
		if (n == 0 || offset + n >= total || out->cursor == NULL)
			break;
		/* The page's last updated_on is the next search's start;
		 * a page all in one second goes on by offset. */
		if (strcmp(out->cursor, from) == 0) {
			offset += n;
		} else {
			snprintf(from, sizeof from, "%s", out->cursor);
			offset = 0;
		}
	}
	if (rm_journals(c, out, 0, out->n, e) != 0)
		goto fail;
	free(proj);
	if (out->cursor == NULL || strcmp(out->cursor, from) < 0) {
		free(out->cursor);
		out->cursor = cx_xstrdup(from);
	}
	return 0;
fail:
	free(proj);
	return -1;
}

static int
rm_open(struct ts_ctx *c, char **err)
{
	struct rm *rm;

	if (c->token == NULL) {
		*err = cx_section_err(c->sec, "token", "the redmine backend "
		    "needs its API key in token");
		return -1;
	}
	if (c->queue == NULL) {
		*err = cx_section_err(c->sec, "queue", "the redmine backend "
		    "needs the project (identifier or id) in queue");
		return -1;
	}
	rm = cx_xcalloc(1, sizeof *rm);
	rm->phone_field = cx_section_get(c->sec, "phone_field");
	c->priv = rm;
	return 0;
}

static void
rm_close(struct ts_ctx *c)
{
	free(c->priv);
	c->priv = NULL;
}

const struct ts_backend ts_redmine = {
	"redmine", rm_keys, rm_open, rm_close, rm_get, rm_create, rm_update,
	rm_pull, NULL,
};
