/* asterisk.c - read one line of Asterisk's queue_log
 *
 * SPDX-License-Identifier: MIT
 * epoch|callid|queuename|agent|event|data1|data2|...  (app_queue.c via
 * logger.c).  Quirks handled: the epoch may be the realtime back-end's
 * "YYYY-MM-DD HH:MM:SS.ffffff" (UTC); a trailing empty field; extra or
 * missing trailing data fields (versions differ); the caller's number is
 * ENTERQUEUE's second data field (the first, the URL, is usually empty);
 * "NONE" for an absent queue, agent or call id.  Pure: no I/O, no
 * allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "qn.h"

#define MAXF 16

struct fields {
	const char *p[MAXF];
	size_t n[MAXF];
	int count;
};

static void
split(const char *line, size_t len, struct fields *f)
{
	size_t start = 0;

	f->count = 0;
	for (size_t i = 0; i <= len && f->count < MAXF; i++) {
		if (i == len || line[i] == '|') {
			f->p[f->count] = line + start;
			f->n[f->count] = i - start;
			f->count++;
			start = i + 1;
		}
	}
}

/* Copies field i into out (size outn); "" when absent; -1 when too long
 * or holding a NUL byte. */
static int
field(const struct fields *f, int i, char *out, size_t outn)
{
	if (i >= f->count) {
		out[0] = '\0';
		return 0;
	}
	if (f->n[i] >= outn || memchr(f->p[i], '\0', f->n[i]) != NULL)
		return -1;
	memcpy(out, f->p[i], f->n[i]);
	out[f->n[i]] = '\0';
	return 0;
}

/* A non-negative decimal field (at most 12 digits), or -1 when absent,
 * empty or not a number. */
static long
num(const struct fields *f, int i)
{
	long v = 0;

	if (i >= f->count || f->n[i] == 0 || f->n[i] > 12)
		return -1;
	for (size_t k = 0; k < f->n[i]; k++) {
		char c = f->p[i][k];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The time field: epoch seconds, or "YYYY-MM-DD HH:MM:SS[.ffffff]". */
static int
epoch(const char *s, size_t n, int64_t *ms)
{
	int y, mo, d, h, mi, se, frac = 0, fd = 0;

	if (n > 0 && n <= 12 && strspn(s, "0123456789") >= n) {
		int64_t v = 0;

		for (size_t i = 0; i < n; i++)
			v = v * 10 + (s[i] - '0');
		*ms = v * 1000;
		return 0;
	}
	if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' &&
	    s[10] != 'T') || s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	if (n > 19) {
		if (s[19] != '.' || n > 26 || n == 20)
			return -1;
		for (size_t i = 20; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			if (fd < 3) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
		}
		while (fd++ < 3)
			frac *= 10;
	}
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400) +
	    h * 3600 + mi * 60 + se) * 1000 + frac;
	return 0;
}

static int
is_none(const char *s)
{
	return strcmp(s, "NONE") == 0;
}

struct map {
	const char *name;
	enum qn_kind kind;
};

static const struct map events[] = {
	{ "ENTERQUEUE", QN_ENTER },
	{ "CONNECT", QN_CONNECT },
	{ "COMPLETECALLER", QN_COMPLETE },
	{ "COMPLETEAGENT", QN_COMPLETE },
	{ "BLINDTRANSFER", QN_COMPLETE },
	{ "ATTENDEDTRANSFER", QN_COMPLETE },
	{ "TRANSFER", QN_COMPLETE },
	{ "ABANDON", QN_ABANDON },
	{ "EXITWITHTIMEOUT", QN_TIMEOUT },
	{ "EXITEMPTY", QN_MISSED },
	{ "WITHDRAW", QN_WITHDRAW },
	{ "EXITWITHKEY", QN_CALLBACK },	/* or QN_ABANDON: other keys */
	{ "AGENTLOGIN", QN_AGENT_ON },
	{ "AGENTCALLBACKLOGIN", QN_AGENT_ON },
	{ "ADDMEMBER", QN_AGENT_ON },
	{ "AGENTLOGOFF", QN_AGENT_OFF },
	{ "AGENTCALLBACKLOGOFF", QN_AGENT_OFF },
	{ "REMOVEMEMBER", QN_AGENT_OFF },
	{ "PAUSE", QN_AGENT_PAUSE },
	{ "PAUSEALL", QN_AGENT_PAUSE },
	{ "UNPAUSE", QN_AGENT_UNPAUSE },
	{ "UNPAUSEALL", QN_AGENT_UNPAUSE },
	{ NULL, QN_OTHER }
};

static int
utf8_ok(const char *s, size_t n)
{
	return cx_utf8_valid(s, n);
}

int
qn_asterisk_parse(const char *line, size_t len, const char *callback_key,
    struct qn_event *ev, const char **why)
{
	struct fields f;
	char ename[QN_FIELD];
	const struct map *m;
	long d[MAXF];

	memset(ev, 0, sizeof *ev);
	ev->position = ev->wait_s = ev->ewt_s = ev->talk_s = -1;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (!utf8_ok(line, len)) {
		*why = "not valid UTF-8";
		return -1;
	}
	split(line, len, &f);
	if (f.count < 5) {
		*why = f.count < 2 ? "not a queue_log line (epoch|callid|"
		    "queue|agent|event|data...)" : "field 5 (event): missing";
		return -1;
	}
	if (epoch(f.p[0], f.n[0], &ev->ts_ms) != 0) {
		*why = "field 1 (epoch): not a Unix time or a date";
		return -1;
	}
	if (field(&f, 1, ev->call_id, sizeof ev->call_id) ||
	    field(&f, 2, ev->queue, sizeof ev->queue) ||
	    field(&f, 3, ev->agent, sizeof ev->agent) ||
	    field(&f, 4, ename, sizeof ename) || strlen(ename) >=
	    sizeof ev->source) {
		*why = "a field is too long";
		return -1;
	}
	if (ename[0] == '\0') {
		*why = "field 5 (event): empty";
		return -1;
	}
	memcpy(ev->source, ename, strlen(ename) + 1);
	if (is_none(ev->call_id))
		ev->call_id[0] = '\0';
	if (is_none(ev->queue))
		ev->queue[0] = '\0';
	if (is_none(ev->agent))
		ev->agent[0] = '\0';
	for (int i = 0; i < MAXF; i++)
		d[i] = num(&f, 5 + i);
	for (m = events; m->name && strcmp(m->name, ename) != 0; m++)
		;
	ev->kind = m->kind;
	switch (ev->kind) {
	case QN_ENTER:
		/* url|callerid|origposition[|calleridname] */
		if (field(&f, 6, ev->caller, sizeof ev->caller)) {
			*why = "field 7 (callerid): too long";
			return -1;
		}
		ev->position = d[2];
		if (ev->call_id[0] == '\0') {
			*why = "field 2 (callid): ENTERQUEUE without a call id";
			return -1;
		}
		break;
	case QN_CONNECT:
		ev->wait_s = d[0];
		break;
	case QN_COMPLETE:
		if (strcmp(ename, "BLINDTRANSFER") == 0 ||
		    strcmp(ename, "TRANSFER") == 0) {
			/* exten|context|holdtime|calltime[|origposition] */
			ev->wait_s = d[2];
			ev->talk_s = d[3];
		} else if (strcmp(ename, "ATTENDEDTRANSFER") == 0) {
			/* method|data...|holdtime|calltime|origposition:
			 * counted from the end, the data vary. */
			int last = f.count - 1;

			if (last >= 8) {
				ev->wait_s = num(&f, last - 2);
				ev->talk_s = num(&f, last - 1);
			}
		} else {
			ev->wait_s = d[0];
			ev->talk_s = d[1];
		}
		break;
	case QN_ABANDON:
	case QN_TIMEOUT:
	case QN_MISSED:
	case QN_WITHDRAW:
		/* position|origposition|waittime[|withdraw_info] */
		ev->position = d[0];
		ev->wait_s = d[2];
		break;
	case QN_CALLBACK:
		/* key|position|origposition|waittime */
		if (field(&f, 5, ev->key, sizeof ev->key)) {
			*why = "field 6 (key): too long";
			return -1;
		}
		ev->position = d[1];
		ev->wait_s = d[3];
		if (callback_key == NULL || strcmp(ev->key, callback_key) != 0)
			ev->kind = QN_ABANDON;
		break;
	case QN_AGENT_ON:
		ev->paused = f.count > 5 && f.n[5] == 6 &&
		    memcmp(f.p[5], "PAUSED", 6) == 0;
		break;
	default:
		break;
	}
	if (ev->kind >= QN_ENTER && ev->kind <= QN_WITHDRAW &&
	    ev->call_id[0] == '\0') {
		*why = "field 2 (callid): a caller's event without a call id";
		return -1;
	}
	if (ev->kind >= QN_AGENT_ON && ev->kind <= QN_AGENT_UNPAUSE &&
	    ev->agent[0] == '\0')
		ev->kind = QN_OTHER;
	return 0;
}
