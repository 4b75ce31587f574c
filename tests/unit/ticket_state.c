/* ticket_state.c - unit tests for what ticket-sync added to libcommon:
 * its state tables (the appended migration) and cx_http_do_header()
 *
 * SPDX-License-Identifier: MIT
 * The header test talks to a one-shot HTTP responder on 127.0.0.1 in a
 * child process.  Nothing depends on the schema's version number.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cx.h"
#include "tap.h"

static int
has_table(struct cx_state *st, const char *name)
{
	sqlite3_stmt *s;
	int found;

	sqlite3_prepare_v2(cx_state_db(st), "SELECT 1 FROM sqlite_master"
	    " WHERE type = 'table' AND name = ?1", -1, &s, NULL);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static int
exec(struct cx_state *st, const char *sql)
{
	return sqlite3_exec(cx_state_db(st), sql, NULL, NULL, NULL);
}

static void
test_tables(const char *dir)
{
	static const char *const tables[] = { "ts_customer", "ts_identity",
	    "ts_link", "ts_seen", "ts_ticket", "ts_comment", "ts_change", NULL };
	char *path = cx_xasprintf("%s/state.db", dir), *err = NULL;
	struct cx_state *st = cx_state_open(path, &err);
	int v;

	ok(st != NULL, "state opens (%s)", err ? err : "ok");
	if (st == NULL)
		return;
	for (int i = 0; tables[i]; i++)
		ok(has_table(st, tables[i]), "table %s exists", tables[i]);
	is_int(exec(st, "INSERT INTO ts_identity (kind, value, customer)"
	    " VALUES ('phone', '+8613800138000', 1)"), SQLITE_OK,
	    "an identity row");
	ok(exec(st, "INSERT INTO ts_identity (kind, value, customer)"
	    " VALUES ('phone', '+8613800138000', 2)") != SQLITE_OK,
	    "one customer a key: a second row for the key is refused");
	is_int(exec(st, "INSERT INTO ts_change (ticket, ts, event, status)"
	    " VALUES (1, 0, 'ticket.created', 'new')"), SQLITE_OK,
	    "a change row");
	v = cx_state_version(st);
	cx_state_close(st);
	st = cx_state_open(path, &err);
	ok(st != NULL && cx_state_version(st) == v,
	    "reopening migrates nothing again");
	cx_state_close(st);
	free(path);
}

/* Answers one request with an ETag, then exits. */
static pid_t
responder(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(s, 1) != 0 || getsockname(s, (struct sockaddr *)&a,
	    &len) != 0)
		return -1;
	*port = ntohs(a.sin_port);
	if ((pid = fork()) == 0) {
		static const char r[] = "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "ETag: \"33\"\r\nRetry-After: 7\r\n"
		    "Content-Length: 9\r\nConnection: close\r\n\r\n"
		    "{\"id\":42}";
		char buf[4096];
		int c = accept(s, NULL, NULL);

		if (c >= 0) {
			ssize_t n = read(c, buf, sizeof buf);

			(void)n;
			if (write(c, r, sizeof r - 1) < 0)
				_exit(1);
			close(c);
		}
		_exit(0);
	}
	close(s);
	return pid;
}

static void
test_header(void)
{
	struct cx_http_req req = { 0 };
	struct cx_http_resp resp;
	char *body = NULL, *etag = NULL;
	int port, st;
	pid_t pid = responder(&port);

	ok(pid > 0, "responder on 127.0.0.1");
	if (pid <= 0)
		return;
	req.url = cx_xasprintf("http://127.0.0.1:%d/ticket/42", port);
	is_int(cx_http_do_header(&req, 5000, NULL, "ETag", &etag, &resp,
	    &body), 0, "cx_http_do_header: a response");
	is_int(resp.status, 200, "status 200");
	is_str(etag, "\"33\"", "the ETag, quotes kept (as If-Match wants it)");
	is_int(resp.retry_after_s, 7, "the engine's headers still parsed");
	ok(resp.body_len == 9 && memcmp(resp.body, "{\"id\":42}", 9) == 0,
	    "the body");
	free(etag);
	free(body);
	cx_http_req_free(&req);
	waitpid(pid, &st, 0);
}

int
main(void)
{
	char dir[] = "/tmp/cxkit-unit.XXXXXX";

	cx_init("ticket_state");
	cx_http_global_init();
	if (mkdtemp(dir) == NULL)
		return 2;
	test_tables(dir);
	test_header();
	{
		char *cmd = cx_xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			ok(0, "cleanup");
		free(cmd);
	}
	return tap_done();
}
