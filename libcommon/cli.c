/* cli.c - the common options (one argp child), exit status, start and end
 *
 * SPDX-License-Identifier: MIT
 * Modelled on elfutils' argp children: every program embeds struct
 * cx_common in its options and lists cx_common_children in its argp.
 */
#include <argp.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "ndjson.h"

#ifndef CX_VERSION
#define CX_VERSION "0.1"
#endif

enum {
	OPT_STATE = CX_OPT_BASE,
	OPT_REJECTS,
	OPT_LOG_FORMAT,
};

static const struct argp_option common_options[] = {
	{ "config", 'c', "FILE", 0,
	  "Read the configuration from FILE (default: $CXKIT_CONFIG, else "
	  "$XDG_CONFIG_HOME/cxkit/config)", 0 },
	{ "dry-run", 'n', NULL, 0,
	  "Check and render every record, send nothing, change no state", 0 },
	{ "log-format", OPT_LOG_FORMAT, "FORMAT", 0,
	  "Diagnostics as 'text' (default) or 'json' lines on stderr", 0 },
	{ "quiet", 'q', NULL, 0, "Print errors only", 0 },
	{ "rejects", OPT_REJECTS, "FILE", 0,
	  "Append input lines that are not JSON objects to FILE, byte for "
	  "byte", 0 },
	{ "state", OPT_STATE, "FILE", 0,
	  "Use the state database FILE (default: $CXKIT_STATE, else "
	  "$XDG_STATE_HOME/cxkit/state.db)", 0 },
	{ "verbose", 'v', NULL, 0,
	  "Say more on stderr (repeat for debugging detail)", 0 },
	{ 0 }
};

static error_t
common_parse(int key, char *arg, struct argp_state *state)
{
	struct cx_common *c = state->input;

	switch (key) {
	case 'c':
		c->config = arg;
		break;
	case 'n':
		c->dry_run = 1;
		break;
	case 'q':
		c->quiet = 1;
		break;
	case 'v':
		c->verbose++;
		break;
	case OPT_STATE:
		c->state = arg;
		break;
	case OPT_REJECTS:
		c->rejects = arg;
		break;
	case OPT_LOG_FORMAT:
		if (strcmp(arg, "text") == 0)
			c->log_format = CX_LOG_TEXT;
		else if (strcmp(arg, "json") == 0)
			c->log_format = CX_LOG_JSON;
		else
			argp_error(state, "--log-format: '%s' is not text or "
			    "json", arg);
		break;
	case ARGP_KEY_END:
		if (c->quiet && c->verbose)
			argp_error(state, "--quiet and --verbose exclude each "
			    "other");
		cx_log_setup(c->log_format, c->quiet ? -1 : c->verbose);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cx_common_argp = {
	common_options, common_parse, NULL, NULL, NULL, NULL, NULL
};

const struct argp_child cx_common_children[] = {
	{ &cx_common_argp, 0, "Common options:", 10 },
	{ 0 }
};

const char *argp_program_bug_address =
    "the cxkit issue tracker";

static void
print_version(FILE *f, struct argp_state *state)
{
	(void)state;
	fprintf(f, "%s (cxkit) %s\n", cx_prog, CX_VERSION);
	fputs("Copyright (c) the cxkit authors.  MIT licence: "
	    "see COPYING.\n", f);
}

static int exit_status = CX_EXIT_OK;

void
cx_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	cx_prog = slash ? slash + 1 : argv0;
	setlocale(LC_ALL, "");
	argp_err_exit_status = CX_EXIT_USAGE;
	argp_program_version_hook = print_version;
	/* Writes to a closed pipe fail with EPIPE (handled by the ndjson
	 * writer) instead of killing the process: libcurl needs this too. */
	signal(SIGPIPE, SIG_IGN);
	/* glibc reads $TZ on its first time conversion, timegm's too, and
	 * cxtime.c sets TZ for other zones: that first reading happens here,
	 * before any program starts a thread that converts times (cx-report's
	 * parsers, queue-notify's reader), so it cannot race a setenv. */
	tzset();
}

void
cx_status_fail(void)
{
	if (exit_status < CX_EXIT_PARTIAL)
		exit_status = CX_EXIT_PARTIAL;
}

void
cx_status_fatal(void)
{
	exit_status = CX_EXIT_USAGE;
}

int
cx_status(void)
{
	return exit_status;
}

int
cx_finish(void)
{
	if (!cx_ndjson_closed()) {
		if (fflush(stdout) != 0 || ferror(stdout)) {
			if (errno != EPIPE)
				cx_err("<stdout>", "write error: %s",
				    strerror(errno));
			exit_status = CX_EXIT_USAGE;
		}
	}
	/* fclose() reports errors of the last write (e.g. ENOSPC on NFS). */
	if (fclose(stdout) != 0 && errno != EPIPE && !cx_ndjson_closed()) {
		cx_err("<stdout>", "close: %s", strerror(errno));
		exit_status = CX_EXIT_USAGE;
	}
	return exit_status;
}

long
cx_opt_long(struct argp_state *state, const char *opt, const char *arg,
    long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
		argp_error(state, "%s: '%s' is not a whole number from %ld "
		    "to %ld", opt, arg, min, max);
	return v;
}

double
cx_opt_double(struct argp_state *state, const char *opt, const char *arg,
    double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min && v <= max))
		argp_error(state, "%s: '%s' is not a number from %g to %g",
		    opt, arg, min, max);
	return v;
}
