/* sendq.h - the loop every sender shares: read, prepare, send, write in order
 *
 * SPDX-License-Identifier: MIT
 * sms-send and im-send differ in how a record becomes requests; the rest
 * is this loop, on the engine of dispatch.h:
 *   - records are read while the queue has room and the engine has at most
 *     2 x concurrency jobs waiting; every record admitted in one pass is
 *     prepared inside one state-store transaction, so the journal rows its
 *     requests begin are committed before any request leaves;
 *   - records are written in input order, each once it and those before
 *     it are done, after their journal rows are made final (one
 *     transaction a batch): stdout never says "sent" before the journal;
 *   - stdout is flushed before the loop would wait for input;
 *   - SIGINT/SIGTERM: stop reading, finish what is in flight, exit status
 *     2 (a second signal ends the process at once).
 */
#ifndef CX_SENDQ_H
#define CX_SENDQ_H

#include <argp.h>

#include <jansson.h>

#include "config.h"
#include "dispatch.h"
#include "ndjson.h"
#include "record.h"
#include "state.h"

struct cx_sendq;
struct cx_jrow;

/* The options every sender takes, from one argp child (like the common
 * ones): --via, -t/--template, --rate, --concurrency, --retries,
 * --timeout, --allow-sensitive, --resend-unknown.  A program embeds the
 * struct in its options, lists cx_send_children (the sending child, then
 * the common one) in its argp, and in ARGP_KEY_INIT sets
 * child_inputs[0] = &o->send, child_inputs[1] = &o->common.  Defaults:
 * concurrency 8, retries 3; rate and timeout_s 0 mean "the provider's". */
struct cx_send_opts {
	const char *via, *tmpl;
	long concurrency, retries;
	double rate, timeout_s;
	int allow_sensitive, resend_unknown;
};
extern const struct argp cx_send_argp;
extern const struct argp_child cx_send_children[];

struct cx_sendq_item {
	struct cx_sendq_item *next;
	struct cx_sendq *q;
	json_t *rec;		/* the record (owned) */
	unsigned long lineno;
	char id[CX_ID_MAX];	/* cx_rec_id() of the record */
	json_t *res;		/* the result object, written under the
				 * channel's key ("sms", "im") */
	int done;
	struct cx_jrow *rows;	/* journal rows begun for this record */
	int nrows;
	void *udata;		/* the program's per-record data */
};

struct cx_sendq_ops {
	const char *chan;	/* journal channel and result key */
	/* Called for each record read, inside the batch transaction: either
	 * finish the item (cx_sendq_finish) or add jobs to the engine and
	 * finish it from their done(). */
	void (*prepare)(struct cx_sendq_item *it, void *arg);
	/* Frees it->udata once the record is written (may be NULL). */
	void (*release)(struct cx_sendq_item *it, void *arg);
};

/* A [provider NAME] section of a sender, read and checked. */
struct cx_send_conf {
	const char *name, *type;
	const char *base_url, *from, *to, *proxy;	/* NULL when absent */
	double rate;		/* --rate, else `rate`, else -1 (absent) */
	long timeout_ms;	/* --timeout, else `timeout`, else 30 s */
};

/* The next [provider NAME] section of cfg after prev (NULL: the first)
 * whose type belongs to chan ("sms" or "im", cx_provider_channel()); the
 * other channel's sections are skipped.  A section without a name or a
 * type, or of a type no program knows, ends the program with status 2
 * and "FILE:LINE: ...". */
const struct cx_section *cx_send_next(const struct cx_config *cfg,
    const char *chan, const struct cx_section *prev);
/* Reads s: its keys must be in common or own (NULL-terminated lists;
 * own may be NULL); rate and timeout are parsed, the options in so win.
 * Exits with status 2 on an error, naming file, line and key. */
void cx_send_conf(const struct cx_section *s, const char *const *common,
    const char *const *own, const struct cx_send_opts *so,
    struct cx_send_conf *c);
/* Exits with status 2 when --via names no section of chan in cfg
 * ("outbox" always exists). */
void cx_send_check_via(const struct cx_config *cfg, const char *chan,
    const char *via);

/* A new loop over st and d; concurrency sizes the queue. */
struct cx_sendq *cx_sendq_new(const struct cx_sendq_ops *ops, void *arg,
    struct cx_state *st, struct cx_dispatch *d, int concurrency);
/* Reads every record of in and writes it; returns when all are written
 * (or a signal stopped the input, or stdout closed). */
void cx_sendq_run(struct cx_sendq *q, struct cx_ndjson_in *in);
void cx_sendq_free(struct cx_sendq *q);

/* "<stdin>:LINE" of the item, in a static buffer. */
const char *cx_sendq_where(const struct cx_sendq_item *it);

/* Ends the item with status.  With code, adds error {code, message,
 * retryable} to the result and logs it (a warning for failed and
 * unknown, else at -v).  failed and unknown make the exit status 1. */
void cx_sendq_finish(struct cx_sendq_item *it, const char *status,
    const char *code, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Begins the journal row key ("ID", or "ID#2" for a part) as
 * cx_journal_begin() does; returns CX_J_* or -1.  A row begun CX_J_NEW
 * is made final when the record is written, with the status of
 * cx_sendq_journal_end() ("failed" when none was given). */
int cx_sendq_journal_begin(struct cx_sendq_item *it, const char *key,
    const char *to, const char *provider, int resend_unknown, char **prev);
void cx_sendq_journal_end(struct cx_sendq_item *it, const char *key,
    const char *status, const char *provider_id);

/* 1 when another record with the same id is queued. */
int cx_sendq_duplicate(const struct cx_sendq_item *it);

/* Appends line (one JSON object) to the outbox: path, or
 * STATEDIR/outbox/CHAN.ndjson (one open file a path); says once on
 * stderr where it goes when tell is set (nothing is configured).
 * Returns 0 or -1 (errno set). */
int cx_sendq_outbox(struct cx_sendq *q, const char *path, int tell,
    const json_t *line);

/* Records finished: sent (or outbox), failed or unknown, and the rest. */
void cx_sendq_counts(const struct cx_sendq *q, unsigned long *sent,
    unsigned long *failed, unsigned long *other);

#endif
