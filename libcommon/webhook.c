/* webhook.c - a generic HTTP webhook: URL, method, headers, templated body
 *
 * SPDX-License-Identifier: MIT
 * See webhook.h.  Moved here from sms-send's http.c when im-send's
 * webhook target came to need the same.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "config.h"
#include "crypto.h"
#include "dispatch.h"
#include "http.h"
#include "log.h"
#include "record.h"
#include "template.h"
#include "webhook.h"
#include "xwrap.h"

const char *const cx_webhook_keys[] = {
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

int
cx_webhook_init(struct cx_webhook *w, const char *who,
    const struct cx_section *s, const char *base_url, char **err)
{
	static const char *const methods[] = { "POST", "PUT", "PATCH", "GET" };
	const char *ct, *m;
	char *out, *missing, *terr;
	json_t *empty;
	size_t i;

	memset(w, 0, sizeof(*w));
	w->who = who;
	w->url = cx_section_get(s, "url");
	if (w->url == NULL && base_url != NULL && *base_url != '\0')
		w->url = base_url;
	if (w->url == NULL) {
		*err = cx_section_err(s, "url", "needed (or base_url)");
		return -1;
	}
	if (strncasecmp(w->url, "http://", 7) != 0 &&
	    strncasecmp(w->url, "https://", 8) != 0) {
		*err = cx_section_err(s, "url", "not an http(s) URL");
		return -1;
	}
	w->method = "POST";
	if ((m = cx_section_get(s, "method")) != NULL) {
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			if (strcasecmp(m, methods[i]) == 0)
				w->method = methods[i];
		if (strcasecmp(m, w->method) != 0) {
			*err = cx_section_err(s, "method", "'%s' is not one of "
			    "POST, PUT, PATCH, GET", m);
			return -1;
		}
	}
	w->json = 1;
	if ((ct = cx_section_get(s, "content_type")) != NULL) {
		if (strcmp(ct, "form") == 0) {
			w->json = 0;
		} else if (strcmp(ct, "json") != 0) {
			*err = cx_section_err(s, "content_type",
			    "'%s' is neither json nor form", ct);
			return -1;
		}
	}
	if ((w->body = cx_section_get(s, "body")) != NULL) {
		if (strcmp(w->method, "GET") == 0) {
			*err = cx_section_err(s, "body", "not with method GET");
			return -1;
		}
		/* Catch a malformed template now rather than per record. */
		empty = json_object();
		out = cx_tmpl_render(w->body, empty, &missing, &terr);
		json_decref(empty);
		free(out);
		free(missing);
		if (terr != NULL) {
			*err = cx_section_err(s, "body", "%s", terr);
			free(terr);
			return -1;
		}
	}
	w->header = cx_section_get(s, "header");
	if (w->header != NULL && !header_ok(w->header)) {
		*err = cx_section_err(s, "header", "not of the form 'Name: value'");
		return -1;
	}
	w->id_path = cx_section_get(s, "id_path");
	if (w->id_path == NULL)
		w->id_path = "id";
	if (cx_section_get(s, "auth_header") != NULL) {
		if ((w->auth = cx_section_secret(s, "auth_header", err)) ==
		    NULL)
			return -1;
		/* Never quote the value: it is a secret. */
		if (!header_ok(w->auth)) {
			*err = cx_section_err(s, "auth_header", "the value is not of "
			    "the form 'Name: value'");
			return -1;
		}
	}
	return 0;
}

void
cx_webhook_fini(struct cx_webhook *w)
{
	cx_secret_free(w->auth);
	w->auth = NULL;
}

/* A string escaped for a JSON body (without the quotes: the template
 * writes "{{text}}") or a form. */
static char *
escape_one(const char *str, size_t n, void *arg)
{
	int json = *(const int *)arg;
	json_t *x;
	char *s;

	if (!json)
		return cx_form_encode(str, n);
	x = json_stringn(str, n);
	s = x ? json_dumps(x, JSON_ENCODE_ANY) : NULL;
	json_decref(x);
	if (s == NULL)
		cx_die(NULL, "out of memory");
	n = strlen(s);
	memmove(s, s + 1, n - 2);	/* drop the quotes */
	s[n - 2] = '\0';
	return s;
}

/* The fields as a form (or query string). */
static char *
form(const json_t *fields)
{
	struct cx_buf b = { 0 };
	const char *k;
	json_t *v;

	cx_buf_adds(&b, "");
	json_object_foreach((json_t *)fields, k, v)
		if (json_is_string(v))
			cx_form_add(&b, k, json_string_value(v));
	return cx_buf_take(&b);
}

/* Renders the body template.  NULL after setting res. */
static char *
render(const struct cx_webhook *w, const json_t *rec,
    const char *const *names, const json_t *fields, struct cx_result *res)
{
	json_t *ctx, *vars, *v;
	char *out, *missing, *err;
	const char *k;
	size_t i;

	ctx = json_is_object(rec) ? json_deep_copy(rec) : json_object();
	if (ctx == NULL)
		cx_die(NULL, "out of memory");
	vars = json_object_get(ctx, "vars");
	for (i = 0; names[i] != NULL; i++) {
		json_object_del(ctx, names[i]);
		if (json_is_object(vars))
			json_object_del(vars, names[i]);
	}
	json_object_foreach((json_t *)fields, k, v)
		json_object_set(ctx, k, v);
	cx_tmpl_escape_all(ctx, escape_one, (void *)&w->json);
	out = cx_tmpl_render(w->body, ctx, &missing, &err);
	json_decref(ctx);
	if (out == NULL) {
		if (missing != NULL)
			cx_result_set(res, CX_OUT_FAIL, CX_E_TEMPLATE_VAR, 0,
			    "%s: body: no value for {{%s}}", w->who, missing);
		else
			cx_result_set(res, CX_OUT_FAIL, CX_E_TEMPLATE_VAR, 0,
			    "%s: body: %s", w->who, err ? err :
			    "cannot render");
		free(missing);
		free(err);
	}
	return out;
}

int
cx_webhook_build(const struct cx_webhook *w, const json_t *rec,
    const char *const *names, const json_t *fields, struct cx_http_req *req,
    struct cx_result *res)
{
	char *body, *q;

	req->method = w->method;
	if (strcmp(w->method, "GET") == 0) {
		q = form(fields);
		req->url = cx_xasprintf("%s%c%s", w->url,
		    strchr(w->url, '?') ? '&' : '?', q);
		free(q);
	} else {
		if (w->body != NULL) {
			if ((body = render(w, rec, names, fields, res)) ==
			    NULL)
				return -1;
		} else if (w->json) {
			body = json_dumps(fields, JSON_COMPACT);
			if (body == NULL)
				cx_die(NULL, "out of memory");
		} else {
			body = form(fields);
		}
		req->url = cx_xstrdup(w->url);
		cx_http_req_header(req, "Content-Type: %s", w->json ?
		    "application/json" : "application/x-www-form-urlencoded");
		cx_http_req_body(req, body, strlen(body));
	}
	if (w->header != NULL)
		cx_http_req_header(req, "%s", w->header);
	if (w->auth != NULL)
		cx_http_req_header(req, "%s", w->auth);
	return 0;
}

void
cx_webhook_parse(const struct cx_webhook *w, const struct cx_http_resp *resp,
    struct cx_result *res)
{
	char num[32];
	const char *id = NULL;
	json_t *j, *v;

	cx_result_from_http(res, resp);
	if (resp->status < 200 || resp->status >= 300)
		return;
	/* Success is the status; an id is a bonus, a body need not be JSON. */
	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	v = json_is_object(j) ? cx_rec_path(j, w->id_path) : NULL;
	if (json_is_string(v) && json_string_length(v) > 0) {
		id = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		id = num;
	}
	free(res->provider_id);
	res->provider_id = id ? cx_xstrdup(id) : NULL;
	json_decref(j);
}
