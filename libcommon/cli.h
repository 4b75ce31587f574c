/* cli.h - the common options (one argp child), exit status, start and end
 *
 * SPDX-License-Identifier: MIT
 * Use:
 *	struct opts { struct cx_common common; ... } o = { 0 };
 *	cx_init(argv[0]);
 *	argp_parse(&argp, argc, argv, 0, NULL, &o);   (children: cx_common_children,
 *	    and in ARGP_KEY_INIT: state->child_inputs[0] = &o->common)
 *	...
 *	return cx_finish();
 */
#ifndef CX_CLI_H
#define CX_CLI_H

#include <argp.h>

#include "log.h"

enum cx_exit { CX_EXIT_OK = 0, CX_EXIT_PARTIAL = 1, CX_EXIT_USAGE = 2 };

/* Long-only option keys start here (argp keys >= 0x100). */
#define CX_OPT_BASE 0x100

struct cx_common {
	const char *config;	/* -c FILE, else $CXKIT_CONFIG, else XDG */
	const char *state;	/* --state FILE, else $CXKIT_STATE, else XDG */
	const char *rejects;	/* --rejects FILE */
	int dry_run;		/* -n */
	int verbose;		/* -v, repeatable */
	int quiet;		/* -q */
	enum cx_log_format log_format;	/* --log-format */
};

extern const struct argp cx_common_argp;
extern const struct argp_child cx_common_children[];

/* Sets cx_prog, the locale (LC_ALL from the environment, for wide
 * characters in messages), argp_err_exit_status = 2, the version hook,
 * ignores SIGPIPE (writes then fail with EPIPE, handled by the ndjson
 * writer), and has glibc read $TZ once (tzset), so threads started later
 * may convert times while cxtime sets TZ.  Call it first, unthreaded. */
void cx_init(const char *argv0);

/* Sticky failure: once cx_status_fail() is called, cx_finish() returns at
 * least CX_EXIT_PARTIAL.  cx_status_fatal() forces CX_EXIT_USAGE. */
void cx_status_fail(void);
void cx_status_fatal(void);
int cx_status(void);

/* Flushes and closes stdout, checking for errors (a write error other than
 * EPIPE is reported); returns the exit status for main() to return. */
int cx_finish(void);

/* Parses a decimal integer option in [min,max]; argp_error()s otherwise. */
long cx_opt_long(struct argp_state *state, const char *opt, const char *arg,
    long min, long max);
/* Same for a non-negative decimal number (e.g. "2.5"). */
double cx_opt_double(struct argp_state *state, const char *opt,
    const char *arg, double min, double max);

#endif
