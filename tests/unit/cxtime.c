/* cxtime.c - unit tests for libcommon/cxtime.c
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cxtime.h"
#include "tap.h"

static cx_ms
T(const char *s)
{
	cx_ms t = -42;

	if (cx_time_parse(s, &t) != 0)
		printf("# cannot parse %s\n", s);
	return t;
}

static void
test_parse(void)
{
	static const char *bad[] = {
		"2025-13-01T00:00:00Z", "2025-10-01", "x", "",
		"2025-02-29T00:00:00Z", "2025-04-31T00:00:00Z",
		"2025-00-10T00:00:00Z", "2025-10-00T00:00:00Z",
		"2025-10-01T24:00:00Z", "2025-10-01T12:60:00Z",
		"2025-10-01T12:00:61Z", "2025-10-01T06:00:00",
		"2025-10-01T06:00:00+0800", "2025-10-01T06:00:00+08",
		"2025-10-01T06:00:00+24:00", "2025-10-01T06:00:00+08:60",
		"2025-10-01T06:00:00Zjunk", "2025-10-01T06:00:00.Z",
		"2025-10-01X06:00:00Z", "2025-1-01T06:00:00Z",
		"25-10-01T06:00:00Z", "2025-10-01T6:00:00Z",
		" 2025-10-01T06:00:00Z",
	};
	char buf[40];
	cx_ms t;
	size_t i;

	ok(T("1970-01-01T00:00:00Z") == 0, "the epoch is 0");
	ok(T("2025-10-01T14:00:00+08:00") == T("2025-10-01T06:00:00Z"),
	    "+08:00 offset equals Z");
	ok(T("2025-10-01T06:00:00Z") == 1759298400000LL, "absolute value");
	ok(T("2025-10-01T00:30:00-05:30") == T("2025-10-01T06:00:00Z"),
	    "negative half-hour offset");
	ok(T("2025-10-01T06:00:00-00:00") == T("2025-10-01T06:00:00Z"),
	    "-00:00 is UTC");
	ok(T("2025-10-01t06:00:00z") == T("2025-10-01T06:00:00Z"),
	    "lower-case t and z");
	ok(T("2025-10-01 06:00:00Z") == T("2025-10-01T06:00:00Z"),
	    "space for T");
	ok(T("2025-10-01T06:00:00.5Z") == T("2025-10-01T06:00:00Z") + 500,
	    "fraction .5");
	ok(T("2025-10-01T06:00:00.123456789Z") ==
	    T("2025-10-01T06:00:00Z") + 123, "fraction truncated to ms");
	ok(T("2024-02-29T00:00:00Z") == 1709164800000LL, "leap day 2024");
	ok(T("2000-02-29T00:00:00Z") == 951782400000LL, "leap day 2000");
	ok(T("2016-12-31T23:59:60Z") == T("2017-01-01T00:00:00Z"),
	    "leap second");
	ok(T("1969-12-31T23:59:59.999Z") == -1, "before the epoch");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cx_time_parse(bad[i], &t) == -1, "reject \"%s\"", bad[i]);
	ok(cx_time_parse(NULL, &t) == -1, "reject NULL");

	is_str(cx_time_format(T("2025-10-01T14:00:00+08:00"), buf),
	    "2025-10-01T06:00:00Z", "format UTC");
	is_str(cx_time_format(T("2025-10-01T06:00:00.5Z"), buf),
	    "2025-10-01T06:00:00.500Z", "format with milliseconds");
	is_str(cx_time_format(0, buf), "1970-01-01T00:00:00Z",
	    "format the epoch");
	is_str(cx_time_format(-1, buf), "1969-12-31T23:59:59.999Z",
	    "format before the epoch");
	is_str(cx_time_format(T("2024-02-29T23:59:59.001Z"), buf),
	    "2024-02-29T23:59:59.001Z", "round trip");
}

static void
test_zones(void)
{
	cx_ms t = T("2025-10-01T06:00:00Z");
	char buf[40];

	is_str(cx_time_format_tz(t, "Asia/Shanghai", buf),
	    "2025-10-01T14:00:00+08:00", "format in Asia/Shanghai");
	is_str(cx_time_format_tz(t, "America/New_York", buf),
	    "2025-10-01T02:00:00-04:00", "format in New York (EDT)");
	is_str(cx_time_format_tz(T("2025-12-01T06:00:00Z"),
	    "America/New_York", buf), "2025-12-01T01:00:00-05:00",
	    "format in New York (EST)");
	is_str(cx_time_format_tz(t + 250, "Asia/Kolkata", buf),
	    "2025-10-01T11:30:00.250+05:30", "format in Asia/Kolkata");
	is_str(cx_time_format_tz(t, "UTC", buf), "2025-10-01T06:00:00+00:00",
	    "format in UTC zone");
	is_str(cx_time_format_tz(t, NULL, buf), "2025-10-01T06:00:00Z",
	    "format with NULL zone");
	ok(cx_time_format_tz(t, "Nowhere/City", buf) == NULL,
	    "format in an unknown zone");
	ok(T("2025-10-01T14:00:00+08:00") ==
	    T(cx_time_format_tz(t, "Asia/Shanghai", buf)),
	    "zoned round trip");

	setenv("TZ", "Europe/Paris", 1);
	tzset();
	cx_time_format_tz(t, "Asia/Tokyo", buf);
	is_str(getenv("TZ"), "Europe/Paris", "TZ restored");
	unsetenv("TZ");
	tzset();
	cx_time_format_tz(t, "Asia/Tokyo", buf);
	ok(getenv("TZ") == NULL, "unset TZ stays unset");

	ok(cx_tz_valid("UTC"), "UTC is valid");
	ok(cx_tz_valid("Asia/Shanghai"), "Asia/Shanghai is valid");
	ok(cx_tz_valid("America/Argentina/Buenos_Aires"),
	    "three-part name is valid");
	ok(cx_tz_valid("Etc/GMT+8"), "Etc/GMT+8 is valid");
	ok(!cx_tz_valid("Nowhere/City"), "unknown zone");
	ok(!cx_tz_valid(""), "empty zone");
	ok(!cx_tz_valid(NULL), "NULL zone");
	ok(!cx_tz_valid("/etc/passwd"), "absolute path");
	ok(!cx_tz_valid("../../../etc/passwd"), "dot-dot path");
	ok(!cx_tz_valid("Asia/../Asia/Tokyo"), "dot-dot inside");
	ok(!cx_tz_valid("Asia"), "a directory is not a zone");
	ok(!cx_tz_valid("zone.tab"), "zone.tab is not a zone");
	ok(!cx_tz_valid("Asia/Shanghai "), "trailing space");
}

static void
test_clock(void)
{
	cx_ms a, b, now;

	setenv("CXKIT_NOW", "2025-10-01T14:00:00+08:00", 1);
	ok(cx_now() == T("2025-10-01T06:00:00Z"), "CXKIT_NOW overrides");
	unsetenv("CXKIT_NOW");
	now = (cx_ms)time(NULL) * 1000;
	a = cx_now();
	ok(a >= now - 2000 && a <= now + 2000, "cx_now is the real time");
	a = cx_mono();
	b = cx_mono();
	ok(a > 0 && b >= a, "cx_mono is monotonic");
}

static void
until_is(const char *win, const char *tz, const char *at, const char *want,
    const char *name)
{
	struct cx_window w;
	char buf[40];
	cx_ms got;

	if (cx_window_parse(win, &w) != 0) {
		ok(0, "%s: parse %s", name, win);
		return;
	}
	got = cx_window_until(&w, tz, T(at));
	if (want == NULL)
		is_str(got == 0 ? "0" : cx_time_format(got, buf), "0",
		    "%s", name);
	else
		is_str(got == 0 ? "0" : cx_time_format(got, buf), want,
		    "%s", name);
}

static void
test_window(void)
{
	static const char *bad[] = { "21:00-21:00", "25:00-08:00",
	    "21:60-08:00", "21:00", "21:00-08:00x", "", "21-08",
	    "24:00-08:00", "21:0-08:00", "-08:00", "21:00-" };
	struct cx_window w;
	size_t i;

	ok(cx_window_parse("21:00-08:00", &w) == 0 && w.start_min == 1260 &&
	    w.end_min == 480, "parse 21:00-08:00");
	ok(cx_window_parse("9:30-17:45", &w) == 0 && w.start_min == 570 &&
	    w.end_min == 1065, "parse 9:30-17:45");
	ok(cx_window_parse("22:00 - 24:00", &w) == 0 &&
	    w.start_min == 1320 && w.end_min == 0, "parse 22:00 - 24:00");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(cx_window_parse(bad[i], &w) == -1, "reject window \"%s\"",
		    bad[i]);
	ok(cx_window_parse(NULL, &w) == -1, "reject NULL window");

	until_is("21:00-08:00", "Asia/Shanghai", "2025-10-01T14:30:00Z",
	    "2025-10-02T00:00:00Z", "22:30 Shanghai: until 08:00 next day");
	until_is("21:00-08:00", "Asia/Shanghai", "2025-10-01T04:00:00Z",
	    NULL, "12:00 Shanghai: outside");
	until_is("21:00-08:00", "Asia/Shanghai", "2025-10-01T23:00:00Z",
	    "2025-10-02T00:00:00Z", "07:00 Shanghai: until 08:00 same day");
	until_is("21:00-08:00", "Asia/Shanghai", "2025-10-01T13:00:00Z",
	    "2025-10-02T00:00:00Z", "21:00 Shanghai: the start is inside");
	until_is("21:00-08:00", "Asia/Shanghai", "2025-10-02T00:00:00Z",
	    NULL, "08:00 Shanghai: the end is outside");
	until_is("21:00-08:00", "Asia/Shanghai", "2025-10-01T15:59:59.999Z",
	    "2025-10-02T00:00:00Z", "23:59:59.999 Shanghai");
	until_is("21:00-08:00", "Asia/Shanghai", "2025-10-01T16:00:00Z",
	    "2025-10-02T00:00:00Z", "00:00 Shanghai");
	until_is("12:00-13:00", "Asia/Shanghai", "2025-10-01T04:30:00Z",
	    "2025-10-01T05:00:00Z", "12:30 in 12:00-13:00");
	until_is("12:00-13:00", "Asia/Shanghai", "2025-10-01T05:00:00Z",
	    NULL, "13:00 not in 12:00-13:00");
	until_is("12:00-13:00", "Asia/Shanghai", "2025-10-01T03:59:00Z",
	    NULL, "11:59 not in 12:00-13:00");
	until_is("21:00-08:00", NULL, "2025-10-01T22:00:00Z",
	    "2025-10-02T08:00:00Z", "NULL zone is UTC");
	until_is("22:00-24:00", "Asia/Tokyo", "2025-10-01T13:30:00Z",
	    "2025-10-01T15:00:00Z", "window ending at midnight");

	/* 2025-03-09 02:00 EST -> 03:00 EDT; 2025-11-02 02:00 EDT -> 01:00
	 * EST.  The end is 08:00 local, whatever the offset became. */
	until_is("21:00-08:00", "America/New_York", "2025-03-09T03:00:00Z",
	    "2025-03-09T12:00:00Z", "New York, spring forward: 08:00 EDT");
	until_is("21:00-08:00", "America/New_York", "2025-11-02T02:00:00Z",
	    "2025-11-02T13:00:00Z", "New York, fall back: 08:00 EST");
	until_is("21:00-08:00", "America/New_York", "2025-03-09T11:30:00Z",
	    "2025-03-09T12:00:00Z", "07:30 EDT, just after the change");
	until_is("21:00-08:00", "America/New_York", "2025-03-09T12:30:00Z",
	    NULL, "08:30 EDT: outside");
	until_is("01:00-03:00", "America/New_York", "2025-03-09T06:30:00Z",
	    "2025-03-09T07:00:00Z", "01:30 EST: 03:00 EDT is an hour on");
}

int
main(void)
{
	test_parse();
	test_zones();
	test_clock();
	test_window();
	return tap_done();
}
