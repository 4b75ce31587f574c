/* record.h - what every program does with a record: id, paths, results
 *
 * SPDX-License-Identifier: MIT
 * The error codes below are a contract users script against; every one is
 * documented in cxkit(7).  Add a code here and there, never rename one.
 */
#ifndef CX_RECORD_H
#define CX_RECORD_H

#include <jansson.h>

#define CX_E_BAD_JSON		"bad_json"
#define CX_E_MISSING_FIELD	"missing_field"
#define CX_E_BAD_FIELD		"bad_field"
#define CX_E_INVALID_NUMBER	"invalid_number"
#define CX_E_TEMPLATE_MISSING	"template_missing"
#define CX_E_TEMPLATE_VAR	"template_var_missing"
#define CX_E_TEMPLATE_REQUIRED	"template_required"
#define CX_E_OPTED_OUT		"opted_out"
#define CX_E_QUIET_HOURS	"quiet_hours"
#define CX_E_RATE_LIMITED	"rate_limited"
#define CX_E_AUTH_FAILED	"auth_failed"
#define CX_E_PROVIDER_REJECTED	"provider_rejected"
#define CX_E_PROVIDER_ERROR	"provider_error"
#define CX_E_UNKNOWN_PROVIDER	"unknown_provider"
#define CX_E_NETWORK		"network"
#define CX_E_TIMEOUT		"timeout"
#define CX_E_DUPLICATE		"duplicate"
#define CX_E_TOO_LONG		"too_long"
#define CX_E_SENSITIVE		"sensitive_content"
#define CX_E_NOT_FOUND		"not_found"
#define CX_E_UNKNOWN		"unknown"	/* outcome of a send is unknown */
#define CX_E_STATE		"state_error"
#define CX_E_MATCH_LIMIT	"match_limit"	/* a rule's pattern ran too long */

/* The record's id as a string: "id" when it is a non-empty string or an
 * integer, else "h:" + the first 32 hex digits of SHA-256 over the
 * record's canonical JSON (keys sorted, compact), so a re-run of the same
 * input yields the same id.  Writes into out (at least 80 bytes) and
 * returns it. */
#define CX_ID_MAX 80
const char *cx_rec_id(const json_t *rec, char out[CX_ID_MAX]);

/* Looks up a dotted path ("customer.phone") in obj; NULL if any step is
 * missing or not an object.  Borrowed reference. */
json_t *cx_rec_path(const json_t *obj, const char *path);
/* The string at path, or NULL if missing or not a string. */
const char *cx_rec_str(const json_t *obj, const char *path);

/* Builds {"code":code,"message":msg,"retryable":retryable} (new ref). */
json_t *cx_rec_error(const char *code, const char *msg, int retryable);

/* Sets obj[key] = value, stealing the reference to value, and keeping the
 * key's position when it already exists (jansson keeps insertion order). */
void cx_rec_set(json_t *obj, const char *key, json_t *value);

/* Which program sends through a provider type: "sms" (twilio, vonage,
 * aliyun, tencent, kannel, http, outbox), "im" (wecom-robot, dingtalk, webhook,
 * ...), or NULL for a type no cxkit program knows.  Lets each sender skip
 * the other's [provider] sections yet refuse a misspelt type. */
const char *cx_provider_channel(const char *type);

#endif
