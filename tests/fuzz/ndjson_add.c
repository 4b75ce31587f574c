/* ndjson_add.c - fuzz cx_ndjson_write_add against set-then-write
 *
 * SPDX-License-Identifier: MIT
 * libFuzzer (clang 14, Debian's libclang-rt-14-dev); built and run by
 * `make check` / `make fuzz` (tests/fuzz/run.sh).
 *
 * The input, up to its first newline, is a line as the reader would give
 * it.  Where jansson reads it as an object (the reader's flags), the bytes
 * cx_ndjson_write_add() writes must be exactly json_dumps(COMPACT) of the
 * object with the key set, plus a newline, whether or not it reused the
 * line: abort() on any difference.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t len = nl ? (size_t)(nl - (const char *)data) : size;
	struct cx_ndjson_in in = { .line = (const char *)data, .linelen = len };
	json_t *rec = json_loadb((const char *)data, len, JSON_ALLOW_NUL, NULL);
	json_t *copy, *val = json_pack("{s:s,s:[i,b]}", "name", "x", "e", 7,
	    1);
	char *want, *got = NULL;
	size_t gotlen = 0;
	FILE *mem, *saved = stdout;

	if (!json_is_object(rec)) {
		json_decref(rec);
		json_decref(val);
		return 0;
	}
	copy = json_deep_copy(rec);
	json_object_set(copy, "intent", val);
	want = json_dumps(copy, JSON_COMPACT);
	mem = open_memstream(&got, &gotlen);
	stdout = mem;
	cx_ndjson_write_add(&in, rec, "intent", val, NULL, 0);
	fflush(mem);
	stdout = saved;
	fclose(mem);
	if (want == NULL || gotlen != strlen(want) + 1 ||
	    memcmp(got, want, gotlen - 1) != 0 || got[gotlen - 1] != '\n') {
		fprintf(stderr, "ndjson_add fuzz: wrote %.*s\nwant %s\n",
		    (int)gotlen, got, want ? want : "(null)");
		abort();
	}
	free(got);
	free(want);
	json_decref(copy);
	json_decref(rec);
	return 0;
}
