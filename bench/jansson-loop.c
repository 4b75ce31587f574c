/* jansson-loop.c - the ceiling of any jansson NDJSON filter
 *
 * SPDX-License-Identifier: MIT
 * Reads NDJSON on stdin; for each line: json_loadb, add one constant
 * "intent" object, json_dumpb (compact, key order kept), write the line.
 * No matching at all: what keyword-parse costs beyond this is its own.
 * Built by bench/keyword-parse.sh:
 *   cc -O2 -o jansson-loop jansson-loop.c $(pkg-config --cflags --libs jansson)
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	char *line = NULL, *out = NULL;
	size_t cap = 0, outcap = 0;
	ssize_t len;
	unsigned long bad = 0;
	json_t *intent = json_pack("{s:s, s:s, s:{}, s:s, s:s}",
	    "name", "other", "rule", "none", "entities", "confidence", "loose",
	    "route", "default");

	if (intent == NULL)
		return 2;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		json_error_t err;
		json_t *rec;
		size_t n;

		rec = json_loadb(line, (size_t)len, JSON_DISABLE_EOF_CHECK, &err);
		if (rec == NULL || !json_is_object(rec)) {
			bad++;
			json_decref(rec);
			continue;
		}
		json_object_set(rec, "intent", intent);
		/* one byte kept for the newline */
		n = json_dumpb(rec, out, outcap ? outcap - 1 : 0, JSON_COMPACT);
		if (n + 1 > outcap) {
			outcap = 2 * (n + 1);
			if ((out = realloc(out, outcap)) == NULL)
				return 2;
			n = json_dumpb(rec, out, outcap - 1, JSON_COMPACT);
		}
		json_decref(rec);
		if (n == 0) {
			bad++;
			continue;
		}
		out[n] = '\n';
		fwrite(out, 1, n + 1, stdout);
	}
	json_decref(intent);
	free(line);
	free(out);
	if (bad)
		fprintf(stderr, "jansson-loop: %lu bad lines\n", bad);
	return fflush(stdout) == 0 && !bad ? 0 : 1;
}
