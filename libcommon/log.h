/* log.h - diagnostics on stderr: "prog: context: message", or JSON lines
 *
 * SPDX-License-Identifier: MIT
 * Every message passes through one formatter that masks phone numbers
 * (any run of 7 or more digits, optionally after '+', keeps only its last
 * 4 digits: +86*******8000) unless cx_log_show_pii(1) was called.
 * Messages never end with a period or newline; the formatter adds '\n'.
 * With CX_LOG_JSON each message is one object:
 *   {"ts":"…","prog":"sms-send","level":"warn","context":"<stdin>:3","msg":"…"}
 */
#ifndef CX_LOG_H
#define CX_LOG_H

#include <stdarg.h>

enum cx_log_format { CX_LOG_TEXT, CX_LOG_JSON };
enum cx_log_level { CX_LOG_ERR, CX_LOG_WARN, CX_LOG_INFO, CX_LOG_DEBUG };

/* Program name (basename of argv[0]); set by cx_init(). */
extern const char *cx_prog;

/* verbosity: -1 quiet (errors only), 0 default (errors + warnings +
 * notices), 1 info, 2 debug. */
void cx_log_setup(enum cx_log_format fmt, int verbosity);
void cx_log_show_pii(int show);

/* context may be NULL (then "prog: message"). */
void cx_log(enum cx_log_level lvl, const char *context, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cx_vlog(enum cx_log_level lvl, const char *context, const char *fmt,
    va_list ap);
#define cx_err(ctx, ...)   cx_log(CX_LOG_ERR, ctx, __VA_ARGS__)
#define cx_warn(ctx, ...)  cx_log(CX_LOG_WARN, ctx, __VA_ARGS__)
#define cx_info(ctx, ...)  cx_log(CX_LOG_INFO, ctx, __VA_ARGS__)
#define cx_debug(ctx, ...) cx_log(CX_LOG_DEBUG, ctx, __VA_ARGS__)
/* Notices: shown by default, hidden by -q (e.g. "writing to the outbox"). */
void cx_notice(const char *context, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Logs at CX_LOG_ERR and exits with CX_EXIT_USAGE (2). */
void cx_die(const char *context, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Masks phone-like digit runs in s into a new malloc'd string. */
char *cx_log_mask(const char *s);

#endif
