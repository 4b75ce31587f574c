/* state.h - the state store: one SQLite database shared by all programs
 *
 * SPDX-License-Identifier: MIT
 * At --state FILE, else $CXKIT_STATE, else $XDG_STATE_HOME/cxkit/state.db
 * (XDG_STATE_HOME defaults to ~/.local/state); the directory is created
 * (mode 0700).  WAL mode, synchronous=NORMAL (a committed row survives a
 * crash of the process, e.g. SIGKILL), busy_timeout 10 s, so the stages of
 * one pipeline share it safely.  The schema is versioned with PRAGMA
 * user_version: migrations in state.c run in order, each in a transaction;
 * later programs add theirs at the end of the list, never edit old ones.
 *
 * Errors: functions returning int give 0 on success and -1 on an SQLite
 * error, which they report with cx_err(); callers treat -1 as fatal for
 * the record (code state_error) or the run.
 *
 * A handle caches its prepared statements: use it from one thread at a
 * time (open one handle a thread).
 */
#ifndef CX_STATE_H
#define CX_STATE_H

#include <stdint.h>

struct cx_state;

/* Opens (creating) the database; NULL with *err set on failure. */
struct cx_state *cx_state_open(const char *path, char **err);
void cx_state_close(struct cx_state *st);
/* The database's path and directory (borrowed strings). */
const char *cx_state_path(const struct cx_state *st);
const char *cx_state_dir(const struct cx_state *st);
/* The schema version after migrations. */
int cx_state_version(struct cx_state *st);

/* The send journal: one row per (channel, id), e.g. ("sms", "r1").
 *
 * cx_journal_begin() looks the id up and, when it may be sent, records it
 * as pending (committed before it returns, so a crash after the request
 * left leaves a trace).  It returns:
 *   CX_J_NEW       recorded as pending: send it now
 *   CX_J_SENT      sent before (status sent/outbox): report duplicate
 *   CX_J_PENDING   left pending by an earlier run that crashed: report
 *                  unknown (unless resend_unknown, then it is CX_J_NEW)
 *   -1             SQLite error
 * A row whose last status was failed is sent again (CX_J_NEW); a status
 * other than pending, unknown or failed (sent, outbox, or one set later,
 * e.g. from a delivery receipt) gives CX_J_SENT.  Called inside
 * cx_state_tx(), it joins that transaction.
 * prev_provider_id, when not NULL, receives a malloc'd copy of the earlier
 * provider id (or NULL). */
enum { CX_J_NEW = 0, CX_J_SENT = 1, CX_J_PENDING = 2 };
int cx_journal_begin(struct cx_state *st, const char *chan, const char *id,
    const char *to, const char *provider, int resend_unknown,
    char **prev_provider_id);
/* Records the final status ("sent", "failed", "unknown", "outbox") and
 * the provider's message id (may be NULL). */
int cx_journal_end(struct cx_state *st, const char *chan, const char *id,
    const char *status, const char *provider_id);
/* The journalled status of (chan, id) as a malloc'd string, or NULL. */
char *cx_journal_status(struct cx_state *st, const char *chan,
    const char *id);

/* Opt-outs: address is an E.164 number or an IM address; chan is "sms",
 * "im" or "*" (all channels).  cx_optout_check() returns 1 when address
 * has opted out on chan or on "*", 0 when not, -1 on error. */
int cx_optout_check(struct cx_state *st, const char *address,
    const char *chan);
/* Records an opt-out (on=1) or an opt-in (on=0, removes it; an opt-in on
 * "*" removes the opt-outs of every channel).  source is a free text
 * (e.g. the inbound message id); may be NULL. */
int cx_optout_set(struct cx_state *st, const char *address, const char *chan,
    int on, const char *source);

/* A small key-value store with optional expiry, for tokens, cursors and
 * cooldowns: ns is the owner ("im-send.token"), key its key.
 * cx_kv_get() returns a malloc'd value or NULL (absent or expired).
 * expires is a Unix time, 0 for never. */
char *cx_kv_get(struct cx_state *st, const char *ns, const char *key);
int cx_kv_put(struct cx_state *st, const char *ns, const char *key,
    const char *value, int64_t expires);
int cx_kv_del(struct cx_state *st, const char *ns, const char *key);
/* Calls fn(key, value, arg) for each unexpired key of ns (no set order;
 * fn returning -1 stops the walk).  Returns 0, or -1 on an SQLite error.
 * For a program that keeps a namespace in memory for a run. */
int cx_kv_each(struct cx_state *st, const char *ns,
    int (*fn)(const char *key, const char *value, void *arg), void *arg);

/* Runs fn inside one transaction (BEGIN IMMEDIATE ... COMMIT); returns
 * fn's result, rolling back when it is -1 (and -1 when COMMIT fails).
 * Inside another cx_state_tx(), fn simply runs in the outer one. */
int cx_state_tx(struct cx_state *st, int (*fn)(struct cx_state *, void *),
    void *arg);

/* The raw handle, for modules that own their tables (sqlite3 *). */
void *cx_state_db(struct cx_state *st);

#endif
