/* out-md.c - the report as Markdown (GitHub-flavoured pipe tables)
 *
 * SPDX-License-Identifier: MIT
 * '|' and '\' in text are escaped with '\', and newlines become spaces;
 * characters that start HTML (<, >, &) are written as entities so a
 * renderer shows them as text.
 */
#include <math.h>

#include "report.h"

static void
text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '|': case '\\': case '`': case '*': case '_': case '[':
		case ']':
			fputc('\\', f);
			fputc(*s, f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '\n': case '\r':
			fputc(' ', f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void
rp_out_md(FILE *f, const struct rp_report *r)
{
	char t0[40], t1[40];

	fprintf(f, "# cx-report\n\n%s to %s (%s), %llu records\n",
	    r->agg->tmin == INT64_MAX ? "-" : cx_time_format_tz(r->agg->tmin,
	    r->conf->tz, t0), r->agg->tmax == INT64_MIN ? "-" :
	    cx_time_format_tz(r->agg->tmax, r->conf->tz, t1), r->conf->tz,
	    (unsigned long long)r->agg->records);
	for (int k = 0; k < r->nt; k++) {
		const struct rp_table *t = &r->t[k];

		if (t->nrow == 0)
			continue;
		fprintf(f, "\n## %s\n\n|", t->title);
		for (int c = 0; c < t->ncol; c++) {
			fputc(' ', f);
			text(f, t->cols[c].title);
			fputs(" |", f);
		}
		fputs("\n|", f);
		for (int c = 0; c < t->ncol; c++)
			fputs(t->cols[c].fmt == F_TXT ? " --- |" : " ---: |",
			    f);
		fputc('\n', f);
		for (int i = 0; i < t->nrow; i++) {
			fputc('|', f);
			for (int c = 0; c < t->ncol; c++) {
				const struct rp_cell *x = &t->cells[(size_t)i *
				    (size_t)t->ncol + (size_t)c];
				char buf[64];

				fputc(' ', f);
				if (t->cols[c].fmt == F_TXT)
					text(f, x->s ? x->s : "");
				else
					fputs(isnan(x->v) ? "-" : rp_fmt_num(
					    t->cols[c].fmt, x->v, buf,
					    sizeof buf), f);
				fputs(" |", f);
			}
			fputc('\n', f);
		}
	}
}
