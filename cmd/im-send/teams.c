/* teams.c - im-send target: Microsoft Teams (Workflows webhook, connector)
 *
 * SPDX-License-Identifier: MIT
 * webhook (a secret) is the whole URL Teams gave; its "sig" query
 * parameter is the credential.  format picks the payload (providers.md
 * §11):
 *   workflows  (default) a Power Automate "Post to a channel when a
 *              webhook request is received" flow: a message with one
 *              Adaptive Card 1.4 attachment: the title as a bold
 *              TextBlock, the text as a wrapping TextBlock, and the url as
 *              an Action.OpenUrl.  Success is 200 or 202 (the flow runs
 *              later: a failing flow is not reported back).
 *   connector  the retired Office 365 connector's MessageCard; success is
 *              200 with the body "1".  The connector answered throttling
 *              with a 200 whose body names HTTP error 429.
 * The title goes with the first part of a split message, the link with
 * the last.  TextBlock reads a markdown subset whatever the text is.
 * There is no message id and no idempotency.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

struct teams {
	char *hook;		/* the URL to post to (a secret) */
	int connector;		/* format = connector */
};

static const char *const teams_keys[] = { "webhook", "format", NULL };

static int
teams_init(struct im_target *t, char **err)
{
	struct teams *s = cx_xcalloc(1, sizeof(*s));
	const char *f;
	char *h;

	t->priv = s;
	if ((f = cx_section_get(t->sec, "format")) != NULL) {
		if (strcmp(f, "connector") == 0) {
			s->connector = 1;
		} else if (strcmp(f, "workflows") != 0) {
			*err = cx_section_err(t->sec, "format", "'%s' is neither "
			    "workflows nor connector", f);
			return -1;
		}
	}
	if ((h = cx_section_secret(t->sec, "webhook", err)) == NULL)
		return -1;
	/* Never quote the value: it is a secret. */
	if (strstr(h, "://") == NULL) {
		cx_secret_free(h);
		*err = cx_section_err(t->sec, "webhook", "not an http:// or https:// "
		    "URL");
		return -1;
	}
	if (im_hook_check(t, "webhook", h, err) != 0) {
		cx_secret_free(h);
		return -1;
	}
	s->hook = im_hook_url(t, h, "");
	cx_secret_free(h);
	t->needs_to = 0;
	return 0;
}

/* The Workflows payload: a message carrying an Adaptive Card. */
static json_t *
workflows(const struct im_msg *m, const char *title, const char *url)
{
	json_t *body, *card;

	body = json_array();
	if (title != NULL)
		json_array_append_new(body, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:b}", "type", "TextBlock", "text", title, "weight",
		    "bolder", "size", "medium", "wrap", 1));
	json_array_append_new(body, json_pack("{s:s, s:s, s:b}", "type",
	    "TextBlock", "text", m->text, "wrap", 1));
	card = json_pack("{s:s, s:s, s:s, s:o}",
	    "$schema", "http://adaptivecards.io/schemas/adaptive-card.json",
	    "type", "AdaptiveCard", "version", "1.4", "body", body);
	if (card != NULL && url != NULL)
		json_object_set_new(card, "actions", json_pack("[{s:s, s:s, "
		    "s:s}]", "type", "Action.OpenUrl", "title", "Open",
		    "url", url));
	/* A string that is not UTF-8 leaves an element out: catch it. */
	if (card == NULL || json_array_size(body) != (title ? 2u : 1u) ||
	    (url != NULL && json_object_get(card, "actions") == NULL)) {
		json_decref(card);
		return NULL;
	}
	return json_pack("{s:s, s:[{s:s, s:n, s:o}]}", "type", "message",
	    "attachments", "contentType",
	    "application/vnd.microsoft.card.adaptive", "contentUrl",
	    "content", card);
}

/* The connector payload: a MessageCard. */
static json_t *
connector(const struct im_msg *m, const char *title, const char *url)
{
	size_t n = strlen(m->text);
	json_t *card;
	char *sum;

	/* summary (the notification's text): the title, else the text's
	 * start, cut on a character boundary. */
	if (title == NULL && n > 100) {
		n = 100;
		while (n > 0 && ((unsigned char)m->text[n] & 0xc0) == 0x80)
			n--;
	}
	sum = title ? cx_xstrdup(title) : cx_xstrndup(m->text, n);
	card = json_pack("{s:s, s:s, s:s, s:s}", "@type", "MessageCard",
	    "@context", "http://schema.org/extensions", "summary", sum,
	    "text", m->text);
	free(sum);
	if (card == NULL)
		return NULL;
	if ((title != NULL && json_object_set_new(card, "title",
	    json_string(title)) != 0) || (url != NULL &&
	    json_object_set_new(card, "potentialAction", json_pack("[{s:s, "
	    "s:s, s:[{s:s, s:s}]}]", "@type", "OpenUri", "name", "Open",
	    "targets", "os", "default", "uri", url)) != 0)) {
		json_decref(card);
		return NULL;
	}
	return card;
}

static int
teams_build(struct im_target *t, const struct im_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct teams *s = t->priv;
	const char *title = m->part <= 1 ? m->title : NULL;
	const char *url = m->part >= m->nparts ? m->url : NULL;
	json_t *body;

	body = s->connector ? connector(m, title, url) :
	    workflows(m, title, url);
	if (body == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "teams: the title, url or text is not valid UTF-8");
		return -1;
	}
	req->method = "POST";
	req->url = cx_xstrdup(s->hook);
	im_json_body(req, body);
	return 0;
}

static void
teams_parse(struct im_target *t, const struct im_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	struct teams *s = t->priv;
	const char *b = resp->body ? resp->body : "";
	size_t n = resp->body ? resp->body_len : 0;

	(void)m;
	while (n > 0 && strchr(" \t\r\n", b[n - 1]) != NULL)
		n--;
	if (resp->status < 200 || resp->status >= 300) {
		cx_result_from_http(res, resp);
	} else if (!s->connector || n == 0 || (n == 1 && *b == '1')) {
		cx_result_ok(res, NULL, NULL);
	} else if (memmem(b, n, "429", 3) != NULL) {
		cx_result_set(res, CX_OUT_RETRY, CX_E_RATE_LIMITED, 1,
		    "teams: HTTP %ld %.*s", resp->status, cx_http_excerpt(resp), b);
		res->retry_after_s = resp->retry_after_s;
	} else {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "teams: HTTP %ld %.*s", resp->status, cx_http_excerpt(resp), b);
	}
}

static void
teams_fini(struct im_target *t)
{
	struct teams *s = t->priv;

	if (s != NULL) {
		cx_secret_free(s->hook);
		free(s);
	}
	t->priv = NULL;
}

/* limit: Teams takes 28 KB a message, card and all; 24,000 bytes of text
 * leaves room for the card's JSON and a title. */
const struct im_provider im_teams = {
	.type = "teams",
	.default_url = NULL,
	.keys = teams_keys,
	.limit = 24000,
	.limit_chars = 0,
	.markdown = 1,
	.rate = 4.0,
	.idempotent = 0,
	.customers = 0,
	.init = teams_init,
	.build = teams_build,
	.parse = teams_parse,
	.fini = teams_fini,
};
