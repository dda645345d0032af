/*
 * pharosctl.c - the command-line client of pharosd's control API.
 *
 * Each command maps to one HTTP request (libcurl); the JSON reply is shown
 * as aligned tables, or printed unchanged with -j. Errors are one line on
 * stderr and exit status 1.
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

#include "cmd_fabric.h"
#include "cmd_mrt.h"
#include "cmd_ops.h"
#include "ctl.h"
#include "base/version.h"

#define DEFAULT_URL "http://127.0.0.1:8179"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pharosctl [-s URL] [-j] [-t TOKENFILE] COMMAND | -V\n"
		"  show status\n"
		"  show peers\n"
		"  show peer NAME\n"
		"  show routes [PREFIX] [--peer NAME] [--longest]\n"
		"  show adj-in NAME\n"
		"  show adj-out NAME\n"
		"  show events [--follow]\n"
		"  show drills | show drill ID\n"
		"  reload\n"
		"  drill peer-down NAME [--restore-after S] [--expect FILE] [--wait]\n"
		"  drill nva-silent NAME [--restore-after S] [--expect FILE] [--wait]\n"
		"  drill report ID --svg FILE\n"
		"  show fabric | show subnet VNET/SUBNET | show agents\n"
		"  show effective-routes NIC\n"
		"  trace NIC DEST-IP | trace --from IP DEST-IP\n"
		"  peer disable NAME [MESSAGE]\n"
		"  peer enable NAME\n"
		"  peer refresh NAME\n"
		"  mrt dump FILE\n"
		"-s URL (default %s or $PHAROS_URL), -j raw JSON,\n"
		"-t FILE token for changes (or $PHAROS_TOKEN)\n", DEFAULT_URL);
}

static void show_peers(json_t *o)
{
	struct table t = {.ncols = 10};
	json_t *p;
	size_t i;

	table_row(&t, "NAME", "ADDRESS", "ASN", "KIND", "STATE", "UPTIME",
		  "RCVD", "ACCEPTED", "ADVERTISED", "LAST-ERROR");
	json_array_foreach(json_object_get(o, "peers"), i, p) {
		char b[9][64], le[300];

		fmt_uptime((long)json_integer_value(json_object_get(p, "uptime_s")),
			   b[0], sizeof(b[0]));
		if (!strcmp(b[0], "-") &&
		    !strcmp(jstr(p, "state", b[1], 64), "established"))
			snprintf(b[0], sizeof(b[0]), "00:00");
		table_row(&t, jstr(p, "name", b[1], 64),
			  jstr(p, "address", b[2], 64), jstr(p, "asn", b[3], 64),
			  jstr(p, "kind", b[4], 64), jstr(p, "state", b[5], 64),
			  b[0], jstr(p, "prefixes_received", b[6], 64),
			  jstr(p, "prefixes_accepted", b[7], 64),
			  jstr(p, "prefixes_advertised", b[8], 64),
			  jstr(p, "last_error", le, sizeof(le)));
	}
	table_print(&t);
}

static void route_rows(struct table *t, json_t *r, bool marks)
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
		table_row(t, mark, i ? "" : prefix, jstr(p, "next_hop", b[0], 512),
			  b[1], jstr(p, "local_pref", b[2], 512),
			  jstr(p, "med", b[3], 512), jstr(p, "origin", b[6], 512),
			  jstr(p, "as_path", b[4], 512), b[5]);
	}
}

static void show_routes(json_t *o, bool marks)
{
	struct table t = {.ncols = 9};
	json_t *r;
	size_t i, n = 0;

	table_row(&t, " ", "PREFIX", "NEXT-HOP", "PEER", "LP", "MED", "ORIGIN",
		  "AS-PATH", "COMMUNITIES");
	json_array_foreach(json_object_get(o, "routes"), i, r) {
		route_rows(&t, r, marks);
		n++;
	}
	table_print(&t);
	printf("%zu prefixes%s\n", n, marks ? "  (* best, = ECMP member)" : "");
}

static void show_adj_out(json_t *o)
{
	struct table t = {.ncols = 5};
	json_t *r;
	size_t i;

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

static int cmd_routes(struct ctl *c, int argc, char **argv)
{
	const char *prefix = NULL, *peer = NULL;
	bool longest = false;
	char path[1024];
	size_t off;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--peer") && i + 1 < argc)
			peer = argv[++i];
		else if (!strcmp(argv[i], "--longest"))
			longest = true;
		else if (argv[i][0] != '-' && !prefix)
			prefix = argv[i];
		else
			die("show routes: unexpected argument %s", argv[i]);
	}
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
	return do_get(c, path, show_routes_marks);
}

static void show_adj_in(json_t *o) { show_routes(o, true); }

static int cmd_show(struct ctl *c, int argc, char **argv)
{
	char path[512];
	char *e;

	if (argc < 1)
		die("show what? (status, peers, peer, routes, adj-in, adj-out, events)");
	if (!strcmp(argv[0], "status"))
		return do_get(c, "/api/v1/status", show_status);
	if (!strcmp(argv[0], "peers"))
		return do_get(c, "/api/v1/peers", show_peers);
	if (ops_show_word(argc, argv))
		return cmd_ops_show(c, argc, argv);
	if (!strcmp(argv[0], "events"))
		return do_get(c, "/api/v1/events", show_events);
	if (!strcmp(argv[0], "routes"))
		return cmd_routes(c, argc - 1, argv + 1);
	if (fabric_show_word(argv[0]))
		return cmd_fabric_show(c, argc, argv);
	if (argc != 2)
		die("usage: show %s NAME", argv[0]);
	e = esc(argv[1]);
	if (!strcmp(argv[0], "peer")) {
		snprintf(path, sizeof(path), "/api/v1/peers/%s", e);
		curl_free(e);
		return do_get(c, path, show_status);
	}
	if (!strcmp(argv[0], "adj-in") || !strcmp(argv[0], "adj-out")) {
		snprintf(path, sizeof(path), "/api/v1/peers/%s/%s", e, argv[0]);
		curl_free(e);
		return do_get(c, path, argv[0][4] == 'i' ? show_adj_in : show_adj_out);
	}
	curl_free(e);
	die("unknown show command: %s", argv[0]);
	return 1;
}

static int cmd_peer(struct ctl *c, int argc, char **argv)
{
	char path[512], *body = NULL, *reply, *e;
	const char *action;

	if (argc < 2)
		die("usage: peer disable|enable|refresh NAME [MESSAGE]");
	action = argv[0];
	if (strcmp(action, "disable") && strcmp(action, "enable") &&
	    strcmp(action, "refresh"))
		die("unknown peer command: %s", action);
	if (argc > 3 || (argc == 3 && strcmp(action, "disable")))
		die("too many arguments");
	if (argc == 3) {
		json_t *o = json_pack("{s:s}", "message", argv[2]);
		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	e = esc(argv[1]);
	snprintf(path, sizeof(path), "/api/v1/peers/%s/%s", e, action);
	curl_free(e);
	reply = request(c, "POST", path, body ? body : "{}");
	if (c->json)
		printf("%s\n", reply);
	else
		printf("peer %s: %s%s\n", argv[1], action,
		       !strcmp(action, "refresh") ? " requested" : "d");
	free(reply);
	free(body);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl c = {.url = getenv("PHAROS_URL")};
	const char *token_file = NULL;
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int opt, rc;

	if (!c.url || !*c.url)
		c.url = DEFAULT_URL;
	while ((opt = getopt_long(argc, argv, "+s:jt:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': c.url = optarg; break;
		case 'j': c.json = true; break;
		case 't': token_file = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("pharosctl %s\n", PHAROS_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	load_token(&c, token_file);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(argv[optind], "show"))
		rc = cmd_show(&c, argc - optind - 1, argv + optind + 1);
	else if (!strcmp(argv[optind], "peer"))
		rc = cmd_peer(&c, argc - optind - 1, argv + optind + 1);
	else if (!strcmp(argv[optind], "trace"))
		rc = cmd_trace(&c, argc - optind - 1, argv + optind + 1);
	else if (!strcmp(argv[optind], "mrt"))
		rc = cmd_mrt(&c, argc - optind - 1, argv + optind + 1);
	else if (ops_command_word(argv[optind]))
		rc = cmd_ops(&c, argc - optind, argv + optind);
	else
		die("unknown command: %s (try -h)", argv[optind]);
	curl_global_cleanup();
	return rc;
}
