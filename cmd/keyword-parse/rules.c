/* rules.c - keyword-parse's rules: the file format, compiling, matching
 *
 * SPDX-License-Identifier: MIT
 * The rules format (keyword-parse(5)) looks like cxkit's config file, but
 * is read here, not with inih: Debian's inih truncates lines at 198 bytes
 * and treats ';' as an inline comment, and a regular expression needs
 * both.  A rule is a section:
 *
 *	[rule refund_number]
 *	intent = order_query
 *	test = has_pattern (?<verb>退款|refund)\s*(?<order>[a-z]*\d{5,})
 *	set = action=refund
 *	upper = order
 *
 * Tests run on the normalised text (normalize.h); their arguments are
 * normalised the same way when the rules are read, so "ＳＴＯＰ" or
 * "滿意" in a rules file match what customers type.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"

/* PCRE2 limits: a pattern that backtracks catastrophically fails the
 * record (match_limit) instead of hanging the stream. */
#define KP_MATCH_LIMIT 200000
#define KP_DEPTH_LIMIT 20000

static const struct {
	const char *name;
	enum kp_test test;
} tests[] = {
	{ "has_any_word", T_ANY_WORD },
	{ "has_all_words", T_ALL_WORDS },
	{ "has_phrase", T_PHRASE },
	{ "has_only_phrase", T_ONLY_PHRASE },
	{ "has_beginning", T_BEGINNING },
	{ "has_text", T_TEXT },
	{ "has_number", T_NUMBER },
	{ "has_number_between", T_NUMBER_BETWEEN },
	{ "has_pattern", T_PATTERN },
	{ "has_phone", T_PHONE },
	{ "has_email", T_EMAIL },
	{ "has_date", T_DATE },
};

/* goflow's e-mail finder (domain.md §1.4): the domain needs a dot. */
static const char email_re[] =
    "([\\pL\\pN][-_+$~.\\pL\\pN]*)@([\\pL\\pN][-_\\pL\\pN]*)"
    "(\\.[\\pL\\pN][-_\\pL\\pN]*)+";
/* Dates: year first (2025-10-08, 2025/10/8, 2025年10月8日), or day and
 * month first (8/10/2025; which comes first is the test's argument). */
static const char date_ymd_re[] =
    "(?<![\\d])(\\d{4})\\s*[-/.年]\\s*(\\d{1,2})\\s*[-/.月]\\s*(\\d{1,2})"
    "(?:\\s*[日号])?(?![\\d])";
static const char date_xyz_re[] =
    "(?<![\\d])(\\d{1,2})[-/.](\\d{1,2})[-/.](\\d{4}|\\d{2})(?![\\d])";
/* Phone-like runs, checked afterwards with cx_phone_e164(). */
static const char phone_re[] = "\\+?\\d[\\d \\-]{5,18}\\d";

struct kp_slot {
	const char *key;
	size_t rule;
};

#define KP_MEMO_SLOTS 16384
#define KP_MEMO_KEY 64		/* normal forms up to this many bytes */

struct kp_memo {
	char key[KP_MEMO_KEY + 1];
	int used;
	json_t *intent;		/* shared: written out, never changed */
	char *json;		/* the intent's compact JSON */
	size_t jsonlen;
};

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static pcre2_code *
compile_re(const char *pat, char **why)
{
	PCRE2_SIZE off;
	pcre2_code *re;
	int rc;

	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &rc, &off, NULL);
	if (re == NULL) {
		PCRE2_UCHAR buf[256];

		pcre2_get_error_message(rc, buf, sizeof buf);
		*why = cx_xasprintf("bad pattern at offset %zu: %s",
		    (size_t)off, (char *)buf);
		return NULL;
	}
	/* JIT where the platform has it; the interpreter otherwise. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* Adds one normalised alternative to c: its text, and for word tests its
 * tokens joined by single spaces (so phrases compare token by token). */
static int
add_alt(struct cx_norm *norm, struct kp_cond *c, const char *arg,
    char **why)
{
	char *n = cx_norm_text(norm, arg, strlen(arg), NULL), *alt;
	struct cx_token *tok;
	size_t ntok, i;
	struct cx_buf b = { 0 };

	if (n == NULL) {
		*why = cx_xasprintf("'%s' is not valid UTF-8", arg);
		return -1;
	}
	if (c->test == T_BEGINNING) {
		alt = n;
	} else {
		ntok = cx_norm_tokens(n, strlen(n), &tok);
		for (i = 0; i < ntok; i++) {
			if (i)
				cx_buf_addc(&b, ' ');
			cx_buf_add(&b, n + tok[i].off, tok[i].len);
		}
		free(tok);
		free(n);
		alt = cx_buf_take(&b);
	}
	if (*alt == '\0') {
		free(alt);
		*why = cx_xasprintf("'%s' is empty once normalised", arg);
		return -1;
	}
	c->alt = cx_xrealloc(c->alt, (c->nalt + 1) * sizeof *c->alt);
	c->alt_tok = cx_xrealloc(c->alt_tok,
	    (c->nalt + 1) * sizeof *c->alt_tok);
	c->alt_ntok = cx_xrealloc(c->alt_ntok,
	    (c->nalt + 1) * sizeof *c->alt_ntok);
	c->alt[c->nalt] = alt;
	c->alt_ntok[c->nalt] = cx_norm_tokens(alt, strlen(alt),
	    &c->alt_tok[c->nalt]);
	c->nalt++;
	return 0;
}

static void cond_free(struct kp_cond *c);

/* Parses "TEST ARGS" into c.  Returns 0, or -1 with *why. */
static int
parse_cond(struct cx_norm *norm, const char *spec, struct kp_cond *c,
    char **why)
{
	char *copy = cx_xstrdup(spec), *name = copy, *args, *save = NULL;
	size_t i, n = sizeof tests / sizeof tests[0];
	int r = -1;

	memset(c, 0, sizeof *c);
	args = name + strcspn(name, " \t");
	if (*args)
		*args++ = '\0';
	args = trim(args);
	for (i = 0; i < n && strcmp(tests[i].name, name) != 0; i++)
		continue;
	if (i == n) {
		*why = cx_xasprintf("unknown test '%s'", name);
		goto out;
	}
	c->test = tests[i].test;
	switch (c->test) {
	case T_ANY_WORD:
	case T_ALL_WORDS:
		for (char *w = strtok_r(args, " \t", &save); w;
		    w = strtok_r(NULL, " \t", &save))
			if (add_alt(norm, c, w, why) != 0)
				goto out;
		if (c->nalt == 0) {
			*why = cx_xasprintf("%s needs words", name);
			goto out;
		}
		break;
	case T_PHRASE:
	case T_ONLY_PHRASE:
	case T_BEGINNING:
		for (char *w = strtok_r(args, "|", &save); w;
		    w = strtok_r(NULL, "|", &save))
			if (add_alt(norm, c, trim(w), why) != 0)
				goto out;
		if (c->nalt == 0) {
			*why = cx_xasprintf("%s needs a phrase (several: "
			    "A | B)", name);
			goto out;
		}
		break;
	case T_TEXT:
	case T_NUMBER:
	case T_EMAIL:
		if (*args) {
			*why = cx_xasprintf("%s takes no argument", name);
			goto out;
		}
		if (c->test == T_EMAIL && (c->re = compile_re(email_re,
		    why)) == NULL)
			goto out;
		break;
	case T_NUMBER_BETWEEN: {
		char *end;

		c->min = strtod(args, &end);
		if (end == args || (c->max = strtod(end, &end),
		    *trim(end) != '\0') || c->min > c->max) {
			*why = cx_xasprintf("%s needs two numbers MIN MAX",
			    name);
			goto out;
		}
		break;
	}
	case T_PATTERN:
		if (*args == '\0') {
			*why = cx_xasprintf("%s needs a pattern", name);
			goto out;
		}
		if ((c->re = compile_re(args, why)) == NULL)
			goto out;
		break;
	case T_PHONE:
		if (*args && (strlen(args) != 2 || cx_phone_cc(args) == 0)) {
			*why = cx_xasprintf("%s: '%s' is not a country code "
			    "(ISO 3166, e.g. CN)", name, args);
			goto out;
		}
		snprintf(c->region, sizeof c->region, "%s", args);
		if ((c->re = compile_re(phone_re, why)) == NULL)
			goto out;
		break;
	case T_DATE:
		if (*args == '\0' || strcmp(args, "ymd") == 0) {
			c->dmy = 2;
			c->re = compile_re(date_ymd_re, why);
		} else if (strcmp(args, "dmy") == 0 ||
		    strcmp(args, "mdy") == 0) {
			c->dmy = args[0] == 'd';
			c->re = compile_re(date_xyz_re, why);
		} else {
			*why = cx_xasprintf("%s takes ymd, dmy or mdy", name);
			goto out;
		}
		if (c->re == NULL)
			goto out;
		break;
	}
	r = 0;
out:
	if (r != 0) {
		/* Alternatives added before the error are freed here: the
		 * caller keeps no half-built test (found by the fuzzer). */
		cond_free(c);
		memset(c, 0, sizeof *c);
	}
	free(copy);
	return r;
}

/* "k=v k2=v2": values true/false, integers and numbers are typed. */
static json_t *
parse_set(const char *spec, char **why)
{
	char *copy = cx_xstrdup(spec), *save = NULL;
	json_t *o = json_object();

	for (char *kv = strtok_r(copy, " \t", &save); kv;
	    kv = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(kv, '='), *end;
		json_t *v;
		long long ll;
		double d;

		if (eq == NULL || eq == kv || eq[1] == '\0') {
			*why = cx_xasprintf("set: '%s' is not NAME=VALUE", kv);
			json_decref(o);
			free(copy);
			return NULL;
		}
		*eq++ = '\0';
		errno = 0;
		ll = strtoll(eq, &end, 10);
		if (strcmp(eq, "true") == 0 || strcmp(eq, "false") == 0) {
			v = json_boolean(eq[0] == 't');
		} else if (*end == '\0' && errno == 0) {
			v = json_integer(ll);
		} else if ((d = strtod(eq, &end)), *end == '\0') {
			v = json_real(d);
		} else {
			v = json_string(eq);
		}
		json_object_set_new(o, kv, v);
	}
	free(copy);
	return o;
}

static char **
parse_list(const char *spec)
{
	char *copy = cx_xstrdup(spec), *save = NULL, **l = NULL;
	size_t n = 0;

	for (char *w = strtok_r(copy, " ,\t", &save); w;
	    w = strtok_r(NULL, " ,\t", &save)) {
		l = cx_xrealloc(l, (n + 2) * sizeof *l);
		l[n++] = cx_xstrdup(w);
		l[n] = NULL;
	}
	free(copy);
	return l;
}

static void
cond_free(struct kp_cond *c)
{
	for (size_t i = 0; i < c->nalt; i++) {
		free(c->alt[i]);
		free(c->alt_tok[i]);
	}
	free(c->alt);
	free(c->alt_tok);
	free(c->alt_ntok);
	pcre2_code_free(c->re);
}

static void
list_free(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

static void
rule_free(struct kp_rule *r)
{
	free(r->name);
	free(r->intent);
	free(r->route);
	free(r->as);
	free(r->file);
	cond_free(&r->test);
	if (r->has_unless)
		cond_free(&r->unless);
	json_decref(r->set);
	list_free(r->numbers);
	list_free(r->upper);
}

/* Checks a finished rule; returns 0 or -1 with *why. */
static int
rule_check(const struct kp_rule *r, int have_test, char **why)
{
	if (r->intent == NULL)
		*why = cx_xasprintf("[rule %s] needs 'intent'", r->name);
	else if (!have_test)
		*why = cx_xasprintf("[rule %s] needs 'test'", r->name);
	else
		return 0;
	return -1;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return 1;
}

int
kp_rules_parse(struct kp_rules *rs, const char *name, const char *text,
    char **err)
{
	char *copy = cx_xstrdup(text), *line, *next, *why = NULL;
	struct kp_rule *r = NULL;
	int lineno = 0, have_test = 0, start_line = 0;
	size_t first = rs->n;

	for (line = copy; line; line = next) {
		char *s, *eq, *key, *val;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']'), *kind = s + 1, *rname;

			if (r && rule_check(r, have_test, &why) != 0) {
				lineno = start_line;
				goto fail;
			}
			if (e == NULL || *trim(e + 1) != '\0') {
				why = cx_xstrdup("a section header is "
				    "[rule NAME]");
				goto fail;
			}
			*e = '\0';
			rname = kind + strcspn(kind, " \t");
			if (*rname)
				*rname++ = '\0';
			rname = trim(rname);
			if (strcmp(kind, "rule") != 0 || !valid_name(rname)) {
				why = cx_xstrdup("a section header is "
				    "[rule NAME], NAME of letters, digits, "
				    "'_', '-', '.'");
				goto fail;
			}
			for (size_t i = first; i < rs->n; i++) {
				if (strcmp(rs->r[i].name, rname) == 0) {
					why = cx_xasprintf("rule '%s' is "
					    "defined twice (line %d)", rname,
					    rs->r[i].line);
					goto fail;
				}
			}
			rs->r = cx_xrealloc(rs->r, (rs->n + 1) * sizeof *rs->r);
			r = &rs->r[rs->n++];
			memset(r, 0, sizeof *r);
			r->name = cx_xstrdup(rname);
			r->file = cx_xstrdup(name);
			r->line = start_line = lineno;
			have_test = 0;
			continue;
		}
		if (r == NULL) {
			why = cx_xstrdup("a key before any [rule NAME]");
			goto fail;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			why = cx_xasprintf("'%s' is not KEY = VALUE", s);
			goto fail;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (strcmp(key, "intent") == 0 || strcmp(key, "route") == 0) {
			char **dst = key[0] == 'i' ? &r->intent : &r->route;

			if (*dst || !valid_name(val)) {
				why = cx_xasprintf(*dst ? "'%s' given twice" :
				    "%s: '%s' is not a name", key, val);
				goto fail;
			}
			*dst = cx_xstrdup(val);
		} else if (strcmp(key, "test") == 0) {
			if (have_test) {
				why = cx_xstrdup("'test' given twice (a rule "
				    "has one test; add 'unless' or another "
				    "rule)");
				goto fail;
			}
			if (parse_cond(rs->norm, val, &r->test, &why) != 0)
				goto fail;
			have_test = 1;
		} else if (strcmp(key, "unless") == 0) {
			if (r->has_unless) {
				why = cx_xstrdup("'unless' given twice");
				goto fail;
			}
			if (parse_cond(rs->norm, val, &r->unless, &why) != 0)
				goto fail;
			r->has_unless = 1;
		} else if (strcmp(key, "confidence") == 0) {
			if (strcmp(val, "exact") == 0)
				r->confidence = KP_EXACT;
			else if (strcmp(val, "loose") == 0)
				r->confidence = KP_LOOSE;
			else if (strcmp(val, "auto") == 0)
				r->confidence = KP_AUTO;
			else {
				why = cx_xasprintf("confidence: '%s' is not "
				    "exact, loose or auto", val);
				goto fail;
			}
		} else if (strcmp(key, "set") == 0) {
			json_decref(r->set);
			if ((r->set = parse_set(val, &why)) == NULL)
				goto fail;
		} else if (strcmp(key, "numbers") == 0) {
			list_free(r->numbers);
			r->numbers = parse_list(val);
		} else if (strcmp(key, "upper") == 0) {
			list_free(r->upper);
			r->upper = parse_list(val);
		} else if (strcmp(key, "as") == 0) {
			free(r->as);
			r->as = cx_xstrdup(val);
		} else {
			why = cx_xasprintf("unknown key '%s' (intent, test, "
			    "unless, route, confidence, set, numbers, upper, "
			    "as)", key);
			goto fail;
		}
	}
	if (r && rule_check(r, have_test, &why) != 0) {
		lineno = start_line;
		goto fail;
	}
	free(copy);
	return 0;
fail:
	*err = cx_xasprintf("%s:%d: %s", name, lineno, why);
	free(why);
	free(copy);
	/* Drop the rules of this text: the caller exits anyway, but keep
	 * the structure consistent. */
	while (rs->n > first)
		rule_free(&rs->r[--rs->n]);
	return -1;
}

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

void
kp_rules_finish(struct kp_rules *rs)
{
	size_t count = 0, maxcap = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct kp_rule *r = &rs->r[i];
		uint32_t cap = 0;

		if (r->test.test == T_ONLY_PHRASE && !r->has_unless)
			count += r->test.nalt;
		if (r->test.re && pcre2_pattern_info(r->test.re,
		    PCRE2_INFO_CAPTURECOUNT, &cap) == 0 && cap > maxcap)
			maxcap = cap;
		if (r->has_unless && r->unless.re &&
		    pcre2_pattern_info(r->unless.re, PCRE2_INFO_CAPTURECOUNT,
		    &cap) == 0 && cap > maxcap)
			maxcap = cap;
	}
	rs->nslots = 16;
	while (rs->nslots < count * 2)
		rs->nslots *= 2;
	rs->slots = cx_xcalloc(rs->nslots, sizeof *rs->slots);
	/* First rule wins: insert in rule order, never overwrite. */
	for (size_t i = 0; i < rs->n; i++) {
		const struct kp_rule *r = &rs->r[i];

		if (r->test.test != T_ONLY_PHRASE || r->has_unless)
			continue;
		for (size_t a = 0; a < r->test.nalt; a++) {
			const char *k = r->test.alt[a];
			size_t h = hash(k) & (rs->nslots - 1);

			while (rs->slots[h].key &&
			    strcmp(rs->slots[h].key, k) != 0)
				h = (h + 1) & (rs->nslots - 1);
			if (rs->slots[h].key == NULL) {
				rs->slots[h].key = k;
				rs->slots[h].rule = i;
			}
		}
	}
	rs->memo = cx_xcalloc(KP_MEMO_SLOTS, sizeof *rs->memo);
	rs->md = pcre2_match_data_create((uint32_t)maxcap + 1, NULL);
	rs->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(rs->mctx, KP_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, KP_DEPTH_LIMIT);
}

void
kp_rules_free(struct kp_rules *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->r[i]);
	free(rs->r);
	free(rs->slots);
	pcre2_match_data_free(rs->md);
	pcre2_match_context_free(rs->mctx);
	for (size_t i = 0; rs->memo && i < KP_MEMO_SLOTS; i++)
		json_decref(rs->memo[i].intent), free(rs->memo[i].json);
	free(rs->memo);
	memset(rs, 0, sizeof *rs);
}

/* --- matching ---------------------------------------------------------- */

static void
tokenise(struct kp_text *t)
{
	struct cx_buf b = { 0 };

	if (t->tokenised)
		return;
	t->ntok = cx_norm_tokens(t->s, t->len, &t->tok);
	for (size_t i = 0; i < t->ntok; i++) {
		if (i)
			cx_buf_addc(&b, ' ');
		cx_buf_add(&b, t->s + t->tok[i].off, t->tok[i].len);
	}
	t->key = cx_buf_take(&b);
	t->tokenised = 1;
}

void
kp_text_free(struct kp_text *t)
{
	free(t->s);
	free(t->tok);
	free(t->key);
	memset(t, 0, sizeof *t);
}

/* Where alternative a of c occurs as consecutive tokens of t: the index
 * of its first token, or -1.  (Unlike goflow's has_phrase, a mismatch
 * restarts at the next token, so "brown brown fox" has "brown fox".) */
static long
find_phrase(const struct kp_text *t, const struct kp_cond *c, size_t a)
{
	const struct cx_token *at = c->alt_tok[a];
	size_t n = c->alt_ntok[a];

	for (size_t i = 0; n && i + n <= t->ntok; i++) {
		size_t k;

		for (k = 0; k < n; k++) {
			const struct cx_token *x = &t->tok[i + k];

			if (x->len != at[k].len || memcmp(t->s + x->off,
			    c->alt[a] + at[k].off, x->len) != 0)
				break;
		}
		if (k == n)
			return (long)i;
	}
	return -1;
}

struct hit {
	size_t start, end;	/* byte span in the normalised text */
	json_t *ent;		/* captured entities (new ref) or NULL */
};

static void
set_entity_str(json_t *ent, const char *name, const char *s, size_t n,
    const struct kp_rule *r)
{
	char *v = cx_xstrndup(s, n);

	for (size_t i = 0; r && r->upper && r->upper[i]; i++)
		if (strcmp(r->upper[i], name) == 0)
			for (char *p = v; *p; p++)
				*p = (char)toupper((unsigned char)*p);
	for (size_t i = 0; r && r->numbers && r->numbers[i]; i++) {
		char *end;
		long long ll;

		if (strcmp(r->numbers[i], name) != 0)
			continue;
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (*v && *end == '\0' && errno == 0) {
			json_object_set_new(ent, name, json_integer(ll));
			free(v);
			return;
		}
	}
	json_object_set_new(ent, name, json_string(v));
	free(v);
}

/* 1 when s is YYYY-M-D (or with '/' or '.'): a date, never a phone. */
static int
date_shaped(const char *s)
{
	size_t a = strspn(s, "0123456789"), b, c;

	if (a != 4 || (s[4] != '-' && s[4] != '/' && s[4] != '.'))
		return 0;
	b = strspn(s + 5, "0123456789");
	if (b < 1 || b > 2 || s[5 + b] != s[4])
		return 0;
	c = strspn(s + 6 + b, "0123456789");
	return c >= 1 && c <= 2 && s[6 + b + c] == '\0';
}

/* Runs a compiled pattern: 1 matched, 0 not, -1 limit or error. */
static int
run_re(struct kp_rules *rs, pcre2_code *re, const char *s, size_t len,
    size_t from)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, from,
	    PCRE2_NO_UTF_CHECK, rs->md, rs->mctx);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return -1;
}

static void
named_groups(struct kp_rules *rs, pcre2_code *re, const char *s, json_t *ent,
    const struct kp_rule *r)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rs->md);
	uint32_t count = 0, size = 0;
	PCRE2_SPTR table;

	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	if (count == 0)
		return;
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++, table += size) {
		unsigned g = (unsigned)(table[0] << 8 | table[1]);
		const char *name = (const char *)table + 2;

		if (ov[2 * g] == PCRE2_UNSET || json_object_get(ent, name))
			continue;
		set_entity_str(ent, name, s + ov[2 * g],
		    ov[2 * g + 1] - ov[2 * g], r);
	}
}

/* Evaluates c on t: 1 with *h filled, 0, or -1 (match limit). */
static int
eval(struct kp_rules *rs, const struct kp_rule *r, const struct kp_cond *c,
    struct kp_text *t, struct hit *h)
{
	memset(h, 0, sizeof *h);
	switch (c->test) {
	case T_ANY_WORD:
	case T_PHRASE: {
		long best = -1;
		size_t bn = 0;

		tokenise(t);
		for (size_t a = 0; a < c->nalt; a++) {
			long i = find_phrase(t, c, a);

			if (i >= 0 && (best < 0 || i < best)) {
				best = i;
				bn = c->alt_ntok[a];
			}
		}
		if (best < 0)
			return 0;
		h->start = t->tok[best].off;
		h->end = t->tok[best + (long)bn - 1].off +
		    t->tok[best + (long)bn - 1].len;
		return 1;
	}
	case T_ALL_WORDS: {
		size_t lo = SIZE_MAX, hi = 0;

		tokenise(t);
		for (size_t a = 0; a < c->nalt; a++) {
			long i = find_phrase(t, c, a);
			size_t last;

			if (i < 0)
				return 0;
			last = (size_t)i + c->alt_ntok[a] - 1;
			if (t->tok[i].off < lo)
				lo = t->tok[i].off;
			if (t->tok[last].off + t->tok[last].len > hi)
				hi = t->tok[last].off + t->tok[last].len;
		}
		h->start = lo;
		h->end = hi;
		return 1;
	}
	case T_ONLY_PHRASE:
		tokenise(t);
		for (size_t a = 0; a < c->nalt; a++) {
			if (strcmp(t->key, c->alt[a]) == 0) {
				h->end = t->len;
				return 1;
			}
		}
		return 0;
	case T_BEGINNING:
		for (size_t a = 0; a < c->nalt; a++) {
			size_t n = strlen(c->alt[a]);

			if (n <= t->len && memcmp(t->s, c->alt[a], n) == 0) {
				h->end = n;
				return 1;
			}
		}
		return 0;
	case T_TEXT:
		h->end = t->len;
		return t->len > 0;
	case T_NUMBER:
	case T_NUMBER_BETWEEN: {
		double v[16];
		size_t n = cx_norm_numbers(t->s, t->len, v, 16);
		char *end;

		if (n > 16)
			n = 16;
		for (size_t i = 0; i < n; i++) {
			if (c->test == T_NUMBER_BETWEEN &&
			    (v[i] < c->min || v[i] > c->max))
				continue;
			/* The whole text is the number: an exact reply. */
			strtod(t->s, &end);
			h->end = n == 1 && end == t->s + t->len ? t->len : 1;
			h->start = h->end == t->len ? 0 : 1;
			h->ent = json_object();
			json_object_set_new(h->ent, r && r->as ? r->as :
			    "number", v[i] == (double)(long long)v[i] ?
			    json_integer((long long)v[i]) : json_real(v[i]));
			return 1;
		}
		return 0;
	}
	case T_PATTERN:
	case T_EMAIL: {
		int m = run_re(rs, c->re, t->s, t->len, 0);
		PCRE2_SIZE *ov;

		if (m <= 0)
			return m;
		ov = pcre2_get_ovector_pointer(rs->md);
		h->start = ov[0];
		h->end = ov[1];
		h->ent = json_object();
		if (c->test == T_EMAIL)
			set_entity_str(h->ent, r && r->as ? r->as : "email",
			    t->s + ov[0], ov[1] - ov[0], r);
		else
			named_groups(rs, c->re, t->s, h->ent, r);
		return 1;
	}
	case T_PHONE: {
		size_t from = 0;
		int m;

		while ((m = run_re(rs, c->re, t->s, t->len, from)) == 1) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rs->md);
			char buf[64], e164[CX_PHONE_MAX];
			const char *why;
			size_t n = ov[1] - ov[0];

			from = ov[1];
			if (n >= sizeof buf)
				continue;
			memcpy(buf, t->s + ov[0], n);
			buf[n] = '\0';
			/* 2025-10-08 is a date, not a landline number. */
			if (date_shaped(buf))
				continue;
			if (cx_phone_e164(buf, c->region[0] ? c->region : NULL,
			    e164, &why) != 0)
				continue;
			h->start = ov[0];
			h->end = ov[1];
			h->ent = json_pack("{s:s}", r && r->as ? r->as :
			    "phone", e164);
			return 1;
		}
		return m;
	}
	case T_DATE: {
		static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
		    30, 31, 30, 31 };
		size_t from = 0;
		int m;

		while ((m = run_re(rs, c->re, t->s, t->len, from)) == 1) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rs->md);
			long f[3];
			long y, mo, d;
			char iso[48];

			for (int i = 0; i < 3; i++)
				f[i] = strtol(t->s + ov[2 * i + 2], NULL, 10);
			from = ov[1];
			if (c->dmy == 2) {
				y = f[0], mo = f[1], d = f[2];
			} else {
				y = f[2] < 100 ? 2000 + f[2] : f[2];
				mo = c->dmy ? f[1] : f[0];
				d = c->dmy ? f[0] : f[1];
			}
			if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
			    (mo == 2 && d == 29 && !((y % 4 == 0 &&
			    y % 100 != 0) || y % 400 == 0)))
				continue;
			snprintf(iso, sizeof iso, "%04ld-%02ld-%02ld", y, mo,
			    d);
			h->start = ov[0];
			h->end = ov[1];
			h->ent = json_pack("{s:s}", r && r->as ? r->as :
			    "date", iso);
			return 1;
		}
		return m;
	}
	}
	return 0;
}

static size_t
lookup_only(const struct kp_rules *rs, const char *key)
{
	size_t h = hash(key) & (rs->nslots - 1);

	while (rs->slots[h].key) {
		if (strcmp(rs->slots[h].key, key) == 0)
			return rs->slots[h].rule;
		h = (h + 1) & (rs->nslots - 1);
	}
	return SIZE_MAX;
}

json_t *
kp_memo_get(struct kp_rules *rs, const char *norm, size_t len,
    const char **json, size_t *jsonlen)
{
	struct kp_memo *mo;

	if (len > KP_MEMO_KEY || rs->memo == NULL)
		return NULL;
	mo = &rs->memo[hash(norm) & (KP_MEMO_SLOTS - 1)];
	if (!mo->used || strcmp(mo->key, norm) != 0)
		return NULL;
	*json = mo->json;
	*jsonlen = mo->jsonlen;
	return mo->intent;
}

void
kp_memo_put(struct kp_rules *rs, const char *norm, size_t len,
    json_t *intent)
{
	struct kp_memo *mo;

	if (len > KP_MEMO_KEY || rs->memo == NULL)
		return;
	mo = &rs->memo[hash(norm) & (KP_MEMO_SLOTS - 1)];
	json_decref(mo->intent);
	free(mo->json);
	memcpy(mo->key, norm, len + 1);
	mo->used = 1;
	mo->intent = json_incref(intent);
	mo->json = json_dumps(intent, JSON_COMPACT);
	mo->jsonlen = mo->json ? strlen(mo->json) : 0;
}

void
kp_match(struct kp_rules *rs, struct kp_text *t, struct kp_match *m)
{
	size_t only;

	memset(m, 0, sizeof *m);
	tokenise(t);
	only = lookup_only(rs, t->key);
	for (size_t i = 0; i < rs->n; i++) {
		const struct kp_rule *r = &rs->r[i];
		struct hit h, u;
		int ok;

		if (r->test.test == T_ONLY_PHRASE && !r->has_unless) {
			ok = i == only;
			memset(&h, 0, sizeof h);
			h.end = t->len;
		} else {
			ok = eval(rs, r, &r->test, t, &h);
		}
		if (ok == 1 && r->has_unless) {
			int un = eval(rs, r, &r->unless, t, &u);

			json_decref(u.ent);
			if (un == 1)
				ok = 0;
			else if (un < 0)
				ok = -1;
		}
		if (ok < 0) {
			json_decref(h.ent);
			m->error = CX_E_MATCH_LIMIT;
			m->message = cx_xasprintf("rule %s (%s:%d): the pattern "
			    "exceeded PCRE2's match limit on this text",
			    r->name, r->file, r->line);
			return;
		}
		if (!ok) {
			json_decref(h.ent);
			continue;
		}
		m->rule = r;
		/* What the text says first, then the rule's constants. */
		m->entities = h.ent ? h.ent : json_object();
		if (r->set)
			json_object_update_missing(m->entities, r->set);
		if (r->confidence == KP_AUTO)
			m->exact = h.start == 0 && h.end == t->len;
		else
			m->exact = r->confidence == KP_EXACT;
		return;
	}
}
