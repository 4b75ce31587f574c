/* ts.h - ticket-sync's backends, identity map and shared helpers
 *
 * SPDX-License-Identifier: MIT
 * A backend is one const struct ts_backend (local.c, rt.c, zendesk.c,
 * redmine.c).  Tickets travel between main.c and a backend as jansson
 * objects in the ticket event's shape:
 *	{"id":"12","status":"open","subject":...,"url":...,"channel":...,
 *	 "created_at":"RFC 3339","updated_at":"RFC 3339"}
 * with statuses mapped to cxkit's vocabulary: new, open, pending, hold,
 * solved, closed (and "deleted" for a ticket gone from the server).
 * A pulled ticket may also carry "requester": {phone (as the system
 * keeps it), member_id, name, lang}, the customer as the ticketing
 * system knows them, which main.c turns into the event's customer (and
 * removes) when no customer of the identity map is linked to the ticket.
 *
 * Errors: a backend function returns 0, or -1 with *e filled (code from
 * record.h, a malloc'd message naming what failed, retryable).
 */
#ifndef TS_H
#define TS_H

#include <stddef.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cx.h"

struct ts_err {
	const char *code;	/* CX_E_* */
	char *msg;		/* malloc'd */
	int retryable;
};

void ts_err_set(struct ts_err *e, const char *code, int retryable,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ts_err_clear(struct ts_err *e);

/* One configured backend. */
struct ts_ctx {
	const char *name;		/* section name, "local" by default */
	const struct ts_backend *be;
	const struct cx_section *sec;	/* NULL for the default local */
	struct cx_state *st;
	char *url;			/* base URL without a trailing '/' */
	char *token, *user, *password;	/* secrets, may be NULL */
	const char *queue;		/* RT queue, Redmine project */
	const char *status_map;		/* "resolved:solved,stalled:pending" */
	long timeout_ms;
	long min_interval_ms;		/* pacing of export calls */
	int dry_run;
	int replay;		/* pull --since: comments already pulled too */
	void *priv;			/* the backend's own data */
};

/* What a push asks of a ticket. */
struct ts_new {
	const char *subject, *body, *channel, *ref;
	const char *phone, *member_id, *name;
	int public;
};

/* A pulled change, before main.c turns it into an event: the ticket as
 * it is now, and for comments the comment. */
struct ts_pulled {
	json_t *ticket;		/* with "updated_at"; owned */
	json_t *comment;	/* NULL, or {author, public, body, by_agent} */
	char *change_id;	/* stable id of this change (malloc'd) */
	char *ts;		/* time of the change (malloc'd) */
	const char *event;	/* set by the local backend; NULL: diff */
	char *prev_status;	/* local backend only (malloc'd) */
	long long seq;		/* remote comments: the comment's id on
				 * the server (> 0, growing), which main.c
				 * keeps per ticket so that each comes once */
};

struct ts_pull {
	struct ts_pulled *v;
	size_t n, cap;
	char *cursor;		/* the cursor after these changes */
	int more;		/* 1: call again with cursor */
	json_t *once;		/* NULL, or "ID UPDATED" -> updated_at of
				 * the tickets pulled: ts_pull_ticket() adds
				 * each (id, updated_at) once (the searches
				 * of rt and redmine overlap) */
};

void ts_pull_add(struct ts_pull *p, json_t *ticket, json_t *comment,
    char *change_id, char *ts);
void ts_pull_free(struct ts_pull *p);
/* Adds a changed ticket t (owned) of a remote system, its change id
 * NAME:ID:UPDATED; returns its updated_at, or NULL (t freed) when it has
 * none.  With p->once, a ticket already added with that updated_at is
 * not added again (t freed; its updated_at is still returned). */
const char *ts_pull_ticket(struct ts_ctx *c, struct ts_pull *p, json_t *t);
/* Adds a remote comment of ticket t (copied): seq its id on the server,
 * comment {author, public, body, by_agent} (owned), ts its time. */
void ts_pull_comment(struct ts_ctx *c, struct ts_pull *p, const json_t *t,
    long long seq, json_t *comment, const char *ts);
/* The highest comment id pulled of a remote ticket, 0 when none. */
long long ts_comment_hw(struct cx_state *st, const char *backend,
    const char *id);
int ts_comment_hw_put(struct cx_state *st, const char *backend,
    const char *id, long long seq);

struct ts_backend {
	const char *type;
	const char *const *keys;	/* extra config keys it accepts */
	int (*open)(struct ts_ctx *c, char **err);
	void (*close)(struct ts_ctx *c);
	/* The ticket id, or not_found. *out: new ref. */
	int (*get)(struct ts_ctx *c, const char *id, json_t **out,
	    struct ts_err *e);
	/* Creates a ticket; *out: the new ticket. */
	int (*create)(struct ts_ctx *c, const struct ts_new *n, json_t **out,
	    struct ts_err *e);
	/* Adds a comment (public: a correspondence the customer sees,
	 * by_agent: written by an agent) and/or sets the status (NULL: keep)
	 * and/or satisfaction (score < 0: none). */
	int (*update)(struct ts_ctx *c, const char *id, const char *body,
	    int public, int by_agent, const char *author, const char *status,
	    int score, int scale, struct ts_err *e);
	/* Changes after cursor (NULL: from since_ms, or the beginning). */
	int (*pull)(struct ts_ctx *c, const char *cursor, cx_ms since_ms,
	    struct ts_pull *out, struct ts_err *e);
	/* Tickets of the local store (show/list); NULL for remote ones. */
	int (*list)(struct ts_ctx *c, const char *status, int all,
	    json_t **out, struct ts_err *e);
};

extern const struct ts_backend ts_local, ts_rt, ts_zendesk, ts_redmine;

/* identity.c: the customer behind a record.  Keys: phone (E.164),
 * member (member id), im ("channel:user").  ts_identity_resolve() finds
 * the one customer the keys name, creating one when none does (create)
 * and linking the keys it did not know yet.  Returns the customer id,
 * 0 when none is known and !create, -1 with *e (ambiguous: two keys name
 * two customers; state error). */
struct ts_who {
	const char *phone, *member_id, *im, *name, *lang;
};
long long ts_identity_resolve(struct cx_state *st, const struct ts_who *w,
    int create, struct ts_err *e);
/* The customer's {phone, member_id, name, lang} (new ref), or NULL. */
json_t *ts_identity_customer(struct cx_state *st, long long cust);
/* Links a backend's ticket to a customer (and an order/reference). */
int ts_link_put(struct cx_state *st, const char *backend, const char *ticket,
    long long cust, const char *ref, const char *status);
/* The customer's latest linked ticket of backend; open_only: not solved,
 * closed or deleted.  Malloc'd id, or NULL. */
char *ts_link_latest(struct cx_state *st, const char *backend,
    long long cust, int open_only);
/* The ticket linked to a reference (an order number), or NULL. */
char *ts_link_by_ref(struct cx_state *st, const char *backend,
    const char *ref);
/* The customer a ticket is linked to, or 0. */
long long ts_link_customer(struct cx_state *st, const char *backend,
    const char *ticket);
int ts_link_status(struct cx_state *st, const char *backend,
    const char *ticket, const char *status);

/* The state store's SQLite, for identity.c and local.c: a prepared
 * statement or NULL (logged); ts_done() finalizes s after a step that
 * returned rc, 0 or -1 (logged); ts_step_done() steps once then that;
 * ts_bind_text() binds NULL for a NULL v. */
sqlite3_stmt *ts_prep(struct cx_state *st, const char *sql);
int ts_done(struct cx_state *st, sqlite3_stmt *s, int rc);
int ts_step_done(struct cx_state *st, sqlite3_stmt *s);
void ts_bind_text(sqlite3_stmt *s, int i, const char *v);

/* The last pulled state of a remote ticket: status and updated_at
 * (malloc'd), 0 when seen, 1 when never, -1 on error. */
int ts_seen_get(struct cx_state *st, const char *backend, const char *id,
    char **status, char **updated);
int ts_seen_put(struct cx_state *st, const char *backend, const char *id,
    const char *status, const char *updated);

/* Helpers for the HTTP backends (main.c). */
/* Performs req; fills *resp and *body (caller frees *body).  A transport
 * failure, 401/403, 404, 429 and 5xx become errors in *e; other statuses
 * are left to the caller.  Returns 0 (a response to look at) or -1.
 * On 429, waits Retry-After (at most 120 s) and tries once more. */
int ts_http(struct ts_ctx *c, struct cx_http_req *req,
    struct cx_http_resp *resp, char **body, struct ts_err *e);
/* Same, and *hval receives response header hdr (malloc'd or NULL;
 * *hval must be NULL or malloc'd on entry). */
int ts_http_hdr(struct ts_ctx *c, struct cx_http_req *req, const char *hdr,
    char **hval, struct cx_http_resp *resp, char **body, struct ts_err *e);
/* Performs req (freed; hdr, hval as ts_http_hdr, or NULL) and parses
 * its JSON object answer; NULL with *e set: 404 not_found ("NAME: what:
 * not found"), another status than 200 or not JSON provider_error. */
json_t *ts_fetch_json(struct ts_ctx *c, struct cx_http_req *req,
    const char *hdr, char **hval, const char *what, struct ts_err *e);
json_t *ts_get_json(struct ts_ctx *c, struct cx_http_req *req,
    const char *what, struct ts_err *e);
/* Parses a JSON body; NULL with *e set (provider_error, quoting it). */
json_t *ts_json_body(const struct cx_http_resp *resp, const char *what,
    struct ts_err *e);
/* Maps a backend status through c->status_map, then defaults
 * (pairs "from:to,..."); returns a static or borrowed string. */
const char *ts_status_map(const struct ts_ctx *c, const char *defaults,
    const char *status);
/* The text of a new ticket for a system that keeps no customer of its
 * own (rt, redmine): n->body, then "Customer: NAME, phone +86...,
 * member id M1" (the full number: agents call back from the ticket).
 * Malloc'd. */
char *ts_new_body(const struct ts_new *n);
/* A malloc'd URL-encoded copy of s. */
char *ts_urlenc(const char *s);
/* 1 when status is solved or closed (or deleted). */
int ts_status_done(const char *status);

/* The pure parsers of the API responses (fuzzed by tests/fuzz/
 * ticket_json.c).  Each takes a body, fills out, returns 0 or -1 with a
 * static reason. */
int ts_zendesk_parse_export(struct ts_ctx *c, const char *body, size_t len,
    struct ts_pull *out, const char **why);
int ts_zendesk_parse_comments(struct ts_ctx *c, const json_t *t,
    const char *body, size_t len, long long after, long long requester,
    long long me, struct ts_pull *out, char **next, const char **why);
int ts_redmine_parse_journals(struct ts_ctx *c, const json_t *t,
    const json_t *issue, long long after, struct ts_pull *out);
int ts_rt_parse_search(struct ts_ctx *c, const char *body, size_t len,
    struct ts_pull *out, int *more, const char **why);
/* (n: the issues of the page, out->cursor: the page's last updated_on,
 * if later than out->cursor) */
int ts_redmine_parse_issues(struct ts_ctx *c, const char *body, size_t len,
    struct ts_pull *out, long *total, long *n, const char **why);

#endif
