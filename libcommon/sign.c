/* sign.c - request signatures of the SMS providers and IM robots
 *
 * SPDX-License-Identifier: MIT
 * Each scheme is a canonical string built from sorted pairs, then a hash
 * or HMAC from crypto.h.  The pairs are sorted through an array of
 * pointers, so the caller's arrays are never reordered.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "sign.h"
#include "xwrap.h"

struct pair {
	const char *k, *v;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c;

	if ((c = strcmp(x->k, y->k)) != 0)
		return c;
	return strcmp(x->v, y->v);
}

/* Copies the pairs, leaving out those named skip (when not NULL), and
 * sorts them by name, then value.  *np receives the count; free() the
 * result. */
static struct pair *
sorted_pairs(const char *const *names, const char *const *values, size_t n,
    const char *skip, size_t *np)
{
	struct pair *p = cx_xcalloc(n ? n : 1, sizeof(*p));
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		if (skip != NULL && strcmp(names[i], skip) == 0)
			continue;
		p[m].k = names[i];
		p[m].v = values[i];
		m++;
	}
	qsort(p, m, sizeof(*p), pair_cmp);
	*np = m;
	return p;
}

/*
 * Twilio
 */

char *
cx_sign_twilio_string(const char *url, const char *const *names,
    const char *const *values, size_t n)
{
	struct cx_buf b = { 0 };
	struct pair *p;
	size_t i, m;

	cx_buf_adds(&b, url);
	p = sorted_pairs(names, values, n, NULL, &m);
	for (i = 0; i < m; i++) {
		cx_buf_adds(&b, p[i].k);
		cx_buf_adds(&b, p[i].v);
	}
	free(p);
	return cx_buf_take(&b);
}

void
cx_sign_twilio(const char *auth_token, const char *url,
    const char *const *names, const char *const *values, size_t n,
    char out[CX_TWILIO_SIG_LEN])
{
	unsigned char mac[20];
	char *s, *b64;

	s = cx_sign_twilio_string(url, names, values, n);
	cx_hmac(CX_SHA1, auth_token, strlen(auth_token), s, strlen(s), mac);
	b64 = cx_base64(mac, sizeof(mac));
	snprintf(out, CX_TWILIO_SIG_LEN, "%s", b64);
	free(b64);
	free(s);
}

char *
cx_twilio_url_port(const char *url, int add)
{
	const char *auth, *end, *host, *port, *p;
	const char *defport;

	if (strncasecmp(url, "https://", 8) == 0) {
		auth = url + 8;
		defport = "443";
	} else if (strncasecmp(url, "http://", 7) == 0) {
		auth = url + 7;
		defport = "80";
	} else {
		return NULL;
	}
	end = auth + strcspn(auth, "/?#");
	/* The host follows any user information. */
	host = auth;
	for (p = auth; p < end; p++)
		if (*p == '@')
			host = p + 1;
	if (*host == '[') {
		p = memchr(host, ']', (size_t)(end - host));
		if (p == NULL)
			return NULL;
		p++;
	} else {
		p = memchr(host, ':', (size_t)(end - host));
		if (p == NULL)
			p = end;
	}
	port = p < end && *p == ':' ? p : NULL;
	if (add) {
		if (port != NULL)
			return cx_xstrdup(url);
		return cx_xasprintf("%.*s:%s%s", (int)(p - url), url,
		    defport, p);
	}
	if (port == NULL)
		return cx_xstrdup(url);
	return cx_xasprintf("%.*s%s", (int)(port - url), url, end);
}

/*
 * Vonage
 */

int
cx_vonage_sig_method(const char *name, enum cx_vonage_sig *out)
{
	static const struct {
		const char *name;
		enum cx_vonage_sig m;
	} tab[] = {
		{ "md5hash", CX_VONAGE_MD5HASH },
		{ "md5", CX_VONAGE_HMAC_MD5 },
		{ "sha1", CX_VONAGE_HMAC_SHA1 },
		{ "sha256", CX_VONAGE_HMAC_SHA256 },
		{ "sha512", CX_VONAGE_HMAC_SHA512 },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(name, tab[i].name) == 0) {
			*out = tab[i].m;
			return 0;
		}
	}
	return -1;
}

char *
cx_sign_vonage_string(const char *const *names, const char *const *values,
    size_t n)
{
	struct cx_buf b = { 0 };
	struct pair *p;
	char **clean;
	size_t i, m;

	/* Replace '&' and '=' first: the sort sees the values signed. */
	clean = cx_xcalloc(n ? n : 1, sizeof(*clean));
	for (i = 0; i < n; i++) {
		char *c;

		clean[i] = cx_xstrdup(values[i]);
		for (c = clean[i]; *c != '\0'; c++)
			if (*c == '&' || *c == '=')
				*c = '_';
	}
	p = sorted_pairs(names, (const char *const *)clean, n, "sig", &m);
	cx_buf_adds(&b, "");
	for (i = 0; i < m; i++)
		cx_buf_printf(&b, "&%s=%s", p[i].k, p[i].v);
	free(p);
	for (i = 0; i < n; i++)
		free(clean[i]);
	free(clean);
	return cx_buf_take(&b);
}

void
cx_sign_vonage(enum cx_vonage_sig m, const char *secret,
    const char *const *names, const char *const *values, size_t n,
    char out[CX_SIGN_HEX_MAX])
{
	unsigned char d[64];
	enum cx_hash h;
	char *s, *t;

	s = cx_sign_vonage_string(names, values, n);
	switch (m) {
	case CX_VONAGE_MD5HASH:
		t = cx_xasprintf("%s%s", s, secret);
		cx_hash(CX_MD5, t, strlen(t), d);
		cx_hex(d, cx_hash_len(CX_MD5), out);
		free(t);
		free(s);
		return;
	case CX_VONAGE_HMAC_MD5:
		h = CX_MD5;
		break;
	case CX_VONAGE_HMAC_SHA1:
		h = CX_SHA1;
		break;
	case CX_VONAGE_HMAC_SHA512:
		h = CX_SHA512;
		break;
	case CX_VONAGE_HMAC_SHA256:
	default:
		h = CX_SHA256;
		break;
	}
	cx_hmac(h, secret, strlen(secret), s, strlen(s), d);
	cx_hex(d, cx_hash_len(h), out);
	free(s);
}

/*
 * Aliyun
 */

/* The canonical query of pairs, leaving out those named skip. */
static char *
aliyun_query(const char *const *names, const char *const *values, size_t n,
    const char *skip)
{
	struct cx_buf b = { 0 };
	struct pair *p;
	size_t i, m;

	/* Encode first: the order is that of the encoded names. */
	p = cx_xcalloc(n ? n : 1, sizeof(*p));
	for (i = m = 0; i < n; i++) {
		if (skip != NULL && strcmp(names[i], skip) == 0)
			continue;
		p[m].k = cx_url_encode(names[i], strlen(names[i]));
		p[m].v = cx_url_encode(values[i], strlen(values[i]));
		m++;
	}
	qsort(p, m, sizeof(*p), pair_cmp);
	cx_buf_adds(&b, "");
	for (i = 0; i < m; i++) {
		cx_buf_printf(&b, "%s%s=%s", i ? "&" : "", p[i].k, p[i].v);
		free((char *)p[i].k);
		free((char *)p[i].v);
	}
	free(p);
	return cx_buf_take(&b);
}

char *
cx_aliyun_canonical_query(const char *const *names,
    const char *const *values, size_t n)
{
	return aliyun_query(names, values, n, NULL);
}

char *
cx_sign_aliyun_v1_string(const char *method, const char *const *names,
    const char *const *values, size_t n)
{
	char *q, *eq, *s;

	q = aliyun_query(names, values, n, "Signature");
	eq = cx_url_encode(q, strlen(q));
	s = cx_xasprintf("%s&%%2F&%s", method, eq);
	free(eq);
	free(q);
	return s;
}

char *
cx_sign_aliyun_v1(const char *method, const char *secret,
    const char *const *names, const char *const *values, size_t n)
{
	unsigned char mac[20];
	char *s, *key;

	s = cx_sign_aliyun_v1_string(method, names, values, n);
	key = cx_xasprintf("%s&", secret);
	cx_hmac(CX_SHA1, key, strlen(key), s, strlen(s), mac);
	free(key);
	free(s);
	return cx_base64(mac, sizeof(mac));
}

/* 1 when the (lower-case) header name is one V3 signs. */
static int
acs3_signed(const char *name)
{
	return strcmp(name, "host") == 0 ||
	    strcmp(name, "content-type") == 0 ||
	    strncmp(name, "x-acs-", 6) == 0;
}

void
cx_sign_aliyun_v3(const struct cx_acs3 *in, struct cx_acs3_sig *out)
{
	struct cx_buf ch = { 0 }, sh = { 0 }, cr = { 0 };
	struct pair *p;
	char *query, *c, *q;
	unsigned char mac[32];
	const char *v, *e;
	size_t i, m;

	/* Lower-cased names and trimmed values of the signed headers. */
	p = cx_xcalloc(in->nh ? in->nh : 1, sizeof(*p));
	for (i = m = 0; i < in->nh; i++) {
		c = cx_xstrdup(in->hnames[i]);
		for (q = c; *q != '\0'; q++)
			*q = (char)tolower((unsigned char)*q);
		if (!acs3_signed(c)) {
			free(c);
			continue;
		}
		v = in->hvalues[i];
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		p[m].k = c;
		p[m].v = cx_xstrndup(v, (size_t)(e - v));
		m++;
	}
	qsort(p, m, sizeof(*p), pair_cmp);
	cx_buf_adds(&ch, "");
	cx_buf_adds(&sh, "");
	for (i = 0; i < m; i++) {
		if (i > 0 && strcmp(p[i].k, p[i - 1].k) == 0) {
			/* A repeated name: its sorted values, comma-joined. */
			ch.len--;
			cx_buf_printf(&ch, ",%s\n", p[i].v);
			continue;
		}
		cx_buf_printf(&ch, "%s:%s\n", p[i].k, p[i].v);
		cx_buf_printf(&sh, "%s%s", sh.len ? ";" : "", p[i].k);
	}
	for (i = 0; i < m; i++) {
		free((char *)p[i].k);
		free((char *)p[i].v);
	}
	free(p);

	query = aliyun_query(in->qnames, in->qvalues, in->nq, NULL);
	cx_buf_printf(&cr, "%s\n%s\n%s\n%s\n%s\n%s", in->method,
	    in->uri ? in->uri : "/", query, ch.s, sh.s, in->payload_hash);
	free(query);
	cx_buf_free(&ch);

	out->canonical_request = cx_buf_take(&cr);
	out->signed_headers = cx_buf_take(&sh);
	cx_sha256_hex(out->canonical_request, strlen(out->canonical_request),
	    out->hashed_request);
	c = cx_xasprintf("ACS3-HMAC-SHA256\n%s", out->hashed_request);
	cx_hmac(CX_SHA256, in->secret, strlen(in->secret), c, strlen(c), mac);
	cx_hex(mac, sizeof(mac), out->signature);
	free(c);
}

void
cx_acs3_sig_free(struct cx_acs3_sig *s)
{
	free(s->canonical_request);
	free(s->signed_headers);
	memset(s, 0, sizeof(*s));
}

/*
 * Tencent TC3
 */

int
cx_sign_tc3(const struct cx_tc3 *in, struct cx_tc3_sig *out)
{
	unsigned char k[32], k2[32];
	char date[32], *key, *cr, *sts;
	struct tm tm;
	time_t t;

	t = (time_t)in->timestamp;
	if ((long long)t != in->timestamp || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999 ||
	    strlen(in->service) > 40) {
		errno = EINVAL;
		return -1;
	}
	snprintf(date, sizeof(date), "%04d-%02d-%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday);
	snprintf(out->scope, sizeof(out->scope), "%s/%s/tc3_request", date,
	    in->service);

	cx_sha256_hex(in->payload, in->payload_len, out->payload_hash);
	cr = cx_xasprintf("%s\n%s\n%s\n%s\n%s\n%s",
	    in->method ? in->method : "POST", in->uri ? in->uri : "/",
	    in->query ? in->query : "", in->canonical_headers,
	    in->signed_headers, out->payload_hash);
	cx_sha256_hex(cr, strlen(cr), out->hashed_request);
	free(cr);
	sts = cx_xasprintf("TC3-HMAC-SHA256\n%lld\n%s\n%s", in->timestamp,
	    out->scope, out->hashed_request);

	key = cx_xasprintf("TC3%s", in->secret_key);
	cx_hmac(CX_SHA256, key, strlen(key), date, strlen(date), k);
	free(key);
	/* Never in place: each HMAC reads its key while writing out. */
	cx_hmac(CX_SHA256, k, sizeof(k), in->service, strlen(in->service), k2);
	cx_hmac(CX_SHA256, k2, sizeof(k2), "tc3_request", 11, k);
	cx_hmac(CX_SHA256, k, sizeof(k), sts, strlen(sts), k2);
	cx_hex(k2, sizeof(k2), out->signature);
	free(sts);
	return 0;
}

/*
 * IM robots
 */

void
cx_sign_dingtalk(const char *secret, long long timestamp_ms,
    char b64[CX_SIGN_B64_LEN], char *enc)
{
	unsigned char mac[32];
	char *s, *b, *e;

	s = cx_xasprintf("%lld\n%s", timestamp_ms, secret);
	cx_hmac(CX_SHA256, secret, strlen(secret), s, strlen(s), mac);
	explicit_bzero(s, strlen(s));
	free(s);
	b = cx_base64(mac, sizeof(mac));
	snprintf(b64, CX_SIGN_B64_LEN, "%s", b);
	if (enc != NULL) {
		e = cx_url_encode(b, strlen(b));
		snprintf(enc, CX_SIGN_B64_ENC_LEN, "%s", e);
		free(e);
	}
	free(b);
}

void
cx_sign_feishu(const char *secret, long long timestamp_s,
    char b64[CX_SIGN_B64_LEN])
{
	unsigned char mac[32];
	char *key, *b;

	key = cx_xasprintf("%lld\n%s", timestamp_s, secret);
	cx_hmac(CX_SHA256, key, strlen(key), "", 0, mac);
	explicit_bzero(key, strlen(key));
	free(key);
	b = cx_base64(mac, sizeof(mac));
	snprintf(b64, CX_SIGN_B64_LEN, "%s", b);
	free(b);
}

int
cx_wecom_image(const char *path, size_t max, char **b64, char md5[33])
{
	unsigned char *buf, sum[16];
	size_t len = 0, cap;
	struct stat sb;
	ssize_t r = 0;
	int fd, e = 0;

	*b64 = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		e = errno;
	else if (S_ISDIR(sb.st_mode))
		e = EISDIR;
	else if (sb.st_size > 0 && (unsigned long long)sb.st_size > max)
		e = EFBIG;
	if (e != 0) {
		close(fd);
		errno = e;
		return -1;
	}
	/* The size is a hint (a pipe has none, a file may grow): read
	 * until the end, failing once past max. */
	cap = sb.st_size > 0 ? (size_t)sb.st_size + 1 : 4096;
	buf = cx_xmalloc(cap);
	for (;;) {
		if (len == cap) {
			cap = cap < max / 2 ? 2 * cap : max + 1;
			buf = cx_xrealloc(buf, cap);
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len > max)
			break;
	}
	e = r == -1 ? errno : len > max ? EFBIG : len == 0 ? EINVAL : 0;
	close(fd);
	if (e == 0) {
		cx_hash(CX_MD5, buf, len, sum);
		cx_hex(sum, sizeof(sum), md5);
		*b64 = cx_base64(buf, len);
	}
	free(buf);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}
