/* curl-multi.c - the ceiling of any libcurl sender: bare form POSTs
 *
 * SPDX-License-Identifier: MIT
 * Usage: curl-multi URL N C
 * Sends N copies of the Twilio form POST that bench/twilio-post.lua gives
 * wrk (same body, same Basic auth) over C keep-alive connections through
 * one libcurl multi handle, as sms-send's engine does, and nothing else:
 * no JSON read or written, no journal, no template.  Prints
 * "N SECONDS": what libcurl itself allows on this endpoint, so the table
 * shows how much of wrk's rate is left to a sender built on libcurl.
 * Built by bench/sms-send.sh:
 *   cc -O2 -o curl-multi curl-multi.c $(pkg-config --cflags --libs libcurl)
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t
sink(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

int
main(int argc, char *argv[])
{
	static const char body[] = "To=%2B8613800000001&From=%2B15005550006"
	    "&Body=%E6%82%A8%E5%A5%BD%EF%BC%8C%E6%82%A8%E7%9A%84%E7%BB%B4"
	    "%E4%BF%AE%E5%8D%95W20250001%E5%B7%B2%E5%AE%8C%E6%88%90%E3%80%82"
	    "%E5%9B%9E%E5%A4%8D%201%20%E6%BB%A1%E6%84%8F%20%2F%202%20%E4%B8"
	    "%8D%E6%BB%A1%E6%84%8F";
	struct timespec a, b;
	CURLM *m;
	long n, c, started = 0, done = 0;
	int running;

	if (argc != 4 || (n = atol(argv[2])) <= 0 || (c = atol(argv[3])) <= 0) {
		fprintf(stderr, "usage: curl-multi URL N C\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, c);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < c && started < n; i++, started++) {
		CURL *e = curl_easy_init();

		curl_easy_setopt(e, CURLOPT_URL, argv[1]);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_USERPWD,
		    "AC0123456789abcdef0123456789abcdef:"
		    "0123456789abcdef0123456789abcdef");
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
		curl_multi_add_handle(m, e);
	}
	while (done < n) {
		CURLMsg *msg;
		int q;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &q)) != NULL) {
			CURL *e = msg->easy_handle;
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
			if (code != 201) {
				fprintf(stderr, "curl-multi: HTTP %ld (%s)\n",
				    code, curl_easy_strerror(msg->data.result));
				return 1;
			}
			done++;
			curl_multi_remove_handle(m, e);
			if (started < n) {
				started++;
				curl_multi_add_handle(m, e);
			} else {
				curl_easy_cleanup(e);
			}
		}
		if (done < n)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%ld %.3f\n", n, (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return 0;
}
