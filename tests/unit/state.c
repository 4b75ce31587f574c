/* state.c - unit tests for libcommon/state.c
 *
 * SPDX-License-Identifier: MIT
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "state.h"
#include "tap.h"
#include "xwrap.h"

static char tmpdir[] = "/tmp/cx-state-XXXXXX";
/* The schema version the first handle found (see test_open). */

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

static char *
pragma(struct cx_state *st, const char *name)
{
	sqlite3_stmt *s;
	char *q = cx_xasprintf("PRAGMA %s", name), *v = NULL;

	if (sqlite3_prepare_v2(cx_state_db(st), q, -1, &s, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = cx_xstrdup((const char *)sqlite3_column_text(s,
			    0));
		sqlite3_finalize(s);
	}
	free(q);
	return v;
}

static void
is_status(struct cx_state *st, const char *id, const char *want,
    const char *name)
{
	char *v = cx_journal_status(st, "sms", id);

	is_str(v, want, "%s", name);
	free(v);
}

static void
test_open(struct cx_state **out, char **path)
{
	struct cx_state *st;
	struct stat sb;
	char *err = NULL, *v, *dir;

	*path = cx_xasprintf("%s/a/b/state.db", tmpdir);
	dir = cx_xasprintf("%s/a/b", tmpdir);
	st = cx_state_open(*path, &err);
	ok(st != NULL && err == NULL, "open creates the database");
	if (st == NULL) {
		printf("# %s\n", err);
		exit(1);
	}
	*out = st;
	ok(stat(*path, &sb) == 0 && S_ISREG(sb.st_mode), "file exists");
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700,
	    "directory created with mode 0700");
	is_str(cx_state_path(st), *path, "cx_state_path");
	is_str(cx_state_dir(st), dir, "cx_state_dir");
	v = pragma(st, "journal_mode");
	is_str(v, "wal", "WAL mode");
	free(v);
	v = pragma(st, "synchronous");
	is_str(v, "1", "synchronous = NORMAL");
	free(v);
	v = pragma(st, "foreign_keys");
	is_str(v, "1", "foreign_keys on");
	free(v);
	/* Each program appends its migrations: the number is not fixed
	 * here, only that all ran and the handle says so. */
	v = pragma(st, "user_version");
	ok(v && atoi(v) >= 1, "user_version counts the migrations (%s)",
	    v ? v : "NULL");
	is_int(cx_state_version(st), v ? atoi(v) : -1, "cx_state_version");
	free(v);
	free(dir);
}

static void
test_journal(struct cx_state *st, const char *path)
{
	struct cx_state *st2;
	char *prev = (char *)"x", *err;

	is_int(cx_journal_begin(st, "sms", "r1", "+8613800138000", "twilio",
	    0, &prev), CX_J_NEW, "new id: CX_J_NEW");
	ok(prev == NULL, "new id: no previous provider id");
	is_status(st, "r1", "pending", "recorded as pending");
	is_int(cx_journal_end(st, "sms", "r1", "sent", "SM1"), 0, "end sent");
	is_status(st, "r1", "sent", "status sent");
	is_int(cx_journal_begin(st, "sms", "r1", "+8613800138000", "twilio",
	    0, &prev), CX_J_SENT, "sent before: CX_J_SENT");
	is_str(prev, "SM1", "prev_provider_id of a duplicate");
	free(prev);
	is_int(cx_journal_begin(st, "sms", "r1", NULL, NULL, 1, NULL),
	    CX_J_SENT, "sent stays sent even with resend_unknown");
	is_int(cx_journal_begin(st, "im", "r1", NULL, NULL, 0, NULL),
	    CX_J_NEW, "same id on another channel is new");

	cx_journal_end(st, "sms", "o1", "outbox", NULL);
	is_int(cx_journal_begin(st, "sms", "o1", NULL, NULL, 0, NULL),
	    CX_J_SENT, "outbox counts as sent");

	/* pending: an earlier run crashed between begin and end */
	is_int(cx_journal_begin(st, "sms", "r2", "+1", "p", 0, NULL),
	    CX_J_NEW, "r2 new");
	is_int(cx_journal_begin(st, "sms", "r2", "+1", "p", 0, NULL),
	    CX_J_PENDING, "left pending: CX_J_PENDING");
	cx_journal_end(st, "sms", "r2", "unknown", "SM2");
	is_int(cx_journal_begin(st, "sms", "r2", "+1", "p", 0, &prev),
	    CX_J_PENDING, "unknown: CX_J_PENDING");
	is_str(prev, "SM2", "prev_provider_id of an unknown send");
	free(prev);
	is_int(cx_journal_begin(st, "sms", "r2", "+1", "p", 1, &prev),
	    CX_J_NEW, "resend_unknown: CX_J_NEW");
	is_str(prev, "SM2", "prev_provider_id on resend");
	free(prev);
	is_status(st, "r2", "pending", "resend recorded as pending");

	/* failed → sent again */
	cx_journal_begin(st, "sms", "r3", "+1", "p", 0, NULL);
	cx_journal_end(st, "sms", "r3", "failed", NULL);
	is_int(cx_journal_begin(st, "sms", "r3", "+1", "p", 0, &prev),
	    CX_J_NEW, "failed: sent again");
	ok(prev == NULL, "failed without provider id: prev NULL");
	is_status(st, "r3", "pending", "failed → pending");
	ok(cx_journal_status(st, "sms", "nope") == NULL, "absent status NULL");

	/* a second handle on the same file */
	st2 = cx_state_open(path, &err);
	ok(st2 != NULL, "second handle opens");
	if (st2 == NULL)
		return;
	is_int(cx_state_version(st2), cx_state_version(st),
	    "second handle: the same version");
	is_int(cx_journal_begin(st2, "sms", "r1", NULL, NULL, 0, NULL),
	    CX_J_SENT, "second handle sees the first one's sent row");
	is_int(cx_journal_begin(st2, "sms", "r4", NULL, NULL, 0, NULL),
	    CX_J_NEW, "second handle begins r4");
	is_int(cx_journal_begin(st, "sms", "r4", NULL, NULL, 0, NULL),
	    CX_J_PENDING, "first handle sees r4 pending");
	cx_journal_end(st2, "sms", "r4", "sent", "SM4");
	is_status(st, "r4", "sent", "first handle sees r4 sent");
	cx_state_close(st2);
}

static void
test_optout(struct cx_state *st)
{
	const char *a = "+8613800138000", *b = "+8613900139000";

	is_int(cx_optout_check(st, a, "sms"), 0, "not opted out");
	is_int(cx_optout_set(st, a, "sms", 1, "in-1"), 0, "opt out of sms");
	is_int(cx_optout_check(st, a, "sms"), 1, "opted out of sms");
	is_int(cx_optout_check(st, a, "im"), 0, "still on im");
	is_int(cx_optout_set(st, a, "sms", 1, NULL), 0, "opt out twice");
	is_int(cx_optout_set(st, a, "sms", 0, NULL), 0, "opt in to sms");
	is_int(cx_optout_check(st, a, "sms"), 0, "back on sms");

	is_int(cx_optout_set(st, b, "*", 1, "in-2"), 0, "opt out of all");
	is_int(cx_optout_check(st, b, "sms"), 1, "'*' covers sms");
	is_int(cx_optout_check(st, b, "im"), 1, "'*' covers im");
	is_int(cx_optout_check(st, a, "im"), 0, "other address unaffected");
	cx_optout_set(st, b, "sms", 1, NULL);
	is_int(cx_optout_set(st, b, "*", 0, NULL), 0, "opt in to all");
	is_int(cx_optout_check(st, b, "sms") + cx_optout_check(st, b, "im"),
	    0, "opt-in on '*' clears every channel");
}

static int
kv_collect(const char *key, const char *value, void *arg)
{
	char *acc = arg;

	strcat(acc, key);
	strcat(acc, "=");
	strcat(acc, value);
	strcat(acc, ";");
	return 0;
}

/* cx_kv_each: every unexpired key of one namespace, no other. */
static void
test_kv_each(struct cx_state *st)
{
	char acc[256] = "";

	cx_kv_put(st, "each", "a", "1", 0);
	cx_kv_put(st, "each", "b", "2", (int64_t)time(NULL) + 60);
	cx_kv_put(st, "each", "gone", "3", (int64_t)time(NULL) - 1);
	cx_kv_put(st, "other", "c", "4", 0);
	is_int(cx_kv_each(st, "each", kv_collect, acc), 0, "kv_each");
	ok(strcmp(acc, "a=1;b=2;") == 0 || strcmp(acc, "b=2;a=1;") == 0,
	    "kv_each: unexpired keys of the namespace only (%s)", acc);
}

static void
test_kv(struct cx_state *st)
{
	char *v;

	ok(cx_kv_get(st, "t", "k") == NULL, "absent key");
	is_int(cx_kv_put(st, "t", "k", "v1", 0), 0, "put");
	v = cx_kv_get(st, "t", "k");
	is_str(v, "v1", "get");
	free(v);
	cx_kv_put(st, "t", "k", "v2", (int64_t)time(NULL) + 3600);
	v = cx_kv_get(st, "t", "k");
	is_str(v, "v2", "overwrite with a future expiry");
	free(v);
	ok(cx_kv_get(st, "u", "k") == NULL, "namespaces are separate");
	cx_kv_put(st, "t", "old", "v", (int64_t)time(NULL) - 1);
	ok(cx_kv_get(st, "t", "old") == NULL, "expired key is absent");
	is_int(cx_kv_del(st, "t", "k"), 0, "del");
	ok(cx_kv_get(st, "t", "k") == NULL, "deleted key is absent");
	test_kv_each(st);
}

static int
tx_fail(struct cx_state *st, void *arg)
{
	(void)arg;
	cx_kv_put(st, "tx", "a", "1", 0);
	cx_journal_begin(st, "sms", "tx1", NULL, NULL, 0, NULL);
	return -1;
}

static int
tx_ok(struct cx_state *st, void *arg)
{
	(void)arg;
	cx_kv_put(st, "tx", "b", "2", 0);
	return cx_journal_begin(st, "sms", "tx2", NULL, NULL, 0, NULL) ==
	    CX_J_NEW ? 7 : -1;
}

static void
test_tx(struct cx_state *st)
{
	char *v;

	is_int(cx_state_tx(st, tx_fail, NULL), -1, "tx returns -1");
	ok(cx_kv_get(st, "tx", "a") == NULL, "rolled back: kv");
	ok(cx_journal_status(st, "sms", "tx1") == NULL,
	    "rolled back: journal");
	is_int(cx_state_tx(st, tx_ok, NULL), 7, "tx returns fn's result");
	v = cx_kv_get(st, "tx", "b");
	is_str(v, "2", "committed: kv");
	free(v);
	is_status(st, "tx2", "pending", "committed: journal");
}

static void
test_speed(struct cx_state *st)
{
	struct timespec t0, t1;
	char id[32];
	double secs, rate;
	int i, bad = 0, n = 20000;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "speed-%d", i);
		if (cx_journal_begin(st, "sms", id, "+8613800138000",
		    "twilio", 0, NULL) != CX_J_NEW ||
		    cx_journal_end(st, "sms", id, "sent", "SMxxxxxxxx") != 0)
			bad++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	rate = n / (secs > 0 ? secs : 1e-9);
	is_int(bad, 0, "%d begin+end pairs", n);
	printf("# journal: %d begin+end pairs in %.3f s: %.0f pairs/s\n", n,
	    secs, rate);
	ok(rate > 1000, "more than 1000 pairs/s");
}

/* Two processes begin the same ids at once: each id is new to one. */
static void
test_race(const char *path)
{
	struct cx_state *st;
	char id[32], *err = NULL;
	int fds[2], go[2], i, mine = 0, theirs = -1, errors = 0, n = 2000;
	int status;
	char c = 'g';
	pid_t pid;

	if (pipe(fds) == -1 || pipe(go) == -1 || (pid = fork()) == -1) {
		perror("fork");
		exit(2);
	}
	st = cx_state_open(path, &err);
	/* start together: the parent says go once both are open */
	if (pid == 0 ? read(go[0], &c, 1) != 1 : write(go[1], &c, 1) != 1)
		errors++;
	for (i = 0; st != NULL && i < n; i++) {
		snprintf(id, sizeof id, "race-%d", i);
		switch (cx_journal_begin(st, "sms", id, NULL, NULL, 0, NULL)) {
		case CX_J_NEW:
			mine++;
			break;
		case CX_J_PENDING:
			break;
		default:
			errors++;
		}
	}
	cx_state_close(st);
	free(err);
	if (pid == 0) {
		if (write(fds[1], &mine, sizeof mine) != sizeof mine ||
		    errors != 0)
			_exit(1);
		_exit(0);
	}
	if (read(fds[0], &theirs, sizeof theirs) != sizeof theirs)
		theirs = -1;
	waitpid(pid, &status, 0);
	close(fds[0]);
	close(fds[1]);
	close(go[0]);
	close(go[1]);
	ok(errors == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "two processes: no errors");
	is_int(mine + theirs, n, "two processes: each id new exactly once");
	printf("# parent got %d, child %d\n", mine, theirs);
}

/* Four processes open the same new state store at once, 25 times: each
 * open succeeds (the switch to WAL mode may be answered BUSY at once). */
static void
test_new_race(void)
{
	int failed = 0, rounds = 25, kids = 4;

	for (int r = 0; r < rounds; r++) {
		char *path = cx_xasprintf("%s/new-%d.db", tmpdir, r);
		int go[2];
		pid_t pid[4];

		if (pipe(go) == -1) {
			perror("pipe");
			exit(2);
		}
		for (int k = 0; k < kids; k++) {
			if ((pid[k] = fork()) == -1) {
				perror("fork");
				exit(2);
			}
			if (pid[k] == 0) {
				struct cx_state *st;
				char c, *err = NULL;

				close(go[1]);
				/* all start when the parent closes go */
				if (read(go[0], &c, 1) != 0)
					_exit(3);
				st = cx_state_open(path, &err);
				if (st == NULL) {
					fprintf(stderr, "# %s\n", err);
					_exit(1);
				}
				cx_state_close(st);
				_exit(0);
			}
		}
		close(go[0]);
		close(go[1]);
		for (int k = 0; k < kids; k++) {
			int status;

			waitpid(pid[k], &status, 0);
			failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		}
		free(path);
	}
	is_int(failed, 0, "%d rounds of %d processes opening one new store "
	    "at once: none fails", rounds, kids);
}

static void
test_search(void)
{
	struct cx_state *st;
	char *err = NULL, *xdg, *want;

	unsetenv("CXKIT_STATE");
	xdg = cx_xasprintf("%s/xdg", tmpdir);
	setenv("XDG_STATE_HOME", xdg, 1);
	st = cx_state_open(NULL, &err);
	want = cx_xasprintf("%s/cxkit/state.db", xdg);
	is_str(st ? cx_state_path(st) : err, want, "XDG_STATE_HOME path");
	cx_state_close(st);
	free(want);

	want = cx_xasprintf("%s/env.db", tmpdir);
	setenv("CXKIT_STATE", want, 1);
	st = cx_state_open(NULL, &err);
	is_str(st ? cx_state_path(st) : err, want, "$CXKIT_STATE path");
	cx_state_close(st);
	free(want);
	unsetenv("CXKIT_STATE");

	want = cx_xasprintf("%s/file/x.db", tmpdir);
	{
		char *f = cx_xasprintf("%s/file", tmpdir);
		FILE *fp = fopen(f, "w");

		if (fp)
			fclose(fp);
		free(f);
	}
	st = cx_state_open(want, &err);
	{
		char *w = cx_xasprintf("state: %s/file: Not a directory",
		    tmpdir);

		ok(st == NULL, "unusable path: error");
		is_str(err, w, "unusable path: message");
		free(w);
	}
	free(err);
	free(want);
	free(xdg);
}

int
main(void)
{
	struct cx_state *st;
	char *path, *err = NULL;
	int version;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_open(&st, &path);
	test_journal(st, path);
	test_optout(st);
	test_kv(st);
	test_tx(st);
	test_speed(st);
	version = cx_state_version(st);
	cx_state_close(st);
	test_race(path);

	st = cx_state_open(path, &err);
	ok(st != NULL && cx_state_version(st) == version,
	    "reopen: no migration");
	cx_state_close(st);
	free(err);
	test_new_race();
	test_search();
	free(path);
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
