/* rules.c - fuzz keyword-parse's rules parser and matcher (libFuzzer)
 *
 * SPDX-License-Identifier: MIT
 * Each input is a rules file; when it parses, a few replies (and the
 * input itself, as a reply) are matched against it.  Built by `make fuzz`
 * with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/keyword-parse/kp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cx_norm *norm;

static void
try_match(struct kp_rules *rs, const char *s, size_t n)
{
	struct kp_text t = { 0 };
	struct kp_match m;

	t.s = cx_norm_text(norm, s, n, &t.len);
	if (t.s == NULL)
		return;
	kp_match(rs, &t, &m);
	json_decref(m.entities);
	free(m.message);
	kp_text_free(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const replies[] = { "STOP", "【１】", "退款 W2025",
	    "8分", "滿意", "hello world 123 a@b.cn 2025-10-08", "" };
	struct kp_rules rs = { 0 };
	char *text, *err = NULL;

	if (norm == NULL) {
		cx_log_setup(CX_LOG_TEXT, -1);
		if ((norm = cx_norm_new(&err)) == NULL)
			abort();
	}
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	rs.norm = norm;
	if (kp_rules_parse(&rs, "<fuzz>", text, &err) == 0) {
		kp_rules_finish(&rs);
		for (size_t i = 0; i < sizeof replies / sizeof *replies; i++)
			try_match(&rs, replies[i], strlen(replies[i]));
		try_match(&rs, text, size);
	}
	free(err);
	kp_rules_free(&rs);
	free(text);
	return 0;
}
