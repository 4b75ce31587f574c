/* ticket-sync - ticket progress in and out of the ticketing system
 *
 * SPDX-License-Identifier: MIT
 *   pull    writes one ticket event per change since the last pull
 *   push    reads cxkit records, opens/updates tickets, adds "ticket"
 *   lookup  adds the status of the ticket or order a record names
 *   show, list, update   the tickets of the local backend (and update
 *           for any backend: what an agent does)
 * Backends: local (default, in the state store), rt, zendesk, redmine;
 * one file each.  See ticket-sync(1) and cxkit(7).
 *
 * Exactly once: pull writes a batch of events, flushes stdout, and only
 * then saves the cursor (and the statuses it saw) in one transaction.  A
 * crash in between replays the batch next time with the same event ids.
 * CXKIT_TEST_CRASH=after-write is a test hook: it _exit()s right there.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cx.h"
#include "ts.h"

int ts_local_set_customer(struct cx_state *st, const char *id,
    long long cust);
json_t *ts_local_comments(struct cx_state *st, const char *id);

static const struct ts_backend *const backends[] = {
	&ts_local, &ts_rt, &ts_zendesk, &ts_redmine, NULL
};

/* Keys every [ticket NAME] section may hold. */
static const char *const common_keys[] = {
	"type", "url", "token", "user", "password", "queue", "status_map",
	"timeout", "region", NULL
};

enum cmd { C_NONE, C_PULL, C_PUSH, C_LOOKUP, C_SHOW, C_LIST, C_UPDATE };

static const char *const cmd_names[] = {
	[C_PULL] = "pull", [C_PUSH] = "push", [C_LOOKUP] = "lookup",
	[C_SHOW] = "show", [C_LIST] = "list", [C_UPDATE] = "update",
};

struct opts {
	struct cx_common common;
	enum cmd cmd;
	const char *id;
	const char *via, *since, *region, *status, *comment, *author;
	const char *tmpl_nf;
	int private, all;
};

enum {
	OPT_VIA = CX_OPT_BASE + 0x40,
	OPT_SINCE,
	OPT_REGION,
	OPT_STATUS,
	OPT_COMMENT,
	OPT_AUTHOR,
	OPT_PRIVATE,
	OPT_ALL,
	OPT_TEMPLATE_NF,
};

static const char args_doc[] =
    "pull\npush\nlookup\nshow ID\nlist\nupdate ID";

static const char doc[] =
    "Carry ticket progress between cxkit's records and a ticketing "
    "system (local, Request Tracker 5, Zendesk, Redmine).\v"
    "pull writes ticket events (ticket.created, ticket.updated, "
    "ticket.solved, ticket.reopened, ticket.comment) since the last pull; "
    "push opens or updates the customer's ticket for each record; lookup "
    "adds the status of the ticket or order a record names.  With no "
    "[ticket] section configured, tickets live in the state store.  See "
    "ticket-sync(1) and cxkit(7).";

static const struct argp_option options[] = {
	{ "all", OPT_ALL, NULL, 0,
	  "list: include solved and closed tickets", 0 },
	{ "author", OPT_AUTHOR, "NAME", 0,
	  "update: the agent who writes the comment (default: agent; the "
	  "local backend: a remote one records its API user)", 0 },
	{ "comment", OPT_COMMENT, "TEXT", 0,
	  "update: add this comment, written by an agent", 0 },
	{ "private", OPT_PRIVATE, NULL, 0,
	  "update: the comment is internal, not shown to the customer", 0 },
	{ "region", OPT_REGION, "CC", 0,
	  "Country (ISO 3166) of phone numbers written without a country "
	  "code", 0 },
	{ "since", OPT_SINCE, "TIME", 0,
	  "pull: replay the changes since TIME (RFC 3339), leaving the "
	  "cursor alone", 0 },
	{ "status", OPT_STATUS, "STATUS", 0,
	  "update: set the status; list: only tickets in STATUS", 0 },
	{ "template-not-found", OPT_TEMPLATE_NF, "NAME", 0,
	  "lookup: set the template of a record whose ticket or order is "
	  "not found to NAME", 0 },
	{ "via", OPT_VIA, "NAME", 0,
	  "Use the backend of section [ticket NAME]", 0 },
	{ 0 }
};

static error_t
parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->common;
		break;
	case OPT_ALL:
		o->all = 1;
		break;
	case OPT_AUTHOR:
		o->author = arg;
		break;
	case OPT_COMMENT:
		o->comment = arg;
		break;
	case OPT_PRIVATE:
		o->private = 1;
		break;
	case OPT_REGION:
		if (cx_phone_cc(arg) == 0)
			argp_error(state, "--region: '%s' is not a known "
			    "country code (ISO 3166, e.g. CN)", arg);
		o->region = arg;
		break;
	case OPT_SINCE: {
		cx_ms t;

		if (cx_time_parse(arg, &t) != 0)
			argp_error(state, "--since: '%s' is not an RFC 3339 "
			    "time", arg);
		o->since = arg;
		break;
	}
	case OPT_STATUS:
		o->status = arg;
		break;
	case OPT_TEMPLATE_NF:
		o->tmpl_nf = arg;
		break;
	case OPT_VIA:
		o->via = arg;
		break;
	case ARGP_KEY_ARG:
		if (o->cmd == C_NONE) {
			for (int i = C_PULL; i <= C_UPDATE; i++)
				if (strcmp(arg, cmd_names[i]) == 0)
					o->cmd = i;
			if (o->cmd == C_NONE)
				argp_error(state, "unknown command '%s' (pull, "
				    "push, lookup, show, list, update)", arg);
		} else if ((o->cmd == C_SHOW || o->cmd == C_UPDATE) &&
		    o->id == NULL) {
			o->id = arg;
		} else {
			argp_error(state, "unexpected argument '%s'", arg);
		}
		break;
	case ARGP_KEY_END:
		if (o->cmd == C_NONE)
			argp_error(state, "a command is needed: pull, push, "
			    "lookup, show, list or update");
		if ((o->cmd == C_SHOW || o->cmd == C_UPDATE) && o->id == NULL)
			argp_error(state, "%s needs a ticket ID",
			    cmd_names[o->cmd]);
		if (o->cmd == C_UPDATE && !o->status && !o->comment)
			argp_error(state, "update needs --status or --comment");
		if (o->since && o->cmd != C_PULL)
			argp_error(state, "--since is for pull");
		if (o->tmpl_nf && o->cmd != C_LOOKUP)
			argp_error(state, "--template-not-found is for lookup");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, args_doc, doc, cx_common_children, NULL, NULL
};

/* ---- configuration ---- */

static int
check_keys(const struct cx_section *s, const struct ts_backend *be,
    char **err)
{
	const char *keys[32];
	int n = 0;

	for (int i = 0; common_keys[i]; i++)
		keys[n++] = common_keys[i];
	for (int i = 0; be->keys && be->keys[i] && n < 31; i++)
		keys[n++] = be->keys[i];
	keys[n] = NULL;
	return cx_section_check(s, keys, err);
}

static void
ctx_setup(struct ts_ctx *c, const struct cx_config *cfg, struct opts *o,
    struct cx_state *st)
{
	const struct cx_section *s = NULL, *it = NULL;
	const char *type;
	char *err = NULL;
	double d;

	c->st = st;
	c->dry_run = o->common.dry_run;
	c->timeout_ms = 30000;
	if (o->via) {
		s = cx_config_get(cfg, "ticket", o->via);
		if (s == NULL && strcmp(o->via, "local") != 0)
			cx_die(NULL, "--via %s: no section [ticket %s] in %s",
			    o->via, o->via, cfg->path ? cfg->path :
			    "the configuration (none found)");
	} else {
		while ((it = cx_config_next(cfg, "ticket", it)) != NULL) {
			if (s != NULL)
				cx_die(NULL, "%s: several [ticket] sections: "
				    "pick one with --via NAME", cfg->path);
			s = it;
		}
	}
	if (s == NULL) {
		c->name = "local";
		c->be = &ts_local;
		return;
	}
	c->sec = s;
	c->name = s->name ? s->name : "ticket";
	if ((type = cx_section_need(s, "type", &err)) == NULL)
		cx_die(NULL, "%s", err);
	for (int i = 0; backends[i]; i++)
		if (strcmp(backends[i]->type, type) == 0)
			c->be = backends[i];
	if (c->be == NULL)
		cx_die(NULL, "%s", cx_section_err(s, "type", "unknown type "
		    "'%s' (local, rt, zendesk, redmine)", type));
	if (check_keys(s, c->be, &err) != 0)
		cx_die(NULL, "%s", err);
	d = 30;
	if (cx_section_double(s, "timeout", 0.1, 600, &d, &err) != 0)
		cx_die(NULL, "%s", err);
	c->timeout_ms = (long)(d * 1000);
	c->queue = cx_section_get(s, "queue");
	c->status_map = cx_section_get(s, "status_map");
	if (c->be == &ts_local)
		return;
	{
		const char *url = cx_section_need(s, "url", &err);
		size_t n;

		if (url == NULL)
			cx_die(NULL, "%s", err);
		if (strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0)
			cx_die(NULL, "%s", cx_section_err(s, "url", "not an "
			    "http:// or https:// URL"));
		c->url = cx_xstrdup(url);
		n = strlen(c->url);
		while (n > 0 && c->url[n - 1] == '/')
			c->url[--n] = '\0';
	}
	if (cx_section_get(s, "token") &&
	    (c->token = cx_section_secret(s, "token", &err)) == NULL)
		cx_die(NULL, "%s", err);
	if (cx_section_get(s, "password") &&
	    (c->password = cx_section_secret(s, "password", &err)) == NULL)
		cx_die(NULL, "%s", err);
	if (cx_section_get(s, "user"))
		c->user = cx_xstrdup(cx_section_get(s, "user"));
	if (c->be->open(c, &err) != 0)
		cx_die(NULL, "%s", err);
}

static void
ctx_free(struct ts_ctx *c)
{
	if (c->be && c->be->close)
		c->be->close(c);
	free(c->url);
	cx_secret_free(c->token);
	cx_secret_free(c->password);
	free(c->user);
}

/* ---- records: who, and what ---- */

static json_t *
result_error(json_t *res, struct ts_err *e)
{
	json_object_set_new(res, "error", cx_rec_error(e->code,
	    e->msg ? e->msg : "", e->retryable));
	return res;
}

/* Fills w from the record; e164 is w->phone's storage.  0, or -1 with
 * *e naming the field.  An inbound message names the customer by from
 * (its to is ours); an outbound one (a message request of queue-notify,
 * an sms-send or im-send result: to and no from) by to: a phone number,
 * or for IM the user on the record's channel (else its via). */
static int
who_of(const json_t *rec, const char *region, struct ts_who *w,
    char e164[CX_PHONE_MAX], char **im, struct ts_err *e)
{
	const char *channel = cx_rec_str(rec, "channel");
	const char *phone = NULL, *field = NULL, *why;
	const char *from = cx_rec_str(rec, "from"), *to = cx_rec_str(rec, "to");
	int is_im = json_is_object(json_object_get(rec, "im"));
	int sms_chan = !is_im && (channel == NULL ||
	    strcmp(channel, "sms") == 0);
	int outbound = to && (from == NULL || is_im ||
	    json_is_object(json_object_get(rec, "sms")));

	memset(w, 0, sizeof *w);
	*im = NULL;
	if ((phone = cx_rec_str(rec, "customer.phone")) != NULL)
		field = "customer.phone";
	else if ((phone = cx_rec_str(rec, "caller")) != NULL)
		field = "caller";
	else if (sms_chan && !outbound && (phone = from) != NULL)
		field = "from";
	else if (sms_chan && outbound && (phone = to) != NULL)
		field = "to";
	if (phone) {
		if (cx_phone_e164(phone, region, e164, &why) != 0) {
			ts_err_set(e, CX_E_INVALID_NUMBER, 0, "'%s' is not a "
			    "valid phone number: %s", field, why);
			return -1;
		}
		w->phone = e164;
	}
	w->member_id = cx_rec_str(rec, "customer.member_id");
	if (!sms_chan && !outbound && from) {
		*im = cx_xasprintf("%s:%s", channel, from);
		w->im = *im;
	} else if (!sms_chan && outbound && (channel ||
	    cx_rec_str(rec, "via"))) {
		*im = cx_xasprintf("%s:%s", channel ? channel :
		    cx_rec_str(rec, "via"), to);
		w->im = *im;
	}
	w->name = cx_rec_str(rec, "customer.name");
	w->lang = cx_rec_str(rec, "customer.lang");
	if (w->lang == NULL)
		w->lang = cx_rec_str(rec, "lang");
	if (!w->phone && !w->member_id && !w->im) {
		ts_err_set(e, CX_E_MISSING_FIELD, 0, "no customer: the record "
		    "needs customer.phone, customer.member_id, caller, from, "
		    "or to (a message sent)");
		return -1;
	}
	return 0;
}

struct run {
	struct opts *o;
	struct ts_ctx c;
	unsigned long n, failed;
};

/* Fills the result from a ticket. */
static void
result_ticket(json_t *res, const json_t *t)
{
	static const char *const keys[] = { "id", "url", "status", "subject",
	    "updated_at", NULL };

	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(t, keys[i]);

		json_object_set(res, keys[i], v ? v : json_null());
	}
}

/* The customer's open ticket, checked on the backend: the ticket (new
 * ref) or NULL (none, or it was solved/deleted meanwhile). -1 on error. */
static int
open_ticket(struct run *r, long long cust, json_t **out, struct ts_err *e)
{
	char *id;

	*out = NULL;
	while ((id = ts_link_latest(r->c.st, r->c.name, cust, 1)) != NULL) {
		json_t *t;
		const char *st;

		if (r->c.be->get(&r->c, id, &t, e) != 0) {
			if (strcmp(e->code, CX_E_NOT_FOUND) != 0) {
				free(id);
				return -1;
			}
			/* Deleted on the server: never reuse it. */
			cx_info(NULL, "%s: ticket %s is gone, a new one will "
			    "be opened", r->c.name, id);
			ts_err_clear(e);
			ts_link_status(r->c.st, r->c.name, id, "deleted");
			free(id);
			continue;
		}
		st = json_string_value(json_object_get(t, "status"));
		if (ts_status_done(st)) {
			ts_link_status(r->c.st, r->c.name, id, st);
			json_decref(t);
			free(id);
			continue;
		}
		free(id);
		*out = t;
		return 0;
	}
	return 0;
}

/* After push's own write to a remote ticket (a customer's message, what
 * was sent, a rating), whose update time it bumps: the ticket as it is
 * now (new ref, or NULL when it cannot be read), and its new update time
 * kept as seen, with the status last pulled, so that the next pull takes
 * no event from ticket-sync's own write (a status changed by an agent
 * meanwhile still comes).  The local backend logs no such change. */
static json_t *
own_write(struct run *r, const char *id)
{
	struct ts_err e = { 0 };
	char *ost = NULL, *oupd = NULL;
	const char *upd;
	json_t *t;

	if (r->c.be == &ts_local)
		return NULL;
	if (r->c.be->get(&r->c, id, &t, &e) != 0) {
		ts_err_clear(&e);
		return NULL;
	}
	upd = json_string_value(json_object_get(t, "updated_at"));
	if (upd && ts_seen_get(r->c.st, r->c.name, id, &ost, &oupd) == 0)
		ts_seen_put(r->c.st, r->c.name, id, ost, upd);
	free(ost);
	free(oupd);
	return t;
}

/* Text of a record that describes a call, for the ticket; phone: the
 * caller's (E.164, or NULL), in full: the agent calls back. */
static char *
call_text(const json_t *rec, const char *phone, const char **subject_out)
{
	const char *ev = cx_rec_str(rec, "event");
	const char *reason = cx_rec_str(rec, "queue.reason");
	const char *queue = cx_rec_str(rec, "queue");
	json_t *wait = json_object_get(rec, "wait_s");
	struct cx_buf b = { 0 };

	if (reason == NULL)
		reason = ev;
	if (queue == NULL)
		queue = cx_rec_str(rec, "queue.queue");
	if (wait == NULL)
		wait = cx_rec_path(rec, "queue.wait_s");
	*subject_out = strcmp(reason, "missed") == 0 ? "Missed call" :
	    strcmp(reason, "timeout") == 0 ? "Call timed out in the queue" :
	    strcmp(reason, "wait") == 0 ? "Long wait in the queue" :
	    "Abandoned call";
	cx_buf_printf(&b, "%s", *subject_out);
	if (phone)
		cx_buf_printf(&b, " from %s", phone);
	if (queue)
		cx_buf_printf(&b, " (queue %s)", queue);
	if (json_is_number(wait))
		cx_buf_printf(&b, " after %.0f s", json_number_value(wait));
	if (cx_rec_str(rec, "ts"))
		cx_buf_printf(&b, " at %s", cx_rec_str(rec, "ts"));
	if (cx_rec_str(rec, "topic"))
		cx_buf_printf(&b, ", about %s", cx_rec_str(rec, "topic"));
	cx_buf_printf(&b, ".");
	return cx_buf_take(&b);
}

/* What was sent to the customer, from an sms/im result. */
static char *
sent_text(const json_t *rec)
{
	const char *key = json_is_object(json_object_get(rec, "sms")) ?
	    "sms" : "im";
	const json_t *res = json_object_get(rec, key);
	const char *st = cx_rec_str(res, "status");
	const char *text = cx_rec_str(res, "text");
	struct cx_buf b = { 0 };

	if (text == NULL)
		text = cx_rec_str(rec, "text");
	cx_buf_printf(&b, "%s %s", strcmp(key, "sms") == 0 ? "SMS" : "IM",
	    st ? st : "?");
	if (cx_rec_str(res, "provider"))
		cx_buf_printf(&b, " via %s", cx_rec_str(res, "provider"));
	if (cx_rec_str(rec, "template"))
		cx_buf_printf(&b, " (template %s)",
		    cx_rec_str(rec, "template"));
	if (text)
		cx_buf_printf(&b, ": %s", text);
	return cx_buf_take(&b);
}

static int
is_call(const json_t *rec)
{
	const char *r = cx_rec_str(rec, "queue.reason");
	const char *ev = cx_rec_str(rec, "event");

	if (r)
		return strcmp(r, "abandon") == 0 || strcmp(r, "missed") == 0 ||
		    strcmp(r, "timeout") == 0 ? 1 : strcmp(r, "wait") == 0 ?
		    2 : 0;
	if (ev && cx_rec_str(rec, "call_id"))
		return strcmp(ev, "abandon") == 0 || strcmp(ev, "missed") ==
		    0 || strcmp(ev, "timeout") == 0 ? 1 : 2;
	return 0;
}

/* Opens a ticket for the customer or adds body to the open one. */
static int
open_or_update(struct run *r, long long cust, const struct ts_new *n,
    json_t *res, struct ts_err *e)
{
	json_t *t;

	if (open_ticket(r, cust, &t, e) != 0)
		return -1;
	if (t) {
		const char *id = json_string_value(json_object_get(t, "id"));

		json_t *now;

		if (r->c.be->update(&r->c, id, n->body, n->public, 0,
		    n->name ? n->name : "customer", NULL, -1, 0, e) != 0) {
			json_decref(t);
			return -1;
		}
		json_object_set_new(res, "action", json_string("updated"));
		now = own_write(r, id);
		result_ticket(res, now ? now : t);
		json_decref(now);
		if (n->ref)
			ts_link_put(r->c.st, r->c.name, id, cust, n->ref, NULL);
		json_decref(t);
		return 0;
	}
	if (r->c.be->create(&r->c, n, &t, e) != 0)
		return -1;
	{
		const char *id = json_string_value(json_object_get(t, "id"));

		if (ts_link_put(r->c.st, r->c.name, id, cust, n->ref,
		    json_string_value(json_object_get(t, "status"))) != 0 ||
		    (r->c.be == &ts_local &&
		    ts_local_set_customer(r->c.st, id, cust) != 0)) {
			ts_err_set(e, CX_E_STATE, 1, "ticket %s was created but "
			    "cannot be linked to its customer in the state "
			    "store", id);
			json_decref(t);
			return -1;
		}
	}
	json_object_set_new(res, "action", json_string("created"));
	result_ticket(res, t);
	json_decref(t);
	return 0;
}

/* The result of a comment push wrote on ticket t (released). */
static void
commented(struct run *r, json_t *res, json_t *t)
{
	json_t *now = own_write(r, json_string_value(json_object_get(t,
	    "id")));

	result_ticket(res, now ? now : t);
	json_decref(now);
	json_decref(t);
}

static char *
subject_of(const char *prefix, const char *text)
{
	size_t n = 0, chars = 0;

	/* At most 60 characters of the text, on a UTF-8 boundary. */
	while (text[n] && text[n] != '\n' && chars < 60) {
		n++;
		while ((text[n] & 0xC0) == 0x80)
			n++;
		chars++;
	}
	return cx_xasprintf("%s%.*s%s", prefix, (int)n, text,
	    text[n] ? "..." : "");
}

static json_t *
push_one(struct run *r, json_t *rec)
{
	json_t *res = json_object(), *intent = json_object_get(rec, "intent");
	struct ts_err e = { 0 };
	struct ts_who w;
	struct ts_new n = { 0 };
	char e164[CX_PHONE_MAX], *im = NULL, *body = NULL, *subj = NULL;
	const char *iname = cx_rec_str(intent, "name");
	int call = is_call(rec);
	int sent = json_is_object(json_object_get(rec, "sms")) ||
	    json_is_object(json_object_get(rec, "im"));
	long long cust;

	if (call == 2) {	/* a queue event that needs no ticket */
		json_object_set_new(res, "action", json_string("none"));
		return res;
	}
	if (!call && !sent && !iname && !cx_rec_str(rec, "text")) {
		ts_err_set(&e, CX_E_MISSING_FIELD, 0, "nothing to do: the "
		    "record has no 'intent', 'text', queue 'event', 'queue' "
		    "or 'sms'/'im' result");
		goto fail;
	}
	if (who_of(rec, r->o->region, &w, e164, &im, &e) != 0)
		goto fail;
	if (r->c.dry_run) {
		json_object_set_new(res, "action", json_string("dry_run"));
		goto out;
	}
	if ((cust = ts_identity_resolve(r->c.st, &w, 1, &e)) < 0)
		goto fail;
	n.phone = w.phone;
	n.member_id = w.member_id;
	n.name = w.name;
	n.channel = cx_rec_str(rec, "channel");
	if (call) {
		const char *s;

		body = call_text(rec, w.phone, &s);
		if (sent) {
			char *t = sent_text(rec), *both;

			both = cx_xasprintf("%s\n%s", body, t);
			free(body);
			free(t);
			body = both;
		}
		n.subject = s;
		n.body = body;
		n.channel = "phone";
		n.public = 0;
		if (open_or_update(r, cust, &n, res, &e) != 0)
			goto fail;
	} else if (iname && strcmp(iname, "csat") == 0) {
		json_t *sc = cx_rec_path(intent, "entities.score");
		json_t *sl = cx_rec_path(intent, "entities.scale");
		char *id = ts_link_latest(r->c.st, r->c.name, cust, 0);
		json_t *t;

		if (!json_is_integer(sc) || !json_is_integer(sl)) {
			free(id);
			ts_err_set(&e, CX_E_BAD_FIELD, 0, "a csat intent needs "
			    "integer intent.entities.score and scale");
			goto fail;
		}
		if (id == NULL) {
			ts_err_set(&e, CX_E_NOT_FOUND, 0, "no ticket of this "
			    "customer to rate");
			goto fail;
		}
		if (r->c.be->update(&r->c, id, NULL, 0, 0, NULL, NULL,
		    (int)json_integer_value(sc), (int)json_integer_value(sl),
		    &e) != 0 || ((t = own_write(r, id)) == NULL &&
		    r->c.be->get(&r->c, id, &t, &e) != 0)) {
			free(id);
			goto fail;
		}
		free(id);
		json_object_set_new(res, "action", json_string("rated"));
		result_ticket(res, t);
		json_decref(t);
	} else if (iname && (strcmp(iname, "opt_out") == 0 ||
	    strcmp(iname, "opt_in") == 0 || strcmp(iname, "language") == 0)) {
		/* A STOP or a language choice is no reason for a ticket: it
		 * only goes on one that is open. */
		json_t *t;
		const char *text = cx_rec_str(rec, "text");

		if (open_ticket(r, cust, &t, &e) != 0)
			goto fail;
		if (t == NULL || text == NULL) {
			json_decref(t);
			json_object_set_new(res, "action",
			    json_string("none"));
			goto out;
		}
		if (r->c.be->update(&r->c, json_string_value(
		    json_object_get(t, "id")), text, 1, 0, w.name ? w.name :
		    "customer", NULL, -1, 0, &e) != 0) {
			json_decref(t);
			goto fail;
		}
		json_object_set_new(res, "action", json_string("commented"));
		commented(r, res, t);
	} else if (iname || (!sent && cx_rec_str(rec, "text"))) {
		const char *text = cx_rec_str(rec, "text");

		if (text == NULL) {
			ts_err_set(&e, CX_E_MISSING_FIELD, 0, "missing field "
			    "'text'");
			goto fail;
		}
		subj = subject_of("Message: ", text);
		n.subject = subj;
		n.body = text;
		n.public = 1;
		n.ref = cx_rec_str(intent, "entities.order");
		if (open_or_update(r, cust, &n, res, &e) != 0)
			goto fail;
		if (strcmp(json_string_value(json_object_get(res, "action")),
		    "updated") == 0)
			json_object_set_new(res, "action",
			    json_string("commented"));
	} else {	/* an sms/im result: the agent sees what was sent */
		json_t *t;

		if (open_ticket(r, cust, &t, &e) != 0)
			goto fail;
		if (t == NULL) {
			json_object_set_new(res, "action",
			    json_string("none"));
			goto out;
		}
		body = sent_text(rec);
		if (r->c.be->update(&r->c, json_string_value(
		    json_object_get(t, "id")), body, 0, 0, "cxkit", NULL, -1,
		    0, &e) != 0) {
			json_decref(t);
			goto fail;
		}
		json_object_set_new(res, "action", json_string("commented"));
		commented(r, res, t);
	}
out:
	free(im);
	free(body);
	free(subj);
	return res;
fail:
	free(im);
	free(body);
	free(subj);
	if (json_object_get(res, "action") == NULL)
		json_object_set_new(res, "action", json_string("failed"));
	result_error(res, &e);
	ts_err_clear(&e);
	return res;
}

static json_t *
lookup_one(struct run *r, json_t *rec)
{
	json_t *res = json_object(), *t = NULL;
	struct ts_err e = { 0 };
	const char *order = NULL;
	char *id = NULL, idbuf[32];
	json_t *tid = cx_rec_path(rec, "ticket.id");

	if (strcmp(cx_rec_str(rec, "intent.name") ? cx_rec_str(rec,
	    "intent.name") : "", "order_query") == 0)
		order = cx_rec_str(rec, "intent.entities.order");
	if (order) {
		id = ts_link_by_ref(r->c.st, r->c.name, order);
		if (id == NULL) {
			ts_err_set(&e, CX_E_NOT_FOUND, 0, "no ticket for order "
			    "%s", order);
			goto fail;
		}
	} else if (json_is_string(tid) || json_is_integer(tid)) {
		if (json_is_string(tid))
			id = cx_xstrdup(json_string_value(tid));
		else {
			snprintf(idbuf, sizeof idbuf, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(tid));
			id = cx_xstrdup(idbuf);
		}
	} else {
		struct ts_who w;
		char e164[CX_PHONE_MAX], *im;
		long long cust;

		if (who_of(rec, r->o->region, &w, e164, &im, &e) != 0)
			goto fail;
		cust = ts_identity_resolve(r->c.st, &w, 0, &e);
		free(im);
		if (cust < 0)
			goto fail;
		if (cust == 0) {
			ts_err_set(&e, CX_E_NOT_FOUND, 0, "unknown customer: "
			    "no ticket was ever opened for them");
			goto fail;
		}
		if (open_ticket(r, cust, &t, &e) != 0)
			goto fail;
		if (t == NULL &&
		    (id = ts_link_latest(r->c.st, r->c.name, cust, 0)) == NULL) {
			ts_err_set(&e, CX_E_NOT_FOUND, 0, "the customer has no "
			    "ticket");
			goto fail;
		}
	}
	if (t == NULL && r->c.be->get(&r->c, id, &t, &e) != 0)
		goto fail;
	json_object_set_new(res, "action", json_string("lookup"));
	result_ticket(res, t);
	json_decref(t);
	free(id);
	return res;
fail:
	free(id);
	/* The template engine has no conditionals: an unknown order gets
	 * its own template, which sms-send takes over its --template. */
	if (r->o->tmpl_nf && strcmp(e.code, CX_E_NOT_FOUND) == 0)
		cx_rec_set(rec, "template", json_string(r->o->tmpl_nf));
	json_object_set_new(res, "action", json_string("lookup"));
	if (json_object_get(res, "id") == NULL)
		json_object_set_new(res, "id", json_null());
	json_object_set_new(res, "status", json_null());
	result_error(res, &e);
	ts_err_clear(&e);
	return res;
}

struct one_tx {
	struct run *r;
	json_t *rec, *res;
	json_t *(*fn)(struct run *, json_t *);
};

static int
one_tx(struct cx_state *st, void *arg)
{
	struct one_tx *x = arg;

	x->res = x->fn(x->r, x->rec);
	/* A record that failed leaves nothing half done: rolled back. */
	return json_object_get(x->res, "error") ? -1 : 0;
}

/* push and lookup: the filter loop.  With the local backend each record
 * is one transaction (one commit instead of several), rolled back when
 * the record fails; one that cannot begin or commit fails the record
 * (state, retryable), whatever its result said.  A remote backend's HTTP
 * calls never run inside one, so other stages are never held up. */
static void
filter(struct run *r, json_t *(*fn)(struct run *, json_t *))
{
	struct cx_ndjson_in in;
	json_t *rec;

	cx_ndjson_open(&in, &r->o->common);
	while ((rec = cx_ndjson_next(&in)) != NULL) {
		struct one_tx x = { r, rec, NULL, fn };
		json_t *res, *e;

		if (r->c.be != &ts_local || r->c.dry_run) {
			x.res = fn(r, rec);
		} else if (cx_state_tx(r->c.st, one_tx, &x) != 0 &&
		    (x.res == NULL || !json_object_get(x.res, "error"))) {
			struct ts_err se = { 0 };

			json_decref(x.res);
			ts_err_set(&se, CX_E_STATE, 1, "the state store cannot "
			    "be written (%s): nothing was done",
			    cx_state_path(r->c.st));
			x.res = result_error(json_pack("{ss}", "action",
			    "failed"), &se);
			ts_err_clear(&se);
		}
		res = x.res;
		e = json_object_get(res, "error");

		if (e) {
			cx_warn(cx_ndjson_where(&in), "%s",
			    cx_rec_str(e, "message"));
			cx_status_fail();
			r->failed++;
		}
		cx_rec_set(rec, "ticket", res);
		r->n++;
		if (cx_ndjson_write(rec) != 0) {
			json_decref(rec);
			break;
		}
		json_decref(rec);
	}
	cx_ndjson_close(&in);
	cx_info(NULL, "%lu records, %lu failed", r->n, r->failed);
}

/* ---- pull ---- */

struct seen_batch {
	struct ts_ctx *c;
	json_t *seen;		/* id -> [status, updated] of this run */
	json_t *links;		/* id -> status, for ts_link */
	json_t *comments;	/* id -> the last remote comment's seq */
	const char *cursor;
};

static int
save_tx(struct cx_state *st, void *arg)
{
	struct seen_batch *b = arg;
	const char *id;
	json_t *v;

	json_object_foreach(b->links, id, v)
		if (ts_link_status(st, b->c->name, id,
		    json_string_value(v)) != 0)
			return -1;
	json_object_foreach(b->seen, id, v)
		if (ts_seen_put(st, b->c->name, id,
		    json_string_value(json_array_get(v, 0)),
		    json_string_value(json_array_get(v, 1))) != 0)
			return -1;
	json_object_foreach(b->comments, id, v)
		if (ts_comment_hw_put(st, b->c->name, id,
		    json_integer_value(v)) != 0)
			return -1;
	if (b->cursor &&
	    cx_kv_put(st, "ticket-sync.cursor", b->c->name, b->cursor, 0) != 0)
		return -1;
	return 0;
}

/* The event of a remote change, by comparing with what was seen; NULL
 * when nothing changed (seen already). prev: malloc'd or NULL. */
static const char *
diff_event(struct run *r, json_t *seen, int replay, struct ts_pulled *p,
    char **prev)
{
	const char *id = json_string_value(json_object_get(p->ticket, "id"));
	const char *st = json_string_value(json_object_get(p->ticket,
	    "status"));
	const char *upd = json_string_value(json_object_get(p->ticket,
	    "updated_at"));
	const char *cre = json_string_value(json_object_get(p->ticket,
	    "created_at"));
	json_t *mem = json_object_get(seen, id);
	char *ost = NULL, *oupd = NULL;
	int known;

	*prev = NULL;
	if (p->comment)
		return "ticket.comment";
	if (mem) {
		ost = cx_xstrdup(json_string_value(json_array_get(mem, 0)));
		oupd = json_string_value(json_array_get(mem, 1)) ?
		    cx_xstrdup(json_string_value(json_array_get(mem, 1))) :
		    NULL;
		known = 0;
	} else if (replay) {
		known = 1;
	} else {
		known = ts_seen_get(r->c.st, r->c.name, id, &ost, &oupd);
		if (known < 0)
			known = 1;
	}
	json_object_set_new(seen, id, json_pack("[ss?]", st ? st : "",
	    upd));
	if (known == 1) {
		free(ost);
		free(oupd);
		/* A ticket a pull sees for the first time is new to it; a
		 * replay knows nothing, so it judges by the dates. */
		if (!replay || (cre && upd && strncmp(cre, upd, 19) == 0))
			return "ticket.created";
		return ts_status_done(st) ? "ticket.solved" : "ticket.updated";
	}
	if (oupd && upd && strcmp(oupd, upd) == 0 && ost && st &&
	    strcmp(ost, st) == 0) {
		free(ost);
		free(oupd);
		return NULL;
	}
	free(oupd);
	*prev = ost;
	if (st && ost && strcmp(st, ost) != 0) {
		if (strcmp(st, "deleted") == 0)
			return "ticket.updated";
		if (ts_status_done(st) && !ts_status_done(ost))
			return "ticket.solved";
		if (!ts_status_done(st) && ts_status_done(ost))
			return "ticket.reopened";
	}
	return "ticket.updated";
}

/* s, or NULL when it is empty. */
static const char *
nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* The customer of a pulled ticket that no customer is linked to, from
 * what the backend read of the ticket's requester: rq {phone,
 * member_id, name, lang}, any of them missing.  The phone in E.164 (one
 * that is not valid: null, and a warning naming the ticket); a language
 * "zh_CN" as BCP 47 "zh-CN".  A normal pull (not a replay, which changes
 * nothing) records the customer in the identity map and links the ticket
 * to it, so that a reply from that phone lands on that ticket; keys the
 * map gives to another customer are never guessed between: the map is
 * left alone and the conflict logged.  Fields rq lacks come from the map.
 * Returns {phone, member_id, name, lang} (new ref). */
static json_t *
requester_customer(struct run *r, const char *tid, const json_t *rq,
    const char *status)
{
	struct ts_who w = { 0 };
	struct ts_err e = { 0 };
	char e164[CX_PHONE_MAX], lang[36];
	const char *phone = nonempty(cx_rec_str(rq, "phone")), *why;
	json_t *cu, *m;
	long long cust;

	if (phone && cx_phone_e164(phone, r->o->region, e164, &why) == 0)
		w.phone = e164;
	else if (phone)
		cx_warn(NULL, "%s: ticket %s: the requester's phone is not a "
		    "valid phone number (%s): customer.phone is null",
		    r->c.name, tid, why);
	w.member_id = nonempty(cx_rec_str(rq, "member_id"));
	w.name = nonempty(cx_rec_str(rq, "name"));
	if ((w.lang = nonempty(cx_rec_str(rq, "lang"))) != NULL) {
		snprintf(lang, sizeof lang, "%s", w.lang);
		for (char *p = lang; *p; p++)
			if (*p == '_')
				*p = '-';
		w.lang = lang;
	}
	cu = json_pack("{s:s?,s:s?,s:s?,s:s?}", "phone", w.phone,
	    "member_id", w.member_id, "name", w.name, "lang", w.lang);
	if (r->c.replay || (w.phone == NULL && w.member_id == NULL))
		return cu;
	if ((cust = ts_identity_resolve(r->c.st, &w, 1, &e)) < 0) {
		cx_warn(NULL, "%s: ticket %s: %s: the identity map is left as "
		    "it was", r->c.name, tid, e.msg);
		ts_err_clear(&e);
		return cu;
	}
	if (ts_link_put(r->c.st, r->c.name, tid, cust, NULL, status) != 0)
		cx_warn(NULL, "%s: ticket %s: cannot link it to its customer "
		    "in the state store", r->c.name, tid);
	if ((m = ts_identity_customer(r->c.st, cust)) != NULL) {
		const char *k;
		json_t *v;

		json_object_foreach(m, k, v)
			if (json_is_null(json_object_get(cu, k)))
				json_object_set(cu, k, v);
		json_decref(m);
	}
	return cu;
}

static int
crash_hook(const char *where)
{
	const char *h = getenv("CXKIT_TEST_CRASH");

	if (h && strcmp(h, where) == 0) {
		cx_ndjson_flush();
		_exit(99);
	}
	return 0;
}

static void
pull(struct run *r)
{
	char *cursor = NULL;
	cx_ms since = 0;
	json_t *seen = json_object(), *links = json_object();
	json_t *comments = json_object();
	int replay = r->o->since != NULL, rounds = 0;
	struct ts_err e = { 0 };

	r->c.replay = replay;
	if (replay)
		cx_time_parse(r->o->since, &since);
	else
		cursor = cx_kv_get(r->c.st, "ticket-sync.cursor", r->c.name);
	for (;;) {
		struct ts_pull p = { 0 };
		struct seen_batch b = { &r->c, seen, links, comments, NULL };

		if (r->c.be->pull(&r->c, cursor, since, &p, &e) != 0) {
			cx_err(NULL, "pull: %s", e.msg);
			ts_pull_free(&p);
			if (strcmp(e.code, CX_E_STATE) == 0 ||
			    strcmp(e.code, CX_E_AUTH_FAILED) == 0)
				cx_status_fatal();
			else
				cx_status_fail();
			break;
		}
		for (size_t i = 0; i < p.n; i++) {
			struct ts_pulled *x = &p.v[i];
			json_t *ev = json_object(), *t = x->ticket;
			char *prev = NULL;
			const char *name = x->event;
			const char *tid = json_string_value(json_object_get(t,
			    "id"));
			json_t *cu, *rq;

			/* A remote comment comes once: its seq above the
			 * ticket's last one (the searches overlap). */
			if (x->seq > 0 && !replay) {
				json_t *hw = json_object_get(comments, tid);
				long long last = hw ? json_integer_value(hw) :
				    ts_comment_hw(r->c.st, r->c.name, tid);

				if (x->seq <= last) {
					json_decref(ev);
					continue;
				}
				json_object_set_new(comments, tid,
				    json_integer(x->seq));
			}
			if (name == NULL)
				name = diff_event(r, seen, replay, x, &prev);
			else if (x->prev_status)
				prev = cx_xstrdup(x->prev_status);
			if (name == NULL) {
				json_decref(ev);
				continue;
			}
			json_object_set_new(ev, "id",
			    json_string(x->change_id));
			json_object_set_new(ev, "ts", json_string(x->ts));
			json_object_set_new(ev, "event", json_string(name));
			json_object_set_new(t, "prev_status", prev ?
			    json_string(prev) : json_null());
			free(prev);
			/* The customer: the identity map's, for a ticket
			 * linked to one (ticket-sync opened it, or a pull
			 * linked it); else the requester the backend read. */
			rq = json_incref(json_object_get(t, "requester"));
			json_object_del(t, "requester");
			if (json_object_get(t, "customer") == NULL) {
				long long lc = ts_link_customer(r->c.st,
				    r->c.name, tid);

				cu = lc > 0 || !json_is_object(rq) ?
				    ts_identity_customer(r->c.st, lc) :
				    requester_customer(r, tid, rq,
				    json_string_value(json_object_get(t,
				    "status")));
				if (cu == NULL)
					cu = json_pack("{snsnsnsn}", "phone",
					    "member_id", "name", "lang");
				json_object_set_new(t, "customer", cu);
			}
			json_decref(rq);
			json_object_set(ev, "ticket", t);
			if (x->comment)
				json_object_set(ev, "comment", x->comment);
			if (!replay)
				json_object_set(links, tid,
				    json_object_get(t, "status"));
			r->n++;
			if (cx_ndjson_write(ev) != 0) {
				json_decref(ev);
				ts_pull_free(&p);
				goto out;
			}
			json_decref(ev);
		}
		/* The events are out: flushed, then the cursor moves. */
		if (cx_ndjson_flush() != 0) {
			ts_pull_free(&p);
			goto out;
		}
		crash_hook("after-write");
		b.cursor = p.cursor;
		/* A replay leaves the state as it was: the cursor, and the
		 * statuses and comments seen, are the normal pulls' own, or
		 * the next one would take the replayed changes as seen. */
		if (!replay && cx_state_tx(r->c.st, save_tx, &b) != 0) {
			cx_err(NULL, "pull: cannot save the cursor: the next "
			    "pull repeats these events");
			cx_status_fatal();
			ts_pull_free(&p);
			goto out;
		}
		json_object_clear(seen);
		json_object_clear(links);
		json_object_clear(comments);
		if (p.cursor) {
			free(cursor);
			cursor = cx_xstrdup(p.cursor);
		}
		if (!p.more || ++rounds > 10000) {
			ts_pull_free(&p);
			break;
		}
		ts_pull_free(&p);
	}
out:
	ts_err_clear(&e);
	json_decref(seen);
	json_decref(links);
	json_decref(comments);
	free(cursor);
	cx_info(NULL, "%lu events", r->n);
}

/* ---- show, list, update ---- */

static json_t *
with_customer(struct run *r, json_t *t)
{
	const char *id = json_string_value(json_object_get(t, "id"));

	if (json_object_get(t, "customer") == NULL) {
		json_t *cu = ts_identity_customer(r->c.st,
		    ts_link_customer(r->c.st, r->c.name, id));

		json_object_set_new(t, "customer", cu ? cu : json_null());
	}
	return t;
}

static void
show(struct run *r)
{
	struct ts_err e = { 0 };
	json_t *t;

	if (r->c.be->get(&r->c, r->o->id, &t, &e) != 0) {
		cx_err(NULL, "show %s: %s", r->o->id, e.msg);
		ts_err_clear(&e);
		cx_status_fail();
		return;
	}
	with_customer(r, t);
	if (r->c.be == &ts_local)
		json_object_set_new(t, "comments",
		    ts_local_comments(r->c.st, r->o->id));
	cx_ndjson_write(t);
	json_decref(t);
}

static void
list(struct run *r)
{
	struct ts_err e = { 0 };
	json_t *a, *t;
	size_t i;

	if (r->c.be->list == NULL) {
		cx_err(NULL, "list: the %s backend's tickets are listed in "
		    "its own interface; list shows the local backend",
		    r->c.be->type);
		cx_status_fatal();
		return;
	}
	if (r->c.be->list(&r->c, r->o->status, r->o->all, &a, &e) != 0) {
		cx_err(NULL, "list: %s", e.msg);
		ts_err_clear(&e);
		cx_status_fatal();
		return;
	}
	json_array_foreach(a, i, t)
		if (cx_ndjson_write(t) != 0)
			break;
	json_decref(a);
}

static void
update(struct run *r)
{
	struct ts_err e = { 0 };
	const struct opts *o = r->o;
	json_t *t;

	if (r->c.dry_run) {
		cx_notice(NULL, "dry run: ticket %s not changed", o->id);
		return;
	}
	if (r->c.be->update(&r->c, o->id, o->comment, !o->private, 1,
	    o->author ? o->author : "agent", o->status, -1, 0, &e) != 0 ||
	    r->c.be->get(&r->c, o->id, &t, &e) != 0) {
		cx_err(NULL, "update %s: %s", o->id, e.msg);
		ts_err_clear(&e);
		cx_status_fail();
		return;
	}
	ts_link_status(r->c.st, r->c.name, o->id,
	    json_string_value(json_object_get(t, "status")));
	cx_ndjson_write(with_customer(r, t));
	json_decref(t);
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct run run = { .o = &o };
	struct cx_config *cfg;
	struct cx_state *st;
	char *err = NULL;
	const char *cli_region;

	cx_init(argv[0]);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	cfg = cx_config_load(o.common.config, &err);
	if (cfg == NULL)
		cx_die(NULL, "%s", err);
	cli_region = o.region;
	if (o.region == NULL) {
		const struct cx_section *def = cx_config_get(cfg, "defaults",
		    NULL);

		if (def && cx_section_check(def, cx_config_defaults_keys,
		    &err) != 0)
			cx_die(NULL, "%s", err);
		o.region = def ? cx_section_get(def, "region") : NULL;
	}
	st = cx_state_open(o.common.state, &err);
	if (st == NULL)
		cx_die(NULL, "%s", err);
	cx_http_global_init();
	ctx_setup(&run.c, cfg, &o, st);
	/* A [ticket] section's region is its phone numbers': it overrides
	 * [defaults], the command line overrides both. */
	if (cli_region == NULL && run.c.sec &&
	    cx_section_get(run.c.sec, "region")) {
		o.region = cx_section_get(run.c.sec, "region");
		if (cx_phone_cc(o.region) == 0)
			cx_die(NULL, "%s", cx_section_err(run.c.sec, "region",
			    "'%s' is not a known country code (ISO 3166, e.g. "
			    "CN)", o.region));
	}
	if (run.c.be == &ts_local && o.cmd == C_PUSH && !o.common.quiet &&
	    run.c.sec == NULL)
		cx_notice(NULL, "no [ticket] section: tickets go to the local "
		    "store (%s)", cx_state_path(st));
	switch (o.cmd) {
	case C_PULL:
		pull(&run);
		break;
	case C_PUSH:
		filter(&run, push_one);
		break;
	case C_LOOKUP:
		filter(&run, lookup_one);
		break;
	case C_SHOW:
		show(&run);
		break;
	case C_LIST:
		list(&run);
		break;
	case C_UPDATE:
		update(&run);
		break;
	case C_NONE:
		break;
	}
	ctx_free(&run.c);
	cx_state_close(st);
	cx_config_free(cfg);
	return cx_finish();
}
