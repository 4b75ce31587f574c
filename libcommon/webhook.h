/* webhook.h - a generic HTTP webhook: URL, method, headers, templated body
 *
 * SPDX-License-Identifier: MIT
 * Shared by sms-send's "http" provider and im-send's "webhook" target, for
 * an in-house gateway or any service with a simple HTTP API.  The keys of
 * their [provider NAME] section (cx_webhook_keys):
 *   url          where to send (else base_url); method POST (default),
 *                PUT, PATCH or GET
 *   content_type json (default) or form
 *   body         a template: {{to}}, {{text}}, ... (the sender's fields)
 *                and any path of the record ({{customer.name}}); without
 *                it the body is the fields as a JSON object (or a form).
 *                With GET the fields go in the query string, no body.
 *   header       one extra "Name: value" header; auth_header the same, as
 *                a secret (env:NAME or file:PATH, e.g. "Authorization:
 *                Bearer ...")
 *   id_path      dotted path of the message id in a JSON answer ("id")
 * Any 2xx is success; other statuses are read by cx_result_from_http.
 *
 * Escaping: the body template is rendered by cx_tmpl_render against a copy
 * of the record with the sender's fields set at its top level (and removed
 * from its "vars", which the renderer would look in first), in which every
 * string has been escaped beforehand for the body's type: JSON-escaped
 * without the quotes for json (so the template writes "{{text}}" with the
 * quotes), form-encoded for form.  A value can therefore never break out
 * of its place in the body; numbers and booleans go in as they are.
 */
#ifndef CX_WEBHOOK_H
#define CX_WEBHOOK_H

#include <jansson.h>

#include "config.h"
#include "dispatch.h"
#include "http.h"

struct cx_webhook {
	const char *who;	/* starts every message ("http") */
	const char *url;
	const char *method;	/* "POST", "PUT", "PATCH" or "GET" */
	int json;		/* content_type json, else form */
	const char *body;	/* the body template, or NULL */
	const char *header;	/* header, or NULL */
	char *auth;		/* auth_header (a secret), or NULL */
	const char *id_path;
};

/* The section keys above, NULL-terminated. */
extern const char *const cx_webhook_keys[];

/* Reads the keys of section s into w (whose strings borrow from s and
 * who); base_url (may be NULL or "") stands in for a missing url.  Returns
 * 0, or -1 with *err = "FILE:LINE: [provider NAME] key: ..." (malloc'd;
 * never quoting auth_header).  Call cx_webhook_fini() either way. */
int cx_webhook_init(struct cx_webhook *w, const char *who,
    const struct cx_section *s, const char *base_url, char **err);
/* Wipes and frees the secret. */
void cx_webhook_fini(struct cx_webhook *w);

/* Fills req for one message.  fields is a JSON object of the message's
 * values ({"to":..,"text":..,"id":..}), in the order of the default body;
 * names lists every field name the sender defines (NULL-terminated),
 * present in fields or not: the record's own values under those names
 * never reach the template.  rec (any JSON value) supplies the other
 * placeholders.  Returns 0, or -1 after setting res (FAIL
 * template_var_missing). */
int cx_webhook_build(const struct cx_webhook *w, const json_t *rec,
    const char *const *names, const json_t *fields, struct cx_http_req *req,
    struct cx_result *res);

/* Any 2xx: OK, with the id at id_path of a JSON answer (a non-empty
 * string or an integer) as provider_id, else none; any other status:
 * cx_result_from_http(). */
void cx_webhook_parse(const struct cx_webhook *w,
    const struct cx_http_resp *resp, struct cx_result *res);

#endif
