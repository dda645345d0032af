/*
 * pharosctl.c - the command-line client of pharosd's control API.
 *
 * Each command maps to one HTTP request (libcurl); the JSON reply is shown
 * as aligned tables, or printed unchanged with -j. Commands are one table
 * (words, arguments, help, handler); each word may be shortened to a
 * unique prefix ("sh pe"), options may come anywhere, and every command
 * has its own help. Errors are one line on stderr; the exit status says
 * which kind (ctl.h: 1 refused or failed, 2 usage, 3 unreachable).
 */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonfmt.h"
#include "cmd_fabric.h"
#include "cmd_mrt.h"
#include "cmd_assure.h"
#include "cmd_ops.h"
#include "ctl.h"
#include "base/prefix.h"
#include "base/version.h"
#include "filter.h"

#define DEFAULT_URL "http://127.0.0.1:8179"

/* LAST-ERROR: "HH:MM:SS message" (the UTC time of day; the date and
 * milliseconds are in show peer), "(old) ..." once the session has been
 * up since. */
static const char *last_error_cell(json_t *p, char *buf, size_t len)
{
	const char *e = json_string_value(json_object_get(p, "last_error"));
	const char *t = json_string_value(json_object_get(p, "last_error_time"));

	if (!e || !*e) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	snprintf(buf, len, "%s%.8s%s%s",
		 json_is_true(json_object_get(p, "last_error_old")) ? "(old) " : "",
		 t && strlen(t) >= 19 ? t + 11 : "", t ? " " : "", e);
	return buf;
}

static void show_peers(json_t *o)
{
	struct table t = {.ncols = 11};
	json_t *p;
	size_t i;

	table_row(&t, "NAME", "ADDRESS", "ASN", "KIND", "ADMIN", "STATE",
		  "UPTIME", "RCVD", "ACCEPTED", "ADVERTISED", "LAST-ERROR");
	json_array_foreach(json_object_get(o, "peers"), i, p) {
		char b[10][64], le[300];

		fmt_uptime((long)json_integer_value(json_object_get(p, "uptime_s")),
			   b[0], sizeof(b[0]));
		if (!strcmp(b[0], "-") &&
		    !strcmp(jstr(p, "state", b[1], 64), "established"))
			snprintf(b[0], sizeof(b[0]), "00:00:00");
		table_row(&t, jstr(p, "name", b[1], 64),
			  jstr(p, "address", b[2], 64), jstr(p, "asn", b[3], 64),
			  jstr(p, "kind", b[4], 64), jstr(p, "admin_state", b[9], 64),
			  jstr(p, "state", b[5], 64),
			  b[0], jstr(p, "prefixes_received", b[6], 64),
			  jstr(p, "prefixes_accepted", b[7], 64),
			  jstr(p, "prefixes_advertised", b[8], 64),
			  last_error_cell(p, le, sizeof(le)));
	}
	table_print(&t);
}

static void route_rows(struct table *t, json_t *r, bool marks, bool rpki)
{
	json_t *paths = json_object_get(r, "paths"), *p;
	const char *prefix = json_string_value(json_object_get(r, "prefix"));
	size_t i;

	json_array_foreach(paths, i, p) {
		char b[7][512];
		const char *mark = !marks ? " "
				   : json_is_true(json_object_get(p, "best")) ? "*"
				   : json_is_true(json_object_get(p, "ecmp")) ? "="
				   : " ";
		jstr(p, "communities", b[5], sizeof(b[5]));
		if (json_array_size(json_object_get(p, "large_communities"))) {
			char l[400];
			size_t n = strlen(b[5]);
			jstr(p, "large_communities", l, sizeof(l));
			snprintf(b[5] + n, sizeof(b[5]) - n, "%s%s", n ? " " : "", l);
		}
		{ /* a path kept while its peer restarts is marked */
			char pe[400];
			snprintf(b[1], sizeof(b[1]), "%s%s",
				 jstr(p, "peer", pe, sizeof(pe)),
				 json_is_true(json_object_get(p, "stale"))
					 ? " (stale)" : "");
		}
		if (rpki) { /* RFC 6811 state, when validation is on */
			char st[64];
			table_row(t, mark, i ? "" : prefix,
				  jstr(p, "next_hop", b[0], 512), b[1],
				  jstr(p, "local_pref", b[2], 512),
				  jstr(p, "med", b[3], 512),
				  jstr(p, "origin", b[6], 512),
				  jstr(p, "rpki", st, sizeof(st)),
				  jstr(p, "as_path", b[4], 512), b[5]);
			continue;
		}
		table_row(t, mark, i ? "" : prefix, jstr(p, "next_hop", b[0], 512),
			  b[1], jstr(p, "local_pref", b[2], 512),
			  jstr(p, "med", b[3], 512), jstr(p, "origin", b[6], 512),
			  jstr(p, "as_path", b[4], 512), b[5]);
	}
}

/* Whether any path carries an RPKI state (validation is configured). */
static bool routes_have_rpki(json_t *o)
{
	json_t *r, *p;
	size_t i, k;

	json_array_foreach(json_object_get(o, "routes"), i, r)
		json_array_foreach(json_object_get(r, "paths"), k, p)
			if (json_object_get(p, "rpki"))
				return true;
	return false;
}

static void show_routes(json_t *o, bool marks)
{
	bool rpki = routes_have_rpki(o);
	struct table t = {.ncols = rpki ? 10 : 9};
	json_t *r;
	size_t i, n = 0;

	if (rpki)
		table_row(&t, " ", "PREFIX", "NEXT-HOP", "PEER", "LP", "MED",
			  "ORIGIN", "RPKI", "AS-PATH", "COMMUNITIES");
	else
		table_row(&t, " ", "PREFIX", "NEXT-HOP", "PEER", "LP", "MED",
			  "ORIGIN", "AS-PATH", "COMMUNITIES");
	json_t *p;
	size_t k;

	json_array_foreach(json_object_get(o, "routes"), i, r) {
		route_rows(&t, r, marks, rpki);
		n++;
	}
	table_print(&t);
	printf("%zu prefixes%s\n", n, marks ? "  (* best, = ECMP member)" : "");
	/* Why each other path lost (the decision step). */
	json_array_foreach(json_object_get(o, "routes"), i, r)
		json_array_foreach(json_object_get(r, "paths"), k, p)
			if (json_is_string(json_object_get(p, "reason")))
				printf("  %s from %s lost at: %s\n",
				       json_string_value(json_object_get(r, "prefix")),
				       json_string_value(json_object_get(p, "peer")),
				       json_string_value(json_object_get(p, "reason")));
}

/* Routes in address order (IPv4 first), as adj-in and the loc-RIB are
 * shown; the API gives adj-out in the order export keeps it. */
static int route_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	struct prefix px, py;

	if (prefix_parse(json_string_value(json_object_get(x, "prefix")) ?: "", &px) < 0 ||
	    prefix_parse(json_string_value(json_object_get(y, "prefix")) ?: "", &py) < 0)
		return 0;
	return prefix_cmp(&px, &py);
}

static void sort_routes(json_t *routes)
{
	size_t n = json_array_size(routes);
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		die("out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(routes, i));
	qsort(v, n, sizeof(*v), route_cmp);
	json_array_clear(routes);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(routes, v[i]);
	free(v);
}

static void show_adj_out(json_t *o)
{
	struct table t = {.ncols = 5};
	json_t *r;
	size_t i;

	sort_routes(json_object_get(o, "routes"));
	table_row(&t, "PREFIX", "NEXT-HOP", "AS-PATH", "ORIGIN", "COMMUNITIES");
	json_array_foreach(json_object_get(o, "routes"), i, r) {
		char b[5][512];
		table_row(&t, jstr(r, "prefix", b[0], 512),
			  jstr(r, "next_hop", b[1], 512), jstr(r, "as_path", b[2], 512),
			  jstr(r, "origin", b[3], 512), jstr(r, "communities", b[4], 512));
	}
	table_print(&t);
	printf("%zu prefixes advertised\n", json_array_size(json_object_get(o, "routes")));
}

static void show_events(json_t *o)
{
	struct table t = {.ncols = 4};
	json_t *e;
	size_t i;

	table_row(&t, "TIME", "TYPE", "PEER", "REASON");
	json_array_foreach(json_object_get(o, "events"), i, e) {
		char b[4][600];
		table_row(&t, jstr(e, "time", b[0], 600), jstr(e, "type", b[1], 600),
			  jstr(e, "peer", b[2], 600), jstr(e, "reason", b[3], 600));
	}
	table_print(&t);
}

/* ------------------------------------------------------ commands */

static void load_token(struct ctl *c, const char *file)
{
	const char *env = getenv("PHAROS_TOKEN");
	size_t n;

	c->token[0] = 0;
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f)
			die("cannot read token file %s", file);
		n = fread(c->token, 1, sizeof(c->token) - 1, f);
		fclose(f);
		c->token[n] = 0;
	} else if (env) {
		snprintf(c->token, sizeof(c->token), "%s", env);
	}
	n = strlen(c->token);
	while (n && (c->token[n - 1] == '\n' || c->token[n - 1] == '\r' ||
		     c->token[n - 1] == ' '))
		c->token[--n] = 0;
}

static void show_status(json_t *o) { show_kv(o, ""); }
static void show_routes_marks(json_t *o) { show_routes(o, true); }

static void show_adj_in(json_t *o) { show_routes(o, true); }


/* ------------------------------------------------------ commands */

static int run_status(struct ctl *c, int argc, char **argv)
{
	return do_get(c, "/api/v1/status", show_status);
}

static int run_peers(struct ctl *c, int argc, char **argv)
{
	return do_get(c, "/api/v1/peers", show_peers);
}

/* GET /api/v1/peers/NAME[/what] shown with fn. */
static int peer_get(struct ctl *c, const char *name, const char *what,
		    void (*fn)(json_t *))
{
	char path[512], *e = esc(name);

	snprintf(path, sizeof(path), "/api/v1/peers/%s%s%s", e, what ? "/" : "",
		 what ? what : "");
	curl_free(e);
	return do_get(c, path, fn);
}

static int run_peer(struct ctl *c, int argc, char **argv)
{
	return peer_get(c, argv[0], NULL, show_status);
}

static int run_adj_in(struct ctl *c, int argc, char **argv)
{
	return peer_get(c, argv[0], "adj-in", show_adj_in);
}

static int run_adj_out(struct ctl *c, int argc, char **argv)
{
	return peer_get(c, argv[0], "adj-out", show_adj_out);
}

static int run_events(struct ctl *c, int argc, char **argv)
{
	if (argc)
		return cmd_ops_show(c, argc + 1, argv - 1);
	return do_get(c, "/api/v1/events", show_events);
}

/* show routes --refused [--peer NAME]: what peers sent that import did
 * not accept, and why (keep_refused). */
static int show_refused(struct ctl *c, const struct route_filter *f,
			const char *peer, const char *prefix)
{
	char path[512], *body;
	json_t *o, *r, *p;
	struct table t = {.ncols = 7};
	size_t i, k;

	if (prefix)
		usage_die("show routes --refused takes no prefix (use --peer "
			  "and the filters)");
	snprintf(path, sizeof(path), "/api/v1/routes/refused?limit=100000");
	if (peer) {
		char *e = esc(peer);

		snprintf(path, sizeof(path),
			 "/api/v1/routes/refused?limit=100000&peer=%s", e);
		curl_free(e);
	}
	body = request(c, "GET", path, NULL);
	o = json_loads(body, 0, NULL);
	free(body);
	if (!o)
		die("the reply is not JSON");
	if (f->active)
		filter_routes(f, json_object_get(o, "routes"));
	if (c->json) {
		char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

		printf("%s\n", txt ? txt : "{}");
		free(txt);
		json_decref(o);
		return 0;
	}
	table_row(&t, "PREFIX", "PEER", "NEXT-HOP", "AS-PATH", "COMMUNITIES",
		  "REFUSED-BY", "RULE");
	json_array_foreach(json_object_get(o, "routes"), i, r)
		json_array_foreach(json_object_get(r, "paths"), k, p) {
			char b[6][512];

			table_row(&t, json_string_value(json_object_get(r, "prefix")),
				  jstr(p, "peer", b[0], 512),
				  jstr(p, "next_hop", b[1], 512),
				  jstr(p, "as_path", b[2], 512),
				  jstr(p, "communities", b[3], 512),
				  jstr(p, "refused_by", b[4], 512),
				  jstr(p, "rule", b[5], 512));
		}
	table_print(&t);
	printf("%lld refused routes%s\n",
	       (long long)json_integer_value(json_object_get(o, "total")),
	       json_is_true(json_object_get(o, "truncated")) ? " (list cut)" : "");
	json_decref(o);
	return 0;
}

/* show routes [PREFIX|ADDRESS] [--peer NAME] [--longest] and the filters
 * of filter.h. A bare address (no /len) does a longest match. */
static int run_routes(struct ctl *c, int argc, char **argv)
{
	const char *prefix = NULL, *peer = NULL;
	struct route_filter f;
	bool longest = false, refused = false;
	char path[1024], *body;
	size_t off;
	json_t *o;

	filter_init(&f);
	for (int i = 0; i < argc; i++) {
		int n = filter_option(&f, argc - i, argv + i);

		if (n > 0)
			i += n - 1;
		else if (!strcmp(argv[i], "--peer") && i + 1 < argc)
			peer = argv[++i];
		else if (!strcmp(argv[i], "--longest"))
			longest = true;
		else if (!strcmp(argv[i], "--refused"))
			refused = true;
		else if (argv[i][0] != '-' && !prefix)
			prefix = argv[i];
		else
			usage_die("show routes: unexpected argument %s", argv[i]);
	}
	if (refused)
		return show_refused(c, &f, peer, prefix);
	if (prefix && !strchr(prefix, '/'))
		longest = true;
	off = (size_t)snprintf(path, sizeof(path), "/api/v1/routes?");
	if (prefix) {
		char *e = esc(prefix);
		off += (size_t)snprintf(path + off, sizeof(path) - off,
					"prefix=%s&%s", e, longest ? "match=longest&" : "");
		curl_free(e);
	}
	if (peer) {
		char *e = esc(peer);
		off += (size_t)snprintf(path + off, sizeof(path) - off, "peer=%s&", e);
		curl_free(e);
	}
	path[off - 1] = 0;
	if (!f.active)
		return do_get(c, path, show_routes_marks);
	body = request(c, "GET", path, NULL);
	o = json_loads(body, 0, NULL);
	free(body);
	if (!o)
		die("the reply is not JSON");
	filter_routes(&f, json_object_get(o, "routes"));
	if (c->json) {
		char *t = json_dumps(o, PHAROS_JSON_DUMP);

		printf("%s\n", t ? t : "{}");
		free(t);
	} else {
		show_routes(o, true);
	}
	json_decref(o);
	return 0;
}

/* show summary: the route server in a few lines, from /status and
 * /peers. */
static int run_summary(struct ctl *c, int argc, char **argv)
{
	char *sb = request(c, "GET", "/api/v1/status", NULL);
	char *pb = request(c, "GET", "/api/v1/peers", NULL);
	json_t *st = json_loads(sb, 0, NULL), *ps = json_loads(pb, 0, NULL);
	json_t *p, *sum;
	unsigned by_state[6] = {0}, disabled = 0, n = 0;
	static const char *states[] = {"idle", "connect", "active", "opensent",
				       "openconfirm", "established"};
	size_t i;

	free(sb);
	free(pb);
	if (!st || !ps)
		die("the reply is not JSON");
	json_array_foreach(json_object_get(ps, "peers"), i, p) {
		const char *state = json_string_value(json_object_get(p, "state"));

		n++;
		for (unsigned k = 0; state && k < 6; k++)
			by_state[k] += !strcmp(state, states[k]);
		disabled += json_is_true(json_object_get(p, "disabled")) ||
			    !strcmp(json_string_value(json_object_get(p, "admin_state")) ?
					    json_string_value(json_object_get(p, "admin_state")) : "",
				    "disabled");
	}
	sum = json_pack("{s:O?,s:{s:i,s:i,s:i,s:i}}", "status", st, "peers",
			"configured", (json_int_t)n, "established",
			(json_int_t)by_state[5], "down",
			(json_int_t)(n - by_state[5]), "disabled",
			(json_int_t)disabled);
	if (c->json) {
		char *t = json_dumps(sum, PHAROS_JSON_DUMP);

		printf("%s\n", t ? t : "{}");
		free(t);
	} else {
		show_kv(st, "");
		printf("peers: %u configured, %u established, %u down (%u disabled)\n",
		       n, by_state[5], n - by_state[5], disabled);
	}
	json_decref(sum);
	json_decref(st);
	json_decref(ps);
	return 0;
}

/* peer disable|enable|refresh|clear NAME [MESSAGE]; argv[0] is the
 * action. */
static int run_peer_action(struct ctl *c, int argc, char **argv)
{
	char path[512], *body = NULL, *reply, *e;
	const char *action = argv[0];
	static const char *done[][2] = {{"disable", "disabled"},
					{"enable", "enabled"},
					{"refresh", "refresh requested"},
					{"clear", "session reset"}};
	const char *said = action;

	if (argc == 3) {
		json_t *o = json_pack("{s:s}", "message", argv[2]);
		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	e = esc(argv[1]);
	snprintf(path, sizeof(path), "/api/v1/peers/%s/%s", e, action);
	curl_free(e);
	reply = request(c, "POST", path, body ? body : "{}");
	for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++)
		if (!strcmp(done[i][0], action))
			said = done[i][1];
	if (c->json)
		printf("%s\n", reply);
	else
		printf("peer %s: %s\n", argv[1], said);
	free(reply);
	free(body);
	return 0;
}

struct command {
	const char *words[3];
	int skip; /* leading words the handler does not see */
	int min_args, max_args; /* positional arguments, -1: any */
	const char *args;
	const char *help;
	int (*run)(struct ctl *c, int argc, char **argv);
};

static const struct command commands[] = {
	{{"show", "status"}, 2, 0, 0, "", "the route server's status", run_status},
	{{"show", "summary"}, 2, 0, 0, "", "status and peer counts in a few lines", run_summary},
	{{"show", "peers"}, 2, 0, 0, "", "every peer: state, uptime, prefixes, last error", run_peers},
	{{"show", "peer"}, 2, 1, 1, "NAME", "one peer in detail", run_peer},
	{{"show", "routes"}, 2, 0, -1,
	 "[PREFIX|ADDRESS] [--peer NAME] [--longest] [--community C] [--as ASN]\n"
	 "        [--origin-as ASN] [--family ipv4|ipv6] [--best] | --refused [--peer NAME]",
	 "the loc-RIB: every path, best and ECMP marked; an address finds its\n"
	 "        longest match; the filters keep the paths that match them all;\n"
	 "        --refused: what peers sent that import refused, and why", run_routes},
	{{"show", "adj-in"}, 2, 1, 1, "NAME", "routes accepted from a peer", run_adj_in},
	{{"show", "adj-out"}, 2, 1, 1, "NAME", "routes advertised to a peer", run_adj_out},
	{{"show", "events"}, 2, 0, 0, "[--follow]", "recent events; --follow streams them", run_events},
	{{"show", "drills"}, 1, 0, 1, "[--history NAME | --schedule]",
	 "drills run so far; --schedule: the scheduled drills; --history NAME:\n"
	 "        a scheduled drill's runs and skips, with its score trend", cmd_show_drills},
	{{"show", "drill"}, 1, 1, 1, "ID", "one drill's timeline and score", cmd_ops_show},
	{{"show", "fabric"}, 1, 0, 0, "", "VNets, subnets and the fabric's version", cmd_fabric_show},
	{{"show", "subnet"}, 1, 1, 1, "VNET/SUBNET", "a subnet's effective routes", cmd_fabric_show},
	{{"show", "agents"}, 1, 0, 0, "", "host agents and the versions they applied", cmd_fabric_show},
	{{"show", "effective-routes"}, 1, 1, 1, "NIC", "a NIC's effective routes", cmd_fabric_show},
	{{"trace"}, 1, 2, 3, "NIC DEST-IP | --from IP DEST-IP", "the hop-by-hop path to an address", cmd_trace},
	{{"peer", "disable"}, 1, 1, 2, "NAME [MESSAGE]", "stop a peer's session (Cease, shutdown message)", run_peer_action},
	{{"peer", "enable"}, 1, 1, 1, "NAME", "let a disabled peer connect again", run_peer_action},
	{{"peer", "refresh"}, 1, 1, 1, "NAME", "soft reset: ask for and resend the routes", run_peer_action},
	{{"peer", "clear"}, 1, 1, 1, "NAME", "hard reset: close the session, it comes back", run_peer_action},
	{{"reload"}, 0, 0, 0, "[--check]", "apply the configuration file (--check: only say what would change)", cmd_ops},
	{{"drill", "peer-down"}, 0, 1, -1, "NAME [--restore-after S] [--expect FILE] [--wait]",
	 "take a peer down on purpose and score the failover", cmd_ops},
	{{"drill", "nva-silent"}, 0, 1, -1, "NAME [--restore-after S] [--expect FILE] [--wait]",
	 "make a peer's packets vanish (no Cease) and score the failover", cmd_ops},
	{{"drill", "report"}, 0, 1, -1, "ID --svg FILE", "a drill's timeline as SVG", cmd_ops},
	{{"whatif", "peer-down"}, 0, 1, 1, "NAME",
	 "what every subnet's routes would become without this peer (nothing changes)", cmd_whatif},
	{{"whatif", "config"}, 0, 1, 1, "FILE",
	 "what a new configuration file would change (nothing changes)", cmd_whatif},
	{{"whatif", "route-table"}, 0, 1, 1, "FILE",
	 "what new route tables would change (nothing changes)", cmd_whatif},
	{{"check", "symmetry"}, 1, 0, 2, "NIC DEST-IP | --all",
	 "stateful hops each way and a verdict: symmetric, at_risk or asymmetric", cmd_symmetry},
	{{"mrt", "dump"}, 1, 1, 1, "FILE", "a TABLE_DUMP_V2 dump of every peer's routes (- for stdout)", cmd_mrt},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static unsigned n_words(const struct command *k)
{
	unsigned n = 0;

	while (n < 3 && k->words[n])
		n++;
	return n;
}

static void print_command(FILE *o, const struct command *k)
{
	fprintf(o, "  ");
	for (unsigned w = 0; w < n_words(k); w++)
		fprintf(o, "%s ", k->words[w]);
	fprintf(o, "%s\n        %s\n", k->args, k->help);
}

static void usage(FILE *o)
{
	fprintf(o, "usage: pharosctl [-s URL] [-j] [-t TOKENFILE] COMMAND [ARGS]\n"
		   "       pharosctl help [COMMAND] | COMMAND --help | --version\n"
		   "commands (each word may be shortened to a unique prefix):\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		print_command(o, &commands[i]);
	fprintf(o, "options, anywhere on the line (-- ends them):\n"
		   "  -s, --server URL   the API (default %s or $PHAROS_URL)\n"
		   "  -j, --json         print the API's JSON\n"
		   "  -t, --token FILE   token for changes (or $PHAROS_TOKEN)\n"
		   "  --cacert FILE      CA certificates for an https:// API (or\n"
		   "                     $PHAROS_CACERT)\n"
		   "  -h, --help         help; -V, --version\n"
		   "exit status: 0 ok, 1 refused or failed, 2 usage, 3 cannot reach pharosd\n",
		DEFAULT_URL);
}

/* Positional arguments: those that are not options (rough: an option's
 * value counts too, which only matters when choosing between commands
 * that differ by arity). */
static int positional(int argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < argc; i++)
		n += argv[i][0] != '-' || !argv[i][1];
	return n;
}

/* Find the command for argv (words possibly shortened). Sets *nw to the
 * words used. Exits with a usage error when none or several fit. */
static const struct command *lookup(int argc, char **argv, unsigned *nw,
				    bool quiet_arity)
{
	const struct command *best[N_COMMANDS];
	unsigned nbest = 0, best_score = 0;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *k = &commands[i];
		unsigned n = n_words(k), score = 1, w;

		if ((int)n > argc)
			continue;
		for (w = 0; w < n; w++) {
			size_t l = strlen(argv[w]);

			if (!l || strncmp(k->words[w], argv[w], l))
				break;
			score += !strcmp(k->words[w], argv[w]) ? 2 : 0;
		}
		if (w < n)
			continue;
		score += 4 * n; /* more words typed and matched wins */
		if (!quiet_arity) {
			int pos = positional(argc - (int)n, argv + n);

			if (pos >= k->min_args &&
			    (k->max_args < 0 || pos <= k->max_args))
				score += 1;
		}
		if (score > best_score) {
			best_score = score;
			nbest = 0;
		}
		if (score == best_score)
			best[nbest++] = k;
	}
	if (!nbest)
		usage_die("unknown command: %s (try pharosctl help)",
			  argc ? argv[0] : "");
	if (nbest > 1) {
		fprintf(stderr, "pharosctl: ambiguous command; it could be:\n");
		for (unsigned i = 0; i < nbest; i++)
			print_command(stderr, best[i]);
		exit(CTL_EXIT_USAGE);
	}
	*nw = n_words(best[0]);
	return best[0];
}

struct cli {
	int argc;
	char **argv; /* the words and arguments, options removed */
	const char *token_file;
	bool help, version;
};

/* Take the global options from anywhere on the line. */
static void parse_globals(struct ctl *c, struct cli *cl, int argc, char **argv)
{
	bool opts = true;

	cl->argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!cl->argv)
		die("out of memory");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool val = i + 1 < argc;

		if (opts && !strcmp(a, "--")) {
			opts = false;
		} else if (opts && (!strcmp(a, "-j") || !strcmp(a, "--json"))) {
			c->json = true;
		} else if (opts && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			cl->help = true;
		} else if (opts && (!strcmp(a, "-V") || !strcmp(a, "--version"))) {
			cl->version = true;
		} else if (opts && (!strcmp(a, "-s") || !strcmp(a, "--server"))) {
			if (!val)
				usage_die("%s needs a URL", a);
			c->url = argv[++i];
		} else if (opts && !strncmp(a, "--server=", 9)) {
			c->url = a + 9;
		} else if (opts && (!strcmp(a, "-t") || !strcmp(a, "--token"))) {
			if (!val)
				usage_die("%s needs a file", a);
			cl->token_file = argv[++i];
		} else if (opts && !strncmp(a, "--token=", 8)) {
			cl->token_file = a + 8;
		} else if (opts && !strcmp(a, "--cacert")) {
			if (!val)
				usage_die("%s needs a file", a);
			c->cacert = argv[++i];
		} else if (opts && !strncmp(a, "--cacert=", 9)) {
			c->cacert = a + 9;
		} else {
			cl->argv[cl->argc++] = argv[i];
		}
	}
}

/* The base URL without trailing slashes. */
static const char *trim_url(const char *u)
{
	size_t n = strlen(u);
	char *t;

	while (n > 1 && u[n - 1] == '/')
		n--;
	t = strndup(u, n);
	if (!t)
		die("out of memory");
	return t;
}

int main(int argc, char **argv)
{
	struct ctl c = {.url = getenv("PHAROS_URL"),
			.cacert = getenv("PHAROS_CACERT")};
	struct cli cl = {0};
	const struct command *k;
	unsigned nw;
	int rc, nargs;

	if (!c.url || !*c.url)
		c.url = DEFAULT_URL;
	parse_globals(&c, &cl, argc, argv);
	if (cl.version) {
		printf("pharosctl %s\n", PHAROS_VERSION);
		return 0;
	}
	if (cl.argc && !strcmp(cl.argv[0], "help")) {
		if (cl.argc == 1) {
			usage(stdout);
			return 0;
		}
		k = lookup(cl.argc - 1, cl.argv + 1, &nw, true);
		print_command(stdout, k);
		return 0;
	}
	if (!cl.argc) {
		if (cl.help) {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	k = lookup(cl.argc, cl.argv, &nw, false);
	if (cl.help) {
		print_command(stdout, k);
		return 0;
	}
	for (unsigned w = 0; w < nw; w++)
		cl.argv[w] = (char *)k->words[w]; /* handlers see whole words */
	nargs = positional(cl.argc - (int)nw, cl.argv + nw);
	if (nargs < k->min_args || (k->max_args >= 0 && nargs > k->max_args)) {
		fprintf(stderr, "pharosctl: usage:\n");
		print_command(stderr, k);
		return CTL_EXIT_USAGE;
	}
	c.url = trim_url(c.url);
	load_token(&c, cl.token_file);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = k->run(&c, cl.argc - k->skip, cl.argv + k->skip);
	curl_global_cleanup();
	free(cl.argv);
	return rc;
}
