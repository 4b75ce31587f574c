/* split.c - unit tests for libcommon/split.c
 *
 * SPDX-License-Identifier: MIT
 * Every split is checked for the invariants of split.h: each part within
 * the limit (prefix included), valid UTF-8, numbered "(k/n) ", and the
 * bodies put back together give the text less the blanks at the cuts.
 * Then the cut positions the contract prefers, on English, CJK, emoji,
 * links and markdown, and a few thousand random texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "split.h"
#include "text.h"
#include "tap.h"
#include "xwrap.h"

#define ZHONG	"\xe4\xb8\xad"			/* 中 */
#define JU	"\xe3\x80\x82"			/* 。 */
#define DOU	"\xef\xbc\x8c"			/* ， */
#define GRIN	"\xf0\x9f\x98\x80"		/* 😀 U+1F600 */
#define THUMB	"\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"	/* 👍🏽 + skin tone */
#define ZWJ	"\xe2\x80\x8d"
#define FAMILY	"\xf0\x9f\x91\xa8" ZWJ "\xf0\x9f\x91\xa9" ZWJ \
		"\xf0\x9f\x91\xa7"		/* 👨‍👩‍👧 */

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* The body of part k of n (after its "(k/n) " prefix), or NULL when the
 * prefix is not the expected one. */
static const char *
body(const char *part, size_t k, size_t n)
{
	char want[64];
	size_t l;

	if (n == 1)
		return part;
	l = (size_t)snprintf(want, sizeof(want), "(%zu/%zu) ", k, n);
	return strncmp(part, want, l) == 0 ? part + l : NULL;
}

/* 0 when the split of text obeys split.h, else a reason. */
static const char *
check(const char *text, size_t limit, int chars, char **v, size_t n)
{
	size_t k, pos = 0, len = strlen(text), bl;
	const char *b;

	if (limit < 16)
		limit = 16;
	if (n == 0)
		return "no part";
	if (cx_split_size(text, chars) <= limit)
		return n == 1 && strcmp(v[0], text) == 0 ? NULL :
		    "a text that fits is not unchanged";
	if (n == 1)
		return "one part for a text that does not fit";
	for (k = 0; k < n; k++) {
		if (cx_split_size(v[k], chars) > limit)
			return "a part over the limit";
		if (!cx_utf8_valid(v[k], strlen(v[k])))
			return "a part is not valid UTF-8";
		if ((b = body(v[k], k + 1, n)) == NULL)
			return "a bad (k/n) prefix";
		if (*b == '\0')
			return "an empty part";
		bl = strlen(b);
		if (k > 0)
			while (pos < len && is_ws(text[pos]))
				pos++;
		if (bl > len - pos || memcmp(text + pos, b, bl) != 0)
			return "the parts do not put the text back together";
		pos += bl;
		if ((k + 1 < n && is_ws(b[bl - 1])) || (k > 0 && is_ws(b[0])))
			return "a blank left at a cut";
	}
	while (pos < len && is_ws(text[pos]))
		pos++;
	if (pos != len)
		return "the text's end is missing";
	return NULL;
}

/* Splits text and checks the invariants; returns the count (parts in
 * *vp, to be freed with drop()). */
static size_t
split_ok(const char *text, size_t limit, int chars, int md, char ***vp,
    const char *name)
{
	const char *why;
	size_t n;

	n = cx_split(text, limit, chars, md, vp);
	why = check(text, limit, chars, *vp, n);
	if (!ok(why == NULL, "%s: %zu parts", name, n))
		printf("#   %s\n", why);
	return n;
}

static void
drop(char **v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		free(v[k]);
	free(v);
}

/* A malloc'd string: unit repeated n times. */
static char *
rep(const char *unit, int n)
{
	struct cx_buf b = { 0 };
	int i;

	cx_buf_adds(&b, "");
	for (i = 0; i < n; i++)
		cx_buf_adds(&b, unit);
	return cx_buf_take(&b);
}

/* 1 when some part's body holds needle whole. */
static int
whole_in(char **v, size_t n, const char *needle)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (strstr(body(v[k], k + 1, n), needle) != NULL)
			return 1;
	return 0;
}

static void
test_short(void)
{
	char **v;
	size_t n;

	n = split_ok("hello", 2048, 0, 0, &v, "short");
	is_str(v[0], "hello", "short: unchanged, no prefix");
	drop(v, n);
	n = split_ok("", 2048, 0, 0, &v, "empty");
	is_str(v[0], "", "empty: one empty part");
	drop(v, n);
	n = split_ok("  a  \n", 6, 0, 0, &v, "blanks kept when it fits");
	is_str(v[0], "  a  \n", "fits: blanks unchanged");
	drop(v, n);
	/* Exactly the limit, in bytes then in characters. */
	n = split_ok(ZHONG ZHONG ZHONG ZHONG ZHONG ZHONG, 18, 0, 0, &v,
	    "18 bytes in 18");
	is_int(n, 1, "exactly the limit: one part");
	drop(v, n);
	n = split_ok("0123456789abcdefg", 16, 0, 0, &v, "17 bytes in 16");
	is_int(n, 2, "one over: two parts");
	drop(v, n);
}

static void
test_english(void)
{
	const char *text =
	    "Your ticket 4711 has been updated.\n"
	    "The engineer will call you back tomorrow between nine and "
	    "eleven in the morning.\n"
	    "Reply STOP to end these messages.";
	char **v, *t;
	size_t n, k;
	int ends;

	n = split_ok(text, 100, 0, 0, &v, "lines");
	ok(n == 3, "lines: three parts");
	is_str(v[0], "(1/3) Your ticket 4711 has been updated.",
	    "lines: cut at the line break");
	is_str(v[2], "(3/3) Reply STOP to end these messages.",
	    "lines: the last line whole");
	drop(v, n);

	t = rep("lorem ipsum dolor sit amet ", 40);
	n = split_ok(t, 100, 0, 0, &v, "words");
	ends = 1;
	for (k = 0; k + 1 < n; k++) {
		const char *b = body(v[k], k + 1, n);
		const char *w = strstr(t, b) + strlen(b);

		/* The cut falls at a space in the text. */
		if (*w != ' ')
			ends = 0;
	}
	ok(ends, "words: every cut at a space");
	ok(n >= 11, "words: ten parts and more (%zu)", n);
	drop(v, n);
	free(t);

	/* One word longer than a part: cut between characters. */
	t = rep("x", 100);
	n = split_ok(t, 30, 0, 0, &v, "one long word");
	is_str(v[0], "(1/5) xxxxxxxxxxxxxxxxxxxxxxxx", "long word: filled");
	drop(v, n);
	free(t);

	/* The prefix is counted: 9 parts then 10 and more. */
	t = rep("ab ", 40);
	n = split_ok(t, 16, 0, 0, &v, "prefix (k/n) counted");
	ok(strncmp(v[n - 1], "(", 1) == 0 && n >= 10,
	    "prefix: two-digit counts (%zu)", n);
	drop(v, n);
	free(t);
	t = rep("w ", 2000);
	n = split_ok(t, 20, 0, 0, &v, "three-digit counts");
	ok(n >= 100, "three-digit counts: %zu parts", n);
	drop(v, n);
	free(t);

	/* A limit under 16 counts as 16. */
	n = split_ok("one two three four five six", 3, 0, 0, &v,
	    "limit < 16");
	is_str(v[0], "(1/3) one two", "limit < 16: 16");
	drop(v, n);

	/* CRLF and runs of blanks at the cuts are dropped. */
	n = split_ok("first line here\r\n\r\n   second line here  ", 24, 0, 0,
	    &v, "CRLF");
	is_str(v[0], "(1/2) first line here", "CRLF: dropped at the cut");
	is_str(v[1], "(2/2) second line here  ", "CRLF: trailing kept");
	drop(v, n);
}

static void
test_cjk(void)
{
	const char *sent = "您的工单已经更新" DOU "工程师明天上午回电" JU;
	char **v, *t;
	size_t n, k;
	int ends;

	t = rep(sent, 30);
	n = split_ok(t, 200, 0, 0, &v, "CJK sentences, bytes");
	ends = 1;
	for (k = 0; k + 1 < n; k++) {
		size_t l = strlen(v[k]);

		if (l < 3 || (memcmp(v[k] + l - 3, JU, 3) != 0 &&
		    memcmp(v[k] + l - 3, DOU, 3) != 0))
			ends = 0;
	}
	ok(ends, "CJK: cut after 。 or ，");
	drop(v, n);
	n = split_ok(t, 200, 1, 0, &v, "CJK sentences, chars");
	ends = 1;
	for (k = 0; k + 1 < n; k++)
		if (memcmp(v[k] + strlen(v[k]) - 3, JU, 3) != 0 &&
		    memcmp(v[k] + strlen(v[k]) - 3, DOU, 3) != 0)
			ends = 0;
	ok(ends, "CJK chars: cut after 。 or ，");
	ok(n == 3, "CJK: 600 characters in 3 parts of 200 (%zu)", n);
	drop(v, n);
	free(t);

	/* No punctuation: between characters, never inside one. */
	t = rep(ZHONG, 1000);
	for (k = 16; k < 40; k++) {
		char name[64];

		snprintf(name, sizeof(name), "CJK run, %zu bytes", k);
		n = split_ok(t, k, 0, 0, &v, name);
		drop(v, n);
	}
	n = split_ok(t, 100, 1, 0, &v, "CJK run, 100 chars");
	is_int(n, 11, "chars: 1000 in 11 parts of 94");
	drop(v, n);
	n = split_ok(t, 100, 0, 0, &v, "CJK run, 100 bytes");
	ok(n > 30, "bytes: far more parts than chars (%zu)", n);
	drop(v, n);
	free(t);
}

static void
test_emoji(void)
{
	char **v, *t;
	size_t n, k, l;
	int whole = 1, glued = 1;

	t = rep(GRIN, 300);
	for (l = 16; l < 24; l++) {
		n = split_ok(t, l, 0, 0, &v, "emoji");
		for (k = 0; k < n; k++)
			if (strlen(body(v[k], k + 1, n)) % 4 != 0)
				whole = 0;
		drop(v, n);
	}
	ok(whole, "emoji: 4-byte characters never split");
	free(t);

	/* Skin tones and ZWJ sequences stay with their base. */
	t = rep(THUMB FAMILY, 60);
	for (l = 30; l < 40; l++) {
		n = split_ok(t, l, 0, 0, &v, "emoji sequences");
		for (k = 0; k < n; k++) {
			const char *b = body(v[k], k + 1, n);
			size_t bl = strlen(b);

			if (strncmp(b, ZWJ, 3) == 0 ||
			    strncmp(b, "\xf0\x9f\x8f\xbd", 4) == 0 ||
			    (bl >= 3 && strcmp(b + bl - 3, ZWJ) == 0))
				glued = 0;
		}
		drop(v, n);
	}
	ok(glued, "emoji: no cut before a modifier or around a ZWJ");
	free(t);
}

static void
test_links(void)
{
	const char *url = "https://support.example.com/tickets/4711?lang=en";
	char **v, *t;
	size_t n, k;

	/* A URL that fits a part is kept whole wherever it falls. */
	for (k = 0; k < 40; k++) {
		t = cx_xasprintf("%.*s%s and more words after the link",
		    (int)k, "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii",
		    url);
		n = cx_split(t, 64, 0, 0, &v);
		if (!whole_in(v, n, url) ||
		    check(t, 64, 0, v, n) != NULL) {
			ok(0, "url whole at offset %zu", k);
			drop(v, n);
			free(t);
			break;
		}
		drop(v, n);
		free(t);
	}
	ok(k == 40, "url: kept whole at 40 offsets");

	/* A URL with CJK right after it: the CJK can still be cut. */
	t = cx_xasprintf("%s%s%s", url, JU, "请点击链接查看详情"
	    "请点击链接查看详情请点击链接查看详情");
	n = split_ok(t, 80, 0, 0, &v, "url then CJK");
	ok(whole_in(v, n, url), "url then CJK: url whole");
	drop(v, n);
	free(t);

	/* Longer than a part: cut. */
	t = cx_xasprintf("see https://example.com/%s end", "a/b/c/d/e/f/g/h/"
	    "i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/0/1/2/3/4/5/6/7/8/9");
	n = split_ok(t, 40, 0, 0, &v, "url longer than a part");
	drop(v, n);
	free(t);

	/* Markdown items. */
	t = cx_xasprintf("%s [the ticket page](%s) %s `git log --oneline "
	    "-n 5` then **very important notice** %s ![a logo](%s) end",
	    "Please read", url, "and run", "and see", url);
	for (k = 80; k < 200; k++) {
		n = cx_split(t, k, 0, 1, &v);
		if (check(t, k, 0, v, n) != NULL ||
		    !whole_in(v, n, "[the ticket page]") ||
		    !whole_in(v, n, "`git log --oneline -n 5`") ||
		    !whole_in(v, n, "**very important notice**") ||
		    !whole_in(v, n, "![a logo](https://")) {
			drop(v, n);
			break;
		}
		drop(v, n);
	}
	ok(k == 200, "markdown: links, code, bold whole at limits 80-199");
	if (k != 200)
		printf("#   failed at limit %zu\n", k);
	/* Without markdown, spaces in link text are fair cuts. */
	n = split_ok(t, 30, 0, 0, &v, "markdown off");
	ok(!whole_in(v, n, "[the ticket page]"), "markdown off: link text cut");
	drop(v, n);
	free(t);
}

static void
test_garbage(void)
{
	char **v, *t;
	size_t n;

	t = rep("\xff\xe4\xb8 \x80\xf0\x9f", 50);
	n = cx_split(t, 20, 0, 1, &v);
	ok(n > 1, "invalid UTF-8: split without crashing");
	drop(v, n);
	n = cx_split(t, 20, 1, 1, &v);
	ok(n > 1, "invalid UTF-8, chars: split without crashing");
	drop(v, n);
	free(t);
	t = rep(" ", 100);
	n = cx_split(t, 20, 0, 0, &v);
	ok(n == 1 && *v[0] == '\0', "only blanks: one empty part");
	drop(v, n);
	free(t);
	t = rep("[[`**](http://", 40);
	n = split_ok(t, 25, 0, 1, &v, "markdown garbage");
	drop(v, n);
	free(t);
	is_int(cx_split_size(ZHONG GRIN "a", 1), 3, "size: chars");
	is_int(cx_split_size(ZHONG GRIN "a", 0), 8, "size: bytes");
}

/* Random texts from pieces, random limits. */
static void
test_random(void)
{
	static const char *const pieces[] = {
		"word", "ab", "longerwordhere", " ", " ", " ", "\n", "\n\n",
		"\t", ZHONG, ZHONG ZHONG ZHONG, JU, DOU, GRIN, THUMB, FAMILY,
		"https://example.com/x?y=1", "[link text](http://e.x/a)",
		"`code span`", "**bold**", "e\xcc\x81", "\xef\xbc\x81",
	};
	unsigned seed = 12345;
	int i, j, bad = 0, len;
	char **v, *t;
	size_t n, limit;
	struct cx_buf b;
	const char *why;

	for (i = 0; i < 3000 && !bad; i++) {
		memset(&b, 0, sizeof(b));
		cx_buf_adds(&b, "");
		seed = seed * 1103515245 + 12345;
		len = (int)(seed >> 16) % 200;
		for (j = 0; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			cx_buf_adds(&b, pieces[(seed >> 16) %
			    (sizeof(pieces) / sizeof(pieces[0]))]);
		}
		t = cx_buf_take(&b);
		seed = seed * 1103515245 + 12345;
		limit = 10 + (seed >> 16) % 120;
		n = cx_split(t, limit, i & 1, i & 2, &v);
		if ((why = check(t, limit, i & 1, v, n)) != NULL) {
			bad = 1;
			printf("#   %s: limit %zu chars %d: '%s'\n", why, limit,
			    i & 1, t);
		}
		drop(v, n);
		free(t);
	}
	ok(!bad, "random: %d texts split by the rules", i);
}

int
main(void)
{
	test_short();
	test_english();
	test_cjk();
	test_emoji();
	test_links();
	test_garbage();
	test_random();
	return tap_done();
}
