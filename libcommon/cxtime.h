/* cxtime.h - RFC 3339 times, IANA time zones, quiet-hour windows
 *
 * SPDX-License-Identifier: MIT
 * Times are int64 milliseconds since the Unix epoch (cx_ms).  Zones are
 * IANA names ("Asia/Shanghai") resolved through the system's tzdata
 * (glibc, by switching TZ: not thread-safe, cxkit programs are single-
 * threaded).  (Named cxtime.h so it never shadows <time.h>.)
 */
#ifndef CX_CXTIME_H
#define CX_CXTIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t cx_ms;

/* Now, from CLOCK_REALTIME; $CXKIT_NOW (RFC 3339) overrides it, for tests
 * and replays. */
cx_ms cx_now(void);
/* Monotonic milliseconds, for timers. */
cx_ms cx_mono(void);

/* Parses RFC 3339 ("2025-10-01T14:00:00Z", "...+08:00", fractional
 * seconds, 't'/'z' lower case, ' ' for 'T').  Returns 0 or -1. */
int cx_time_parse(const char *s, cx_ms *out);
/* Formats t as RFC 3339 in UTC ("2025-10-01T06:00:00Z", milliseconds only
 * when not zero) into out[40]; returns out. */
char *cx_time_format(cx_ms t, char out[40]);
/* Same in zone tz ("2025-10-01T14:00:00+08:00"); NULL tz = UTC.  Returns
 * NULL when tz is not a known zone. */
char *cx_time_format_tz(cx_ms t, const char *tz, char out[40]);
/* 1 when tz names a zone in the system's tzdata ("UTC" included). */
int cx_tz_valid(const char *tz);

/* A daily window in local time, e.g. "21:00-08:00" (may wrap midnight). */
struct cx_window {
	int start_min, end_min;	/* minutes after local midnight */
};
/* Parses "HH:MM-HH:MM"; returns 0 or -1.  start == end is invalid. */
int cx_window_parse(const char *s, struct cx_window *w);
/* When t falls inside the window in zone tz, returns the end of that
 * window (the next local end time, DST-aware) as cx_ms; else returns 0.
 * tz NULL means UTC (so does a zone that cx_tz_valid() rejects: check it
 * first). */
cx_ms cx_window_until(const struct cx_window *w, const char *tz, cx_ms t);

#endif
