/* tencent.c - Tencent Cloud SMS replies and delivery receipts (§4)
 *
 * SPDX-License-Identifier: MIT
 * Tencent's callbacks are unsigned JSON POSTs, so the URL set in its
 * console carries a secret: ?token=<token>.  A reply is one object
 * {extend, mobile, nationcode, sign, text, time} with no message id (the
 * id is then a hash of the reply, stable across Tencent's retries); a
 * receipt batch is an array of {user_receive_time, nationcode, mobile,
 * report_status SUCCESS|FAIL, errmsg, description, sid, ext} where sid is
 * the SerialNo sms-send reported and ext, when a string, the
 * SessionContext (the record id sms-send set).  An item that is neither
 * is logged and skipped, the rest accepted: refusing the batch would make
 * Tencent retry it, bad item and all, for ever.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"

static const char *const keys[] = { "token", NULL };

static int
tencent_init(struct mr_source *s, char **err)
{
	s->priv = mr_secret(s, "token", 1, err);
	return s->priv ? 0 : -1;
}

static void
tencent_free(struct mr_source *s)
{
	cx_secret_free(s->priv);
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static char *
number(const json_t *o)
{
	const char *cc = str(o, "nationcode"), *m = str(o, "mobile");

	if (m == NULL)
		return NULL;
	return cc ? cx_xasprintf("+%s%s", cc, m) : cx_xstrdup(m);
}

static void
tencent_handle(struct mr_source *s, const struct mr_req *r,
    struct mr_resp *rs)
{
	const char *why;
	json_t *a, *it;
	size_t i;

	if (mr_want_post(r, rs, "application/json") != 0 ||
	    mr_token_check(s->priv, r, rs) != 0)
		return;
	if ((a = mr_json_parse(r->body, r->blen, -1, &why)) == NULL) {
		mr_reject(rs, 400, "%s", why);
		return;
	}
	json_array_foreach(a, i, it) {
		char *num = number(it), *id;
		const char *st = str(it, "report_status");

		if (str(it, "text") != NULL) {
			char hid[CX_ID_MAX];
			json_int_t t = json_integer_value(json_object_get(it,
			    "time"));

			cx_rec_id(it, hid);
			json_array_append_new(rs->recs, mr_inbound(s, "sms", hid,
			    t > 0 ? (cx_ms)t * 1000 : r->now, num,
			    str(it, "extend"), str(it, "text")));
		} else if (st && (id = mr_json_text(json_object_get(it,
		    "sid"))) != NULL) {
			int ok = strcmp(st, "SUCCESS") == 0;

			json_array_append_new(rs->recs, mr_delivery(s, "sms", id,
			    str(it, "ext"), ok ? "delivered" : "undelivered",
			    ok ? NULL : str(it, "errmsg"), num,
			    mr_local_time(str(it, "user_receive_time"),
			    "+08:00", r->now)));
			free(id);
		} else {
			cx_warn(s->name, "item %zu of %zu is neither a reply "
			    "(text) nor a receipt (report_status, sid): "
			    "skipped", i + 1, json_array_size(a));
		}
		free(num);
	}
	json_decref(a);
	mr_answer(rs, "application/json", "{\"result\":0,\"errmsg\":\"OK\"}");
}

const struct mr_type mr_tencent = {
	"tencent", keys, tencent_init, tencent_handle, tencent_free
};
