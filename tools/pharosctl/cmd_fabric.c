/*
 * cmd_fabric.c - pharosctl's fabric commands over /api/v1/fabric.
 *
 * Tables for the topology, a NIC's or a subnet's effective routes and the
 * agents' acks; a hop-by-hop trace that, when the walk leaves the region,
 * asks the next region's route server (its API from the "regions" list of
 * GET /api/v1/fabric) to continue from the exit address, so one command
 * prints the path across regions. With -j every reply is printed
 * unchanged (a trace across regions prints one JSON line per region).
 */
#include "cmd_fabric.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define MAX_REGIONS 8 /* regions one trace may cross */

/* ------------------------------------------------------ tables */

static void route_table(json_t *routes)
{
	struct table t = {.ncols = 6};
	json_t *r;
	size_t i, active = 0;

	table_row(&t, "SOURCE", "STATE", "PREFIX", "NEXT-HOP-TYPE",
		  "NEXT-HOP-IPS", "REASON");
	json_array_foreach(routes, i, r) {
		char b[6][512];
		const char *state = jstr(r, "state", b[1], 512);
		const char *nh = jstr(r, "next_hop_ips", b[4], sizeof(b[4]));
		if (!*nh)
			nh = "-";
		if (!strcmp(state, "Active"))
			active++;
		table_row(&t, jstr(r, "source", b[0], 512), state,
			  jstr(r, "prefix", b[2], 512),
			  jstr(r, "next_hop_type", b[3], 512), nh,
			  json_object_get(r, "reason") ? jstr(r, "reason", b[5], 512)
						       : "");
	}
	table_print(&t);
	printf("%zu routes, %zu active\n", json_array_size(routes), active);
}

static void show_effective(json_t *o)
{
	char b[4][256];

	printf("NIC %s  VNet %s  subnet %s  version %s\n",
	       jstr(o, "nic", b[0], 256), jstr(o, "vnet", b[1], 256),
	       jstr(o, "subnet", b[2], 256), jstr(o, "version", b[3], 256));
	route_table(json_object_get(o, "routes"));
}

static void show_subnet(json_t *o)
{
	char b[3][256];

	printf("subnet %s/%s  version %s\n", jstr(o, "vnet", b[0], 256),
	       jstr(o, "subnet", b[1], 256), jstr(o, "version", b[2], 256));
	route_table(json_object_get(o, "routes"));
}

static void show_vnet(json_t *v, struct table *nics)
{
	char b[6][512];
	json_t *s, *p;
	size_t i;

	const char *vname = jstr(v, "name", b[0], 512);

	printf("VNet %s%s%s  region %s  address space %s%s\n", vname,
	       json_is_true(json_object_get(v, "hub")) ? " (hub)" : "",
	       json_is_true(json_object_get(v, "remote")) ? " (remote)" : "",
	       json_is_string(json_object_get(v, "region"))
		       ? jstr(v, "region", b[1], 512) : "-",
	       jstr(v, "address_space", b[2], 512),
	       json_is_true(json_object_get(v, "receives_bgp"))
		       ? "  receives BGP routes" : "");
	json_array_foreach(json_object_get(v, "peerings"), i, p)
		printf("  peering with %s%s\n", jstr(p, "remote", b[3], 512),
		       json_is_true(json_object_get(p, "use_remote_gateways"))
			       ? " (use_remote_gateways)" : "");
	json_array_foreach(json_object_get(v, "subnets"), i, s) {
		json_t *rt = json_object_get(s, "route_table");
		printf("  subnet %-16s %-20s route table %-12s%s\n",
		       jstr(s, "name", b[3], 512), jstr(s, "prefix", b[4], 512),
		       json_is_string(rt) ? json_string_value(rt) : "-",
		       json_is_true(json_object_get(s, "receives_bgp"))
			       ? " BGP" : "");
	}
	json_array_foreach(json_object_get(v, "nics"), i, s)
		table_row(nics, jstr(s, "name", b[3], 512), vname,
			  jstr(s, "subnet", b[4], 512), jstr(s, "ip", b[5], 512));
}

static void show_fabric(json_t *o)
{
	struct table nics = {.ncols = 4};
	char b[2][256];
	json_t *v, *r;
	size_t i;

	printf("fabric version %s  region %s\n", jstr(o, "version", b[0], 256),
	       json_is_string(json_object_get(o, "region"))
		       ? jstr(o, "region", b[1], 256) : "-");
	table_row(&nics, "NIC", "VNET", "SUBNET", "IP");
	json_array_foreach(json_object_get(o, "vnets"), i, v)
		show_vnet(v, &nics);
	printf("\n");
	table_print(&nics);
	json_array_foreach(json_object_get(o, "regions"), i, r)
		printf("region %s: route server API %s\n",
		       jstr(r, "name", b[0], 256), jstr(r, "api", b[1], 256));
}

static void show_agents(json_t *o)
{
	struct table t = {.ncols = 8};
	json_t *list = json_object_get(o, "agents"), *a;
	size_t i, sick = 0;

	table_row(&t, "AGENT", "SUBNET", "VERSION", "BEHIND", "FAILED", "HEALTH",
		  "ACKED-AT", "AGE");
	json_array_foreach(list, i, a) {
		char b[8][256], sub[520];
		bool ok = json_is_true(json_object_get(a, "healthy"));

		sick += !ok;
		snprintf(sub, sizeof(sub), "%s/%s", jstr(a, "vnet", b[0], 256),
			 jstr(a, "subnet", b[1], 256));
		snprintf(b[6], sizeof(b[6]), "%.0fs",
			 json_number_value(json_object_get(a, "age_s")));
		table_row(&t, jstr(a, "agent", b[2], 256), sub,
			  jstr(a, "version", b[3], 256), jstr(a, "behind", b[4], 256),
			  jstr(a, "failed", b[7], 256), ok ? "ok" : "unhealthy",
			  jstr(a, "acked_at", b[5], 256), b[6]);
	}
	table_print(&t);
	printf("%zu agents, %zu unhealthy\n", json_array_size(list), sick);
	json_array_foreach(list, i, a)
		if (!json_is_true(json_object_get(a, "healthy")))
			printf("  %s (%s/%s): %lld routes not installed: %s\n",
			       json_string_value(json_object_get(a, "agent")),
			       json_string_value(json_object_get(a, "vnet")),
			       json_string_value(json_object_get(a, "subnet")),
			       (long long)json_integer_value(json_object_get(a, "failed")),
			       json_string_value(json_object_get(a, "error")) ?: "");
}

bool fabric_show_word(const char *w)
{
	return !strcmp(w, "fabric") || !strcmp(w, "effective-routes") ||
	       !strcmp(w, "subnet") || !strcmp(w, "agents");
}

int cmd_fabric_show(struct ctl *c, int argc, char **argv)
{
	char path[1024];

	if (!strcmp(argv[0], "fabric") || !strcmp(argv[0], "agents")) {
		if (argc != 1)
			usage_die("usage: show %s", argv[0]);
		return argv[0][0] == 'f'
			       ? do_get(c, "/api/v1/fabric", show_fabric)
			       : do_get(c, "/api/v1/fabric/agents", show_agents);
	}
	if (argc != 2)
		usage_die("usage: show %s %s", argv[0],
		    argv[0][0] == 'e' ? "NIC" : "VNET/SUBNET");
	if (!strcmp(argv[0], "effective-routes")) {
		char *e = esc(argv[1]);
		snprintf(path, sizeof(path),
			 "/api/v1/fabric/nics/%s/effective-routes", e);
		curl_free(e);
		return do_get(c, path, show_effective);
	}
	const char *sl = strchr(argv[1], '/');
	if (!sl || sl == argv[1] || !sl[1])
		usage_die("usage: show subnet VNET/SUBNET");
	char vnet[512];
	snprintf(vnet, sizeof(vnet), "%.*s", (int)(sl - argv[1]), argv[1]);
	char *ev = esc(vnet), *es = esc(sl + 1);
	snprintf(path, sizeof(path), "/api/v1/fabric/subnets/%s/%s/table", ev, es);
	curl_free(ev);
	curl_free(es);
	return do_get(c, path, show_subnet);
}

/* ------------------------------------------------------ trace */

static json_t *get_json(struct ctl *c, const char *path)
{
	char *body = request(c, "GET", path, NULL);
	json_t *o;

	if (c->json)
		printf("%s\n", body);
	o = json_loads(body, 0, NULL);
	free(body);
	if (!o)
		die("the reply of %s is not JSON", c->url);
	return o;
}

static void print_hop(json_t *h, unsigned n, const char *region)
{
	char b[6][512];
	json_t *r = json_object_get(h, "route");
	json_t *at = json_object_get(h, "at");

	printf("%2u  %-14s %s%s%s%s\n", n,
	       json_is_string(at) ? json_string_value(at) : "(outside)",
	       jstr(h, "ip", b[0], 512), region ? "  [region " : "",
	       region ? region : "", region ? "]" : "");
	if (json_object_get(h, "note"))
		printf("      %s\n", jstr(h, "note", b[1], 512));
	if (r) {
		bool ips = json_array_size(json_object_get(r, "next_hop_ips"));
		printf("      route %s -> %s%s%s (%s)\n",
		       jstr(r, "prefix", b[2], 512),
		       jstr(r, "next_hop_type", b[3], 512), ips ? " " : "",
		       ips ? jstr(r, "next_hop_ips", b[4], 512) : "",
		       jstr(r, "source", b[5], 512));
	}
	if (json_array_size(json_object_get(h, "ecmp")) > 1)
		printf("      ECMP: %s; chosen %s\n", jstr(h, "ecmp", b[2], 512),
		       jstr(h, "chosen", b[3], 512));
	else if (json_object_get(h, "chosen"))
		printf("      next hop %s\n", jstr(h, "chosen", b[3], 512));
}

/* The API URL of region name, from the current server's fabric. */
static bool region_api(struct ctl *c, const char *name, char *url, size_t len)
{
	bool json = c->json, found = false;
	json_t *o, *r;
	size_t i;

	c->json = false;
	o = get_json(c, "/api/v1/fabric");
	c->json = json;
	json_array_foreach(json_object_get(o, "regions"), i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));
		const char *a = json_string_value(json_object_get(r, "api"));
		if (n && a && !strcmp(n, name)) {
			snprintf(url, len, "%s", a);
			found = true;
		}
	}
	json_decref(o);
	return found;
}

static void trace_path(char *path, size_t len, bool from, const char *src,
		       const char *dst)
{
	char *es = esc(src), *ed = esc(dst);

	snprintf(path, len, "/api/v1/fabric/trace?%s=%s&dst=%s",
		 from ? "from_ip" : "nic", es, ed);
	curl_free(es);
	curl_free(ed);
}

/* Print one region's hops; returns the trace (caller frees). */
static json_t *trace_segment(struct ctl *c, const char *path, unsigned *n,
			     bool multi)
{
	json_t *o = get_json(c, path), *h;
	const char *reg = json_string_value(json_object_get(o, "region"));
	size_t i;

	if (c->json)
		return o;
	json_array_foreach(json_object_get(o, "hops"), i, h)
		print_hop(h, ++*n, multi ? (reg ? reg : "?") : NULL);
	return o;
}

int cmd_trace(struct ctl *c, int argc, char **argv)
{
	struct ctl cur = *c;
	char path[1024], url[512], *owned = NULL;
	const char *dst;
	unsigned n = 0;
	bool from = argc == 3 && !strcmp(argv[0], "--from");
	json_t *o;

	if (argc != 2 && !from)
		usage_die("usage: trace NIC DEST-IP | trace --from IP DEST-IP");
	dst = argv[argc - 1];
	trace_path(path, sizeof(path), from, argv[from ? 1 : 0], dst);
	if (!c->json)
		printf("trace %s -> %s\n", argv[from ? 1 : 0], dst);
	o = trace_segment(&cur, path, &n, false);
	for (unsigned hop = 0;; hop++) {
		const char *res = json_string_value(json_object_get(o, "result"));
		const char *next = json_string_value(json_object_get(o, "next_region"));
		const char *exit_ip = json_string_value(json_object_get(o, "exit_ip"));
		char b[512];
		if (!c->json)
			printf("result: %s: %s\n", res ? res : "?",
			       jstr(o, "reason", b, sizeof(b)));
		if (!res || strcmp(res, "left-region") || !next || !exit_ip ||
		    hop + 1 >= MAX_REGIONS)
			break;
		if (!region_api(&cur, next, url, sizeof(url))) {
			if (!c->json)
				printf("(no API known for region %s: add it to "
				       "fabric.regions to follow the trace)\n", next);
			break;
		}
		if (!c->json)
			printf("-- continues in region %s at %s (%s)\n", next,
			       exit_ip, url);
		free(owned);
		cur.url = owned = strdup(url);
		if (!owned)
			die("out of memory");
		trace_path(path, sizeof(path), true, exit_ip, dst);
		json_decref(o);
		o = trace_segment(&cur, path, &n, true);
	}
	json_decref(o);
	free(owned);
	return 0;
}
