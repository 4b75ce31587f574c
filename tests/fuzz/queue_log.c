/* queue_log.c - fuzz queue-notify's Asterisk queue_log parser (libFuzzer)
 *
 * SPDX-License-Identifier: MIT
 * Each input is split into lines; each line is parsed, and what a parse
 * accepts is turned into a cxkit queue-event record and dumped, as
 * --events does.  Built by `make fuzz` with clang
 * -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/queue-notify/qn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct qn_event ev;
		const char *why = NULL;

		if (qn_asterisk_parse(p, n, "1", &ev, &why) == 0) {
			json_t *o = qn_event_json(&ev, NULL);

			if (o) {
				char *s = json_dumps(o, JSON_COMPACT);

				if (s == NULL)
					abort();	/* a field not UTF-8 */
				free(s);
				json_decref(o);
			}
		} else if (why == NULL) {
			abort();		/* a rejection says why */
		}
		p += n + 1;
	}
	return 0;
}
