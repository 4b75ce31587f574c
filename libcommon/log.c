/* log.c - diagnostics on stderr, as text or JSON lines, phones masked
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "log.h"
#include "xwrap.h"

const char *cx_prog = "cxkit";

static enum cx_log_format log_format = CX_LOG_TEXT;
static int log_verbosity;
static int log_pii;

void
cx_log_setup(enum cx_log_format fmt, int verbosity)
{
	log_format = fmt;
	log_verbosity = verbosity;
}

void
cx_log_show_pii(int show)
{
	log_pii = show;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A run of 7 or more digits (an optional '+' before it, single spaces or
 * dashes inside) is a phone number for the purpose of masking: every
 * digit but the last 4 becomes '*', the '+' and the first two digits after
 * it stay (the calling code tells the country, not the person). */
char *
cx_log_mask(const char *s)
{
	struct cx_buf b = { 0 };
	const char *p = s;

	while (*p) {
		const char *q = p;
		int nd = 0, plus = 0;

		if (*q == '+' && is_digit(q[1])) {
			plus = 1;
			q++;
		}
		if (!is_digit(*q) || (p > s && (is_digit(p[-1]) ||
		    ((p[-1] >= 'A' && p[-1] <= 'Z') ||
		    (p[-1] >= 'a' && p[-1] <= 'z'))))) {
			cx_buf_addc(&b, *p++);
			continue;
		}
		/* A date (YYYY-MM-DD) is not a phone number. */
		if (!plus && strspn(q, "0123456789") == 4 && q[4] == '-' &&
		    strspn(q + 5, "0123456789") == 2 && q[7] == '-' &&
		    strspn(q + 8, "0123456789") == 2) {
			cx_buf_add(&b, p, 10);
			p += 10;
			continue;
		}
		/* Measure the run. */
		const char *e = q;
		while (is_digit(*e) || ((*e == ' ' || *e == '-') &&
		    is_digit(e[1]) && e > q && is_digit(e[-1]))) {
			if (is_digit(*e))
				nd++;
			e++;
		}
		if (nd < 7) {
			cx_buf_add(&b, p, (size_t)(e - p));
			p = e;
			continue;
		}
		int keep_head = plus ? 2 : 0, seen = 0;
		if (plus)
			cx_buf_addc(&b, '+');
		for (const char *c = q; c < e; c++) {
			if (!is_digit(*c)) {
				cx_buf_addc(&b, *c);
				continue;
			}
			seen++;
			if (seen <= keep_head || seen > nd - 4)
				cx_buf_addc(&b, *c);
			else
				cx_buf_addc(&b, '*');
		}
		p = e;
	}
	return cx_buf_take(&b);
}

static const char *const level_name[] = { "error", "warn", "info", "debug" };

static int
shown(enum cx_log_level lvl)
{
	switch (lvl) {
	case CX_LOG_ERR:
		return 1;
	case CX_LOG_WARN:
		return log_verbosity >= 0;
	case CX_LOG_INFO:
		return log_verbosity >= 1;
	case CX_LOG_DEBUG:
		return log_verbosity >= 2;
	}
	return 1;
}

static void
emit(const char *level, const char *context, const char *fmt, va_list ap)
{
	char *msg, *out;
	int saved = errno;

	if (vasprintf(&msg, fmt, ap) < 0) {
		fprintf(stderr, "%s: out of memory\n", cx_prog);
		exit(CX_EXIT_USAGE);
	}
	if (!log_pii) {
		out = cx_log_mask(msg);
		free(msg);
		msg = out;
	}
	if (log_format == CX_LOG_JSON) {
		char ts[64];
		struct timespec now;
		struct tm tm;
		json_t *o;

		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
		o = json_pack("{s:s, s:s, s:s}", "ts", ts, "prog", cx_prog,
		    "level", level);
		if (o && context)
			json_object_set_new(o, "context", json_string(context));
		if (o)
			json_object_set_new(o, "msg", json_string(msg));
		if (o) {
			json_dumpf(o, stderr, JSON_COMPACT);
			fputc('\n', stderr);
			json_decref(o);
		}
	} else if (context && *context) {
		fprintf(stderr, "%s: %s: %s\n", cx_prog, context, msg);
	} else {
		fprintf(stderr, "%s: %s\n", cx_prog, msg);
	}
	fflush(stderr);
	free(msg);
	errno = saved;
}

void
cx_vlog(enum cx_log_level lvl, const char *context, const char *fmt,
    va_list ap)
{
	if (shown(lvl))
		emit(level_name[lvl], context, fmt, ap);
}

void
cx_log(enum cx_log_level lvl, const char *context, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cx_vlog(lvl, context, fmt, ap);
	va_end(ap);
}

void
cx_notice(const char *context, const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 0)
		return;
	va_start(ap, fmt);
	emit("notice", context, fmt, ap);
	va_end(ap);
}

void
cx_die(const char *context, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error", context, fmt, ap);
	va_end(ap);
	fflush(stdout);
	exit(CX_EXIT_USAGE);
}
