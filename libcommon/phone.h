/* phone.h - phone numbers: E.164 normalisation and validation
 *
 * SPDX-License-Identifier: MIT
 * Hand-written: Debian has no C library for phone numbers (libphonenumber
 * is C++ only).  Accepts full-width digits and plus (NFKC), spaces, dashes,
 * dots and parentheses, "00" and "+" international prefixes, and national
 * numbers with a default region (ISO 3166 alpha-2, "CN"), dropping the
 * national trunk prefix ("0" in most countries; none in CN mobiles, NANP
 * "1").  Checks the calling code exists, the national number's length is
 * possible for that country, and for mainland China that an 11-digit
 * mobile number starts with an allocated prefix (13x, 14x, 15x, 16x, 17x,
 * 18x, 19x as MIIT allocates them).
 */
#ifndef CX_PHONE_H
#define CX_PHONE_H

#define CX_PHONE_MAX 20		/* "+" + 15 digits + NUL, rounded */

/* Normalises in into out ("+8613800138000").  region may be NULL (then a
 * national number is invalid).  Returns 0, or -1 with *why set to a static
 * reason ("not a phone number", "unknown country calling code +999",
 * "too short for CN", "not a mainland China mobile prefix", ...), valid
 * until the next call. */
int cx_phone_e164(const char *in, const char *region, char out[CX_PHONE_MAX],
    const char **why);

/* The ISO region of an E.164 number ("CN", "US", "GB"...), or NULL.  For
 * shared calling codes (+1, +7) the main region ("US", "RU"). */
const char *cx_phone_region(const char *e164);
/* The calling code of a region ("CN" → 86), or 0 when unknown. */
int cx_phone_cc(const char *region);
/* A typical IANA time zone for the number's region ("Asia/Shanghai"), or
 * NULL when the region spans several zones and none is typical. */
const char *cx_phone_tz(const char *e164);

/* Writes a masked copy keeping the calling code and the last 4 digits:
 * "+86*******8000".  out needs CX_PHONE_MAX bytes. */
void cx_phone_mask(const char *e164, char out[CX_PHONE_MAX]);

#endif
