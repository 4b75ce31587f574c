/* normalize.c - unit tests for libcommon/normalize.c
 *
 * SPDX-License-Identifier: MIT
 * Every example of domain.md §1.5, goflow's tokenizer and number cases of
 * §1.4 (with our CJK difference), and the cost of one call, printed as a
 * TAP comment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "normalize.h"
#include "tap.h"
#include "xwrap.h"

static struct cx_norm *nm;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* s with controls escaped, for a test name (static: one at a time). */
static const char *
esc(const char *s)
{
	static char b[256];
	size_t o = 0;

	for (; *s != '\0' && o + 5 < sizeof(b); s++)
		if ((unsigned char)*s < 0x20)
			o += (size_t)snprintf(b + o, sizeof(b) - o, "\\x%02x",
			    (unsigned char)*s);
		else
			b[o++] = *s;
	b[o] = '\0';
	return b;
}

static void
norm_is(const char *in, const char *want)
{
	size_t len = 12345;
	char *got = cx_norm_text(nm, in, strlen(in), &len);

	is_str(got, want, "norm '%s' -> '%s'", esc(in), want);
	if (got != NULL && strlen(got) != len)
		ok(0, "length of '%s'", in);
	free(got);
}

/* Tokens of s, joined by '/'. */
static void
tokens_are(const char *s, const char *want)
{
	struct cx_token *t;
	struct cx_buf b = { 0 };
	size_t i, n;

	n = cx_norm_tokens(s, strlen(s), &t);
	cx_buf_adds(&b, "");
	for (i = 0; i < n; i++) {
		if (i > 0)
			cx_buf_addc(&b, '/');
		cx_buf_add(&b, s + t[i].off, t[i].len);
	}
	is_str(b.s, want, "tokens '%s' -> %s", s, want);
	if (n == 0 && t != NULL)
		ok(0, "tokens '%s': *toks not NULL when none", s);
	free(t);
	cx_buf_free(&b);
}

/* Numbers of s, printed with %g and joined by ' '. */
static void
numbers_are(const char *s, const char *want)
{
	double v[16];
	struct cx_buf b = { 0 };
	size_t i, n;

	n = cx_norm_numbers(s, strlen(s), v, 16);
	cx_buf_adds(&b, "");
	for (i = 0; i < n && i < 16; i++)
		cx_buf_printf(&b, "%s%.10g", i ? " " : "", v[i]);
	is_str(b.s, want, "numbers '%s' -> %s", s, want);
	cx_buf_free(&b);
}

static void
test_text(void)
{
	char *s, big[64];
	size_t len, i;

	/* domain.md §1.5: NFKC, case folding, brackets, trimming. */
	norm_is("ＳＴＯＰ", "stop");
	norm_is("１２３", "123");
	norm_is("（1）", "1");
	norm_is("［1］", "1");
	norm_is("①", "1");
	norm_is("【1】", "1");
	norm_is("【１】", "1");
	norm_is("⑴", "1");
	norm_is("⒈", "1");
	norm_is("1.", "1");
	norm_is("1、", "1");
	norm_is("﹝1﹞", "1");
	norm_is("「退订」", "退订");
	norm_is("选【2】查询", "选 2 查询");
	norm_is("Ⅲ", "iii");
	norm_is("〇一二三", "〇一二三");
	norm_is("退订\xe3\x80\x80谢谢", "退订 谢谢");	/* U+3000 */
	norm_is("\xe3\x80\x80STOP\xe3\x80\x80", "stop");
	norm_is("  Stop.  ", "stop");
	norm_is("STOP!!!", "stop");
	norm_is("Ｓｔｏｐ！", "stop");
	norm_is("停止。", "停止");
	norm_is("好的～", "好的");
	norm_is("ok~", "ok");
	norm_is("¿Qué?", "qué");
	norm_is("Straße", "strasse");
	norm_is("a \t\r\n b", "a b");
	norm_is("a\xc2\x85" "b", "a b");			/* NEL */
	norm_is("a\xe2\x80\xa8" "b", "a b");		/* LS */
	norm_is("\xef\xbb\xbfstop", "stop");			/* BOM */
	norm_is("stop\xe2\x80\x8b", "stop");			/* ZWSP */
	norm_is("don\xe2\x80\x99t", "don't");			/* ’ */
	norm_is("Don't.", "don't");
	norm_is("1 + 1", "1 + 1");
	norm_is("$5", "$5");
	norm_is("#1", "1");

	/* Traditional to Simplified. */
	norm_is("滿意", "满意");
	norm_is("不滿意", "不满意");
	norm_is("退訂", "退订");
	norm_is("回覆", "回复");
	norm_is("回復", "回复");
	norm_is("請回覆", "请回复");
	norm_is("退訂請回覆TD", "退订请回复td");
	norm_is("繁體", "繁体");
	norm_is("訂閱 幫助 簡體 語言 訂單 號", "订阅 帮助 简体 语言 订单 号");
	norm_is("開始 轉人工 評價 服務 查詢 投訴 發票 換貨",
	    "开始 转人工 评价 服务 查询 投诉 发票 换货");
	norm_is("取消 退款 客服 人工 中文 英文 停止 物流",
	    "取消 退款 客服 人工 中文 英文 停止 物流");
	norm_is("乾燥", "干燥");
	norm_is("\xf0\xa0\x81\x9e", "\xf0\xa0\x80\xbe");	/* U+2005E */
	norm_is("㍿", "株式会社");			/* longer than the input */
	norm_is("我要退订", "我要退订");
	norm_is("退款 W20251001", "退款 w20251001");
	norm_is("回复TD退订", "回复td退订");
	norm_is("Hello 您好，我要退訂 THANKS", "hello 您好,我要退订 thanks");
	norm_is("ＯＫ👍", "ok👍");
	norm_is("👍", "👍");
	norm_is("❤\xef\xb8\x8f", "❤");	/* presentation selector dropped */
	norm_is("😀 滿意！", "😀 满意");

	/* Edges. */
	norm_is("", "");
	norm_is("   ", "");
	norm_is("\xe3\x80\x80 \t\n", "");
	norm_is("!!!", "");
	norm_is("。", "");
	s = cx_norm_text(nm, "a\0b", 3, &len);
	ok(s != NULL && len == 3 && memcmp(s, "a b", 4) == 0,
	    "a NUL is a space");
	free(s);
	s = cx_norm_text(nm, "滿\0意", 7, &len);
	ok(s != NULL && len == 7 && strcmp(s, "满 意") == 0,
	    "a NUL in CJK text is a space too");
	free(s);
	ok(cx_norm_text(nm, "\xff", 1, NULL) == NULL, "invalid UTF-8: NULL");
	ok(cx_norm_text(nm, "ok\xc0\xaf", 4, NULL) == NULL,
	    "overlong: NULL");
	ok(cx_norm_text(nm, "\xed\xa0\x80", 3, NULL) == NULL,
	    "surrogate: NULL");
	ok(cx_norm_text(nm, "滿\xe6", 4, NULL) == NULL, "truncated: NULL");

	/* Every ASCII character: trimmed at the end iff P* or '~' (the
	 * hand-written tables of normalize.c against utf8proc). */
	for (i = 0x21; i < 0x7f; i++) {
		int cat = utf8proc_category((utf8proc_int32_t)i);
		int punct = i == '~' || (cat >= UTF8PROC_CATEGORY_PC &&
		    cat <= UTF8PROC_CATEGORY_PO);

		snprintf(big, sizeof(big), "a%c", (int)i);
		s = cx_norm_text(nm, big, 2, &len);
		if (!ok(s != NULL && len == (punct ? 1u : 2u),
		    "ascii 0x%02zx %s", i, punct ? "trimmed" : "kept"))
			printf("#   got '%s'\n", s ? s : "(null)");
		free(s);
	}
}

static void
test_big(void)
{
	struct cx_buf b = { 0 }, w = { 0 };
	char *s;
	size_t len;
	int i;

	for (i = 0; i < 4000; i++) {		/* 4000 x 28 bytes */
		cx_buf_adds(&b, "ＯＫ 滿意 thanks 8分！");
		cx_buf_adds(&w, "ok 满意 thanks 8分!");
	}
	w.len--;				/* no trailing '!' */
	w.s[w.len] = '\0';
	ok(b.len > 100000, "big text is %zu bytes", b.len);
	s = cx_norm_text(nm, b.s, b.len, &len);
	ok(s != NULL && len == w.len && strcmp(s, w.s) == 0,
	    "a 100 KB text");
	free(s);
	/* Once more: the buffers were let go, and are taken again. */
	s = cx_norm_text(nm, b.s, b.len, &len);
	ok(s != NULL && len == w.len, "a 100 KB text again");
	free(s);
	cx_buf_free(&b);
	cx_buf_free(&w);
}

static void
test_tokens(void)
{
	struct cx_token *t, dummy;
	char s[8];
	size_t i, n;

	/* Every ASCII character between two letters: one token (a word
	 * character), three (a symbol) or two (a separator). */
	for (i = 0x21; i < 0x7f; i++) {
		int cat = utf8proc_category((utf8proc_int32_t)i);
		size_t want = 2;

		if (cat >= UTF8PROC_CATEGORY_SM && cat <= UTF8PROC_CATEGORY_SO)
			want = 3;
		else if (cat <= UTF8PROC_CATEGORY_NO || i == '_' || i == '\'')
			want = 1;

		snprintf(s, sizeof(s), "a%cb", (int)i);
		n = cx_norm_tokens(s, 3, &t);
		ok(n == want, "ascii 0x%02zx: %zu tokens", i, want);
		free(t);
	}
	tokens_are("我要退订", "我/要/退/订");
	tokens_are("退订,谢谢", "退/订/谢/谢");
	tokens_are("回复td退订", "回/复/td/退/订");
	tokens_are("don't stop", "don't/stop");
	tokens_are("退款 #a12345", "退/款/a12345");
	tokens_are("😀ok", "😀/ok");
	tokens_are("1 + 1", "1/+/1");
	tokens_are("the quick brown fox", "the/quick/brown/fox");
	tokens_are(" world too ", "world/too");
	tokens_are("a_b c", "a_b/c");
	tokens_are("¥100", "¥/100");
	tokens_are("👍👍", "👍/👍");
	tokens_are("❤\xef\xb8\x8fok", "❤\xef\xb8\x8f/ok");	/* VS16 stays */
	tokens_are("👨\xe2\x80\x8d👩", "👨/👩");		/* ZWJ splits */
	tokens_are("cafe\xcc\x81 ok", "cafe\xcc\x81/ok");	/* combining */
	tokens_are("ありがとう", "あ/り/が/と/う");
	tokens_are("감사", "감/사");
	tokens_are("ok\xffno", "ok/no");
	tokens_are("\xcc\x81" "a", "\xcc\x81" "a");
	t = &dummy;
	ok(cx_norm_tokens("", 0, &t) == 0 && t == NULL, "no tokens: NULL");
	t = &dummy;
	ok(cx_norm_tokens(" ,. ", 4, &t) == 0 && t == NULL,
	    "only separators: NULL");
}

static void
test_numbers(void)
{
	double v[2];

	numbers_are("8分", "8");
	numbers_are("满意 8分", "8");
	numbers_are("1-15", "1 15");
	numbers_are("1,000,000", "1000000");
	numbers_are("-12.51", "-12.51");
	numbers_are("+12", "12");
	numbers_are("24ans", "24");
	numbers_are("第3", "3");
	numbers_are("w20251001", "");
	numbers_are("退款 w20251001 2", "2");
	numbers_are("a12,345.5 7", "7");
	numbers_are("a-5", "5");
	numbers_are("1,2,3", "1 2 3");
	numbers_are("12,34", "12 34");
	numbers_are("1234,567", "1234 567");
	numbers_are("1,000.50", "1000.5");
	numbers_are("8.5", "8.5");
	numbers_are("hi.51", "51");
	numbers_are("hi .51", "0.51");
	numbers_are("-.5", "-0.5");
	numbers_are("1.2.3", "1.2");
	numbers_are("8.", "8");
	numbers_are("007", "7");
	numbers_are("0.1", "0.1");
	numbers_are("", "");
	numbers_are("no numbers", "");
	numbers_are("12345678901234567890", "1.23456789e+19");
	ok(cx_norm_numbers("1 2 3", 5, v, 2) == 3 && v[0] == 1 && v[1] == 2,
	    "count beyond max");
	ok(cx_norm_numbers("1 2", 3, NULL, 0) == 2, "vals NULL with max 0");
	ok(cx_norm_numbers("-12.51", 6, v, 1) == 1 && v[0] == -12.51,
	    "-12.51 exactly");
	ok(cx_norm_numbers("0.3", 3, v, 1) == 1 && v[0] == 0.3,
	    "0.3 exactly");
}

static void
test_timing(void)
{
	static const struct {
		const char *text;
		int calls;
	} t[] = {
		{ "您好，满意 8分", 1000000 },
		{ "STOP", 1000000 },
		{ "退訂請回覆TD", 20000 },	/* through OpenCC */
	};
	double t0, t1;
	size_t k, len;
	int i;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		len = strlen(t[k].text);
		t0 = now();
		for (i = 0; i < t[k].calls; i++)
			free(cx_norm_text(nm, t[k].text, len, NULL));
		t1 = now();
		printf("# cx_norm_text(\"%s\"): %.0f ns a call (%d calls)\n",
		    t[k].text, (t1 - t0) / t[k].calls * 1e9, t[k].calls);
	}
}

int
main(void)
{
	double t0, t1;
	char *err = NULL;

	t0 = now();
	nm = cx_norm_new(&err);
	t1 = now();
	if (!ok(nm != NULL, "cx_norm_new")) {
		printf("# %s\n", err);
		free(err);
		return tap_done();
	}
	printf("# cx_norm_new: %.1f ms\n", (t1 - t0) * 1e3);
	test_text();
	test_big();
	test_tokens();
	test_numbers();
	if (getenv("CX_NORM_NOTIME") == NULL)
		test_timing();
	cx_norm_free(nm);
	cx_norm_free(NULL);
	return tap_done();
}
