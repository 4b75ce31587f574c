/* twilio.c - Twilio inbound SMS and StatusCallback (providers.md §1)
 *
 * SPDX-License-Identifier: MIT
 * Both are form POSTs signed with X-Twilio-Signature over the URL Twilio
 * requested (public_url behind a proxy) and every form parameter.  A body
 * (Body) makes an inbound message; MessageStatus a delivery receipt, for
 * the final statuses only (delivered, undelivered, failed).  sms-send puts
 * the record id in the StatusCallback URL as ?id=, which comes back here
 * as record_id.  Twilio signs no time: replays are caught by MessageSid.
 * A JSON body (application/json) is signed differently: the URL carries
 * bodySHA256, the hex SHA-256 of the body, and the signature covers the
 * URL alone; its top-level fields then stand for the form's.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mr.h"

static const char *const keys[] = { "auth_token", NULL };

static int
twilio_init(struct mr_source *s, char **err)
{
	s->priv = mr_secret(s, "auth_token", 1, err);
	return s->priv ? 0 : -1;
}

static void
twilio_free(struct mr_source *s)
{
	cx_secret_free(s->priv);
}

static void
twilio_handle(struct mr_source *s, const struct mr_req *r,
    struct mr_resp *rs)
{
	struct mr_form f, q = { 0 };
	const char *sid, *st, *body, *from, *chan = "sms", *why;
	const char *sig = mr_header(r, "X-Twilio-Signature");
	int good;

	if (mr_want_post(r, rs, NULL) != 0)
		return;
	if (r->ctype && strncasecmp(r->ctype, "application/json", 16) == 0) {
		if (strstr(r->query, "bodySHA256=") == NULL) {
			mr_reject(rs, 415, "JSON body without bodySHA256 in "
			    "the URL");
			return;
		}
		if (mr_json_form(r->body, r->blen, &f, &why) != 0) {
			mr_reject(rs, 400, "%s", why);
			return;
		}
		good = mr_twilio_verify_json(s->priv, r->url, r->body,
		    r->blen, sig);
	} else {
		if (mr_params(r, rs, &f) != 0)
			return;
		good = mr_twilio_verify(s->priv, r->url, &f, sig);
	}
	if (!good) {
		mr_reject(rs, 403, sig ?
		    "bad X-Twilio-Signature (is public_url the URL set in "
		    "Twilio's console?)" : "no X-Twilio-Signature");
		goto out;
	}
	sid = mr_form_get(&f, "MessageSid");
	if (sid == NULL)
		sid = mr_form_get(&f, "SmsSid");
	if (sid == NULL || *sid == '\0') {
		mr_reject(rs, 400, "no MessageSid");
		goto out;
	}
	from = mr_form_get(&f, "From");
	if (from && strncmp(from, "whatsapp:", 9) == 0) {
		chan = "whatsapp";
		from += 9;
	}
	body = mr_form_get(&f, "Body");
	st = mr_form_get(&f, "MessageStatus");
	if (st == NULL)
		st = mr_form_get(&f, "SmsStatus");
	if (body != NULL || st == NULL || strcmp(st, "received") == 0) {
		const char *to = mr_form_get(&f, "To");

		if (to && strncmp(to, "whatsapp:", 9) == 0)
			to += 9;
		json_array_append_new(rs->recs, mr_inbound(s, chan, sid,
		    r->now, from, to, body));
		mr_answer(rs, "text/xml", "<?xml version=\"1.0\" "
		    "encoding=\"UTF-8\"?><Response/>");
		goto out;
	}
	if (strcmp(st, "delivered") == 0 || strcmp(st, "undelivered") == 0 ||
	    strcmp(st, "failed") == 0) {
		const char *to = mr_form_get(&f, "To");

		if (to && strncmp(to, "whatsapp:", 9) == 0) {
			to += 9;
			chan = "whatsapp";
		}
		mr_form_parse(r->query, strlen(r->query), &q);
		json_array_append_new(rs->recs, mr_delivery(s, chan, sid,
		    mr_form_get(&q, "id"), st, mr_form_get(&f, "ErrorCode"),
		    to, r->now));
	}
out:
	mr_form_free(&q);
	mr_form_free(&f);
}

const struct mr_type mr_twilio = {
	"twilio", keys, twilio_init, twilio_handle, twilio_free
};
