/* aliyun.c - sms-send provider: Alibaba Cloud (Aliyun) Dysmsapi SendSms
 *
 * SPDX-License-Identifier: MIT
 * Sends an approved template (TemplateCode, with TemplateParam the JSON
 * object of its parameters as strings) under SignName, with OutId = the
 * record id (providers.md §3).  Two signatures, by signature_version:
 *   1  POST form body holding every parameter, the V1 common parameters
 *      and Signature (HMAC-SHA1);
 *   3  (default) POST with the business parameters in the query, an
 *      empty body, x-acs-* headers and Authorization: ACS3-HMAC-SHA256.
 * Times come from cx_now() ($CXKIT_NOW pins them for tests) and nonces
 * from cx_uuid(); every attempt is signed afresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "sms-send.h"

#define ACTION	"SendSms"
#define VERSION	"2017-05-25"
#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define FORM	"application/x-www-form-urlencoded"

struct aliyun {
	const char *akid;	/* access_key_id */
	char *secret;		/* access_key_secret: a secret */
	const char *sign;	/* sign_name */
	const char *region;	/* region */
	int version;		/* 1 or 3 */
	char *host;		/* Host header, from base_url */
	char *path;		/* base_url's path, no trailing '/' */
};

static const char *const aliyun_keys[] = {
	"access_key_id", "access_key_secret", "sign_name",
	"signature_version", "region", NULL
};

static int
aliyun_init(struct sms_prov *p, char **err)
{
	struct aliyun *a = cx_xcalloc(1, sizeof(*a));
	const char *ver;

	p->priv = a;
	if ((a->akid = cx_section_need(p->sec, "access_key_id", err)) == NULL ||
	    (a->sign = cx_section_need(p->sec, "sign_name", err)) == NULL)
		return -1;
	a->region = cx_section_get(p->sec, "region");
	if (a->region == NULL)
		a->region = "cn-hangzhou";
	a->version = 3;
	if ((ver = cx_section_get(p->sec, "signature_version")) != NULL) {
		if (strcmp(ver, "1") == 0 || strcmp(ver, "1.0") == 0) {
			a->version = 1;
		} else if (strcmp(ver, "3") != 0) {
			*err = cx_section_err(p->sec, "signature_version",
			    "'%s' is neither 1 nor 3", ver);
			return -1;
		}
	}
	if (sms_url_split(p->base_url, &a->host, &a->path) != 0) {
		*err = cx_section_err(p->sec, "base_url", "not an http(s) URL");
		return -1;
	}
	a->secret = cx_section_secret(p->sec, "access_key_secret", err);
	return a->secret == NULL ? -1 : 0;
}

/* TemplateParam: the parameters as a compact JSON object of strings.
 * Returns NULL (no TemplateParam) when there are none, or sets *bad to
 * the name of a parameter that is no string, number or boolean. */
static char *
template_param(const json_t *params, const char **bad)
{
	json_t *o, *v;
	const char *k;
	char *s, num[64];

	*bad = NULL;
	if (!json_is_object(params) || json_object_size(params) == 0)
		return NULL;
	o = json_object();
	json_object_foreach((json_t *)params, k, v) {
		if (json_is_string(v)) {
			json_object_set(o, k, v);
			continue;
		}
		if (json_is_integer(v))
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		else if (json_is_real(v))
			snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		else if (json_is_boolean(v))
			snprintf(num, sizeof(num), "%s",
			    json_is_true(v) ? "true" : "false");
		else {
			*bad = k;
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, k, json_string(num));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		cx_die(NULL, "out of memory");
	return s;
}

/* Aliyun's number format: mainland numbers as 11 bare digits, the
 * others as country code + number without '+'. */
static const char *
phone(const char *e164)
{
	if (strncmp(e164, "+86", 3) == 0)
		return e164 + 3;
	return e164[0] == '+' ? e164 + 1 : e164;
}

struct params {
	const char *k[16], *v[16];
	size_t n;
};

static void
put(struct params *q, const char *k, const char *v)
{
	q->k[q->n] = k;
	q->v[q->n] = v;
	q->n++;
}

static void
build_v1(struct aliyun *a, struct params *q, const char *ts,
    const char *nonce, struct cx_http_req *req)
{
	char *query, *sig, *esig, *body;

	put(q, "AccessKeyId", a->akid);
	put(q, "Action", ACTION);
	put(q, "Format", "JSON");
	put(q, "RegionId", a->region);
	put(q, "SignatureMethod", "HMAC-SHA1");
	put(q, "SignatureNonce", nonce);
	put(q, "SignatureVersion", "1.0");
	put(q, "Timestamp", ts);
	put(q, "Version", VERSION);
	sig = cx_sign_aliyun_v1("POST", a->secret, q->k, q->v, q->n);
	esig = cx_url_encode(sig, strlen(sig));
	query = cx_aliyun_canonical_query(q->k, q->v, q->n);
	body = cx_xasprintf("%s&Signature=%s", query, esig);
	free(query);
	free(esig);
	free(sig);
	cx_http_req_header(req, "Content-Type: " FORM);
	cx_http_req_body(req, body, strlen(body));
}

static void
build_v3(struct aliyun *a, struct params *q, const char *ts,
    const char *nonce, struct cx_http_req *req)
{
	const char *hk[] = { "host", "x-acs-action", "x-acs-version",
	    "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256",
	    "content-type" };
	const char *hv[] = { a->host, ACTION, VERSION, ts, nonce,
	    EMPTY_SHA256, FORM };
	struct cx_acs3 in = { 0 };
	struct cx_acs3_sig sig;
	char *query, *uri, *url;
	size_t i;

	uri = cx_xasprintf("%s/", a->path);
	query = cx_aliyun_canonical_query(q->k, q->v, q->n);
	in.method = "POST";
	in.uri = uri;
	in.qnames = q->k;
	in.qvalues = q->v;
	in.nq = q->n;
	in.hnames = hk;
	in.hvalues = hv;
	in.nh = sizeof(hk) / sizeof(hk[0]);
	in.payload_hash = EMPTY_SHA256;
	in.secret = a->secret;
	cx_sign_aliyun_v3(&in, &sig);

	/* The URL's query is the canonical one, byte for byte. */
	url = cx_xasprintf("%s?%s", req->url, query);
	free(req->url);
	req->url = url;
	for (i = 0; i < in.nh; i++)
		cx_http_req_header(req, "%s: %s", hk[i], hv[i]);
	cx_http_req_header(req, "Authorization: ACS3-HMAC-SHA256 "
	    "Credential=%s,SignedHeaders=%s,Signature=%s", a->akid,
	    sig.signed_headers, sig.signature);
	cx_http_req_body(req, cx_xstrdup(""), 0);
	cx_acs3_sig_free(&sig);
	free(query);
	free(uri);
}

static int
aliyun_build(struct sms_prov *p, const struct sms_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct aliyun *a = p->priv;
	struct params q = { .n = 0 };
	char ts[40], nonce[37], *tparam;
	const char *bad;
	size_t blen = strlen(p->base_url);
	cx_ms now;

	if (m->provider_tmpl == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_TEMPLATE_MISSING, 0,
		    "aliyun: no TemplateCode (aliyun_code) for this message");
		return -1;
	}
	tparam = template_param(m->params, &bad);
	if (bad != NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_TEMPLATE_VAR, 0,
		    "aliyun: template parameter '%s' is not a string", bad);
		return -1;
	}
	/* Whole seconds: Aliyun wants YYYY-MM-DDThh:mm:ssZ. */
	now = cx_now();
	now -= (now % 1000 + 1000) % 1000;
	cx_time_format(now, ts);
	cx_uuid(nonce);

	put(&q, "PhoneNumbers", phone(m->to));
	put(&q, "SignName", a->sign);
	put(&q, "TemplateCode", m->provider_tmpl);
	if (tparam != NULL)
		put(&q, "TemplateParam", tparam);
	put(&q, "OutId", m->id);

	while (blen > 0 && p->base_url[blen - 1] == '/')
		blen--;
	req->method = "POST";
	req->url = cx_xasprintf("%.*s/", (int)blen, p->base_url);
	cx_http_req_header(req, "Accept: application/json");
	if (a->version == 1)
		build_v1(a, &q, ts, nonce, req);
	else
		build_v3(a, &q, ts, nonce, req);
	free(tparam);
	return 0;
}

/* Aliyun's codes (providers.md §3); a trailing '*' matches a prefix. */
static const struct {
	const char *code;
	const char *err;
	enum cx_outcome o;
	int retryable;
} codes[] = {
	{ "isv.MOBILE_NUMBER_ILLEGAL", CX_E_INVALID_NUMBER, CX_OUT_FAIL, 0 },
	{ "isv.BLACK_KEY_CONTROL_LIMIT", CX_E_OPTED_OUT, CX_OUT_FAIL, 0 },
	/* Per-number flow control: retrying at once only burns the window
	 * (minute, hour or day), so fail, retryable later. */
	{ "isv.BUSINESS_LIMIT_CONTROL", CX_E_RATE_LIMITED, CX_OUT_FAIL, 1 },
	{ "isv.DAY_LIMIT_CONTROL", CX_E_RATE_LIMITED, CX_OUT_FAIL, 0 },
	{ "isv.MONTH_LIMIT_CONTROL", CX_E_RATE_LIMITED, CX_OUT_FAIL, 0 },
	{ "isv.TEMPLATE_MISSING_PARAMETERS", CX_E_TEMPLATE_VAR, CX_OUT_FAIL,
	    0 },
	{ "isv.TEMPLATE_PARAMS_ILLEGAL", CX_E_TEMPLATE_VAR, CX_OUT_FAIL, 0 },
	{ "isv.INVALID_JSON_PARAM", CX_E_TEMPLATE_VAR, CX_OUT_FAIL, 0 },
	{ "isv.PARAM_LENGTH_LIMIT", CX_E_TOO_LONG, CX_OUT_FAIL, 0 },
	{ "isv.ACCOUNT_NOT_EXISTS", CX_E_AUTH_FAILED, CX_OUT_FAIL, 0 },
	{ "isv.PRODUCT_UN_SUBSCRIPT", CX_E_AUTH_FAILED, CX_OUT_FAIL, 0 },
	{ "isp.RAM_PERMISSION_DENY", CX_E_AUTH_FAILED, CX_OUT_FAIL, 0 },
	{ "isp.SYSTEM_ERROR", CX_E_PROVIDER_ERROR, CX_OUT_RETRY, 1 },
	{ "SignatureDoesNotMatch", CX_E_AUTH_FAILED, CX_OUT_FAIL, 0 },
	{ "IncompleteSignature", CX_E_AUTH_FAILED, CX_OUT_FAIL, 0 },
	{ "InvalidAccessKeyId*", CX_E_AUTH_FAILED, CX_OUT_FAIL, 0 },
	{ "InvalidTimeStamp*", CX_E_AUTH_FAILED, CX_OUT_FAIL, 0 },
	/* The gateway refused the request itself: a new nonce is safe. */
	{ "SignatureNonceUsed", CX_E_PROVIDER_ERROR, CX_OUT_RETRY, 1 },
	{ "Throttling*", CX_E_RATE_LIMITED, CX_OUT_RETRY, 1 },
	{ "ServiceUnavailable*", CX_E_PROVIDER_ERROR, CX_OUT_RETRY, 1 },
};

static void
aliyun_error(const struct cx_http_resp *resp, const char *code,
    const char *msg, struct cx_result *res)
{
	size_t i, n;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		n = strlen(codes[i].code);
		if (codes[i].code[n - 1] == '*' ?
		    strncmp(code, codes[i].code, n - 1) == 0 :
		    strcmp(code, codes[i].code) == 0)
			break;
	}
	if (i < sizeof(codes) / sizeof(codes[0]))
		cx_result_set(res, codes[i].o, codes[i].err,
		    codes[i].retryable, "aliyun: %s: %s", code, msg);
	else if (resp->status >= 500)
		cx_result_set(res, CX_OUT_RETRY, CX_E_PROVIDER_ERROR, 1,
		    "aliyun: %s: %s", code, msg);
	else
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "aliyun: %s: %s", code, msg);
	res->retry_after_s = resp->retry_after_s;
}

static void
aliyun_parse(struct sms_prov *p, const struct sms_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	const char *code, *msg;
	json_t *j;

	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	code = json_string_value(json_object_get(j, "Code"));
	msg = json_string_value(json_object_get(j, "Message"));
	if (code == NULL) {
		if (resp->status < 200 || resp->status >= 300)
			cx_result_from_http(res, resp);
		else
			cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
			    "aliyun: unexpected answer: %.*s",
			    cx_http_excerpt(resp), resp->body ? resp->body : "");
	} else if (strcmp(code, "OK") == 0 && resp->status >= 200 &&
	    resp->status < 300) {
		cx_result_ok(res, json_string_value(json_object_get(j, "BizId")),
		    NULL);
	} else {
		aliyun_error(resp, code, msg ? msg : "", res);
	}
	json_decref(j);
}

static void
aliyun_fini(struct sms_prov *p)
{
	struct aliyun *a = p->priv;

	if (a != NULL) {
		cx_secret_free(a->secret);
		free(a->host);
		free(a->path);
		free(a);
	}
	p->priv = NULL;
}

const struct sms_provider sms_aliyun = {
	.type = "aliyun",
	.default_url = "https://dysmsapi.aliyuncs.com",
	.keys = aliyun_keys,
	.need_template = 1,
	.init = aliyun_init,
	.build = aliyun_build,
	.parse = aliyun_parse,
	.fini = aliyun_fini,
};
