/* local.c - the local backend: tickets in the state store's SQLite
 *
 * SPDX-License-Identifier: MIT
 * Tables ts_ticket, ts_comment and ts_change (state.c).  Every change a
 * pull reports (created, status changes, agents' comments) is a row of
 * ts_change, written in the same transaction as the change itself; its
 * seq is the pull cursor, so a pull sees each change exactly once.
 * Customers' messages and the messages sent to them are comments too,
 * but not changes: a pull reports what agents do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ts.h"

#define PULL_PAGE 1000

static json_t *
col_str(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return json_null();
	return json_string((const char *)sqlite3_column_text(s, i));
}

static json_t *
col_time(sqlite3_stmt *s, int i)
{
	char buf[40];

	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return json_null();
	return json_string(cx_time_format(sqlite3_column_int64(s, i), buf));
}

#define TICKET_COLS "t.id, t.status, t.subject, t.channel, t.created," \
	" t.updated, t.ref, t.satisfaction, t.sat_scale, t.customer"

/* The ticket of a row selected with TICKET_COLS from column 0. */
static json_t *
ticket_of(sqlite3_stmt *s, int o)
{
	json_t *t = json_object();
	char id[32];

	snprintf(id, sizeof id, "%lld",
	    (long long)sqlite3_column_int64(s, o + 0));
	json_object_set_new(t, "id", json_string(id));
	json_object_set_new(t, "status", col_str(s, o + 1));
	json_object_set_new(t, "subject", col_str(s, o + 2));
	json_object_set_new(t, "url", json_null());
	json_object_set_new(t, "channel", col_str(s, o + 3));
	json_object_set_new(t, "created_at", col_time(s, o + 4));
	json_object_set_new(t, "updated_at", col_time(s, o + 5));
	json_object_set_new(t, "ref", col_str(s, o + 6));
	if (sqlite3_column_type(s, o + 7) != SQLITE_NULL) {
		json_t *sat = json_object();

		json_object_set_new(sat, "score",
		    json_integer(sqlite3_column_int(s, o + 7)));
		json_object_set_new(sat, "scale",
		    json_integer(sqlite3_column_int(s, o + 8)));
		json_object_set_new(t, "satisfaction", sat);
	}
	return t;
}

/* A ticket id of the local store is a positive decimal integer. */
static long long
local_id(const char *id)
{
	char *end;
	long long n;

	if (id == NULL || *id < '1' || *id > '9')
		return 0;
	n = strtoll(id, &end, 10);
	return *end == '\0' ? n : 0;
}

static int
local_get(struct ts_ctx *c, const char *id, json_t **out, struct ts_err *e)
{
	sqlite3_stmt *s;
	long long n = local_id(id);
	int rc;

	*out = NULL;
	if (n == 0) {
		ts_err_set(e, CX_E_NOT_FOUND, 0, "no ticket '%s' in the local "
		    "store (ids are numbers)", id ? id : "");
		return -1;
	}
	s = ts_prep(c->st, "SELECT " TICKET_COLS " FROM ts_ticket t"
	    " WHERE t.id = ?1");
	if (s == NULL)
		goto state;
	sqlite3_bind_int64(s, 1, n);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = ticket_of(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto state;
	if (*out == NULL) {
		ts_err_set(e, CX_E_NOT_FOUND, 0, "no ticket %lld in the local "
		    "store", n);
		return -1;
	}
	return 0;
state:
	ts_err_set(e, CX_E_STATE, 1, "cannot read the local ticket store");
	return -1;
}

static int
add_change(struct cx_state *st, long long ticket, const char *event,
    const char *prev, const char *status, long long comment, cx_ms now)
{
	sqlite3_stmt *s = ts_prep(st, "INSERT INTO ts_change"
	    " (ticket, ts, event, prev_status, status, comment)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, ticket);
	sqlite3_bind_int64(s, 2, now);
	ts_bind_text(s, 3, event);
	ts_bind_text(s, 4, prev);
	ts_bind_text(s, 5, status);
	if (comment > 0)
		sqlite3_bind_int64(s, 6, comment);
	else
		sqlite3_bind_null(s, 6);
	return ts_step_done(st, s);
}

static long long
add_comment(struct cx_state *st, long long ticket, const char *author,
    int public, int by_agent, const char *body, cx_ms now)
{
	sqlite3_stmt *s = ts_prep(st, "INSERT INTO ts_comment"
	    " (ticket, author, public, by_agent, body, created)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, ticket);
	ts_bind_text(s, 2, author);
	sqlite3_bind_int(s, 3, public);
	sqlite3_bind_int(s, 4, by_agent);
	ts_bind_text(s, 5, body);
	sqlite3_bind_int64(s, 6, now);
	if (ts_step_done(st, s) != 0)
		return -1;
	return sqlite3_last_insert_rowid(cx_state_db(st));
}

struct create_arg {
	const struct ts_new *n;
	long long id;
};

static int
create_tx(struct cx_state *st, void *arg)
{
	struct create_arg *a = arg;
	cx_ms now = cx_now();
	sqlite3_stmt *s = ts_prep(st, "INSERT INTO ts_ticket"
	    " (subject, status, channel, ref, created, updated)"
	    " VALUES (?1, 'new', ?2, ?3, ?4, ?4)");

	if (s == NULL)
		return -1;
	ts_bind_text(s, 1, a->n->subject);
	ts_bind_text(s, 2, a->n->channel);
	ts_bind_text(s, 3, a->n->ref);
	sqlite3_bind_int64(s, 4, now);
	if (ts_step_done(st, s) != 0)
		return -1;
	a->id = sqlite3_last_insert_rowid(cx_state_db(st));
	if (a->n->body && add_comment(st, a->id, a->n->name ? a->n->name :
	    "customer", a->n->public, 0, a->n->body, now) < 0)
		return -1;
	return add_change(st, a->id, "ticket.created", NULL, "new", 0, now);
}

static int
local_create(struct ts_ctx *c, const struct ts_new *n, json_t **out,
    struct ts_err *e)
{
	struct create_arg a = { n, 0 };
	char id[32];

	if (cx_state_tx(c->st, create_tx, &a) != 0) {
		ts_err_set(e, CX_E_STATE, 1, "cannot write to the local "
		    "ticket store");
		return -1;
	}
	snprintf(id, sizeof id, "%lld", a.id);
	return local_get(c, id, out, e);
}

struct update_arg {
	long long id;
	const char *body, *author, *status;
	int public, by_agent, score, scale, missing;
};

static int
update_tx(struct cx_state *st, void *arg)
{
	struct update_arg *a = arg;
	cx_ms now = cx_now();
	sqlite3_stmt *s = ts_prep(st, "SELECT status FROM ts_ticket"
	    " WHERE id = ?1");
	char *old = NULL;
	long long cid = 0;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, a->id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		old = cx_xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		a->missing = rc == SQLITE_DONE;
		return -1;
	}
	if (a->body) {
		cid = add_comment(st, a->id, a->author, a->public,
		    a->by_agent, a->body, now);
		if (cid < 0 || (a->by_agent && add_change(st, a->id,
		    "ticket.comment", old, old, cid, now) != 0))
			goto fail;
	}
	if (a->status && strcmp(a->status, old) != 0) {
		const char *ev = "ticket.updated";

		if (ts_status_done(a->status) && !ts_status_done(old))
			ev = "ticket.solved";
		else if (!ts_status_done(a->status) && ts_status_done(old))
			ev = "ticket.reopened";
		if (add_change(st, a->id, ev, old, a->status, 0, now) != 0)
			goto fail;
	}
	s = ts_prep(st, "UPDATE ts_ticket SET status = coalesce(?2, status),"
	    " satisfaction = coalesce(?3, satisfaction),"
	    " sat_scale = coalesce(?4, sat_scale), updated = ?5"
	    " WHERE id = ?1");
	if (s == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, a->id);
	ts_bind_text(s, 2, a->status);
	if (a->score >= 0) {
		sqlite3_bind_int(s, 3, a->score);
		sqlite3_bind_int(s, 4, a->scale);
	}
	sqlite3_bind_int64(s, 5, now);
	free(old);
	return ts_step_done(st, s);
fail:
	free(old);
	return -1;
}

static int
local_update(struct ts_ctx *c, const char *id, const char *body, int public,
    int by_agent, const char *author, const char *status, int score,
    int scale, struct ts_err *e)
{
	struct update_arg a = { local_id(id), body, author, status, public,
	    by_agent, score, scale, 0 };

	if (a.id != 0 && cx_state_tx(c->st, update_tx, &a) == 0)
		return 0;
	if (a.id == 0 || a.missing)
		ts_err_set(e, CX_E_NOT_FOUND, 0, "no ticket '%s' in the local "
		    "store", id);
	else
		ts_err_set(e, CX_E_STATE, 1, "cannot write to the local "
		    "ticket store");
	return -1;
}

static int
local_pull(struct ts_ctx *c, const char *cursor, cx_ms since_ms,
    struct ts_pull *out, struct ts_err *e)
{
	sqlite3_stmt *s = ts_prep(c->st, "SELECT ch.seq, ch.ts, ch.event,"
	    " ch.prev_status, ch.status, cm.author, cm.public, cm.body,"
	    " cm.by_agent, " TICKET_COLS
	    " FROM ts_change ch JOIN ts_ticket t ON t.id = ch.ticket"
	    " LEFT JOIN ts_comment cm ON cm.id = ch.comment"
	    " WHERE ch.seq > ?1 AND ch.ts >= ?2 ORDER BY ch.seq LIMIT ?3");
	long long after = cursor ? strtoll(cursor, NULL, 10) : 0, last = after;
	int rc;

	if (s == NULL)
		goto state;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, since_ms);
	sqlite3_bind_int(s, 3, PULL_PAGE);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *t = ticket_of(s, 9), *cm = NULL;
		struct ts_pulled *p;
		char ts[40];

		last = sqlite3_column_int64(s, 0);
		json_object_set_new(t, "status", col_str(s, 4));
		if (sqlite3_column_type(s, 7) != SQLITE_NULL) {
			cm = json_object();
			json_object_set_new(cm, "author", col_str(s, 5));
			json_object_set_new(cm, "public",
			    json_boolean(sqlite3_column_int(s, 6)));
			json_object_set_new(cm, "body", col_str(s, 7));
			json_object_set_new(cm, "by_agent",
			    json_boolean(sqlite3_column_int(s, 8)));
		}
		ts_pull_add(out, t, cm, cx_xasprintf("%s:%lld", c->name,
		    last), cx_xstrdup(cx_time_format(
		    sqlite3_column_int64(s, 1), ts)));
		p = &out->v[out->n - 1];
		p->event = strcmp((const char *)sqlite3_column_text(s, 2),
		    "ticket.created") == 0 ? "ticket.created" :
		    strcmp((const char *)sqlite3_column_text(s, 2),
		    "ticket.solved") == 0 ? "ticket.solved" :
		    strcmp((const char *)sqlite3_column_text(s, 2),
		    "ticket.reopened") == 0 ? "ticket.reopened" :
		    strcmp((const char *)sqlite3_column_text(s, 2),
		    "ticket.comment") == 0 ? "ticket.comment" :
		    "ticket.updated";
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			p->prev_status = cx_xstrdup((const char *)
			    sqlite3_column_text(s, 3));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		goto state;
	out->cursor = cx_xasprintf("%lld", last);
	out->more = out->n == PULL_PAGE;
	return 0;
state:
	ts_err_set(e, CX_E_STATE, 1, "cannot read the local change log");
	return -1;
}

static int
local_list(struct ts_ctx *c, const char *status, int all, json_t **out,
    struct ts_err *e)
{
	sqlite3_stmt *s = ts_prep(c->st, "SELECT " TICKET_COLS
	    " FROM ts_ticket t WHERE (?1 IS NULL OR t.status = ?1)"
	    " AND (?2 OR ?1 IS NOT NULL OR"
	    " t.status NOT IN ('solved', 'closed')) ORDER BY t.id");
	int rc;

	if (s == NULL)
		goto state;
	ts_bind_text(s, 1, status);
	sqlite3_bind_int(s, 2, all);
	*out = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *t = ticket_of(s, 0);

		if (sqlite3_column_type(s, 9) != SQLITE_NULL)
			json_object_set_new(t, "customer",
			    ts_identity_customer(c->st,
			    sqlite3_column_int64(s, 9)));
		json_array_append_new(*out, t);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(*out);
		*out = NULL;
		goto state;
	}
	return 0;
state:
	ts_err_set(e, CX_E_STATE, 1, "cannot read the local ticket store");
	return -1;
}

/* The local store keeps the customer on the ticket too (for list/show). */
int ts_local_set_customer(struct cx_state *st, const char *id,
    long long cust);

int
ts_local_set_customer(struct cx_state *st, const char *id, long long cust)
{
	sqlite3_stmt *s = ts_prep(st, "UPDATE ts_ticket SET customer = ?2"
	    " WHERE id = ?1");

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, local_id(id));
	sqlite3_bind_int64(s, 2, cust);
	return ts_step_done(st, s);
}

/* The comments of a local ticket, oldest first (for show). */
json_t *ts_local_comments(struct cx_state *st, const char *id);

json_t *
ts_local_comments(struct cx_state *st, const char *id)
{
	sqlite3_stmt *s = ts_prep(st, "SELECT author, public, body, by_agent,"
	    " created FROM ts_comment WHERE ticket = ?1 ORDER BY id");
	json_t *a = json_array();

	if (s == NULL)
		return a;
	sqlite3_bind_int64(s, 1, local_id(id));
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *c = json_object();

		json_object_set_new(c, "author", col_str(s, 0));
		json_object_set_new(c, "public",
		    json_boolean(sqlite3_column_int(s, 1)));
		json_object_set_new(c, "body", col_str(s, 2));
		json_object_set_new(c, "by_agent",
		    json_boolean(sqlite3_column_int(s, 3)));
		json_object_set_new(c, "created_at", col_time(s, 4));
		json_array_append_new(a, c);
	}
	sqlite3_finalize(s);
	return a;
}

static int
local_open(struct ts_ctx *c, char **err)
{
	return 0;
}

static void
local_close(struct ts_ctx *c)
{
}

const struct ts_backend ts_local = {
	"local", NULL, local_open, local_close, local_get, local_create,
	local_update, local_pull, local_list,
};
