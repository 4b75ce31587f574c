/* state.c - the state store: one SQLite database shared by all programs
 *
 * SPDX-License-Identifier: MIT
 * Statements are prepared once per handle and reset after each use:
 * sms-send calls cx_journal_begin()/cx_journal_end() once per message and
 * must keep up with >10,000 messages a second.  So a handle belongs to one
 * thread at a time.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "state.h"
#include "xwrap.h"

/*
 * The schema, one migration an entry, applied in order; user_version is
 * the number applied.  Later programs append theirs: never edit or
 * reorder an entry once released.
 */
static const char *const migrations[] = {
	/* 1: send journal, opt-outs, key-value store */
	"CREATE TABLE journal ("
	"  chan TEXT, id TEXT, status TEXT NOT NULL, dest TEXT,"
	"  provider TEXT, provider_id TEXT, created INTEGER, updated INTEGER,"
	"  PRIMARY KEY (chan, id)) WITHOUT ROWID;"
	"CREATE TABLE optout ("
	"  address TEXT, chan TEXT, created INTEGER, source TEXT,"
	"  PRIMARY KEY (address, chan));"
	"CREATE TABLE kv ("
	"  ns TEXT, key TEXT, value TEXT, expires INTEGER,"
	"  PRIMARY KEY (ns, key));",
	/* queue-notify: follow-ups (abandon, timeout, missed) not yet due,
	 * one per caller and reason; request is the JSON to write when due
	 * (ms since the epoch); and the calls waiting, for a restart */
	"CREATE TABLE queue_pending ("
	"  caller TEXT, reason TEXT, due INTEGER NOT NULL, call_id TEXT,"
	"  queue TEXT, request TEXT NOT NULL, created INTEGER,"
	"  PRIMARY KEY (caller, reason));"
	/* queue-notify: the calls waiting in a queue (the caller's number
	 * is only on the call's first queue_log line) */
	"CREATE TABLE queue_calls ("
	"  call_id TEXT PRIMARY KEY, caller TEXT, queue TEXT, topic TEXT,"
	"  entered INTEGER, position INTEGER);",
	/* ticket-sync: customers and their identities (phone, member id, IM
	 * id), the tickets linked to them in each backend, the last pulled
	 * state of remote tickets, and the local backend's tickets,
	 * comments and change log (whose seq is the local pull cursor). */
	"CREATE TABLE ts_customer ("
	"  id INTEGER PRIMARY KEY, name TEXT, lang TEXT, created INTEGER);"
	"CREATE TABLE ts_identity ("
	"  kind TEXT, value TEXT, customer INTEGER NOT NULL,"
	"  PRIMARY KEY (kind, value)) WITHOUT ROWID;"
	"CREATE TABLE ts_link ("
	"  backend TEXT, ticket TEXT, customer INTEGER, ref TEXT,"
	"  status TEXT, updated INTEGER, PRIMARY KEY (backend, ticket));"
	"CREATE INDEX ts_link_customer ON ts_link (backend, customer);"
	"CREATE INDEX ts_link_ref ON ts_link (backend, ref);"
	"CREATE TABLE ts_seen ("
	"  backend TEXT, ticket TEXT, status TEXT, updated TEXT,"
	"  PRIMARY KEY (backend, ticket)) WITHOUT ROWID;"
	"CREATE TABLE ts_ticket ("
	"  id INTEGER PRIMARY KEY, subject TEXT, status TEXT NOT NULL,"
	"  channel TEXT, customer INTEGER, ref TEXT, satisfaction INTEGER,"
	"  sat_scale INTEGER, created INTEGER, updated INTEGER);"
	"CREATE TABLE ts_comment ("
	"  id INTEGER PRIMARY KEY, ticket INTEGER NOT NULL, author TEXT,"
	"  public INTEGER, by_agent INTEGER, body TEXT, created INTEGER);"
	"CREATE TABLE ts_change ("
	"  seq INTEGER PRIMARY KEY, ticket INTEGER NOT NULL, ts INTEGER,"
	"  event TEXT, prev_status TEXT, status TEXT, comment INTEGER);",
	/* queue-notify: cooldowns, one row a message, in the order made,
	 * so that each is an append (they were the kv namespace
	 * queue-notify.cooldown: a random B-tree upsert a message); a key's
	 * last row counts; expires (s since the epoch) for the sweep */
	"CREATE TABLE queue_cooldown ("
	"  key TEXT NOT NULL, at INTEGER NOT NULL, expires INTEGER);"
	"CREATE INDEX queue_cooldown_expires ON queue_cooldown (expires);"
	"INSERT INTO queue_cooldown (key, at, expires)"
	"  SELECT key, CAST(value AS INTEGER), expires FROM kv"
	"  WHERE ns = 'queue-notify.cooldown' ORDER BY CAST(value AS INTEGER);"
	"DELETE FROM kv WHERE ns = 'queue-notify.cooldown';",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* The cached statements. */
enum {
	S_BEGIN, S_COMMIT, S_ROLLBACK,
	S_J_GET, S_J_INSERT, S_J_RESTART, S_J_END, S_J_STATUS,
	S_O_CHECK, S_O_SET, S_O_DEL, S_O_DEL_ALL,
	S_KV_GET, S_KV_PUT, S_KV_DEL, S_KV_DEL_EXPIRED,
	S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_J_GET] = "SELECT status, provider_id FROM journal"
	    " WHERE chan = ?1 AND id = ?2",
	[S_J_INSERT] = "INSERT INTO journal"
	    " (chan, id, status, dest, provider, created, updated)"
	    " VALUES (?1, ?2, 'pending', ?3, ?4, ?5, ?5)",
	[S_J_RESTART] = "UPDATE journal SET status = 'pending', dest = ?3,"
	    " provider = ?4, updated = ?5 WHERE chan = ?1 AND id = ?2",
	[S_J_END] = "INSERT INTO journal"
	    " (chan, id, status, provider_id, created, updated)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
	    " ON CONFLICT (chan, id) DO UPDATE SET status = excluded.status,"
	    " provider_id = excluded.provider_id, updated = excluded.updated",
	[S_J_STATUS] = "SELECT status FROM journal WHERE chan = ?1 AND id = ?2",
	[S_O_CHECK] = "SELECT 1 FROM optout WHERE address = ?1"
	    " AND chan IN (?2, '*') LIMIT 1",
	[S_O_SET] = "INSERT INTO optout (address, chan, created, source)"
	    " VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (address, chan) DO UPDATE SET"
	    " created = excluded.created, source = excluded.source",
	[S_O_DEL] = "DELETE FROM optout WHERE address = ?1 AND chan = ?2",
	[S_O_DEL_ALL] = "DELETE FROM optout WHERE address = ?1",
	[S_KV_GET] = "SELECT value, expires FROM kv WHERE ns = ?1 AND key = ?2",
	[S_KV_PUT] = "INSERT INTO kv (ns, key, value, expires)"
	    " VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value,"
	    " expires = excluded.expires",
	[S_KV_DEL] = "DELETE FROM kv WHERE ns = ?1 AND key = ?2",
	[S_KV_DEL_EXPIRED] = "DELETE FROM kv WHERE ns = ?1 AND key = ?2"
	    " AND expires > 0 AND expires <= ?3",
};

struct cx_state {
	sqlite3 *db;
	char *path, *dir;
	int version;
	sqlite3_stmt *stmt[S_COUNT];
};

static int
fail(struct cx_state *st)
{
	cx_err(NULL, "state: %s: %s", st->path, sqlite3_errmsg(st->db));
	return -1;
}

/* The cached statement i, reset and unbound; NULL (reported) on error. */
static sqlite3_stmt *
stmt(struct cx_state *st, int i)
{
	sqlite3_stmt *s = st->stmt[i];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			fail(st);
			return NULL;
		}
		st->stmt[i] = s;
	}
	return s;
}

/* Runs a statement expected to return no row; resets it. */
static int
run(struct cx_state *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(st);
	return 0;
}

static void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static int
bind2(struct cx_state *st, int i, const char *a, const char *b,
    sqlite3_stmt **out)
{
	if ((*out = stmt(st, i)) == NULL)
		return -1;
	bind_text(*out, 1, a);
	bind_text(*out, 2, b);
	return 0;
}

/* BEGIN IMMEDIATE, unless a transaction is already open (cx_state_tx):
 * *began says which, for tx_end(). */
static int
tx_begin(struct cx_state *st, int *began)
{
	sqlite3_stmt *s;

	*began = 0;
	if (!sqlite3_get_autocommit(st->db))
		return 0;
	if ((s = stmt(st, S_BEGIN)) == NULL || run(st, s) == -1)
		return -1;
	*began = 1;
	return 0;
}

/* COMMIT (ok) or ROLLBACK (!ok) what tx_begin() began. */
static int
tx_end(struct cx_state *st, int began, int ok)
{
	sqlite3_stmt *s;

	if (!began)
		return ok ? 0 : -1;
	if (ok) {
		if ((s = stmt(st, S_COMMIT)) != NULL && run(st, s) == 0)
			return 0;
	}
	/* After a failed COMMIT the transaction may still be open. */
	if (!sqlite3_get_autocommit(st->db) &&
	    (s = stmt(st, S_ROLLBACK)) != NULL)
		run(st, s);
	return -1;
}

/* The first path that applies: explicit, $CXKIT_STATE, XDG, ~/.local. */
static char *
state_path(const char *path)
{
	const char *e;

	if (path != NULL && *path != '\0')
		return cx_xstrdup(path);
	if ((e = getenv("CXKIT_STATE")) != NULL && *e != '\0')
		return cx_xstrdup(e);
	if ((e = getenv("XDG_STATE_HOME")) != NULL && *e == '/')
		return cx_xasprintf("%s/cxkit/state.db", e);
	if ((e = getenv("HOME")) != NULL && *e != '\0')
		return cx_xasprintf("%s/.local/state/cxkit/state.db", e);
	return NULL;
}

/* mkdir -p dir, creating missing components with mode 0700. */
static int
mkdirs(const char *dir)
{
	char *p = cx_xstrdup(dir), *s;
	struct stat sb;
	int r = 0, last;

	for (s = p + 1; r == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		last = *s == '\0';
		*s = '\0';
		if (mkdir(p, 0700) == -1 && (errno != EEXIST ||
		    stat(p, &sb) == -1 || !S_ISDIR(sb.st_mode))) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			r = -1;
		}
		if (last)
			break;
		*s = '/';
	}
	free(p);
	return r;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return cx_xstrdup(".");
	if (slash == path)
		return cx_xstrdup("/");
	return cx_xstrndup(path, (size_t)(slash - path));
}

static int
get_version(struct cx_state *st, int *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Applies the missing migrations, each with its user_version bump in one
 * transaction; the version is read again inside it, so two processes
 * opening a new database at once apply each migration once. */
static int
migrate(struct cx_state *st)
{
	char *bump;
	int v, rc;

	if (get_version(st, &v) == -1)
		return -1;
	while (v < NMIGRATIONS) {
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL) != SQLITE_OK)
			return -1;
		if (get_version(st, &v) == -1)
			goto rollback;
		if (v >= NMIGRATIONS) {
			sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
			break;
		}
		if (sqlite3_exec(st->db, migrations[v], NULL, NULL,
		    NULL) != SQLITE_OK)
			goto rollback;
		bump = cx_xasprintf("PRAGMA user_version = %d", v + 1);
		rc = sqlite3_exec(st->db, bump, NULL, NULL, NULL);
		free(bump);
		if (rc != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) !=
		    SQLITE_OK)
			goto rollback;
		v++;
	}
	st->version = v;
	return 0;
rollback:
	/* Keep the first error's message: ROLLBACK would replace it. */
	{
		char *msg = cx_xstrdup(sqlite3_errmsg(st->db));

		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		cx_err(NULL, "state: %s: migration %d: %s", st->path, v + 1,
		    msg);
		free(msg);
	}
	return -2;
}

/* Switching a new database to WAL takes an exclusive lock, and when two
 * processes open the same new file at once SQLite may answer BUSY at once
 * rather than call the busy handler (it would deadlock otherwise): so the
 * switch is tried again, for as long as the busy timeout. */
static int
set_wal(struct cx_state *st)
{
	sqlite3_stmt *s;
	int rc, wal = 0;

	for (int tries = 0;; tries++) {
		if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1,
		    &s, NULL) != SQLITE_OK)
			rc = sqlite3_errcode(st->db);
		else {
			rc = sqlite3_step(s);
			if (rc == SQLITE_ROW)
				wal = strcmp((const char *)
				    sqlite3_column_text(s, 0), "wal") == 0;
			sqlite3_finalize(s);
		}
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		if (tries >= 500)	/* 500 x 20 ms: the busy timeout */
			return -1;
		sqlite3_sleep(20);
	}
	return rc == SQLITE_ROW && wal ? 0 : -1;
}

struct cx_state *
cx_state_open(const char *path, char **err)
{
	struct cx_state *st;
	char *file;
	int rc;

	*err = NULL;
	if ((file = state_path(path)) == NULL) {
		*err = cx_xstrdup("state: no --state, $CXKIT_STATE, "
		    "$XDG_STATE_HOME or $HOME");
		return NULL;
	}
	st = cx_xcalloc(1, sizeof(*st));
	st->path = file;
	st->dir = dir_of(file);
	if (mkdirs(st->dir) == -1) {
		*err = cx_xasprintf("state: %s: %s", st->dir, strerror(errno));
		goto fail;
	}
	rc = sqlite3_open_v2(file, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto sqlfail;
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 10000);
	if (set_wal(st) == -1) {
		if (sqlite3_errcode(st->db) == SQLITE_OK)
			*err = cx_xasprintf("state: %s: cannot use WAL mode",
			    file);
		goto sqlfail;
	}
	if (sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL;"
	    "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlfail;
	rc = migrate(st);
	if (rc == -2) {
		*err = cx_xasprintf("state: %s: cannot update the schema",
		    file);
		goto fail;
	}
	if (rc == -1)
		goto sqlfail;
	return st;
sqlfail:
	if (*err == NULL)
		*err = cx_xasprintf("state: %s: %s", file, st->db ?
		    sqlite3_errmsg(st->db) : "out of memory");
fail:
	cx_state_close(st);
	return NULL;
}

void
cx_state_close(struct cx_state *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		cx_err(NULL, "state: %s: %s", st->path,
		    sqlite3_errmsg(st->db));
	free(st->path);
	free(st->dir);
	free(st);
}

const char *
cx_state_path(const struct cx_state *st)
{
	return st->path;
}

const char *
cx_state_dir(const struct cx_state *st)
{
	return st->dir;
}

int
cx_state_version(struct cx_state *st)
{
	return st->version;
}

void *
cx_state_db(struct cx_state *st)
{
	return st->db;
}

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? cx_xstrdup((const char *)t) : NULL;
}

/*
 * Statuses: pending (begun, outcome not yet known), sent, outbox, failed,
 * unknown.  A status this code does not know (say "delivered", from a
 * receipt) counts as sent: never risk sending twice.
 */
int
cx_journal_begin(struct cx_state *st, const char *chan, const char *id,
    const char *to, const char *provider, int resend_unknown,
    char **prev_provider_id)
{
	sqlite3_stmt *s;
	const char *status;
	char *prev = NULL;
	int began, rc, r = -1;

	if (prev_provider_id != NULL)
		*prev_provider_id = NULL;
	if (tx_begin(st, &began) == -1)
		return -1;
	if (bind2(st, S_J_GET, chan, id, &s) == -1)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		done(s);
		if (bind2(st, S_J_INSERT, chan, id, &s) == -1)
			goto out;
		bind_text(s, 3, to);
		bind_text(s, 4, provider);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
		if (run(st, s) == 0)
			r = CX_J_NEW;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		fail(st);
		done(s);
		goto out;
	}
	status = (const char *)sqlite3_column_text(s, 0);
	prev = col_dup(s, 1);
	if (strcmp(status, "failed") == 0)
		r = CX_J_NEW;
	else if (strcmp(status, "pending") == 0 ||
	    strcmp(status, "unknown") == 0)
		r = resend_unknown ? CX_J_NEW : CX_J_PENDING;
	else
		r = CX_J_SENT;
	done(s);
	if (r == CX_J_NEW) {
		if (bind2(st, S_J_RESTART, chan, id, &s) == -1) {
			r = -1;
			goto out;
		}
		bind_text(s, 3, to);
		bind_text(s, 4, provider);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
		if (run(st, s) == -1)
			r = -1;
	}
out:
	if (tx_end(st, began, r != -1) == -1)
		r = -1;
	if (r != -1 && prev_provider_id != NULL)
		*prev_provider_id = prev;
	else
		free(prev);
	return r;
}

int
cx_journal_end(struct cx_state *st, const char *chan, const char *id,
    const char *status, const char *provider_id)
{
	sqlite3_stmt *s;

	if (bind2(st, S_J_END, chan, id, &s) == -1)
		return -1;
	bind_text(s, 3, status);
	bind_text(s, 4, provider_id);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
	return run(st, s);
}

char *
cx_journal_status(struct cx_state *st, const char *chan, const char *id)
{
	sqlite3_stmt *s;
	char *v = NULL;
	int rc;

	if (bind2(st, S_J_STATUS, chan, id, &s) == -1)
		return NULL;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		v = col_dup(s, 0);
	else if (rc != SQLITE_DONE)
		fail(st);
	done(s);
	return v;
}

int
cx_optout_check(struct cx_state *st, const char *address, const char *chan)
{
	sqlite3_stmt *s;
	int rc, r;

	if (bind2(st, S_O_CHECK, address, chan, &s) == -1)
		return -1;
	rc = sqlite3_step(s);
	r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : fail(st);
	done(s);
	return r;
}

/* An opt-in on "*" removes the opt-outs of every channel. */
int
cx_optout_set(struct cx_state *st, const char *address, const char *chan,
    int on, const char *source)
{
	sqlite3_stmt *s;

	if (!on && strcmp(chan, "*") == 0) {
		if ((s = stmt(st, S_O_DEL_ALL)) == NULL)
			return -1;
		bind_text(s, 1, address);
		return run(st, s);
	}
	if (bind2(st, on ? S_O_SET : S_O_DEL, address, chan, &s) == -1)
		return -1;
	if (on) {
		sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
		bind_text(s, 4, source);
	}
	return run(st, s);
}

char *
cx_kv_get(struct cx_state *st, const char *ns, const char *key)
{
	sqlite3_stmt *s;
	sqlite3_int64 expires, now;
	char *v = NULL;
	int rc, expired = 0;

	if (bind2(st, S_KV_GET, ns, key, &s) == -1)
		return NULL;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		expires = sqlite3_column_int64(s, 1);
		now = (sqlite3_int64)time(NULL);
		if (expires > 0 && expires <= now)
			expired = 1;
		else
			v = col_dup(s, 0);
	} else if (rc != SQLITE_DONE) {
		fail(st);
	}
	done(s);
	if (expired && bind2(st, S_KV_DEL_EXPIRED, ns, key, &s) == 0) {
		/* Tidy up; a failure here changes nothing for the caller. */
		sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
		sqlite3_step(s);
		done(s);
	}
	return v;
}

int
cx_kv_put(struct cx_state *st, const char *ns, const char *key,
    const char *value, int64_t expires)
{
	sqlite3_stmt *s;

	if (bind2(st, S_KV_PUT, ns, key, &s) == -1)
		return -1;
	bind_text(s, 3, value);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)expires);
	return run(st, s);
}

int
cx_kv_del(struct cx_state *st, const char *ns, const char *key)
{
	sqlite3_stmt *s;

	if (bind2(st, S_KV_DEL, ns, key, &s) == -1)
		return -1;
	return run(st, s);
}

/* Inside an open transaction, fn simply runs in it (no nesting). */
int
cx_state_tx(struct cx_state *st, int (*fn)(struct cx_state *, void *),
    void *arg)
{
	int began, r;

	if (tx_begin(st, &began) == -1)
		return -1;
	r = fn(st, arg);
	if (tx_end(st, began, r != -1) == -1)
		return -1;
	return r;
}

/* Calls fn for each unexpired key of namespace ns, in no set order;
 * stops when fn returns -1. */
int
cx_kv_each(struct cx_state *st, const char *ns,
    int (*fn)(const char *key, const char *value, void *arg), void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT key, value FROM kv WHERE"
	    " ns = ?1 AND (expires IS NULL OR expires = 0 OR expires > ?2)",
	    -1, &s, NULL) != SQLITE_OK)
		return fail(st);
	sqlite3_bind_text(s, 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 1);

		if (k && v && fn(k, v, arg) == -1)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return fail(st);
	}
	sqlite3_finalize(s);
	return 0;
}
