/* tencent.c - sms-send provider: Tencent Cloud SMS SendSms (2021-01-11)
 *
 * SPDX-License-Identifier: MIT
 * POST {base}/ with a JSON body (PhoneNumberSet, SmsSdkAppId, SignName,
 * TemplateId, TemplateParamSet, SessionContext = the record id), the
 * X-TC-* headers and Authorization: TC3-HMAC-SHA256 over content-type,
 * host and x-tc-action (providers.md §4).  Request errors come back as
 * HTTP 200 with Response.Error; a per-number result sits in
 * Response.SendStatusSet[0], accepted only when its Code is "Ok".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cx.h"
#include "sms-send.h"

#define CTYPE	"application/json; charset=utf-8"

struct tencent {
	const char *id;		/* secret_id */
	char *key;		/* secret_key: a secret */
	const char *app;	/* sdk_app_id */
	const char *sign;	/* sign_name, or NULL (international) */
	const char *region;
	char *host;		/* Host header, from base_url */
	char *path;		/* base_url's path, no trailing '/' */
};

static const char *const tencent_keys[] = {
	"secret_id", "secret_key", "sdk_app_id", "sign_name", "region", NULL
};

static int
tencent_init(struct sms_prov *p, char **err)
{
	struct tencent *t = cx_xcalloc(1, sizeof(*t));

	p->priv = t;
	if ((t->id = cx_section_need(p->sec, "secret_id", err)) == NULL ||
	    (t->app = cx_section_need(p->sec, "sdk_app_id", err)) == NULL)
		return -1;
	t->sign = cx_section_get(p->sec, "sign_name");
	t->region = cx_section_get(p->sec, "region");
	if (t->region == NULL)
		t->region = "ap-guangzhou";
	if (sms_url_split(p->base_url, &t->host, &t->path) != 0) {
		*err = cx_section_err(p->sec, "base_url", "not an http(s) URL");
		return -1;
	}
	t->key = cx_section_secret(p->sec, "secret_key", err);
	return t->key == NULL ? -1 : 0;
}

/* TemplateParamSet: the parameters' values, in order, as strings.  NULL
 * with *bad = the name of a value that is no string, number or boolean. */
static json_t *
param_set(const json_t *params, const char **bad)
{
	json_t *a = json_array(), *v;
	const char *k;
	char num[64];

	*bad = NULL;
	if (!json_is_object(params))
		return a;
	json_object_foreach((json_t *)params, k, v) {
		if (json_is_string(v)) {
			json_array_append(a, v);
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
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_string(num));
	}
	return a;
}

static int
tencent_build(struct sms_prov *p, const struct sms_msg *m,
    struct cx_http_req *req, struct cx_result *res)
{
	struct tencent *t = p->priv;
	struct cx_tc3 in = { 0 };
	struct cx_tc3_sig sig;
	json_t *body, *set;
	const char *bad;
	char *s, *ch, *uri;
	long long ts;
	size_t blen;

	if (m->provider_tmpl == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_TEMPLATE_MISSING, 0,
		    "tencent: no TemplateId (tencent_id) for this message");
		return -1;
	}
	if ((set = param_set(m->params, &bad)) == NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_TEMPLATE_VAR, 0,
		    "tencent: template parameter '%s' is not a string", bad);
		return -1;
	}
	body = json_object();
	json_object_set_new(body, "PhoneNumberSet", json_pack("[s]", m->to));
	json_object_set_new(body, "SmsSdkAppId", json_string(t->app));
	if (t->sign != NULL)
		json_object_set_new(body, "SignName", json_string(t->sign));
	json_object_set_new(body, "TemplateId",
	    json_string(m->provider_tmpl));
	json_object_set_new(body, "TemplateParamSet", set);
	json_object_set_new(body, "SessionContext", json_string(m->id));
	s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (s == NULL) {
		/* Only a string that is not UTF-8 can get here. */
		cx_result_set(res, CX_OUT_FAIL, CX_E_BAD_FIELD, 0,
		    "tencent: the request is not valid UTF-8");
		return -1;
	}

	ts = (long long)(cx_now() / 1000);
	ch = cx_xasprintf("content-type:%s\nhost:%s\nx-tc-action:sendsms\n",
	    CTYPE, t->host);
	uri = cx_xasprintf("%s/", t->path);
	in.secret_key = t->key;
	in.service = "sms";
	in.timestamp = ts;
	in.uri = uri;
	in.canonical_headers = ch;
	in.signed_headers = "content-type;host;x-tc-action";
	in.payload = s;
	in.payload_len = strlen(s);
	if (cx_sign_tc3(&in, &sig) != 0) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
		    "tencent: cannot sign at time %lld", ts);
		free(uri);
		free(ch);
		free(s);
		return -1;
	}

	req->method = "POST";
	blen = strlen(p->base_url);
	while (blen > 0 && p->base_url[blen - 1] == '/')
		blen--;
	req->url = cx_xasprintf("%.*s/", (int)blen, p->base_url);
	cx_http_req_header(req, "Content-Type: %s", CTYPE);
	cx_http_req_header(req, "Host: %s", t->host);
	cx_http_req_header(req, "X-TC-Action: SendSms");
	cx_http_req_header(req, "X-TC-Version: 2021-01-11");
	cx_http_req_header(req, "X-TC-Timestamp: %lld", ts);
	cx_http_req_header(req, "X-TC-Region: %s", t->region);
	cx_http_req_header(req, "Authorization: TC3-HMAC-SHA256 "
	    "Credential=%s/%s, SignedHeaders=%s, Signature=%s", t->id,
	    sig.scope, in.signed_headers, sig.signature);
	cx_http_req_body(req, s, strlen(s));
	free(uri);
	free(ch);
	return 0;
}

/* Tencent's codes (providers.md §4); a trailing '*' matches a prefix.
 * The first match wins. */
static const struct {
	const char *code;
	const char *err;
	enum cx_outcome o;
	int retryable;
} codes[] = {
	{ "InvalidParameterValue.IncorrectPhoneNumber", CX_E_INVALID_NUMBER,
	    CX_OUT_FAIL, 0 },
	{ "FailedOperation.PhoneNumberInBlacklist", CX_E_OPTED_OUT,
	    CX_OUT_FAIL, 0 },
	{ "FailedOperation.PhoneNumberOnBlacklist", CX_E_OPTED_OUT,
	    CX_OUT_FAIL, 0 },
	{ "LimitExceeded.PhoneNumberCountLimit", CX_E_PROVIDER_REJECTED,
	    CX_OUT_FAIL, 0 },
	/* Per-number windows: retrying at once only hits them again. */
	{ "LimitExceeded.PhoneNumber*Limit", CX_E_RATE_LIMITED, CX_OUT_FAIL,
	    1 },
	{ "LimitExceeded.DeliveryFrequencyLimit", CX_E_RATE_LIMITED,
	    CX_OUT_FAIL, 1 },
	{ "LimitExceeded.AppDailyLimit", CX_E_RATE_LIMITED, CX_OUT_FAIL, 0 },
	{ "LimitExceeded.DailyLimit", CX_E_RATE_LIMITED, CX_OUT_FAIL, 0 },
	{ "RequestLimitExceeded*", CX_E_RATE_LIMITED, CX_OUT_RETRY, 1 },
	{ "InvalidParameterValue.TemplateParameterFormatError",
	    CX_E_TEMPLATE_VAR, CX_OUT_FAIL, 0 },
	{ "InvalidParameterValue.TemplateParameterLengthLimit", CX_E_TOO_LONG,
	    CX_OUT_FAIL, 0 },
	{ "InvalidParameterValue.ContentLengthLimit", CX_E_TOO_LONG,
	    CX_OUT_FAIL, 0 },
	{ "FailedOperation.MarketingSendTimeConstraint", CX_E_QUIET_HOURS,
	    CX_OUT_FAIL, 1 },
	{ "AuthFailure*", CX_E_AUTH_FAILED, CX_OUT_FAIL, 0 },
	{ "UnauthorizedOperation.SmsSdkAppIdVerifyFail", CX_E_AUTH_FAILED,
	    CX_OUT_FAIL, 0 },
	{ "UnauthorizedOperation.RequestIpNotInWhitelist", CX_E_AUTH_FAILED,
	    CX_OUT_FAIL, 0 },
	/* Clock skew: fix the clock, a retry does not help. */
	{ "InternalError.RequestTimeException", CX_E_PROVIDER_ERROR,
	    CX_OUT_FAIL, 0 },
	{ "InternalError*", CX_E_PROVIDER_ERROR, CX_OUT_RETRY, 1 },
};

/* Matches pattern, where one '*' stands for any run of characters. */
static int
match(const char *pat, const char *s)
{
	const char *star = strchr(pat, '*');
	size_t pre, post, n = strlen(s);

	if (star == NULL)
		return strcmp(pat, s) == 0;
	pre = (size_t)(star - pat);
	post = strlen(star + 1);
	return n >= pre + post && strncmp(s, pat, pre) == 0 &&
	    strcmp(s + n - post, star + 1) == 0;
}

static void
tencent_error(const char *code, const char *msg, struct cx_result *res)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (match(codes[i].code, code))
			break;
	if (i < sizeof(codes) / sizeof(codes[0]))
		cx_result_set(res, codes[i].o, codes[i].err,
		    codes[i].retryable, "tencent: %s: %s", code, msg);
	else
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_REJECTED, 0,
		    "tencent: %s: %s", code, msg);
}

static void
tencent_parse(struct sms_prov *p, const struct sms_msg *m,
    const struct cx_http_resp *resp, struct cx_result *res)
{
	json_t *j, *r, *e, *st;
	const char *code, *msg;

	if (resp->status < 200 || resp->status >= 300) {
		cx_result_from_http(res, resp);
		return;
	}
	j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	r = json_object_get(j, "Response");
	e = json_object_get(r, "Error");
	st = json_array_get(json_object_get(r, "SendStatusSet"), 0);
	if (e != NULL) {
		code = json_string_value(json_object_get(e, "Code"));
		msg = json_string_value(json_object_get(e, "Message"));
		tencent_error(code ? code : "(no code)", msg ? msg : "", res);
	} else if ((code = json_string_value(json_object_get(st, "Code"))) ==
	    NULL) {
		cx_result_set(res, CX_OUT_FAIL, CX_E_PROVIDER_ERROR, 0,
		    "tencent: unexpected answer: %.*s", cx_http_excerpt(resp),
		    resp->body ? resp->body : "");
	} else if (strcmp(code, "Ok") == 0) {
		json_t *fee = json_object_get(st, "Fee");

		cx_result_ok(res, json_string_value(json_object_get(st, "SerialNo")),
		    json_is_integer(fee) ? json_pack("{s:O}", "fee", fee) :
		    NULL);
	} else {
		msg = json_string_value(json_object_get(st, "Message"));
		tencent_error(code, msg ? msg : "", res);
	}
	res->retry_after_s = resp->retry_after_s;
	json_decref(j);
}

static void
tencent_fini(struct sms_prov *p)
{
	struct tencent *t = p->priv;

	if (t != NULL) {
		cx_secret_free(t->key);
		free(t->host);
		free(t->path);
		free(t);
	}
	p->priv = NULL;
}

const struct sms_provider sms_tencent = {
	.type = "tencent",
	.default_url = "https://sms.tencentcloudapi.com",
	.keys = tencent_keys,
	.need_template = 1,
	.init = tencent_init,
	.build = tencent_build,
	.parse = tencent_parse,
	.fini = tencent_fini,
};
