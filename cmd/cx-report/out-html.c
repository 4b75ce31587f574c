/* out-html.c - the report as one self-contained HTML page with SVG charts
 *
 * SPDX-License-Identifier: MIT
 * No script, no external style sheet, font or image: the page opens in any
 * browser with no network.  Charts are inline SVG drawn here (volume and
 * wait by hour, delivery rate by channel, CSAT distribution, abandon rate
 * by day).  Everything printed from the data is HTML-escaped.
 */
#include <math.h>
#include <string.h>

#include "report.h"

static void
esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

#define W 560
#define H 220
#define PADL 48
#define PADB 36
#define PADT 16

/* A bar chart (line = 0) or a line chart of one series. */
static void
chart(FILE *f, const struct rp_series *s, int line)
{
	double max = 0, pct = strcmp(s->unit, "%") == 0;
	int n = s->n, pw = W - PADL - 8, ph = H - PADB - PADT;
	char buf[64];

	fprintf(f, "<figure class=\"chart\" id=\"%s\"><figcaption>", s->id);
	esc(f, s->title);
	fputs("</figcaption>\n", f);
	for (int i = 0; i < n; i++)
		if (!isnan(s->v[i]) && s->v[i] > max)
			max = s->v[i];
	if (pct)
		max = 1;
	if (max <= 0)
		max = 1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
	    W, H, W, H);
	esc(f, s->title);
	fputs("\">\n", f);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "class=\"axis\"/>\n", PADL, PADT + ph, PADL + pw, PADT + ph);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "class=\"axis\"/>\n", PADL, PADT, PADL, PADT + ph);
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"tick\" "
	    "text-anchor=\"end\">%s</text>\n", PADL - 4, PADT + 4,
	    pct ? "100%" : rp_fmt_num(max == floor(max) ? F_INT : F_NUM, max,
	    buf, sizeof buf));
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"tick\" "
	    "text-anchor=\"end\">0</text>\n", PADL - 4, PADT + ph);
	if (n == 0) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"empty\">no data"
		    "</text>\n", PADL + 12, PADT + ph / 2);
	} else if (line) {
		/* One line a run of known values: a value that is not
		 * known (no calls that day) is a gap, not a fall to 0. */
		for (int i = 0, open = 0; i <= n; i++) {
			double x = PADL + (i + 0.5) * pw / n;

			if (i == n || isnan(s->v[i])) {
				if (open)
					fputs("\"/>\n", f);
				open = 0;
				continue;
			}
			fprintf(f, "%s%.1f,%.1f", open ? " " :
			    "<polyline class=\"line\" fill=\"none\" "
			    "points=\"", x, PADT + ph - s->v[i] / max * ph);
			open = 1;
		}
		for (int i = 0; i < n; i++) {
			double x = PADL + (i + 0.5) * pw / n;

			if (isnan(s->v[i]))
				continue;
			fprintf(f, "<circle class=\"dot\" cx=\"%.1f\" "
			    "cy=\"%.1f\" r=\"3\"><title>", x, PADT + ph -
			    s->v[i] / max * ph);
			esc(f, s->labels[i]);
			fprintf(f, ": %s</title></circle>\n", pct ?
			    rp_fmt_num(F_PCT, s->v[i], buf, sizeof buf) :
			    rp_fmt_num(F_NUM, s->v[i], buf, sizeof buf));
		}
	} else {
		for (int i = 0; i < n; i++) {
			double bw = (double)pw / n, v = s->v[i],
			    h = v / max * ph, x = PADL + (i + 0.5) * bw;

			if (isnan(v)) {
				/* Not a bar of height 0, which would read as
				 * 0 %: say why there is none. */
				fprintf(f, "<text class=\"none\" x=\"%.1f\" "
				    "y=\"%d\" text-anchor=\"start\" "
				    "transform=\"rotate(-90 %.1f %d)\">", x,
				    PADT + ph - 4, x, PADT + ph - 4);
				esc(f, s->none);
				fputs("<title>", f);
				esc(f, s->labels[i]);
				fputs(": ", f);
				esc(f, s->none);
				fputs("</title></text>\n", f);
				continue;
			}
			fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\"><title>",
			    PADL + i * bw + bw * 0.1, PADT + ph - h,
			    bw * 0.8, h);
			esc(f, s->labels[i]);
			fprintf(f, ": %s</title></rect>\n", pct ?
			    rp_fmt_num(F_PCT, v, buf, sizeof buf) :
			    rp_fmt_num(F_NUM, v, buf, sizeof buf));
		}
	}
	for (int i = 0; i < n; i++) {
		int wide = strlen(s->labels[i]) > 4;
		int step = wide && n > 6 ? (n + 5) / 6 : n > 12 ?
		    (n + 11) / 12 : 1;

		if (i % step)
			continue;
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"middle\">", PADL + (i + 0.5) * pw / n,
		    PADT + ph + 14);
		esc(f, s->labels[i]);
		fputs("</text>\n", f);
	}
	fputs("</svg></figure>\n", f);
}

void
rp_out_html(FILE *f, const struct rp_report *r)
{
	const struct rp_agg *a = r->agg;
	char t0[40], t1[40];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "\n<meta name=\"viewport\" content=\"width=device-width\">\n"
	    "<title>cx-report</title>\n<style>\n"
	    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
	    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}\n"
	    "table{border-collapse:collapse;margin:.5em 0}\n"
	    "th,td{padding:2px 8px;border-bottom:1px solid #ddd}\n"
	    "th{background:#f4f4f4;text-align:left}td.n{text-align:right;"
	    "font-variant-numeric:tabular-nums}\n"
	    "tr.total td{font-weight:bold}\n.charts{display:flex;"
	    "flex-wrap:wrap;gap:1em}\nfigure{margin:0}figcaption{font-weight:"
	    "bold}\n.axis{stroke:#888}.bar{fill:#3b7dd8}.line{stroke:#d8553b;"
	    "stroke-width:2}.dot{fill:#d8553b}.tick,.empty,.none{"
	    "font-size:10px;fill:#555}\n.scroll{overflow-x:auto}\n"
	    "</style></head><body>\n", f);
	fprintf(f, "<h1>cx-report</h1>\n<p>%s to %s (", a->tmin == INT64_MAX ?
	    "-" : cx_time_format_tz(a->tmin, r->conf->tz, t0),
	    a->tmax == INT64_MIN ? "-" : cx_time_format_tz(a->tmax,
	    r->conf->tz, t1));
	esc(f, r->conf->tz);
	fprintf(f, "), %llu records", (unsigned long long)a->records);
	if (a->unknown)
		fprintf(f, ", %llu of unknown shape",
		    (unsigned long long)a->unknown);
	fputs("</p>\n<div class=\"charts\">\n", f);
	for (int k = 0; k < r->ns; k++)
		chart(f, &r->s[k], strcmp(r->s[k].id, "wait_by_hour") == 0 ||
		    strcmp(r->s[k].id, "abandon_by_day") == 0);
	fputs("</div>\n", f);
	for (int k = 0; k < r->nt; k++) {
		const struct rp_table *t = &r->t[k];

		if (t->nrow == 0)
			continue;
		fprintf(f, "<h2 id=\"%s\">", t->id);
		esc(f, t->title);
		fputs("</h2>\n<div class=\"scroll\"><table>\n<tr>", f);
		for (int c = 0; c < t->ncol; c++) {
			fputs("<th>", f);
			esc(f, t->cols[c].title);
			fputs("</th>", f);
		}
		fputs("</tr>\n", f);
		for (int i = 0; i < t->nrow; i++) {
			const struct rp_cell *x = &t->cells[(size_t)i *
			    (size_t)t->ncol];
			int total = r->conf->nby > 0 && t->cols[0].fmt ==
			    F_TXT && x[0].s && strcmp(x[0].s, "total") == 0 &&
			    i == t->nrow - 1 && strcmp(t->id, "failures") &&
			    strcmp(t->id, "intents");

			fputs(total ? "<tr class=\"total\">" : "<tr>", f);
			for (int c = 0; c < t->ncol; c++) {
				char buf[64];

				if (t->cols[c].fmt == F_TXT) {
					fputs("<td>", f);
					esc(f, x[c].s ? x[c].s : "");
				} else {
					fputs("<td class=\"n\">", f);
					fputs(isnan(x[c].v) ? "-" : rp_fmt_num(
					    t->cols[c].fmt, x[c].v, buf,
					    sizeof buf), f);
				}
				fputs("</td>", f);
			}
			fputs("</tr>\n", f);
		}
		fputs("</table></div>\n", f);
	}
	fputs("</body></html>\n", f);
}
