/* kannel.c - Kannel MO (sms-service get-url) and dlr-url callbacks (§5)
 *
 * SPDX-License-Identifier: MIT
 * Kannel signs nothing: the URLs given to it carry ?token=<token>.  The
 * parameters are the ones msg-recv(1) tells to put in those URLs:
 *   MO:  token, from=%p, to=%P, text=%a, id=%I, ts=%T
 *   DLR: token, status=%d, answer=%A, fid=%F, to=%p, and id= (the record
 *        id sms-send appends to its dlr_url)
 * A request with status is a DLR: 1 delivered, 2 undelivered, 16 failed
 * (rejected by the SMSC); 4 and 8 (queued, accepted by the SMSC) are not
 * final and give no record.  The error code is the SMSC's "err:NNN" in
 * the answer when not 000.  GET or form POST.
 */
#include <stdlib.h>
#include <string.h>

#include "mr.h"

static const char *const keys[] = { "token", NULL };

static int
kannel_init(struct mr_source *s, char **err)
{
	s->priv = mr_secret(s, "token", 1, err);
	return s->priv ? 0 : -1;
}

static void
kannel_free(struct mr_source *s)
{
	cx_secret_free(s->priv);
}

/* "err:NNN" of an SMSC answer, when not all zeros; malloc'd or NULL. */
static char *
smsc_err(const char *answer)
{
	const char *p = answer ? strstr(answer, "err:") : NULL;
	size_t n;

	if (p == NULL)
		return NULL;
	p += 4;
	n = strspn(p, "0123456789ABCDEFabcdef");
	if (n == 0 || strspn(p, "0") >= n)
		return NULL;
	return cx_xstrndup(p, n);
}

static void
kannel_handle(struct mr_source *s, const struct mr_req *r,
    struct mr_resp *rs)
{
	struct mr_form f;
	const char *st, *ts;
	char *end;

	if (mr_token_check(s->priv, r, rs) != 0 || mr_params(r, rs, &f) != 0)
		return;
	st = mr_form_get(&f, "status");
	if (st != NULL) {
		long v = strtol(st, &end, 10);
		const char *out = v == 1 ? "delivered" : v == 2 ?
		    "undelivered" : v == 16 ? "failed" : NULL;
		char *ec;

		if (*end != '\0' || end == st) {
			mr_reject(rs, 400, "status is not a number");
			goto out;
		}
		if (mr_form_get(&f, "id") == NULL &&
		    mr_form_get(&f, "fid") == NULL) {
			mr_reject(rs, 400, "DLR without id or fid");
			goto out;
		}
		ec = smsc_err(mr_form_get(&f, "answer"));
		if (out)
			json_array_append_new(rs->recs, mr_delivery(s, "sms",
			    mr_form_get(&f, "fid") && *mr_form_get(&f, "fid") ?
			    mr_form_get(&f, "fid") : NULL,
			    mr_form_get(&f, "id"), out, ec,
			    mr_form_get(&f, "to"), r->now));
		free(ec);
	} else if (mr_form_get(&f, "text") != NULL &&
	    mr_form_get(&f, "from") != NULL) {
		char hid[CX_ID_MAX];
		const char *id = mr_form_get(&f, "id");
		cx_ms t = r->now;

		if (id == NULL || *id == '\0') {
			json_t *o = json_pack("{ssssss}", "from",
			    mr_form_get(&f, "from"), "text",
			    mr_form_get(&f, "text"), "ts",
			    mr_form_get(&f, "ts") ? mr_form_get(&f, "ts") : "");

			id = cx_rec_id(o, hid);
			json_decref(o);
		}
		if ((ts = mr_form_get(&f, "ts")) != NULL) {
			long long v = strtoll(ts, &end, 10);

			if (*end == '\0' && end != ts && v > 0)
				t = (cx_ms)v * 1000;
		}
		json_array_append_new(rs->recs, mr_inbound(s, "sms", id, t,
		    mr_form_get(&f, "from"), mr_form_get(&f, "to"),
		    mr_form_get(&f, "text")));
	} else {
		mr_reject(rs, 400, "neither a DLR (status) nor an MO (from, "
		    "text)");
	}
out:
	mr_form_free(&f);
}

const struct mr_type mr_kannel = {
	"kannel", keys, kannel_init, kannel_handle, kannel_free
};
