/* sms-send.h - what sms-send's main.c and its provider files share
 *
 * SPDX-License-Identifier: MIT
 * Each provider file (twilio.c, vonage.c, ...) exports exactly one const
 * struct sms_provider; main.c finds it by the section's `type`.
 */
#ifndef SMS_SEND_H
#define SMS_SEND_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx.h"

/* One message, prepared by main.c from a record (all fields borrowed
 * from main.c and valid until done). */
struct sms_msg {
	const json_t *rec;	/* the whole record */
	const char *id;		/* the record's id (cx_rec_id) */
	const char *to;		/* E.164, "+8613800138000" */
	const char *from;	/* sender: record "from", --from, or the
				 * provider's `from`; may be NULL */
	const char *text;	/* the rendered text; NULL only for a
				 * provider template with no local file */
	const char *tmpl;	/* template name, or NULL for free text */
	/* For providers that send pre-approved templates (need_template):
	 * the provider's template id (aliyun_code / tencent_id from
	 * [template NAME]) and the parameters in order.  params is a JSON
	 * object {name: "value", ...} in the `params` order (aliyun wants an
	 * object, tencent an array of the values in order). */
	const char *provider_tmpl;
	const json_t *params;
	struct cx_segments seg;	/* of text, when text is not NULL */
};

/* One configured provider: a [provider NAME] section. */
struct sms_prov {
	const struct sms_provider *ops;
	const char *name;	/* section name */
	const struct cx_section *sec;
	const struct cx_config *cfg;
	const char *base_url;	/* `base_url`, or the provider's default */
	const char *from;	/* `from`, may be NULL */
	double rate;		/* `rate` (messages/s), 0 = unpaced */
	long timeout_ms;	/* `timeout` (seconds in the file) */
	const char *proxy;	/* `proxy`, or NULL */
	struct cx_pacer *pacer;
	void *priv;		/* the provider's own (secrets resolved at init) */
};

struct sms_provider {
	const char *type;		/* "twilio" */
	const char *default_url;	/* base URL when `base_url` is absent,
					 * or NULL when it is required */
	const char *const *keys;	/* its own keys (credentials, ...),
					 * NULL-terminated; the common keys
					 * type, base_url, from, rate, timeout,
					 * proxy are always allowed */
	int need_template;		/* sends only pre-approved templates */
	/* Resolves credentials (cx_section_secret) into p->priv.  Returns
	 * 0, or -1 with *err ("FILE:LINE: ..."): a configuration error. */
	int (*init)(struct sms_prov *p, char **err);
	/* Fills req for one attempt (see struct cx_job.build). */
	int (*build)(struct sms_prov *p, const struct sms_msg *m,
	    struct cx_http_req *req, struct cx_result *res);
	/* Interprets an HTTP response (see struct cx_job.parse): sets
	 * outcome, provider_id, and on failure the code from providers.md's
	 * table with retryable. */
	void (*parse)(struct sms_prov *p, const struct sms_msg *m,
	    const struct cx_http_resp *resp, struct cx_result *res);
	void (*fini)(struct sms_prov *p);
};

extern const struct sms_provider sms_twilio, sms_vonage, sms_aliyun,
    sms_tencent, sms_kannel, sms_http;

/*
 * Small helpers the provider files share (static inline, so that each
 * provider file still exports nothing but its ops table).
 */

/* Splits an http(s) URL: *host receives the Host header curl sends for
 * it (host, and ":port" unless the scheme's default), *path the path
 * without a trailing '/' ("" for none); both malloc'd.  Returns 0, or -1
 * when url is not http:// or https:// with a host. */
static inline int __attribute__((unused))
sms_url_split(const char *url, char **host, char **path)
{
	const char *a, *end, *h, *colon = NULL, *q;
	const char *defport;
	size_t plen;

	if (strncasecmp(url, "https://", 8) == 0) {
		a = url + 8;
		defport = "443";
	} else if (strncasecmp(url, "http://", 7) == 0) {
		a = url + 7;
		defport = "80";
	} else {
		return -1;
	}
	end = a + strcspn(a, "/?#");
	for (h = q = a; q < end; q++)
		if (*q == '@')
			h = q + 1;
	for (q = *h == '[' ? memchr(h, ']', (size_t)(end - h)) : h;
	    q != NULL && q < end; q++)
		if (*q == ':')
			colon = q;
	if (h == end || colon == h)
		return -1;
	if (colon != NULL && strncmp(colon + 1, defport, strlen(defport)) == 0
	    && colon + 1 + strlen(defport) == end)
		*host = cx_xstrndup(h, (size_t)(colon - h));
	else
		*host = cx_xstrndup(h, (size_t)(end - h));
	plen = *end == '/' ? strcspn(end, "?#") : 0;
	while (plen > 0 && end[plen - 1] == '/')
		plen--;
	*path = cx_xstrndup(end, plen);
	return 0;
}

#endif
