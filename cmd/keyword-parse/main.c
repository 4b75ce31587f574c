/* keyword-parse - turn customers' replies into intents
 *
 * SPDX-License-Identifier: MIT
 * Reads inbound messages (NDJSON) and writes each with an "intent" object:
 * {name, rule, entities, confidence, route}.  The text is normalised for
 * matching (normalize.h) and never changed in the record.  Rules come from
 * the built-in packs and --rules files (keyword-parse(5)); the first rule
 * that matches wins, the opt-out pack always first.  With --record,
 * opt-outs, opt-ins and language choices go to the state store, where
 * sms-send reads them.  See keyword-parse(1) and cxkit(7).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"

struct opts {
	struct cx_common common;
	const char **rules;
	int nrules;
	const char *packs, *region;
	int record, dump_packs;
};

enum {
	OPT_PACKS = CX_OPT_BASE + 0x40,
	OPT_RECORD,
	OPT_REGION,
	OPT_DUMP_PACKS,
};

static const char doc[] =
    "Add an \"intent\" to each inbound message read on stdin: opt-out, "
    "opt-in, help, satisfaction, language, menu choice, order query, or "
    "other.\v"
    "Packs: optout, csat, language, menu, order (all by default).  See "
    "keyword-parse(1) for the intents and keyword-parse(5) for the rules "
    "format.";

static const struct argp_option options[] = {
	{ "dump-packs", OPT_DUMP_PACKS, NULL, 0,
	  "Print the built-in packs' rules and exit", 0 },
	{ "packs", OPT_PACKS, "LIST", 0,
	  "Use these built-in packs, comma-separated, or 'none' (default: "
	  "all)", 0 },
	{ "record", OPT_RECORD, NULL, 0,
	  "Write exact opt-outs, opt-ins and language choices to the state "
	  "store", 0 },
	{ "region", OPT_REGION, "CC", 0,
	  "Country (ISO 3166) of sender numbers written without a country "
	  "code, for --record", 0 },
	{ "rules", 'r', "FILE", 0,
	  "Read rules from FILE (repeatable; after the opt-out pack, before "
	  "the other packs)", 0 },
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
	case 'r':
		o->rules = cx_xrealloc(o->rules,
		    (size_t)(o->nrules + 1) * sizeof *o->rules);
		o->rules[o->nrules++] = arg;
		break;
	case OPT_PACKS:
		o->packs = arg;
		break;
	case OPT_RECORD:
		o->record = 1;
		break;
	case OPT_REGION:
		if (cx_phone_cc(arg) == 0)
			argp_error(state, "--region: '%s' is not a known "
			    "country code (ISO 3166, e.g. CN)", arg);
		o->region = arg;
		break;
	case OPT_DUMP_PACKS:
		o->dump_packs = 1;
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
	options, parse_opt, NULL, doc, cx_common_children, NULL, NULL
};

/* 1 when pack name is selected by the --packs list. */
static int
pack_wanted(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (list == NULL)
		return 1;
	for (const char *p = list; *p; ) {
		size_t k = strcspn(p, ",");

		if (k == n && strncmp(p, name, n) == 0)
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

static void
check_packs(const char *list)
{
	if (list == NULL || strcmp(list, "none") == 0)
		return;
	for (const char *p = list; *p; ) {
		size_t k = strcspn(p, ",");
		int found = 0;

		for (int i = 0; kp_packs[i].name; i++)
			found |= strlen(kp_packs[i].name) == k &&
			    strncmp(kp_packs[i].name, p, k) == 0;
		if (!found) {
			cx_err(NULL, "--packs: unknown pack '%.*s' (optout, "
			    "csat, language, menu, order, or none)", (int)k, p);
			exit(CX_EXIT_USAGE);
		}
		p += k + (p[k] == ',');
	}
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct cx_buf b = { 0 };
	char buf[65536];
	size_t n;

	if (f == NULL)
		cx_die(path, "%s", strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		cx_buf_add(&b, buf, n);
	if (ferror(f))
		cx_die(path, "%s", strerror(errno));
	fclose(f);
	return cx_buf_take(&b);
}

static void
load_rules(struct kp_rules *rs, const struct opts *o)
{
	const char *list = o->packs && strcmp(o->packs, "none") == 0 ?
	    "" : o->packs;
	char *err = NULL;

	check_packs(o->packs);
	for (int first = 1; first >= 0; first--) {
		for (int i = 0; kp_packs[i].name; i++) {
			const struct kp_pack *p = &kp_packs[i];
			char name[64];

			if (p->first != first || !pack_wanted(list, p->name))
				continue;
			snprintf(name, sizeof name, "<pack %s>", p->name);
			if (kp_rules_parse(rs, name, p->text, &err) != 0)
				cx_die(NULL, "%s", err);
		}
		for (int i = 0; first && i < o->nrules; i++) {
			char *text = slurp(o->rules[i]);

			if (kp_rules_parse(rs, o->rules[i], text, &err) != 0)
				cx_die(NULL, "%s", err);
			free(text);
		}
	}
	if (rs->n == 0)
		cx_die(NULL, "no rules: give --rules FILE or leave some packs "
		    "on");
	kp_rules_finish(rs);
}

struct run {
	struct opts *o;
	struct cx_config *cfg;
	struct kp_rules rules;
	struct cx_state *st;
	unsigned long n, failed;
};

static json_t *
intent_error(const char *code, const char *msg)
{
	json_t *i = json_object();

	json_object_set_new(i, "name", json_null());
	json_object_set_new(i, "rule", json_null());
	json_object_set_new(i, "entities", json_object());
	json_object_set_new(i, "confidence", json_null());
	json_object_set_new(i, "route", json_null());
	json_object_set_new(i, "error", cx_rec_error(code, msg, 0));
	return i;
}

/* Writes the state change an exact opt-out, opt-in or language choice
 * implies.  Returns 1 when written, 0 when nothing to do, -1 on error
 * (with *code and *msg). */
static int
record_choice(struct run *run, const json_t *rec, const struct kp_match *m,
    const char **code, char **msg)
{
	const char *name = m->rule->intent, *from, *channel, *why;
	char e164[CX_PHONE_MAX], id[CX_ID_MAX];
	const char *addr, *chan;
	int optout = strcmp(name, "opt_out") == 0;
	int optin = strcmp(name, "opt_in") == 0;
	int lang = strcmp(name, "language") == 0;

	if (!m->exact || !(optout || optin || lang))
		return 0;
	from = cx_rec_str(rec, "from");
	if (from == NULL) {
		*code = CX_E_MISSING_FIELD;
		*msg = cx_xstrdup("--record needs the sender in 'from'");
		return -1;
	}
	channel = cx_rec_str(rec, "channel");
	chan = channel == NULL || strcmp(channel, "sms") == 0 ? "sms" : "im";
	addr = from;
	if (strcmp(chan, "sms") == 0) {
		if (cx_phone_e164(from, run->o->region, e164, &why) != 0) {
			*code = CX_E_INVALID_NUMBER;
			*msg = cx_xasprintf("'from' is not a valid phone "
			    "number: %s", why);
			return -1;
		}
		addr = e164;
	}
	if (run->o->common.dry_run)
		return 0;
	cx_rec_id(rec, id);
	if (lang) {
		const char *l = json_string_value(json_object_get(m->entities,
		    "lang"));

		if (l == NULL)
			return 0;	/* a rule that names no language */
		if (cx_kv_put(run->st, "lang", addr, l, 0) != 0)
			goto state;
		return 1;
	}
	if (cx_optout_set(run->st, addr, chan, optout, id) != 0)
		goto state;
	return 1;
state:
	*code = CX_E_STATE;
	*msg = cx_xstrdup("cannot write to the state store");
	return -1;
}

/* The intent for rec, with its compact JSON in *json when it is a
 * remembered one (else *json is NULL). */
static json_t *
intent_of(struct run *run, const json_t *rec,
    const struct cx_ndjson_in *where, const char **json, size_t *jsonlen)
{
	json_t *tv = json_object_get(rec, "text");
	struct kp_text t = { 0 };
	struct kp_match m;
	json_t *in;
	const char *code = NULL, *raw;
	char *msg = NULL;
	size_t rawlen;
	int rc, memo;

	*json = NULL;
	if (tv == NULL)
		return intent_error(CX_E_MISSING_FIELD, "missing field 'text'");
	if (!json_is_string(tv))
		return intent_error(CX_E_BAD_FIELD, "'text' is not a string");
	/* Without --record nothing is added to an intent: a reply seen
	 * recently shares the intent built the first time (the intent is a
	 * function of the text; a text holding a NUL is never remembered). */
	raw = json_string_value(tv);
	rawlen = json_string_length(tv);
	memo = !run->o->record && strlen(raw) == rawlen;
	if (memo && (in = kp_memo_get(&run->rules, raw, rawlen, json,
	    jsonlen)) != NULL)
		return json_incref(in);
	/* The reader checked the line is UTF-8; jansson keeps a \u0000. */
	t.s = cx_norm_text(run->rules.norm, raw, rawlen, &t.len);
	if (t.s == NULL)
		return intent_error(CX_E_BAD_FIELD, "'text' is not valid "
		    "UTF-8");
	kp_match(&run->rules, &t, &m);
	if (m.error) {
		kp_text_free(&t);
		in = intent_error(m.error, m.message);
		free(m.message);
		return in;
	}
	/* Names come from the rules, checked when they were read. */
	in = json_object();
	if (m.rule == NULL) {
		json_object_set_new(in, "name", json_string_nocheck("other"));
		json_object_set_new(in, "rule", json_null());
		json_object_set_new(in, "entities", json_object());
		json_object_set_new(in, "confidence",
		    json_string_nocheck("loose"));
		json_object_set_new(in, "route", json_string_nocheck("agent"));
	} else {
		json_object_set_new(in, "name",
		    json_string_nocheck(m.rule->intent));
		json_object_set_new(in, "rule",
		    json_string_nocheck(m.rule->name));
		json_object_set_new(in, "entities", m.entities);
		json_object_set_new(in, "confidence",
		    json_string_nocheck(m.exact ? "exact" : "loose"));
		json_object_set_new(in, "route", m.rule->route ?
		    json_string_nocheck(m.rule->route) : json_null());
	}
	if (!run->o->record) {
		if (memo) {
			kp_memo_put(&run->rules, raw, rawlen, in);
			(void)kp_memo_get(&run->rules, raw, rawlen, json,
			    jsonlen);
		}
		kp_text_free(&t);
		return in;
	}
	kp_text_free(&t);
	if (m.rule != NULL) {
		rc = record_choice(run, rec, &m, &code, &msg);
		if (rc == 1)
			json_object_set_new(in, "recorded", json_true());
		if (rc < 0) {
			cx_warn(cx_ndjson_where(where), "%s", msg);
			json_object_set_new(in, "error", cx_rec_error(code,
			    msg, strcmp(code, CX_E_STATE) == 0));
			free(msg);
		}
	}
	return in;
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct run run = { .o = &o };
	struct cx_ndjson_in in;
	char *err = NULL;
	json_t *rec;

	cx_init(argv[0]);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	if (o.dump_packs) {
		for (int i = 0; kp_packs[i].name; i++)
			printf("# pack %s: %s\n%s\n", kp_packs[i].name,
			    kp_packs[i].doc, kp_packs[i].text);
		return cx_finish();
	}
	/* The configuration gives [defaults] region when --region does
	 * not; nothing else in it concerns keyword-parse. */
	run.cfg = cx_config_load(o.common.config, &err);
	if (run.cfg == NULL)
		cx_die(NULL, "%s", err);
	if (o.region == NULL) {
		const struct cx_section *def = cx_config_get(run.cfg,
		    "defaults", NULL);

		if (def && cx_section_check(def, cx_config_defaults_keys,
		    &err) != 0)
			cx_die(NULL, "%s", err);
		o.region = def ? cx_section_get(def, "region") : NULL;
		if (o.region && cx_phone_cc(o.region) == 0)
			cx_die(NULL, "%s:%d: region: '%s' is not a known "
			    "country code", run.cfg->path,
			    cx_section_line(def, "region"), o.region);
	}
	run.rules.norm = cx_norm_new(&err);
	if (run.rules.norm == NULL)
		cx_die(NULL, "%s", err);
	load_rules(&run.rules, &o);
	if (o.record) {
		run.st = cx_state_open(o.common.state, &err);
		if (run.st == NULL)
			cx_die(NULL, "%s", err);
	}
	cx_ndjson_open(&in, &o.common);
	while ((rec = cx_ndjson_next(&in)) != NULL) {
		const char *ij;
		size_t ijlen = 0;
		json_t *intent = intent_of(&run, rec, &in, &ij, &ijlen);
		json_t *e = json_object_get(intent, "error");

		if (e) {
			if (json_is_null(json_object_get(intent, "name")))
				cx_warn(cx_ndjson_where(&in), "%s",
				    json_string_value(json_object_get(e,
				    "message")));
			cx_status_fail();
			run.failed++;
		}
		run.n++;
		if (cx_ndjson_write_add(&in, rec, "intent", intent, ij,
		    ijlen) != 0) {
			json_decref(rec);
			break;
		}
		json_decref(rec);
	}
	cx_ndjson_close(&in);
	cx_info(NULL, "%lu records, %lu failed", run.n, run.failed);
	{
		struct cx_norm *norm = run.rules.norm;

		kp_rules_free(&run.rules);
		cx_norm_free(norm);
	}
	cx_state_close(run.st);
	cx_config_free(run.cfg);
	free(o.rules);
	return cx_finish();
}
