/* ndjson.h - read and write newline-delimited JSON, one object a line
 *
 * SPDX-License-Identifier: MIT
 * Reader: lines of any length; a line that is not a JSON object (bad JSON,
 * invalid UTF-8, an array, a number...) is reported on stderr as
 * "<stdin>:LINE: reason", counted as a failure (cx_status_fail), and with
 * --rejects FILE appended to FILE byte for byte with its newline.  Empty
 * and all-blank lines are skipped silently.  Before a read(2) that would
 * block, stdout is flushed, so a pipeline fed by `tail -F` reacts at once
 * while a bulk run still writes in large blocks.
 *
 * Writer: compact JSON in the record's key order plus '\n', on stdout.  On
 * EPIPE (downstream went away) the writer stops quietly: cx_ndjson_closed()
 * turns true, further writes are dropped, and the status becomes fatal (2,
 * processing did not complete) without a message.
 */
#ifndef CX_NDJSON_H
#define CX_NDJSON_H

#include <stddef.h>
#include <jansson.h>

struct cx_common;

struct cx_ndjson_in {
	int fd;
	const char *name;	/* "<stdin>" */
	unsigned long lineno;	/* line number of the record last returned */
	char *buf;
	size_t len, off, cap;	/* bytes [off, len) are unread */
	int eof;
	void *rejects;		/* FILE * for --rejects, or NULL */
	unsigned long nrejected;
	/* The bytes of the line last returned (no newline): valid until
	 * the next cx_ndjson_try/next/fill on this reader. */
	const char *line;
	size_t linelen;
};

/* Opens the reader on fd 0 with the --rejects file from c (may be NULL).
 * A rejects file that cannot be opened is fatal (cx_die). */
void cx_ndjson_open(struct cx_ndjson_in *in, const struct cx_common *c);
void cx_ndjson_close(struct cx_ndjson_in *in);

/* Blocking: returns the next object (new reference, caller decrefs), or
 * NULL at end of input.  Bad lines are handled inside, as above. */
json_t *cx_ndjson_next(struct cx_ndjson_in *in);

/* Non-blocking pair for programs that multiplex stdin with sockets:
 * cx_ndjson_try() returns the next object if a whole line is buffered
 * (or the input ended with an unterminated last line), else NULL; it sets
 * *more to 0 once the input is exhausted.  cx_ndjson_fill() does one
 * read(2) (call it when in->fd is readable); it returns the number of
 * bytes read, 0 at end of input, -1 on a read error (reported, fatal). */
json_t *cx_ndjson_try(struct cx_ndjson_in *in, int *more);
long cx_ndjson_fill(struct cx_ndjson_in *in);
/* 1 when cx_ndjson_try() can make progress without reading: a whole line
 * is buffered, or the input has ended. */
int cx_ndjson_ready(const struct cx_ndjson_in *in);

/* Writes rec as one compact line on stdout.  Returns 0, or -1 when
 * stdout is closed (EPIPE) or failed. */
int cx_ndjson_write(const json_t *rec);
/* Writes n bytes of lines already in that form (each compact, ending in
 * a newline), e.g. dumped earlier and held until a commit; 0 or -1. */
int cx_ndjson_write_lines(const char *s, size_t n);
/* Writes rec, the object that in last returned, with key set to val (a
 * new reference, consumed): the same bytes as cx_ndjson_write() after
 * json_object_set_new(rec, key, val), which is what happens when the
 * line cannot be reused.  When the line as read is already in the
 * writer's form (compact, no escape or number the writer would spell
 * otherwise, no repeated key) and has no key yet, its bytes are written
 * as they are and only val is serialised: a filter that adds one field
 * then costs little more than the parse.  key must need no escaping.
 * vtext, when not NULL, is val's compact JSON (vlen bytes), for a caller
 * that writes the same value many times.  rec must be unchanged since it
 * was read; afterwards it holds key. */
int cx_ndjson_write_add(const struct cx_ndjson_in *in, json_t *rec,
    const char *key, json_t *val, const char *vtext, size_t vlen);
/* Flushes stdout; returns 0 or -1 as above. */
int cx_ndjson_flush(void);
int cx_ndjson_closed(void);

/* Context string for messages about the current record: "<stdin>:LINE". 
 * Points into a static buffer valid until the next call. */
const char *cx_ndjson_where(const struct cx_ndjson_in *in);

#endif
