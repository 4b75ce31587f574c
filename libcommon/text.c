/* text.c - SMS text: GSM 03.38, segments, UTF-8, sensitive content
 *
 * SPDX-License-Identifier: MIT
 * The GSM tables and the segment rules are those of providers.md §15
 * (3GPP TS 23.038).  The UTF-8 decoder is hand-written because the
 * segment counter needs code points one at a time and must reject what
 * utf8proc would also reject (overlongs, surrogates, > U+10FFFF).
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xwrap.h"

#define GSM_NONE	0xffff		/* 0x1B: the escape to the extension */

/* The default alphabet, indexed by 7-bit code, as Unicode code points. */
static const unsigned short gsm_default[128] = {
	'@', 0x00a3, '$', 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
	0x00f2, 0x00c7, '\n', 0x00d8, 0x00f8, '\r', 0x00c5, 0x00e5,
	0x0394, '_', 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
	0x03a3, 0x0398, 0x039e, GSM_NONE, 0x00c6, 0x00e6, 0x00df, 0x00c9,
	' ', '!', '"', '#', 0x00a4, '%', '&', '\'',
	'(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7',
	'8', '9', ':', ';', '<', '=', '>', '?',
	0x00a1, 'A', 'B', 'C', 'D', 'E', 'F', 'G',
	'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W',
	'X', 'Y', 'Z', 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
	0x00bf, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
	'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
	'x', 'y', 'z', 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

/* The extension table (ESC + code): form feed ^ { } \ [ ~ ] | €. */
static const unsigned short gsm_extension[] = {
	0x000c, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20ac,
};

/* Septets that cp costs in GSM-7: 1, 2 (extension), or 0 (not GSM). */
static int
gsm7_cost_slow(unsigned cp)
{
	size_t i;

	for (i = 0; i < 128; i++)
		if (gsm_default[i] == cp)
			return 1;
	for (i = 0; i < sizeof(gsm_extension) / sizeof(gsm_extension[0]);
	    i++)
		if (gsm_extension[i] == cp)
			return 2;
	return 0;
}

/* The cost of ASCII characters, looked up once: most texts are ASCII or
 * CJK, and a linear search per character showed in profiles. */
static int
gsm7_cost(unsigned cp)
{
	static signed char ascii[128];
	static int ready;

	if (cp >= 128)
		return gsm7_cost_slow(cp);
	if (!ready) {
		for (unsigned c = 0; c < 128; c++)
			ascii[c] = (signed char)gsm7_cost_slow(c);
		ready = 1;
	}
	return ascii[cp];
}

int
cx_gsm7_char(unsigned cp)
{
	return gsm7_cost(cp) != 0;
}

const char *
cx_encoding_name(enum cx_encoding e)
{
	return e == CX_ENC_GSM7 ? "GSM-7" : "UCS-2";
}

long
cx_utf8_next(const char **p, const char *end)
{
	const unsigned char *s = (const unsigned char *)*p;
	const unsigned char *e = (const unsigned char *)end;
	unsigned long cp, min;
	int n, i;

	if (s >= e)
		return -1;
	if (s[0] < 0x80) {
		(*p)++;
		return s[0];
	}
	if (s[0] < 0xc2)		/* a continuation, or C0/C1 overlong */
		goto bad;
	if (s[0] < 0xe0) {
		n = 1, cp = s[0] & 0x1f, min = 0x80;
	} else if (s[0] < 0xf0) {
		n = 2, cp = s[0] & 0x0f, min = 0x800;
	} else if (s[0] < 0xf5) {
		n = 3, cp = s[0] & 0x07, min = 0x10000;
	} else {
		goto bad;
	}
	if (e - s <= n)
		goto bad;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		goto bad;
	*p += n + 1;
	return (long)cp;
bad:
	(*p)++;
	return -1;
}

int
cx_utf8_valid(const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end)
		if (cx_utf8_next(&s, end) < 0)
			return 0;
	return 1;
}

int
cx_sms_segments(const char *s, size_t len, struct cx_segments *out)
{
	const char *p, *end = s + len;
	int gsm = 1, single, multi, cost, cur = 0;
	long cp;

	memset(out, 0, sizeof(*out));
	for (p = s; p < end; out->chars++) {
		if ((cp = cx_utf8_next(&p, end)) < 0)
			return -1;
		if (gsm && gsm7_cost((unsigned)cp) == 0)
			gsm = 0;
	}
	out->encoding = gsm ? CX_ENC_GSM7 : CX_ENC_UCS2;
	single = gsm ? 160 : 70;
	multi = gsm ? 153 : 67;

	/*
	 * Greedy fill of concatenated parts; a character whose units do not
	 * fit (an escape pair, a surrogate pair) starts the next part.
	 */
	out->segments = 1;
	for (p = s; p < end;) {
		cp = cx_utf8_next(&p, end);
		if (gsm)
			cost = gsm7_cost((unsigned)cp);
		else
			cost = cp > 0xffff ? 2 : 1;
		out->units += cost;
		if (cur + cost > multi) {
			out->segments++;
			cur = cost;
		} else {
			cur += cost;
		}
	}
	if (out->units <= single)
		out->segments = out->units > 0;
	return 0;
}

/*
 * Sensitive content.  The text is first reduced to a string of classes,
 * one per code point, so that full-width forms need no special case later.
 */
enum cls {
	C_OTHER, C_DIGIT, C_SEP, C_X, C_LETTER, C_PLUS
};

struct sym {
	unsigned char cls;
	unsigned char val;	/* digit value, or the separator */
};

static struct sym
classify(long cp)
{
	struct sym y = { C_OTHER, 0 };

	if (cp >= 0xff10 && cp <= 0xff19)	/* full-width digits */
		cp -= 0xff10 - '0';
	else if (cp == 0xff38 || cp == 0xff58)	/* full-width X x */
		cp = 'X';
	else if (cp == 0x3000)			/* ideographic space */
		cp = ' ';
	else if (cp == 0xff0d)			/* full-width hyphen */
		cp = '-';
	else if (cp == 0xff0b)			/* full-width plus */
		cp = '+';
	if (cp >= '0' && cp <= '9') {
		y.cls = C_DIGIT;
		y.val = (unsigned char)(cp - '0');
	} else if (cp == ' ' || cp == '-') {
		y.cls = C_SEP;
		y.val = (unsigned char)cp;
	} else if (cp == 'X' || cp == 'x') {
		y.cls = C_X;
	} else if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) {
		y.cls = C_LETTER;
	} else if (cp == '+') {
		y.cls = C_PLUS;
	}
	return y;
}

static int
luhn_ok(const struct sym *y, const int *grp, const int *glen, int a, int b)
{
	int g, i, sum = 0, dbl = 0, d;

	for (g = b; g >= a; g--) {
		for (i = grp[g] + glen[g] - 1; i >= grp[g]; i--) {
			d = y[i].val;
			if (dbl && (d *= 2) > 9)
				d -= 9;
			sum += d;
			dbl = !dbl;
		}
	}
	return sum % 10 == 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* 17 digits at y, then check ('X' as 10): ISO 7064 MOD 11-2 and a date. */
static int
resident_id_ok(const struct sym *y, int check)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
	    8, 4, 2 };
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int i, sum = 0, year, mon, day, dim;

	for (i = 0; i < 17; i++)
		sum += y[i].val * w[i];
	if ((12 - sum % 11) % 11 != check)
		return 0;
	year = y[6].val * 1000 + y[7].val * 100 + y[8].val * 10 + y[9].val;
	mon = y[10].val * 10 + y[11].val;
	day = y[12].val * 10 + y[13].val;
	if (year < 1900 || year > 2099 || mon < 1 || mon > 12 || day < 1)
		return 0;
	dim = mdays[mon - 1] + (mon == 2 && leap(year));
	return day <= dim;
}

/*
 * A chain is digit groups joined by single separators.  Its groups gi..
 * are tested as a resident ID (one group of 18 digits, or 17 and an X),
 * and every run of whole groups as a card number: 13 to 19 digits, one
 * kind of separator, groups of 3 or more digits when grouped (cards are
 * written 4-4-4-4, 4-6-5, 4-4-4-4-3), and not glued to a letter (an order
 * number such as W2025100112345678) nor right after '+' (a phone number).
 * A longer ungrouped run never matches, since runs are whole groups.
 */
static const char *
chain_sensitive(const struct sym *y, const int *grp, const int *glen,
    int ng, int before, int after)
{
	int a, b, total, last;

	for (a = 0; a < ng; a++) {
		last = grp[a] + glen[a];
		if (glen[a] == 18 && resident_id_ok(y + grp[a],
		    y[last - 1].val))
			return "resident ID number";
		if (glen[a] == 17 && a == ng - 1 && after == C_X &&
		    resident_id_ok(y + grp[a], 10))
			return "resident ID number";
	}
	for (a = 0; a < ng; a++) {
		if (a == 0 && (before == C_PLUS || before == C_LETTER ||
		    before == C_X))
			continue;
		total = 0;
		for (b = a; b < ng; b++) {
			if (b > a && y[grp[b] - 1].val != y[grp[a + 1] - 1].val)
				break;
			if (b > a && (glen[a] < 3 || glen[b] < 3))
				break;
			total += glen[b];
			if (total > 19)
				break;
			if (total < 13)
				continue;
			if (b == ng - 1 && (after == C_LETTER || after == C_X))
				continue;
			if (luhn_ok(y, grp, glen, a, b))
				return "payment card number";
		}
	}
	return NULL;
}

int
cx_text_sensitive(const char *s, const char **what)
{
	const char *p = s, *end, *found = NULL;
	struct sym *y;
	int *grp, *glen, n = 0, i, j, ng, before, after;
	long cp;

	if (what != NULL)
		*what = NULL;
	if (s == NULL)
		return 0;
	end = s + strlen(s);
	y = cx_xmalloc((size_t)(end - s + 1) * sizeof(*y));
	while (p < end) {
		if ((cp = cx_utf8_next(&p, end)) < 0)
			y[n].cls = C_OTHER, y[n].val = 0;
		else
			y[n] = classify(cp);
		n++;
	}
	/* At most one group per two symbols. */
	grp = cx_xmalloc((size_t)(n / 2 + 1) * sizeof(*grp));
	glen = cx_xmalloc((size_t)(n / 2 + 1) * sizeof(*glen));
	for (i = 0; i < n && found == NULL;) {
		if (y[i].cls != C_DIGIT) {
			i++;
			continue;
		}
		before = i > 0 ? y[i - 1].cls : C_OTHER;
		ng = 0;
		for (j = i;;) {
			grp[ng] = j;
			while (j < n && y[j].cls == C_DIGIT)
				j++;
			glen[ng] = j - grp[ng];
			ng++;
			if (j + 1 < n && y[j].cls == C_SEP &&
			    y[j + 1].cls == C_DIGIT)
				j++;
			else
				break;
		}
		after = j < n ? y[j].cls : C_OTHER;
		found = chain_sensitive(y, grp, glen, ng, before, after);
		i = j;
	}
	free(glen);
	free(grp);
	free(y);
	if (what != NULL)
		*what = found;
	return found != NULL;
}
