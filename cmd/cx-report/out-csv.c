/* out-csv.c - the report as CSV (RFC 4180), one block a table
 *
 * SPDX-License-Identifier: MIT
 * Each table is a header line then its rows, with a first column naming
 * the table, so one file holds them all and `grep ^hotline,` picks one.
 * Numbers are written plainly (rates as fractions, %.10g).  A text cell
 * that a spreadsheet would read as a formula (starting with =, +, -, @, a
 * tab or a carriage return) is prefixed with a single quote (OWASP's
 * advice on CSV injection).
 */
#include <math.h>
#include <string.h>

#include "report.h"

static void
text(FILE *f, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (strchr("=+-@\t\r", s[0]) && s[0])
		quote = 1;
	if (quote)
		fputc('"', f);
	if (strchr("=+-@\t\r", s[0]) && s[0])
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

void
rp_out_csv(FILE *f, const struct rp_report *r)
{
	for (int k = 0; k < r->nt; k++) {
		const struct rp_table *t = &r->t[k];

		fputs("table", f);
		for (int c = 0; c < t->ncol; c++) {
			fputc(',', f);
			text(f, t->cols[c].id);
		}
		fputs("\r\n", f);
		for (int i = 0; i < t->nrow; i++) {
			fputs(t->id, f);
			for (int c = 0; c < t->ncol; c++) {
				const struct rp_cell *x = &t->cells[(size_t)i *
				    (size_t)t->ncol + (size_t)c];

				fputc(',', f);
				if (t->cols[c].fmt == F_TXT)
					text(f, x->s ? x->s : "");
				else if (!isnan(x->v))
					fprintf(f, "%.10g", x->v);
			}
			fputs("\r\n", f);
		}
	}
}
