/* template.c - message templates: files, language fallback, {{placeholders}}
 *
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "record.h"
#include "template.h"
#include "xwrap.h"

/* Loaded files, for the life of the process: few, read many times. */
struct cached {
	char *path, *text;
	struct cached *next;
};
static struct cached *cache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int
valid_name(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0' || *name == '.')
		return 0;
	for (p = name; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p) == NULL)
			return 0;
	return 1;
}

/* A language tag we may put in a file name: letters, digits and '-'. */
static int
valid_lang(const char *lang)
{
	const char *p;

	if (lang == NULL || *lang == '\0' || *lang == '-')
		return 0;
	for (p = lang; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", *p) == NULL)
			return 0;
	return 1;
}

static int
is_file(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode);
}

/* NAME.TAG.EXT for the first of exts that exists, or NULL. */
static char *
find_exts(const char *dir, const char *name, const char *tag,
    const char *const *exts, const char **used_ext)
{
	for (int i = 0; exts[i]; i++) {
		char *path = tag ? cx_xasprintf("%s/%s.%s.%s", dir, name, tag,
		    exts[i]) : cx_xasprintf("%s/%s.%s", dir, name, exts[i]);

		if (is_file(path)) {
			if (used_ext != NULL)
				*used_ext = exts[i];
			return path;
		}
		free(path);
	}
	return NULL;
}

/* A lang that is not a plain BCP 47 tag is not used in a file name: the
 * default file is looked for instead. */
char *
cx_tmpl_find_ext(const char *dir, const char *name, const char *lang,
    const char *const *exts, char **used_lang, const char **used_ext)
{
	char *tag, *path, *dash;

	if (used_lang != NULL)
		*used_lang = NULL;
	if (dir == NULL || !valid_name(name)) {
		errno = EINVAL;
		return NULL;
	}
	if (valid_lang(lang)) {
		tag = cx_xstrdup(lang);
		for (;;) {
			path = find_exts(dir, name, tag, exts, used_ext);
			if (path) {
				if (used_lang != NULL)
					*used_lang = tag;
				else
					free(tag);
				return path;
			}
			if ((dash = strrchr(tag, '-')) == NULL)
				break;
			*dash = '\0';
		}
		free(tag);
	}
	path = find_exts(dir, name, NULL, exts, used_ext);
	if (path)
		return path;
	errno = ENOENT;
	return NULL;
}

char *
cx_tmpl_find(const char *dir, const char *name, const char *lang,
    char **used_lang)
{
	static const char *const txt[] = { "txt", NULL };

	return cx_tmpl_find_ext(dir, name, lang, txt, used_lang, NULL);
}

/* Is s (n bytes) valid UTF-8 without NUL bytes? */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned cp;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xC2 && s[i] <= 0xDF) {
			len = 2;
			cp = s[i] & 0x1F;
		} else if (s[i] >= 0xE0 && s[i] <= 0xEF) {
			len = 3;
			cp = s[i] & 0x0F;
		} else if (s[i] >= 0xF0 && s[i] <= 0xF4) {
			len = 4;
			cp = s[i] & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 &&
		    cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 ||
		    cp > 0x10FFFF)))
			return 0;
		i += len;
	}
	return 1;
}

static char *
read_file(const char *path, char **err)
{
	struct cx_buf b = { 0 };
	char chunk[8192];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		*err = cx_xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		cx_buf_add(&b, chunk, n);
	if (ferror(fp)) {
		*err = cx_xasprintf("%s: %s", path, strerror(errno));
		fclose(fp);
		cx_buf_free(&b);
		return NULL;
	}
	fclose(fp);
	if (!valid_utf8((const unsigned char *)b.s, b.len)) {
		*err = cx_xasprintf("%s: not valid UTF-8 text", path);
		cx_buf_free(&b);
		return NULL;
	}
	if (b.len > 0 && b.s[b.len - 1] == '\n') {
		b.s[--b.len] = '\0';
		if (b.len > 0 && b.s[b.len - 1] == '\r')
			b.s[--b.len] = '\0';
	}
	return cx_buf_take(&b);
}

const char *
cx_tmpl_load(const char *path, char **err)
{
	struct cached *c;
	char *text;

	*err = NULL;
	pthread_mutex_lock(&cache_lock);
	for (c = cache; c != NULL; c = c->next)
		if (strcmp(c->path, path) == 0)
			break;
	if (c == NULL && (text = read_file(path, err)) != NULL) {
		c = cx_xmalloc(sizeof(*c));
		c->path = cx_xstrdup(path);
		c->text = text;
		c->next = cache;
		cache = c;
	}
	pthread_mutex_unlock(&cache_lock);
	return c ? c->text : NULL;
}

json_t *
cx_tmpl_value(const json_t *rec, const char *path)
{
	json_t *v;

	if ((v = cx_rec_path(json_object_get(rec, "vars"), path)) != NULL)
		return v;
	if ((v = cx_rec_path(rec, path)) != NULL)
		return v;
	return cx_rec_path(json_object_get(rec, "customer"), path);
}

/* The shortest "%.*g" that reads back as d, in the C locale. */
static void
add_real(struct cx_buf *b, double d)
{
	static locale_t cloc;
	locale_t old = (locale_t)0;
	char s[40];
	int prec;

	if (cloc == (locale_t)0)
		cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (cloc != (locale_t)0)
		old = uselocale(cloc);
	for (prec = 1; prec < 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(s, sizeof s, "%.17g", d);
	if (cloc != (locale_t)0)
		uselocale(old);
	cx_buf_adds(b, s);
}

/* Appends v as text; -1 when it has no text form. */
static int
add_value(struct cx_buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		cx_buf_add(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		cx_buf_printf(b, "%lld", (long long)json_integer_value(v));
		return 0;
	case JSON_REAL:
		add_real(b, json_real_value(v));
		return 0;
	case JSON_TRUE:
		cx_buf_adds(b, "true");
		return 0;
	case JSON_FALSE:
		cx_buf_adds(b, "false");
		return 0;
	default:
		return -1;
	}
}

/* A placeholder path: dotted, no empty step, no blanks or braces. */
static int
valid_path(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (strchr(" \t\r\n{}", p[i]) != NULL && p[i] != '\0')
			return 0;
		if (p[i] == '.' && p[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* How much of [s, e) to quote in a message: at most 40 bytes, cut
 * before a UTF-8 continuation byte. */
static int
clip(const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	if (n <= 40)
		return (int)n;
	n = 40;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static int
line_of(const char *src, const char *at)
{
	int line = 1;

	for (; src < at; src++)
		if (*src == '\n')
			line++;
	return line;
}

char *
cx_tmpl_render(const char *src, const json_t *rec, char **missing,
    char **err)
{
	struct cx_buf b = { 0 };
	const char *p = src, *open, *close, *s, *e;
	json_t *v;
	char *path;

	*missing = NULL;
	*err = NULL;
	while ((open = strstr(p, "{{")) != NULL) {
		cx_buf_add(&b, p, (size_t)(open - p));
		if ((close = strstr(open + 2, "}}")) == NULL) {
			*err = cx_xasprintf("unterminated \"{{\" on line %d",
			    line_of(src, open));
			goto fail;
		}
		s = open + 2;
		e = close;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (!valid_path(s, (size_t)(e - s))) {
			*err = cx_xasprintf("malformed placeholder \"%.*s\" "
			    "on line %d", clip(open, close + 2), open,
			    line_of(src, open));
			goto fail;
		}
		path = cx_xstrndup(s, (size_t)(e - s));
		v = cx_tmpl_value(rec, path);
		if (v == NULL || add_value(&b, v) == -1) {
			*missing = path;
			goto fail;
		}
		free(path);
		p = close + 2;
	}
	cx_buf_adds(&b, p);
	return cx_buf_take(&b);
fail:
	cx_buf_free(&b);
	return NULL;
}

char *
cx_tmpl_text(const char *dir, const char *name, const char *lang,
    const char *const *exts, int missing_ok, const json_t *rec,
    const char **used_ext, const char **code, char **msg)
{
	char *path, *missing = NULL, *err = NULL, *text;
	const char *src;

	*code = NULL;
	*msg = NULL;
	path = cx_tmpl_find_ext(dir, name, lang, exts, NULL, used_ext);
	if (path == NULL) {
		if (errno == EINVAL) {
			*code = CX_E_BAD_FIELD;
			*msg = cx_xasprintf("'%s' is not a valid template name",
			    name);
		} else if (!missing_ok) {
			*code = CX_E_TEMPLATE_MISSING;
			*msg = cx_xasprintf("no template '%s'%s%s in %s", name,
			    lang ? " for language " : "", lang ? lang : "",
			    dir ? dir : "(no templates directory)");
		}
		return NULL;
	}
	src = cx_tmpl_load(path, &err);
	free(path);
	if (src == NULL) {
		*code = CX_E_TEMPLATE_MISSING;
		*msg = err;
		return NULL;
	}
	text = cx_tmpl_render(src, rec, &missing, &err);
	if (text == NULL) {
		if (missing) {
			*code = CX_E_TEMPLATE_VAR;
			*msg = cx_xasprintf("template '%s': variable '%s' is "
			    "missing", name, missing);
		} else {
			*code = CX_E_TEMPLATE_MISSING;
			*msg = cx_xasprintf("template '%s': %s", name,
			    err ? err : "malformed");
		}
		free(missing);
		free(err);
	}
	return text;
}

void
cx_tmpl_escape_all(json_t *v, char *(*esc)(const char *s, size_t n,
    void *arg), void *arg)
{
	const char *k;
	json_t *x;
	size_t i;
	char *s;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (!json_is_string(x)) {
				cx_tmpl_escape_all(x, esc, arg);
				continue;
			}
			s = esc(json_string_value(x), json_string_length(x),
			    arg);
			json_object_set_new(v, k, json_string(s));
			free(s);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (!json_is_string(x)) {
				cx_tmpl_escape_all(x, esc, arg);
				continue;
			}
			s = esc(json_string_value(x), json_string_length(x),
			    arg);
			json_array_set_new(v, i, json_string(s));
			free(s);
		}
	}
}
