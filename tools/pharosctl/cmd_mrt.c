/*
 * cmd_mrt.c - `pharosctl mrt dump FILE`: fetch the TABLE_DUMP_V2 RIB dump
 * from pharosd (a binary body: request_len() gives its length), check
 * it with the MRT reader, and write it to FILE ("-" for
 * standard output) through a temporary file so FILE is never half written.
 */
#include "base/jsonfmt.h"
#include "cmd_mrt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mrt/mrt.h"

struct body {
	uint8_t *p;
	size_t len;
};

/* GET path as bytes; dies on transport errors and HTTP errors. */
static struct body fetch(struct ctl *c, const char *path)
{
	struct body b = {0};

	b.p = (uint8_t *)request_len(c, "GET", path, NULL, 120, &b.len);
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
	else if (c->json) {
		json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I}", "file", file,
				      "bytes", (json_int_t)b.len, "peers",
				      (json_int_t)s.peers, "prefixes",
				      (json_int_t)s.prefixes, "routes",
				      (json_int_t)s.routes);
		char *t = o ? json_dumps(o, PHAROS_JSON_DUMP)
			    : NULL;

		if (!t)
			die("out of memory");
		printf("%s\n", t);
		free(t);
		json_decref(o);
	} else
		printf("wrote %s: %zu bytes, %u peers, %zu prefixes, %zu routes\n",
		       file, b.len, s.peers, s.prefixes, s.routes);
	free(b.p);
	return 0;
}

int cmd_mrt(struct ctl *c, int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "dump"))
		usage_die("usage: mrt dump FILE");
	if (argc != 2)
		usage_die("usage: mrt dump FILE (- for standard output)");
	return mrt_dump(c, argv[1]);
}
