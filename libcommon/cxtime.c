/* cxtime.c - RFC 3339 times, IANA time zones, quiet-hour windows
 *
 * SPDX-License-Identifier: MIT
 * RFC 3339 is parsed by hand (strptime has no portable %z with a colon nor
 * fractions) and converted with timegm.  Zones come from the system's
 * tzdata through glibc: TZ is switched for the call and restored after.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cxtime.h"
#include "log.h"
#include "xwrap.h"

/* The caller's TZ, kept while a zone is switched in. */
struct tz_saved {
	char *old;
};

static void
tz_push(const char *tz, struct tz_saved *sv)
{
	const char *old = getenv("TZ");

	sv->old = old != NULL ? cx_xstrdup(old) : NULL;
	if (setenv("TZ", tz, 1) != 0)
		cx_die(NULL, "setenv TZ failed");
	tzset();
}

static void
tz_pop(struct tz_saved *sv)
{
	if (sv->old != NULL) {
		setenv("TZ", sv->old, 1);
		free(sv->old);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

/* Floor division of milliseconds into seconds (and the remainder). */
static time_t
ms_secs(cx_ms t, int *ms)
{
	cx_ms s = t / 1000, r = t % 1000;

	if (r < 0) {
		s--;
		r += 1000;
	}
	if (ms != NULL)
		*ms = (int)r;
	return (time_t)s;
}

cx_ms
cx_now(void)
{
	const char *env = getenv("CXKIT_NOW");
	struct timespec ts;
	cx_ms t;

	if (env != NULL && *env != '\0') {
		if (cx_time_parse(env, &t) != 0)
			cx_die(NULL, "CXKIT_NOW: not an RFC 3339 time: %s",
			    env);
		return t;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (cx_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

cx_ms
cx_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (cx_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly n decimal digits at *s into *v, advancing *s. */
static int
num(const char **s, int n, int *v)
{
	int i;

	for (*v = 0, i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

int
cx_time_parse(const char *s, cx_ms *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, ms = 0, scale = 100, oh, om, off = 0;
	time_t t;

	if (s == NULL || num(&s, 4, &y) || *s++ != '-' || num(&s, 2, &mo) ||
	    *s++ != '-' || num(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (num(&s, 2, &h) || *s++ != ':' || num(&s, 2, &mi) ||
	    *s++ != ':' || num(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return -1;
		/* Milliseconds: further digits are dropped (truncated). */
		for (; *s >= '0' && *s <= '9'; s++, scale /= 10)
			ms += (*s - '0') * scale;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		off = *s++ == '-' ? -1 : 1;
		if (num(&s, 2, &oh) || *s++ != ':' || num(&s, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off *= oh * 60 + om;
	} else {
		return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;	/* a leap second 60 becomes :00 of the next */
	t = timegm(&tm);
	*out = ((cx_ms)t - (cx_ms)off * 60) * 1000 + ms;
	return 0;
}

/* Formats tm, ms and the offset (NULL: "Z") into out[40]. */
static char *
format(const struct tm *tm, int ms, const long *gmtoff, char out[40])
{
	char frac[8] = "", zone[8] = "Z", buf[96];
	size_t n;
	long o;

	if (ms != 0)
		snprintf(frac, sizeof(frac), ".%03d", ms);
	if (gmtoff != NULL) {
		o = *gmtoff < 0 ? -*gmtoff : *gmtoff;
		snprintf(zone, sizeof(zone), "%c%02ld:%02ld",
		    *gmtoff < 0 ? '-' : '+', o / 3600 % 100, o % 3600 / 60);
	}
	/* Sized for any int fields, then cut to out[40] (years > 9999). */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%s%s",
	    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour,
	    tm->tm_min, tm->tm_sec, frac, zone);
	n = strlen(buf);
	if (n > 39)
		n = 39;
	memcpy(out, buf, n);
	out[n] = '\0';
	return out;
}

char *
cx_time_format(cx_ms t, char out[40])
{
	struct tm tm = { 0 };
	time_t s;
	int ms;

	s = ms_secs(t, &ms);
	gmtime_r(&s, &tm);
	return format(&tm, ms, NULL, out);
}

char *
cx_time_format_tz(cx_ms t, const char *tz, char out[40])
{
	struct tz_saved sv;
	struct tm tm = { 0 };
	time_t s;
	long off;
	int ms;

	if (tz == NULL)
		return cx_time_format(t, out);
	if (!cx_tz_valid(tz))
		return NULL;
	s = ms_secs(t, &ms);
	tz_push(tz, &sv);
	localtime_r(&s, &tm);
	tz_pop(&sv);
	off = tm.tm_gmtoff;
	return format(&tm, ms, &off, out);
}

int
cx_tz_valid(const char *tz)
{
	const char *dir = getenv("TZDIR"), *p;
	char *path, magic[4];
	int fd, ok;

	if (tz == NULL || *tz == '\0' || *tz == '/' || strstr(tz, "..") != NULL)
		return 0;
	for (p = tz; *p != '\0'; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= '0' && *p <= '9') && strchr("/_+-", *p) == NULL)
			return 0;
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	/* A zone is a TZif file; zone.tab and directories are not. */
	path = cx_xasprintf("%s/%s", dir, tz);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	ok = fd >= 0 && read(fd, magic, 4) == 4 &&
	    memcmp(magic, "TZif", 4) == 0;
	if (fd >= 0)
		close(fd);
	/* glibc knows UTC even without tzdata installed. */
	return ok || strcmp(tz, "UTC") == 0;
}

/* Reads H:MM or HH:MM at *s (24:00 only when end) into minutes. */
static int
hhmm(const char **s, int end, int *min)
{
	int h, m;

	if (num(s, 1, &h))
		return -1;
	if (**s >= '0' && **s <= '9')
		h = h * 10 + (*(*s)++ - '0');
	if (*(*s)++ != ':' || num(s, 2, &m) || m > 59)
		return -1;
	if (h == 24 && m == 0 && end)
		h = 0;
	else if (h > 23)
		return -1;
	*min = h * 60 + m;
	return 0;
}

int
cx_window_parse(const char *s, struct cx_window *w)
{
	struct cx_window v;

	if (s == NULL || hhmm(&s, 0, &v.start_min))
		return -1;
	while (*s == ' ')
		s++;
	if (*s++ != '-')
		return -1;
	while (*s == ' ')
		s++;
	if (hhmm(&s, 1, &v.end_min) || *s != '\0' ||
	    v.start_min == v.end_min)
		return -1;
	*w = v;
	return 0;
}

cx_ms
cx_window_until(const struct cx_window *w, const char *tz, cx_ms t)
{
	struct tz_saved sv;
	struct tm lt, e;
	time_t s = ms_secs(t, NULL), end;
	int m, inside, day;

	tz_push(tz != NULL && cx_tz_valid(tz) ? tz : "UTC", &sv);
	localtime_r(&s, &lt);
	m = lt.tm_hour * 60 + lt.tm_min;
	if (w->start_min < w->end_min)
		inside = m >= w->start_min && m < w->end_min;
	else
		inside = m >= w->start_min || m < w->end_min;
	end = 0;
	/*
	 * The end is a local wall-clock time, today or (past midnight of a
	 * wrapping window) tomorrow; mktime in the zone makes it DST-aware.
	 */
	for (day = w->start_min > w->end_min && m >= w->start_min;
	    inside && end <= s && day < 3; day++) {
		e = lt;
		e.tm_mday += day;
		e.tm_hour = w->end_min / 60;
		e.tm_min = w->end_min % 60;
		e.tm_sec = 0;
		e.tm_isdst = -1;
		end = mktime(&e);
	}
	tz_pop(&sv);
	return inside ? (cx_ms)end * 1000 : 0;
}
