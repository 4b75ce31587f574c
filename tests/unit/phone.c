/* phone.c - unit tests for libcommon/phone.c
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "phone.h"
#include "tap.h"

static void
e164_is(const char *in, const char *region, const char *want)
{
	char out[CX_PHONE_MAX];
	const char *why = NULL;
	int rc = cx_phone_e164(in, region, out, &why);

	if (rc != 0) {
		ok(0, "\"%s\" (%s) -> %s", in, region ? region : "-", want);
		printf("#   rejected: %s\n", why ? why : "(no reason)");
		return;
	}
	is_str(out, want, "\"%s\" (%s) -> %s", in, region ? region : "-",
	    want);
}

static void
invalid_is(const char *in, const char *region, const char *want_why)
{
	char out[CX_PHONE_MAX];
	const char *why = NULL;
	int rc = cx_phone_e164(in, region, out, &why);

	ok(rc == -1 && why != NULL && (want_why == NULL ||
	    strcmp(why, want_why) == 0), "\"%s\" (%s) invalid: %s",
	    in ? in : "(null)", region ? region : "-",
	    want_why ? want_why : why ? why : "(no reason)");
	if (rc == 0)
		printf("#   accepted as %s\n", out);
	else if (why && want_why && strcmp(why, want_why) != 0)
		printf("#   reason: %s\n", why);
}

static void
test_e164(void)
{
	e164_is("13800138000", "CN", "+8613800138000");
	e164_is("+86 138-0013-8000", NULL, "+8613800138000");
	e164_is("+86 138-0013-8000", "US", "+8613800138000");
	e164_is("008613800138000", "CN", "+8613800138000");
	e164_is("008613800138000", NULL, "+8613800138000");
	e164_is("\xef\xbc\x8b\xef\xbc\x98\xef\xbc\x96\xef\xbc\x91"
	    "\xef\xbc\x93\xef\xbc\x98\xef\xbc\x90\xef\xbc\x90"
	    "\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98\xef\xbc\x90"
	    "\xef\xbc\x90\xef\xbc\x90", NULL, "+8613800138000");
	e164_is("\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98\xe3\x80\x80"
	    "\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91\xef\xbc\x93\xe3\x80\x80"
	    "\xef\xbc\x98\xef\xbc\x90\xef\xbc\x90\xef\xbc\x90", "CN",
	    "+8613800138000");
	e164_is("8613800138000", "CN", "+8613800138000");
	e164_is("010-8888 8888", "CN", "+861088888888");
	e164_is("(021) 6123 4567", "CN", "+862161234567");
	e164_is("+86 (0)21 6123 4567", NULL, "+862161234567");
	e164_is("19912345678", "CN", "+8619912345678");
	e164_is("16612345678", "cn", "+8616612345678");
	e164_is("14012345678", "CN", "+8614012345678");
	e164_is("17812345678", "CN", "+8617812345678");
	e164_is("(415) 555-2671", "US", "+14155552671");
	e164_is("1 415 555 2671", "US", "+14155552671");
	e164_is("415.555.2671", "CA", "+14155552671");
	e164_is("011 44 7700 900123", "US", "+447700900123");
	e164_is("07700 900123", "GB", "+447700900123");
	e164_is("+44 7700 900123", NULL, "+447700900123");
	e164_is("+44 (0)7700 900123", NULL, "+447700900123");
	e164_is("9123 4567", "HK", "+85291234567");
	e164_is("+852 9123 4567", NULL, "+85291234567");
	e164_is("6612 3456", "MO", "+85366123456");
	e164_is("0912 345 678", "TW", "+886912345678");
	e164_is("9123 4567", "SG", "+6591234567");
	e164_is("090-1234-5678", "JP", "+819012345678");
	e164_is("010-1234-5678", "KR", "+821012345678");
	e164_is("030 1234567", "DE", "+49301234567");
	e164_is("06 12 34 56 78", "FR", "+33612345678");
	e164_is("098765 43210", "IN", "+919876543210");
	e164_is("0412 345 678", "AU", "+61412345678");
	e164_is("06 1234 5678", "IT", "+390612345678");
	e164_is("+39 06 1234 5678", NULL, "+390612345678");
	e164_is("8 916 123-45-67", "RU", "+79161234567");
	e164_is("+7 701 123 4567", NULL, "+77011234567");

	invalid_is("+999123", NULL, "unknown country calling code +999");
	invalid_is("12345", "CN", "too short for CN");
	invalid_is("+8612345678901", NULL,
	    "not a mainland China mobile prefix");
	invalid_is("+8615412345678", NULL,
	    "not a mainland China mobile prefix");
	invalid_is("+8616012345678", NULL,
	    "not a mainland China mobile prefix");
	invalid_is("+8617912345678", NULL,
	    "not a mainland China mobile prefix");
	invalid_is("+8619412345678", NULL,
	    "not a mainland China mobile prefix");
	invalid_is("1380013800", "CN",
	    "a mainland China mobile number has 11 digits");
	invalid_is("+86138001380001", NULL, "too long for CN");
	invalid_is("abc", "CN", "not a phone number");
	invalid_is("", "CN", "not a phone number");
	invalid_is(NULL, "CN", "not a phone number");
	invalid_is("   ", "CN", "not a phone number");
	invalid_is("+", NULL, "not a phone number");
	invalid_is("+1234567890123456", NULL,
	    "too long for E.164 (more than 15 digits)");
	invalid_is("13800138000", NULL, "a national number needs a region");
	invalid_is("13800138000", "ZZ", "unknown region");
	invalid_is("138 0013 8000 ext 12", "CN", "not a phone number");
	invalid_is("+86+13800138000", NULL, "not a phone number");
	invalid_is("138001380001234567890123456789", "CN", NULL);
	invalid_is("555-2671", "GB", "too short for GB");
	invalid_is("(415) 155-2671", "US", "not a possible NANP number");
	invalid_is("+1 015 555 2671", NULL, "not a possible NANP number");
	invalid_is("+44 7700 9001", NULL, "too short for GB");
	invalid_is("+0 123 456 789", NULL, NULL);
}

static void
test_lookup(void)
{
	char m[CX_PHONE_MAX];

	is_str(cx_phone_region("+85291234567"), "HK", "region of +852 is HK");
	is_str(cx_phone_region("+8613800138000"), "CN", "region of +86 is CN");
	is_str(cx_phone_region("+14155552671"), "US", "+1 is US");
	is_str(cx_phone_region("+16135550123"), "US",
	    "+1 is US even for Canada");
	is_str(cx_phone_region("+79161234567"), "RU", "+7 is RU");
	is_str(cx_phone_region("+447700900123"), "GB", "+44 is GB");
	is_str(cx_phone_region("+886912345678"), "TW", "+886 is TW");
	is_str(cx_phone_region("+85366123456"), "MO", "+853 is MO");
	is_str(cx_phone_region("+6591234567"), "SG", "+65 is SG");
	is_str(cx_phone_region("+2348012345678"), "NG", "+234 is NG");
	is_str(cx_phone_region("+80012345678"), NULL,
	    "+800 has no region");
	is_str(cx_phone_region("+999123"), NULL, "+999 unknown");
	is_str(cx_phone_region("8613800138000"), NULL, "no '+': NULL");
	is_str(cx_phone_region(NULL), NULL, "NULL: NULL");

	is_int(cx_phone_cc("CN"), 86, "CN is 86");
	is_int(cx_phone_cc("cn"), 86, "cn is 86");
	is_int(cx_phone_cc("US"), 1, "US is 1");
	is_int(cx_phone_cc("CA"), 1, "CA is 1");
	is_int(cx_phone_cc("HK"), 852, "HK is 852");
	is_int(cx_phone_cc("KZ"), 7, "KZ is 7");
	is_int(cx_phone_cc("JE"), 44, "JE is 44");
	is_int(cx_phone_cc("ZZ"), 0, "ZZ unknown");
	is_int(cx_phone_cc(NULL), 0, "NULL unknown");

	is_str(cx_phone_tz("+8613800138000"), "Asia/Shanghai", "tz CN");
	is_str(cx_phone_tz("+85291234567"), "Asia/Hong_Kong", "tz HK");
	is_str(cx_phone_tz("+886912345678"), "Asia/Taipei", "tz TW");
	is_str(cx_phone_tz("+6591234567"), "Asia/Singapore", "tz SG");
	is_str(cx_phone_tz("+819012345678"), "Asia/Tokyo", "tz JP");
	is_str(cx_phone_tz("+447700900123"), "Europe/London", "tz GB");
	is_str(cx_phone_tz("+49301234567"), "Europe/Berlin", "tz DE");
	is_str(cx_phone_tz("+33612345678"), "Europe/Paris", "tz FR");
	is_str(cx_phone_tz("+919876543210"), "Asia/Kolkata", "tz IN");
	is_str(cx_phone_tz("+14155552671"), NULL, "tz US: several");
	is_str(cx_phone_tz("+79161234567"), NULL, "tz RU: several");
	is_str(cx_phone_tz("+61412345678"), NULL, "tz AU: several");
	is_str(cx_phone_tz("+5511912345678"), NULL, "tz BR: several");
	is_str(cx_phone_tz("+525512345678"), NULL, "tz MX: several");
	is_str(cx_phone_tz("+6281234567890"), NULL, "tz ID: several");
	is_str(cx_phone_tz("+999123"), NULL, "tz of unknown code");

	cx_phone_mask("+8613800138000", m);
	is_str(m, "+86*******8000", "mask CN mobile");
	cx_phone_mask("+14155552671", m);
	is_str(m, "+1******2671", "mask US number");
	cx_phone_mask("+85291234567", m);
	is_str(m, "+852****4567", "mask HK number");
	cx_phone_mask("+2901234", m);
	is_str(m, "+290****", "mask a short number entirely");
	cx_phone_mask("13800138000", m);
	is_str(m, "*******8000", "mask without '+'");
	cx_phone_mask("+86138001380001234567890", m);
	is_int(strlen(m), CX_PHONE_MAX - 1, "mask truncates");
}

int
main(void)
{
	test_e164();
	test_lookup();
	return tap_done();
}
