/* util.c - small helpers the msg-recv sources share
 *
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mr.h"

int
mr_want_post(const struct mr_req *r, struct mr_resp *rs, const char *ctype)
{
	if (strcmp(r->method, "POST") != 0) {
		mr_reject(rs, 405, "%s where POST is expected", r->method);
		return -1;
	}
	if (ctype && (r->ctype == NULL ||
	    strncasecmp(r->ctype, ctype, strlen(ctype)) != 0)) {
		mr_reject(rs, 415, "Content-Type is not %s", ctype);
		return -1;
	}
	return 0;
}

int
mr_params(const struct mr_req *r, struct mr_resp *rs, struct mr_form *f)
{
	const char *s = r->query;
	size_t n = strlen(r->query);

	if (strcmp(r->method, "POST") == 0) {
		if (mr_want_post(r, rs,
		    "application/x-www-form-urlencoded") != 0)
			return -1;
		s = r->body;
		n = r->blen;
	}
	if (mr_form_parse(s, n, f) != 0) {
		mr_reject(rs, 400, "malformed form (NUL or not UTF-8)");
		return -1;
	}
	return 0;
}

cx_ms
mr_local_time(const char *s, const char *offset, cx_ms now)
{
	char buf[64];
	cx_ms t;

	if (s == NULL || strlen(s) > 30)
		return now;
	snprintf(buf, sizeof buf, "%s%s", s, offset);
	if (cx_time_parse(buf, &t) != 0)
		return now;
	return t;
}

char *
mr_json_text(const json_t *v)
{
	if (json_is_string(v) && json_string_length(v) > 0)
		return cx_xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return cx_xasprintf("%lld", (long long)json_integer_value(v));
	return NULL;
}
