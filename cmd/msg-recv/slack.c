/* slack.c - Slack Events API (§10)
 *
 * SPDX-License-Identifier: MIT
 * Every request is signed: X-Slack-Signature = "v0=" hex HMAC-SHA256 of
 * "v0:" X-Slack-Request-Timestamp ":" body with the app's signing secret,
 * the timestamp within the replay window (5 minutes by default).  A
 * url_verification is answered with its challenge; an event_callback
 * whose event is a user's message (no subtype, no bot_id) becomes an
 * inbound record: id event_id (Slack retries with the same one), from
 * event.user, to event.channel, text event.text, ts event_time.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"

static const char *const keys[] = { "signing_secret", NULL };

static int
slack_init(struct mr_source *s, char **err)
{
	s->priv = mr_secret(s, "signing_secret", 1, err);
	return s->priv ? 0 : -1;
}

static void
slack_free(struct mr_source *s)
{
	cx_secret_free(s->priv);
}

static void
slack_handle(struct mr_source *s, const struct mr_req *r,
    struct mr_resp *rs)
{
	const char *ts = mr_header(r, "X-Slack-Request-Timestamp");
	const char *sig = mr_header(r, "X-Slack-Signature"), *why, *type;
	json_t *j, *ev;

	if (mr_want_post(r, rs, "application/json") != 0)
		return;
	if (!mr_slack_verify(s->priv, ts, r->body, r->blen, sig)) {
		mr_reject(rs, 403, sig ? "bad X-Slack-Signature" :
		    "no X-Slack-Signature");
		return;
	}
	if (mr_fresh(s, r, ts, rs) != 0)
		return;
	if ((j = mr_json_parse(r->body, r->blen, 0, &why)) == NULL) {
		mr_reject(rs, 400, "%s", why);
		return;
	}
	type = json_string_value(json_object_get(j, "type"));
	ev = json_object_get(j, "event");
	if (type && strcmp(type, "url_verification") == 0) {
		const char *ch = json_string_value(json_object_get(j,
		    "challenge"));

		if (ch == NULL)
			mr_reject(rs, 400, "url_verification without challenge");
		else
			mr_answer(rs, "text/plain", ch);
	} else if (type && strcmp(type, "event_callback") == 0 &&
	    json_is_object(ev)) {
		const char *et = json_string_value(json_object_get(ev, "type"));
		const char *id = json_string_value(json_object_get(j,
		    "event_id"));
		json_int_t t = json_integer_value(json_object_get(j,
		    "event_time"));

		if (id == NULL) {
			mr_reject(rs, 400, "event_callback without event_id");
		} else if (et && strcmp(et, "message") == 0 &&
		    json_object_get(ev, "subtype") == NULL &&
		    json_object_get(ev, "bot_id") == NULL) {
			json_array_append_new(rs->recs, mr_inbound(s, "slack",
			    id, t > 0 ? (cx_ms)t * 1000 : r->now,
			    json_string_value(json_object_get(ev, "user")),
			    json_string_value(json_object_get(ev, "channel")),
			    json_string_value(json_object_get(ev, "text"))));
		}
	}
	json_decref(j);
}

const struct mr_type mr_slack = {
	"slack", keys, slack_init, slack_handle, slack_free
};
