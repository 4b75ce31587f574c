/* text.h - SMS text: GSM 03.38, segments, UTF-8, sensitive content
 *
 * SPDX-License-Identifier: MIT
 * Segment counting follows 3GPP TS 23.038 as providers.md §15 states it:
 * GSM-7 when every character is in the default or extension table
 * (extension characters cost 2 septets), else UCS-2 counted in UTF-16 code
 * units (astral characters cost 2).  One part holds 160 septets / 70
 * units; concatenated parts 153 / 67; an escape pair or a surrogate pair
 * is never split across parts (a part may then hold 152 / 66).
 */
#ifndef CX_TEXT_H
#define CX_TEXT_H

#include <stddef.h>

enum cx_encoding { CX_ENC_GSM7, CX_ENC_UCS2 };

struct cx_segments {
	enum cx_encoding encoding;
	int segments;		/* 0 for an empty text */
	int units;		/* septets (GSM-7) or UTF-16 units (UCS-2) */
	int chars;		/* Unicode code points */
};

/* Counts s (UTF-8, len bytes).  Returns 0, or -1 when s is not valid
 * UTF-8. */
int cx_sms_segments(const char *s, size_t len, struct cx_segments *out);
/* "GSM-7" or "UCS-2". */
const char *cx_encoding_name(enum cx_encoding e);
/* 1 when the code point is in the GSM default or extension table. */
int cx_gsm7_char(unsigned cp);

/* 1 when s is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int cx_utf8_valid(const char *s, size_t len);
/* Decodes one code point at *p (advancing it); -1 on invalid input (then
 * *p moves past one byte, so a caller can resynchronise) or at end. */
long cx_utf8_next(const char **p, const char *end);

/* Sensitive content that must never go out by SMS: a payment card number
 * (13 to 19 digits, optionally grouped by single spaces or dashes, passing
 * the Luhn check) or a mainland China resident ID (17 digits + a digit or
 * X, with a valid ISO 7064 MOD 11-2 check character and a plausible birth
 * date).  Full-width digits count.  Returns 0 when none is found, else 1
 * with *what = "payment card number" or "resident ID number".  (s and
 * what may be NULL; *what is NULL when none is found.  A card's digit groups are
 * of 3 or more digits with one kind of separator; a digit run right after
 * '+' (a phone number) or glued to a Latin letter (an order number) is
 * not taken for a card.) */
int cx_text_sensitive(const char *s, const char **what);

#endif
