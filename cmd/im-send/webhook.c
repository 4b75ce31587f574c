/* webhook.c - im-send target: any HTTP webhook (type = webhook)
 *
 * SPDX-License-Identifier: MIT
 * For a chat tool cxkit does not know, or an in-house relay: the keys
 * url, method, content_type, body, header, auth_header and id_path of
 * webhook.h (as sms-send's http provider), which builds the request and
 * reads the answer.  The fields are to, text, id, title, url and from:
 * a body template writes {{to}}, {{text}}, ... and any path of the record
 * ({{customer.name}}), each escaped for the body; without one the body is
 * {"to":..,"text":..,"id":..,"title":..,"url":..,"from":..} with the
 * fields that have a value (or a form, or with GET a query string).  id
 * is the part's journal key ("ID", or "ID#2" for a split message), so a
 * receiver can de-duplicate.  from is the section's `from`.  Any 2xx is
 * success; other statuses are read by cx_result_from_http.
 */
#include <stdlib.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"
#include "webhook.h"

/* The fields, also in the order of the default body. */
static const char *const webhook_fields[] = {
	"to", "text", "id", "title", "url", "from", NULL
};

static int
webhook_init(struct im_target *t, char **err)
{
	struct cx_webhook *w = cx_xcalloc(1, sizeof(*w));

	t->priv = w;
	t->needs_to = 0;
	return cx_webhook_init(w, "webhook", t->sec, t->base_url, err);
}

/* Adds k: v to o when v is not NULL. */
static void
field(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

static int
webhook_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	json_t *f = json_object();
	int r;

	field(f, "to", m->to);
	field(f, "text", m->text);
	field(f, "id", m->txn ? m->txn : m->id);
	field(f, "title", m->title);
	field(f, "url", m->url);
	field(f, "from", cx_section_get(t->sec, "from"));
	r = cx_webhook_build(t->priv, m->rec, webhook_fields, f, req, res);
	json_decref(f);
	return r;
}

static void
webhook_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	(void)m;
	cx_webhook_parse(t->priv, resp, res);
}

static void
webhook_fini(struct im_target *t)
{
	if (t->priv != NULL) {
		cx_webhook_fini(t->priv);
		free(t->priv);
	}
	t->priv = NULL;
}

const struct im_provider im_webhook = {
	.type = "webhook",
	.default_url = NULL,
	.keys = cx_webhook_keys,
	.limit = 60000,
	.limit_chars = 0,
	.markdown = 0,
	.rate = 0,
	.idempotent = 0,
	.customers = 0,
	.init = webhook_init,
	.build = webhook_build,
	.parse = webhook_parse,
	.fini = webhook_fini,
};
