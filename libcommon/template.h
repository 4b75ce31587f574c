/* template.h - message templates: files, language fallback, {{placeholders}}
 *
 * SPDX-License-Identifier: MIT
 * A template NAME in language LANG is the file DIR/NAME.LANG.txt (UTF-8;
 * one trailing newline is dropped).  Fallback: zh-Hant-HK → zh-Hant →
 * zh → NAME.txt (each step drops the last "-subtag").  Template names are
 * [A-Za-z0-9_.-]+ and never start with '.', so a record cannot name a path.
 *
 * Placeholders are {{path}} or {{ path }}, path a dotted name
 * ("customer.name", "ticket.id").  Lookup order: the record's "vars"
 * object, then the record itself, then its "customer" object.  A string
 * is inserted as is, a number in its shortest form, true/false as words.
 * Missing, null, an object or an array is an error: the whole render
 * fails, so no literal "{{...}}" ever reaches a customer.  "{{{{" is not
 * special; text without placeholders is copied unchanged.
 */
#ifndef CX_TEMPLATE_H
#define CX_TEMPLATE_H

#include <jansson.h>

/* Finds the file for name/lang (lang may be NULL) in dir.  Returns the
 * malloc'd path, or NULL when none exists (errno ENOENT) or the name is
 * not valid (EINVAL).  *used_lang (if not NULL) receives the language of
 * the file found, malloc'd, or NULL for the default file.  A lang that is
 * not letters, digits and '-' is never put in a file name: only the
 * default file is looked for. */
char *cx_tmpl_find(const char *dir, const char *name, const char *lang,
    char **used_lang);

/* The same for several file kinds: at each language level, the first of
 * exts (e.g. {"md", "txt", NULL}) that exists wins; *used_ext (if not
 * NULL) receives it.  im-send uses it for markdown templates. */
char *cx_tmpl_find_ext(const char *dir, const char *name, const char *lang,
    const char *const *exts, char **used_lang, const char **used_ext);

/* Loads a template file into a malloc'd string (trailing newline
 * dropped); NULL with *err on failure.  Files are cached for the life of
 * the process (programs load the same few templates many times). */
const char *cx_tmpl_load(const char *path, char **err);

/* Renders src with values from rec.  Returns a malloc'd string, or NULL
 * with *missing set to the malloc'd path of the first placeholder that
 * could not be filled (or, for a malformed "{{" without "}}", NULL with
 * *missing = NULL and *err set).  A placeholder whose path is empty or
 * holds blanks or braces ("{{}}", "{{a b}}", "{{{{x}}") is malformed too:
 * *err, e.g. "malformed placeholder \"{{a b}}\" on line 2". */
char *cx_tmpl_render(const char *src, const json_t *rec, char **missing,
    char **err);

/* Finds (cx_tmpl_find_ext), loads and renders template name for rec in
 * one step, as a sender needs it.  Returns the malloc'd text, or NULL
 * with *code (a record.h code: bad_field for a name that is not valid,
 * template_missing, template_var_missing) and *msg (malloc'd, naming the
 * template and the variable).  With missing_ok, a template that has no
 * file gives NULL with *code NULL (the provider holds the text).
 * *used_ext (if not NULL) receives the extension of the file used. */
char *cx_tmpl_text(const char *dir, const char *name, const char *lang,
    const char *const *exts, int missing_ok, const json_t *rec,
    const char **used_ext, const char **code, char **msg);

/* Escapes every string inside v, in place (objects and arrays, at any
 * depth): each is replaced by esc(s, n, arg), a malloc'd string.  For
 * rendering a template whose values must not break the syntax around
 * them (a JSON body, Telegram's MarkdownV2): render from an escaped deep
 * copy of the record. */
void cx_tmpl_escape_all(json_t *v, char *(*esc)(const char *s, size_t n,
    void *arg), void *arg);

/* Looks up one placeholder path as the renderer does; borrowed ref. */
json_t *cx_tmpl_value(const json_t *rec, const char *path);

#endif
