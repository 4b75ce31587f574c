/* body.c - msg-recv's body parsers: form, JSON, WeCom's XML
 *
 * SPDX-License-Identifier: MIT
 * Pure functions of their input (no I/O, no globals), so that the fuzz
 * harness tests/fuzz/recv_body.c drives them directly.
 */
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "mr.h"

static int
utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		unsigned c = *p;
		size_t k;
		unsigned long v;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, v = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, v = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, v = c & 0x07;
		else
			return 0;
		if ((size_t)(e - p) <= k)
			return 0;
		for (size_t i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			v = v << 6 | (p[i] & 0x3f);
		}
		if ((k == 2 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
		    (k == 3 && (v < 0x10000 || v > 0x10ffff)))
			return 0;
		p += k + 1;
	}
	return 1;
}

static void
form_add(struct mr_form *f, char *name, char *value)
{
	f->names = cx_xrealloc(f->names, (f->n + 1) * sizeof *f->names);
	f->values = cx_xrealloc(f->values, (f->n + 1) * sizeof *f->values);
	f->names[f->n] = name;
	f->values[f->n] = value;
	f->n++;
}

int
mr_form_parse(const char *s, size_t n, struct mr_form *f)
{
	size_t i = 0;

	memset(f, 0, sizeof *f);
	while (i < n) {
		size_t j = i, eq;
		char *name, *value;

		while (j < n && s[j] != '&')
			j++;
		if (j == i) {
			i++;
			continue;
		}
		for (eq = i; eq < j && s[eq] != '='; eq++)
			;
		name = cx_url_decode(s + i, eq - i, 1);
		value = eq < j ? cx_url_decode(s + eq + 1, j - eq - 1, 1) :
		    cx_xstrdup("");
		form_add(f, name, value);
		/* cx_url_decode stops at a decoded NUL: compare lengths to
		 * what a NUL-free decoding would give. */
		if (memchr(s + i, '\0', j - i) != NULL ||
		    !utf8_ok(name, strlen(name)) ||
		    !utf8_ok(value, strlen(value)))
			goto bad;
		for (size_t k = i; k + 2 < j; k++)
			if (s[k] == '%' && s[k + 1] == '0' && s[k + 2] == '0')
				goto bad;
		i = j + 1;
	}
	return 0;
bad:
	mr_form_free(f);
	return -1;
}

void
mr_form_free(struct mr_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->names[i]);
		free(f->values[i]);
	}
	free(f->names);
	free(f->values);
	memset(f, 0, sizeof *f);
}

int
mr_json_form(const char *s, size_t n, struct mr_form *f, const char **why)
{
	json_t *o = mr_json_parse(s, n, 0, why), *v;
	const char *k;

	memset(f, 0, sizeof *f);
	if (o == NULL)
		return -1;
	json_object_foreach(o, k, v) {
		char *t = NULL;

		if (json_is_string(v))
			t = cx_xstrdup(json_string_value(v));
		else if (json_is_integer(v))
			t = cx_xasprintf("%lld",
			    (long long)json_integer_value(v));
		else if (json_is_real(v))
			t = cx_xasprintf("%.17g", json_real_value(v));
		else if (json_is_boolean(v))
			t = cx_xstrdup(json_is_true(v) ? "true" : "false");
		if (t != NULL)
			form_add(f, cx_xstrdup(k), t);
	}
	json_decref(o);
	return 0;
}

const char *
mr_form_get(const struct mr_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

json_t *
mr_json_parse(const char *s, size_t n, int want_array, const char **why)
{
	json_error_t e;
	json_t *j;

	j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		*why = "body is not valid JSON";
		return NULL;
	}
	if (json_is_object(j) && want_array == 0)
		return j;
	if (json_is_object(j) && want_array == -1) {
		json_t *a = json_array();

		json_array_append_new(a, j);
		return a;
	}
	if (json_is_array(j) && want_array != 0) {
		size_t i;
		json_t *v;

		json_array_foreach(j, i, v) {
			if (!json_is_object(v)) {
				json_decref(j);
				*why = "body is not an array of objects";
				return NULL;
			}
		}
		return j;
	}
	json_decref(j);
	*why = want_array == 0 ? "body is not a JSON object" :
	    want_array == 1 ? "body is not a JSON array" :
	    "body is not a JSON object or array";
	return NULL;
}

/* WeCom's XML: <xml><Name><![CDATA[value]]></Name>...</xml>. */
struct xml {
	struct mr_form *f;
	int depth, bad;
	struct cx_buf text;
	char *name;
};

static void XMLCALL
xml_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xml *x = ud;

	x->depth++;
	if (x->depth == 1) {
		if (strcmp(name, "xml") != 0)
			x->bad = 1;
	} else if (x->depth == 2) {
		free(x->name);
		x->name = cx_xstrdup(name);
		x->text.len = 0;
		if (x->text.s)
			x->text.s[0] = '\0';
	} else {
		x->bad = 1;
	}
}

static void XMLCALL
xml_end(void *ud, const XML_Char *name)
{
	struct xml *x = ud;

	if (x->depth == 2 && !x->bad) {
		if (x->f->n >= 64 || mr_form_get(x->f, x->name) != NULL) {
			x->bad = 1;
			free(x->name);
		} else {
			form_add(x->f, x->name,
			    cx_xstrdup(x->text.s ? x->text.s : ""));
		}
		x->name = NULL;
	}
	x->depth--;
}

static void XMLCALL
xml_chars(void *ud, const XML_Char *s, int len)
{
	struct xml *x = ud;

	if (x->depth == 2 && x->text.len + (size_t)len <= 65536)
		cx_buf_add(&x->text, s, (size_t)len);
	else if (x->depth == 2)
		x->bad = 1;
}

/* Refuses any DOCTYPE, hence entity declarations ("billion laughs"). */
static void XMLCALL
xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	struct xml *x = ud;

	x->bad = 1;
}

int
mr_xml_fields(const char *s, size_t n, struct mr_form *f)
{
	XML_Parser p;
	struct xml x = { .f = f };
	int rc;

	memset(f, 0, sizeof *f);
	if (n > 1 << 20 || memchr(s, '\0', n) != NULL)
		return -1;
	p = XML_ParserCreate("UTF-8");
	if (p == NULL)
		return -1;
	XML_SetUserData(p, &x);
	XML_SetElementHandler(p, xml_start, xml_end);
	XML_SetCharacterDataHandler(p, xml_chars);
	XML_SetStartDoctypeDeclHandler(p, xml_doctype);
	rc = XML_Parse(p, s, (int)n, 1) == XML_STATUS_OK && !x.bad ? 0 : -1;
	XML_ParserFree(p);
	free(x.name);
	cx_buf_free(&x.text);
	if (rc != 0 || f->n == 0) {
		mr_form_free(f);
		return -1;
	}
	return 0;
}
