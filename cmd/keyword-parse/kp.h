/* kp.h - what keyword-parse's main.c, rules.c and packs.c share
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef KP_H
#define KP_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cx.h"
#include "normalize.h"

/* The test of a rule (keyword-parse(5) documents each). */
enum kp_test {
	T_ANY_WORD, T_ALL_WORDS, T_PHRASE, T_ONLY_PHRASE, T_BEGINNING,
	T_TEXT, T_NUMBER, T_NUMBER_BETWEEN, T_PATTERN, T_PHONE, T_EMAIL,
	T_DATE,
};

struct kp_cond {
	enum kp_test test;
	/* Word and phrase tests: alternatives, each a list of tokens of the
	 * normalised argument (strings joined by single spaces, split by
	 * token offsets). */
	char **alt;		/* normalised alternatives */
	struct cx_token **alt_tok;
	size_t *alt_ntok;
	size_t nalt;
	double min, max;	/* has_number_between */
	char region[4];		/* has_phone */
	pcre2_code *re;		/* has_pattern, has_email, has_date */
	int dmy;		/* has_date: 0 mdy, 1 dmy, 2 ymd */
};

struct kp_rule {
	char *name;		/* [rule NAME] */
	char *intent, *route;
	int confidence;		/* KP_EXACT, KP_LOOSE, or KP_AUTO */
	struct kp_cond test;
	struct kp_cond unless;
	int has_unless;
	json_t *set;		/* constant entities */
	char **numbers;		/* pattern groups reported as numbers */
	char **upper;		/* pattern groups reported upper-case */
	char *as;		/* entity name for a number/phone/email/date */
	char *file;		/* where it was defined, for messages */
	int line;
};

enum { KP_AUTO, KP_EXACT, KP_LOOSE };

struct kp_rules {
	struct kp_rule *r;
	size_t n;
	/* has_only_phrase alternatives → the first rule holding them. */
	struct kp_slot *slots;
	size_t nslots;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	struct cx_norm *norm;
	/* The intents of recent short replies, by their text: replies
	 * repeat ("1", "STOP", "满意"), and the intent is a pure function
	 * of the text.  Direct-mapped, bounded: memory stays flat. */
	struct kp_memo *memo;
};

/* One reply being matched: its normal form, computed once. */
struct kp_text {
	char *s;		/* normalised text */
	size_t len;
	struct cx_token *tok;	/* tokens, computed lazily */
	size_t ntok;
	int tokenised;
	char *key;		/* tokens joined by single spaces */
};

struct kp_match {
	const struct kp_rule *rule;	/* NULL: nothing matched */
	json_t *entities;		/* new reference */
	int exact;
	const char *error;		/* a record-level error code, or NULL */
	char *message;			/* malloc'd, with error */
};

/* Parses rules from text (name is the file name for messages) and
 * appends them to rs.  Returns 0, or -1 with *err "FILE:LINE: reason". */
int kp_rules_parse(struct kp_rules *rs, const char *name, const char *text,
    char **err);
/* Builds the lookup table; call once after the last kp_rules_parse(). */
void kp_rules_finish(struct kp_rules *rs);
void kp_rules_free(struct kp_rules *rs);

/* The intent remembered for a reply's text (borrowed), or NULL, with its
 * compact JSON in *json (borrowed, NULL if it could not be made); and
 * remembering one (a reference is taken).  The intent object is shared by
 * every record that gets it, so it must never be changed. */
json_t *kp_memo_get(struct kp_rules *rs, const char *text, size_t len,
    const char **json, size_t *jsonlen);
void kp_memo_put(struct kp_rules *rs, const char *text, size_t len,
    json_t *intent);

/* Matches a normalised text against the rules in order. */
void kp_match(struct kp_rules *rs, struct kp_text *t, struct kp_match *m);
void kp_text_free(struct kp_text *t);

/* The built-in packs, by name, as rules text. */
struct kp_pack {
	const char *name;
	const char *doc;
	const char *text;
	int first;		/* evaluated before the user's rules */
};
extern const struct kp_pack kp_packs[];

#endif
