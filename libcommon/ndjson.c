/* ndjson.c - read and write newline-delimited JSON, one object a line
 *
 * SPDX-License-Identifier: MIT
 * mblaze's blaze822_loop rebuilt for NDJSON: the reader owns the line
 * loop, reports bad lines with their number and keeps them with --rejects.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "log.h"
#include "ndjson.h"
#include "text.h"
#include "xwrap.h"

#define READ_CHUNK 65536

void
cx_ndjson_open(struct cx_ndjson_in *in, const struct cx_common *c)
{
	memset(in, 0, sizeof *in);
	in->fd = 0;
	in->name = "<stdin>";
	if (c && c->rejects) {
		in->rejects = fopen(c->rejects, "a");
		if (in->rejects == NULL)
			cx_die(c->rejects, "%s", strerror(errno));
	}
}

void
cx_ndjson_close(struct cx_ndjson_in *in)
{
	if (in->rejects && fclose(in->rejects) != 0)
		cx_err("--rejects", "%s", strerror(errno));
	in->rejects = NULL;
	free(in->buf);
	in->buf = NULL;
}

const char *
cx_ndjson_where(const struct cx_ndjson_in *in)
{
	static char where[64];

	snprintf(where, sizeof where, "%s:%lu", in->name, in->lineno);
	return where;
}

static void
reject(struct cx_ndjson_in *in, const char *line, size_t len, int nl,
    const char *why)
{
	cx_err(cx_ndjson_where(in), "%s", why);
	cx_status_fail();
	in->nrejected++;
	if (in->rejects) {
		fwrite(line, 1, len, in->rejects);
		if (nl)
			fputc('\n', in->rejects);
		if (fflush(in->rejects) != 0)
			cx_die("--rejects", "%s", strerror(errno));
	}
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	default:
		return "not an object";
	}
}

/* Parses one line (without its newline); NULL when rejected or blank. */
static json_t *
parse_line(struct cx_ndjson_in *in, const char *line, size_t len, int nl)
{
	json_error_t jerr;
	json_t *v;
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	if (i == len)
		return NULL;
	/* jansson checks UTF-8 itself; look closer only to say why. */
	v = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
	if (v == NULL && !cx_utf8_valid(line, len)) {
		reject(in, line, len, nl, "invalid UTF-8");
		return NULL;
	}
	if (v == NULL) {
		char msg[256];

		snprintf(msg, sizeof msg, "not valid JSON: %s (column %d)",
		    jerr.text, jerr.column);
		reject(in, line, len, nl, msg);
		return NULL;
	}
	if (!json_is_object(v)) {
		char msg[64];

		snprintf(msg, sizeof msg, "not a JSON object (%s)",
		    type_name(v));
		reject(in, line, len, nl, msg);
		json_decref(v);
		return NULL;
	}
	return v;
}

json_t *
cx_ndjson_try(struct cx_ndjson_in *in, int *more)
{
	*more = 1;
	while (in->off < in->len || in->eof) {
		char *line = in->buf + in->off;
		size_t avail = in->len - in->off;
		char *nl = avail ? memchr(line, '\n', avail) : NULL;
		size_t llen;
		json_t *v;

		if (nl == NULL) {
			if (!in->eof)
				break;
			if (avail == 0) {
				*more = 0;
				return NULL;
			}
			llen = avail;	/* last line without a newline */
			in->off = in->len;
		} else {
			llen = (size_t)(nl - line);
			in->off += llen + 1;
		}
		in->lineno++;
		v = parse_line(in, line, llen, nl != NULL);
		if (v) {
			in->line = line;
			in->linelen = llen;
			return v;
		}
	}
	/* Compact the buffer so it does not grow without bound. */
	if (in->off > 0 && in->off == in->len) {
		in->off = in->len = 0;
	} else if (in->off > in->cap / 2) {
		memmove(in->buf, in->buf + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	return NULL;
}

int
cx_ndjson_ready(const struct cx_ndjson_in *in)
{
	return in->eof || (in->len > in->off &&
	    memchr(in->buf + in->off, '\n', in->len - in->off) != NULL);
}

long
cx_ndjson_fill(struct cx_ndjson_in *in)
{
	ssize_t n;

	if (in->eof)
		return 0;
	/* Drop what was consumed before growing: the buffer holds at most
	 * the unread lines plus one chunk, whatever the input's size. */
	if (in->off > 0) {
		memmove(in->buf, in->buf + in->off, in->len - in->off);
		in->len -= in->off;
		in->off = 0;
	}
	if (in->cap - in->len < READ_CHUNK) {
		in->cap = in->cap ? in->cap * 2 : 2 * READ_CHUNK;
		while (in->cap - in->len < READ_CHUNK)
			in->cap *= 2;
		in->buf = cx_xrealloc(in->buf, in->cap);
	}
	do
		n = read(in->fd, in->buf + in->len, in->cap - in->len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		cx_err(in->name, "read error: %s", strerror(errno));
		cx_status_fatal();
		in->eof = 1;
		return -1;
	}
	if (n == 0)
		in->eof = 1;
	in->len += (size_t)n;
	return n;
}

json_t *
cx_ndjson_next(struct cx_ndjson_in *in)
{
	for (;;) {
		int more;
		json_t *v = cx_ndjson_try(in, &more);

		if (v)
			return v;
		if (!more)
			return NULL;
		/* About to read: if that could block, let the pipeline
		 * downstream see what we have written so far. */
		struct pollfd p = { .fd = in->fd, .events = POLLIN };
		if (poll(&p, 1, 0) == 0)
			cx_ndjson_flush();
		if (cx_ndjson_fill(in) < 0)
			return NULL;
	}
}

static int out_closed;

int
cx_ndjson_closed(void)
{
	return out_closed;
}

static int
out_error(void)
{
	if (errno != EPIPE)
		cx_err("<stdout>", "write error: %s", strerror(errno));
	out_closed = 1;
	cx_status_fatal();
	return -1;
}

int
cx_ndjson_write(const json_t *rec)
{
	static char *buf;
	static size_t cap;
	size_t n;

	if (out_closed)
		return -1;
	n = json_dumpb(rec, buf, cap, JSON_COMPACT);
	if (n >= cap) {
		cap = n + 4096;
		buf = cx_xrealloc(buf, cap);
		n = json_dumpb(rec, buf, cap, JSON_COMPACT);
	}
	buf[n++] = '\n';
	if (fwrite(buf, 1, n, stdout) != n)
		return out_error();
	return 0;
}

int
cx_ndjson_write_lines(const char *s, size_t n)
{
	if (out_closed)
		return -1;
	if (n > 0 && fwrite(s, 1, n, stdout) != n)
		return out_error();
	return 0;
}

/* The number of object members in v, at every depth. */
static size_t
members(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i, n = 0;

	if (json_is_object(v)) {
		n = json_object_size(v);
		json_object_foreach((json_t *)v, k, x)
			if (json_is_object(x) || json_is_array(x))
				n += members(x);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (json_is_object(x) || json_is_array(x))
				n += members(x);
	}
	return n;
}

/* Hand-written: jansson has no way to tell whether its dump of a parsed
 * line would give the line back.  Returns the number of object members
 * in s (a line jansson parsed into an object) when json_dumpb(..,
 * JSON_COMPACT) of it gives s byte for byte, provided no key repeats
 * (the caller compares the count with the tree's); else -1.  jansson
 * writes UTF-8 as it is, and escapes only '"', '\\' and controls (\b \f
 * \n \r \t by name, others as \u00XX); integers as %lld; reals as %.17g. */
static long
canonical(const char *s, size_t n)
{
	long m = 0;
	size_t i = 0;

	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return -1;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\') {
					if (++i == n || !strchr("\"\\bfnrt",
					    s[i]) || s[i] == '\0')
						return -1;
				}
			i++;
			break;
		case ':':
			m++;
			/* FALLTHROUGH */
		case '{': case '}': case '[': case ']': case ',':
			i++;
			break;
		case 't': case 'n':
			i += 4;
			break;
		case 'f':
			i += 5;
			break;
		case '-':
			/* "-0" is written "0" */
			if (i + 1 < n && s[i + 1] == '0')
				return -1;
			i++;
			/* FALLTHROUGH */
		default:
			if (c != '-' && (c < '0' || c > '9'))
				return -1;	/* white space */
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
			if (i < n && (s[i] == '.' || s[i] == 'e' ||
			    s[i] == 'E'))
				return -1;	/* a real */
			break;
		}
	}
	return m;
}

int
cx_ndjson_write_add(const struct cx_ndjson_in *in, json_t *rec,
    const char *key, json_t *val, const char *vtext, size_t vlen)
{
	static char *buf;
	static size_t cap;
	const char *s = in->line;
	size_t n = in->linelen, kl = strlen(key);
	long m;

	if (out_closed) {
		json_object_set_new(rec, key, val);
		return -1;
	}
	if (s == NULL || json_object_get(rec, key) != NULL ||
	    (m = canonical(s, n)) < 0 || (size_t)m != members(rec)) {
		json_object_set_new(rec, key, val);
		return cx_ndjson_write(rec);
	}
	if (vtext == NULL) {
		vlen = json_dumpb(val, buf, cap, JSON_COMPACT | JSON_ENCODE_ANY);
		if (vlen > cap) {
			cap = vlen + 4096;
			buf = cx_xrealloc(buf, cap);
			vlen = json_dumpb(val, buf, cap,
			    JSON_COMPACT | JSON_ENCODE_ANY);
		}
		vtext = buf;
	}
	json_object_set_new(rec, key, val);
	if (fwrite(s, 1, n - 1, stdout) != n - 1 ||
	    (m > 0 && putchar(',') == EOF) || putchar('"') == EOF ||
	    fwrite(key, 1, kl, stdout) != kl ||
	    fputs("\":", stdout) == EOF ||
	    fwrite(vtext, 1, vlen, stdout) != vlen ||
	    fputs("}\n", stdout) == EOF)
		return out_error();
	return 0;
}

int
cx_ndjson_flush(void)
{
	if (out_closed)
		return -1;
	if (fflush(stdout) != 0)
		return out_error();
	return 0;
}
