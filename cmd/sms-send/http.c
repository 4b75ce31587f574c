/* http.c - sms-send provider: a generic HTTP endpoint (type = http)
 *
 * SPDX-License-Identifier: MIT
 * For an in-house SMS gateway or any service with a simple HTTP API: the
 * keys url, method, content_type, body, header, auth_header and id_path
 * of webhook.h, which builds the request and reads the answer.  The
 * fields are to, text, id and from: a body template writes {{to}},
 * {{text}}, {{id}}, {{from}} and any path of the record
 * ({{customer.name}}); without one the body is {"to":..,"text":..,
 * "id":..,"from":..} (or the same fields as a form, or with GET a query
 * string).  Any 2xx is success; other statuses are read by
 * cx_result_from_http.
 */
#include <stdlib.h>

#include <jansson.h>

#include "cx.h"
#include "sms-send.h"
#include "webhook.h"

/* The fields, also in the order of the default body. */
static const char *const http_fields[] = { "to", "text", "id", "from", NULL };

static int
http_init(struct sms_prov *p, char **err)
{
	struct cx_webhook *w = cx_xcalloc(1, sizeof(*w));

	p->priv = w;
	return cx_webhook_init(w, "http", p->sec, p->base_url, err);
}

static int
http_build(struct sms_prov *p, const struct sms_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	json_t *f = json_object();
	int r;

	json_object_set_new(f, "to", json_string(m->to));
	if (m->text != NULL)
		json_object_set_new(f, "text", json_string(m->text));
	json_object_set_new(f, "id", json_string(m->id));
	if (m->from != NULL)
		json_object_set_new(f, "from", json_string(m->from));
	r = cx_webhook_build(p->priv, m->rec, http_fields, f, req, res);
	json_decref(f);
	return r;
}

static void
http_parse(struct sms_prov *p, const struct sms_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	(void)m;
	cx_webhook_parse(p->priv, resp, res);
}

static void
http_fini(struct sms_prov *p)
{
	if (p->priv != NULL) {
		cx_webhook_fini(p->priv);
		free(p->priv);
	}
	p->priv = NULL;
}

/* default_url is "", not NULL: main.c requires base_url when there is no
 * default, but this provider takes its URL from `url` as well; init()
 * insists on one of them. */
const struct sms_provider sms_http = {
	.type = "http",
	.default_url = "",
	.keys = cx_webhook_keys,
	.need_template = 0,
	.init = http_init,
	.build = http_build,
	.parse = http_parse,
	.fini = http_fini,
};
