/* crypto.h - hashes, HMACs, base64, hex and URL encoding (OpenSSL libcrypto)
 *
 * SPDX-License-Identifier: MIT
 * All outputs are written into caller buffers of the stated size, or
 * returned malloc'd (cx_x*: never NULL).
 */
#ifndef CX_CRYPTO_H
#define CX_CRYPTO_H

#include <stddef.h>

enum cx_hash { CX_MD5, CX_SHA1, CX_SHA256, CX_SHA512 };

/* Digest length in bytes: 16, 20, 32, 64. */
size_t cx_hash_len(enum cx_hash h);
/* out must hold cx_hash_len(h) bytes. */
void cx_hash(enum cx_hash h, const void *data, size_t len, unsigned char *out);
void cx_hmac(enum cx_hash h, const void *key, size_t klen, const void *data,
    size_t len, unsigned char *out);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void cx_hex(const unsigned char *in, size_t n, char *out);
/* Convenience: lower-case hex SHA-256 of data into out[65]. */
void cx_sha256_hex(const void *data, size_t len, char out[65]);

/* Standard base64 with padding (RFC 4648 §4); malloc'd. */
char *cx_base64(const void *in, size_t n);
/* Decodes base64 (standard alphabet, padding optional); returns a malloc'd
 * buffer and its length in *outlen, or NULL on invalid input. */
unsigned char *cx_base64_decode(const char *in, size_t n, size_t *outlen);

/* Percent-encodes s (n bytes): unreserved A-Z a-z 0-9 - _ . ~ kept,
 * everything else %XX upper-case (RFC 3986; space is %20).  This is the
 * encoding Aliyun's and Tencent's signatures need.  Malloc'd. */
char *cx_url_encode(const char *s, size_t n);
/* application/x-www-form-urlencoded: as above but space becomes '+'. */
char *cx_form_encode(const char *s, size_t n);
/* Decodes %XX and (when plus_space) '+'; malloc'd, NUL-terminated. */
char *cx_url_decode(const char *s, size_t n, int plus_space);

/* Cryptographically random bytes (RAND_bytes); fatal on failure. */
void cx_random(void *out, size_t n);
/* A random UUID v4 string into out[37]. */
void cx_uuid(char out[37]);

/* Constant-time comparison of two NUL-terminated strings: 1 when equal. */
int cx_str_equal_ct(const char *a, const char *b);

#endif
