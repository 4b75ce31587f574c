/* identity.c - one customer behind a phone number, a member id and IM ids
 *
 * SPDX-License-Identifier: MIT
 * Tables (state.c's ticket-sync migration): ts_customer, ts_identity
 * (kind, value) -> customer, ts_link (backend, ticket) -> customer, ref,
 * status, and ts_seen (backend, ticket) -> the last pulled status.  A
 * match is never guessed: keys that name two customers are an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ts.h"

/* The customer of (kind, value): id, 0 when none, -1 on error. */
static long long
ident_get(struct cx_state *st, const char *kind, const char *value)
{
	sqlite3_stmt *s = ts_prep(st, "SELECT customer FROM ts_identity"
	    " WHERE kind = ?1 AND value = ?2");
	long long id = 0;
	int rc;

	if (s == NULL)
		return -1;
	ts_bind_text(s, 1, kind);
	ts_bind_text(s, 2, value);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	return ts_done(st, s, rc) == 0 ? id : -1;
}

static int
ident_put(struct cx_state *st, const char *kind, const char *value,
    long long cust)
{
	sqlite3_stmt *s = ts_prep(st, "INSERT OR IGNORE INTO ts_identity"
	    " (kind, value, customer) VALUES (?1, ?2, ?3)");

	if (s == NULL)
		return -1;
	ts_bind_text(s, 1, kind);
	ts_bind_text(s, 2, value);
	sqlite3_bind_int64(s, 3, cust);
	return ts_done(st, s, sqlite3_step(s));
}

struct resolve {
	const struct ts_who *w;
	int create;
	struct ts_err *e;
	long long cust;
};

static const char *const kind_names[] = { "phone", "member id", "IM id" };

static int
resolve_tx(struct cx_state *st, void *arg)
{
	struct resolve *r = arg;
	const char *kinds[3] = { "phone", "member", "im" };
	const char *vals[3] = { r->w->phone, r->w->member_id, r->w->im };
	long long found[3] = { 0 }, cust = 0;
	int who = -1;

	for (int i = 0; i < 3; i++) {
		if (vals[i] == NULL)
			continue;
		if ((found[i] = ident_get(st, kinds[i], vals[i])) < 0)
			goto state;
		if (found[i] == 0)
			continue;
		if (cust != 0 && found[i] != cust) {
			char m[CX_PHONE_MAX];
			const char *a = vals[who], *b = vals[i];

			/* Never show a phone number whole. */
			if (who == 0) {
				cx_phone_mask(vals[0], m);
				a = m;
			}
			ts_err_set(r->e, CX_E_BAD_FIELD, 0, "ambiguous "
			    "customer: %s %s is customer %lld, %s %s is "
			    "customer %lld", kind_names[who], a, cust,
			    kind_names[i], b, found[i]);
			return -1;
		}
		cust = found[i];
		who = i;
	}
	if (cust == 0) {
		sqlite3_stmt *s;

		if (!r->create) {
			r->cust = 0;
			return 0;
		}
		s = ts_prep(st, "INSERT INTO ts_customer (name, lang, created)"
		    " VALUES (?1, ?2, ?3)");
		if (s == NULL)
			goto state;
		ts_bind_text(s, 1, r->w->name);
		ts_bind_text(s, 2, r->w->lang);
		sqlite3_bind_int64(s, 3, cx_now() / 1000);
		if (ts_done(st, s, sqlite3_step(s)) != 0)
			goto state;
		cust = sqlite3_last_insert_rowid(cx_state_db(st));
	} else if (r->w->name || r->w->lang) {
		sqlite3_stmt *s = ts_prep(st, "UPDATE ts_customer SET"
		    " name = coalesce(name, ?1), lang = coalesce(?2, lang)"
		    " WHERE id = ?3");

		if (s == NULL)
			goto state;
		ts_bind_text(s, 1, r->w->name);
		ts_bind_text(s, 2, r->w->lang);
		sqlite3_bind_int64(s, 3, cust);
		if (ts_done(st, s, sqlite3_step(s)) != 0)
			goto state;
	}
	/* Link the keys this record adds (only when it may create: a
	 * lookup never changes the map). */
	for (int i = 0; r->create && i < 3; i++)
		if (vals[i] && found[i] == 0 &&
		    ident_put(st, kinds[i], vals[i], cust) != 0)
			goto state;
	r->cust = cust;
	return 0;
state:
	ts_err_set(r->e, CX_E_STATE, 1, "cannot read or write the identity "
	    "map in the state store");
	return -1;
}

long long
ts_identity_resolve(struct cx_state *st, const struct ts_who *w, int create,
    struct ts_err *e)
{
	struct resolve r = { w, create, e, 0 };

	if (cx_state_tx(st, resolve_tx, &r) != 0) {
		if (e->code == NULL)
			ts_err_set(e, CX_E_STATE, 1, "cannot write the "
			    "identity map in the state store");
		return -1;
	}
	return r.cust;
}

json_t *
ts_identity_customer(struct cx_state *st, long long cust)
{
	sqlite3_stmt *s;
	json_t *c;
	int rc;

	if (cust <= 0)
		return NULL;
	c = json_object();
	json_object_set_new(c, "phone", json_null());
	json_object_set_new(c, "member_id", json_null());
	s = ts_prep(st, "SELECT kind, value FROM ts_identity WHERE customer = ?1"
	    " AND kind IN ('phone', 'member') ORDER BY kind, value");
	if (s == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, cust);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 1);
		const char *key = strcmp(k, "phone") == 0 ? "phone" :
		    "member_id";

		if (json_is_null(json_object_get(c, key)))
			json_object_set_new(c, key, json_string(v));
	}
	if (ts_done(st, s, rc) != 0)
		goto fail;
	s = ts_prep(st, "SELECT name, lang FROM ts_customer WHERE id = ?1");
	if (s == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, cust);
	json_object_set_new(c, "name", json_null());
	json_object_set_new(c, "lang", json_null());
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < 2; i++)
			if (sqlite3_column_type(s, i) == SQLITE_TEXT)
				json_object_set_new(c, i ? "lang" : "name",
				    json_string((const char *)
				    sqlite3_column_text(s, i)));
	}
	if (ts_done(st, s, rc) != 0)
		goto fail;
	return c;
fail:
	json_decref(c);
	return NULL;
}

int
ts_link_put(struct cx_state *st, const char *backend, const char *ticket,
    long long cust, const char *ref, const char *status)
{
	sqlite3_stmt *s = ts_prep(st, "INSERT INTO ts_link"
	    " (backend, ticket, customer, ref, status, updated)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (backend, ticket) DO UPDATE SET"
	    " customer = coalesce(excluded.customer, customer),"
	    " ref = coalesce(excluded.ref, ref),"
	    " status = coalesce(excluded.status, status),"
	    " updated = excluded.updated");

	if (s == NULL)
		return -1;
	ts_bind_text(s, 1, backend);
	ts_bind_text(s, 2, ticket);
	if (cust > 0)
		sqlite3_bind_int64(s, 3, cust);
	else
		sqlite3_bind_null(s, 3);
	ts_bind_text(s, 4, ref);
	ts_bind_text(s, 5, status);
	sqlite3_bind_int64(s, 6, cx_now());
	return ts_done(st, s, sqlite3_step(s));
}

int
ts_link_status(struct cx_state *st, const char *backend, const char *ticket,
    const char *status)
{
	sqlite3_stmt *s = ts_prep(st, "UPDATE ts_link SET status = ?3,"
	    " updated = ?4 WHERE backend = ?1 AND ticket = ?2");

	if (s == NULL)
		return -1;
	ts_bind_text(s, 1, backend);
	ts_bind_text(s, 2, ticket);
	ts_bind_text(s, 3, status);
	sqlite3_bind_int64(s, 4, cx_now());
	return ts_done(st, s, sqlite3_step(s));
}

static char *
one_text(struct cx_state *st, sqlite3_stmt *s)
{
	char *r = NULL;
	int rc;

	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		r = cx_xstrdup((const char *)sqlite3_column_text(s, 0));
	if (ts_done(st, s, rc) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

char *
ts_link_latest(struct cx_state *st, const char *backend, long long cust,
    int open_only)
{
	sqlite3_stmt *s = ts_prep(st, open_only ?
	    "SELECT ticket FROM ts_link WHERE backend = ?1 AND customer = ?2"
	    " AND coalesce(status, '') NOT IN ('solved', 'closed', 'deleted')"
	    " ORDER BY updated DESC, rowid DESC LIMIT 1" :
	    "SELECT ticket FROM ts_link WHERE backend = ?1 AND customer = ?2"
	    " AND coalesce(status, '') <> 'deleted'"
	    " ORDER BY updated DESC, rowid DESC LIMIT 1");

	if (s == NULL)
		return NULL;
	ts_bind_text(s, 1, backend);
	sqlite3_bind_int64(s, 2, cust);
	return one_text(st, s);
}

char *
ts_link_by_ref(struct cx_state *st, const char *backend, const char *ref)
{
	sqlite3_stmt *s = ts_prep(st, "SELECT ticket FROM ts_link"
	    " WHERE backend = ?1 AND ref = ?2 COLLATE NOCASE"
	    " ORDER BY updated DESC LIMIT 1");

	if (s == NULL)
		return NULL;
	ts_bind_text(s, 1, backend);
	ts_bind_text(s, 2, ref);
	return one_text(st, s);
}

long long
ts_link_customer(struct cx_state *st, const char *backend,
    const char *ticket)
{
	sqlite3_stmt *s = ts_prep(st, "SELECT customer FROM ts_link"
	    " WHERE backend = ?1 AND ticket = ?2");
	long long c = 0;
	int rc;

	if (s == NULL)
		return 0;
	ts_bind_text(s, 1, backend);
	ts_bind_text(s, 2, ticket);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		c = sqlite3_column_int64(s, 0);
	ts_done(st, s, rc);
	return c;
}

int
ts_seen_get(struct cx_state *st, const char *backend, const char *id,
    char **status, char **updated)
{
	sqlite3_stmt *s = ts_prep(st, "SELECT status, updated FROM ts_seen"
	    " WHERE backend = ?1 AND ticket = ?2");
	int rc, r = 1;

	*status = *updated = NULL;
	if (s == NULL)
		return -1;
	ts_bind_text(s, 1, backend);
	ts_bind_text(s, 2, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(s, 0);
		const char *b = (const char *)sqlite3_column_text(s, 1);

		*status = a ? cx_xstrdup(a) : NULL;
		*updated = b ? cx_xstrdup(b) : NULL;
		r = 0;
	}
	return ts_done(st, s, rc) == 0 ? r : -1;
}

int
ts_seen_put(struct cx_state *st, const char *backend, const char *id,
    const char *status, const char *updated)
{
	sqlite3_stmt *s = ts_prep(st, "INSERT INTO ts_seen"
	    " (backend, ticket, status, updated) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (backend, ticket) DO UPDATE SET"
	    " status = excluded.status, updated = excluded.updated");

	if (s == NULL)
		return -1;
	ts_bind_text(s, 1, backend);
	ts_bind_text(s, 2, id);
	ts_bind_text(s, 3, status);
	ts_bind_text(s, 4, updated);
	return ts_done(st, s, sqlite3_step(s));
}
