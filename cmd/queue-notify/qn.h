/* qn.h - queue-notify's parts: input parsers, the queue model, estimates
 *
 * SPDX-License-Identifier: MIT
 * Every input format (asterisk.c, freeswitch.c, cxkit.c) turns one line
 * into a struct qn_event; main.c applies it to the queue model (ewt.c) and
 * the policies.  The parsers are pure functions of their input, so the
 * fuzz harness (tests/fuzz/queue_log.c) links asterisk.c alone.
 */
#ifndef QN_H
#define QN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cx.h"

/* What an event means to queue-notify.  The first eight are cxkit's
 * queue events (written by --events); QN_WITHDRAW (Asterisk's WITHDRAW:
 * taken out of the queue by the PBX) ends a call with no message and no
 * cxkit event; the agent kinds feed the estimate only; QN_OTHER passes
 * by (RINGNOANSWER, QUEUESTART, custom events). */
enum qn_kind {
	QN_NONE = 0,
	QN_ENTER, QN_POSITION, QN_ABANDON, QN_TIMEOUT, QN_CONNECT,
	QN_COMPLETE, QN_MISSED, QN_CALLBACK,
	QN_WITHDRAW,
	QN_AGENT_ON,		/* logged in / added to the queue */
	QN_AGENT_OFF,		/* logged off / removed from the queue */
	QN_AGENT_PAUSE, QN_AGENT_UNPAUSE,
	QN_OTHER
};

#define QN_FIELD 128

/* One event.  Numbers are -1 when the event does not carry them; ts_ms is
 * 0 when the line has no time (then the clock's now is used). */
struct qn_event {
	enum qn_kind kind;
	int64_t ts_ms;
	char id[QN_FIELD];		/* the record's own id (cxkit form) */
	char call_id[QN_FIELD];
	char queue[QN_FIELD];		/* "" for every queue (PAUSEALL) */
	char caller[QN_FIELD];		/* as given: "13800138000" */
	char agent[QN_FIELD];
	char topic[QN_FIELD];
	char key[16];			/* EXITWITHKEY's digit */
	char source[32];		/* the PBX's own event name */
	long position, wait_s, ewt_s, talk_s;
	int paused;			/* QN_AGENT_ON: added paused */
};

/* The cxkit name of a kind ("enter"...), NULL for the agent kinds and
 * QN_OTHER; and back (QN_NONE when unknown). */
const char *qn_kind_name(enum qn_kind k);
enum qn_kind qn_kind_of(const char *name);

/* asterisk.c: one queue_log line (without its newline) of len bytes.
 * callback_key is the EXITWITHKEY digit that asks for a callback ("1").
 * Returns 0 with *ev filled, or -1 with *why set to a static reason
 * ("field 5 (event): missing", "field 1 (epoch): not a number", ...).
 * Pure: no I/O, no allocation, no global state. */
int qn_asterisk_parse(const char *line, size_t len, const char *callback_key,
    struct qn_event *ev, const char **why);

/* freeswitch.c: one mod_callcenter event as a JSON object (the event's
 * headers, e.g. from `fs_cli` / ESL json).  Returns 0, or -1 with *why. */
int qn_freeswitch_parse(const json_t *o, struct qn_event *ev,
    const char **why);

/* cxkit.c: one cxkit queue-event record; -1 with *why naming the field.
 * An event name cxkit does not know gives QN_OTHER (passes by). */
int qn_cxkit_parse(const json_t *o, struct qn_event *ev, const char **why);
/* The normalised cxkit queue-event record of ev (new reference), with
 * caller replaced by e164 when not NULL; NULL for kinds that are not
 * queue events. */
json_t *qn_event_json(const struct qn_event *ev, const char *e164);

/* ewt.c: Erlang C.  a = offered load in Erlangs (λ·AHT), n agents.
 * Returns P(wait) in [0,1]; 1 when a >= n (unstable queue). */
double qn_erlang_c(double a, int n);
/* Average speed of answer (s) for load a, n agents, handle time aht (s);
 * -1 when a >= n. */
double qn_erlang_asa(double a, int n, double aht);
/* Service level: the share answered within t seconds. */
double qn_erlang_sl(double a, int n, double aht, double t);
/* Asterisk's moving average: (3*old + sample) / 4, seeded by the first
 * sample (old < 0). */
long qn_ewma(long old, long sample);

/* How an estimate was made (documented in queue-notify(1)). */
enum qn_method { QN_EST_NONE, QN_EST_PBX, QN_EST_AGENTS, QN_EST_ERLANG,
	QN_EST_HOLDTIME, QN_EST_STAFFED };
const char *qn_method_name(enum qn_method m);

/* What the stream shows about one queue, for the estimate. */
struct qn_qstats {
	int agents;		/* logged in and not paused (-1 unknown) */
	int staffed;		/* the last non-zero count of agents, 0 none */
	int busy;		/* talking */
	long aht;		/* moving average handle time (s) */
	long holdtime;		/* moving average hold time (s), -1 none */
	double lambda;		/* arrivals a second, recent */
	int cfg_agents;		/* [queue] agents, 0 none */
};

/* The queue's service by Erlang C, from what the stream shows: lambda,
 * AHT, and N = the agents available (else [queue] agents). */
struct qn_service {
	double lambda, load;	/* arrivals a second; A = lambda * AHT */
	double p_wait;		/* P(wait), 1 when A >= N */
	double asa;		/* average speed of answer (s), -1 when A >= N */
	double sl;		/* share answered within the target's t */
	int agents;		/* N */
	int needed;		/* the fewest agents that meet the target, -1 */
};

/* Fills *sv for answering share target (0..1] within t seconds; -1 when
 * the arrival rate, AHT or N is not known (N = 0 is known: everyone is
 * away, nothing is answered). */
int qn_service(const struct qn_qstats *q, double target, double t,
    struct qn_service *sv);

/* The expected wait (s) of the caller at position (1 = next), or -1;
 * *method says which way. */
long qn_estimate(const struct qn_qstats *q, long position,
    enum qn_method *method);

#endif
