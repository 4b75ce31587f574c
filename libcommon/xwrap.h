/* xwrap.h - allocation wrappers that never return NULL
 *
 * SPDX-License-Identifier: MIT
 * Out of memory is fatal in cxkit: these print "prog: out of memory" and
 * exit with CX_EXIT_USAGE (2, "processing did not complete"), never 255.
 */
#ifndef CX_XWRAP_H
#define CX_XWRAP_H

#include <stddef.h>

void *cx_xmalloc(size_t n);
void *cx_xcalloc(size_t n, size_t size);
void *cx_xrealloc(void *p, size_t n);
char *cx_xstrdup(const char *s);
char *cx_xstrndup(const char *s, size_t n);
/* Returns a malloc'd string formatted like printf. */
char *cx_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; always NUL-terminated after any append. */
struct cx_buf {
	char *s;
	size_t len, cap;
};
void cx_buf_add(struct cx_buf *b, const void *p, size_t n);
void cx_buf_adds(struct cx_buf *b, const char *s);
void cx_buf_addc(struct cx_buf *b, char c);
void cx_buf_printf(struct cx_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Detaches and returns the string (caller frees); the buffer is reset. */
char *cx_buf_take(struct cx_buf *b);
void cx_buf_free(struct cx_buf *b);

#endif
