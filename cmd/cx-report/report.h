/* report.h - cx-report's parts: classifier, aggregates, sketch, output
 *
 * SPDX-License-Identifier: MIT
 * The flow: a line of input -> rp_classify() -> a compact struct rp_ev
 * (no JSON left in it) -> rp_apply() updates the aggregates (struct rp_agg)
 * -> rp_finish() closes what is still open -> rp_build() computes the
 * metrics into tables (struct rp_report) -> one of the writers.
 * Parsing and classifying may run on several threads (--jobs); applying
 * always runs on one, in input order, so the result does not depend on
 * --jobs.  --partial writes struct rp_agg as JSON, --merge reads it back.
 */
#ifndef CX_REPORT_H
#define CX_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cx.h"

/* ---- sketch.c: a mergeable quantile sketch (DDSketch) ---- */

/* Relative accuracy: every quantile is within 1 % of a value of the
 * data's at that rank (see sketch.c). */
#define RP_SKETCH_ALPHA 0.01

struct rp_sketch {
	uint64_t *c;		/* counts of buckets [lo, lo + n) */
	int lo, n;
	uint64_t zero;		/* values <= RP_SKETCH_MIN */
	uint64_t total;
};

void rp_sketch_add(struct rp_sketch *s, double v, int64_t w);
void rp_sketch_merge(struct rp_sketch *into, const struct rp_sketch *from);
/* The q-quantile (0 <= q <= 1), NAN when empty. */
double rp_sketch_quantile(const struct rp_sketch *s, double q);
void rp_sketch_free(struct rp_sketch *s);
json_t *rp_sketch_to_json(const struct rp_sketch *s);
int rp_sketch_from_json(struct rp_sketch *s, const json_t *j);

/* ---- options and configuration ---- */

enum rp_by {
	BY_CHANNEL, BY_QUEUE, BY_PROVIDER, BY_INTENT, BY_AGENT, BY_TEMPLATE,
	BY_DAY, BY_HOUR, BY_WEEK, BY_N
};
extern const char *const rp_by_names[BY_N];

enum rp_sl { SL_ICMI = 1, SL_ANSWERED, SL_OFFERED, SL_NEUTRAL, SL_SHORT };
extern const char *const rp_sl_names[];	/* index by enum rp_sl */

struct rp_price {
	char *name;		/* provider or channel */
	double price;
};

struct rp_conf {
	int by[BY_N], nby;	/* --by, in the order given */
	int64_t from, to;	/* ms, INT64_MIN / INT64_MAX when not set */
	const char *tz;
	double short_abandon;	/* s; 0: no exclusion */
	double sl_t;		/* service level threshold, s */
	int sl_formula;
	int timeout_abandon;	/* timeouts count as abandons */
	double repeat_s;	/* repeat-contact window, s */
	int uncensored;		/* count contacts whose window is still open */
	int delivery_sent;	/* delivery rate over sent, not receipts */
	int resolution_full;	/* resolution to the latest solve */
	int replies_any;	/* automated sends end a wait too */
	int dedup;		/* drop repeated (call_id, event, ts) */
	double conv_gap;	/* a conversation's silence limit, s */
	int top;		/* rows of the ranked lists */
	int show_pii;
	/* [report] */
	double price;		/* default price per segment */
	struct rp_price *prices;
	int nprices;
	const char *currency;
	/* [sla] */
	double sla_phone, sla_online, sla_ticket;
	int work_start, work_end;	/* minutes after local midnight */
};

/* ---- agg.c: classifier and aggregates ---- */

enum rp_kind {
	K_NONE, K_QUEUE, K_RESULT, K_INBOUND, K_RECEIPT, K_TICKET, K_UNKNOWN
};
enum rp_qev {
	Q_ENTER, Q_POSITION, Q_ABANDON, Q_TIMEOUT, Q_CONNECT, Q_COMPLETE,
	Q_MISSED, Q_CALLBACK, Q_N
};
enum rp_status {
	S_SENT, S_OUTBOX, S_FAILED, S_UNKNOWN, S_SUPPRESSED, S_DEFERRED,
	S_DUPLICATE, S_DRY_RUN, S_N
};
enum rp_dlr { D_DELIVERED, D_UNDELIVERED, D_FAILED, D_N };
enum rp_tev { T_CREATED, T_UPDATED, T_SOLVED, T_REOPENED, T_COMMENT, T_N };

#define RP_NOTIME INT64_MIN

/* One classified record; strings point into the chunk's string store. */
struct rp_ev {
	uint8_t kind, sub;
	uint8_t by_agent, public_, notice, has_wait, csat_scale;
	int8_t csat_score, satisfied;	/* -1 when absent */
	int8_t optout, contact;
	int64_t ts;		/* ms */
	int64_t created;	/* ticket's created_at, ms, or RP_NOTIME */
	double wait, talk;	/* s */
	int segments;
	uint64_t cust;		/* hash of the customer, 0 when none */
	uint64_t ticket;	/* hash of the ticket id, 0 when none */
	uint64_t dup;		/* queue event: hash of call_id, event, ts
				 * (0 without call_id or ts) */
	const char *key[BY_N];	/* group values (day/hour/week: NULL) */
	const char *code;	/* error code (results, receipts) */
	const char *status;	/* ticket status */
	unsigned long line;
};

/* Strings of a chunk of events: blocks that never move, freed at once. */
struct rp_strs {
	char **blk;
	int nblk, capblk;
	size_t used, cap;	/* in the last block */
};
const char *rp_strs_dup(struct rp_strs *st, const char *s, size_t n);
void rp_strs_reset(struct rp_strs *st);

/* ---- scan.c: the fields the classifier reads ---- */

/* What rp_classify() reads of a record, and nothing else: the value (or
 * absence) at each of these paths.  Children of a path are filled only
 * when it is an object. */
enum rp_fid {
	F_TS, F_SMS, F_IM, F_EVENT, F_STATUS, F_CHANNEL, F_PROVIDER,
	F_ERROR_CODE, F_TICKET, F_FROM, F_TEXT, F_INTENT, F_TEMPLATE, F_TO,
	F_QUEUE, F_WAIT_S, F_TALK_S, F_AGENT, F_CALLER, F_COMMENT, F_CALL_ID,
	/* sms.*, then im.* in the same order (R_* offsets) */
	F_SMS_STATUS, F_SMS_COUNT, F_SMS_PROVIDER, F_SMS_ERROR, F_SMS_TO,
	F_SMS_ERROR_CODE,
	F_IM_STATUS, F_IM_COUNT, F_IM_PROVIDER, F_IM_ERROR, F_IM_TO,
	F_IM_ERROR_CODE,
	F_QUEUE_QUEUE,
	F_T_ID, F_T_CREATED_AT, F_T_STATUS, F_T_CHANNEL, F_T_CUSTOMER,
	F_T_C_PHONE, F_T_C_MEMBER_ID,
	F_CM_BY_AGENT, F_CM_PUBLIC, F_CM_AUTHOR,
	F_IN_NAME, F_IN_ENTITIES, F_IN_E_SATISFIED, F_IN_E_SCORE,
	F_IN_E_SCALE,
	F_N
};
enum { R_STATUS, R_COUNT, R_PROVIDER, R_ERROR, R_TO, R_ERROR_CODE };

enum rp_fty {
	FT_ABSENT, FT_NULL, FT_TRUE, FT_FALSE, FT_INT, FT_REAL, FT_STR,
	FT_OBJ, FT_ARR
};

struct rp_fv {
	uint8_t t;		/* FT_* */
	int64_t i;		/* FT_INT */
	double d;		/* FT_INT (as double) and FT_REAL */
	const char *s;		/* FT_STR: NUL-terminated, no NUL inside */
	size_t n;		/* its length */
};

struct rp_fields {
	struct rp_fv v[F_N];
};

/* The fields of a parsed object (strings point into rec). */
void rp_fields_from_json(const json_t *rec, struct rp_fields *f);
/* The fields of the line p[0..n) read without building a tree: 1 when
 * the line is an object jansson would read as such (json_loadb, flags 0)
 * and *f holds exactly what rp_fields_from_json() would give; 0 when not
 * sure (invalid JSON, not an object, escapes in keys, duplicate keys
 * that matter, huge numbers, deep nesting, ...): then read the line with
 * jansson.  Strings are decoded into scratch, which must hold 2 * n + 64
 * bytes. */
int rp_scan(const char *p, size_t n, struct rp_fields *f, char *scratch);

/* Classifies the fields f of a record into *ev, as rp_classify(). */
int rp_classify_fields(const struct rp_fields *f, struct rp_ev *ev,
    struct rp_strs *st, const char **err);

/* Classifies rec into *ev.  Returns K_* (K_UNKNOWN for a shape no rule
 * knows), or -1 with *err (a static message naming the field) for a
 * record of a known shape with a bad field. */
int rp_classify(const json_t *rec, struct rp_ev *ev, struct rp_strs *st,
    const char **err);

/* Per-group sums. */
struct rp_group {
	char *key;		/* the --by values, '\x1f'-separated */
	/* hotline */
	uint64_t q[Q_N];	/* events by type */
	uint64_t answered, abandoned, short_ab, overflow, missed, callback;
	uint64_t ans_le_t, ab_le_t, ab_short_le_t, ab_gt_t, wait_unknown,
	    ans_unknown;
	double wait_ans_sum, wait_ab_sum, talk_sum;
	uint64_t wait_ab_n, talk_n;
	struct rp_sketch wait;	/* every known queue wait */
	double wait_sum;
	uint64_t wait_n, ans_le_phone;
	uint64_t notified, answered_later, moved;
	/* messaging */
	uint64_t st[S_N], segments, sent_segments;
	double cost;
	uint64_t dlr[D_N];
	/* responsiveness */
	uint64_t resp_n, resp_le_online, inbound, inbound_sms,
	    sms_timed, sms_sameday, unanswered;
	double resp_sum;	/* every wait (reply time) */
	struct rp_sketch resp;
	uint64_t convs, fr_n, fr_le_online;	/* first responses */
	double fr_sum;
	struct rp_sketch fr;
	uint64_t tickets, solved, solved_unknown, reopened, accepted,
	    accepted_le, replied;
	double solve_sum, reply_sum;
	struct rp_sketch solve;
	/* outcomes */
	uint64_t contacts, repeats, censored;
	uint64_t csat[11][11];	/* [scale][score]; scale 0: words, score 0/1 */
	uint64_t optouts;
	/* ranked lists: "code\tcount"-like small maps */
	struct rp_count *fail, *intents;
	int nfail, nintents;
};

struct rp_count {
	char *name;
	uint64_t n;
};

/* A customer: what repeat contacts, follow-ups and reply times need
 * (memory bounded by the number of customers).  The "first" fields
 * describe how this part of the input began, so that partials merge as
 * if one run had read them in turn (rp_cust_meet). */
struct rp_cust {
	uint64_t key;
	int64_t open;		/* last contact, its window still open */
	int64_t first;		/* first contact */
	int64_t waiting;	/* first unanswered inbound message */
	int64_t out0;		/* first reply before any inbound message */
	int64_t r0s, r0e;	/* the first wait answered: start, end */
	/* The inbound SMS of the wait (for the same-day share): the first,
	 * how many, and the last run of them that share one deadline (every
	 * earlier one missed its deadline before the next came). */
	int64_t wf, sms_d;
	uint32_t wt, sms_n;
	/* The same of the first wait answered, when it was answered. */
	int64_t r0f, r0d;
	uint32_t r0t, r0m;
	/* Conversations: the last inbound contact, the conversation waiting
	 * for its first response (start, group); the first conversation of
	 * this part: its start, group, first response or closed without. */
	int64_t li, fo, c0, f0e;
	int32_t fg, c0g;
	uint8_t f0u;
	int32_t open_g, first_g, wait_g, notify_g, r0g;
	uint8_t init, wfd, r0fd;	/* the run began with the first SMS */
	uint8_t notified, seen_in, seen_notice;
	uint8_t orphan;		/* first follow-up before any notice: 1 call,
				 * 2 message */
};

/* A ticket (memory bounded by the number of tickets). */
struct rp_ticket {
	uint64_t key;
	int64_t created, reply, accept, first_solve, last_solve;
	int64_t gts;		/* time of the event that gave g */
	int32_t g;		/* the group of its earliest event */
	uint32_t solves;
};

struct rp_hash {		/* open addressing, key 0 = empty */
	void *v;
	size_t n, cap, size;
};

struct rp_agg {
	const struct rp_conf *conf;
	struct rp_group *g;	/* g[0] is the total */
	int ng, capg;
	struct rp_hash gidx;	/* group key hash -> index + 1 */
	struct rp_hash cust;
	struct rp_hash tick;
	struct rp_hash seen;	/* --dedup: the queue events seen */
	int64_t tmin, tmax;	/* times seen */
	uint64_t records, unknown, bad, outside, duplicates;
	unsigned long first_unknown;
	/* series for the charts (independent of --by) */
	uint64_t hour_vol[24], hour_wait_n[24];
	double hour_wait[24];
	struct rp_group *days;	/* per-day hotline counts, key "YYYY-MM-DD" */
	int ndays;
	struct rp_group *chans;	/* per-channel messaging counts */
	int nchans;
	/* local-time cache */
	int64_t lt_hour;
	char lt_day[16], lt_week[16];
	int lt_h, lt_wday, lt_min;
};

void rp_agg_init(struct rp_agg *a, const struct rp_conf *c);
void rp_agg_free(struct rp_agg *a);
/* Applies one event.  Events outside --from/--to are counted and
 * skipped. */
void rp_apply(struct rp_agg *a, const struct rp_ev *ev);
/* Closes open contacts and tickets into the groups (call once, before
 * rp_build; not before --partial). */
void rp_finish(struct rp_agg *a);

/* ---- partial.c ---- */
json_t *rp_partial_to_json(const struct rp_agg *a);
/* Merges a partial into a; returns 0, or -1 with *err. */
int rp_partial_merge(struct rp_agg *a, const json_t *j, const char **err);

/* helpers shared by agg.c and partial.c */
int rp_group_of(struct rp_agg *a, const char *key);
struct rp_cust *rp_cust_get(struct rp_agg *a, uint64_t key, int create);
struct rp_ticket *rp_ticket_get(struct rp_agg *a, uint64_t key, int create);
void rp_group_merge(struct rp_group *into, const struct rp_group *from);
void rp_count_add(struct rp_count **v, int *n, const char *name,
    uint64_t k);
struct rp_group *rp_side(struct rp_group **v, int *n, const char *key);
void rp_cust_meet(struct rp_agg *a, struct rp_cust *c,
    const struct rp_cust *later);

/* ---- metrics.c: the report as tables ---- */

enum rp_fmt { F_TXT, F_INT, F_NUM, F_PCT, F_SEC, F_MONEY };

struct rp_col {
	const char *id, *title;
	int fmt;
};

struct rp_cell {
	char *s;		/* F_TXT */
	double v;		/* NAN: null */
};

struct rp_table {
	const char *id, *title;
	struct rp_col *cols;
	int ncol;
	struct rp_cell *cells;	/* nrow * ncol */
	int nrow, cap;
};

struct rp_series {
	const char *id, *title, *unit;
	const char *none;	/* what a null value means ("no data") */
	char **labels;
	double *v;
	int n;
};

struct rp_report {
	const struct rp_conf *conf;
	const struct rp_agg *agg;
	struct rp_table t[8];
	int nt;
	struct rp_series s[6];
	int ns;
};

void rp_build(struct rp_report *r, const struct rp_agg *a);
void rp_report_free(struct rp_report *r);
/* A text cell as printed: masked unless --show-pii (malloc'd). */
char *rp_mask(const struct rp_conf *c, const char *by, const char *s);
/* A number cell as text ("" for null) into buf. */
const char *rp_fmt_num(int fmt, double v, char *buf, size_t n);

/* ---- writers ---- */
void rp_out_table(FILE *f, const struct rp_report *r, int colour);
void rp_out_csv(FILE *f, const struct rp_report *r);
void rp_out_json(FILE *f, const struct rp_report *r);
void rp_out_md(FILE *f, const struct rp_report *r);
void rp_out_html(FILE *f, const struct rp_report *r);

/* FNV-1a 64, never 0. */
uint64_t rp_hash64(const char *s, size_t n);
/* Customers and tickets are hashed with HMAC-SHA256 keyed by key (the
 * first 8 bytes) instead of FNV-1a: call once, before any thread starts
 * (key is copied; NULL: back to FNV-1a). */
void rp_hash_key(const char *key);
/* A fingerprint of the key (8 hex digits, not the key), or NULL. */
const char *rp_hash_key_id(void);

#endif
