/* normalize.c - text as keyword matching sees it: folded, simplified, tokenised
 *
 * SPDX-License-Identifier: MIT
 * Three passes over a reply, one allocation (the result) in the common
 * case: utf8proc's NFKC + case fold into a code point buffer kept in
 * struct cx_norm (skipped for ASCII, where it is a lower-casing), an
 * encoding back to UTF-8 that also looks each character up in the t2s
 * bitmap, then one pass that collapses spaces, blanks the brackets, fixes
 * 回覆/回復 and trims.  OpenCC runs only when the bitmap says it would
 * change something.
 *
 * The bitmap comes from OpenCC itself at cx_norm_new: every code point of
 * the CJK ranges goes through t2s once, one a line, in a single call
 * (no dictionary key holds a newline, so each line converts alone).
 * A phrase that t2s rewrites although none of its characters changes on
 * its own is therefore missed; 回覆 is the one that matters and is
 * mapped by hand.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <opencc/opencc.h>
#include <utf8proc.h>

#include "normalize.h"
#include "text.h"
#include "xwrap.h"

#define NFKC_CF		(UTF8PROC_STABLE | UTF8PROC_COMPAT | \
			    UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD)
#define BITMAP_END	0x2fa20		/* one past the last code point */
#define KEEP_MAX	(64 * 1024)	/* buffers larger are not kept */

/* The CJK ranges whose characters t2s may change. */
static const int32_t t2s_ranges[][2] = {
	{ 0x3400, 0x9fff }, { 0xf900, 0xfaff }, { 0x20000, 0x2fa1f },
};

struct cx_norm {
	opencc_t oc;
	int32_t *cps;		/* NFKC output, reused */
	size_t cpcap;
	char *tmp;		/* NFKC output as UTF-8, reused */
	size_t tmpcap;
	unsigned char bits[BITMAP_END / 8];
};

/* Token classes, and the ASCII ones by table (hot in keyword-parse). */
enum { CL_SEP, CL_WORD, CL_MARK, CL_SYM, CL_CJK };

static const unsigned char ascii_class[128] = {
	['0'] = CL_WORD, ['1'] = CL_WORD, ['2'] = CL_WORD, ['3'] = CL_WORD,
	['4'] = CL_WORD, ['5'] = CL_WORD, ['6'] = CL_WORD, ['7'] = CL_WORD,
	['8'] = CL_WORD, ['9'] = CL_WORD,
	['A'] = CL_WORD, ['B'] = CL_WORD, ['C'] = CL_WORD, ['D'] = CL_WORD,
	['E'] = CL_WORD, ['F'] = CL_WORD, ['G'] = CL_WORD, ['H'] = CL_WORD,
	['I'] = CL_WORD, ['J'] = CL_WORD, ['K'] = CL_WORD, ['L'] = CL_WORD,
	['M'] = CL_WORD, ['N'] = CL_WORD, ['O'] = CL_WORD, ['P'] = CL_WORD,
	['Q'] = CL_WORD, ['R'] = CL_WORD, ['S'] = CL_WORD, ['T'] = CL_WORD,
	['U'] = CL_WORD, ['V'] = CL_WORD, ['W'] = CL_WORD, ['X'] = CL_WORD,
	['Y'] = CL_WORD, ['Z'] = CL_WORD,
	['a'] = CL_WORD, ['b'] = CL_WORD, ['c'] = CL_WORD, ['d'] = CL_WORD,
	['e'] = CL_WORD, ['f'] = CL_WORD, ['g'] = CL_WORD, ['h'] = CL_WORD,
	['i'] = CL_WORD, ['j'] = CL_WORD, ['k'] = CL_WORD, ['l'] = CL_WORD,
	['m'] = CL_WORD, ['n'] = CL_WORD, ['o'] = CL_WORD, ['p'] = CL_WORD,
	['q'] = CL_WORD, ['r'] = CL_WORD, ['s'] = CL_WORD, ['t'] = CL_WORD,
	['u'] = CL_WORD, ['v'] = CL_WORD, ['w'] = CL_WORD, ['x'] = CL_WORD,
	['y'] = CL_WORD, ['z'] = CL_WORD, ['_'] = CL_WORD, ['\''] = CL_WORD,
	['$'] = CL_SYM, ['+'] = CL_SYM, ['<'] = CL_SYM, ['='] = CL_SYM,
	['>'] = CL_SYM, ['^'] = CL_SYM, ['`'] = CL_SYM, ['|'] = CL_SYM,
	['~'] = CL_SYM,
};

/* ASCII trimmed at either end: punctuation (P*) and '~' (Sm, but it ends
 * replies as often as '!'); controls and space are handled apart. */
static const unsigned char ascii_trim[128] = {
	['!'] = 1, ['"'] = 1, ['#'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['('] = 1, [')'] = 1, ['*'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1,
	['/'] = 1, [':'] = 1, [';'] = 1, ['?'] = 1, ['@'] = 1, ['['] = 1,
	['\\'] = 1, [']'] = 1, ['_'] = 1, ['{'] = 1, ['}'] = 1, ['~'] = 1,
};

static int
is_cjk(int32_t c)
{
	return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0x20000 && c <= 0x2fa1f) || (c >= 0xac00 && c <= 0xd7af) ||
	    (c >= 0x1100 && c <= 0x11ff);
}

/* The brackets that become spaces: 【】〔〕「」『』〖〗. */
static int
is_bracket(int32_t c)
{
	return (c >= 0x300c && c <= 0x300f) || (c >= 0x3010 && c <= 0x3011) ||
	    (c >= 0x3014 && c <= 0x3017);
}

static int
in_bitmap(const struct cx_norm *n, int32_t c)
{
	return c >= 0 && c < BITMAP_END && (n->bits[c >> 3] & (1u << (c & 7)));
}

/* Writes c as UTF-8 at p; returns its length (1 to 4). */
static size_t
put_utf8(char *p, int32_t c)
{
	return (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)p);
}

/* Sets the bit of every code point that t2s changes when alone. */
static int
build_bitmap(struct cx_norm *n)
{
	struct cx_buf b = { 0 };
	const char *o, *nl;
	char *out, u[4];
	size_t i, l;
	int32_t c;

	for (i = 0; i < sizeof(t2s_ranges) / sizeof(t2s_ranges[0]); i++)
		for (c = t2s_ranges[i][0]; c <= t2s_ranges[i][1]; c++) {
			cx_buf_add(&b, u, put_utf8(u, c));
			cx_buf_addc(&b, '\n');
		}
	out = opencc_convert_utf8(n->oc, b.s, b.len);
	cx_buf_free(&b);
	if (out == NULL)
		return -1;
	o = out;
	for (i = 0; i < sizeof(t2s_ranges) / sizeof(t2s_ranges[0]); i++)
		for (c = t2s_ranges[i][0]; c <= t2s_ranges[i][1]; c++) {
			if ((nl = strchr(o, '\n')) == NULL)
				goto done;	/* cannot happen: stop safely */
			l = put_utf8(u, c);
			if ((size_t)(nl - o) != l || memcmp(o, u, l) != 0)
				n->bits[c >> 3] |= 1u << (c & 7);
			o = nl + 1;
		}
done:
	opencc_convert_utf8_free(out);
	return 0;
}

struct cx_norm *
cx_norm_new(char **err)
{
	struct cx_norm *n = cx_xcalloc(1, sizeof(*n));
	const char *e;

	n->oc = opencc_open("t2s.json");
	if (n->oc == (opencc_t)-1) {
		e = opencc_error();
		if (err != NULL)
			*err = cx_xasprintf("cannot load OpenCC t2s.json: "
			    "%s", e && *e ? e : "unknown error");
		free(n);
		return NULL;
	}
	if (build_bitmap(n) == -1) {
		e = opencc_error();
		if (err != NULL)
			*err = cx_xasprintf("OpenCC t2s.json: %s",
			    e && *e ? e : "conversion failed");
		cx_norm_free(n);
		return NULL;
	}
	return n;
}

void
cx_norm_free(struct cx_norm *n)
{
	if (n == NULL)
		return;
	if (n->oc != NULL && n->oc != (opencc_t)-1)
		opencc_close(n->oc);
	free(n->cps);
	free(n->tmp);
	free(n);
}

/* NFKC + case fold of s into n->tmp as UTF-8, controls as spaces (so that
 * OpenCC, which stops at a NUL, sees the whole text).  Returns the length,
 * or -1 when utf8proc refuses s; *hit is set when a character is in the
 * t2s bitmap. */
static ssize_t
fold(struct cx_norm *n, const char *s, size_t len, int *hit)
{
	utf8proc_ssize_t r, i;
	size_t o = 0;
	int32_t c;

	if (n->cpcap < len + 1) {	/* len bytes: at most len code points */
		free(n->cps);
		n->cpcap = len + 16;
		n->cps = cx_xmalloc(n->cpcap * sizeof(*n->cps));
	}
	for (;;) {
		r = utf8proc_decompose((const utf8proc_uint8_t *)s,
		    (utf8proc_ssize_t)len, n->cps, (utf8proc_ssize_t)n->cpcap,
		    NFKC_CF);
		if (r < 0)
			return -1;
		if ((size_t)r <= n->cpcap)
			break;
		free(n->cps);
		n->cpcap = (size_t)r + 16;
		n->cps = cx_xmalloc(n->cpcap * sizeof(*n->cps));
	}
	r = utf8proc_normalize_utf32(n->cps, r, NFKC_CF);
	if (r < 0)
		return -1;
	if (n->tmpcap < (size_t)r * 4 + 1) {
		free(n->tmp);
		n->tmpcap = (size_t)r * 4 + 1;
		n->tmp = cx_xmalloc(n->tmpcap);
	}
	*hit = 0;
	for (i = 0; i < r; i++) {
		c = n->cps[i];
		if (c < 0x80) {
			n->tmp[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
			continue;
		}
		if (c < 0xa0) {			/* C1 controls */
			n->tmp[o++] = ' ';
			continue;
		}
		if (in_bitmap(n, c))
			*hit = 1;
		o += put_utf8(n->tmp + o, c);
	}
	n->tmp[o] = '\0';
	return (ssize_t)o;
}

/* The last pass: spaces, brackets, 回覆/回復, U+2019, trimming.  Writes
 * at most len bytes and a NUL to out; returns the length. */
static size_t
finish(const char *s, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	utf8proc_int32_t c, prev = 0;
	utf8proc_ssize_t l;
	size_t o = 0, keep = 0;
	int pend = 0, trim, cat;

	while (p < end) {
		if (*p < 0x80) {
			c = *p++;
			if (c <= 0x20 || c == 0x7f) {
				pend = 1;
				prev = c;
				continue;
			}
			trim = ascii_trim[c];
			if (o == 0 && trim)
				goto next;
			if (pend && o > 0)
				out[o++] = ' ';
			pend = 0;
			out[o++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) :
			    (char)c;
			if (!trim)
				keep = o;
			goto next;
		}
		l = utf8proc_iterate(p, end - p, &c);
		if (l < 0) {			/* not from us: drop it */
			p++;
			continue;
		}
		/* Emoji presentation selectors: "❤️" is "❤" to a rule. */
		if (c == 0xfe0e || c == 0xfe0f) {
			p += l;
			continue;
		}
		cat = utf8proc_category(c);
		if ((cat >= UTF8PROC_CATEGORY_ZS &&
		    cat <= UTF8PROC_CATEGORY_CC) || is_bracket(c)) {
			pend = 1;
			p += l;
			prev = c;
			continue;
		}
		trim = (cat >= UTF8PROC_CATEGORY_PC &&
		    cat <= UTF8PROC_CATEGORY_PO) || cat == UTF8PROC_CATEGORY_CF;
		if (o == 0 && trim) {
			p += l;
			goto next;
		}
		if (pend && o > 0)
			out[o++] = ' ';
		pend = 0;
		if (c == 0x2019)		/* ’ as an apostrophe */
			out[o++] = '\'';
		else if ((c == 0x8986 || c == 0x5fa9) && prev == 0x56de)
			o += put_utf8(out + o, 0x590d);	/* 回覆, 回復 */
		else {
			memcpy(out + o, p, (size_t)l);
			o += (size_t)l;
		}
		p += l;
		if (!trim)
			keep = o;
next:
		prev = c;
	}
	out[keep] = '\0';
	return keep;
}

char *
cx_norm_text(struct cx_norm *n, const char *s, size_t len, size_t *outlen)
{
	const char *src = s;
	char *oc = NULL, *out;
	size_t i, olen;
	ssize_t r;
	int hit = 0;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			break;
	if (i < len) {
		if (!cx_utf8_valid(s, len) || (r = fold(n, s, len, &hit)) < 0)
			return NULL;
		src = n->tmp;
		len = (size_t)r;
		if (hit)
			oc = opencc_convert_utf8(n->oc, src, len);
		if (oc != NULL) {
			src = oc;
			len = strlen(oc);
		}
	}
	out = cx_xmalloc(len + 1);
	olen = finish(src, len, out);
	if (oc != NULL)
		opencc_convert_utf8_free(oc);
	if (n->cpcap > KEEP_MAX) {
		free(n->cps);
		n->cps = NULL;
		n->cpcap = 0;
	}
	if (n->tmpcap > 4 * KEEP_MAX) {
		free(n->tmp);
		n->tmp = NULL;
		n->tmpcap = 0;
	}
	if (outlen != NULL)
		*outlen = olen;
	return out;
}

/* The class of the code point at *p (advanced past it). */
static int
next_class(const unsigned char **p, const unsigned char *end)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t l;
	int cat;

	if (**p < 0x80)
		return ascii_class[*(*p)++];
	l = utf8proc_iterate(*p, end - *p, &c);
	if (l < 0) {
		(*p)++;
		return CL_SEP;
	}
	*p += l;
	cat = utf8proc_category(c);
	if (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME)
		return CL_MARK;
	if (cat >= UTF8PROC_CATEGORY_SM && cat <= UTF8PROC_CATEGORY_SO)
		return CL_SYM;
	if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO))
		return is_cjk(c) ? CL_CJK : CL_WORD;
	return c == 0x2019 ? CL_WORD : CL_SEP;
}

size_t
cx_norm_tokens(const char *s, size_t len, struct cx_token **toks)
{
	const unsigned char *b = (const unsigned char *)s, *p = b;
	const unsigned char *end = b + len, *at;
	struct cx_token *t = NULL;
	size_t n = 0, cap = 0;
	int cl, state = CL_SEP;	/* CL_WORD in a run, CL_SYM after one */

	while (p < end) {
		at = p;
		cl = next_class(&p, end);
		if (cl == CL_SEP) {
			state = CL_SEP;
			continue;
		}
		if ((cl == CL_WORD && state == CL_WORD) ||
		    (cl == CL_MARK && state != CL_SEP)) {
			t[n - 1].len = (size_t)(p - b) - t[n - 1].off;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			t = cx_xrealloc(t, cap * sizeof(*t));
		}
		t[n].off = (size_t)(at - b);
		t[n].len = (size_t)(p - at);
		n++;
		state = cl == CL_WORD || cl == CL_MARK ? CL_WORD : CL_SYM;
	}
	*toks = t;
	return n;
}

#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c)	(((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z')
#define MANT_MAX	((uint64_t)1 << 53)

/* Exact powers of ten for the correctly rounded quotient. */
static const double pow10_tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Parses the number at p[i] (a digit, or a '.' before one); returns the
 * index past it and the value in *val.  Not strtod, which follows the
 * locale's decimal point.  Up to 2^53 significant the value is the
 * correctly rounded quotient of two exact doubles. */
static size_t
parse_number(const unsigned char *p, size_t len, size_t i, double *val)
{
	uint64_t mant = 0, fm = 0;
	double ip = 0;
	size_t run, fk = 0, fd = 0;
	int exact = 1, d;

	for (run = 0; i < len && IS_DIGIT(p[i]); i++, run++) {
		d = p[i] - '0';
		ip = ip * 10 + d;
		if (mant > (MANT_MAX - 9) / 10)
			exact = 0;
		else
			mant = mant * 10 + (uint64_t)d;
	}
	/* Groups of exactly three digits, after a lead of one to three. */
	while (run >= 1 && run <= 3 && i + 3 < len && p[i] == ',' &&
	    IS_DIGIT(p[i + 1]) && IS_DIGIT(p[i + 2]) && IS_DIGIT(p[i + 3]) &&
	    (i + 4 == len || !IS_DIGIT(p[i + 4])))
		for (i++, d = 0; d < 3; i++, d++) {
			ip = ip * 10 + (p[i] - '0');
			if (mant > (MANT_MAX - 9) / 10)
				exact = 0;
			else
				mant = mant * 10 + (uint64_t)(p[i] - '0');
		}
	if (i + 1 < len && p[i] == '.' && IS_DIGIT(p[i + 1]))
		for (i++; i < len && IS_DIGIT(p[i]); i++) {
			d = p[i] - '0';
			if (fd < 17) {
				fm = fm * 10 + (uint64_t)d;
				fd++;
			}
			if (mant > (MANT_MAX - 9) / 10 || fk == 22)
				exact = 0;
			else {
				mant = mant * 10 + (uint64_t)d;
				fk++;
			}
		}
	if (exact)
		*val = (double)mant / pow10_tab[fk];
	else
		*val = ip + (double)fm / pow10_tab[fd];
	/* "1.2.3" is one thing (a version, a date), not 1.2 and 3. */
	while (i + 1 < len && p[i] == '.' && IS_DIGIT(p[i + 1]))
		for (i++; i < len && IS_DIGIT(p[i]); i++)
			;
	return i;
}

size_t
cx_norm_numbers(const char *s, size_t len, double *vals, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0;
	unsigned char prev;
	double v;
	int neg;

	while (i < len) {
		if (!IS_DIGIT(p[i]) && !(p[i] == '.' && i + 1 < len &&
		    IS_DIGIT(p[i + 1]))) {
			i++;
			continue;
		}
		prev = i > 0 ? p[i - 1] : 0;
		if (p[i] == '.' && (IS_ALPHA(prev) || IS_DIGIT(prev))) {
			i++;		/* "hi.51": the number is 51 */
			continue;
		}
		if (IS_ALPHA(prev)) {	/* an order number: skip it all */
			while (i < len && (IS_DIGIT(p[i]) ||
			    ((p[i] == '.' || p[i] == ',') && i + 1 < len &&
			    IS_DIGIT(p[i + 1]))))
				i++;
			continue;
		}
		neg = 0;
		if ((prev == '-' || prev == '+') && (i < 2 ||
		    (!IS_ALPHA(p[i - 2]) && !IS_DIGIT(p[i - 2]))))
			neg = prev == '-';
		i = parse_number(p, len, i, &v);
		if (n < max)
			vals[n] = neg ? -v : v;
		n++;
	}
	return n;
}
