/*
 * cmd_ops.c - pharosctl's operations commands (see cmd_ops.h):
 *
 *   reload
 *   drill peer-down NAME [--restore-after S] [--expect FILE] [--wait]
 *   drill nva-silent NAME [--restore-after S] [--expect FILE] [--wait]
 *   drill report ID --svg FILE
 *   show drills | show drill ID
 *   show events --follow
 *
 * The drill report for people draws the timeline as a terminal chart (one
 * row per phase, a bar of '#' proportional to its time) and lists the
 * checks. Expected route sets are read from YAML or JSON.
 */
#include "cmd_ops.h"

#include <curl/curl.h>
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BAR_WIDTH 40

/* ------------------------------------------------------ raw requests */

struct rbuf {
	char *p;
	size_t len;
	bool stream; /* event stream: print lines as they come */
	bool json;
};

static void stream_line(struct rbuf *b, char *line)
{
	json_t *e;
	char t[4][600];

	if (strncmp(line, "data: ", 6))
		return;
	if (b->json) {
		printf("%s\n", line + 6);
	} else if ((e = json_loads(line + 6, 0, NULL))) {
		printf("%s  %-16s %-12s %s\n", jstr(e, "time", t[0], 600),
		       jstr(e, "type", t[1], 600), jstr(e, "peer", t[2], 600),
		       jstr(e, "reason", t[3], 600));
		json_decref(e);
	}
	fflush(stdout);
}

static size_t rbuf_write(char *data, size_t sz, size_t n, void *arg)
{
	struct rbuf *b = arg;
	char *nb = realloc(b->p, b->len + sz * n + 1);
	char *nl;

	if (!nb)
		return 0;
	b->p = nb;
	memcpy(b->p + b->len, data, sz * n);
	b->len += sz * n;
	b->p[b->len] = 0;
	while (b->stream && (nl = memchr(b->p, '\n', b->len))) {
		size_t used = (size_t)(nl - b->p) + 1;
		*nl = 0;
		stream_line(b, b->p);
		memmove(b->p, b->p + used, b->len - used + 1);
		b->len -= used;
	}
	return sz * n;
}

/* One request that returns the status instead of dying on >= 400. */
static long raw_request(struct ctl *c, const char *method, const char *path,
			const char *body, struct rbuf *b, long timeout)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char url[2048], auth[600];
	long status = 0;
	CURLcode rc;

	if (!h)
		die("cannot initialise libcurl");
	snprintf(url, sizeof(url), "%s%s", c->url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rbuf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "{}");
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	}
	if (c->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK && !(b->stream && status == 200))
		unreachable_die("cannot reach pharosd at %s: %s", c->url,
				curl_easy_strerror(rc));
	if (!b->p)
		b->p = strdup("");
	return status;
}

/* ------------------------------------------------------ reload */

static void print_names(json_t *peers, const char *key)
{
	json_t *a = json_object_get(peers, key), *v;
	size_t i;

	printf("  %-10s", key);
	if (!json_array_size(a))
		printf(" -");
	json_array_foreach(a, i, v)
		printf(" %s", json_string_value(v));
	printf("\n");
}

static int cmd_reload(struct ctl *c, bool check)
{
	struct rbuf b = {0};
	long st = raw_request(c, "POST", check ? "/api/v1/reload?check=1"
					       : "/api/v1/reload",
			      "{}", &b, 60);
	json_t *o = json_loads(b.p, 0, NULL), *v, *why;
	const char *name;
	size_t i;
	int rc = st == 200 ? 0 : 1;

	if (c->json) {
		printf("%s\n", b.p);
	} else if (st == 200 && o) {
		printf(check ? "reload check: nothing applied; a reload would "
			       "do this:\n"
			     : "reload ok\n");
		for (const char *const *k = (const char *const[]){"reset", "added",
			     "removed", "updated", "unchanged", NULL}; *k; k++)
			print_names(json_object_get(o, "peers"), *k);
		why = json_object_get(json_object_get(o, "peers"), "reset_why");
		json_object_foreach(why, name, v)
			printf("  %s is reset: %s\n", name, json_string_value(v));
		json_array_foreach(json_object_get(o, "rs_changed"), i, v)
			printf("  route server: %s settings change\n",
			       json_string_value(v));
		json_array_foreach(json_object_get(o, "warnings"), i, v)
			printf("  %s\n", json_string_value(v));
	} else if (o && json_object_get(o, "errors")) {
		fprintf(stderr, "pharosctl: reload refused, the running "
			"configuration is kept:\n");
		json_array_foreach(json_object_get(o, "errors"), i, v)
			fprintf(stderr, "  %s\n", json_string_value(v));
	} else {
		fprintf(stderr, "pharosctl: reload failed (HTTP %ld): %s\n", st,
			o ? json_string_value(json_object_get(o, "error")) : b.p);
	}
	json_decref(o);
	free(b.p);
	return rc;
}

/* ------------------------------------------------------ drill report */

static void show_drill(json_t *o)
{
	json_t *tl = json_object_get(o, "timeline"), *e;
	json_int_t max = 1;
	size_t i;
	char b[5][600];

	printf("drill %s: %s %s (restore after %s s), %s, started %s\n",
	       jstr(o, "id", b[0], 600), json_string_value(json_object_get(o, "type"))
	       ? json_string_value(json_object_get(o, "type")) : "peer-down",
	       jstr(o, "peer", b[1], 600),
	       jstr(o, "restore_after", b[2], 600), jstr(o, "state", b[3], 600),
	       jstr(o, "started", b[4], 600));
	if (json_is_string(json_object_get(o, "error")))
		printf("problem: %s\n", jstr(o, "error", b[0], 600));
	json_array_foreach(tl, i, e)
		if (json_integer_value(json_object_get(e, "ms")) > max)
			max = json_integer_value(json_object_get(e, "ms"));
	printf("\ntimeline (ms from the shutdown)\n");
	json_array_foreach(tl, i, e) {
		json_t *ms = json_object_get(e, "ms");
		char bar[BAR_WIDTH + 1];
		int n = 0;

		if (json_is_integer(ms)) {
			n = (int)(json_integer_value(ms) * BAR_WIDTH / max);
			if (n < 1)
				n = 1;
		}
		memset(bar, '#', (size_t)n);
		bar[n] = 0;
		if (json_is_integer(ms))
			printf("  %-22s %7lld ms |%-*s|\n",
			       jstr(e, "label", b[0], 600),
			       (long long)json_integer_value(ms), BAR_WIDTH, bar);
		else
			printf("  %-22s %10s |%-*s|\n", jstr(e, "label", b[0], 600),
			       "-", BAR_WIDTH, "not reached");
	}
	printf("\nchecks\n");
	json_array_foreach(json_object_get(o, "checks"), i, e) {
		char *want = json_dumps(json_object_get(e, "expected"), JSON_COMPACT);
		char *got = json_dumps(json_object_get(e, "got"), JSON_COMPACT);
		printf("  %-4s %-7s %-20s expected %s got %s\n",
		       json_is_true(json_object_get(e, "ok")) ? "ok" : "FAIL",
		       jstr(e, "moment", b[0], 600), jstr(e, "prefix", b[1], 600),
		       want ? want : "", got ? got : "");
		free(want);
		free(got);
	}
	if (!json_array_size(json_object_get(o, "checks")))
		printf("  (no expectations)\n");
	json_array_foreach(json_object_get(o, "mismatches"), i, e)
		printf("mismatch: %s\n", json_string_value(e));
	printf("score: %.0f%% (%s of %s expectations checked)\n",
	       json_number_value(json_object_get(o, "score")),
	       jstr(o, "checked", b[0], 600), jstr(o, "expectations", b[1], 600));
}

static void show_drills(json_t *o)
{
	struct table t = {.ncols = 6};
	json_t *e;
	size_t i;

	table_row(&t, "ID", "PEER", "STARTED", "STATE", "SCORE", "PROBLEM");
	json_array_foreach(json_object_get(o, "drills"), i, e) {
		char b[6][600];
		snprintf(b[4], 600, "%.0f%%",
			 json_number_value(json_object_get(e, "score")));
		table_row(&t, jstr(e, "id", b[0], 600), jstr(e, "peer", b[1], 600),
			  jstr(e, "started", b[2], 600), jstr(e, "state", b[3], 600),
			  b[4], jstr(e, "error", b[5], 600));
	}
	table_print(&t);
}

/* ------------------------------------------------------ drill */

/* An expected route set from YAML or JSON, as JSON. */
static json_t *load_expect(const char *file)
{
	struct fy_document *fyd = fy_document_build_from_file(NULL, file);
	char *text;
	json_t *o;

	if (!fyd)
		die("cannot read %s as YAML or JSON", file);
	text = fy_emit_document_to_string(fyd, FYECF_MODE_JSON);
	fy_document_destroy(fyd);
	o = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!json_is_object(o))
		die("%s: expected {before: [...], during: [...], after: [...]}", file);
	return o;
}

static int drill_wait(struct ctl *c, json_int_t id, double limit)
{
	char path[128];
	struct timespec ts = {0, 200 * 1000 * 1000};
	time_t end = time(NULL) + (time_t)limit;
	int rc = 1;

	snprintf(path, sizeof(path), "/api/v1/drills/%lld", (long long)id);
	for (;;) {
		char *reply = request(c, "GET", path, NULL);
		json_t *o = json_loads(reply, 0, NULL);
		const char *st = json_string_value(json_object_get(o, "state"));

		if ((st && strcmp(st, "running")) || time(NULL) > end) {
			if (c->json)
				printf("%s\n", reply);
			else
				show_drill(o);
			rc = st && !strcmp(st, "done") ? 0 : 1;
			json_decref(o);
			free(reply);
			return rc;
		}
		json_decref(o);
		free(reply);
		nanosleep(&ts, NULL);
	}
}

static int drill_start_cmd(struct ctl *c, const char *type, int argc,
			   char **argv)
{
	const char *name = NULL, *expect = NULL;
	double restore = 10;
	bool wait = false;
	json_t *req, *o;
	char *body, *reply;
	json_int_t id;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--restore-after") && i + 1 < argc)
			restore = atof(argv[++i]);
		else if (!strcmp(argv[i], "--expect") && i + 1 < argc)
			expect = argv[++i];
		else if (!strcmp(argv[i], "--wait"))
			wait = true;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			usage_die("drill %s: unexpected argument %s", type, argv[i]);
	}
	if (!name)
		usage_die("usage: drill %s NAME [--restore-after S] "
		    "[--expect FILE] [--wait]", type);
	req = json_pack("{s:s, s:s, s:f}", "type", type, "peer", name,
			"restore_after", restore);
	if (expect)
		json_object_set_new(req, "expect", load_expect(expect));
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	reply = request(c, "POST", "/api/v1/drills", body);
	free(body);
	o = json_loads(reply, 0, NULL);
	id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	if (wait) {
		free(reply);
		return drill_wait(c, id, restore + 90);
	}
	if (c->json)
		printf("%s\n", reply);
	else
		printf("drill %lld started: %s %s, restore after %.1f s\n",
		       (long long)id, type, name, restore);
	free(reply);
	return 0;
}

static int drill_report(struct ctl *c, int argc, char **argv)
{
	char path[128], *svg;
	FILE *f;

	if (argc != 3 || strcmp(argv[1], "--svg"))
		usage_die("usage: drill report ID --svg FILE");
	snprintf(path, sizeof(path), "/api/v1/drills/%lu/report.svg",
		 strtoul(argv[0], NULL, 10));
	svg = request(c, "GET", path, NULL);
	f = fopen(argv[2], "w");
	if (!f || fputs(svg, f) < 0 || fclose(f) != 0)
		die("cannot write %s", argv[2]);
	printf("wrote %s\n", argv[2]);
	free(svg);
	return 0;
}

/* ------------------------------------------------------ entries */

bool ops_command_word(const char *w)
{
	return !strcmp(w, "reload") || !strcmp(w, "drill");
}

int cmd_ops(struct ctl *c, int argc, char **argv)
{
	if (!strcmp(argv[0], "reload")) {
		if (argc > 2 || (argc == 2 && strcmp(argv[1], "--check")))
			usage_die("usage: reload [--check]");
		return cmd_reload(c, argc == 2);
	}
	if (argc >= 2 && (!strcmp(argv[1], "peer-down") ||
			  !strcmp(argv[1], "nva-silent")))
		return drill_start_cmd(c, argv[1], argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return drill_report(c, argc - 2, argv + 2);
	usage_die("usage: drill peer-down|nva-silent NAME [--restore-after S] "
	    "[--expect FILE] [--wait] | drill report ID --svg FILE");
	return 1;
}

bool ops_show_word(int argc, char **argv)
{
	return !strcmp(argv[0], "drills") || !strcmp(argv[0], "drill") ||
	       (!strcmp(argv[0], "events") && argc > 1);
}

int cmd_ops_show(struct ctl *c, int argc, char **argv)
{
	char path[128];

	if (!strcmp(argv[0], "drills"))
		return do_get(c, "/api/v1/drills", show_drills);
	if (!strcmp(argv[0], "drill")) {
		if (argc != 2)
			usage_die("usage: show drill ID");
		snprintf(path, sizeof(path), "/api/v1/drills/%lu",
			 strtoul(argv[1], NULL, 10));
		return do_get(c, path, show_drill);
	}
	if (argc == 2 && !strcmp(argv[1], "--follow")) {
		struct rbuf b = {.stream = true, .json = c->json};
		/* like tail -f: the last few kept events, then new ones */
		long st = raw_request(c, "GET", "/api/v1/events/stream?history=10",
				      NULL, &b, 0);
		free(b.p);
		if (st != 200)
			die("event stream refused (HTTP %ld)", st);
		return 0;
	}
	usage_die("usage: show events [--follow]");
	return 1;
}
