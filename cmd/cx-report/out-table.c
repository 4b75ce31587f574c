/* out-table.c - the report as aligned text tables for a terminal
 *
 * SPDX-License-Identifier: MIT
 * Widths count display cells (utf8proc_charwidth: a CJK character takes
 * two); text is left-aligned, numbers right-aligned.  Colour (bold titles,
 * dim nulls) only when the caller says stdout is a terminal and NO_COLOR
 * is unset.  Text from the data never reaches the terminal raw: control
 * characters (C0, DEL, C1) and bytes that are not UTF-8 are written as
 * \xHH, so a queue or agent named with an escape sequence cannot move
 * the cursor, retitle the window or hide a row.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "report.h"

/* Display width of s in terminal cells. */
static int
cells(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;
	int w = 0;

	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &c);

		if (n <= 0) {
			p++;
			w++;
			continue;
		}
		w += c < 0x20 ? 0 : utf8proc_charwidth(c);
		p += n;
	}
	return w;
}

/* s with control characters and stray bytes as \xHH (malloc'd). */
static char *
term_safe(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	struct cx_buf b = { 0 };
	utf8proc_int32_t c;

	while (*p) {
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &c);

		if (n <= 0) {
			cx_buf_printf(&b, "\\x%02X", *p++);
			continue;
		}
		if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			cx_buf_printf(&b, "\\x%02X", (unsigned)c);
		else
			cx_buf_add(&b, p, (size_t)n);
		p += n;
	}
	return cx_buf_take(&b);
}

static void
pad(FILE *f, int n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static char *
cell_text(const struct rp_table *t, int r, int c)
{
	const struct rp_cell *x = &t->cells[(size_t)r * (size_t)t->ncol +
	    (size_t)c];
	char buf[64];

	if (t->cols[c].fmt == F_TXT)
		return term_safe(x->s ? x->s : "");
	return cx_xstrdup(isnan(x->v) ? "-" :
	    rp_fmt_num(t->cols[c].fmt, x->v, buf, sizeof buf));
}

void
rp_out_table(FILE *f, const struct rp_report *r, int colour)
{
	const char *b = colour ? "\033[1m" : "", *e = colour ? "\033[0m" : "";
	const struct rp_agg *a = r->agg;
	char t0[40], t1[40];

	fprintf(f, "%scx-report%s  %s to %s (%s)  %llu records", b, e,
	    a->tmin == INT64_MAX ? "-" : cx_time_format_tz(a->tmin,
	    r->conf->tz, t0), a->tmax == INT64_MIN ? "-" :
	    cx_time_format_tz(a->tmax, r->conf->tz, t1), r->conf->tz,
	    (unsigned long long)a->records);
	if (a->unknown)
		fprintf(f, ", %llu of unknown shape",
		    (unsigned long long)a->unknown);
	if (a->bad)
		fprintf(f, ", %llu bad", (unsigned long long)a->bad);
	fputc('\n', f);
	for (int k = 0; k < r->nt; k++) {
		const struct rp_table *t = &r->t[k];
		int *w;

		if (t->nrow == 0)
			continue;
		w = cx_xcalloc((size_t)t->ncol, sizeof *w);
		for (int c = 0; c < t->ncol; c++) {
			w[c] = cells(t->cols[c].title);
			for (int i = 0; i < t->nrow; i++) {
				char *s = cell_text(t, i, c);
				int n = cells(s);

				if (n > w[c])
					w[c] = n;
				free(s);
			}
		}
		fprintf(f, "\n%s%s%s\n", b, t->title, e);
		for (int c = 0; c < t->ncol; c++) {
			int n = cells(t->cols[c].title);

			if (c)
				fputs("  ", f);
			if (t->cols[c].fmt != F_TXT)
				pad(f, w[c] - n);
			fprintf(f, "%s%s%s", b, t->cols[c].title, e);
			if (t->cols[c].fmt == F_TXT && c < t->ncol - 1)
				pad(f, w[c] - n);
		}
		fputc('\n', f);
		for (int i = 0; i < t->nrow; i++) {
			for (int c = 0; c < t->ncol; c++) {
				char *s = cell_text(t, i, c);
				int n = cells(s);

				if (c)
					fputs("  ", f);
				if (t->cols[c].fmt != F_TXT)
					pad(f, w[c] - n);
				fputs(s, f);
				if (t->cols[c].fmt == F_TXT && c < t->ncol - 1)
					pad(f, w[c] - n);
				free(s);
			}
			fputc('\n', f);
		}
		free(w);
	}
}
