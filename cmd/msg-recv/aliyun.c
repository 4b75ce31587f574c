/* aliyun.c - Aliyun SMS replies (SmsUp) and receipts (SmsReport) (§3)
 *
 * SPDX-License-Identifier: MIT
 * Aliyun's HTTP batch push POSTs a JSON array and signs nothing, so the
 * URL set in its console carries a secret: ?token=<token>.  A reply item
 * has content and sequence_id; a receipt has success, biz_id (the BizId
 * sms-send reported) and out_id (the record id sms-send put in OutId).
 * Times are Beijing time; numbers national (region CN by default).
 * An item that is neither is logged and skipped, the rest accepted:
 * refusing the batch would make Aliyun retry it, bad item and all, for
 * ever.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"

static const char *const keys[] = { "token", NULL };

static int
aliyun_init(struct mr_source *s, char **err)
{
	if (s->region == NULL)
		s->region = "CN";
	s->priv = mr_secret(s, "token", 1, err);
	return s->priv ? 0 : -1;
}

static void
aliyun_free(struct mr_source *s)
{
	cx_secret_free(s->priv);
}

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
aliyun_handle(struct mr_source *s, const struct mr_req *r,
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
		json_t *succ = json_object_get(it, "success");
		char *id = NULL;

		if (str(it, "content") != NULL &&
		    (id = mr_json_text(json_object_get(it,
		    "sequence_id"))) != NULL) {
			json_array_append_new(rs->recs, mr_inbound(s, "sms", id,
			    mr_local_time(str(it, "send_time"), "+08:00",
			    r->now), str(it, "phone_number"),
			    str(it, "dest_code"), str(it, "content")));
			free(id);
		} else if (json_is_boolean(succ) &&
		    (id = mr_json_text(json_object_get(it,
		    "biz_id"))) != NULL) {
			json_array_append_new(rs->recs, mr_delivery(s, "sms", id,
			    str(it, "out_id"), json_is_true(succ) ?
			    "delivered" : "undelivered", json_is_true(succ) ?
			    NULL : str(it, "err_code"), str(it,
			    "phone_number"), mr_local_time(str(it,
			    "report_time"), "+08:00", r->now)));
			free(id);
		} else {
			cx_warn(s->name, "item %zu of %zu is neither a reply "
			    "(content, sequence_id) nor a receipt (success, "
			    "biz_id): skipped", i + 1, json_array_size(a));
		}
	}
	json_decref(a);
	mr_answer(rs, "application/json", "{\"code\":0,\"msg\":\"成功\"}");
}

const struct mr_type mr_aliyun = {
	"aliyun", keys, aliyun_init, aliyun_handle, aliyun_free
};
