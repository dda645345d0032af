/*
 * test_conf.c - configuration loading, validation, printing, comparing.
 *
 * Every error kind has a case asserting its exact "FILE:LINE:COL:" and a
 * key phrase; a full configuration exercises every key and must survive
 * print -> load unchanged; the golden files under tests/golden/conf are
 * replayed (bad-*.yaml against bad-*.err, good-*.yaml against good-*.out).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "policy/policy.h"
#include "rib/rib.h"

/* Load yaml under the name "t.yaml"; *errs gets everything printed. */
static struct conf *load(const char *yaml, char **errs)
{
	size_t len = 0;
	FILE *f = open_memstream(errs, &len);
	struct conf *c;

	assert_non_null(f);
	c = conf_load_string("t.yaml", yaml, f);
	fclose(f);
	return c;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int ch;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* ---------------------------------------------------------- defaults */

static void test_defaults(void **state)
{
	char *errs = NULL;
	struct conf *c = load("route_server:\n  router_id: 198.18.0.1\n", &errs);
	struct addr rid;

	assert_non_null(c);
	assert_string_equal(errs, "");
	addr_parse("198.18.0.1", &rid);
	assert_true(addr_eq(&c->rs.router_id, &rid));
	assert_int_equal(c->rs.asn, 65515);
	assert_int_equal(c->rs.port, 179);
	assert_int_equal(c->rs.hold_time, 180);
	assert_int_equal(c->rs.keepalive, 60);
	assert_int_equal(c->rs.max_paths, 8);
	assert_int_equal(c->rs.routing_pref, PREF_EXPRESSROUTE);
	assert_int_equal(c->rs.restart_delay, 30);
	assert_false(c->rs.branch_to_branch);
	assert_false(c->rs.transparent_as);
	assert_false(c->rs.compare_med);
	assert_int_equal(c->rs.n_peers, 0);
	assert_string_equal(c->api.listen, "127.0.0.1:8179");
	assert_null(c->api.token_file);
	assert_int_equal(c->fabric.n_vnets, 0);
	conf_free(c);
	free(errs);
}

/* route_server.peer_groups: a peer takes its group's settings, then its
 * own keys win; a group's error is reported once, at the group. */
static void test_peer_groups(void **state)
{
	char *errs = NULL;
	const char *yaml =
		"route_server:\n  router_id: 198.18.0.1\n  peer_groups:\n"
		"    - name: fw\n      max_prefixes: 2000\n      hold_time: 30\n"
		"      description: hub firewalls\n"
		"      import: [{match: {prefix: [198.19.0.0/16 le 24]}}, {action: deny}]\n"
		"  peers:\n"
		"    - {name: a, address: 198.18.1.1, asn: 65001, group: fw}\n"
		"    - {name: b, group: fw, address: 198.18.1.2, asn: 65002,\n"
		"       max_prefixes: 50, import: []}\n"
		"    - {name: c, address: 198.18.1.3, asn: 65003}\n";
	struct conf *c = load(yaml, &errs);

	assert_non_null(c);
	assert_string_equal(errs, "");
	assert_int_equal(c->rs.n_peers, 3);
	assert_int_equal(c->rs.peers[0].max_prefixes, 2000);
	assert_int_equal(c->rs.peers[0].hold_time, 30);
	assert_int_equal(c->rs.peers[0].n_import, 2);
	assert_string_equal(c->rs.peers[0].description, "hub firewalls");
	assert_int_equal(c->rs.peers[1].max_prefixes, 50); /* its own wins */
	assert_int_equal(c->rs.peers[1].hold_time, 30);
	assert_int_equal(c->rs.peers[1].n_import, 0);
	assert_int_equal(c->rs.peers[2].max_prefixes, 1000); /* no group */
	assert_null(c->rs.peers[2].description);
	conf_free(c);
	free(errs);

	/* A bad group: one error, at the group, whatever its peers. */
	errs = NULL;
	c = load("route_server:\n  router_id: 198.18.0.1\n  peer_groups:\n"
		 "    - {name: fw, max_prefixes: 0}\n  peers:\n"
		 "    - {name: a, address: 198.18.1.1, asn: 65001, group: fw}\n"
		 "    - {name: b, address: 198.18.1.2, asn: 65002, group: fw}\n",
		 &errs);
	assert_null(c);
	assert_non_null(strstr(errs, "t.yaml:4:"));
	assert_non_null(strstr(errs, "max_prefixes 0 is out of range"));
	assert_null(strstr(strstr(errs, "out of range") + 1, "out of range"));
	free(errs);

	/* Duplicate group names. */
	errs = NULL;
	c = load("route_server:\n  router_id: 198.18.0.1\n  peer_groups:\n"
		 "    - {name: fw}\n    - {name: fw}\n", &errs);
	assert_null(c);
	assert_non_null(strstr(errs, "t.yaml:5:7: duplicate peer group 'fw'"));
	free(errs);
}

static void test_peer_defaults(void **state)
{
	char *errs = NULL;
	struct conf *c = load("route_server:\n  listen: [198.18.0.1]\n  peers:\n"
			      "    - {name: a, address: 198.18.1.1, asn: 65001}\n"
			      "fabric:\n  vnets:\n    - name: v\n      address_space: [198.18.0.0/24]\n"
			      "      subnets: [{name: s, prefix: 198.18.0.0/25}]\n"
			      "  route_tables:\n    rt: {}\n",
			      &errs);
	assert_non_null(c);
	assert_string_equal(errs, "");
	/* router_id comes from the first IPv4 listen address. */
	assert_int_equal(c->rs.router_id.afi, AFI_IPV4);
	assert_int_equal(c->rs.router_id.b[3], 1);
	const struct conf_peer *p = conf_find_peer(c, "a");
	assert_non_null(p);
	assert_null(conf_find_peer(c, "b"));
	assert_int_equal(p->kind, PEER_NVA);
	assert_int_equal(p->max_prefixes, 1000);
	assert_int_equal(p->port, 179);
	assert_int_equal(p->multihop, 255);
	assert_int_equal(p->hold_time, 0);
	assert_false(p->passive);
	assert_false(p->accept_default);
	assert_null(p->password);
	assert_true(c->fabric.route_tables[0].propagate_gateway_routes);
	assert_null(c->fabric.vnets[0].subnets[0].route_table);
	conf_free(c);
	free(errs);
}

/* ------------------------------------------------- every key, round trip */

static const char full_yaml[] =
	"route_server:\n"
	"  asn: 4200000001\n"
	"  router_id: 198.18.0.1\n"
	"  listen: [198.18.0.1, \"2001:db8::1\"]\n"
	"  port: 1179\n"
	"  hold_time: 90\n"
	"  keepalive: 30\n"
	"  branch_to_branch: true\n"
	"  routing_preference: vpn\n"
	"  transparent_as: true\n"
	"  compare_med: true\n"
	"  max_paths: 16\n"
	"  restart_delay: 45\n"
	"  peers:\n"
	"    - name: nva-1\n"
	"      kind: expressroute_gateway\n"
	"      address: \"2001:db8:1::1\"\n"
	"      asn: 65001\n"
	"      max_prefixes: 5000\n"
	"      accept_default: true\n"
	"      passive: true\n"
	"      port: 1790\n"
	"      multihop: 2\n"
	"      hold_time: 30\n"
	"      keepalive: 10\n"
	"      import:\n"
	"        - match: {prefix: [198.18.0.0/15 le 24, 198.19.0.0/16 ge 20 le 28], as_path_contains: 65010, origin_as: 65020, community: [\"65000:100\", no-export]}\n"
	"          action: allow\n"
	"          set: {local_pref: 200, med: 10, add_communities: [\"65515:1\", no-advertise], remove_communities: [\"65000:100\"]}\n"
	"        - match: {}\n"
	"          action: deny\n"
	"      export:\n"
	"        - {match: {prefix: 10.0.0.0/8 ge 9}, action: deny}\n"
	"    - {name: vpn-1, kind: vpn_gateway, address: 198.18.1.2, asn: 65002}\n"
	"api:\n"
	"  listen: \"[::1]:9179\"\n"
	"  events_file: /tmp/events.jsonl\n"
	"  mrt_dir: /tmp\n"
	"  mrt_interval: 300\n"
	"  mrt_updates: true\n"
	"  route_jump_threshold: 500\n"
	"fabric:\n"
	"  vnets:\n"
	"    - name: hub\n"
	"      region: westeurope\n"
	"      hub: true\n"
	"      address_space: [198.18.0.0/24, \"2001:db8:1::/48\"]\n"
	"      subnets: [{name: nva, prefix: 198.18.0.0/26}, {name: v6, prefix: \"2001:db8:1::/64\"}]\n"
	"      peerings: [{remote: spoke-a, allow_gateway_transit: true}]\n"
	"    - name: spoke-a\n"
	"      address_space: [198.19.1.0/24]\n"
	"      peerings: [{remote: hub, use_remote_gateways: true}]\n"
	"      subnets:\n"
	"        - {name: app, prefix: 198.19.1.0/26, route_table: rt-app}\n"
	"      nics: [{name: vm-a1, subnet: app, ip: 198.19.1.4}]\n"
	"  route_tables:\n"
	"    rt-app:\n"
	"      propagate_gateway_routes: false\n"
	"      routes:\n"
	"        - {prefix: 0.0.0.0/0, next_hop_type: VirtualAppliance, next_hop_ip: 198.18.0.10}\n"
	"        - {prefix: 198.20.0.0/16, next_hop_type: None}\n"
	"        - {prefix: 198.21.0.0/16, next_hop_type: internet}\n";

static void check_full(const struct conf *c)
{
	const struct conf_peer *p = &c->rs.peers[0];
	const struct pol_rule *r = &p->import[0];
	char buf[64];

	assert_int_equal(c->rs.asn, 4200000001u);
	assert_int_equal(c->rs.n_listen, 2);
	assert_int_equal(c->rs.listen[1].afi, AFI_IPV6);
	assert_int_equal(c->rs.port, 1179);
	assert_int_equal(c->rs.hold_time, 90);
	assert_int_equal(c->rs.keepalive, 30);
	assert_true(c->rs.branch_to_branch && c->rs.transparent_as &&
		    c->rs.compare_med);
	assert_int_equal(c->rs.routing_pref, PREF_VPN);
	assert_int_equal(c->rs.max_paths, 16);
	assert_int_equal(c->rs.restart_delay, 45);
	assert_int_equal(c->rs.n_peers, 2);
	assert_string_equal(p->name, "nva-1");
	assert_int_equal(p->kind, PEER_EXPRESSROUTE_GATEWAY);
	assert_int_equal(p->address.afi, AFI_IPV6);
	assert_int_equal(p->asn, 65001);
	assert_int_equal(p->max_prefixes, 5000);
	assert_true(p->accept_default && p->passive);
	assert_int_equal(p->port, 1790);
	assert_int_equal(p->multihop, 2);
	assert_int_equal(p->hold_time, 30);
	assert_int_equal(p->keepalive, 10);
	assert_int_equal(p->n_import, 2);
	assert_int_equal(r->n_prefixes, 2);
	assert_string_equal(pol_prefix_fmt(&r->prefixes[1], buf, sizeof(buf)),
			    "198.19.0.0/16 ge 20 le 28");
	assert_int_equal(r->as_path_contains, 65010);
	assert_int_equal(r->origin_as, 65020);
	assert_int_equal(r->n_communities, 2);
	assert_int_equal(r->communities[0], 65000u << 16 | 100);
	assert_int_equal(r->communities[1], COMMUNITY_NO_EXPORT);
	assert_true(r->set_local_pref && r->set_med);
	assert_int_equal(r->local_pref, 200);
	assert_int_equal(r->med, 10);
	assert_int_equal(r->n_add_communities, 2);
	assert_int_equal(r->add_communities[1], COMMUNITY_NO_ADVERTISE);
	assert_int_equal(r->n_remove_communities, 1);
	assert_int_equal(p->import[1].action, POL_DENY);
	assert_int_equal(p->n_export, 1);
	assert_int_equal(p->export[0].prefixes[0].ge, 9);
	assert_int_equal(c->rs.peers[1].kind, PEER_VPN_GATEWAY);
	assert_string_equal(c->api.listen, "[::1]:9179");
	assert_string_equal(c->api.events_file, "/tmp/events.jsonl");
	assert_string_equal(c->api.mrt_dir, "/tmp");
	assert_int_equal(c->api.mrt_interval, 300);
	assert_true(c->api.mrt_updates);
	assert_int_equal(c->api.route_jump_threshold, 500);
	assert_int_equal(c->fabric.n_vnets, 2);
	assert_string_equal(c->fabric.vnets[0].region, "westeurope");
	assert_true(c->fabric.vnets[0].hub);
	assert_int_equal(c->fabric.vnets[0].n_address_space, 2);
	assert_true(c->fabric.vnets[0].peerings[0].allow_gateway_transit);
	assert_true(c->fabric.vnets[1].peerings[0].use_remote_gateways);
	assert_string_equal(c->fabric.vnets[1].subnets[0].route_table, "rt-app");
	assert_string_equal(c->fabric.vnets[1].nics[0].name, "vm-a1");
	assert_int_equal(c->fabric.n_route_tables, 1);
	assert_false(c->fabric.route_tables[0].propagate_gateway_routes);
	assert_int_equal(c->fabric.route_tables[0].n_routes, 3);
	assert_int_equal(c->fabric.route_tables[0].routes[0].next_hop_type,
			 NH_VIRTUAL_APPLIANCE);
	assert_int_equal(c->fabric.route_tables[0].routes[1].next_hop_type, NH_NONE);
	assert_int_equal(c->fabric.route_tables[0].routes[2].next_hop_type,
			 NH_INTERNET);
}

static void test_every_key_round_trip(void **state)
{
	char *errs = NULL, *out = NULL, *errs2 = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;
	struct conf *a = load(full_yaml, &errs), *b;
	FILE *f;

	assert_non_null(a);
	assert_string_equal(errs, "");
	check_full(a);
	f = open_memstream(&out, &len);
	conf_print(a, f);
	fclose(f);
	b = load(out, &errs2);
	if (!b)
		fprintf(stderr, "%s\n---\n%s", out, errs2);
	assert_non_null(b);
	check_full(b);
	assert_true(conf_equal(a, b));
	/* Printing is a fixed point. */
	f = open_memstream(&out2, &len2);
	conf_print(b, f);
	fclose(f);
	assert_string_equal(out, out2);
	conf_free(a);
	conf_free(b);
	free(errs);
	free(errs2);
	free(out);
	free(out2);
}

static void test_equal_detects_changes(void **state)
{
	char *e1 = NULL, *e2 = NULL;
	struct conf *a = load(full_yaml, &e1), *b = load(full_yaml, &e2);

	assert_true(conf_equal(a, b));
	assert_true(conf_peer_equal(&a->rs.peers[0], &b->rs.peers[0]));
	/* Limits and policy change without a session reset... */
	b->rs.peers[0].max_prefixes++;
	assert_true(conf_peer_equal(&a->rs.peers[0], &b->rs.peers[0]));
	assert_false(conf_equal(a, b));
	b->rs.peers[0].max_prefixes--;
	b->rs.peers[0].import[0].local_pref = 201;
	assert_true(conf_peer_equal(&a->rs.peers[0], &b->rs.peers[0]));
	assert_false(conf_equal(a, b));
	b->rs.peers[0].import[0].local_pref = 200;
	assert_true(conf_equal(a, b));
	b->api.mrt_updates = !b->api.mrt_updates;
	assert_false(conf_equal(a, b));
	b->api.mrt_updates = !b->api.mrt_updates;
	assert_true(conf_equal(a, b));
	/* ...the session parameters need one. */
	b->rs.peers[0].asn = 65009;
	assert_false(conf_peer_equal(&a->rs.peers[0], &b->rs.peers[0]));
	b->rs.peers[0].asn = 65001;
	b->rs.peers[0].hold_time = 60;
	assert_false(conf_peer_equal(&a->rs.peers[0], &b->rs.peers[0]));
	b->rs.peers[0].hold_time = 30;
	b->fabric.vnets[1].nics[0].ip.b[3] = 5;
	assert_false(conf_equal(a, b));
	conf_free(a);
	conf_free(b);
	free(e1);
	free(e2);
}

static void test_secret_files(void **state)
{
	char pw[] = "/tmp/pharos-test-pwXXXXXX", tok[] = "/tmp/pharos-test-tokXXXXXX";
	int fd1 = mkstemp(pw), fd2 = mkstemp(tok);
	char yaml[512], *errs = NULL;
	struct conf *c;

	assert_true(fd1 >= 0 && fd2 >= 0);
	assert_int_equal(write(fd1, "s3cret\n", 7), 7);
	assert_int_equal(write(fd2, "tok-123\r\n", 9), 9);
	close(fd1);
	close(fd2);
	snprintf(yaml, sizeof(yaml),
		 "route_server:\n  router_id: 198.18.0.1\n  peers:\n"
		 "    - {name: a, address: 198.18.1.1, asn: 65001, password_file: %s}\n"
		 "api:\n  token_file: %s\n", pw, tok);
	c = load(yaml, &errs);
	assert_non_null(c);
	assert_string_equal(c->rs.peers[0].password_file, pw);
	assert_string_equal(c->rs.peers[0].password, "s3cret");
	assert_string_equal(c->api.token, "tok-123");
	conf_free(c);
	free(errs);
	unlink(pw);
	unlink(tok);
}

/* ------------------------------------------------------- error cases */

struct err_case {
	const char *yaml;
	const char *where; /* "LINE:COL" */
	const char *phrase;
	bool loads; /* a warning only: the conf still loads */
};

#define RS "route_server:\n  router_id: 198.18.0.1\n"
#define PEERS RS "  peers:\n"
#define FAB "fabric:\n  vnets:\n"

static const struct err_case err_cases[] = {
	/* 0 YAML syntax */
	{"route_server:\n  asn: 1\n asn: [\n", "3:2", "YAML syntax error", false},
	/* 1 unknown key */
	{RS "  colour: blue\n", "3:3", "unknown key 'colour' in route_server", false},
	/* 1d paths pharosd writes to must exist (warnings) */
	{RS "api:\n  events_file: /nonexistent-pharos/ev.json\n", "4:16", "events_file '/nonexistent-pharos/ev.json': directory '/nonexistent-pharos' does not exist", true},
	{RS "api:\n  mrt_dir: /dev/null\n", "4:12", "mrt_dir '/dev/null': '/dev/null' is not a directory", true},
	/* 1e a peer naming a group that does not exist */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65001, group: nope}\n", "4:57", "unknown peer group 'nope'", false},
	/* 1b a misspelt key: the nearest one is suggested */
	{RS "  hold_tiem: 90\n", "3:3", "unknown key 'hold_tiem' in route_server (did you mean 'hold_time'?)", false},
	/* 1c a misspelt peer key */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65001, pasive: true}\n", "4:50", "unknown key 'pasive' in peer (did you mean 'passive'?)", false},
	/* 2 wrong type: number */
	{RS "  asn: [1]\n", "3:8", "'asn' must be a number", false},
	/* 3 wrong type: mapping */
	{"route_server: 5\n", "1:15", "'route_server' must be a mapping", false},
	/* 4 wrong type: bool */
	{RS "  transparent_as: maybe\n", "3:19", "'transparent_as' must be true or false", false},
	/* 5 bad address */
	{"route_server:\n  router_id: 198.18.0.300\n", "2:14", "bad address '198.18.0.300' for 'router_id'", false},
	/* 6 bad prefix: host bits */
	{RS FAB "    - {name: v, address_space: [198.18.0.1/24]}\n", "5:33", "bad prefix '198.18.0.1/24': host bits are set", false},
	/* 7 bad prefix: syntax */
	{RS FAB "    - {name: v, address_space: [198.18.0.0/33]}\n", "5:33", "bad prefix '198.18.0.0/33'", false},
	/* 8 ASN 0 */
	{RS "  asn: 0\n", "3:8", "asn 0 is out of range (1..4294967295)", false},
	/* 9 hold time 2 */
	{RS "  hold_time: 2\n", "3:14", "hold_time 2 is invalid", false},
	/* 10 hold time > 65535 */
	{RS "  hold_time: 70000\n", "3:14", "hold_time 70000 is out of range (0..65535)", false},
	/* 11 keepalive > hold/3: warning */
	{RS "  hold_time: 90\n  keepalive: 40\n", "4:14", "warning: keepalive 40 is more than a third of hold_time 90", true},
	/* 12 keepalive >= hold: error */
	{RS "  hold_time: 90\n  keepalive: 90\n", "4:14", "keepalive 90 must be between 1 and hold_time 90 - 1", false},
	/* 13 max_paths 0 */
	{RS "  max_paths: 0\n", "3:14", "max_paths 0 is out of range (1..64)", false},
	/* 14 max_paths 65 */
	{RS "  max_paths: 65\n", "3:14", "max_paths 65 is out of range (1..64)", false},
	/* 15 duplicate peer name */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65001}\n    - {name: a, address: 198.18.1.2, asn: 65002}\n",
	 "5:14", "duplicate peer name 'a' (first at line 4)", false},
	/* 16 duplicate peer address */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65001}\n    - {name: b, address: 198.18.1.1, asn: 65002}\n",
	 "5:26", "duplicate peer address 198.18.1.1 (peer 'a' at line 4)", false},
	/* 17 iBGP peer */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65515}\n", "4:43", "peer asn 65515 equals the local ASN", false},
	/* 18 unknown kind */
	{PEERS "    - {name: a, kind: router, address: 198.18.1.1, asn: 1}\n", "4:23",
	 "unknown kind 'router' (expected nva, vpn_gateway, expressroute_gateway)", false},
	/* 19 unreadable password file */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 1, password_file: /nonexistent/pw.key}\n", "4:61",
	 "cannot read password_file '/nonexistent/pw.key': No such file or directory", false},
	/* 20 unreadable token file */
	{RS "api:\n  token_file: /nonexistent/api.token\n", "4:15",
	 "cannot read token_file '/nonexistent/api.token'", false},
	/* 21 duplicate VNet */
	{RS FAB "    - {name: v, address_space: [198.18.0.0/24]}\n    - {name: v, address_space: [198.19.0.0/24]}\n",
	 "6:14", "duplicate VNet name 'v' (first at line 5)", false},
	/* 22 duplicate subnet */
	{RS FAB "    - name: v\n      address_space: [198.18.0.0/24]\n"
	 "      subnets: [{name: s, prefix: 198.18.0.0/26}, {name: s, prefix: 198.18.0.64/26}]\n",
	 "7:58", "duplicate subnet name 's' in VNet 'v'", false},
	/* 23 duplicate NIC */
	{RS FAB "    - name: v\n      address_space: [198.18.0.0/24]\n      subnets: [{name: s, prefix: 198.18.0.0/26}]\n"
	 "      nics: [{name: n, subnet: s, ip: 198.18.0.4}, {name: n, subnet: s, ip: 198.18.0.5}]\n",
	 "8:59", "duplicate NIC name 'n' (first at line 8)", false},
	/* 24 subnet outside the VNet */
	{RS FAB "    - name: v\n      address_space: [198.18.0.0/24]\n      subnets: [{name: s, prefix: 198.18.1.0/26}]\n",
	 "7:35", "subnet 's' 198.18.1.0/26 is outside the address space of VNet 'v'", false},
	/* 25 overlapping subnets */
	{RS FAB "    - name: v\n      address_space: [198.18.0.0/24]\n"
	 "      subnets: [{name: s, prefix: 198.18.0.0/25}, {name: t, prefix: 198.18.0.64/26}]\n",
	 "7:69", "subnet 't' 198.18.0.64/26 overlaps subnet 's' 198.18.0.0/25", false},
	/* 26 NIC IP outside its subnet */
	{RS FAB "    - name: v\n      address_space: [198.18.0.0/24]\n      subnets: [{name: s, prefix: 198.18.0.0/26}]\n"
	 "      nics: [{name: n, subnet: s, ip: 198.18.0.200}]\n",
	 "8:39", "NIC 'n' IP 198.18.0.200 is outside its subnet 's' 198.18.0.0/26", false},
	/* 27 NIC in a missing subnet */
	{RS FAB "    - name: v\n      address_space: [198.18.0.0/24]\n      subnets: [{name: s, prefix: 198.18.0.0/26}]\n"
	 "      nics: [{name: n, subnet: db, ip: 198.18.0.4}]\n",
	 "8:32", "NIC 'n': subnet 'db' does not exist in VNet 'v'", false},
	/* 28 peering to an unknown VNet */
	{RS FAB "    - name: v\n      address_space: [198.18.0.0/24]\n      peerings: [{remote: nowhere}]\n",
	 "7:27", "peering to unknown VNet 'nowhere'", false},
	/* 29 peered address spaces overlap */
	{RS FAB "    - {name: a, address_space: [198.18.0.0/16]}\n"
	 "    - name: b\n      address_space: [198.18.4.0/24]\n      peerings: [{remote: a}]\n",
	 "8:27", "address space 198.18.4.0/24 of VNet 'b' overlaps 198.18.0.0/16 of peered VNet 'a'", false},
	/* 30 missing route table */
	{RS FAB "    - name: v\n      address_space: [198.18.0.0/24]\n"
	 "      subnets: [{name: s, prefix: 198.18.0.0/26, route_table: rt-x}]\n",
	 "7:63", "route table 'rt-x' does not exist", false},
	/* 31 VirtualAppliance without next_hop_ip */
	{RS "fabric:\n  route_tables:\n    rt:\n      routes: [{prefix: 0.0.0.0/0, next_hop_type: VirtualAppliance}]\n",
	 "6:51", "route 0.0.0.0/0: next_hop_type VirtualAppliance needs a next_hop_ip", false},
	/* 32 VirtualAppliance next hop outside every VNet: warning */
	{RS "fabric:\n  route_tables:\n    rt:\n      routes: [{prefix: 0.0.0.0/0, next_hop_type: VirtualAppliance, next_hop_ip: 203.0.113.9}]\n",
	 "6:82", "warning: route 0.0.0.0/0: next hop 203.0.113.9 is not inside any VNet address space", true},
	/* 33 bad next_hop_type */
	{RS "fabric:\n  route_tables:\n    rt:\n      routes: [{prefix: 0.0.0.0/0, next_hop_type: Firewall}]\n",
	 "6:51", "unknown next_hop_type 'Firewall'", false},
	/* 34 default route allowed in import policy, accept_default false: warning */
	{PEERS "    - name: a\n      address: 198.18.1.1\n      asn: 65001\n      import:\n"
	 "        - {match: {prefix: [0.0.0.0/0]}, action: allow}\n",
	 "8:29", "warning: rule allows the default route, but peer 'a' has accept_default false", true},
	/* 35 bad prefix match in policy */
	{PEERS "    - name: a\n      address: 198.18.1.1\n      asn: 65001\n      import:\n"
	 "        - {match: {prefix: [198.18.0.0/15 ge 8]}, action: deny}\n",
	 "8:29", "ge 8 is shorter than the prefix length 15", false},
	/* 36 bad community */
	{PEERS "    - name: a\n      address: 198.18.1.1\n      asn: 65001\n      export:\n"
	 "        - {match: {community: [\"70000:1\"]}, action: deny}\n",
	 "8:32", "bad community '70000:1'", false},
	/* 37 missing required key */
	{PEERS "    - {name: a, asn: 65001}\n", "4:7", "peer is missing required key 'address'", false},
	/* 38 duplicate key */
	{RS "  asn: 65001\n  asn: 65002\n", "4:3", "duplicate key 'asn' (first at line 3)", false},
	/* 39 bad API listen */
	{RS "api:\n  listen: localhost\n", "4:11", "bad listen address 'localhost' for the api", false},
	/* 40 no router id */
	{"route_server:\n  asn: 65001\n", "2:3", "route_server needs a router_id", false},
	/* 41 next_hop_ip with another type */
	{RS "fabric:\n  route_tables:\n    rt:\n      routes: [{prefix: 0.0.0.0/0, next_hop_type: Internet, next_hop_ip: 198.18.0.1}]\n",
	 "6:74", "next_hop_ip is only allowed with next_hop_type VirtualAppliance", false},
	/* 42 IPv6 router id */
	{"route_server:\n  router_id: \"2001:db8::1\"\n", "2:14", "router_id must be an IPv4 address", false},
	/* 43 a drill whose target is no peer */
	{RS "  drills:\n    - {name: d, kind: peer-down, target: nva-9, every_s: 10}\n",
	 "4:42", "drill target 'nva-9' is not a peer", false},
	/* 44 a bad drill window */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65001}\n  drills:\n"
	 "    - {name: d, kind: peer-down, target: a, window: \"25:00-01:00\"}\n",
	 "6:53", "bad window '25:00-01:00'", false},
	/* 45 a drill without a schedule */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65001}\n  drills:\n"
	 "    - {name: d, kind: peer-down, target: a}\n",
	 "6:7", "drill 'd' needs exactly one schedule: every_s or window", false},
	/* 46 two drills of one name */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65001}\n  drills:\n"
	 "    - {name: d, kind: peer-down, target: a, every_s: 10}\n"
	 "    - {name: d, kind: peer-down, target: a, every_s: 10}\n",
	 "7:14", "duplicate drill 'd'", false},
	/* 47 a bad stateful next hop */
	{RS "fabric:\n  stateful: [198.18.0.999]\n", "4:14", "bad address '198.18.0.999' for 'stateful'", false},
	/* 48 an unknown drill kind */
	{PEERS "    - {name: a, address: 198.18.1.1, asn: 65001}\n  drills:\n"
	 "    - {name: d, kind: peer-up, target: a, every_s: 10}\n",
	 "6:23", "unknown kind 'peer-up'", false},
};

static void test_error_case(void **state)
{
	const struct err_case *ec = *state;
	char *errs = NULL, want[128];
	struct conf *c = load(ec->yaml, &errs);
	bool found = false;

	snprintf(want, sizeof(want), "t.yaml:%s: ", ec->where);
	for (char *line = errs; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (!strncmp(line, want, strlen(want)) &&
		    strstr(line + strlen(want), ec->phrase))
			found = true;
		line = nl ? nl + 1 : NULL;
	}
	if (!found)
		fprintf(stderr, "# want %s...%s\n# got:\n%s\n", want, ec->phrase,
			errs);
	assert_true(found);
	if (ec->loads)
		assert_non_null(c);
	else
		assert_null(c);
	conf_free(c);
	free(errs);
}

/* Every error of a file is reported, in file order. */
static void test_all_errors_collected(void **state)
{
	char *errs = NULL;
	struct conf *c = load(RS "  asn: 0\n  max_paths: 99\n  bogus: 1\n"
			      FAB "    - {name: v, address_space: [198.18.0.1/24]}\n",
			      &errs);
	assert_null(c);
	assert_non_null(strstr(errs, "t.yaml:3:8: asn 0"));
	char *a = strstr(errs, "t.yaml:4:14: max_paths 99");
	char *b = strstr(errs, "t.yaml:5:3: unknown key 'bogus'");
	char *d = strstr(errs, "t.yaml:8:33: bad prefix");
	assert_true(a && b && d && a < b && b < d);
	free(errs);
}

/* ------------------------------------------------------- golden files */

static const char *golden_dir(char *buf, size_t len)
{
	const char *top = getenv("PHAROS_TOP");
	snprintf(buf, len, "%s/tests/golden/conf", top ? top : ".");
	return buf;
}

/* Compare one golden file; returns false (after saying why) on a mismatch. */
static bool check_golden(const char *name)
{
	char exp_name[256], *exp, *got = NULL;
	size_t len = 0, n = strlen(name);
	bool bad = !strncmp(name, "bad-", 4), ok;
	FILE *f = open_memstream(&got, &len);
	struct conf *c;

	snprintf(exp_name, sizeof(exp_name), "%.*s.%s", (int)(n - 5), name,
		 bad ? "err" : "out");
	exp = slurp(exp_name);
	c = conf_load(name, f);
	if (c && !bad)
		conf_print(c, f);
	fclose(f);
	ok = exp && !strcmp(exp, got) && (bad ? !c : !!c);
	if (!ok)
		fprintf(stderr, "# %s: expected %s%s, got:\n%s", name,
			exp ? "the contents of " : "missing ", exp_name, got);
	conf_free(c);
	free(exp);
	free(got);
	return ok;
}

static void test_golden(void **state)
{
	char dir[1024], cwd[1024];
	struct dirent **list;
	int n, checked = 0, failed = 0;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(golden_dir(dir, sizeof(dir))), 0);
	n = scandir(".", &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		size_t len = strlen(name);
		if (len > 5 && !strcmp(name + len - 5, ".yaml") &&
		    (!strncmp(name, "bad-", 4) || !strncmp(name, "good-", 5))) {
			failed += !check_golden(name);
			checked++;
		}
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(failed, 0);
	assert_true(checked >= 6);
}

/* examples/minimal.yaml loads and prints back to an equal conf. */
static void test_minimal_example(void **state)
{
	char path[1024], *out = NULL, *errs = NULL;
	const char *top = getenv("PHAROS_TOP");
	size_t len = 0;
	struct conf *a, *b;
	FILE *f;

	snprintf(path, sizeof(path), "%s/examples/minimal.yaml", top ? top : ".");
	a = conf_load(path, stderr);
	assert_non_null(a);
	assert_int_equal(a->rs.n_peers, 1);
	assert_int_equal(a->fabric.n_vnets, 2);
	f = open_memstream(&out, &len);
	conf_print(a, f);
	fclose(f);
	b = load(out, &errs);
	assert_non_null(b);
	assert_true(conf_equal(a, b));
	conf_free(a);
	conf_free(b);
	free(out);
	free(errs);
}

/* fabric.regions: other regions' route servers, for traces. */
/* Drills, the state directory and the stateful marks print and read back
 * equal; a change to any of them is a change. */
static void test_assurance_keys(void **state)
{
	static const char yaml[] =
		PEERS "    - {name: a, address: 198.18.1.1, asn: 65001, stateful: true, sticky: true}\n"
		"  state_dir: /var/lib/pharos-test\n"
		"  drills:\n"
		"    - {name: d1, kind: peer-down, target: a, every_s: 60, restore_after_s: 5, pass: 90}\n"
		"    - {name: d2, kind: nva-silent, target: a, window: \"23:30-00:30\"}\n"
		"fabric:\n  stateful: [198.18.65.4, {ip: 198.18.65.5, sticky: true}]\n";
	char *errs = NULL, *out = NULL, *errs2 = NULL;
	size_t len = 0;
	struct conf *a = load(yaml, &errs), *b;
	FILE *f;

	assert_non_null(a);
	assert_true(a->rs.peers[0].stateful && a->rs.peers[0].sticky);
	assert_string_equal(a->rs.state_dir, "/var/lib/pharos-test");
	assert_int_equal(a->rs.n_drills, 2);
	assert_int_equal(a->rs.drills[0].every_s, 60);
	assert_int_equal(a->rs.drills[0].restore_after_s, 5);
	assert_int_equal(a->rs.drills[0].pass, 90);
	assert_int_equal(a->rs.drills[1].kind, DRILL_NVA_SILENT);
	assert_true(a->rs.drills[1].has_window);
	assert_int_equal(a->rs.drills[1].win_start, 23 * 60 + 30);
	assert_int_equal(a->rs.drills[1].win_end, 30);
	assert_int_equal(a->rs.drills[1].restore_after_s, 10);
	assert_int_equal(a->rs.drills[1].pass, 100);
	assert_int_equal(a->fabric.n_stateful, 2);
	assert_false(a->fabric.stateful[0].sticky);
	assert_true(a->fabric.stateful[1].sticky);
	f = open_memstream(&out, &len);
	conf_print(a, f);
	fclose(f);
	assert_non_null(strstr(out, "window: \"23:30-00:30\""));
	b = load(out, &errs2);
	assert_non_null(b);
	assert_true(conf_equal(a, b));
	b->rs.drills[0].every_s = 61;
	assert_false(conf_equal(a, b));
	b->rs.drills[0].every_s = 60;
	b->fabric.stateful[1].sticky = false;
	assert_false(conf_equal(a, b));
	b->fabric.stateful[1].sticky = true;
	b->rs.peers[0].stateful = false;
	assert_false(conf_equal(a, b));
	conf_free(a);
	conf_free(b);
	free(errs);
	free(errs2);
	free(out);
}

static void test_fabric_regions(void **state)
{
	static const char yaml[] =
		"route_server: {router_id: 198.18.0.1}\n"
		"fabric:\n"
		"  vnets:\n"
		"    - {name: hub, hub: true, region: west, address_space: [198.18.0.0/24]}\n"
		"    - {name: hub-e, region: east, address_space: [198.18.128.0/24]}\n"
		"  regions:\n"
		"    - {name: east, api: \"http://198.18.128.1:8179\"}\n"
		"    - name: north\n"
		"      api: http://198.18.64.1:8179\n";
	char *errs = NULL, *errs2 = NULL, *out = NULL;
	size_t len = 0;
	struct conf *a = load(yaml, &errs), *b;
	FILE *f;

	assert_non_null(a);
	assert_int_equal(a->fabric.n_regions, 2);
	assert_string_equal(a->fabric.regions[0].name, "east");
	assert_string_equal(a->fabric.regions[0].api, "http://198.18.128.1:8179");
	assert_string_equal(a->fabric.regions[1].name, "north");
	assert_int_equal(a->fabric.regions[1].line, 8);
	f = open_memstream(&out, &len);
	conf_print(a, f);
	fclose(f);
	assert_non_null(strstr(out, "  regions:\n"));
	b = load(out, &errs2);
	assert_non_null(b);
	assert_true(conf_equal(a, b));
	free(b->fabric.regions[1].api);
	b->fabric.regions[1].api = strdup("http://198.18.64.2:8179");
	assert_false(conf_equal(a, b));
	conf_free(a);
	conf_free(b);
	free(errs);
	free(errs2);
	free(out);
	/* Both keys are required. */
	errs = NULL;
	a = load("route_server: {router_id: 198.18.0.1}\n"
		 "fabric:\n  regions:\n    - {name: east}\n", &errs);
	assert_null(a);
	assert_non_null(strstr(errs, "t.yaml:4:"));
	assert_non_null(strstr(errs, "api"));
	free(errs);
}

#define NERR (sizeof(err_cases) / sizeof(err_cases[0]))

/* Originated prefixes: the hub and the spokes that use its gateways, not a
 * spoke without use_remote_gateways, not another region's VNet; with no
 * hub: true, the VNet holding the router id is the hub. */
static void test_originated(void **state)
{
	const char *yaml =
		"route_server: {asn: 65515, router_id: 198.18.0.1}\n"
		"fabric:\n"
		"  vnets:\n"
		"    - {name: hub, region: uk, address_space: [198.18.0.0/24]}\n"
		"    - name: spoke-a\n"
		"      address_space: [198.18.1.0/24]\n"
		"      peerings: [{remote: hub, use_remote_gateways: true}]\n"
		"    - name: spoke-b\n"
		"      address_space: [198.18.2.0/24]\n"
		"      peerings: [{remote: hub}]\n"
		"    - {name: far, region: us, address_space: [198.18.64.0/24]}\n";
	char *errs = NULL, buf[PREFIX_STRLEN];
	struct conf *c = load(yaml, &errs);
	struct prefix *o;
	unsigned n = 0;

	assert_non_null(c);
	assert_true(c->fabric.vnets[0].hub);
	o = conf_originated(c, &n);
	assert_non_null(o);
	assert_int_equal(n, 2);
	assert_string_equal(prefix_fmt(&o[0], buf, sizeof(buf)), "198.18.0.0/24");
	assert_string_equal(prefix_fmt(&o[1], buf, sizeof(buf)), "198.18.1.0/24");
	free(o);
	conf_free(c);
	free(errs);
}


/* route_server.martians: the defaults (with the route server's own
 * addresses, documentation ranges only when unused), a configured list
 * replacing them, and policy_martian() over both. */
static int mcheck(const struct conf *c, const char *pfx, bool accept_default)
{
	struct prefix p;
	assert_int_equal(prefix_parse(pfx, &p), 0);
	return policy_martian(&c->rs, &p, accept_default);
}

static void test_martians(void **state)
{
	char *errs = NULL;
	struct conf *c = load(
		"route_server:\n  router_id: 198.18.0.1\n  listen: [198.18.0.1]\n"
		"api:\n  listen: 198.18.0.1:8179\n"
		"fabric:\n  vnets:\n    - name: hub\n"
		"      address_space: [198.18.0.0/24, 2001:db8:a::/48]\n", &errs);
	(void)state;
	assert_non_null(c);
	free(errs);
	assert_false(c->rs.martians_set);
	static const char *const bad[] = {
		"0.0.0.0/1", "128.0.0.0/1", "127.0.0.0/8", "127.1.0.0/16",
		"224.0.0.0/4", "239.1.0.0/16", "240.0.0.0/4", "255.255.255.255/32",
		"169.254.169.254/32", "0.0.0.0/8", "198.18.0.1/32", "192.0.2.0/24",
		"fe80::/64", "ff02::/16", "::1/128", "::ffff:0:0/96", "2000::/3",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mcheck(c, bad[i], false) == -1)
			fail_msg("%s was not a martian", bad[i]);
	static const char *const good[] = {
		"0.0.0.0/0", "198.19.250.0/24", "198.18.0.0/16", "10.0.0.0/8",
		"2001:db8:250::/48", "198.18.0.2/32",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (mcheck(c, good[i], false) != -1)
			fail_msg("%s was a martian", good[i]);
	/* 2001:db8::/32 is in use here; 0.0.0.0/1 passes with accept_default */
	assert_int_equal(mcheck(c, "0.0.0.0/1", true), -1);
	assert_int_equal(mcheck(c, "0.0.0.0/1", false), POLICY_TOO_SHORT);
	/* inside a martian shorter than a byte (224.0.0.0/4), or next to one:
	 * the first-byte index must cover the whole range, and no more */
	assert_int_not_equal(mcheck(c, "232.0.0.0/5", true), -1);
	assert_int_not_equal(mcheck(c, "239.255.0.0/16", true), -1);
	assert_int_not_equal(mcheck(c, "254.0.0.0/7", true), -1);
	assert_int_equal(mcheck(c, "223.255.255.0/24", true), -1);
	assert_int_not_equal(mcheck(c, "febf::/16", true), -1);
	assert_int_equal(mcheck(c, "fe00::/12", true), -1);
	assert_int_equal(mcheck(c, "2001:db9::/32", true), -1);
	conf_free(c);

	c = load("route_server:\n  router_id: 198.18.0.1\n"
		 "  martians: [198.19.66.0/24, 127.0.0.0/8]\n", &errs);
	assert_non_null(c);
	free(errs);
	assert_true(c->rs.martians_set);
	assert_int_equal(c->rs.n_martians, 2);
	assert_int_equal(mcheck(c, "198.19.66.128/25", false), 0);
	assert_int_equal(mcheck(c, "127.0.0.1/32", false), 1);
	assert_int_equal(mcheck(c, "224.0.0.0/8", false), -1); /* replaced */
	assert_int_equal(mcheck(c, "2001:db8::/32", false), -1);
	conf_free(c);

	c = load("route_server:\n  router_id: 198.18.0.1\n"
		 "  martians: [0.0.0.0/0]\n", &errs);
	assert_null(c);
	assert_non_null(strstr(errs, "t.yaml:3:"));
	assert_non_null(strstr(errs, "would refuse every route"));
	free(errs);
	c = load("route_server:\n  router_id: 198.18.0.1\n"
		 "  martians: [198.19.0.1/24]\n", &errs);
	assert_null(c);
	assert_non_null(strstr(errs, "host bits"));
	free(errs);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_martians),
		cmocka_unit_test(test_originated),
		cmocka_unit_test(test_peer_defaults),
		cmocka_unit_test(test_every_key_round_trip),
		cmocka_unit_test(test_peer_groups),
		cmocka_unit_test(test_equal_detects_changes),
		cmocka_unit_test(test_secret_files),
		cmocka_unit_test(test_all_errors_collected),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_minimal_example),
		cmocka_unit_test(test_fabric_regions),
		cmocka_unit_test(test_assurance_keys),
	};
	struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + NERR];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	/* One test per error kind, named after the message it expects. */
	for (size_t i = 0; i < NERR; i++)
		tests[n++] = (struct CMUnitTest){err_cases[i].phrase,
						 test_error_case, NULL, NULL,
						 (void *)&err_cases[i]};
	return _cmocka_run_group_tests("conf", tests, n, NULL, NULL);
}
