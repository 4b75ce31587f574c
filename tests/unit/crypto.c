/* crypto.c - unit tests for libcommon/crypto.c (known vectors)
 *
 * SPDX-License-Identifier: MIT
 * Digests: FIPS 180 examples; HMAC: RFC 4231 (SHA-256, SHA-512) and
 * RFC 2202 (SHA-1, MD5) test cases 1 and 2; base64: RFC 4648 §10.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "tap.h"

static void
hash_is(enum cx_hash h, const char *data, const char *want, const char *name)
{
	unsigned char d[64];
	char hex[129];

	cx_hash(h, data, strlen(data), d);
	cx_hex(d, cx_hash_len(h), hex);
	is_str(hex, want, "%s", name);
}

static void
hmac_is(enum cx_hash h, const void *key, size_t klen, const char *data,
    const char *want, const char *name)
{
	unsigned char d[64];
	char hex[129];

	cx_hmac(h, key, klen, data, strlen(data), d);
	cx_hex(d, cx_hash_len(h), hex);
	is_str(hex, want, "%s", name);
}

static void
test_hash(void)
{
	char hex[65];

	is_int(cx_hash_len(CX_MD5), 16, "MD5 length");
	is_int(cx_hash_len(CX_SHA1), 20, "SHA-1 length");
	is_int(cx_hash_len(CX_SHA256), 32, "SHA-256 length");
	is_int(cx_hash_len(CX_SHA512), 64, "SHA-512 length");
	hash_is(CX_SHA256, "",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "SHA-256 of the empty string");
	hash_is(CX_SHA256, "abc",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "SHA-256 of abc");
	hash_is(CX_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d",
	    "SHA-1 of abc");
	hash_is(CX_MD5, "", "d41d8cd98f00b204e9800998ecf8427e",
	    "MD5 of the empty string");
	hash_is(CX_SHA512, "abc",
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	    "SHA-512 of abc");
	cx_sha256_hex("abc", 3, hex);
	is_str(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "cx_sha256_hex");
}

static void
test_hmac(void)
{
	unsigned char k20[20], k16[16];

	memset(k20, 0x0b, sizeof(k20));
	memset(k16, 0x0b, sizeof(k16));
	hmac_is(CX_SHA256, k20, 20, "Hi There",
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    "RFC 4231 test case 1, HMAC-SHA-256");
	hmac_is(CX_SHA256, "Jefe", 4, "what do ya want for nothing?",
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "RFC 4231 test case 2, HMAC-SHA-256");
	hmac_is(CX_SHA512, "Jefe", 4, "what do ya want for nothing?",
	    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
	    "RFC 4231 test case 2, HMAC-SHA-512");
	hmac_is(CX_SHA1, k20, 20, "Hi There",
	    "b617318655057264e28bc0b6fb378c8ef146be00",
	    "RFC 2202 test case 1, HMAC-SHA-1");
	hmac_is(CX_SHA1, "Jefe", 4, "what do ya want for nothing?",
	    "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
	    "RFC 2202 test case 2, HMAC-SHA-1");
	hmac_is(CX_MD5, k16, 16, "Hi There",
	    "9294727a3638bb1c13f48ef8158bfc9d",
	    "RFC 2202 test case 1, HMAC-MD5");
	hmac_is(CX_MD5, "Jefe", 4, "what do ya want for nothing?",
	    "750c783e6ab0b503eaa86e310a5db738",
	    "RFC 2202 test case 2, HMAC-MD5");
	hmac_is(CX_SHA256, NULL, 0, "",
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
	    "HMAC-SHA-256 with an empty key and message");
}

static void
test_base64(void)
{
	static const char *v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *bad[] = { "Zg=", "Z", "Zm9v!", "Zm9v Yg==", "Zg=a",
	    "Zm9vY===", "=" };
	unsigned char *d, bin[4] = { 0xff, 0xfe, 0x00, 0x80 };
	size_t i, n;
	char *s;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = cx_base64(v[i][0], strlen(v[i][0]));
		is_str(s, v[i][1], "base64 of \"%s\"", v[i][0]);
		free(s);
		d = cx_base64_decode(v[i][1], strlen(v[i][1]), &n);
		ok(d && n == strlen(v[i][0]) &&
		    memcmp(d, v[i][0], n) == 0, "decode %s", v[i][1]);
		free(d);
	}
	d = cx_base64_decode("Zm9vYg", 6, &n);
	ok(d && n == 4 && memcmp(d, "foob", 4) == 0,
	    "decode without padding");
	free(d);
	d = cx_base64_decode("Zm9vYmE", 7, &n);
	ok(d && n == 5 && memcmp(d, "fooba", 5) == 0,
	    "decode without padding (one missing)");
	free(d);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = cx_base64_decode(bad[i], strlen(bad[i]), &n);
		ok(d == NULL, "reject \"%s\"", bad[i]);
		free(d);
	}
	s = cx_base64(bin, sizeof(bin));
	is_str(s, "//4AgA==", "base64 of binary bytes");
	d = cx_base64_decode(s, strlen(s), &n);
	ok(d && n == 4 && memcmp(d, bin, 4) == 0, "binary round trip");
	free(d);
	free(s);
}

static void
test_url(void)
{
	const char *in = "a b*~/\xe4\xb8\xad";	/* "a b*~/中" */
	char *s;

	s = cx_url_encode(in, strlen(in));
	is_str(s, "a%20b%2A~%2F%E4%B8%AD", "URL-encode \"a b*~/中\"");
	free(s);
	s = cx_form_encode(in, strlen(in));
	is_str(s, "a+b%2A~%2F%E4%B8%AD", "form-encode \"a b*~/中\"");
	free(s);
	s = cx_url_encode("AZaz09-_.~", 10);
	is_str(s, "AZaz09-_.~", "unreserved characters kept");
	free(s);
	s = cx_url_encode("a\0b", 3);
	is_str(s, "a%00b", "NUL byte encoded");
	free(s);
	s = cx_url_decode("a%20b%2a~%2F%E4%B8%AD", 21, 0);
	is_str(s, in, "URL-decode, mixed-case hex");
	free(s);
	s = cx_url_decode("a+b%2B", 6, 1);
	is_str(s, "a b+", "form-decode: '+' is a space, %%2B a plus");
	free(s);
	s = cx_url_decode("a+b", 3, 0);
	is_str(s, "a+b", "URL-decode keeps '+'");
	free(s);
	s = cx_url_decode("100%", 4, 0);
	is_str(s, "100%", "lone '%%' at the end kept");
	free(s);
	s = cx_url_decode("%zz%4", 5, 0);
	is_str(s, "%zz%4", "malformed escapes kept");
	free(s);
	s = cx_url_decode("abc", 2, 0);
	is_str(s, "ab", "only n bytes are read");
	free(s);
}

static void
test_random(void)
{
	char a[37], b[37];
	unsigned char r1[32], r2[32];
	int i, shape = 1;

	cx_random(r1, sizeof(r1));
	cx_random(r2, sizeof(r2));
	ok(memcmp(r1, r2, sizeof(r1)) != 0, "two random draws differ");
	cx_uuid(a);
	cx_uuid(b);
	is_int(strlen(a), 36, "UUID length");
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			shape &= a[i] == '-';
		else
			shape &= strchr("0123456789abcdef", a[i]) != NULL;
	}
	ok(shape, "UUID shape %s", a);
	ok(a[14] == '4', "UUID version 4");
	ok(strchr("89ab", a[19]) != NULL, "UUID variant");
	ok(strcmp(a, b) != 0, "two UUIDs differ");
}

static void
test_equal(void)
{
	ok(cx_str_equal_ct("secret", "secret"), "equal strings");
	ok(!cx_str_equal_ct("secret", "secreT"), "different strings");
	ok(!cx_str_equal_ct("secret", "secrets"), "different lengths");
	ok(cx_str_equal_ct("", ""), "empty strings");
}

int
main(void)
{
	test_hash();
	test_hmac();
	test_base64();
	test_url();
	test_random();
	test_equal();
	return tap_done();
}
