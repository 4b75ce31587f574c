/* config.c - the INI configuration file (parsed with inih)
 *
 * SPDX-License-Identifier: MIT
 * Debian's inih calls its handler without line numbers, so the file is fed
 * to ini_parse_stream() through our own reader, one line a call: the
 * reader counts lines, handles section headers itself (inih does not call
 * the handler for a section without keys) and strips leading blanks, so
 * an indented key is a key, never a continuation of the previous value.
 * Parsing stops at the first error.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "xwrap.h"

/*
 * The section kinds a config file may hold; anything else is an error.
 * A program that needs a new kind adds it here (and to cxkit(7)):
 *	provider	an SMS or IM account (sms-send, im-send, msg-recv)
 *	template	per-template settings (sms-send, im-send)
 *	defaults	settings shared by every program
 *	queue		a call queue (queue-notify)
 *	ticket		a ticket system backend (ticket-sync)
 *	target		a named IM destination (im-send)
 *	report		report settings (cx-report)
 *	sla		service-level targets (cx-report)
 *	recv		the webhook receiver (msg-recv)
 */
static const char *const kinds[] = {
	"provider", "template", "defaults", "queue", "ticket", "target",
	"report", "sla", "recv", NULL
};

/* Keys whose values are secrets.  Not here, because they identify rather
 * than authenticate: api_key, account_sid, access_key_id, secret_id,
 * username. */
const char *const cx_config_defaults_keys[] = {
	"region", "tz", "via", "quiet_hours", NULL
};

const char *const cx_config_secret_keys[] = {
	"auth_token", "api_secret", "api_key_secret", "access_key_secret",
	"secret_key", "password", "token", "secret", "signature_secret",
	"app_secret", "corp_secret", "bot_token", "access_token",
	"auth_header", "webhook",
	"webhook_secret", "signing_secret", "aes_key", NULL
};

struct parse {
	FILE *fp;
	const char *path;
	struct cx_config *cfg;
	char *line;		/* getline buffer */
	size_t linecap;
	int lineno;
	int cur;		/* index of the current section, -1 before */
	char *err;		/* first error, "FILE:LINE: reason" */
};

static int
is_secret_key(const char *key)
{
	const char *const *k;

	for (k = cx_config_secret_keys; *k != NULL; k++)
		if (strcasecmp(*k, key) == 0)
			return 1;
	return 0;
}

static int
is_reference(const char *v)
{
	return strncmp(v, "env:", 4) == 0 || strncmp(v, "file:", 5) == 0;
}

/* "[kind name]" or "[kind]" into a malloc'd string, for messages. */
static char *
sec_label(const struct cx_section *s)
{
	if (s->name != NULL)
		return cx_xasprintf("[%s %s]", s->kind, s->name);
	return cx_xasprintf("[%s]", s->kind);
}

static void
perr(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
perr(struct parse *p, const char *fmt, ...)
{
	struct cx_buf b = { 0 };
	va_list ap;
	char *msg;
	int n;

	if (p->err != NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg = cx_xstrdup("out of memory");
	cx_buf_printf(&b, "%s:%d: %s", p->path, p->lineno, msg);
	free(msg);
	p->err = cx_buf_take(&b);
}

static int
find_section(const struct cx_config *cfg, const char *kind, const char *name)
{
	int i;

	for (i = 0; i < cfg->nsec; i++) {
		const struct cx_section *s = &cfg->sec[i];

		if (strcmp(s->kind, kind) != 0)
			continue;
		if (name == NULL ? s->name == NULL :
		    s->name != NULL && strcmp(s->name, name) == 0)
			return i;
	}
	return -1;
}

/* Handles "[kind name]" (s points at '[', end of line trimmed). */
static void
section_header(struct parse *p, char *s)
{
	struct cx_config *cfg = p->cfg;
	struct cx_section *sec;
	const char *const *k;
	char *end, *kind, *name, *q;
	int i;

	end = strchr(s, ']');
	if (end == NULL) {
		perr(p, "section header without ']'");
		return;
	}
	q = end + 1 + strspn(end + 1, " \t");
	if (*q != '\0' && *q != '#' && *q != ';') {
		perr(p, "text after section header");
		return;
	}
	*end = '\0';
	kind = s + 1 + strspn(s + 1, " \t");
	q = kind + strcspn(kind, " \t");
	name = q + strspn(q, " \t");
	*q = '\0';
	q = name + strcspn(name, " \t");
	if (*(q + strspn(q, " \t")) != '\0') {
		perr(p, "section name '%s' has blanks in it", name);
		return;
	}
	*q = '\0';
	if (*kind == '\0') {
		perr(p, "empty section header");
		return;
	}
	for (k = kinds; *k != NULL; k++)
		if (strcmp(*k, kind) == 0)
			break;
	if (*k == NULL) {
		perr(p, "unknown section kind [%s]", kind);
		return;
	}
	i = find_section(cfg, kind, *name ? name : NULL);
	if (i >= 0) {
		char *l = sec_label(&cfg->sec[i]);

		perr(p, "duplicate section %s (first at line %d)", l,
		    cfg->sec[i].line);
		free(l);
		return;
	}
	cfg->sec = cx_xrealloc(cfg->sec,
	    (size_t)(cfg->nsec + 1) * sizeof(*cfg->sec));
	sec = &cfg->sec[cfg->nsec];
	memset(sec, 0, sizeof(*sec));
	sec->kind = cx_xstrdup(kind);
	sec->name = *name ? cx_xstrdup(name) : NULL;
	sec->line = p->lineno;
	p->cur = cfg->nsec++;
}

/* The ini_reader: one line a call (fgets-style), counted. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t n;
	char *s, *e;

	if (p->err != NULL)
		return NULL;
	n = getline(&p->line, &p->linecap, p->fp);
	if (n < 0) {
		if (ferror(p->fp))
			perr(p, "%s", strerror(errno));
		return NULL;
	}
	p->lineno++;
	s = p->line;
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	if (memchr(s, '\0', (size_t)(n - (s - p->line))) != NULL) {
		perr(p, "NUL byte in line");
		return NULL;
	}
	s += strspn(s, " \t\r\n\f\v");
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n\f\v", e[-1]) != NULL)
		*--e = '\0';
	if ((size_t)(e - s) + 2 > (size_t)num) {
		perr(p, "line longer than %d bytes", num - 2);
		return NULL;
	}
	if (*s == '[') {
		section_header(p, s);
		if (p->err != NULL)
			return NULL;
		*s = '\0';	/* inih sees a blank line */
	} else if (*s != '\0' && *s != '#' && *s != ';' &&
	    strpbrk(s, "=:") == NULL) {
		perr(p, "expected [kind name] or key = value");
		return NULL;
	}
	memcpy(str, s, (size_t)(e - s) + 1);
	return str;
}

static int
handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	struct cx_section *s;
	char *l, *v, *c;
	int i;

	(void)section;
	if (p->cur < 0) {
		perr(p, "key '%s' before any [section]", key);
		return 0;
	}
	s = &p->cfg->sec[p->cur];
	if (*key == '\0') {
		perr(p, "empty key");
		return 0;
	}
	for (i = 0; i < s->nkv; i++) {
		if (strcmp(s->kv[i].key, key) != 0)
			continue;
		l = sec_label(s);
		perr(p, "duplicate key '%s' in %s (first at line %d)", key, l,
		    s->kv[i].line);
		free(l);
		return 0;
	}
	s->kv = cx_xrealloc(s->kv, (size_t)(s->nkv + 1) * sizeof(*s->kv));
	s->kv[s->nkv].key = cx_xstrdup(key);
	s->kv[s->nkv].value = v = cx_xstrdup(value ? value : "");
	/* inih cut a " ; comment"; cut a " # comment" the same way. */
	for (c = v; (c = strchr(c, '#')) != NULL; c++) {
		if (c > v && (c[-1] == ' ' || c[-1] == '\t')) {
			while (c > v && (c[-1] == ' ' || c[-1] == '\t'))
				c--;
			*c = '\0';
			break;
		}
	}
	s->kv[s->nkv].line = p->lineno;
	s->nkv++;
	return 1;
}

/* The first path that applies: explicit, $CXKIT_CONFIG, XDG, ~/.config.
 * *must_exist is set for the first two. */
static char *
config_path(const char *path, int *must_exist)
{
	const char *e;

	*must_exist = 1;
	if (path != NULL && *path != '\0')
		return cx_xstrdup(path);
	if ((e = getenv("CXKIT_CONFIG")) != NULL && *e != '\0')
		return cx_xstrdup(e);
	*must_exist = 0;
	if ((e = getenv("XDG_CONFIG_HOME")) != NULL && *e == '/')
		return cx_xasprintf("%s/cxkit/config", e);
	if ((e = getenv("HOME")) != NULL && *e != '\0')
		return cx_xasprintf("%s/.config/cxkit/config", e);
	return NULL;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d, *real;

	if (slash == NULL)
		d = cx_xstrdup(".");
	else if (slash == path)
		d = cx_xstrdup("/");
	else
		d = cx_xstrndup(path, (size_t)(slash - path));
	if ((real = realpath(d, NULL)) != NULL) {
		free(d);
		return real;
	}
	return d;
}

/* A literal secret in a file others can read: refuse, as ssh does. */
static char *
check_literals(const struct cx_config *cfg, mode_t mode)
{
	int i, j;

	if ((mode & 077) == 0)
		return NULL;
	for (i = 0; i < cfg->nsec; i++) {
		const struct cx_section *s = &cfg->sec[i];

		for (j = 0; j < s->nkv; j++) {
			const struct cx_kv *kv = &s->kv[j];
			char *l, *msg;

			if (!is_secret_key(kv->key) || *kv->value == '\0' ||
			    is_reference(kv->value))
				continue;
			l = sec_label(s);
			msg = cx_xasprintf("%s: holds a literal secret "
			    "(%s in %s, line %d) and is readable by group or "
			    "others; chmod 600 %s or use env:NAME / file:PATH",
			    cfg->path, kv->key, l, kv->line, cfg->path);
			free(l);
			return msg;
		}
	}
	return NULL;
}

struct cx_config *
cx_config_load(const char *path, char **err)
{
	struct parse p = { 0 };
	struct cx_config *cfg;
	struct stat st;
	int must_exist, i, r;
	char *file;

	*err = NULL;
	cfg = cx_xcalloc(1, sizeof(*cfg));
	file = config_path(path, &must_exist);
	if (file == NULL)
		return cfg;
	p.fp = fopen(file, "r");
	if (p.fp == NULL) {
		if ((errno == ENOENT || errno == ENOTDIR) && !must_exist) {
			free(file);
			return cfg;
		}
		*err = cx_xasprintf("%s: %s", file, strerror(errno));
		free(file);
		free(cfg);
		return NULL;
	}
	r = fstat(fileno(p.fp), &st);
	if (r == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		r = -1;
	}
	if (r == -1) {
		*err = cx_xasprintf("%s: %s", file, strerror(errno));
		fclose(p.fp);
		free(file);
		free(cfg);
		return NULL;
	}
	cfg->path = file;
	cfg->dir = dir_of(file);
	cfg->private = (st.st_mode & 077) == 0;
	p.path = file;
	p.cfg = cfg;
	p.cur = -1;
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (p.line != NULL)
		explicit_bzero(p.line, p.linecap);	/* secrets pass here */
	free(p.line);
	if (p.err == NULL && r > 0) {
		/* inih's own complaint: no '=' or ':', or a bad header. */
		p.lineno = r;
		perr(&p, "syntax error (expected [kind name] or key = value)");
	} else if (p.err == NULL && r < 0) {
		perr(&p, "cannot parse (error %d)", r);
	}
	if (p.err == NULL)
		p.err = check_literals(cfg, st.st_mode);
	if (p.err != NULL) {
		*err = p.err;
		cx_config_free(cfg);
		return NULL;
	}
	for (i = 0; i < cfg->nsec; i++)
		cfg->sec[i].cfg = cfg;
	return cfg;
}

void
cx_config_free(struct cx_config *cfg)
{
	int i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nsec; i++) {
		struct cx_section *s = &cfg->sec[i];

		for (j = 0; j < s->nkv; j++) {
			free(s->kv[j].key);
			/* may be a literal secret: wipe it */
			explicit_bzero(s->kv[j].value, strlen(s->kv[j].value));
			free(s->kv[j].value);
		}
		free(s->kv);
		free(s->kind);
		free(s->name);
	}
	free(cfg->sec);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}

const struct cx_section *
cx_config_get(const struct cx_config *cfg, const char *kind, const char *name)
{
	int i;

	if (cfg == NULL)
		return NULL;
	i = find_section(cfg, kind, name);
	return i < 0 ? NULL : &cfg->sec[i];
}

const struct cx_section *
cx_config_next(const struct cx_config *cfg, const char *kind,
    const struct cx_section *prev)
{
	int i;

	if (cfg == NULL)
		return NULL;
	i = prev == NULL ? 0 : (int)(prev - cfg->sec) + 1;
	for (; i < cfg->nsec; i++)
		if (kind == NULL || strcmp(cfg->sec[i].kind, kind) == 0)
			return &cfg->sec[i];
	return NULL;
}

static const struct cx_kv *
find_kv(const struct cx_section *s, const char *key)
{
	int i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

const char *
cx_section_get(const struct cx_section *s, const char *key)
{
	const struct cx_kv *kv = find_kv(s, key);

	return kv ? kv->value : NULL;
}

int
cx_section_line(const struct cx_section *s, const char *key)
{
	const struct cx_kv *kv = find_kv(s, key);

	if (kv != NULL)
		return kv->line;
	return s ? s->line : 0;
}

static const char *
sec_path(const struct cx_section *s)
{
	return s->cfg && s->cfg->path ? s->cfg->path : "<config>";
}

int
cx_section_check(const struct cx_section *s, const char *const *allowed,
    char **err)
{
	const char *const *a;
	char *l;
	int i;

	*err = NULL;
	if (s == NULL)
		return 0;
	for (i = 0; i < s->nkv; i++) {
		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, s->kv[i].key) == 0)
				break;
		if (*a != NULL)
			continue;
		l = sec_label(s);
		*err = cx_xasprintf("%s:%d: unknown key '%s' in %s",
		    sec_path(s), s->kv[i].line, s->kv[i].key, l);
		free(l);
		return -1;
	}
	return 0;
}

/* The first line of file:PATH, PATH relative to the config's directory. */
static char *
read_secret_file(const struct cx_section *s, const struct cx_kv *kv,
    const char *path, char **err)
{
	char *full, *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	if (*path != '/' && s->cfg != NULL && s->cfg->dir != NULL)
		full = cx_xasprintf("%s/%s", s->cfg->dir, path);
	else
		full = cx_xstrdup(path);
	if ((fp = fopen(full, "r")) == NULL) {
		*err = cx_xasprintf("%s:%d: %s: %s: %s", sec_path(s), kv->line,
		    kv->key, full, strerror(errno));
		free(full);
		return NULL;
	}
	n = getline(&line, &cap, fp);
	if (n < 0 && ferror(fp)) {
		*err = cx_xasprintf("%s:%d: %s: %s: %s", sec_path(s), kv->line,
		    kv->key, full, strerror(errno));
		n = -2;
	}
	fclose(fp);
	if (n >= 0)
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
	if (n == -1 || n == 0) {
		*err = cx_xasprintf("%s:%d: %s: %s is empty", sec_path(s),
		    kv->line, kv->key, full);
		n = -2;
	}
	free(full);
	if (n < 0) {
		if (line != NULL)
			explicit_bzero(line, cap);
		free(line);
		return NULL;
	}
	return line;
}

char *
cx_section_secret(const struct cx_section *s, const char *key, char **err)
{
	const struct cx_kv *kv;
	const char *v;
	char *l;

	*err = NULL;
	if ((kv = find_kv(s, key)) == NULL) {
		if (s == NULL) {
			*err = cx_xasprintf("<config>: no section for %s",
			    key);
			return NULL;
		}
		l = sec_label(s);
		*err = cx_xasprintf("%s:%d: %s needs %s", sec_path(s),
		    s->line, l, key);
		free(l);
		return NULL;
	}
	if (*kv->value == '\0') {
		*err = cx_xasprintf("%s:%d: %s: empty value", sec_path(s),
		    kv->line, key);
		return NULL;
	}
	if (strncmp(kv->value, "env:", 4) == 0) {
		if ((v = getenv(kv->value + 4)) == NULL || *v == '\0') {
			*err = cx_xasprintf("%s:%d: %s: environment variable "
			    "%s is %s", sec_path(s), kv->line, key,
			    kv->value + 4, v ? "empty" : "not set");
			return NULL;
		}
		return cx_xstrdup(v);
	}
	if (strncmp(kv->value, "file:", 5) == 0)
		return read_secret_file(s, kv, kv->value + 5, err);
	return cx_xstrdup(kv->value);
}

int
cx_section_double(const struct cx_section *s, const char *key,
    double min, double max, double *out, char **err)
{
	static locale_t cloc;
	const struct cx_kv *kv;
	char *end;
	double d;

	*err = NULL;
	if ((kv = find_kv(s, key)) == NULL)
		return 0;
	/* Config files are not localised: "2.5" whatever LC_NUMERIC says. */
	if (cloc == (locale_t)0)
		cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	errno = 0;
	d = cloc ? strtod_l(kv->value, &end, cloc) : strtod(kv->value, &end);
	/* The value is not echoed: it might be a misplaced secret. */
	if (end == kv->value || *end != '\0' || !isfinite(d)) {
		*err = cx_xasprintf("%s:%d: %s: not a number", sec_path(s),
		    kv->line, key);
		return -1;
	}
	if (d < min || d > max) {
		*err = cx_xasprintf("%s:%d: %s: out of range [%g, %g]",
		    sec_path(s), kv->line, key, min, max);
		return -1;
	}
	*out = d;
	return 0;
}

char *
cx_config_template_dir(const struct cx_config *cfg)
{
	const char *e;

	if ((e = getenv("CXKIT_TEMPLATES")) != NULL && *e != '\0')
		return cx_xstrdup(e);
	if (cfg != NULL && cfg->path != NULL && cfg->dir != NULL)
		return cx_xasprintf("%s/templates", cfg->dir);
	if ((e = getenv("XDG_CONFIG_HOME")) != NULL && *e == '/')
		return cx_xasprintf("%s/cxkit/templates", e);
	if ((e = getenv("HOME")) != NULL && *e != '\0')
		return cx_xasprintf("%s/.config/cxkit/templates", e);
	return cx_xstrdup("templates");
}

void
cx_secret_free(char *secret)
{
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

char *
cx_section_err(const struct cx_section *s, const char *key, const char *fmt,
    ...)
{
	const char *path = s->cfg && s->cfg->path ? s->cfg->path : "config";
	va_list ap;
	char *what, *e;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	e = cx_xasprintf("%s:%d: [%s%s%s] %s: %s", path,
	    cx_section_line(s, key), s->kind, s->name ? " " : "",
	    s->name ? s->name : "", key, what ? what : fmt);
	free(what);
	return e;
}

const char *
cx_section_need(const struct cx_section *s, const char *key, char **err)
{
	const char *path = s->cfg && s->cfg->path ? s->cfg->path : "config";
	const char *v = cx_section_get(s, key);

	if (v != NULL && *v != '\0')
		return v;
	*err = cx_xasprintf("%s:%d: [%s%s%s] needs %s", path,
	    cx_section_line(s, key), s->kind, s->name ? " " : "",
	    s->name ? s->name : "", key);
	return NULL;
}
