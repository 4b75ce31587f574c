/* split.h - split a long message into numbered parts a platform accepts
 *
 * SPDX-License-Identifier: MIT
 * For IM platforms that limit a message's size (WeCom 2048 bytes, Telegram
 * 4096 characters...).  Never truncates.
 */
#ifndef CX_SPLIT_H
#define CX_SPLIT_H

#include <stddef.h>

/* Splits text (UTF-8) into parts of at most limit units each, counting
 * UTF-8 bytes, or code points when chars is 1.  When text fits, there is
 * one part, the text unchanged.  Otherwise every part starts with "(k/n) "
 * (counted in the limit), and the cut falls, in order of preference, at
 * the last line break, else the last space (or CJK punctuation 。！？，；
 * — after it), else between two characters; never inside a UTF-8
 * character, a URL (http:// or https:// up to the next space), or, when
 * markdown is 1, a markdown link [text](url), an inline code span `...`
 * or a **bold** run — unless that one item is longer than a part, which is
 * then cut between characters.  Whitespace at the cut is dropped.
 * Returns the number of parts and sets *parts to a malloc'd array of
 * malloc'd strings (free each, then the array).  A limit too small for the
 * prefix (< 16) is treated as 16. */
size_t cx_split(const char *text, size_t limit, int chars, int markdown,
    char ***parts);
/* The size of s in the units cx_split() counts. */
size_t cx_split_size(const char *s, int chars);

#endif
