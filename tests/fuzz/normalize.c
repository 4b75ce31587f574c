/* normalize.c - fuzz cx_norm_text, cx_norm_tokens and cx_norm_numbers
 *
 * SPDX-License-Identifier: MIT
 * libFuzzer (clang 14, Debian's libclang-rt-14-dev):
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *	    -Ilibcommon $(pkg-config --cflags $PKGS) tests/fuzz/normalize.c \
 *	    libcommon/[a-z]*.c $(pkg-config --libs $PKGS) -lm -o normalize-fuzz
 *	./normalize-fuzz -max_len=4096 tests/fuzz/corpus/normalize
 * Without libFuzzer, -DCX_FUZZ_STANDALONE gives a main() that runs each
 * file named on the command line once, or a built-in set of tricky
 * inputs when none is named.
 *
 * Besides the sanitizers' findings, abort() on a broken promise: NULL
 * exactly for invalid UTF-8, no NUL inside, at most 11 times the input
 * in bytes (NFKC's longest expansion: U+FDFA), valid UTF-8 out, no space
 * at either end nor two in a row; tokens inside the string, non-empty,
 * in order and apart.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cx_norm *nm;

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "normalize fuzz: broken: %s\n", what);
		abort();
	}
}

static void
check_tokens(const char *s, size_t len)
{
	struct cx_token *t;
	size_t i, n, end = 0;

	n = cx_norm_tokens(s, len, &t);
	check((n == 0) == (t == NULL), "*toks NULL iff no token");
	for (i = 0; i < n; i++) {
		check(t[i].len > 0, "empty token");
		check(t[i].off >= end, "tokens overlap or go back");
		check(t[i].off + t[i].len <= len, "token past the end");
		end = t[i].off + t[i].len;
	}
	free(t);
}

static void
check_numbers(const char *s, size_t len)
{
	double v[4];
	size_t n, m;

	n = cx_norm_numbers(s, len, v, 4);
	m = cx_norm_numbers(s, len, NULL, 0);
	check(n == m, "count depends on max");
	check(n <= len, "more numbers than bytes");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *out, *err = NULL;
	size_t len = 0, i;

	if (nm == NULL && (nm = cx_norm_new(&err)) == NULL) {
		fprintf(stderr, "normalize fuzz: %s\n", err);
		exit(2);
	}
	out = cx_norm_text(nm, s, size, &len);
	check((out != NULL) == cx_utf8_valid(s, size),
	    "NULL iff invalid UTF-8");
	if (out != NULL) {
		check(strlen(out) == len, "NUL inside or wrong *outlen");
		check(len <= 11 * size, "longer than NFKC can make it");
		check(cx_utf8_valid(out, len), "invalid UTF-8 out");
		check(len == 0 || (out[0] != ' ' && out[len - 1] != ' '),
		    "space at an end");
		for (i = 1; i < len; i++)
			check(out[i] != ' ' || out[i - 1] != ' ',
			    "two spaces in a row");
		check_tokens(out, len);
		check_numbers(out, len);
		free(out);
	}
	/* Raw input too: keyword-parse never does it, but must not crash. */
	check_tokens(s, size);
	check_numbers(s, size);
	return 0;
}

#ifdef CX_FUZZ_STANDALONE
/* Literals with their length, so that a NUL can be inside. */
#define T(lit)	{ lit, sizeof(lit) - 1 }
static const struct {
	const char *s;
	size_t len;
} tricky[] = {
	T(""), T(" "), T("\xe3\x80\x80"), T("STOP"), T("ＳＴＯＰ！"),
	T("【１】"), T("（1）"), T("①"), T("滿意"), T("回覆"), T("回復"),
	T("退訂請回覆TD"), T("我要退订"), T("don\xe2\x80\x99t"),
	T("a\0b"), T("滿\0意"), T("\0"), T("\xff"), T("\xc0\xaf"),
	T("\xed\xa0\x80"), T("\xf4\x90\x80\x80"), T("\xe6\xbb"),
	T("👨\xe2\x80\x8d👩\xe2\x80\x8d👧"), T("❤\xef\xb8\x8f"),
	T("\xcc\x81\xcc\x81"), T("\xef\xbb\xbf"), T("ﷺ"), T("㍿"), T("ǅ"),
	T("ΐ"), T("ﬃ"), T("1,000,000"), T("-12.51"), T("1-15"),
	T("w20251001"), T("-.5"), T("1.2.3"), T("1,"),
	T("99999999999999999999999999999999.99999999999999999999999"),
	T("0.0000000000000000000000000000001"), T("+"), T("-"), T("."),
	T(","), T("1."), T("a1"), T("回"), T("回\xe8\xa6\x86"),
	T("\xf0\xa0\x80\x80"), T("\xf0\xaf\xa8\x9f"),
	T("【】〔〕「」『』〖〗"), T("\xc2\x85\xe2\x80\xa8\xe2\x80\xa9"),
	T("\xe5\x9b\x9e \xe8\xa6\x86"), T("。！？!?.,，、~～"),
};

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, r;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		if ((r = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += r;
	}
	fclose(f);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char *argv[])
{
	size_t i, n = 0;
	int rc = 0;

	if (argc > 1)
		for (i = 1; i < (size_t)argc; i++, n++)
			rc |= run_file(argv[i]) == -1;
	else
		for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++, n++)
			LLVMFuzzerTestOneInput((const uint8_t *)tricky[i].s,
			    tricky[i].len);
	cx_norm_free(nm);
	fprintf(stderr, "normalize fuzz: %zu inputs\n", n);
	return rc;
}
#endif
