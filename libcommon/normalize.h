/* normalize.h - text as keyword matching sees it: folded, simplified, tokenised
 *
 * SPDX-License-Identifier: MIT
 * The normal form of a customer's reply, for matching only (the original
 * text is never changed):
 *   1. NFKC with case folding (utf8proc): ＳＴＯＰ → stop, １ → 1, ① → 1,
 *      （1） → (1), ideographic space → space;
 *   2. Traditional → Simplified Chinese (OpenCC t2s): 滿意 → 满意,
 *      回覆/回復 → 回复 — run only on texts holding a character that t2s
 *      changes (a bitmap built once from OpenCC itself), since most
 *      replies hold none;
 *   3. emoji presentation selectors (U+FE0E, U+FE0F) are dropped;
 *      whitespace runs become one space; the brackets 【】〔〕「」『』〖〗
 *      become spaces (they are punctuation around a menu digit: 【1】);
 *   4. surrounding whitespace and punctuation (。！？!?.,，、~～ and the
 *      like: Unicode P* and Z*) trimmed.
 * Also: control characters (Cc) count as whitespace; U+2019 (’, the
 * apostrophe phones type) becomes '; format characters (Cf: BOM, ZWSP,
 * LRM) are trimmed at either end like punctuation.  A phrase that t2s
 * rewrites although none of its characters changes alone is left as it
 * is, unless the text holds some other character that t2s changes; 回覆
 * is the one that matters, and is mapped by hand.
 *
 * Tokens (for word tests): runs of letters, marks, digits, '_' and '\''
 * ("don't" stays one token: "can't" never matches "can"); every symbol
 * character (S*: emoji, +, ¥) is a token alone; every Han, Hiragana,
 * Katakana or Hangul character is a token alone, so a CJK keyword of n
 * characters is matched as a phrase of n tokens ("退订" is found inside
 * "我要退订", which goflow misses); punctuation and spaces separate.
 */
#ifndef CX_NORMALIZE_H
#define CX_NORMALIZE_H

#include <stddef.h>

struct cx_norm;

/* Opens the normaliser (loads OpenCC's t2s.json and builds the bitmap:
 * about 0.1 s, do it once).  Returns NULL with *err (malloc'd) when
 * OpenCC cannot be loaded.  A cx_norm keeps work buffers: use one per
 * thread. */
struct cx_norm *cx_norm_new(char **err);
/* Releases n and everything it holds (NULL is allowed). */
void cx_norm_free(struct cx_norm *n);

/* Normalises s (len bytes of UTF-8) into a malloc'd NUL-terminated string
 * (*outlen its length, may be NULL; NFKC can make it longer than len:
 * ㍿ → 株式会社).  Returns NULL when s is not valid UTF-8 (out of memory
 * exits, as cx_xmalloc does). */
char *cx_norm_text(struct cx_norm *n, const char *s, size_t len,
    size_t *outlen);

struct cx_token {
	size_t off, len;	/* bytes of the normalised string */
};

/* Splits a normalised string into tokens.  Returns the count, and the
 * tokens in *toks (malloc'd array, caller frees; *toks is NULL when the
 * count is 0).  Marks (M*: a variation selector, a combining accent)
 * stay with the token before them, a symbol's or a CJK character's too;
 * ZWJ separates (an emoji sequence is one token per emoji).  Bytes that
 * are not UTF-8 separate; any input is safe. */
size_t cx_norm_tokens(const char *s, size_t len, struct cx_token **toks);

/* The numbers in a normalised string, in order: runs of ASCII digits with
 * an optional sign, ',' thousands groups ("1,000") and one '.' fraction
 * ("8.5"); a number glued to letters on its left is skipped ("W20251001"
 * is an order number, not a number).  Fills up to max values; returns how
 * many were found (possibly more than max).  In detail: the sign counts
 * only when no letter or digit is before it ("1-15" is 1 and 15); groups
 * are exactly three digits after a lead of one to three ("1,2" is 1 and
 * 2); ".5" is 0.5 after a space or at the start ("hi.51" is 51, as in
 * goflow); "1.2.3" gives 1.2 only; vals may be NULL when max is 0. */
size_t cx_norm_numbers(const char *s, size_t len, double *vals, size_t max);

#endif
