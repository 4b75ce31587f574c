/* cxkit.c - cxkit's own queue-event records, read and written
 *
 * SPDX-License-Identifier: MIT
 * {"id","ts","event","call_id","queue","caller","position","wait_s",
 * "ewt_s","topic","agent","talk_s"}: cxkit(7) QUEUE EVENTS.  Agent
 * availability has no cxkit event; the NDJSON form may say it with
 * "event":"agent" and "state":"login|logoff|pause|unpause" (documented in
 * queue-notify(1)), which --events never writes.
 */
#include <stdio.h>
#include <string.h>

#include "qn.h"

static const char *const names[] = {
	[QN_ENTER] = "enter", [QN_POSITION] = "position",
	[QN_ABANDON] = "abandon", [QN_TIMEOUT] = "timeout",
	[QN_CONNECT] = "connect", [QN_COMPLETE] = "complete",
	[QN_MISSED] = "missed", [QN_CALLBACK] = "callback",
};

const char *
qn_kind_name(enum qn_kind k)
{
	if (k >= QN_ENTER && k <= QN_CALLBACK)
		return names[k];
	return NULL;
}

enum qn_kind
qn_kind_of(const char *name)
{
	for (int k = QN_ENTER; k <= QN_CALLBACK; k++)
		if (strcmp(names[k], name) == 0)
			return (enum qn_kind)k;
	return QN_NONE;
}

/* Copies the string (or integer) field key of o into out; 0 when absent
 * or null, -1 when of another type or too long. */
static int
str_field(const json_t *o, const char *key, char *out, size_t n)
{
	json_t *v = json_object_get(o, key);

	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= n ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* A non-negative number field (seconds, a position); -1 when absent or
 * null; -2 when of another type. */
static long
num_field(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	double d;

	if (v == NULL || json_is_null(v))
		return -1;
	if (!json_is_number(v))
		return -2;
	d = json_number_value(v);
	if (d < 0 || d > 1e9)
		return -2;
	return (long)(d + 0.5);
}

int
qn_cxkit_parse(const json_t *o, struct qn_event *ev, const char **why)
{
	static char msg[96];
	static const char *const nums[] = { "position", "wait_s", "ewt_s",
	    "talk_s" };
	long *slots[] = { &ev->position, &ev->wait_s, &ev->ewt_s,
	    &ev->talk_s };
	char name[32], state[32];
	json_t *ts;

	memset(ev, 0, sizeof *ev);
	if (str_field(o, "event", name, sizeof name) != 0) {
		*why = "'event' is not a string";
		return -1;
	}
	if (name[0] == '\0') {
		*why = "missing field 'event'";
		return -1;
	}
	memcpy(ev->source, name, strlen(name) + 1);
	ev->kind = qn_kind_of(name);
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		*slots[i] = num_field(o, nums[i]);
		if (*slots[i] == -2) {
			snprintf(msg, sizeof msg, "'%s' is not a number of "
			    "seconds (or a position) >= 0", nums[i]);
			*why = msg;
			return -1;
		}
	}
	ts = json_object_get(o, "ts");
	if (ts && !json_is_null(ts)) {
		cx_ms t;

		if (!json_is_string(ts) ||
		    cx_time_parse(json_string_value(ts), &t) != 0) {
			*why = "'ts' is not an RFC 3339 time";
			return -1;
		}
		ev->ts_ms = t;
	}
	{
		static const char *const keys[] = { "id", "call_id", "queue",
		    "caller", "agent", "topic" };
		char *outs[] = { ev->id, ev->call_id, ev->queue, ev->caller,
		    ev->agent, ev->topic };

		for (size_t i = 0; i < 6; i++)
			if (str_field(o, keys[i], outs[i], QN_FIELD) != 0) {
				snprintf(msg, sizeof msg, "'%s' is not a "
				    "string (or is too long)", keys[i]);
				*why = msg;
				return -1;
			}
	}
	if (ev->kind == QN_NONE) {
		if (strcmp(name, "agent") != 0) {
			ev->kind = QN_OTHER;	/* passes by */
			return 0;
		}
		if (str_field(o, "state", state, sizeof state) != 0 ||
		    ev->agent[0] == '\0') {
			*why = "an 'agent' event needs 'agent' and 'state'";
			return -1;
		}
		if (strcmp(state, "login") == 0)
			ev->kind = QN_AGENT_ON;
		else if (strcmp(state, "logoff") == 0)
			ev->kind = QN_AGENT_OFF;
		else if (strcmp(state, "pause") == 0)
			ev->kind = QN_AGENT_PAUSE;
		else if (strcmp(state, "unpause") == 0)
			ev->kind = QN_AGENT_UNPAUSE;
		else {
			*why = "'state' is not login, logoff, pause or unpause";
			return -1;
		}
		return 0;
	}
	if (ev->call_id[0] == '\0') {
		*why = "missing field 'call_id'";
		return -1;
	}
	return 0;
}

static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

static void
set_num(json_t *o, const char *key, long v)
{
	if (v >= 0)
		json_object_set_new(o, key, json_integer(v));
}

json_t *
qn_event_json(const struct qn_event *ev, const char *e164)
{
	const char *name = qn_kind_name(ev->kind);
	char ts[40], id[2 * QN_FIELD + 40];
	json_t *o;

	if (name == NULL)
		return NULL;
	o = json_object();
	if (ev->id[0])
		set_str(o, "id", ev->id);
	else {
		/* Stable across re-runs: the call, the event, its time. */
		snprintf(id, sizeof id, "qe:%s:%s:%lld", ev->call_id, name,
		    (long long)(ev->ts_ms / 1000));
		set_str(o, "id", id);
	}
	set_str(o, "ts", cx_time_format(ev->ts_ms, ts));
	set_str(o, "event", name);
	set_str(o, "call_id", ev->call_id);
	set_str(o, "queue", ev->queue);
	set_str(o, "caller", e164 ? e164 : ev->caller);
	set_num(o, "position", ev->position);
	set_num(o, "wait_s", ev->wait_s);
	set_num(o, "ewt_s", ev->ewt_s);
	set_str(o, "topic", ev->topic);
	set_str(o, "agent", ev->agent);
	set_num(o, "talk_s", ev->talk_s);
	return o;
}
