/* xwrap.c - allocation wrappers that never return NULL, and a byte buffer
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "xwrap.h"

static void __attribute__((noreturn))
oom(void)
{
	/* No allocation here: the log formatter may need memory. */
	fputs(cx_prog ? cx_prog : "cxkit", stderr);
	fputs(": out of memory\n", stderr);
	exit(CX_EXIT_USAGE);
}

void *
cx_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
cx_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
cx_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
cx_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *
cx_xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

char *
cx_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

static void
buf_grow(struct cx_buf *b, size_t n)
{
	size_t need = b->len + n + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->s = cx_xrealloc(b->s, b->cap);
}

void
cx_buf_add(struct cx_buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
cx_buf_adds(struct cx_buf *b, const char *s)
{
	cx_buf_add(b, s, strlen(s));
}

void
cx_buf_addc(struct cx_buf *b, char c)
{
	cx_buf_add(b, &c, 1);
}

void
cx_buf_printf(struct cx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
cx_buf_take(struct cx_buf *b)
{
	char *s = b->s ? b->s : cx_xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
cx_buf_free(struct cx_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}
