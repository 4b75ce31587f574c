/* http.c - sms-send provider: a generic HTTP endpoint (type = http)
 *
 * SPDX-License-Identifier: MIT
 * For an in-house SMS gateway or any service with a simple HTTP API:
 *   url          where to send (or base_url); method POST (default), PUT,
 *                PATCH or GET
 *   content_type json (default) or form
 *   body         a template: {{to}}, {{text}}, {{id}}, {{from}} and any
 *                path of the record ({{customer.name}}); without it the
 *                body is {"to":..,"text":..,"id":..,"from":..} (or the
 *                same fields as a form).  With GET those fields go in the
 *                query string and there is no body.
 *   header       one extra "Name: value" header; auth_header the same, as
 *                a secret (env:NAME or file:PATH, e.g. "Authorization:
 *                Bearer ...")
 *   id_path      dotted path of the message id in a JSON answer ("id")
 * Any 2xx is success; other statuses are read by cx_result_from_http.
 *
 * Escaping: the body template is rendered by cx_tmpl_render against a copy
 * of the record with to/text/id/from set at its top level (and removed from
 * its "vars", which the renderer would look in first), in which every
 * string has been escaped beforehand for the body's type: JSON-escaped
 * without the quotes for json (so the template writes "{{text}}" with the
 * quotes), form-encoded for form.  A value can therefore never break out of
 * its place in the body; numbers and booleans go in as they are.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cx.h"
#include "sms-send.h"

struct http {
	const char *url;
	const char *method;	/* "POST", "PUT", "PATCH" or "GET" */
	int json;		/* content_type json, else form */
	const char *body;	/* the body template, or NULL */
	const char *header;	/* header, or NULL */
	char *auth;		/* auth_header (a secret), or NULL */
	const char *id_path;
};

static const char *const http_keys[] = {
	"url", "method", "content_type", "body", "header", "auth_header",
	"id_path", NULL
};

/* 1 when h looks like "Name: value" on one line. */
static int
header_ok(const char *h)
{
	size_t n = strcspn(h, ":");

	return n > 0 && h[n] == ':' && strcspn(h, "\r\n") == strlen(h) &&
	    strcspn(h, " \t") >= n;
}

static int
http_init(struct sms_prov *p, char **err)
{
	static const char *const methods[] = { "POST", "PUT", "PATCH", "GET" };
	struct http *h = cx_xcalloc(1, sizeof(*h));
	const char *ct, *m;
	char *out, *missing, *terr;
	json_t *empty;
	size_t i;

	p->priv = h;
	h->url = cx_section_get(p->sec, "url");
	if (h->url == NULL && p->base_url != NULL && *p->base_url != '\0')
		h->url = p->base_url;
	if (h->url == NULL) {
		*err = sms_conf_err(p, "url", "needed (or base_url)");
		return -1;
	}
	if (strncasecmp(h->url, "http://", 7) != 0 &&
	    strncasecmp(h->url, "https://", 8) != 0) {
		*err = sms_conf_err(p, "url", "not an http(s) URL");
		return -1;
	}
	h->method = "POST";
	if ((m = cx_section_get(p->sec, "method")) != NULL) {
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (strcasecmp(m, methods[i]) == 0)
				h->method = methods[i];
		if (strcasecmp(m, h->method) != 0) {
			*err = sms_conf_err(p, "method", "'%s' is not one of "
			    "POST, PUT, PATCH, GET", m);
			return -1;
		}
	}
	h->json = 1;
	if ((ct = cx_section_get(p->sec, "content_type")) != NULL) {
		if (strcmp(ct, "form") == 0) {
			h->json = 0;
		} else if (strcmp(ct, "json") != 0) {
			*err = sms_conf_err(p, "content_type",
			    "'%s' is neither json nor form", ct);
			return -1;
		}
	}
	if ((h->body = cx_section_get(p->sec, "body")) != NULL) {
		if (strcmp(h->method, "GET") == 0) {
			*err = sms_conf_err(p, "body", "not with method GET");
			return -1;
		}
		/* Catch a malformed template now rather than per record. */
		empty = json_object();
		out = cx_tmpl_render(h->body, empty, &missing, &terr);
		json_decref(empty);
		free(out);
		free(missing);
		if (terr != NULL) {
			*err = sms_conf_err(p, "body", "%s", terr);
			free(terr);
			return -1;
		}
	}
	h->header = cx_section_get(p->sec, "header");
	if (h->header != NULL && !header_ok(h->header)) {
		*err = sms_conf_err(p, "header", "not of the form "
		    "'Name: value'");
		return -1;
	}
	h->id_path = cx_section_get(p->sec, "id_path");
	if (h->id_path == NULL)
		h->id_path = "id";
	if (cx_section_get(p->sec, "auth_header") != NULL) {
		if ((h->auth = cx_section_secret(p->sec, "auth_header",
		    err)) == NULL)
			return -1;
		/* Never quote the value: it is a secret. */
		if (!header_ok(h->auth)) {
			*err = sms_conf_err(p, "auth_header", "the value is "
			    "not of the form 'Name: value'");
			return -1;
		}
	}
	return 0;
}

/* Escapes every string inside v, in place, for a JSON or form body. */
static void
escape_all(json_t *v, int json)
{
	const char *k;
	json_t *x;
	size_t i;
	char *s;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (!json_is_string(x)) {
				escape_all(x, json);
				continue;
			}
			if (json) {
				s = json_dumps(x, JSON_ENCODE_ANY);
				if (s == NULL)
					cx_die(NULL, "out of memory");
				s[strlen(s) - 1] = '\0';	/* the quotes */
				json_object_set_new(v, k, json_string(s + 1));
			} else {
				s = cx_form_encode(json_string_value(x),
				    json_string_length(x));
				json_object_set_new(v, k, json_string(s));
			}
			free(s);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_object(x) || json_is_array(x)) {
				escape_all(x, json);
			} else if (json_is_string(x)) {
				/* Escape through a one-key object. */
				json_t *o = json_pack("{s:O}", "v", x);

				escape_all(o, json);
				json_array_set(v, i, json_object_get(o, "v"));
				json_decref(o);
			}
		}
	}
}

/* The fields of the default body, as a JSON object. */
static json_t *
fields(const struct sms_msg *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "to", json_string(m->to));
	if (m->text != NULL)
		json_object_set_new(o, "text", json_string(m->text));
	json_object_set_new(o, "id", json_string(m->id));
	if (m->from != NULL)
		json_object_set_new(o, "from", json_string(m->from));
	return o;
}

/* The fields as a form (or query string). */
static char *
form(const struct sms_msg *m)
{
	struct cx_buf b = { 0 };
	json_t *o = fields(m), *v;
	const char *k;

	cx_buf_adds(&b, "");
	json_object_foreach(o, k, v)
		cx_form_add(&b, k, json_string_value(v));
	json_decref(o);
	return cx_buf_take(&b);
}

/* Renders the body template for m.  NULL after setting res. */
static char *
render(const struct http *h, const struct sms_msg *m, struct cx_result *res)
{
	static const char *const ours[] = { "to", "text", "id", "from" };
	json_t *ctx, *vars, *f, *v;
	char *out, *missing, *err;
	const char *k;
	size_t i;

	ctx = json_is_object(m->rec) ? json_deep_copy(m->rec) : json_object();
	if (ctx == NULL)
		cx_die(NULL, "out of memory");
	vars = json_object_get(ctx, "vars");
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		json_object_del(ctx, ours[i]);
		if (json_is_object(vars))
			json_object_del(vars, ours[i]);
	}
	f = fields(m);
	json_object_foreach(f, k, v)
		json_object_set(ctx, k, v);
	json_decref(f);
	escape_all(ctx, h->json);
	out = cx_tmpl_render(h->body, ctx, &missing, &err);
	json_decref(ctx);
	if (out == NULL) {
		if (missing != NULL)
			cx_result_set(res, CX_OUT_FAIL, CX_E_TEMPLATE_VAR, 0,
			    "http: body: no value for {{%s}}", missing);
		else
			cx_result_set(res, CX_OUT_FAIL, CX_E_TEMPLATE_VAR, 0,
			    "http: body: %s", err ? err : "cannot render");
		free(missing);
		free(err);
	}
	return out;
}

static int
http_build(struct sms_prov *p, const struct sms_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct http *h = p->priv;
	char *body, *q;
	json_t *o;

	req->method = h->method;
	if (strcmp(h->method, "GET") == 0) {
		q = form(m);
		req->url = cx_xasprintf("%s%c%s", h->url,
		    strchr(h->url, '?') ? '&' : '?', q);
		free(q);
	} else {
		if (h->body != NULL) {
			if ((body = render(h, m, res)) == NULL)
				return -1;
		} else if (h->json) {
			o = fields(m);
			body = json_dumps(o, JSON_COMPACT);
			json_decref(o);
			if (body == NULL)
				cx_die(NULL, "out of memory");
		} else {
			body = form(m);
		}
		req->url = cx_xstrdup(h->url);
		cx_http_req_header(req, "Content-Type: %s", h->json ?
		    "application/json" : "application/x-www-form-urlencoded");
		cx_http_req_body(req, body, strlen(body));
	}
	if (h->header != NULL)
		cx_http_req_header(req, "%s", h->header);
	if (h->auth != NULL)
		cx_http_req_header(req, "%s", h->auth);
	return 0;
}

static void
http_parse(struct sms_prov *p, const struct sms_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	struct http *h = p->priv;
	char num[32];
	const char *id = NULL;
	json_t *j, *v;

	if (resp->status < 200 || resp->status >= 300) {
		cx_result_from_http(res, resp);
		return;
	}
	/* Success is the status; an id is a bonus, a body need not be JSON. */
	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	v = json_is_object(j) ? cx_rec_path(j, h->id_path) : NULL;
	if (json_is_string(v) && json_string_length(v) > 0) {
		id = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		id = num;
	}
	sms_ok(res, id, NULL);
	json_decref(j);
}

static void
http_fini(struct sms_prov *p)
{
	struct http *h = p->priv;

	if (h != NULL) {
		cx_secret_free(h->auth);
		free(h);
	}
	p->priv = NULL;
}

/* default_url is "", not NULL: main.c requires base_url when there is no
 * default, but this provider takes its URL from `url` as well; init()
 * insists on one of them. */
const struct sms_provider sms_http = {
	.type = "http",
	.default_url = "",
	.keys = http_keys,
	.need_template = 0,
	.init = http_init,
	.build = http_build,
	.parse = http_parse,
	.fini = http_fini,
};
