/* sms-send - send one SMS for each message-request record
 *
 * SPDX-License-Identifier: MIT
 * Reads NDJSON message requests on stdin and writes each record back on
 * stdout with an "sms" result object, in input order.  See sms-send(1)
 * and cxkit(7).
 *
 * Nothing is sent twice: an id is journalled as pending (committed) before
 * its request leaves, and as sent/failed/unknown after.  A request whose
 * outcome cannot be known (a timeout after it was sent) ends "unknown" and
 * is never retried blindly, since no SMS provider de-duplicates.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cx.h"
#include "sms-send.h"

static const struct sms_provider *const providers[] = {
	&sms_twilio, &sms_vonage, &sms_aliyun, &sms_tencent, &sms_kannel,
	&sms_http, NULL
};

/* Keys every [provider NAME] section may hold. */
static const char *const common_keys[] = {
	"type", "base_url", "from", "rate", "timeout", "proxy", NULL
};

struct opts {
	struct cx_common common;
	struct cx_send_opts send;	/* --via, --template, --rate, ... */
	const char *region, *from, *quiet_hours;
	long max_segments;
};

enum {
	OPT_REGION = CX_OPT_BASE + 0x40,
	OPT_FROM,
	OPT_MAX_SEGMENTS,
	OPT_QUIET_HOURS,
};

static const char doc[] =
    "Send one SMS for each message request read on stdin; write each "
    "record on stdout with an \"sms\" result.\v"
    "With no provider configured, messages go to the outbox in the state "
    "directory.  See sms-send(1) and cxkit(7).";

static const struct argp_option options[] = {
	{ "from", OPT_FROM, "SENDER", 0,
	  "Sender number or name when the record has no 'from'", 0 },
	{ "max-segments", OPT_MAX_SEGMENTS, "N", 0,
	  "Fail messages longer than N segments with too_long (default 10)",
	  0 },
	{ "quiet-hours", OPT_QUIET_HOURS, "HH:MM-HH:MM", 0,
	  "Defer messages that fall in this window of the recipient's "
	  "local time", 0 },
	{ "region", OPT_REGION, "CC", 0,
	  "Country (ISO 3166, e.g. CN) of numbers written without a "
	  "country code", 0 },
	{ 0 }
};

static error_t
parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;
	struct cx_window w;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->send;
		state->child_inputs[1] = &o->common;
		break;
	case OPT_REGION:
		if (cx_phone_cc(arg) == 0)
			argp_error(state, "--region: '%s' is not a known "
			    "country code (ISO 3166, e.g. CN, US, GB)", arg);
		o->region = arg;
		break;
	case OPT_FROM:
		o->from = arg;
		break;
	case OPT_MAX_SEGMENTS:
		o->max_segments = cx_opt_long(state, "--max-segments", arg, 1,
		    255);
		break;
	case OPT_QUIET_HOURS:
		if (cx_window_parse(arg, &w) != 0)
			argp_error(state, "--quiet-hours: '%s' is not a window "
			    "like 21:00-08:00", arg);
		o->quiet_hours = arg;
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

/* Everything the run shares (no file-scope state beyond this one). */
struct run {
	struct opts *o;
	struct cx_config *cfg;
	struct cx_state *st;
	struct cx_dispatch *d;
	char *tmpl_dir;
	const char *region, *tz, *def_via;
	struct cx_window quiet;
	int have_quiet;
	struct sms_prov *prov;
	int nprov;
	struct sms_prov outbox;	/* the built-in outbox provider */
	struct cx_sendq *q;
};

/* sms-send's part of a record (the loop's item holds rec, id, res). */
struct item {
	struct cx_sendq_item *q;
	struct run *run;
	char to[CX_PHONE_MAX];
	char *text;
	char *lang;		/* language recorded for the recipient */
	json_t *params;
	struct sms_prov *prov;
	struct sms_msg msg;
	struct cx_job job;
};

/* --- the result object ------------------------------------------------ */

/* Puts the fields known before sending into the result, in the order
 * cxkit(7) lists them: status, to, provider, provider_id, segments,
 * encoding, attempts, error. */
static void
result_head(struct item *it)
{
	json_t *r = it->q->res;

	json_object_set_new(r, "status", json_null());
	if (it->to[0])
		json_object_set_new(r, "to", json_string(it->to));
	if (it->prov)
		json_object_set_new(r, "provider", json_string(it->prov->name));
}

static void
result_segments(struct item *it)
{
	if (it->msg.text == NULL)
		return;
	json_object_set_new(it->q->res, "segments",
	    json_integer(it->msg.seg.segments));
	json_object_set_new(it->q->res, "encoding",
	    json_string(cx_encoding_name(it->msg.seg.encoding)));
}

/* --- configuration ---------------------------------------------------- */

static const struct sms_provider *
find_ops(const char *type)
{
	for (int i = 0; providers[i]; i++)
		if (strcmp(providers[i]->type, type) == 0)
			return providers[i];
	return NULL;
}

static void __attribute__((noreturn))
config_die(char *err)
{
	cx_die(NULL, "%s", err);
}

/* Keys of a [provider NAME] with type = outbox. */
static const char *const outbox_keys[] = { "path", NULL };

static void
setup_providers(struct run *run)
{
	const struct cx_section *s = NULL;
	struct opts *o = run->o;

	while ((s = cx_send_next(run->cfg, "sms", s)) != NULL) {
		const struct sms_provider *ops;
		struct cx_send_conf c;
		struct sms_prov *p;
		char *err = NULL;

		ops = find_ops(cx_section_get(s, "type"));
		cx_send_conf(s, common_keys, ops ? ops->keys : outbox_keys,
		    &o->send, &c);
		run->prov = cx_xrealloc(run->prov,
		    (size_t)(run->nprov + 1) * sizeof *run->prov);
		p = &run->prov[run->nprov++];
		memset(p, 0, sizeof *p);
		p->ops = ops;
		p->name = c.name;
		p->sec = s;
		p->cfg = run->cfg;
		p->from = c.from;
		p->proxy = c.proxy;
		p->rate = c.rate > 0 ? c.rate : 0;
		p->timeout_ms = c.timeout_ms;
		p->base_url = c.base_url;
		if (ops == NULL)
			continue;	/* type = outbox */
		if (p->base_url == NULL)
			p->base_url = ops->default_url;
		if (p->base_url == NULL)
			config_die(cx_section_err(s, "base_url", "needed"));
		if (ops->init && ops->init(p, &err) != 0)
			config_die(err);
	}
	for (int i = 0; i < run->nprov; i++)
		run->prov[i].pacer = cx_pacer_new(run->prov[i].rate);
	run->outbox.name = "outbox";
	cx_send_check_via(run->cfg, "sms", o->send.via);
}

static struct sms_prov *
pick_provider(struct run *run, const char *via)
{
	if (via == NULL)
		via = run->o->send.via ? run->o->send.via : run->def_via;
	if (via == NULL) {
		if (run->nprov == 1)
			return &run->prov[0];
		if (run->nprov == 0)
			return &run->outbox;
		return NULL;
	}
	if (strcmp(via, "outbox") == 0)
		return &run->outbox;
	for (int i = 0; i < run->nprov; i++)
		if (strcmp(run->prov[i].name, via) == 0)
			return &run->prov[i];
	return NULL;
}

/* --- the outbox ------------------------------------------------------- */

static int
outbox_write(struct item *it)
{
	struct run *run = it->run;
	const char *path = it->prov->sec ? cx_section_get(it->prov->sec,
	    "path") : NULL;
	char ts[40];
	json_t *line;
	int r;

	line = json_pack("{s:s, s:s, s:s, s:s*, s:s, s:i, s:s}",
	    "ts", cx_time_format(cx_now(), ts), "id", it->q->id, "to", it->to,
	    "from", it->msg.from, "text", it->msg.text,
	    "segments", it->msg.seg.segments,
	    "encoding", cx_encoding_name(it->msg.seg.encoding));
	r = cx_sendq_outbox(run->q, path, run->nprov == 0, line);
	json_decref(line);
	return r;
}

/* --- sending ---------------------------------------------------------- */

/* Notes the journal's final status: the loop commits it before the
 * record is written. */
static void
job_end(struct item *it, const char *status)
{
	cx_sendq_journal_end(it->q, it->q->id, status,
	    it->job.result.provider_id);
}

static int
job_build(struct cx_job *j, struct cx_http_req *req, struct cx_result *res)
{
	struct item *it = j->udata;

	return it->prov->ops->build(it->prov, &it->msg, req, res);
}

static void
job_parse(struct cx_job *j, const struct cx_http_resp *resp,
    struct cx_result *res)
{
	struct item *it = j->udata;

	it->prov->ops->parse(it->prov, &it->msg, resp, res);
}

static void
job_done(struct cx_job *j)
{
	struct item *it = j->udata;
	struct cx_result *r = &j->result;
	const char *status;

	switch (r->outcome) {
	case CX_OUT_OK:
		status = "sent";
		break;
	case CX_OUT_UNKNOWN:
		status = "unknown";
		break;
	default:
		status = "failed";
		break;
	}
	job_end(it, status);
	if (r->provider_id)
		json_object_set_new(it->q->res, "provider_id",
		    json_string(r->provider_id));
	result_segments(it);
	json_object_set_new(it->q->res, "attempts", json_integer(j->attempts));
	if (r->extra)
		json_object_update(it->q->res, r->extra);
	if (r->outcome == CX_OUT_OK)
		cx_sendq_finish(it->q, status, NULL, 0, "%s", "");
	else
		cx_sendq_finish(it->q, status, r->code ? r->code : CX_E_PROVIDER_ERROR,
		    r->retryable, "%s", r->message ? r->message :
		    "the provider did not accept the message");
}

/* --- preparing one record --------------------------------------------- */

/* Renders the text (and, for template-only providers, the parameters).
 * Returns 0, or -1 after finish(). */
static int
prepare_text(struct item *it)
{
	struct run *run = it->run;
	const json_t *rec = it->q->rec;
	const char *tmpl = cx_rec_str(rec, "template");
	const char *text = cx_rec_str(rec, "text");
	const char *lang = cx_rec_str(rec, "lang");
	int need_tmpl = it->prov->ops && it->prov->ops->need_template;
	static const char *const txt[] = { "txt", NULL };
	const char *ecode;
	char *msg;

	if (json_object_get(rec, "template") && tmpl == NULL) {
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'template' is not a string");
		return -1;
	}
	if (json_object_get(rec, "text") && text == NULL) {
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'text' is not a string");
		return -1;
	}
	if (tmpl == NULL)
		tmpl = run->o->send.tmpl;
	if (lang == NULL)
		lang = cx_rec_str(rec, "customer.lang");
	if (lang == NULL && tmpl != NULL) {
		/* The customer's own choice, recorded by keyword-parse. */
		it->lang = cx_kv_get(run->st, "lang", it->to);
		lang = it->lang;
	}
	if (tmpl == NULL) {
		if (text == NULL || *text == '\0') {
			cx_sendq_finish(it->q, "failed", CX_E_MISSING_FIELD, 0,
			    "missing field 'text' (or 'template')");
			return -1;
		}
		if (need_tmpl) {
			cx_sendq_finish(it->q, "failed", CX_E_TEMPLATE_REQUIRED, 0,
			    "%s sends only approved templates, not free "
			    "text: give 'template' and map it in "
			    "[template NAME] of the config",
			    it->prov->ops->type);
			return -1;
		}
		it->text = cx_xstrdup(text);
		return 0;
	}
	it->msg.tmpl = tmpl;
	if (need_tmpl) {
		const struct cx_section *ts = cx_config_get(run->cfg,
		    "template", tmpl);
		const char *key = strcmp(it->prov->ops->type, "aliyun") == 0 ?
		    "aliyun_code" : "tencent_id";
		const char *code = ts ? cx_section_get(ts, key) : NULL;
		const char *plist = ts ? cx_section_get(ts, "params") : NULL;

		if (code == NULL) {
			cx_sendq_finish(it->q, "failed", CX_E_TEMPLATE_MISSING, 0,
			    "template '%s' has no %s: add [template %s] "
			    "%s = ... to the config", tmpl, key, tmpl, key);
			return -1;
		}
		it->msg.provider_tmpl = code;
		it->params = json_object();
		if (plist) {
			char *copy = cx_xstrdup(plist), *save = NULL;

			for (char *n = strtok_r(copy, ", ", &save); n;
			    n = strtok_r(NULL, ", ", &save)) {
				json_t *v = cx_tmpl_value(rec, n);
				char num[64];

				if (json_is_string(v)) {
					json_object_set(it->params, n, v);
				} else if (json_is_integer(v)) {
					snprintf(num, sizeof num, "%"
					    JSON_INTEGER_FORMAT,
					    json_integer_value(v));
					json_object_set_new(it->params, n,
					    json_string(num));
				} else {
					cx_sendq_finish(it->q, "failed", CX_E_TEMPLATE_VAR,
					    0, "template '%s': parameter '%s' "
					    "is missing", tmpl, n);
					free(copy);
					return -1;
				}
			}
			free(copy);
		}
		it->msg.params = it->params;
	}
	it->text = cx_tmpl_text(run->tmpl_dir, tmpl, lang, txt, need_tmpl,
	    rec, NULL, &ecode, &msg);
	if (it->text == NULL && ecode != NULL) {
		cx_sendq_finish(it->q, "failed", ecode, 0, "%s", msg);
		free(msg);
		return -1;
	}
	return 0;	/* without a text: the provider holds it */
}

/* Defers the record when it must not go out yet; returns 1 if deferred. */
static int
maybe_defer(struct item *it)
{
	struct run *run = it->run;
	json_t *nb = json_object_get(it->q->rec, "not_before");
	cx_ms now = cx_now(), t, until;
	const char *tz;
	char buf[40];

	if (nb) {
		if (!json_is_string(nb) ||
		    cx_time_parse(json_string_value(nb), &t) != 0) {
			cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
			    "'not_before' is not an RFC 3339 time");
			return 1;
		}
		if (t > now) {
			cx_sendq_finish(it->q, "deferred", NULL, 0, "%s", "");
			return 1;
		}
	}
	if (!run->have_quiet)
		return 0;
	tz = cx_rec_str(it->q->rec, "customer.tz");
	if (tz && !cx_tz_valid(tz)) {
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'customer.tz' is not a known time zone: %s", tz);
		return 1;
	}
	if (tz == NULL)
		tz = cx_phone_tz(it->to);
	if (tz == NULL)
		tz = run->tz;
	until = cx_window_until(&run->quiet, tz, now);
	if (until == 0)
		return 0;
	cx_rec_set(it->q->rec, "not_before",
	    json_string(cx_time_format_tz(until, tz, buf)));
	cx_sendq_finish(it->q, "deferred", CX_E_QUIET_HOURS, 1,
	    "quiet hours in %s until %s", tz ? tz : "UTC", buf);
	return 1;
}

static void
prepare(struct item *it)
{
	struct run *run = it->run;
	const json_t *rec = it->q->rec;
	const char *via = cx_rec_str(rec, "via");
	json_t *tov = json_object_get(rec, "to");
	const char *to, *why, *what;
	char *prev = NULL;
	int j;

	if (json_object_get(rec, "via") && via == NULL) {
		result_head(it);
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'via' is not a string");
		return;
	}
	it->prov = pick_provider(run, via);
	if (tov == NULL)
		tov = cx_rec_path(rec, "customer.phone");
	to = json_string_value(tov);
	if (tov && to == NULL) {
		result_head(it);
		cx_sendq_finish(it->q, "failed", CX_E_BAD_FIELD, 0,
		    "'to' is not a string");
		return;
	}
	if (to && cx_phone_e164(to, run->region, it->to, &why) != 0) {
		it->to[0] = '\0';
		result_head(it);
		cx_sendq_finish(it->q, "failed", CX_E_INVALID_NUMBER, 0,
		    "'to' is not a valid phone number: %s", why);
		return;
	}
	result_head(it);
	if (to == NULL) {
		cx_sendq_finish(it->q, "failed", CX_E_MISSING_FIELD, 0,
		    "missing field 'to'");
		return;
	}
	if (it->prov == NULL) {
		if (via)
			cx_sendq_finish(it->q, "failed", CX_E_UNKNOWN_PROVIDER, 0,
			    "'via': no [provider %s] for SMS", via);
		else
			cx_sendq_finish(it->q, "failed", CX_E_UNKNOWN_PROVIDER, 0,
			    "several SMS providers are configured: name one "
			    "with --via, 'via' or [defaults] via");
		return;
	}
	if (prepare_text(it) != 0)
		return;
	it->msg.rec = rec;
	it->msg.id = it->q->id;
	it->msg.to = it->to;
	it->msg.text = it->text;
	it->msg.from = cx_rec_str(rec, "from");
	if (it->msg.from == NULL)
		it->msg.from = run->o->from ? run->o->from : it->prov->from;
	if (it->text) {
		cx_sms_segments(it->text, strlen(it->text), &it->msg.seg);
		if (!run->o->send.allow_sensitive &&
		    cx_text_sensitive(it->text, &what)) {
			result_segments(it);
			cx_sendq_finish(it->q, "failed", CX_E_SENSITIVE, 0,
			    "the text contains a %s: never sent by SMS "
			    "(--allow-sensitive overrides)", what);
			return;
		}
		if (it->msg.seg.segments > run->o->max_segments) {
			result_segments(it);
			cx_sendq_finish(it->q, "failed", CX_E_TOO_LONG, 0,
			    "%d segments, more than --max-segments %ld",
			    it->msg.seg.segments, run->o->max_segments);
			return;
		}
	}
	if (it->params && !run->o->send.allow_sensitive) {
		const char *k;
		json_t *v;

		json_object_foreach(it->params, k, v) {
			if (cx_text_sensitive(json_string_value(v), &what)) {
				cx_sendq_finish(it->q, "failed", CX_E_SENSITIVE, 0,
				    "template parameter '%s' contains a %s: "
				    "never sent by SMS (--allow-sensitive "
				    "overrides)", k, what);
				return;
			}
		}
	}
	result_segments(it);
	if (maybe_defer(it))
		return;
	switch (cx_optout_check(run->st, it->to, "sms")) {
	case 1:
		cx_sendq_finish(it->q, "suppressed", CX_E_OPTED_OUT, 0,
		    "the recipient has opted out");
		return;
	case -1:
		cx_sendq_finish(it->q, "failed", CX_E_STATE, 1,
		    "cannot read opt-outs from the state store");
		return;
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
	j = cx_sendq_journal_begin(it->q, it->q->id, it->to, it->prov->name,
	    run->o->send.resend_unknown, &prev);
	if (j == CX_J_SENT) {
		if (prev)
			json_object_set_new(it->q->res, "provider_id",
			    json_string(prev));
		free(prev);
		cx_sendq_finish(it->q, "duplicate", CX_E_DUPLICATE, 0,
		    "id '%s' was sent by an earlier run", it->q->id);
		return;
	}
	free(prev);
	if (j == CX_J_PENDING) {
		cx_sendq_finish(it->q, "unknown", CX_E_UNKNOWN, 0,
		    "id '%s' was left pending by an earlier run that stopped: "
		    "it may have been sent; not sent again (--resend-unknown "
		    "overrides)", it->q->id);
		return;
	}
	if (j < 0) {
		cx_sendq_finish(it->q, "failed", CX_E_STATE, 1,
		    "cannot write the send journal");
		return;
	}
	if (it->prov->ops == NULL) {
		if (outbox_write(it) != 0) {
			job_end(it, "failed");
			cx_sendq_finish(it->q, "failed", CX_E_STATE, 1,
			    "cannot write the outbox: %s", strerror(errno));
			return;
		}
		job_end(it, "outbox");
		cx_sendq_finish(it->q, "outbox", NULL, 0, "%s", "");
		return;
	}
	it->job.pacer = it->prov->pacer;
	it->job.timeout_ms = it->prov->timeout_ms;
	it->job.max_retries = (int)run->o->send.retries;
	it->job.proxy = it->prov->proxy;
	it->job.build = job_build;
	it->job.parse = job_parse;
	it->job.done = job_done;
	it->job.udata = it;
	cx_dispatch_add(run->d, &it->job);
}

/* --- the loop's callbacks ----------------------------------------------- */

static void
sms_prepare(struct cx_sendq_item *qi, void *arg)
{
	struct item *it = cx_xcalloc(1, sizeof *it);

	it->q = qi;
	it->run = arg;
	qi->udata = it;
	prepare(it);
}

static void
sms_release(struct cx_sendq_item *qi, void *arg)
{
	struct item *it = qi->udata;

	(void)arg;
	json_decref(it->params);
	free(it->text);
	free(it->lang);
	cx_result_clear(&it->job.result);
	free(it);
}

static const struct cx_sendq_ops sms_ops = {
	.chan = "sms", .prepare = sms_prepare, .release = sms_release,
};

static void
setup(struct run *run)
{
	struct opts *o = run->o;
	const struct cx_section *def;
	char *err = NULL;
	const char *qh;

	run->cfg = cx_config_load(o->common.config, &err);
	if (run->cfg == NULL)
		config_die(err);
	def = cx_config_get(run->cfg, "defaults", NULL);
	if (def && cx_section_check(def, cx_config_defaults_keys, &err) != 0)
		config_die(err);
	run->region = o->region;
	if (run->region == NULL && def)
		run->region = cx_section_get(def, "region");
	if (run->region && cx_phone_cc(run->region) == 0)
		cx_die(NULL, "%s:%d: region: '%s' is not a known country code",
		    run->cfg->path, cx_section_line(def, "region"),
		    run->region);
	run->tz = def ? cx_section_get(def, "tz") : NULL;
	if (run->tz && !cx_tz_valid(run->tz))
		cx_die(NULL, "%s:%d: tz: '%s' is not a known time zone",
		    run->cfg->path, cx_section_line(def, "tz"), run->tz);
	run->def_via = def ? cx_section_get(def, "via") : NULL;
	qh = o->quiet_hours;
	if (qh == NULL && def)
		qh = cx_section_get(def, "quiet_hours");
	if (qh) {
		if (cx_window_parse(qh, &run->quiet) != 0)
			cx_die(NULL, "%s:%d: quiet_hours: '%s' is not a window "
			    "like 21:00-08:00", run->cfg->path,
			    cx_section_line(def, "quiet_hours"), qh);
		run->have_quiet = 1;
	}
	setup_providers(run);
	run->tmpl_dir = cx_config_template_dir(run->cfg);
	run->st = cx_state_open(o->common.state, &err);
	if (run->st == NULL)
		cx_die(NULL, "%s", err);
	run->d = cx_dispatch_new((int)o->send.concurrency);
}

static void
teardown(struct run *run)
{
	/* The engine first: it drops unfinished jobs, which point into the
	 * loop's records. */
	cx_dispatch_free(run->d);
	for (int i = 0; i < run->nprov; i++) {
		if (run->prov[i].ops && run->prov[i].ops->fini)
			run->prov[i].ops->fini(&run->prov[i]);
		cx_pacer_free(run->prov[i].pacer);
	}
	free(run->prov);
	cx_sendq_free(run->q);
	free(run->tmpl_dir);
	cx_state_close(run->st);
	cx_config_free(run->cfg);
}

int
main(int argc, char *argv[])
{
	struct opts o = { .max_segments = 10 };
	struct run run = { .o = &o };
	struct cx_ndjson_in in;
	unsigned long sent, failed, other;

	cx_init(argv[0]);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	setup(&run);
	run.q = cx_sendq_new(&sms_ops, &run, run.st, run.d,
	    (int)o.send.concurrency);
	cx_ndjson_open(&in, &o.common);
	cx_sendq_run(run.q, &in);
	cx_ndjson_close(&in);
	cx_sendq_counts(run.q, &sent, &failed, &other);
	cx_info(NULL, "%lu sent, %lu failed or unknown, %lu other "
	    "(suppressed, deferred, duplicate, dry run)", sent, failed, other);
	teardown(&run);
	return cx_finish();
}
