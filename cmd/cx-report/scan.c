/* scan.c - the fields cx-report reads, without building a JSON tree
 *
 * SPDX-License-Identifier: MIT
 * rp_classify() reads some 50 values of a record (struct rp_fields);
 * building a jansson tree of the whole record to read them cost more than
 * everything else cx-report does.  rp_scan() validates a line as RFC 8259
 * JSON in one pass and keeps only those values.
 *
 * Why not a library: the line must be rejected exactly when jansson
 * (json_loadb, flags 0) rejects it, with jansson's message, and a value
 * read exactly as jansson reads it (its integer range, its strtod, its
 * UTF-8 and \u rules, NUL not allowed, the last of duplicate keys).  A
 * SAX parser (yajl) has rules of its own in each of these corners, so
 * it would still need this check on top.  Here the scanner only says
 * "sure" or "not sure": whenever a line is invalid or in any corner
 * where the two could differ, it gives up and the line goes to jansson,
 * which then gives the same result and message as before.  Records as
 * cxkit writes them never reach a corner.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define ROOT F_N

static const struct {
	int parent;
	const char *key;
} paths[F_N] = {
	[F_TS] = { ROOT, "ts" },
	[F_SMS] = { ROOT, "sms" },
	[F_IM] = { ROOT, "im" },
	[F_EVENT] = { ROOT, "event" },
	[F_STATUS] = { ROOT, "status" },
	[F_CHANNEL] = { ROOT, "channel" },
	[F_PROVIDER] = { ROOT, "provider" },
	[F_ERROR_CODE] = { ROOT, "error_code" },
	[F_TICKET] = { ROOT, "ticket" },
	[F_FROM] = { ROOT, "from" },
	[F_TEXT] = { ROOT, "text" },
	[F_INTENT] = { ROOT, "intent" },
	[F_TEMPLATE] = { ROOT, "template" },
	[F_TO] = { ROOT, "to" },
	[F_QUEUE] = { ROOT, "queue" },
	[F_WAIT_S] = { ROOT, "wait_s" },
	[F_TALK_S] = { ROOT, "talk_s" },
	[F_AGENT] = { ROOT, "agent" },
	[F_CALLER] = { ROOT, "caller" },
	[F_COMMENT] = { ROOT, "comment" },
	[F_CALL_ID] = { ROOT, "call_id" },
	[F_SMS_STATUS] = { F_SMS, "status" },
	[F_SMS_COUNT] = { F_SMS, "segments" },
	[F_SMS_PROVIDER] = { F_SMS, "provider" },
	[F_SMS_ERROR] = { F_SMS, "error" },
	[F_SMS_TO] = { F_SMS, "to" },
	[F_SMS_ERROR_CODE] = { F_SMS_ERROR, "code" },
	[F_IM_STATUS] = { F_IM, "status" },
	[F_IM_COUNT] = { F_IM, "parts" },
	[F_IM_PROVIDER] = { F_IM, "provider" },
	[F_IM_ERROR] = { F_IM, "error" },
	[F_IM_TO] = { F_IM, "to" },
	[F_IM_ERROR_CODE] = { F_IM_ERROR, "code" },
	[F_QUEUE_QUEUE] = { F_QUEUE, "queue" },
	[F_T_ID] = { F_TICKET, "id" },
	[F_T_CREATED_AT] = { F_TICKET, "created_at" },
	[F_T_STATUS] = { F_TICKET, "status" },
	[F_T_CHANNEL] = { F_TICKET, "channel" },
	[F_T_CUSTOMER] = { F_TICKET, "customer" },
	[F_T_C_PHONE] = { F_T_CUSTOMER, "phone" },
	[F_T_C_MEMBER_ID] = { F_T_CUSTOMER, "member_id" },
	[F_CM_BY_AGENT] = { F_COMMENT, "by_agent" },
	[F_CM_PUBLIC] = { F_COMMENT, "public" },
	[F_CM_AUTHOR] = { F_COMMENT, "author" },
	[F_IN_NAME] = { F_INTENT, "name" },
	[F_IN_ENTITIES] = { F_INTENT, "entities" },
	[F_IN_E_SATISFIED] = { F_IN_ENTITIES, "satisfied" },
	[F_IN_E_SCORE] = { F_IN_ENTITIES, "score" },
	[F_IN_E_SCALE] = { F_IN_ENTITIES, "scale" },
};

/* ---- from a jansson tree ---- */

void
rp_fields_from_json(const json_t *rec, struct rp_fields *f)
{
	const json_t *js[F_N];

	memset(f, 0, sizeof *f);
	/* Parents come before their children in paths[]. */
	for (int i = 0; i < F_N; i++) {
		const json_t *o = paths[i].parent == ROOT ? rec :
		    js[paths[i].parent];
		const json_t *v = json_is_object(o) ?
		    json_object_get(o, paths[i].key) : NULL;
		struct rp_fv *fv = &f->v[i];

		js[i] = v;
		switch (v ? json_typeof(v) : (json_type)-1) {
		case JSON_NULL:
			fv->t = FT_NULL;
			break;
		case JSON_TRUE:
			fv->t = FT_TRUE;
			break;
		case JSON_FALSE:
			fv->t = FT_FALSE;
			break;
		case JSON_INTEGER:
			fv->t = FT_INT;
			fv->i = json_integer_value(v);
			fv->d = (double)fv->i;
			break;
		case JSON_REAL:
			fv->t = FT_REAL;
			fv->d = json_real_value(v);
			break;
		case JSON_STRING:
			fv->t = FT_STR;
			fv->s = json_string_value(v);
			fv->n = json_string_length(v);
			break;
		case JSON_OBJECT:
			fv->t = FT_OBJ;
			break;
		case JSON_ARRAY:
			fv->t = FT_ARR;
			break;
		default:
			fv->t = FT_ABSENT;
		}
	}
}

/* ---- the scanner ---- */

/* Deeper than this is left to jansson (its own limit is 2048). */
#define MAX_DEPTH 256

struct sc {
	const unsigned char *p, *end;
	char *out;		/* scratch */
	struct rp_fields *f;
	int depth;
};

/* Children of each path (and of ROOT), to find a key's field. */
static int kids[F_N + 1][24], nkids[F_N + 1];
static size_t keylen[F_N];
static locale_t c_locale;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init(void)
{
	for (int i = 0; i < F_N; i++) {
		int p = paths[i].parent;

		kids[p][nkids[p]++] = i;
		keylen[i] = strlen(paths[i].key);
	}
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static int
field_of(int node, const char *k, size_t n)
{
	for (int j = 0; j < nkids[node]; j++) {
		int i = kids[node][j];

		if (keylen[i] == n && memcmp(paths[i].key, k, n) == 0)
			return i;
	}
	return -1;
}

static inline void
ws(struct sc *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hex4(const unsigned char *p, const unsigned char *end, unsigned *v)
{
	*v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

/* A string after its opening quote, decoded to out when out is not NULL
 * (*n its length, no NUL added).  -1: invalid or a corner. */
static int
string(struct sc *s, char *out, size_t *n)
{
	const unsigned char *p = s->p, *end = s->end;
	size_t k = 0;

	for (;;) {
		const unsigned char *q = p;
		unsigned c;

		/* The plain run, copied at once. */
		while (q < end && *q != '"' && *q != '\\' && *q >= 0x20 &&
		    *q < 0x80)
			q++;
		if (out)
			memcpy(out + k, p, (size_t)(q - p));
		k += (size_t)(q - p);
		p = q;
		if (p == end)
			return -1;
		c = *p;
		if (c == '"') {
			s->p = p + 1;
			*n = k;
			return 0;
		}
		if (c < 0x20)
			return -1;	/* a control character */
		if (c >= 0x80) {
			/* UTF-8 as jansson checks it: no overlong forms, no
			 * surrogates, nothing above U+10FFFF. */
			int len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 &&
			    c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
			unsigned v;

			if (len == 0 || end - p < len)
				return -1;
			v = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
			for (int i = 1; i < len; i++) {
				if ((p[i] & 0xC0) != 0x80)
					return -1;
				v = v << 6 | (p[i] & 0x3F);
			}
			if ((len == 3 && v < 0x800) || (len == 4 && v <
			    0x10000) || v > 0x10FFFF || (v >= 0xD800 &&
			    v <= 0xDFFF))
				return -1;
			if (out)
				memcpy(out + k, p, (size_t)len);
			k += (size_t)len;
			p += len;
			continue;
		}
		/* an escape */
		if (end - p < 2)
			return -1;
		switch (p[1]) {
		case '"': case '\\': case '/':
			c = p[1];
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u': {
			unsigned v, lo;

			if (hex4(p + 2, end, &v) < 0 || v == 0)
				return -1;	/* \u0000: not without
						 * JSON_ALLOW_NUL */
			p += 6;
			if (v >= 0xDC00 && v <= 0xDFFF)
				return -1;	/* a lone low surrogate */
			if (v >= 0xD800 && v <= 0xDBFF) {
				if (end - p < 6 || p[0] != '\\' ||
				    p[1] != 'u' || hex4(p + 2, end, &lo) < 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return -1;
				v = 0x10000 + ((v - 0xD800) << 10) +
				    (lo - 0xDC00);
				p += 6;
			}
			if (out) {
				unsigned char *o = (unsigned char *)out + k;

				if (v < 0x80) {
					o[0] = (unsigned char)v;
				} else if (v < 0x800) {
					o[0] = (unsigned char)(0xC0 | v >> 6);
					o[1] = (unsigned char)(0x80 |
					    (v & 0x3F));
				} else if (v < 0x10000) {
					o[0] = (unsigned char)(0xE0 | v >> 12);
					o[1] = (unsigned char)(0x80 |
					    (v >> 6 & 0x3F));
					o[2] = (unsigned char)(0x80 |
					    (v & 0x3F));
				} else {
					o[0] = (unsigned char)(0xF0 | v >> 18);
					o[1] = (unsigned char)(0x80 |
					    (v >> 12 & 0x3F));
					o[2] = (unsigned char)(0x80 |
					    (v >> 6 & 0x3F));
					o[3] = (unsigned char)(0x80 |
					    (v & 0x3F));
				}
			}
			k += v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
			continue;
		}
		default:
			return -1;
		}
		if (out)
			out[k] = (char)c;
		k++;
		p += 2;
	}
}

static int value(struct sc *s, int field);

/* An object after its '{'; node: its field, or -1 when none of its
 * keys matters. */
static int
object(struct sc *s, int node)
{
	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		int field = -1;

		if (s->p == s->end || *s->p != '"')
			return -1;
		s->p++;
		if (node >= 0) {
			/* The key decoded into the scratch (not kept). */
			size_t n;

			if (string(s, s->out, &n) < 0)
				return -1;
			field = field_of(node, s->out, n);
		} else {
			size_t n;

			if (string(s, NULL, &n) < 0)
				return -1;
		}
		ws(s);
		if (s->p == s->end || *s->p != ':')
			return -1;
		s->p++;
		ws(s);
		if (field >= 0 && s->f->v[field].t != FT_ABSENT)
			return -1;	/* a duplicate key that matters */
		if (value(s, field) < 0)
			return -1;
		ws(s);
		if (s->p == s->end)
			return -1;
		if (*s->p == '}') {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return -1;
		s->p++;
		ws(s);
	}
}

static int
array(struct sc *s)
{
	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		if (value(s, -1) < 0)
			return -1;
		ws(s);
		if (s->p == s->end)
			return -1;
		if (*s->p == ']') {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return -1;
		s->p++;
		ws(s);
	}
}

static int
number(struct sc *s, struct rp_fv *fv)
{
	const unsigned char *p = s->p, *start = p, *end = s->end;
	int real = 0, digits;

	if (p < end && *p == '-')
		p++;
	if (p == end)
		return -1;
	if (*p == '0') {
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			return -1;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return -1;
	}
	digits = (int)(p - start) - (*start == '-');
	if (p < end && *p == '.') {
		p++;
		if (p == end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		real = 1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		real = 1;
	}
	s->p = p;
	if (!real) {
		int64_t v = 0;
		const unsigned char *q = start + (*start == '-');

		if (digits > 18)
			return -1;	/* may not fit: jansson decides */
		for (; q < p; q++)
			v = v * 10 + (*q - '0');
		if (fv) {
			fv->t = FT_INT;
			fv->i = *start == '-' ? -v : v;
			fv->d = (double)fv->i;
		}
	} else {
		/* Every real is read, as jansson does: one that overflows
		 * makes the line invalid. */
		char buf[64];
		double d;

		if (p - start >= (long)sizeof buf)
			return -1;
		memcpy(buf, start, (size_t)(p - start));
		buf[p - start] = '\0';
		errno = 0;
		d = strtod_l(buf, NULL, c_locale);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
			return -1;
		if (fv) {
			fv->t = FT_REAL;
			fv->d = d;
		}
	}
	return 0;
}

static int
literal(struct sc *s, const char *w, size_t n)
{
	const unsigned char *p = s->p + n;

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return -1;
	/* jansson reads a word of letters whole ("truex" is no token). */
	if (p < s->end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
	    *p <= 'Z')))
		return -1;
	s->p = p;
	return 0;
}

/* A value; field: where it goes, or -1. */
static int
value(struct sc *s, int field)
{
	struct rp_fv *fv = field >= 0 ? &s->f->v[field] : NULL;
	int r;

	if (s->p == s->end)
		return -1;
	switch (*s->p) {
	case '{':
		if (++s->depth > MAX_DEPTH)
			return -1;
		s->p++;
		if (fv)
			fv->t = FT_OBJ;
		r = object(s, field >= 0 && nkids[field] ? field : -1);
		s->depth--;
		return r;
	case '[':
		if (++s->depth > MAX_DEPTH)
			return -1;
		s->p++;
		if (fv)
			fv->t = FT_ARR;
		r = array(s);
		s->depth--;
		return r;
	case '"': {
		size_t n;

		s->p++;
		if (fv == NULL)
			return string(s, NULL, &n);
		if (string(s, s->out, &n) < 0)
			return -1;
		s->out[n] = '\0';
		fv->t = FT_STR;
		fv->s = s->out;
		fv->n = n;
		s->out += n + 1;
		return 0;
	}
	case 't':
		if (fv)
			fv->t = FT_TRUE;
		return literal(s, "true", 4);
	case 'f':
		if (fv)
			fv->t = FT_FALSE;
		return literal(s, "false", 5);
	case 'n':
		if (fv)
			fv->t = FT_NULL;
		return literal(s, "null", 4);
	default:
		return number(s, fv);
	}
}

int
rp_scan(const char *p, size_t n, struct rp_fields *f, char *scratch)
{
	struct sc s = { (const unsigned char *)p,
	    (const unsigned char *)p + n, scratch, f, 1 };

	pthread_once(&once, init);
	memset(f, 0, sizeof *f);
	ws(&s);
	if (s.p == s.end || *s.p != '{')
		return 0;
	s.p++;
	if (object(&s, ROOT) < 0)
		return 0;
	ws(&s);
	return s.p == s.end;
}
