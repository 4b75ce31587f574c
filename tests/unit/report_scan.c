/* report_scan.c - cx-report's scanner (scan.c): the fields it reads equal
 * jansson's, escapes and surrogates decoded, and every line it cannot be
 * sure of (invalid JSON, bad UTF-8, \u0000, huge numbers, deep nesting,
 * duplicate keys that matter) left to jansson
 *
 * SPDX-License-Identifier: MIT
 * cx-report's sources are not in libcommon: the file is included whole.
 */
#include <stdlib.h>

#include "../../cmd/cx-report/scan.c"
#include "tap.h"

/* 1: scanned, and every field equals jansson's. */
static int
agrees(const char *line, size_t n)
{
	struct rp_fields a, b;
	char *scratch = malloc(2 * n + 64);
	json_t *rec;
	int good = 1;

	if (!rp_scan(line, n, &a, scratch)) {
		free(scratch);
		return 0;
	}
	rec = json_loadb(line, n, 0, NULL);
	if (!json_is_object(rec))
		good = 0;
	else {
		rp_fields_from_json(rec, &b);
		for (int i = 0; i < F_N && good; i++) {
			const struct rp_fv *x = &a.v[i], *y = &b.v[i];

			good = x->t == y->t && (x->t != FT_INT ||
			    x->i == y->i) && ((x->t != FT_INT &&
			    x->t != FT_REAL) || x->d == y->d) &&
			    (x->t != FT_STR || (x->n == y->n &&
			    memcmp(x->s, y->s, x->n) == 0));
			if (!good)
				printf("#   field %s differs\n", paths[i].key);
		}
	}
	json_decref(rec);
	free(scratch);
	return good;
}

/* 1: left to jansson, and jansson rejects it or it is no object (or
 * want_valid: jansson reads it). */
static int
punts(const char *line, size_t n, int want_valid)
{
	struct rp_fields a;
	char *scratch = malloc(2 * n + 64);
	json_t *rec;
	int r = rp_scan(line, n, &a, scratch);

	free(scratch);
	if (r)
		return 0;
	rec = json_loadb(line, n, 0, NULL);
	r = want_valid ? rec != NULL : !json_is_object(rec);
	json_decref(rec);
	return r;
}

#define AGREES(s, ...) ok(agrees(s, sizeof s - 1), __VA_ARGS__)
#define INVALID(s, ...) ok(punts(s, sizeof s - 1, 0), __VA_ARGS__)
#define CORNER(s, ...) ok(punts(s, sizeof s - 1, 1), __VA_ARGS__)

static const char *
str_of(const char *line, int field, char *scratch)
{
	struct rp_fields f;

	if (!rp_scan(line, strlen(line), &f, scratch) ||
	    f.v[field].t != FT_STR)
		return NULL;
	return f.v[field].s;
}

int
main(void)
{
	char scr[4096];
	struct rp_fields f;
	char *deep;

	AGREES("{\"ts\":\"2026-10-01T00:00:00Z\",\"event\":\"connect\","
	    "\"queue\":\"vip\",\"caller\":\"+8613800029611\",\"wait_s\":"
	    "416.0,\"agent\":\"\xe7\x8e\x8b\xe8\x8a\xb3\"}", "a queue event");
	AGREES("{\"id\":\"r2\",\"to\":\"+1\",\"queue\":{\"reason\":\"wait\","
	    "\"queue\":\"support\"},\"sms\":{\"status\":\"sent\",\"to\":\"+2\","
	    "\"provider\":\"aliyun\",\"segments\":1,\"error\":{\"code\":"
	    "\"E1\"}}}", "an sms result, nested objects");
	AGREES(" \t{ \"ts\" : null , \"sms\" : [ 1 , { \"status\" : 1 } ] ,"
	    "\"im\":{\"parts\":-0,\"status\":\"x\"} } \r ", "whitespace, "
	    "arrays, -0");
	AGREES("{\"intent\":{\"name\":\"csat\",\"entities\":{\"score\":8,"
	    "\"scale\":10,\"satisfied\":false}},\"from\":\"+1\"}",
	    "an inbound message with entities");
	AGREES("{\"wait_s\":1.5e-400,\"talk_s\":1E+3,\"x\":[1e308,-0.0]}",
	    "reals: underflow, exponents");
	AGREES("{\"error_code\":-123456789012345678}", "18 digits");
	AGREES("{\"a\":{\"ts\":1},\"b\":[{\"sms\":{}}]}", "keys of other "
	    "objects are not fields");
	AGREES("{\"x\":1,\"x\":2,\"ts\":\"t\"}", "duplicates of other keys");

	is_str(str_of("{\"text\":\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"}",
	    F_TEXT, scr), "a\"b\\c/d\be\ff\ng\rh\ti", "simple escapes");
	is_str(str_of("{\"text\":\"\\u00e9\\u4E2D\\u0041\"}", F_TEXT, scr),
	    "\xc3\xa9\xe4\xb8\xad" "A", "\\u escapes of 1, 2 and 3 bytes");
	is_str(str_of("{\"text\":\"\\ud83d\\ude00!\"}", F_TEXT, scr),
	    "\xf0\x9f\x98\x80!", "a surrogate pair");
	is_str(str_of("{\"t\\u0065xt\":\"k\"}", F_TEXT, scr), "k",
	    "an escaped key");
	AGREES("{\"text\":\"\\ud83d\\ude00\\u00e9\\n\",\"t\\u0073\":\"x\"}",
	    "escapes: jansson agrees");
	AGREES("{\"text\":\"\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xed\x9f\xbf"
	    "\xee\x80\x80\x7f\"}", "UTF-8 at the edges of the valid ranges");

	INVALID("{\"text\":\"\\ud83d\"}", "a lone high surrogate");
	INVALID("{\"text\":\"\\ud83dx\"}", "a high surrogate, then a letter");
	INVALID("{\"text\":\"\\ud83d\\u0041\"}", "a high surrogate, then no "
	    "low one");
	INVALID("{\"text\":\"\\ude00\"}", "a lone low surrogate");
	INVALID("{\"text\":\"\\u0000\"}", "\\u0000");
	INVALID("{\"x\":\"\\u0000\"}", "\\u0000 in any string");
	INVALID("{\"text\":\"\\u12\"}", "a short \\u");
	INVALID("{\"text\":\"\\x\"}", "an unknown escape");
	INVALID("{\"text\":\"a\tb\"}", "a control character");
	INVALID("{\"text\":\"\xc0\xaf\"}", "overlong UTF-8");
	INVALID("{\"text\":\"\xe0\x80\xaf\"}", "overlong UTF-8, 3 bytes");
	INVALID("{\"text\":\"\xed\xa0\x80\"}", "a surrogate in UTF-8");
	INVALID("{\"text\":\"\xf4\x90\x80\x80\"}", "above U+10FFFF");
	INVALID("{\"text\":\"\xc3\"}", "a cut sequence");
	INVALID("{\"text\":\"\x80\"}", "a lone continuation byte");
	INVALID("{\"text\":\"\xff\"}", "0xFF");
	INVALID("{\"x\":1e999}", "a real that overflows");
	INVALID("{\"x\":-1e999}", "a negative real that overflows");
	INVALID("{\"x\":9223372036854775808}", "an integer that overflows");
	INVALID("{\"x\":01}", "a leading zero");
	INVALID("{\"x\":1.}", "no digit after the point");
	INVALID("{\"x\":.5}", "no digit before the point");
	INVALID("{\"x\":1e}", "no exponent digit");
	INVALID("{\"x\":-}", "a lone minus");
	INVALID("{\"x\":+1}", "a plus");
	INVALID("{\"x\":truex}", "a longer word");
	INVALID("{\"x\":nul}", "a shorter word");
	INVALID("{\"x\":1,}", "a trailing comma");
	INVALID("{\"x\":[1,]}", "a trailing comma in an array");
	INVALID("{\"x\":1", "no closing brace");
	INVALID("{\"x\":1}x", "garbage after the object");
	INVALID("{\"x\":1}{}", "two objects");
	INVALID("{x:1}", "a bare key");
	INVALID("{\"x\" 1}", "no colon");
	INVALID("not json", "not JSON");
	INVALID("", "nothing");
	INVALID("[{\"ts\":1}]", "an array is no object");
	INVALID("\"x\"", "a string is no object");
	INVALID("\xef\xbb\xbf{}", "a byte order mark");

	CORNER("{\"ts\":\"a\",\"ts\":\"b\"}", "a duplicate field: jansson's "
	    "last one");
	CORNER("{\"sms\":{\"status\":\"sent\"},\"sms\":1}", "a duplicate "
	    "object field");
	CORNER("{\"x\":1234567890123456789}", "19 digits");
	CORNER("{\"x\":1.00000000000000000000000000000000000000000000000000"
	    "00000000000000}", "a long real");
	deep = malloc(2 * 2100 + 16);
	strcpy(deep, "{\"x\":");
	for (int i = 0; i < 255; i++)
		strcat(deep, "[");
	for (int i = 0; i < 255; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ok(agrees(deep, strlen(deep)), "nesting 256 deep");
	strcpy(deep, "{\"x\":");
	for (int i = 0; i < 256; i++)
		strcat(deep, "[");
	for (int i = 0; i < 256; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ok(punts(deep, strlen(deep), 1), "deeper: left to jansson");
	strcpy(deep, "{\"x\":");
	for (int i = 0; i < 2100; i++)
		strcat(deep, "[");
	ok(punts(deep, strlen(deep), 0), "too deep for jansson, unclosed");
	free(deep);

	ok(rp_scan("{\"sms\":\"x\",\"error_code\":7}", 26, &f, scr) &&
	    f.v[F_SMS].t == FT_STR && f.v[F_SMS_STATUS].t == FT_ABSENT &&
	    f.v[F_ERROR_CODE].t == FT_INT && f.v[F_ERROR_CODE].i == 7,
	    "children of a non-object are absent");
	return tap_done();
}
