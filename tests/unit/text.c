/* text.c - unit tests for libcommon/text.c
 *
 * SPDX-License-Identifier: MIT
 * Every segment vector of providers.md §15, [V] and [S], is here.
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "tap.h"
#include "xwrap.h"

#define EMOJI_WINK	"\xf0\x9f\x98\x9c"		/* 😜 U+1F61C */
#define EMOJI_GRIN	"\xf0\x9f\x98\x80"		/* 😀 U+1F600 */
#define FLAG_IT		"\xf0\x9f\x87\xae\xf0\x9f\x87\xb9"	/* 🇮🇹 */
#define EURO		"\xe2\x82\xac"			/* € */
#define ZHONG		"\xe4\xb8\xad"			/* 中 */

/* A malloc'd string: head, then unit repeated n times, then tail. */
static char *
mk(const char *head, const char *unit, int n, const char *tail)
{
	struct cx_buf b = { 0 };
	int i;

	cx_buf_adds(&b, head);
	for (i = 0; i < n; i++)
		cx_buf_adds(&b, unit);
	cx_buf_adds(&b, tail);
	return cx_buf_take(&b);
}

static void
seg_is(char *s, enum cx_encoding enc, int segments, int units,
    const char *name)
{
	struct cx_segments sg;
	int rc = cx_sms_segments(s, strlen(s), &sg);

	ok(rc == 0 && sg.encoding == enc && sg.segments == segments &&
	    sg.units == units, "%s: %s, %d part(s), %d units", name,
	    cx_encoding_name(enc), segments, units);
	if (rc == 0 && (sg.encoding != enc || sg.segments != segments ||
	    sg.units != units))
		printf("#   got: %s, %d part(s), %d units\n",
		    cx_encoding_name(sg.encoding), sg.segments, sg.units);
	free(s);
}

static void
test_vectors(void)
{
	/* [V]: TwilioDevEd/message-segment-calculator tests. */
	seg_is(mk("", "1", 160, ""), CX_ENC_GSM7, 1, 160, "160 x '1'");
	seg_is(mk("", "1", 161, ""), CX_ENC_GSM7, 2, 161, "161 x '1'");
	seg_is(mk("", "1", 307, ""), CX_ENC_GSM7, 3, 307, "307 x '1'");
	seg_is(mk(EMOJI_WINK, "1", 68, ""), CX_ENC_UCS2, 1, 70,
	    "wink + 68 digits");
	seg_is(mk(EMOJI_WINK, "1", 69, ""), CX_ENC_UCS2, 2, 71,
	    "wink + 69 digits");
	seg_is(mk(EMOJI_WINK, "1", 133, ""), CX_ENC_UCS2, 3, 135,
	    "wink + 133 digits");
	seg_is(mk(FLAG_IT, "1", 66, ""), CX_ENC_UCS2, 1, 70,
	    "flag IT + 66 digits");
	seg_is(mk(FLAG_IT, "1", 67, ""), CX_ENC_UCS2, 2, 71,
	    "flag IT + 67 digits");
	seg_is(mk(EURO, "1", 158, ""), CX_ENC_GSM7, 1, 160,
	    "euro + 158 digits");
	seg_is(mk(EURO, "1", 159, ""), CX_ENC_GSM7, 2, 161,
	    "euro + 159 digits");
	seg_is(mk(EMOJI_GRIN, "]", 68, ""), CX_ENC_UCS2, 1, 70,
	    "grin + 68 x ']'");
	seg_is(mk(EMOJI_GRIN, "]", 69, ""), CX_ENC_UCS2, 2, 71,
	    "grin + 69 x ']'");

	/* [S]: the extra vectors of §15. */
	seg_is(mk("", EURO, 80, ""), CX_ENC_GSM7, 1, 160, "80 x euro");
	seg_is(mk("", EURO, 81, ""), CX_ENC_GSM7, 2, 162, "81 x euro");
	seg_is(mk("", ZHONG, 70, ""), CX_ENC_UCS2, 1, 70, "70 x zhong");
	seg_is(mk("", ZHONG, 71, ""), CX_ENC_UCS2, 2, 71, "71 x zhong");
	seg_is(mk("", ZHONG, 134, ""), CX_ENC_UCS2, 2, 134, "134 x zhong");
	seg_is(mk("", ZHONG, 135, ""), CX_ENC_UCS2, 3, 135, "135 x zhong");
	seg_is(mk("", EMOJI_GRIN, 35, ""), CX_ENC_UCS2, 1, 70, "35 x grin");
	seg_is(mk("", EMOJI_GRIN, 36, ""), CX_ENC_UCS2, 2, 72, "36 x grin");
}

static void
test_segments(void)
{
	struct cx_segments sg;
	char *s;

	seg_is(mk("", "1", 306, ""), CX_ENC_GSM7, 2, 306, "306 x '1'");
	seg_is(mk("", "1", 0, ""), CX_ENC_GSM7, 0, 0, "empty text");
	/* An escape pair never straddles two parts. */
	s = mk("", "1", 152, EURO);
	seg_is(mk(s, "1", 152, ""), CX_ENC_GSM7, 3, 306,
	    "152 digits, euro, 152 digits");
	free(s);
	/* Nor does a surrogate pair. */
	s = mk("", ZHONG, 66, EMOJI_GRIN);
	seg_is(mk(s, ZHONG, 66, ""), CX_ENC_UCS2, 3, 134,
	    "66 zhong, grin, 66 zhong");
	free(s);
	seg_is(mk("Your repair W20251001 is done. Reply 1 to rate it.", "",
	    0, ""), CX_ENC_GSM7, 1, 50, "plain English notice");
	seg_is(mk("Reply ", ZHONG, 1, ""), CX_ENC_UCS2, 1, 7,
	    "one Chinese character switches to UCS-2");
	seg_is(mk("caf\xc3\xa9 \xc3\x87" "a {ok}", "", 0, ""), CX_ENC_GSM7, 1,
	    14, "accents of the default table, braces cost 2");
	seg_is(mk("\xc3\xa7", "", 0, ""), CX_ENC_UCS2, 1, 1,
	    "small c cedilla is not GSM");
	seg_is(mk("`", "", 0, ""), CX_ENC_UCS2, 1, 1, "backtick is not GSM");

	s = mk("\xc3\xa9", EMOJI_GRIN, 1, "a");
	ok(cx_sms_segments(s, strlen(s), &sg) == 0 && sg.chars == 3,
	    "chars counts code points");
	free(s);
	ok(cx_sms_segments("a\xc0\x80", 3, &sg) == -1,
	    "invalid UTF-8 is rejected");
	is_str(cx_encoding_name(CX_ENC_GSM7), "GSM-7", "encoding name GSM-7");
	is_str(cx_encoding_name(CX_ENC_UCS2), "UCS-2", "encoding name UCS-2");
}

static void
test_gsm7(void)
{
	static const unsigned yes[] = { '@', 0xa3, '$', 0xa5, 0xc7, '\n',
	    0x394, 0x3a9, 0xdf, 0xa4, 0xa1, 0xa7, 0xbf, 0xe0, 0xfc, '~',
	    '^', '{', '}', '\\', '[', ']', '|', 0x20ac, 0x0c };
	static const unsigned no[] = { '`', 0xe7, 0x3b1, 0x4e2d, 0x1f600,
	    0x1b, '\t', 0 };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ok(cx_gsm7_char(yes[i]), "U+%04X is GSM-7", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ok(!cx_gsm7_char(no[i]), "U+%04X is not GSM-7", no[i]);
}

static void
test_utf8(void)
{
	static const struct {
		const char *s;
		int valid;
		const char *name;
	} v[] = {
		{ "", 1, "empty" },
		{ "abc", 1, "ASCII" },
		{ ZHONG EMOJI_GRIN, 1, "BMP and astral" },
		{ "\xed\x9f\xbf", 1, "U+D7FF" },
		{ "\xee\x80\x80", 1, "U+E000" },
		{ "\xef\xbf\xbf", 1, "U+FFFF" },
		{ "\xf4\x8f\xbf\xbf", 1, "U+10FFFF" },
		{ "\xc2\x80", 1, "U+0080" },
		{ "\xc0\x80", 0, "overlong NUL" },
		{ "\xc1\xbf", 0, "overlong 2-byte" },
		{ "\xe0\x80\xaf", 0, "overlong 3-byte" },
		{ "\xf0\x8f\xbf\xbf", 0, "overlong 4-byte" },
		{ "\xed\xa0\x80", 0, "high surrogate" },
		{ "\xed\xbf\xbf", 0, "low surrogate" },
		{ "\xf4\x90\x80\x80", 0, "U+110000" },
		{ "\xf5\x80\x80\x80", 0, "lead byte F5" },
		{ "\xff", 0, "byte FF" },
		{ "\x80", 0, "lone continuation" },
		{ "\xe4\xb8", 0, "truncated at the end" },
		{ "\xe4\xb8z", 0, "truncated in the middle" },
		{ "\xf0\x9f\x98", 0, "truncated 4-byte" },
	};
	const char *p, *s = "a" ZHONG EMOJI_GRIN;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(cx_utf8_valid(v[i].s, strlen(v[i].s)), v[i].valid,
		    "UTF-8 %s", v[i].name);
	ok(cx_utf8_valid("a\0b", 3), "NUL is valid UTF-8");
	ok(!cx_utf8_valid(ZHONG, 2), "length is honoured");

	p = s;
	is_int(cx_utf8_next(&p, s + 8), 'a', "next: a");
	is_int(cx_utf8_next(&p, s + 8), 0x4e2d, "next: U+4E2D");
	is_int(p - s, 4, "next advanced 3 bytes");
	is_int(cx_utf8_next(&p, s + 8), 0x1f600, "next: U+1F600");
	is_int(cx_utf8_next(&p, s + 8), -1, "next at the end: -1");
	is_int(p - s, 8, "the end is not passed");
	p = "\xc0\x80";
	is_int(cx_utf8_next(&p, p + 2), -1, "next on an overlong: -1");
}

static void
sens_is(const char *s, const char *want, const char *name)
{
	const char *what = "unset";
	int rc = cx_text_sensitive(s, &what);

	if (want == NULL)
		ok(rc == 0, "not sensitive: %s", name);
	else
		ok(rc == 1 && what && strcmp(what, want) == 0,
		    "sensitive (%s): %s", want, name);
}

static void
test_sensitive(void)
{
	const char *card = "payment card number", *id = "resident ID number";

	sens_is("4111 1111 1111 1111", card, "card grouped by spaces");
	sens_is("4111-1111-1111-1111", card, "card grouped by dashes");
	sens_is("4111111111111111", card, "card ungrouped");
	sens_is("Card: 4111 1111 1111 1111, exp 12/27", card, "card in text");
	sens_is("\xe5\x8d\xa1\xe5\x8f\xb7" "4111111111111111\xe3\x80\x82",
	    card, "card after Chinese text");
	sens_is("\xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
	    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
	    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
	    "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91",
	    card, "card in full-width digits");
	sens_is("3782 822463 10005", card, "Amex grouped 4-6-5");
	sens_is("6222 0212 3456 7890 128", card, "19 digits grouped");
	sens_is("order 1234 4111 1111 1111 1111", card,
	    "card after another number");
	sens_is("4111 1111 1111 1112", NULL, "card failing Luhn");
	sens_is("41111111111111110000", NULL, "20-digit run");
	sens_is("4111  1111 1111 1111", NULL, "double space breaks grouping");
	sens_is("W4111111111111111", NULL, "glued to a letter");
	sens_is("Your repair W20251001 is done.", NULL, "order number");
	sens_is("Appointment Oct 8 14:00, ticket W20251001", NULL,
	    "appointment");
	sens_is("+8613800138000", NULL, "E.164 phone");
	sens_is("+8613800138002", NULL, "Luhn-valid E.164 phone");
	sens_is("+86 138 0013 8002", NULL, "grouped Luhn-valid phone");
	sens_is("8613800138000", NULL, "13-digit phone failing Luhn");
	sens_is("8613800138002", card, "13-digit Luhn-valid run");
	sens_is("13800138000", NULL, "CN mobile");
	sens_is("call 400-820-8820 or 010-8888-8888", NULL, "hotlines");
	sens_is("2025-10-01 14:00", NULL, "date and time");
	sens_is("", NULL, "empty");
	ok(cx_text_sensitive(NULL, NULL) == 0, "NULL text, NULL what");

	sens_is("11010519491231002X", id, "resident ID");
	sens_is("11010519491231002x", id, "resident ID, lower-case x");
	sens_is("ID 11010519491231002X.", id, "resident ID in text");
	sens_is("\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81"
	    "11010519491231002X\xe3\x80\x82", id, "resident ID after Chinese");
	sens_is("\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91"
	    "\xef\xbc\x90\xef\xbc\x95\xef\xbc\x91\xef\xbc\x99"
	    "\xef\xbc\x94\xef\xbc\x99\xef\xbc\x91\xef\xbc\x92"
	    "\xef\xbc\x93\xef\xbc\x91\xef\xbc\x90\xef\xbc\x90"
	    "\xef\xbc\x92\xef\xbc\xb8", id, "resident ID in full width");
	sens_is("110105200002290021", id, "resident ID born on 29 Feb 2000");
	sens_is("110105194912310021", NULL, "resident ID, wrong check");
	sens_is("110105194912310029", NULL, "resident ID, wrong check 9");
	sens_is("11010519491231002Y", NULL, "resident ID, Y for X");
	sens_is("110105194913310021", NULL, "resident ID, month 13");
	sens_is("110105194902300020", NULL, "resident ID, 30 Feb");
	sens_is("110105190002290025", NULL, "resident ID, 29 Feb 1900");
	sens_is("110105189912310023", NULL, "resident ID, born 1899");
	sens_is("111010519491231002X", NULL, "19 characters");
}

int
main(void)
{
	test_vectors();
	test_segments();
	test_gsm7();
	test_utf8();
	test_sensitive();
	return tap_done();
}
