/* recv_body.c - fuzz msg-recv's body parsers: form, JSON, WeCom's XML
 * (libFuzzer)
 *
 * SPDX-License-Identifier: MIT
 * Every input goes through the parsers (form, JSON, JSON as a form for
 * Twilio, XML; each must either refuse it or give well-formed,
 * NUL-terminated UTF-8 pairs); a parsed form is
 * looked up, a parsed XML's fields are parsed again as XML (the WeCom
 * path: Encrypt, then the decrypted message).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/msg-recv/mr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *why;
	struct mr_form f, g;
	json_t *j;

	if (mr_form_parse(s, size, &f) == 0) {
		for (size_t i = 0; i < f.n; i++)
			if (strlen(f.names[i]) > size ||
			    mr_form_get(&f, f.names[i]) == NULL)
				abort();
		mr_form_free(&f);
	}
	for (int want = -1; want <= 1; want++) {
		why = NULL;
		j = mr_json_parse(s, size, want, &why);
		if (j == NULL && why == NULL)
			abort();
		json_decref(j);
	}
	why = NULL;
	if (mr_json_form(s, size, &f, &why) == 0) {
		for (size_t i = 0; i < f.n; i++)
			if (mr_form_get(&f, f.names[i]) == NULL)
				abort();
		mr_form_free(&f);
	} else if (why == NULL) {
		abort();
	}
	if (mr_xml_fields(s, size, &f) == 0) {
		for (size_t i = 0; i < f.n; i++) {
			if (mr_xml_fields(f.values[i], strlen(f.values[i]),
			    &g) == 0)
				mr_form_free(&g);
		}
		mr_form_free(&f);
	}
	return 0;
}
