/* split.c - split a long message into numbered parts a platform accepts
 *
 * SPDX-License-Identifier: MIT
 * The text is cut part by part: each part takes as much as fits in the
 * limit less the widest "(k/n) " prefix, then backs off to the best cut
 * (split.h).  The prefix width depends on how many parts there are, so
 * the cutting is redone with a wider prefix until the count's digits fit.
 * Items that must stay whole (URLs, markdown links, code spans, bold
 * runs) are marked once per pass as forbidden cut positions.
 *
 * Notes: a URL ends at whitespace as split.h says, and also at a byte that
 * cannot be in a URL (a non-ASCII byte, a control character, '<', '>' or
 * '"'), so that CJK text right after a link can still be cut.  Markdown
 * items do not span lines.  A cut between characters also avoids
 * separating a character from a combining mark, a variation selector, an
 * emoji skin-tone modifier or a zero-width joiner sequence when it can.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "split.h"
#include "text.h"
#include "xwrap.h"

#define MIN_LIMIT	16
#define MIN_BODY	4	/* a body always holds one character */

struct text {
	const char *s;
	size_t len;
	int chars, markdown;
	unsigned char *start;	/* start[i]: a character begins at i */
	unsigned char *prot;	/* prot[i]: a cut at i falls inside an item */
};

struct cut {
	size_t a, b;		/* a part's body is s[a..b) */
};

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* The size of s[a..b) in the units counted. */
static size_t
units(const struct text *t, size_t a, size_t b)
{
	size_t n = 0;

	if (!t->chars)
		return b - a;
	for (; a < b; a++)
		n += t->start[a];
	return n;
}

/* The end of the longest run from a of at most max units that ends on a
 * character boundary. */
static size_t
advance(const struct text *t, size_t a, size_t max)
{
	size_t b;

	if (!t->chars) {
		b = max < t->len - a ? a + max : t->len;
		while (b > a && !t->start[b])
			b--;
		return b;
	}
	for (b = a; b < t->len && max > 0; max--)
		for (b++; b < t->len && !t->start[b]; b++)
			;
	return b;
}

static size_t
prev_char(const struct text *t, size_t i)
{
	while (i > 0 && !t->start[--i])
		;
	return i;
}

/* 1 when a character must not be separated from what precedes it. */
static int
extends(long cp)
{
	return (cp >= 0x300 && cp <= 0x36f) || cp == 0x200d ||
	    (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0x20e3 ||
	    (cp >= 0x1f3fb && cp <= 0x1f3ff) ||
	    (cp >= 0xe0020 && cp <= 0xe007f);
}

/* 1 when a cut at c would separate a grapheme's pieces. */
static int
glued(const struct text *t, size_t c)
{
	const char *p = t->s + c, *end = t->s + t->len;
	size_t b = prev_char(t, c);

	if (extends(cx_utf8_next(&p, end)))
		return 1;
	p = t->s + b;
	return cx_utf8_next(&p, end) == 0x200d;
}

/* Forbids the cuts strictly inside s[a..b) when the item fits in max. */
static void
protect(struct text *t, size_t a, size_t b, size_t max)
{
	if (b - a < 2 || units(t, a, b) > max)
		return;
	memset(t->prot + a + 1, 1, b - a - 1);
}

static int
url_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '<' && c != '>' && c != '"';
}

/* The end of the run of n copies of c that starts at i. */
static size_t
run(const struct text *t, size_t i, char c)
{
	while (i < t->len && t->s[i] == c)
		i++;
	return i;
}

/* A markdown link or image [text](url) at i: its end, or 0. */
static size_t
md_link(const struct text *t, size_t i)
{
	const char *s = t->s;
	size_t j;

	for (j = i + 1; j < t->len && s[j] != ']' && s[j] != '\n'; j++)
		;
	if (j + 1 >= t->len || s[j] != ']' || s[j + 1] != '(')
		return 0;
	for (j += 2; j < t->len && s[j] != ')' && s[j] != '\n'; j++)
		;
	return j < t->len && s[j] == ')' ? j + 1 : 0;
}

/* A code span `...` (any run of backticks, closed by a run as long) or a
 * bold run **...** at i, on one line: its end, or 0. */
static size_t
md_pair(const struct text *t, size_t i, char c, size_t want)
{
	size_t n = run(t, i, c) - i, j, k;

	if (want != 0 && n != want)
		return 0;
	for (j = i + n; j < t->len && t->s[j] != '\n'; j = k) {
		if (t->s[j] != c) {
			k = j + 1;
			continue;
		}
		k = run(t, j, c);
		if (k - j == n && j > i + n)
			return k;
	}
	return 0;
}

/* Marks every item no cut may fall inside, for bodies of max units. */
static void
find_items(struct text *t, size_t max)
{
	const char *s = t->s;
	size_t i, e;

	memset(t->prot, 0, t->len + 1);
	for (i = 0; i < t->len; i++) {
		if (strncasecmp(s + i, "http://", 7) != 0 &&
		    strncasecmp(s + i, "https://", 8) != 0)
			continue;
		for (e = i; e < t->len && url_byte((unsigned char)s[e]); e++)
			;
		protect(t, i, e, max);
		i = e;
	}
	if (!t->markdown)
		return;
	for (i = 0; i < t->len; i++) {
		if (s[i] == '[' && (e = md_link(t, i)) != 0) {
			/* An image ![alt](url) from its '!'. */
			protect(t, i > 0 && s[i - 1] == '!' ? i - 1 : i, e,
			    max);
			i = e - 1;
		}
	}
	for (i = 0; i < t->len; i++) {
		if (s[i] != '`')
			continue;
		if ((e = md_pair(t, i, '`', 0)) != 0) {
			protect(t, i, e, max);
			i = e - 1;
		} else {
			i = run(t, i, '`') - 1;
		}
	}
	for (i = 0; i + 1 < t->len; i++) {
		if (s[i] != '*' || s[i + 1] != '*')
			continue;
		if ((e = md_pair(t, i, '*', 2)) != 0) {
			protect(t, i, e, max);
			i = e - 1;
		} else {
			i = run(t, i, '*') - 1;
		}
	}
}

/* 1 when s[c-3..c) is CJK punctuation a part may end with. */
static int
cjk_stop(const struct text *t, size_t p, size_t c)
{
	static const char *const stops[] = {
		"\xe3\x80\x82", "\xef\xbc\x81", "\xef\xbc\x9f",	/* 。！？ */
		"\xef\xbc\x8c", "\xef\xbc\x9b", NULL		/* ，； */
	};
	const char *const *q;

	if (c < p + 3)
		return 0;
	for (q = stops; *q != NULL; q++)
		if (memcmp(t->s + c - 3, *q, 3) == 0)
			return 1;
	return 0;
}

/* Where the part from p (first non-blank at q) up to at most end ends. */
static size_t
best_cut(const struct text *t, size_t p, size_t q, size_t end)
{
	const char *s = t->s;
	size_t c;

	for (c = end; c > q; c--)
		if (s[c] == '\n' && t->start[c] && !t->prot[c])
			return c;
	for (c = end; c > q; c--)
		if ((s[c] == ' ' || s[c] == '\t' || cjk_stop(t, p, c)) &&
		    t->start[c] && !t->prot[c])
			return c;
	for (c = end; c > q; c = prev_char(t, c))
		if (!t->prot[c] && !glued(t, c))
			return c;
	for (c = end; c > q; c = prev_char(t, c))
		if (!t->prot[c])
			return c;
	return end;
}

/* Cuts the whole text into bodies of at most max units; returns their
 * count and sets *cuts (malloc'd). */
static size_t
cut_all(struct text *t, size_t max, struct cut **cuts)
{
	const char *s = t->s;
	size_t p = 0, q, end, c, b, n = 0, cap = 0;
	struct cut *v = NULL;

	find_items(t, max);
	for (;;) {
		if (n > 0)
			while (p < t->len && is_ws(s[p]))
				p++;
		if (p >= t->len)
			break;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = cx_xrealloc(v, cap * sizeof(*v));
		}
		if ((end = advance(t, p, max)) >= t->len) {
			v[n].a = p;
			v[n++].b = t->len;
			break;
		}
		for (q = p; q < t->len && is_ws(s[q]); q++)
			;
		if (end <= q) {
			/* Blanks longer than a part: dropped. */
			p = q;
			continue;
		}
		c = best_cut(t, p, q, end);
		for (b = c; b > q && is_ws(s[b - 1]); b--)
			;
		v[n].a = p;
		v[n++].b = b;
		p = c;
	}
	*cuts = v;
	return n;
}

static size_t
digits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

size_t
cx_split_size(const char *s, int chars)
{
	const char *end;
	size_t n = 0;

	if (s == NULL)
		return 0;
	if (!chars)
		return strlen(s);
	for (end = s + strlen(s); s < end; n++)
		cx_utf8_next(&s, end);
	return n;
}

size_t
cx_split(const char *text, size_t limit, int chars, int markdown,
    char ***parts)
{
	struct text t = { 0 };
	struct cut *cuts = NULL;
	size_t n, d, k, max;
	const char *p, *end;
	char **v;

	if (text == NULL)
		text = "";
	if (limit < MIN_LIMIT)
		limit = MIN_LIMIT;
	if (cx_split_size(text, chars) <= limit) {
		v = cx_xmalloc(sizeof(*v));
		v[0] = cx_xstrdup(text);
		*parts = v;
		return 1;
	}
	t.s = text;
	t.len = strlen(text);
	t.chars = chars;
	t.markdown = markdown;
	t.start = cx_xcalloc(t.len + 1, 1);
	t.prot = cx_xcalloc(t.len + 1, 1);
	for (p = text, end = text + t.len; p < end; cx_utf8_next(&p, end))
		t.start[p - text] = 1;
	t.start[t.len] = 1;

	/* d: the digits of the count; the prefix "(k/n) " is 2d + 4. */
	for (d = 1;; d = digits(n)) {
		max = limit > 2 * d + 4 + MIN_BODY ? limit - (2 * d + 4) :
		    MIN_BODY;
		free(cuts);
		n = cut_all(&t, max, &cuts);
		if (digits(n) <= d)
			break;
	}
	if (n == 0) {
		/* Nothing but blanks. */
		v = cx_xmalloc(sizeof(*v));
		v[0] = cx_xstrdup("");
		n = 1;
	} else {
		v = cx_xcalloc(n, sizeof(*v));
		for (k = 0; k < n; k++)
			v[k] = cx_xasprintf("(%zu/%zu) %.*s", k + 1, n,
			    (int)(cuts[k].b - cuts[k].a), text + cuts[k].a);
	}
	free(cuts);
	free(t.start);
	free(t.prot);
	*parts = v;
	return n;
}
