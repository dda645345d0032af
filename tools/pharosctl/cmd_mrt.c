/*
 * cmd_mrt.c - `pharosctl mrt dump FILE`: fetch the TABLE_DUMP_V2 RIB dump
 * from pharosd (a binary body, so not through request(), which returns
 * text), check it with the MRT reader, and write it to FILE ("-" for
 * standard output) through a temporary file so FILE is never half written.
 */
#include "cmd_mrt.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mrt/mrt.h"

struct body {
	uint8_t *p;
	size_t len;
};

static size_t body_cb(char *data, size_t sz, size_t n, void *arg)
{
	struct body *b = arg;
	uint8_t *np = realloc(b->p, b->len + sz * n + 1);

	if (!np)
		return 0;
	memcpy(np + b->len, data, sz * n);
	b->p = np;
	b->len += sz * n;
	b->p[b->len] = 0;
	return sz * n;
}

/* GET path as bytes; dies on transport errors and HTTP errors. */
static struct body fetch(struct ctl *c, const char *path)
{
	CURL *h = curl_easy_init();
	struct body b = {0};
	char url[2048];
	long status = 0;
	CURLcode rc;

	if (!h)
		die("cannot initialise libcurl");
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK)
		die("cannot reach pharosd at %s: %s", c->url, curl_easy_strerror(rc));
	if (status >= 400) {
		json_t *o = json_loadb((const char *)b.p, b.len, 0, NULL);
		const char *m = json_string_value(json_object_get(o, "error"));
		die("request failed (HTTP %ld): %s", status, m ? m : "error");
	}
	return b;
}

struct summary {
	unsigned peers;
	size_t prefixes, routes;
};

/* Walk the dump: it must read back whole, as TABLE_DUMP_V2. */
static void check_dump(const struct body *b, struct summary *s)
{
	struct mrt_reader r;
	struct mrt_record rec;
	int rc;

	memset(s, 0, sizeof(*s));
	mrt_reader_init(&r, b->p, b->len);
	while ((rc = mrt_next(&r, &rec)) == 1) {
		struct mrt_rib_entry e;
		size_t off = 0;

		if (rec.kind == MRT_REC_PEER_INDEX)
			s->peers = r.n_peers;
		if (rec.kind != MRT_REC_RIB)
			continue;
		s->prefixes++;
		while (mrt_rib_entry_next(&rec, &off, &e) == 1)
			s->routes++;
	}
	if (rc < 0) {
		char err[sizeof(r.err)];
		snprintf(err, sizeof(err), "%s", r.err);
		mrt_reader_free(&r);
		die("pharosd sent an MRT dump that does not read back: %s", err);
	}
	mrt_reader_free(&r);
}

static void save(const char *file, const struct body *b)
{
	char tmp[4096];

	if (!strcmp(file, "-")) {
		if (fwrite(b->p, 1, b->len, stdout) != b->len || fflush(stdout))
			die("cannot write the dump to standard output");
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", file, (long)getpid());
	if (mrt_file_save(tmp, b->p, b->len) < 0) {
		unlink(tmp);
		die("cannot write %s: %m", tmp);
	}
	if (rename(tmp, file) < 0) {
		unlink(tmp);
		die("cannot rename %s to %s: %m", tmp, file);
	}
}

static int mrt_dump(struct ctl *c, const char *file)
{
	struct body b = fetch(c, "/api/v1/mrt/rib");
	struct summary s;

	check_dump(&b, &s);
	save(file, &b);
	if (!strcmp(file, "-"))
		;
	else if (c->json)
		printf("{\"file\":\"%s\",\"bytes\":%zu,\"peers\":%u,"
		       "\"prefixes\":%zu,\"routes\":%zu}\n", file, b.len,
		       s.peers, s.prefixes, s.routes);
	else
		printf("wrote %s: %zu bytes, %u peers, %zu prefixes, %zu routes\n",
		       file, b.len, s.peers, s.prefixes, s.routes);
	free(b.p);
	return 0;
}

int cmd_mrt(struct ctl *c, int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "dump"))
		die("usage: mrt dump FILE");
	if (argc != 2)
		die("usage: mrt dump FILE (- for standard output)");
	return mrt_dump(c, argv[1]);
}
