/* crypto.c - hashes, HMACs, base64, hex and URL encoding (OpenSSL libcrypto)
 *
 * SPDX-License-Identifier: MIT
 * Digests and HMACs are OpenSSL's one-shot calls (EVP_Digest, HMAC), which
 * are not deprecated in 3.0.  Base64 encoding is EVP_EncodeBlock; decoding
 * is written here because EVP_DecodeBlock neither accepts missing padding
 * nor reports the padding it decoded.  The URL encoders are hand-written:
 * they are a few lines and libcurl's would need a handle.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "log.h"
#include "xwrap.h"

static const EVP_MD *
md(enum cx_hash h)
{
	switch (h) {
	case CX_MD5:
		return EVP_md5();
	case CX_SHA1:
		return EVP_sha1();
	case CX_SHA256:
		return EVP_sha256();
	case CX_SHA512:
		return EVP_sha512();
	}
	return EVP_sha256();
}

size_t
cx_hash_len(enum cx_hash h)
{
	switch (h) {
	case CX_MD5:
		return 16;
	case CX_SHA1:
		return 20;
	case CX_SHA256:
		return 32;
	case CX_SHA512:
		return 64;
	}
	return 32;
}

void
cx_hash(enum cx_hash h, const void *data, size_t len, unsigned char *out)
{
	if (EVP_Digest(data, len, out, NULL, md(h), NULL) != 1)
		cx_die(NULL, "EVP_Digest failed");
}

void
cx_hmac(enum cx_hash h, const void *key, size_t klen, const void *data,
    size_t len, unsigned char *out)
{
	static const unsigned char nokey[1];

	/* HMAC() reads key even when klen is 0; never hand it NULL. */
	if (klen > INT32_MAX)
		cx_die(NULL, "HMAC key too long");
	if (HMAC(md(h), key ? key : nokey, (int)klen, data, len, out,
	    NULL) == NULL)
		cx_die(NULL, "HMAC failed");
}

void
cx_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void
cx_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[32];

	cx_hash(CX_SHA256, data, len, d);
	cx_hex(d, sizeof(d), out);
}

char *
cx_base64(const void *in, size_t n)
{
	char *out = cx_xmalloc((n + 2) / 3 * 4 + 1);
	const unsigned char *p = in;
	size_t done = 0, chunk, w = 0;

	/* EVP_EncodeBlock takes an int length: feed it in whole groups. */
	while (n - done > 0) {
		chunk = n - done;
		if (chunk > 3 * (1u << 28))
			chunk = 3 * (1u << 28);
		w += (size_t)EVP_EncodeBlock((unsigned char *)out + w,
		    p + done, (int)chunk);
		done += chunk;
	}
	out[w] = '\0';
	return out;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

unsigned char *
cx_base64_decode(const char *in, size_t n, size_t *outlen)
{
	unsigned char *out;
	size_t i, pad = 0, data, o = 0;
	unsigned long acc = 0;
	int bits = 0, v;

	/* Padding, when present, completes the last group of four. */
	while (pad < n && pad < 2 && in[n - 1 - pad] == '=')
		pad++;
	data = n - pad;
	if (pad > 0 && n % 4 != 0)
		return NULL;
	if (data % 4 == 1)
		return NULL;
	out = cx_xmalloc(data / 4 * 3 + 3);
	for (i = 0; i < data; i++) {
		if ((v = b64val((unsigned char)in[i])) < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1ul << bits) - 1;
		}
	}
	*outlen = o;
	out[o] = '\0';
	return out;
}

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

static char *
encode(const char *s, size_t n, int plus)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = cx_xmalloc(3 * n + 1), *o = out;
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (unreserved(c)) {
			*o++ = (char)c;
		} else if (c == ' ' && plus) {
			*o++ = '+';
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
		}
	}
	*o = '\0';
	return out;
}

char *
cx_url_encode(const char *s, size_t n)
{
	return encode(s, n, 0);
}

char *
cx_form_encode(const char *s, size_t n)
{
	return encode(s, n, 1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
cx_url_decode(const char *s, size_t n, int plus_space)
{
	char *out = cx_xmalloc(n + 1), *o = out;
	size_t i;
	int hi, lo;

	/* A '%' not followed by two hex digits is kept as it is. */
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			*o++ = ' ';
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

void
cx_random(void *out, size_t n)
{
	unsigned char *p = out;
	size_t chunk;

	while (n > 0) {
		chunk = n > INT32_MAX ? INT32_MAX : n;
		if (RAND_bytes(p, (int)chunk) != 1)
			cx_die(NULL, "RAND_bytes failed");
		p += chunk;
		n -= chunk;
	}
}

void
cx_uuid(char out[37])
{
	unsigned char b[16];
	char hex[33];

	cx_random(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10 (RFC 9562) */
	cx_hex(b, sizeof(b), hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

int
cx_str_equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	/* Only the lengths may leak, never where the contents differ. */
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}
