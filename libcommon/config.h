/* config.h - the INI configuration file (parsed with inih)
 *
 * SPDX-License-Identifier: MIT
 * Found at --config FILE, else $CXKIT_CONFIG, else
 * $XDG_CONFIG_HOME/cxkit/config (XDG_CONFIG_HOME defaults to ~/.config).
 * A missing default file means "no configuration" (not an error); a file
 * named by --config or $CXKIT_CONFIG must exist.
 *
 * Sections are "[KIND]" or "[KIND NAME]" ("[provider twilio-main]",
 * "[template csat_ask]", "[defaults]").  Keys before any section, an
 * unknown KIND, a duplicate section or a duplicate key are errors naming
 * the file and line.  Values are trimmed; "#" and ";" start comments
 * (at the start of a line, or after a blank within one).  Leading blanks
 * are ignored (no continuation lines); a line holds at most 198 bytes
 * (inih's buffer).
 *
 * Secrets: a key listed in cx_config_secret_keys (auth_token, api_secret,
 * access_key_secret, secret_key, password, token, secret, ...) may hold
 * "env:NAME" (the environment variable NAME) or "file:PATH" (the file's
 * first line) or a literal; a file holding a literal secret that is
 * readable by group or others is refused at load time, as ssh does.
 * Resolved secrets are never logged.
 */
#ifndef CX_CONFIG_H
#define CX_CONFIG_H

struct cx_kv {
	char *key, *value;
	int line;
};

struct cx_section {
	char *kind;		/* "provider" */
	char *name;		/* "twilio-main", or NULL for "[defaults]" */
	int line;
	struct cx_kv *kv;
	int nkv;
	const struct cx_config *cfg;
};

struct cx_config {
	char *path;		/* NULL when no file was found */
	char *dir;		/* directory of the file (templates/ lives here) */
	struct cx_section *sec;
	int nsec;
	int private;		/* file mode has no group/other read bits */
};

extern const char *const cx_config_secret_keys[];
/* The keys of [defaults], shared by all programs (each documented in
 * cxkit(7)): region, tz, via, quiet_hours.  A program checks its
 * [defaults] against this list; later programs add theirs here. */
extern const char *const cx_config_defaults_keys[];

/* Loads the configuration.  path may be NULL (use the environment and
 * XDG).  Returns a config (never NULL on success; with no file, an empty
 * config whose path is NULL), or NULL with *err set (malloc'd message of
 * the form "FILE:LINE: reason"). */
struct cx_config *cx_config_load(const char *path, char **err);
void cx_config_free(struct cx_config *cfg);

/* The section [kind name] (name NULL matches "[kind]"), or NULL. */
const struct cx_section *cx_config_get(const struct cx_config *cfg,
    const char *kind, const char *name);
/* Iterates sections of one kind: pass NULL first, then the previous. */
const struct cx_section *cx_config_next(const struct cx_config *cfg,
    const char *kind, const struct cx_section *prev);

/* The raw value of key, or NULL. */
const char *cx_section_get(const struct cx_section *s, const char *key);
/* The line of key, or the section's line when absent. */
int cx_section_line(const struct cx_section *s, const char *key);
/* Checks every key of s is in allowed (NULL-terminated).  Returns 0, or -1
 * with *err = "FILE:LINE: unknown key 'k' in [kind name]". */
int cx_section_check(const struct cx_section *s, const char *const *allowed,
    char **err);
/* Resolves a secret value (env:, file:, literal).  Returns a malloc'd
 * string, or NULL with *err set ("FILE:LINE: key: environment variable
 * NAME is not set") without the secret in it.  A key that is absent gives
 * NULL with *err = "FILE:LINE: [kind name] needs key". */
char *cx_section_secret(const struct cx_section *s, const char *key,
    char **err);
/* A configuration error about key of s: "FILE:LINE: [KIND NAME] key:
 * ..." (the line of key, else of the section); malloc'd.  Never pass a
 * secret's value. */
char *cx_section_err(const struct cx_section *s, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The value of a key s cannot do without, or NULL with *err = "FILE:LINE:
 * [KIND NAME] needs KEY" (malloc'd). */
const char *cx_section_need(const struct cx_section *s, const char *key,
    char **err);
/* Wipes and frees a secret from cx_section_secret() (NULL is fine). */
void cx_secret_free(char *secret);
/* Parses key as a number in [min,max]; returns 0 and sets *out (left
 * alone when the key is absent), or -1 with *err. */
int cx_section_double(const struct cx_section *s, const char *key,
    double min, double max, double *out, char **err);

/* Templates directory: $CXKIT_TEMPLATES, else DIR/templates next to the
 * config file, else $XDG_CONFIG_HOME/cxkit/templates.  Malloc'd. */
char *cx_config_template_dir(const struct cx_config *cfg);

#endif
