/*
 * cmd_assure.c - pharosctl's routing-assurance commands.
 *
 *   show drills --schedule | --history NAME   scheduled drills, one's trend
 *   whatif peer-down NAME | config FILE | route-table FILE
 *   check symmetry NIC DEST-IP | --all
 *
 * What-if is computed by pharosd (POST /api/v1/whatif; config and
 * route-table send the file's text). The symmetry check asks
 * GET /api/v1/symmetry; when a path leaves the region it follows it
 * through the next regions' APIs (fabric.regions), one direction at a
 * time, and gives the verdict with the rule pharosd uses
 * (fab_symmetry_verdict). With -j the replies are printed as JSON: the
 * API's for what-if and the history, one object for a symmetry check.
 */
#include "cmd_assure.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_ops.h"
#include "fabric/fab_assure.h"

#define MAX_REGIONS 8

/* ------------------------------------------------------ drills */

static void show_schedule(json_t *o)
{
	struct table t = {.ncols = 9};
	json_t *e;
	size_t i;

	table_row(&t, "NAME", "KIND", "TARGET", "SCHEDULE", "NEXT", "LAST-RUN",
		  "SCORE", "RESULT", "RUNS/SKIPS");
	json_array_foreach(json_object_get(o, "drills"), i, e) {
		char b[9][256];
		json_t *sc = json_object_get(e, "last_score");
		snprintf(b[6], 256, json_is_number(sc) ? "%.0f%%" : "-",
			 json_number_value(sc));
		snprintf(b[8], 256, "%lld/%lld",
			 (long long)json_integer_value(json_object_get(e, "runs")),
			 (long long)json_integer_value(json_object_get(e, "skips")));
		table_row(&t, jstr(e, "name", b[0], 256), jstr(e, "kind", b[1], 256),
			  jstr(e, "target", b[2], 256), jstr(e, "schedule", b[3], 256),
			  jstr(e, "next_run", b[4], 256),
			  json_is_string(json_object_get(e, "last_run"))
				  ? jstr(e, "last_run", b[5], 256) : "-",
			  b[6], json_is_string(json_object_get(e, "last_result"))
				  ? jstr(e, "last_result", b[7], 256) : "-", b[8]);
	}
	table_print(&t);
	printf("history kept in %s\n", json_string_value(json_object_get(o, "state_dir")) ?: "?");
}

/* One bar of the trend: the score as a row of # out of 20. */
static void bar(double score, char *buf, size_t len)
{
	int n = (int)(score / 5.0 + 0.5);

	snprintf(buf, len, "%.*s%.*s", n, "####################", 20 - n,
		 "....................");
}

static void show_history(json_t *o)
{
	struct table t = {.ncols = 5};
	unsigned runs = 0, passes = 0, skips = 0;
	json_t *e;
	size_t i;

	printf("drill %s\n", json_string_value(json_object_get(o, "name")) ?: "?");
	table_row(&t, "SCHEDULED", "RESULT", "SCORE", "TREND", "DETAIL");
	json_array_foreach(json_object_get(o, "history"), i, e) {
		char b[5][600], err[200], when[64];
		const char *res = jstr(e, "result", b[1], 600);
		bool skipped = !strcmp(res, "skipped");
		double sc = json_number_value(json_object_get(e, "score"));

		skips += skipped;
		runs += !skipped;
		passes += !strcmp(res, "pass");
		snprintf(b[2], 600, skipped ? "-" : "%.0f%%", sc);
		if (skipped)
			snprintf(b[3], 600, "-");
		else
			bar(sc, b[3], 600);
		if (skipped)
			snprintf(b[4], 600, "%s", jstr(e, "reason", err, sizeof(err)));
		else
			snprintf(b[4], 600, "drill %lld %s%s%s",
				 (long long)json_integer_value(json_object_get(e, "id")),
				 json_string_value(json_object_get(e, "state")) ?: "",
				 *jstr(e, "error", err, sizeof(err)) ? ": " : "",
				 jstr(e, "error", err, sizeof(err)));
		table_row(&t, jstr(e, "scheduled", when, sizeof(when)), res, b[2],
			  b[3], b[4]);
	}
	table_print(&t);
	printf("%u runs, %u passed, %u skipped\n", runs, passes, skips);
}

int cmd_show_drills(struct ctl *c, int argc, char **argv)
{
	char path[600];

	if (argc == 1)
		return cmd_ops_show(c, argc, argv);
	if (argc == 2 && !strcmp(argv[1], "--schedule"))
		return do_get(c, "/api/v1/drills/schedule", show_schedule);
	if (argc != 3 || strcmp(argv[1], "--history"))
		usage_die("usage: show drills [--history NAME | --schedule]");
	char *e = esc(argv[2]);
	snprintf(path, sizeof(path), "/api/v1/drills/history/%s", e);
	curl_free(e);
	return do_get(c, path, show_history);
}

/* ------------------------------------------------------ what-if */

static char *read_file(const char *name)
{
	FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
	char *text = NULL, buf[8192];
	size_t len = 0, n;
	FILE *m;

	if (!f)
		die("cannot read %s", name);
	m = open_memstream(&text, &len);
	while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	if (f != stdin)
		fclose(f);
	if (!m)
		die("out of memory");
	fclose(m);
	return text;
}

static void print_route(const char *what, json_t *r)
{
	char b[4][512];
	const char *nh = jstr(r, "next_hop_ips", b[3], 512);

	printf("  %-8s %-20s %-22s %s\n", what, jstr(r, "prefix", b[0], 512),
	       jstr(r, "next_hop_type", b[1], 512), *nh ? nh : "-");
}

static void show_whatif(json_t *o)
{
	json_t *s, *r;
	size_t i, k;
	char b[4][512];

	json_array_foreach(json_object_get(o, "subnets"), i, s) {
		printf("subnet %s%s%s\n", jstr(s, "subnet", b[0], 512),
		       json_is_true(json_object_get(s, "new")) ? " (new)" : "",
		       json_is_true(json_object_get(s, "gone")) ? " (gone)" : "");
		json_array_foreach(json_object_get(s, "added"), k, r)
			print_route("added", r);
		json_array_foreach(json_object_get(s, "removed"), k, r)
			print_route("removed", r);
		long long more = json_integer_value(json_object_get(s, "added_count")) +
			json_integer_value(json_object_get(s, "removed_count")) +
			json_integer_value(json_object_get(s, "changed_count")) -
			(long long)(json_array_size(json_object_get(s, "added")) +
				    json_array_size(json_object_get(s, "removed")) +
				    json_array_size(json_object_get(s, "changed")));
		json_array_foreach(json_object_get(s, "changed"), k, r) {
			json_t *x = json_object_get(r, "before"), *y = json_object_get(r, "after");
			const char *bn = jstr(x, "next_hop_ips", b[1], 512);
			const char *an = jstr(y, "next_hop_ips", b[2], 512);
			printf("  %-8s %-20s %-22s %s -> %s\n", "changed",
			       jstr(r, "prefix", b[0], 512),
			       jstr(y, "next_hop_type", b[3], 512), *bn ? bn : "-",
			       *an ? an : "-");
		}
		if (more > 0)
			printf("  ... and %lld more (-j lists up to 1000 of each kind)\n", more);
	}
	printf("%zu subnets change, %lld unchanged; %lld loc-RIB prefixes change\n",
	       json_array_size(json_object_get(o, "subnets")),
	       (long long)json_integer_value(json_object_get(o, "subnets_unchanged")),
	       (long long)json_integer_value(json_object_get(o, "routes_changed")));
	if (!json_array_size(json_object_get(o, "lost_last_path")))
		printf("no prefix would lose its last path\n");
	else
		printf("prefixes that would lose their last path (%lld): %s\n",
		       (long long)json_integer_value(json_object_get(o, "lost_last_path_count")),
		       jstr(o, "lost_last_path", b[0], 512));
}

int cmd_whatif(struct ctl *c, int argc, char **argv)
{
	json_t *req, *o;
	char *body, *reply, *text = NULL;

	if (argc != 3)
		usage_die("usage: whatif peer-down NAME | config FILE | route-table FILE");
	if (!strcmp(argv[1], "peer-down"))
		req = json_pack("{s:s, s:s}", "kind", "peer-down", "peer", argv[2]);
	else if (!strcmp(argv[1], "config") || !strcmp(argv[1], "route-table")) {
		text = read_file(argv[2]);
		req = json_pack("{s:s, s:s}", "kind", argv[1],
				argv[1][0] == 'c' ? "config" : "route_tables", text);
		free(text);
		if (!req)
			die("%s is not UTF-8 text", argv[2]);
	} else
		usage_die("usage: whatif peer-down NAME | config FILE | route-table FILE");
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	reply = request(c, "POST", "/api/v1/whatif", body);
	free(body);
	if (c->json) {
		printf("%s\n", reply);
		free(reply);
		return 0;
	}
	o = json_loads(reply, 0, NULL);
	free(reply);
	if (!o)
		die("the reply is not JSON");
	printf("what if %s %s:\n", argv[1], argv[2]);
	show_whatif(o);
	json_decref(o);
	return 0;
}

/* ------------------------------------------------------ symmetry */

static json_t *get(struct ctl *c, const char *path)
{
	char *body = request(c, "GET", path, NULL);
	json_t *o = json_loads(body, 0, NULL);

	free(body);
	if (!o)
		die("the reply of %s is not JSON", c->url);
	return o;
}

/* The API URL of region name, from the server at c. */
static char *region_api(struct ctl *c, const char *name)
{
	json_t *o = get(c, "/api/v1/fabric"), *r;
	char *url = NULL;
	size_t i;

	json_array_foreach(json_object_get(o, "regions"), i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));
		const char *a = json_string_value(json_object_get(r, "api"));
		if (n && a && !strcmp(n, name) && !url)
			url = strdup(a);
	}
	json_decref(o);
	return url;
}

struct leg { /* one direction across regions */
	struct fab_sym_side side;
	json_t *segments; /* each region's trace, in order */
	const char *end_nic; /* the NIC it was delivered to (in segments) */
	char *end_url; /* the API of the region it ended in */
	const char *result;
};

static void symq(char *path, size_t len, const char *key, const char *from,
		 const char *dst, bool one)
{
	char *ef = esc(from), *ed = esc(dst);

	snprintf(path, len, "/api/v1/symmetry?%s=%s&dst=%s%s", key, ef, ed,
		 one ? "&one_way=1" : "");
	curl_free(ef);
	curl_free(ed);
}

/* Follow trace seg (the first region's) to its end; fills leg. */
static void follow(struct ctl *c, json_t *seg, const char *dst, struct leg *l)
{
	struct ctl cur = *c;
	char path[1024];

	l->end_url = strdup(c->url);
	for (unsigned hop = 0; seg; hop++) {
		const char *next, *exit_ip;
		json_t *hops = json_object_get(seg, "hops"), *o;
		json_t *last = json_array_get(hops, json_array_size(hops) - 1);

		json_array_append(l->segments, seg); /* keeps seg alive */
		if (hop)
			json_decref(seg); /* ours, from the region's reply */
		if (fab_crossings_parse(json_object_get(seg, "stateful"), &l->side) < 0)
			die("malformed stateful hops from %s", cur.url);
		l->result = json_string_value(json_object_get(seg, "result"));
		l->end_nic = json_string_value(json_object_get(last, "at"));
		next = json_string_value(json_object_get(seg, "next_region"));
		exit_ip = json_string_value(json_object_get(seg, "exit_ip"));
		if (!l->result || strcmp(l->result, "left-region") || !next ||
		    !exit_ip || hop + 1 >= MAX_REGIONS)
			return;
		char *url = region_api(&cur, next);
		if (!url)
			return;
		free(l->end_url);
		l->end_url = url;
		cur.url = url;
		symq(path, sizeof(path), "from_ip", exit_ip, dst, true);
		o = get(&cur, path);
		seg = json_incref(json_object_get(o, "forward"));
		json_decref(o);
	}
}

static void print_leg(const char *name, struct leg *l)
{
	json_t *seg, *h, *x;
	size_t i, k;
	char b[3][512];

	printf("%s:", name);
	json_array_foreach(l->segments, i, seg)
		json_array_foreach(json_object_get(seg, "hops"), k, h) {
			json_t *at = json_object_get(h, "at");
			printf(" %s%s", i || k ? "-> " : "",
			       json_is_string(at) ? json_string_value(at) : jstr(h, "ip", b[0], 512));
		}
	printf("  (%s)\n", l->result ? l->result : "?");
	json_array_foreach(l->segments, i, seg)
		json_array_foreach(json_object_get(seg, "stateful"), k, x)
			printf("  stateful hop at %s: %s among [%s]%s\n",
			       jstr(x, "at", b[0], 512), jstr(x, "chosen", b[1], 512),
			       jstr(x, "candidates", b[2], 512),
			       json_is_true(json_object_get(x, "sticky")) ? " (sticky)" : "");
}

/* Check one flow; returns the verdict (-1: incomplete) and prints or
 * collects its JSON. */
static int check_one(struct ctl *c, const char *nic, const char *dst,
		     bool quiet, json_t **out)
{
	struct leg *f = calloc(1, sizeof(*f)), *r = calloc(1, sizeof(*r));
	char path[1024], reason[600] = "", src[64] = "";
	json_t *o, *seg;
	int v = -1;

	if (!f || !r)
		die("out of memory");
	f->segments = json_array();
	r->segments = json_array();
	symq(path, sizeof(path), "nic", nic, dst, true);
	o = get(c, path);
	seg = json_incref(json_object_get(o, "forward"));
	json_decref(o);
	snprintf(src, sizeof(src), "%s", json_string_value(json_object_get(
		json_array_get(json_object_get(seg, "hops"), 0), "ip")) ?: "");
	follow(c, seg, dst, f);
	json_decref(seg);
	if (f->result && !strcmp(f->result, "delivered") && f->end_nic && *src) {
		struct ctl back = *c;
		back.url = f->end_url;
		symq(path, sizeof(path), "nic", f->end_nic, src, true);
		o = get(&back, path);
		seg = json_incref(json_object_get(o, "forward"));
		json_decref(o);
		follow(&back, seg, src, r);
		json_decref(seg);
		if (r->result && !strcmp(r->result, "delivered"))
			v = fab_symmetry_verdict(&f->side, &r->side, reason, sizeof(reason));
		else
			snprintf(reason, sizeof(reason), "the return path does not "
				 "come back (%s)", r->result ? r->result : "?");
	} else
		snprintf(reason, sizeof(reason), "the forward path does not reach "
			 "%s (%s)", dst, f->result ? f->result : "?");
	if (!quiet && !c->json) {
		printf("check symmetry %s -> %s\n", nic, dst);
		print_leg("forward", f);
		if (json_array_size(r->segments))
			print_leg("return ", r);
		printf("verdict: %s: %s\n", v >= 0 ? fab_verdict_name(v) : "unknown",
		       reason);
	}
	*out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s}", "nic", nic, "dst", dst,
			 "forward", f->segments, "return", r->segments,
			 "verdict", v >= 0 ? json_string(fab_verdict_name(v)) : json_null(),
			 "reason", reason);
	free(f->end_url);
	free(r->end_url);
	free(f);
	free(r);
	return v;
}

/* One VM per subnet of every region (not in a hub, not a firewall):
 * [{"nic","ip","url"}]. */
static json_t *all_vms(struct ctl *c)
{
	json_t *fab = get(c, "/api/v1/fabric"), *vms = json_array(), *r;
	size_t i;
	json_t *urls = json_array();

	json_array_append_new(urls, json_string(c->url));
	json_array_foreach(json_object_get(fab, "regions"), i, r)
		json_array_append(urls, json_object_get(r, "api"));
	json_decref(fab);
	json_array_foreach(urls, i, r) {
		struct ctl one = *c;
		json_t *f, *v, *n;
		size_t k, j;
		one.url = json_string_value(r);
		if (!one.url)
			continue;
		f = get(&one, "/api/v1/fabric");
		json_array_foreach(json_object_get(f, "vnets"), k, v) {
			json_t *seen = json_object();
			if (json_is_true(json_object_get(v, "hub")) ||
			    json_is_true(json_object_get(v, "remote"))) {
				json_decref(seen);
				continue;
			}
			json_array_foreach(json_object_get(v, "nics"), j, n) {
				const char *sub = json_string_value(json_object_get(n, "subnet"));
				if (!sub || json_object_get(seen, sub))
					continue;
				json_object_set_new(seen, sub, json_true());
				json_array_append_new(vms, json_pack("{s:O, s:O, s:s}",
					"nic", json_object_get(n, "name"), "ip",
					json_object_get(n, "ip"), "url", one.url));
			}
			json_decref(seen);
		}
		json_decref(f);
	}
	json_decref(urls);
	return vms;
}

static int check_all(struct ctl *c)
{
	json_t *vms = all_vms(c), *pairs = json_array(), *a, *b;
	unsigned count[4] = {0};
	size_t i, k;

	json_array_foreach(vms, i, a) {
		for (k = i + 1; k < json_array_size(vms); k++) {
			struct ctl at = *c;
			json_t *o;
			int v;
			b = json_array_get(vms, k);
			at.url = json_string_value(json_object_get(a, "url"));
			v = check_one(&at, json_string_value(json_object_get(a, "nic")),
				      json_string_value(json_object_get(b, "ip")), true, &o);
			count[v < 0 ? 3 : v]++;
			if (!c->json)
				printf("%-12s %-16s -> %-16s %s\n",
				       v >= 0 ? fab_verdict_name(v) : "unknown",
				       json_string_value(json_object_get(a, "nic")),
				       json_string_value(json_object_get(b, "nic")),
				       json_string_value(json_object_get(o, "reason")));
			json_array_append_new(pairs, o);
		}
	}
	if (c->json) {
		json_t *o = json_pack("{s:o, s:{s:i, s:i, s:i, s:i}}", "pairs", pairs,
				      "summary", "symmetric", count[0], "at_risk",
				      count[1], "asymmetric", count[2], "unknown",
				      count[3]);
		char *t = json_dumps(o, JSON_COMPACT);
		printf("%s\n", t);
		free(t);
		json_decref(o);
	} else {
		printf("%zu pairs: %u symmetric, %u at_risk, %u asymmetric, %u unknown\n",
		       json_array_size(pairs), count[0], count[1], count[2], count[3]);
		json_decref(pairs);
	}
	json_decref(vms);
	return 0;
}

int cmd_symmetry(struct ctl *c, int argc, char **argv)
{
	json_t *o;

	if (argc == 2 && !strcmp(argv[1], "--all"))
		return check_all(c);
	if (argc != 3)
		usage_die("usage: check symmetry NIC DEST-IP | check symmetry --all");
	check_one(c, argv[1], argv[2], false, &o);
	if (c->json) {
		char *t = json_dumps(o, JSON_COMPACT);
		printf("%s\n", t);
		free(t);
	}
	json_decref(o);
	return 0;
}
