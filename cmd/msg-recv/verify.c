/* verify.c - msg-recv's signature checks and WeCom's message crypto
 *
 * SPDX-License-Identifier: MIT
 * On sign.h and crypto.h (the senders' side of the same algorithms) and
 * OpenSSL's EVP for WeCom's AES-256-CBC.  Every comparison of a received
 * signature is constant time.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mr.h"

int
mr_hex_equal(const char *a, const char *b)
{
	size_t n = strlen(a);
	unsigned char d = 0;

	if (n != strlen(b))
		return 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(tolower((unsigned char)a[i]) ^
		    tolower((unsigned char)b[i]));
	return d == 0;
}

int
mr_twilio_verify(const char *token, const char *url,
    const struct mr_form *f, const char *sig)
{
	char want[CX_TWILIO_SIG_LEN];
	int good = 0;

	if (sig == NULL)
		return 0;
	for (int v = 0; v < 3; v++) {
		char *u = v == 0 ? cx_xstrdup(url) :
		    cx_twilio_url_port(url, v == 1);

		if (u == NULL)
			continue;
		cx_sign_twilio(token, u, (const char *const *)f->names,
		    (const char *const *)f->values, f->n, want);
		good |= cx_str_equal_ct(want, sig);
		free(u);
	}
	return good;
}

int
mr_twilio_verify_json(const char *token, const char *url, const char *body,
    size_t blen, const char *sig)
{
	const char *q = strchr(url, '?'), *want;
	struct mr_form qf, none = { 0 };
	char hex[65];
	int good;

	if (q == NULL || mr_form_parse(q + 1, strlen(q + 1), &qf) != 0)
		return 0;
	want = mr_form_get(&qf, "bodySHA256");
	cx_sha256_hex(body, blen, hex);
	good = want != NULL && mr_hex_equal(hex, want);
	mr_form_free(&qf);
	/* Both checks always run: no early answer to time. */
	return mr_twilio_verify(token, url, &none, sig) & good;
}

int
mr_slack_verify(const char *secret, const char *ts, const char *body,
    size_t blen, const char *sig)
{
	unsigned char mac[32];
	char hex[65], want[70];
	struct cx_buf b = { 0 };

	if (ts == NULL || sig == NULL)
		return 0;
	cx_buf_printf(&b, "v0:%s:", ts);
	cx_buf_add(&b, body, blen);
	cx_hmac(CX_SHA256, secret, strlen(secret), b.s, b.len, mac);
	cx_buf_free(&b);
	cx_hex(mac, sizeof mac, hex);
	snprintf(want, sizeof want, "v0=%s", hex);
	return cx_str_equal_ct(want, sig);
}

int
mr_vonage_verify(enum cx_vonage_sig m, const char *secret,
    const struct mr_form *f)
{
	const char *sig = mr_form_get(f, "sig");
	char want[CX_SIGN_HEX_MAX];

	if (sig == NULL)
		return 0;
	cx_sign_vonage(m, secret, (const char *const *)f->names,
	    (const char *const *)f->values, f->n, want);
	return mr_hex_equal(want, sig);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
mr_wecom_signature(const char *token, const char *timestamp,
    const char *nonce, const char *encrypt, char out[41])
{
	const char *v[4] = { token, timestamp, nonce, encrypt };
	struct cx_buf b = { 0 };
	unsigned char d[20];

	qsort(v, 4, sizeof *v, cmp_str);
	for (int i = 0; i < 4; i++)
		cx_buf_adds(&b, v[i]);
	cx_hash(CX_SHA1, b.s, b.len, d);
	cx_buf_free(&b);
	cx_hex(d, sizeof d, out);
}

/* The 32-byte key of a 43-character EncodingAESKey; 0 or -1. */
static int
wecom_key(const char *aes_key, unsigned char key[32])
{
	char b64[45];
	unsigned char *k;
	size_t n;

	if (strlen(aes_key) != 43)
		return -1;
	snprintf(b64, sizeof b64, "%s=", aes_key);
	k = cx_base64_decode(b64, 44, &n);
	if (k == NULL || n != 32) {
		free(k);
		return -1;
	}
	memcpy(key, k, 32);
	free(k);
	return 0;
}

static unsigned char *
aes_cbc(int enc, const unsigned char key[32], const unsigned char *in,
    size_t n, size_t *outlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char *out = cx_xmalloc(n + 32);
	int l1 = 0, l2 = 0;

	if (c == NULL || !EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key,
	    key, enc) || !EVP_CIPHER_CTX_set_padding(c, 0) ||
	    !EVP_CipherUpdate(c, out, &l1, in, (int)n) ||
	    !EVP_CipherFinal_ex(c, out + l1, &l2)) {
		EVP_CIPHER_CTX_free(c);
		free(out);
		return NULL;
	}
	EVP_CIPHER_CTX_free(c);
	*outlen = (size_t)(l1 + l2);
	return out;
}

char *
mr_wecom_decrypt(const char *aes_key, const char *encrypt, size_t *mlen,
    char **receiveid, const char **why)
{
	unsigned char key[32], *ct, *pt;
	size_t ctlen, ptlen, len;
	unsigned pad;
	char *msg;

	*receiveid = NULL;
	if (wecom_key(aes_key, key) != 0) {
		*why = "bad aes_key";
		return NULL;
	}
	ct = cx_base64_decode(encrypt, strlen(encrypt), &ctlen);
	if (ct == NULL || ctlen == 0 || ctlen % 32 != 0) {
		free(ct);
		*why = "Encrypt is not Base64 of whole AES blocks";
		return NULL;
	}
	pt = aes_cbc(0, key, ct, ctlen, &ptlen);
	free(ct);
	if (pt == NULL) {
		*why = "cannot decrypt";
		return NULL;
	}
	pad = pt[ptlen - 1];
	if (pad < 1 || pad > 32 || pad > ptlen || ptlen - pad < 20) {
		free(pt);
		*why = "bad padding (wrong aes_key?)";
		return NULL;
	}
	ptlen -= pad;
	len = (size_t)pt[16] << 24 | (size_t)pt[17] << 16 |
	    (size_t)pt[18] << 8 | pt[19];
	if (len > ptlen - 20) {
		free(pt);
		*why = "bad message length (wrong aes_key?)";
		return NULL;
	}
	msg = cx_xstrndup((const char *)pt + 20, len);
	*mlen = len;
	*receiveid = cx_xstrndup((const char *)pt + 20 + len,
	    ptlen - 20 - len);
	free(pt);
	return msg;
}

char *
mr_wecom_encrypt(const char *aes_key, const unsigned char rnd[16],
    const char *msg, size_t mlen, const char *receiveid)
{
	unsigned char key[32], *ct;
	struct cx_buf b = { 0 };
	unsigned char l[4] = { (unsigned char)(mlen >> 24),
	    (unsigned char)(mlen >> 16), (unsigned char)(mlen >> 8),
	    (unsigned char)mlen };
	size_t pad, ctlen;
	char *out;

	if (wecom_key(aes_key, key) != 0)
		return NULL;
	cx_buf_add(&b, rnd, 16);
	cx_buf_add(&b, l, 4);
	cx_buf_add(&b, msg, mlen);
	cx_buf_adds(&b, receiveid);
	pad = 32 - b.len % 32;
	for (size_t i = 0; i < pad; i++)
		cx_buf_addc(&b, (char)pad);
	ct = aes_cbc(1, key, (unsigned char *)b.s, b.len, &ctlen);
	cx_buf_free(&b);
	if (ct == NULL)
		return NULL;
	out = cx_base64(ct, ctlen);
	free(ct);
	return out;
}
