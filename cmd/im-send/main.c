/* im-send - send one instant message for each message-request record
 *
 * SPDX-License-Identifier: MIT
 * Reads NDJSON message requests on stdin and writes each record back on
 * stdout with an "im" result object, in input order, on the loop and the
 * engine sms-send uses (sendq.h, dispatch.h).  A text longer than the
 * platform takes is split into numbered parts (split.h), sent one after
 * the other and journalled each on its own ("ID#2"), so a re-run sends
 * only the parts that did not go.  See im-send(1) and cxkit(7).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "im-send.h"

static const struct im_provider *const providers[] = {
	&im_wecom_robot, &im_wecom_app, &im_dingtalk, &im_feishu, &im_slack,
	&im_teams, &im_telegram, &im_matrix, &im_xmpp, &im_webhook, NULL
};

/* Keys every IM [provider NAME] section may hold. */
static const char *const common_keys[] = {
	"type", "base_url", "from", "to", "rate", "timeout", "proxy",
	"audience", NULL
};

/* Keys of a [provider NAME] with type = im-outbox. */
static const char *const outbox_keys[] = { "path", NULL };

struct opts {
	struct cx_common common;
	struct cx_send_opts send;	/* --via, --template, --rate, ... */
	const char *overflow;
};

enum {
	OPT_OVERFLOW = CX_OPT_BASE + 0x40,
};

static const char doc[] =
    "Send one instant message for each message request read on stdin "
    "(WeCom, DingTalk, Feishu, Slack, Teams, Telegram, Matrix, XMPP or "
    "any webhook); write each record on stdout with an \"im\" result.\v"
    "With no target configured, messages go to the outbox in the state "
    "directory.  See im-send(1) and cxkit(7).";

static const struct argp_option options[] = {
	{ "overflow", OPT_OVERFLOW, "split|fail", 0,
	  "A text longer than the platform takes: split it into numbered "
	  "parts (default), or fail with too_long", 0 },
	{ 0 }
};

static error_t
parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->send;
		state->child_inputs[1] = &o->common;
		break;
	case OPT_OVERFLOW:
		if (strcmp(arg, "split") != 0 && strcmp(arg, "fail") != 0)
			argp_error(state, "--overflow: '%s' is not split or "
			    "fail", arg);
		o->overflow = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s': records are read "
		    "from stdin", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL, doc, cx_send_children, NULL, NULL
};

struct run {
	struct opts *o;
	struct cx_config *cfg;
	struct cx_state *st;
	struct cx_dispatch *d;
	struct cx_sendq *q;
	char *tmpl_dir;
	struct im_target *tgt;
	int ntgt;
	struct im_target outbox;	/* the built-in outbox */
};

/* im-send's part of a record (the loop's item holds rec, id, res). */
struct item {
	struct cx_sendq_item *q;
	struct run *run;
	struct im_target *tgt;
	char *text;
	char *lang;
	char **parts;
	size_t nparts, cur;	/* cur: index of the part being sent */
	char key[CX_ID_MAX + 16];	/* journal key of the current part */
	struct im_msg msg;
	struct cx_job job;
	json_t *ids;		/* provider ids of the parts sent */
	int attempts;
};

/* --- configuration ----------------------------------------------------- */

static const struct im_provider *
find_ops(const char *type)
{
	for (int i = 0; providers[i]; i++)
		if (strcmp(providers[i]->type, type) == 0)
			return providers[i];
	return NULL;
}

static void
setup_targets(struct run *run)
{
	const struct cx_section *s = NULL;
	struct opts *o = run->o;

	while ((s = cx_send_next(run->cfg, "im", s)) != NULL) {
		const char *aud = cx_section_get(s, "audience");
		const struct im_provider *ops;
		struct cx_send_conf c;
		struct im_target *t;
		char *err = NULL;

		ops = find_ops(cx_section_get(s, "type"));
		cx_send_conf(s, common_keys, ops ? ops->keys : outbox_keys,
		    &o->send, &c);
		run->tgt = cx_xrealloc(run->tgt,
		    (size_t)(run->ntgt + 1) * sizeof *run->tgt);
		t = &run->tgt[run->ntgt++];
		memset(t, 0, sizeof *t);
		t->ops = ops;
		t->name = c.name;
		t->sec = s;
		t->cfg = run->cfg;
		t->st = run->st;
		t->to = c.to;
		t->proxy = c.proxy;
		t->rate = c.rate >= 0 ? c.rate : ops ? ops->rate : 0;
		t->timeout_ms = c.timeout_ms;
		t->base_url = c.base_url;
		t->customers = ops ? ops->customers : 0;
		if (aud && strcmp(aud, "customers") == 0)
			t->customers = 1;
		else if (aud && strcmp(aud, "staff") == 0)
			t->customers = 0;
		else if (aud)
			cx_die(NULL, "%s", cx_section_err(s, "audience",
			    "'%s' is not customers or staff", aud));
		if (ops == NULL)
			continue;	/* type = im-outbox */
		if (t->base_url == NULL)
			t->base_url = ops->default_url;
		if (ops->init && ops->init(t, &err) != 0)
			cx_die(NULL, "%s", err);
	}
	for (int i = 0; i < run->ntgt; i++)
		run->tgt[i].pacer = cx_pacer_new(run->tgt[i].rate);
	run->outbox.name = "outbox";
	run->outbox.st = run->st;
	cx_send_check_via(run->cfg, "im", o->send.via);
}

static struct im_target *
pick_target(struct run *run, const char *via)
{
	if (via == NULL)
		via = run->o->send.via;
	if (via == NULL) {
		if (run->ntgt == 1)
			return &run->tgt[0];
		if (run->ntgt == 0)
			return &run->outbox;
		return NULL;
	}
	if (strcmp(via, "outbox") == 0)
		return &run->outbox;
	for (int i = 0; i < run->ntgt; i++)
		if (strcmp(run->tgt[i].name, via) == 0)
			return &run->tgt[i];
	return NULL;
}

/* --- sending ----------------------------------------------------------- */

static void send_part(struct item *it);

static int
job_build(struct cx_job *j, struct cx_http_req *req, struct cx_result *res)
{
	struct item *it = j->udata;

	return it->tgt->ops->build(it->tgt, &it->msg, req, res);
}

static void
job_parse(struct cx_job *j, const struct cx_http_resp *resp,
    struct cx_result *res)
{
	struct item *it = j->udata;

	it->tgt->ops->parse(it->tgt, &it->msg, resp, res);
}

/* Puts the fields known so far into the result, in the order cxkit(7)
 * lists them: status, to, provider, parts, provider_id, attempts, error. */
static void
result_head(struct item *it)
{
	json_t *r = it->q->res;

	json_object_set_new(r, "status", json_null());
	if (it->msg.to)
		json_object_set_new(r, "to", json_string(it->msg.to));
	if (it->tgt)
		json_object_set_new(r, "provider", json_string(it->tgt->name));
	if (it->nparts)
		json_object_set_new(r, "parts", json_integer(
		    (json_int_t)it->nparts));
}

static void
result_ids(struct item *it)
{
	size_t n = json_array_size(it->ids);

	if (n == 1)
		json_object_set(it->q->res, "provider_id",
		    json_array_get(it->ids, 0));
	else if (n > 1)
		json_object_set(it->q->res, "provider_ids", it->ids);
	if (it->tgt->ops)
		json_object_set_new(it->q->res, "attempts",
		    json_integer(it->attempts));
}

static void
job_done(struct cx_job *j)
{
	struct item *it = j->udata;
	struct cx_result *r = &j->result;
	const char *status = r->outcome == CX_OUT_OK ? "sent" :
	    r->outcome == CX_OUT_UNKNOWN ? "unknown" : "failed";

	it->attempts += j->attempts;
	cx_sendq_journal_end(it->q, it->key, status, r->provider_id);
	if (r->provider_id)
		json_array_append_new(it->ids, json_string(r->provider_id));
	if (r->extra)
		json_object_update(it->q->res, r->extra);
	if (r->outcome == CX_OUT_OK && it->cur + 1 < it->nparts) {
		it->cur++;
		cx_result_clear(&it->job.result);
		send_part(it);
		return;
	}
	result_ids(it);
	if (r->outcome == CX_OUT_OK) {
		cx_sendq_finish(it->q, "sent", NULL, 0, "%s", "");
	} else if (it->cur > 0) {
		cx_sendq_finish(it->q, status, r->code ? r->code :
		    CX_E_PROVIDER_ERROR, r->retryable, "part %zu of %zu: %s",
		    it->cur + 1, it->nparts, r->message ? r->message :
		    "the platform did not accept it");
	} else {
		cx_sendq_finish(it->q, status, r->code ? r->code :
		    CX_E_PROVIDER_ERROR, r->retryable, "%s", r->message ?
		    r->message : "the platform did not accept it");
	}
}

/* The journal key of part k (0-based): the id alone for a one-part
 * message, "ID#k+1" otherwise. */
static void
part_key(struct item *it, size_t k)
{
	if (it->nparts == 1)
		snprintf(it->key, sizeof it->key, "%s", it->q->id);
	else
		snprintf(it->key, sizeof it->key, "%s#%zu", it->q->id, k + 1);
}

static int
outbox_write(struct item *it)
{
	const char *path = it->tgt->sec ? cx_section_get(it->tgt->sec,
	    "path") : NULL;
	char ts[40];
	json_t *line;
	int r;

	line = json_pack("{s:s, s:s, s:s*, s:s, s:b, s:i, s:i}",
	    "ts", cx_time_format(cx_now(), ts), "id", it->q->id,
	    "to", it->msg.to, "text", it->msg.text, "markdown",
	    it->msg.markdown, "part", it->msg.part, "parts", it->msg.nparts);
	r = cx_sendq_outbox(it->run->q, path, it->run->ntgt == 0, line);
	json_decref(line);
	return r;
}

/* Sends part it->cur: skips parts an earlier run sent, reports parts an
 * earlier run left pending, else journals and sends it. */
static void
send_part(struct item *it)
{
	struct run *run = it->run;
	char *prev = NULL;
	int j;

	for (;;) {
		part_key(it, it->cur);
		j = cx_sendq_journal_begin(it->q, it->key, it->msg.to,
		    it->tgt->name, run->o->send.resend_unknown, &prev);
		if (j != CX_J_SENT)
			break;
		if (prev)
			json_array_append_new(it->ids, json_string(prev));
		free(prev);
		prev = NULL;
		if (++it->cur == it->nparts) {
			result_ids(it);
			cx_sendq_finish(it->q, "duplicate", CX_E_DUPLICATE, 0,
			    "id '%s' was sent by an earlier run", it->q->id);
			return;
		}
	}
	free(prev);
	if (j == CX_J_PENDING) {
		result_ids(it);
		cx_sendq_finish(it->q, "unknown", CX_E_UNKNOWN, 0,
		    "'%s' was left pending by an earlier run that stopped: it "
		    "may have been sent; not sent again (--resend-unknown "
		    "overrides)", it->key);
		return;
	}
	if (j < 0) {
		cx_sendq_finish(it->q, "failed", CX_E_STATE, 1,
		    "cannot write the send journal");
		return;
	}
	it->msg.text = it->parts[it->cur];
	it->msg.part = (int)it->cur + 1;
	it->msg.txn = it->key;
	if (it->tgt->ops == NULL) {
		if (outbox_write(it) != 0) {
			cx_sendq_journal_end(it->q, it->key, "failed", NULL);
			cx_sendq_finish(it->q, "failed", CX_E_STATE, 1,
			    "cannot write the outbox: %s", strerror(errno));
			return;
		}
		cx_sendq_journal_end(it->q, it->key, "outbox", NULL);
		if (++it->cur < it->nparts)
			send_part(it);
		else
			cx_sendq_finish(it->q, "outbox", NULL, 0, "%s", "");
		return;
	}
	memset(&it->job, 0, sizeof it->job);
	it->job.pacer = it->tgt->pacer;
	it->job.timeout_ms = it->tgt->timeout_ms;
	it->job.max_retries = (int)run->o->send.retries;
	it->job.idempotent = it->tgt->ops->idempotent;
	it->job.proxy = it->tgt->proxy;
	it->job.build = job_build;
	it->job.parse = job_parse;
	it->job.done = job_done;
	it->job.udata = it;
	cx_dispatch_add(run->d, &it->job);
}

/* --- preparing one record ---------------------------------------------- */

struct escape_arg {
	const struct im_provider *ops;
	const char *mode;
};

static char *
escape_value(const char *s, size_t n, void *arg)
{
	const struct escape_arg *ea = arg;

	return ea->ops->escape(ea->mode, s, n);
}

/* Sets it->text from the template or "text", and msg.markdown. */
static int
prepare_text(struct item *it)
{
	static const char *const md_txt[] = { "md", "txt", NULL };
	static const char *const txt[] = { "txt", NULL };
	struct run *run = it->run;
	const json_t *rec = it->q->rec;
	const char *tmpl = cx_rec_str(rec, "template");
	const char *text = cx_rec_str(rec, "text");
	const char *lang = cx_rec_str(rec, "lang");
	const char *format = cx_rec_str(rec, "format");
	const char *ext = "txt", *code, *mode;
	json_t *esc = NULL;
	int can_md = it->tgt->ops == NULL || it->tgt->ops->markdown;
	char *msg;

	if ((json_object_get(rec, "template") && tmpl == NULL) ||
	    (json_object_get(rec, "text") && text == NULL)) {
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'%s' is not a string", tmpl == NULL &&
		    json_object_get(rec, "template") ? "template" : "text");
		return -1;
	}
	if (format && strcmp(format, "markdown") != 0 &&
	    strcmp(format, "text") != 0) {
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'format' is not text or markdown");
		return -1;
	}
	if (tmpl == NULL)
		tmpl = run->o->send.tmpl;
	if (tmpl == NULL) {
		if (text == NULL || *text == '\0') {
			cx_sendq_finish(it->q, "failed", CX_E_MISSING_FIELD, 0,
			    "missing field 'text' (or 'template')");
			return -1;
		}
		it->text = cx_xstrdup(text);
		it->msg.markdown = format && strcmp(format, "markdown") == 0 &&
		    can_md;
		return 0;
	}
	if (lang == NULL)
		lang = cx_rec_str(rec, "customer.lang");
	if (lang == NULL && it->msg.to) {
		/* The customer's own choice, recorded by keyword-parse. */
		it->lang = cx_kv_get(run->st, "lang", it->msg.to);
		lang = it->lang;
	}
	mode = cx_rec_str(rec, "parse_mode");
	if (mode && it->tgt->ops && it->tgt->ops->escape) {
		/* The record's values go into a text with markup: escape
		 * them for it (the template's own markup stays). */
		struct escape_arg ea = { it->tgt->ops, mode };

		esc = json_deep_copy(rec);
		cx_tmpl_escape_all(esc, escape_value, &ea);
	}
	it->text = cx_tmpl_text(run->tmpl_dir, tmpl, lang, can_md ? md_txt :
	    txt, 0, esc ? esc : rec, &ext, &code, &msg);
	json_decref(esc);
	if (it->text == NULL) {
		cx_sendq_finish(it->q, "failed", code, 0, "%s", msg);
		free(msg);
		return -1;
	}
	it->msg.markdown = strcmp(ext, "md") == 0;
	return 0;
}

static void
prepare(struct item *it)
{
	struct run *run = it->run;
	const json_t *rec = it->q->rec;
	const char *via = cx_rec_str(rec, "via");
	json_t *tov = json_object_get(rec, "to"), *nb, *men;
	const char *what;
	size_t limit;
	cx_ms t;

	it->ids = json_array();
	it->tgt = pick_target(run, via);
	it->msg.to = json_string_value(tov);
	if (it->msg.to == NULL && it->tgt)
		it->msg.to = it->tgt->to;
	result_head(it);
	if ((json_object_get(rec, "via") && via == NULL) ||
	    (tov && !json_is_string(tov))) {
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'%s' is not a string", via == NULL &&
		    json_object_get(rec, "via") ? "via" : "to");
		return;
	}
	if (it->tgt == NULL) {
		if (via)
			cx_sendq_finish(it->q, "failed", CX_E_UNKNOWN_PROVIDER,
			    0, "'via': no IM [provider %s]", via);
		else
			cx_sendq_finish(it->q, "failed", CX_E_UNKNOWN_PROVIDER,
			    0, "several IM targets are configured: name one "
			    "with --via or 'via'");
		return;
	}
	if (it->tgt->needs_to && it->msg.to == NULL) {
		cx_sendq_finish(it->q, "failed", CX_E_MISSING_FIELD, 0,
		    "missing field 'to': target %s needs a user, chat or "
		    "room", it->tgt->name);
		return;
	}
	men = json_object_get(rec, "mention");
	if (men && !json_is_array(men)) {
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'mention' is not an array of strings");
		return;
	}
	if (prepare_text(it) != 0)
		return;
	it->msg.rec = rec;
	it->msg.id = it->q->id;
	it->msg.title = cx_rec_str(rec, "title");
	it->msg.url = cx_rec_str(rec, "url");
	it->msg.image = cx_rec_str(rec, "image");
	it->msg.file = cx_rec_str(rec, "file");
	it->msg.card = json_is_true(json_object_get(rec, "card"));
	it->msg.button = cx_rec_str(rec, "button");
	it->msg.mention = men;
	it->msg.parse_mode = cx_rec_str(rec, "parse_mode");
	it->msg.thread = cx_rec_str(rec, "thread");
	if (it->tgt->customers && !run->o->send.allow_sensitive &&
	    cx_text_sensitive(it->text, &what)) {
		cx_sendq_finish(it->q, "failed", CX_E_SENSITIVE, 0,
		    "the text contains a %s and target %s reaches customers "
		    "(--allow-sensitive overrides)", what, it->tgt->name);
		return;
	}
	limit = it->tgt->ops ? it->tgt->ops->limit : 0;
	if (limit && cx_split_size(it->text, it->tgt->ops->limit_chars) >
	    limit && run->o->overflow && strcmp(run->o->overflow, "fail") ==
	    0) {
		cx_sendq_finish(it->q, "failed", CX_E_TOO_LONG, 0,
		    "%zu %s, more than %s takes (%zu); --overflow=fail",
		    cx_split_size(it->text, it->tgt->ops->limit_chars),
		    it->tgt->ops->limit_chars ? "characters" : "bytes",
		    it->tgt->ops->type, limit);
		return;
	}
	if (limit) {
		it->nparts = cx_split(it->text, limit,
		    it->tgt->ops->limit_chars, it->msg.markdown, &it->parts);
	} else {
		it->parts = cx_xmalloc(sizeof *it->parts);
		it->parts[0] = cx_xstrdup(it->text);
		it->nparts = 1;
	}
	it->msg.nparts = (int)it->nparts;
	json_object_set_new(it->q->res, "parts",
	    json_integer((json_int_t)it->nparts));
	nb = json_object_get(rec, "not_before");
	if (nb) {
		if (!json_is_string(nb) ||
		    cx_time_parse(json_string_value(nb), &t) != 0) {
			cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
			    "'not_before' is not an RFC 3339 time");
			return;
		}
		if (t > cx_now()) {
			cx_sendq_finish(it->q, "deferred", NULL, 0, "%s", "");
			return;
		}
	}
	if (it->msg.to) {
		switch (cx_optout_check(run->st, it->msg.to, "im")) {
		case 1:
			cx_sendq_finish(it->q, "suppressed", CX_E_OPTED_OUT, 0,
			    "the recipient has opted out");
			return;
		case -1:
			cx_sendq_finish(it->q, "failed", CX_E_STATE, 1,
			    "cannot read opt-outs from the state store");
			return;
		}
	}
	if (cx_sendq_duplicate(it->q)) {
		cx_sendq_finish(it->q, "duplicate", CX_E_DUPLICATE, 0,
		    "id '%s' appears twice in this run", it->q->id);
		return;
	}
	if (run->o->common.dry_run) {
		cx_sendq_finish(it->q, "dry_run", NULL, 0, "%s", "");
		return;
	}
	send_part(it);
}

/* --- the loop's callbacks ---------------------------------------------- */

static void
im_prepare(struct cx_sendq_item *qi, void *arg)
{
	struct item *it = cx_xcalloc(1, sizeof *it);

	it->q = qi;
	it->run = arg;
	qi->udata = it;
	prepare(it);
}

static void
im_release(struct cx_sendq_item *qi, void *arg)
{
	struct item *it = qi->udata;

	(void)arg;
	for (size_t i = 0; i < it->nparts; i++)
		free(it->parts[i]);
	free(it->parts);
	free(it->text);
	free(it->lang);
	json_decref(it->ids);
	cx_result_clear(&it->job.result);
	free(it);
}

static const struct cx_sendq_ops im_ops = {
	.chan = "im", .prepare = im_prepare, .release = im_release,
};

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct run run = { .o = &o };
	struct cx_ndjson_in in;
	unsigned long sent, failed, other;
	char *err = NULL;

	cx_init(argv[0]);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	run.cfg = cx_config_load(o.common.config, &err);
	if (run.cfg == NULL)
		cx_die(NULL, "%s", err);
	run.st = cx_state_open(o.common.state, &err);
	if (run.st == NULL)
		cx_die(NULL, "%s", err);
	setup_targets(&run);
	run.tmpl_dir = cx_config_template_dir(run.cfg);
	run.d = cx_dispatch_new((int)o.send.concurrency);
	run.q = cx_sendq_new(&im_ops, &run, run.st, run.d,
	    (int)o.send.concurrency);
	cx_ndjson_open(&in, &o.common);
	cx_sendq_run(run.q, &in);
	cx_ndjson_close(&in);
	cx_sendq_counts(run.q, &sent, &failed, &other);
	cx_info(NULL, "%lu sent, %lu failed or unknown, %lu other "
	    "(suppressed, deferred, duplicate, dry run)", sent, failed, other);
	/* The engine first: it drops unfinished jobs pointing into the
	 * loop's records. */
	cx_dispatch_free(run.d);
	for (int i = 0; i < run.ntgt; i++) {
		if (run.tgt[i].ops && run.tgt[i].ops->fini)
			run.tgt[i].ops->fini(&run.tgt[i]);
		cx_pacer_free(run.tgt[i].pacer);
	}
	free(run.tgt);
	cx_sendq_free(run.q);
	free(run.tmpl_dir);
	cx_state_close(run.st);
	cx_config_free(run.cfg);
	return cx_finish();
}
