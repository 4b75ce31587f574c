/* freeswitch.c - read one FreeSWITCH mod_callcenter event (JSON)
 *
 * SPDX-License-Identifier: MIT
 * An event as ESL / fs_cli writes it in JSON: the headers as string
 * members ("Event-Subclass": "callcenter::info", "CC-Action", "CC-Queue",
 * "CC-Member-Session-UUID", "CC-Member-CID-Number", "CC-Cause",
 * "CC-Cancel-Reason", "CC-Agent", the CC-...-Time epochs and
 * "Event-Date-Timestamp" in microseconds).  Other subclasses pass by.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qn.h"

static const char *
hdr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An epoch header (seconds; numbers or strings), or -1. */
static long
secs(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	char *end;
	long n;

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if ((s = json_string_value(v)) == NULL || *s == '\0')
		return -1;
	n = strtol(s, &end, 10);
	return *end == '\0' && n > 0 ? n : -1;
}

static int
copy(char *out, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= QN_FIELD)
		return -1;
	memcpy(out, s ? s : "", n + 1);
	return 0;
}

static long
diff(long a, long b)
{
	return a > 0 && b > 0 && a >= b ? a - b : -1;
}

int
qn_freeswitch_parse(const json_t *o, struct qn_event *ev, const char **why)
{
	const char *sub = hdr(o, "Event-Subclass");
	const char *action = hdr(o, "CC-Action");
	const char *cause, *reason, *st, *ts = hdr(o, "Event-Date-Timestamp");
	const char *uuid = hdr(o, "CC-Member-Session-UUID");
	long joined, answered, leaving;

	memset(ev, 0, sizeof *ev);
	ev->position = ev->wait_s = ev->ewt_s = ev->talk_s = -1;
	ev->kind = QN_OTHER;
	if (sub == NULL || strcmp(sub, "callcenter::info") != 0 ||
	    action == NULL)
		return 0;
	snprintf(ev->source, sizeof ev->source, "%s", action);
	if (ts && *ts)
		ev->ts_ms = strtoll(ts, NULL, 10) / 1000;
	if (uuid == NULL)
		uuid = hdr(o, "CC-Member-UUID");
	if (copy(ev->call_id, uuid) || copy(ev->queue, hdr(o, "CC-Queue")) ||
	    copy(ev->caller, hdr(o, "CC-Member-CID-Number")) ||
	    copy(ev->agent, hdr(o, "CC-Agent"))) {
		*why = "a CC- header is too long";
		return -1;
	}
	joined = secs(o, "CC-Member-Joined-Time");
	answered = secs(o, "CC-Agent-Answered-Time");
	leaving = secs(o, "CC-Member-Leaving-Time");
	if (strcmp(action, "member-queue-start") == 0 ||
	    strcmp(action, "member-queue-resume") == 0) {
		ev->kind = QN_ENTER;
		if (ev->ts_ms == 0 && joined > 0)
			ev->ts_ms = (int64_t)joined * 1000;
	} else if (strcmp(action, "bridge-agent-start") == 0) {
		ev->kind = QN_CONNECT;
		ev->wait_s = diff(answered, joined);
		if (ev->ts_ms == 0 && answered > 0)
			ev->ts_ms = (int64_t)answered * 1000;
	} else if (strcmp(action, "member-queue-end") == 0) {
		cause = hdr(o, "CC-Cause");
		reason = hdr(o, "CC-Cancel-Reason");
		if (ev->ts_ms == 0 && leaving > 0)
			ev->ts_ms = (int64_t)leaving * 1000;
		if (cause && strcmp(cause, "Terminated") == 0) {
			ev->kind = QN_COMPLETE;
			ev->wait_s = diff(answered, joined);
			ev->talk_s = diff(leaving, answered);
		} else {
			ev->wait_s = diff(leaving, joined);
			if (reason == NULL || strcmp(reason, "BREAK_OUT") == 0 ||
			    strcmp(reason, "NONE") == 0)
				ev->kind = QN_ABANDON;
			else if (strcmp(reason, "TIMEOUT") == 0)
				ev->kind = QN_TIMEOUT;
			else if (strcmp(reason, "NO_AGENT_TIMEOUT") == 0)
				ev->kind = QN_MISSED;
			else if (strcmp(reason, "EXIT_WITH_KEY") == 0)
				ev->kind = QN_CALLBACK;
			else
				ev->kind = QN_ABANDON;
		}
	} else if (strcmp(action, "agent-status-change") == 0) {
		st = hdr(o, "CC-Agent-Status");
		ev->queue[0] = '\0';	/* an agent's state spans queues */
		if (st == NULL)
			ev->kind = QN_OTHER;
		else if (strcmp(st, "Logged Out") == 0)
			ev->kind = QN_AGENT_OFF;
		else if (strcmp(st, "On Break") == 0)
			ev->kind = QN_AGENT_PAUSE;
		else if (strncmp(st, "Available", 9) == 0)
			ev->kind = QN_AGENT_UNPAUSE;
	} else if (strcmp(action, "agent-add") == 0) {
		ev->kind = QN_AGENT_ON;
	}
	if (ev->kind >= QN_ENTER && ev->kind <= QN_CALLBACK &&
	    ev->call_id[0] == '\0') {
		*why = "missing header 'CC-Member-Session-UUID'";
		return -1;
	}
	if (ev->kind >= QN_AGENT_ON && ev->kind <= QN_AGENT_UNPAUSE &&
	    ev->agent[0] == '\0')
		ev->kind = QN_OTHER;
	return 0;
}
