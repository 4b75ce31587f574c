/* ticket_json.c - fuzz ticket-sync's parsers of the ticket systems'
 * answers (libFuzzer)
 *
 * SPDX-License-Identifier: MIT
 * Each input is given, as an HTTP body, to the three pure parsers: the
 * Zendesk incremental export and ticket comments, RT's ticket search,
 * Redmine's issue list and an issue's journals.  They must accept or refuse it with a reason, never crash or
 * leak.  Built by `make fuzz` with clang -fsanitize=fuzzer,address,
 * undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/ticket-sync/ts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_ctx c = { .name = "fz", .url = (char *)"http://x",
	    .status_map = "open:pending,Resolved:solved" };
	struct ts_pull p = { 0 };
	const char *why = NULL;
	long total, n;
	int more;
	char *next = NULL;
	json_t *t = json_pack("{ssss}", "id", "1", "status", "open"), *j;

	if (ts_zendesk_parse_export(&c, (const char *)data, size, &p,
	    &why) != 0 && why == NULL)
		abort();
	ts_pull_free(&p);
	why = NULL;
	if (ts_rt_parse_search(&c, (const char *)data, size, &p, &more,
	    &why) != 0 && why == NULL)
		abort();
	ts_pull_free(&p);
	why = NULL;
	if (ts_redmine_parse_issues(&c, (const char *)data, size, &p, &total,
	    &n, &why) != 0 && why == NULL)
		abort();
	ts_pull_free(&p);
	why = NULL;
	if (ts_zendesk_parse_comments(&c, t, (const char *)data, size, 0, 1,
	    900, &p, &next, &why) != 0 && why == NULL)
		abort();
	free(next);
	ts_pull_free(&p);
	j = json_loadb((const char *)data, size, 0, NULL);
	ts_redmine_parse_journals(&c, t, json_object_get(j, "issue"), 0, &p);
	json_decref(j);
	ts_pull_free(&p);
	json_decref(t);
	return 0;
}
