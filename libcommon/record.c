/* record.c - what every program does with a record: id, paths, results
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto.h"
#include "record.h"
#include "xwrap.h"

const char *
cx_rec_id(const json_t *rec, char out[CX_ID_MAX])
{
	const json_t *id = json_object_get(rec, "id");
	char hex[65];
	char *canon;

	if (json_is_string(id) && json_string_length(id) > 0 &&
	    json_string_length(id) < CX_ID_MAX) {
		memcpy(out, json_string_value(id), json_string_length(id) + 1);
		return out;
	}
	if (json_is_integer(id)) {
		snprintf(out, CX_ID_MAX, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(id));
		return out;
	}
	canon = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (canon == NULL)
		canon = cx_xstrdup("");
	cx_sha256_hex(canon, strlen(canon), hex);
	free(canon);
	snprintf(out, CX_ID_MAX, "h:%.32s", hex);
	return out;
}

json_t *
cx_rec_path(const json_t *obj, const char *path)
{
	const char *p = path, *dot;
	char key[256];
	json_t *v = (json_t *)obj;

	while (v && json_is_object(v)) {
		size_t n;

		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		if (dot == NULL)
			return v;
		p = dot + 1;
	}
	return NULL;
}

const char *
cx_rec_str(const json_t *obj, const char *path)
{
	return json_string_value(cx_rec_path(obj, path));
}

json_t *
cx_rec_error(const char *code, const char *msg, int retryable)
{
	return json_pack("{s:s, s:s, s:b}", "code", code, "message",
	    msg ? msg : code, "retryable", retryable);
}

void
cx_rec_set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value);
}

const char *
cx_provider_channel(const char *type)
{
	static const char *const sms[] = { "twilio", "vonage", "aliyun",
	    "tencent", "kannel", "http", "outbox", NULL };
	static const char *const im[] = { "wecom-robot", "wecom-app",
	    "dingtalk", "feishu", "slack", "teams", "telegram", "matrix",
	    "xmpp", "webhook", "im-outbox", NULL };
	int i;

	for (i = 0; sms[i]; i++)
		if (strcmp(type, sms[i]) == 0)
			return "sms";
	for (i = 0; im[i]; i++)
		if (strcmp(type, im[i]) == 0)
			return "im";
	return NULL;
}
