/* telegram.c - Telegram Bot API webhook (§12)
 *
 * SPDX-License-Identifier: MIT
 * setWebhook's secret_token comes back in every request as the header
 * X-Telegram-Bot-Api-Secret-Token (compared in constant time).  An update
 * with a text message becomes an inbound record: id "CHAT:MESSAGE_ID" (a
 * message id is unique within its chat), from the sender's user id, to
 * the chat id, ts the message's date.  Other updates are answered and not
 * written.  Telegram signs no time: replays are caught by the id.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"

static const char *const keys[] = { "secret", NULL };

static int
telegram_init(struct mr_source *s, char **err)
{
	s->priv = mr_secret(s, "secret", 1, err);
	return s->priv ? 0 : -1;
}

static void
telegram_free(struct mr_source *s)
{
	cx_secret_free(s->priv);
}

static void
telegram_handle(struct mr_source *s, const struct mr_req *r,
    struct mr_resp *rs)
{
	const char *tok = mr_header(r, "X-Telegram-Bot-Api-Secret-Token");
	const char *why;
	json_t *j, *m;

	if (mr_want_post(r, rs, "application/json") != 0)
		return;
	if (tok == NULL || !cx_str_equal_ct(tok, s->priv)) {
		mr_reject(rs, 403, tok ? "wrong secret token" :
		    "no X-Telegram-Bot-Api-Secret-Token");
		return;
	}
	if ((j = mr_json_parse(r->body, r->blen, 0, &why)) == NULL) {
		mr_reject(rs, 400, "%s", why);
		return;
	}
	m = json_object_get(j, "message");
	if (json_is_object(m) && json_is_string(json_object_get(m, "text"))) {
		char *chat = mr_json_text(json_object_get(json_object_get(m,
		    "chat"), "id"));
		char *mid = mr_json_text(json_object_get(m, "message_id"));
		char *from = mr_json_text(json_object_get(json_object_get(m,
		    "from"), "id"));
		json_int_t t = json_integer_value(json_object_get(m, "date"));

		if (chat == NULL || mid == NULL) {
			mr_reject(rs, 400, "message without chat.id or "
			    "message_id");
		} else {
			char *id = cx_xasprintf("%s:%s", chat, mid);

			json_array_append_new(rs->recs, mr_inbound(s,
			    "telegram", id, t > 0 ? (cx_ms)t * 1000 : r->now,
			    from, chat, json_string_value(json_object_get(m,
			    "text"))));
			free(id);
		}
		free(chat);
		free(mid);
		free(from);
	}
	json_decref(j);
}

const struct mr_type mr_telegram = {
	"telegram", keys, telegram_init, telegram_handle, telegram_free
};
