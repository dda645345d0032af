/*
 * test_policy_actions.c - the rule actions and matches added for route
 * maps and origin validation: large communities (RFC 8092) matched,
 * added, removed and replaced; as_path_prepend; `rpki` matches; the
 * route_server.rpki keys with their errors; printing them back; the
 * RFC 6811 origin AS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "conf/conf.h"
#include "policy/policy.h"
#include "policy/rpki.h"

#include <rtrlib/rtrlib.h>

static uint8_t scratch[POL_SCRATCH_LEN];

/* A configuration with one peer whose import rules are rules; rpki adds
 * route_server.rpki. errs gets the messages. */
static struct conf *load(const char *rules, const char *exp, bool rpki,
			 char *errs, size_t errlen)
{
	char yaml[4096];
	FILE *f = fmemopen(errs, errlen, "w");
	struct conf *c;

	snprintf(yaml, sizeof(yaml),
		 "route_server:\n  router_id: 198.18.0.1\n%s  peers:\n"
		 "    - name: p\n      address: 198.18.1.1\n      asn: 65001\n"
		 "      import: %s\n      export: %s\n",
		 rpki ? "  rpki: {caches: [\"198.18.0.9:8323\"], invalid: tag, "
			"refresh_s: 5}\n" : "",
		 rules, exp ? exp : "[]");
	c = conf_load_string("t.yaml", yaml, f);
	fclose(f);
	return c;
}

static struct conf *ok(const char *rules)
{
	char errs[2048] = "";
	struct conf *c = load(rules, NULL, true, errs, sizeof(errs));
	if (!c)
		fprintf(stderr, "%s", errs);
	assert_non_null(c);
	return c;
}

/* One route 198.18.5.0/24, AS_PATH 65001 65002, large communities lcs. */
static void route(struct bgp_attrs *a, uint8_t *lbuf, const uint32_t *lcs,
		  unsigned n)
{
	const uint32_t path[] = {65001, 65002};

	memset(a, 0, sizeof(*a));
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_NEXT_HOP);
	aspath_set_sequence(a, path, 2);
	a->present |= ATTR_BIT(ATTR_AS_PATH);
	for (unsigned i = 0; i < 3 * n; i++)
		put32(lbuf + 4 * i, lcs[i]);
	if (n) {
		a->present |= ATTR_BIT(ATTR_LARGE_COMMUNITIES);
		a->large_communities = lbuf;
		a->n_large_communities = (uint16_t)n;
	}
}

static uint8_t apply(struct conf *c, struct bgp_attrs *a, int *rule)
{
	struct prefix p;
	struct pol_result res;
	const struct conf_peer *peer = &c->rs.peers[0];
	uint8_t act;

	prefix_parse("198.18.5.0/24", &p);
	act = policy_apply(peer->import, peer->n_import, &p, a, scratch,
			   sizeof(scratch), &res);
	*rule = res.rule;
	return act;
}

static void assert_large(const struct bgp_attrs *a, const uint32_t *want,
			 unsigned n)
{
	assert_int_equal(a->n_large_communities, n);
	assert_int_equal(!!(a->present & ATTR_BIT(ATTR_LARGE_COMMUNITIES)), n > 0);
	for (unsigned i = 0; i < 3 * n; i++)
		assert_int_equal(get32(a->large_communities + 4 * i), want[i]);
}

static void test_large_match(void **state)
{
	struct conf *c = ok("[{match: {large_community: [\"65001:1:1\", \"65001:2:2\"]}, action: deny}]");
	uint8_t lb[64];
	struct bgp_attrs a;
	const uint32_t yes[] = {65009, 9, 9, 65001, 2, 2};
	const uint32_t no[] = {65001, 2, 3};
	int rule;

	route(&a, lb, yes, 2);
	assert_int_equal(apply(c, &a, &rule), POL_DENY);
	assert_int_equal(rule, 0);
	route(&a, lb, no, 1);
	assert_int_equal(apply(c, &a, &rule), POL_ALLOW);
	assert_int_equal(rule, -1);
	route(&a, lb, NULL, 0);
	assert_int_equal(apply(c, &a, &rule), POL_ALLOW);
	conf_free(c);
}

static void test_large_set(void **state)
{
	uint8_t lb[64];
	struct bgp_attrs a;
	const uint32_t in[] = {65001, 1, 1, 65001, 2, 2};
	int rule;
	struct conf *c;

	c = ok("[{action: allow, set: {add_large_communities: [\"65515:1:3\", \"65001:1:1\"], remove_large_communities: [\"65001:2:2\"]}}]");
	route(&a, lb, in, 2);
	assert_int_equal(apply(c, &a, &rule), POL_ALLOW);
	const uint32_t want[] = {65001, 1, 1, 65515, 1, 3};
	assert_large(&a, want, 2);
	assert_ptr_equal(a.large_communities, scratch + POL_SCRATCH_STD);
	assert_int_equal(get32(lb), 65001); /* the route's buffer is untouched */
	conf_free(c);

	c = ok("[{action: allow, set: {large_communities: [\"4200000000:7:8\"]}}]");
	route(&a, lb, in, 2);
	apply(c, &a, &rule);
	const uint32_t repl[] = {4200000000u, 7, 8};
	assert_large(&a, repl, 1);
	conf_free(c);

	c = ok("[{action: allow, set: {large_communities: []}}]");
	route(&a, lb, in, 2);
	apply(c, &a, &rule);
	assert_large(&a, NULL, 0);
	conf_free(c);
}

static void test_prepend(void **state)
{
	uint8_t lb[4];
	struct bgp_attrs a;
	char buf[128];
	int rule;
	struct conf *c;

	c = ok("[{action: allow, set: {as_path_prepend: 2}}]");
	route(&a, lb, NULL, 0);
	assert_int_equal(apply(c, &a, &rule), POL_ALLOW);
	aspath_fmt(&a, buf, sizeof(buf));
	assert_string_equal(buf, "65515 65515 65001 65002");
	conf_free(c);

	c = ok("[{action: allow, set: {as_path_prepend: {asn: 65010, count: 1}}}]");
	route(&a, lb, NULL, 0);
	apply(c, &a, &rule);
	aspath_fmt(&a, buf, sizeof(buf));
	assert_string_equal(buf, "65010 65001 65002");
	conf_free(c);
}

static void test_rpki_match(void **state)
{
	struct conf *c = ok("[{match: {rpki: invalid}, action: deny}, {match: {rpki: not_found}, set: {local_pref: 50}}]");
	uint8_t lb[4];
	struct bgp_attrs a;
	int rule;

	route(&a, lb, NULL, 0);
	a.rpki = RPKI_INVALID;
	assert_int_equal(apply(c, &a, &rule), POL_DENY);
	assert_int_equal(rule, 0);
	route(&a, lb, NULL, 0);
	a.rpki = RPKI_NOT_FOUND;
	assert_int_equal(apply(c, &a, &rule), POL_ALLOW);
	assert_int_equal(rule, 1);
	assert_int_equal(a.local_pref, 50);
	route(&a, lb, NULL, 0);
	a.rpki = RPKI_VALID;
	assert_int_equal(apply(c, &a, &rule), POL_ALLOW);
	assert_int_equal(rule, -1);
	conf_free(c);
}

/* Each bad file is refused with FILE:LINE:COL and the message. */
static void test_errors(void **state)
{
	static const struct {
		const char *rules, *exp;
		bool rpki;
		const char *msg;
	} bad[] = {
		{"[{match: {rpki: invalid}, action: deny}]", NULL, false,
		 "t.yaml:7:31: match rpki needs route_server.rpki"},
		{"[]", "[{match: {rpki: valid}, action: deny}]", true,
		 "rpki can be matched in import rules only"},
		{"[{match: {rpki: bogus}, action: deny}]", NULL, true,
		 "unknown rpki 'bogus' (expected valid, invalid, not_found)"},
		{"[{match: {large_community: [\"1:2\"]}, action: deny}]", NULL, true,
		 "bad large community '1:2'"},
		{"[{action: allow, set: {add_large_communities: [\"1:2:4294967296\"]}}]",
		 NULL, true, "bad large community '1:2:4294967296'"},
		{"[{action: allow, set: {as_path_prepend: 17}}]", NULL, true,
		 "as_path_prepend 17 is out of range (1..16)"},
		{"[{action: allow, set: {as_path_prepend: {asn: 65010}}}]", NULL, true,
		 "as_path_prepend is missing required key 'count'"},
	};
	char errs[2048];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(errs, 0, sizeof(errs));
		struct conf *c = load(bad[i].rules, bad[i].exp, bad[i].rpki, errs,
				      sizeof(errs));
		if (c || !strstr(errs, bad[i].msg))
			fprintf(stderr, "case %zu: got '%s'\n", i, errs);
		assert_null(c);
		assert_non_null(strstr(errs, bad[i].msg));
	}
}

static void test_rpki_keys(void **state)
{
	static const struct {
		const char *rpki, *msg;
	} bad[] = {
		{"{caches: [\"198.18.0.9\"]}", "bad cache '198.18.0.9' (expected ADDRESS:PORT)"},
		{"{caches: [\"host.example:323\"]}", "bad cache address 'host.example'"},
		{"{caches: [\"198.18.0.9:70000\"]}", "bad cache '198.18.0.9:70000'"},
		{"{caches: [\"198.18.0.9:323\"], invalid: drop}", "unknown invalid 'drop' (expected deny, tag, accept)"},
		{"{caches: [\"198.18.0.9:323\"], expire_s: 60}", "expire_s 60 is out of range (600..172800)"},
		{"{caches: [\"198.18.0.9:323\", \"198.18.0.9:323\"]}", "duplicate cache 198.18.0.9:323"},
		{"{invalid: deny}", "rpki is missing required key 'caches'"},
		{"{caches: [\"198.18.0.9:323\"], tag_community: \"x\"}", "bad tag_community 'x'"},
	};
	char yaml[1024], errs[2048];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f;
		memset(errs, 0, sizeof(errs));
		f = fmemopen(errs, sizeof(errs), "w");
		snprintf(yaml, sizeof(yaml),
			 "route_server:\n  router_id: 198.18.0.1\n  rpki: %s\n",
			 bad[i].rpki);
		assert_null(conf_load_string("r.yaml", yaml, f));
		fclose(f);
		if (!strstr(errs, bad[i].msg))
			fprintf(stderr, "case %zu: got '%s'\n", i, errs);
		assert_non_null(strstr(errs, bad[i].msg));
		assert_non_null(strstr(errs, "r.yaml:3:"));
	}
}

/* Printed back, the new keys read into an equal configuration. */
static void test_print_round_trip(void **state)
{
	struct conf *c = ok("[{match: {large_community: [\"1:2:3\"], rpki: valid}, action: allow, set: {as_path_prepend: 3, add_large_communities: [\"65515:1:1\"], remove_large_communities: [\"1:2:3\"], large_communities: [\"9:9:9\"]}}]");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct conf *back;

	conf_print(c, f);
	fclose(f);
	back = conf_load_string("printed.yaml", text, stderr);
	assert_non_null(back);
	assert_true(conf_equal(c, back));
	assert_non_null(strstr(text, "invalid: tag"));
	assert_non_null(strstr(text, "tag_community: \"65515:6811:2\""));
	assert_non_null(strstr(text, "as_path_prepend: {asn: 65515, count: 3}"));
	assert_int_equal(c->rs.rpki.refresh_s, 5);
	assert_int_equal(c->rs.rpki.expire_s, 7200);
	/* a different cache is a different configuration */
	back->rs.rpki.caches[0].port = 324;
	assert_false(conf_equal(c, back));
	conf_free(back);
	conf_free(c);
	free(text);
}

static void test_origin_as(void **state)
{
	struct bgp_attrs a;
	const uint32_t path[] = {65001, 65002, 65003};

	memset(&a, 0, sizeof(a));
	assert_int_equal(rpki_origin_as(&a), 0); /* empty: NONE */
	aspath_set_sequence(&a, path, 3);
	assert_int_equal(rpki_origin_as(&a), 65003);
	/* ... then an AS_SET: the origin is NONE (RFC 6811 section 2) */
	a.aspath[a.aspath_len++] = AS_SET;
	a.aspath[a.aspath_len++] = 1;
	put32(a.aspath + a.aspath_len, 65009);
	a.aspath_len += 4;
	assert_int_equal(rpki_origin_as(&a), 0);
	/* no table: not validated */
	struct prefix p;
	prefix_parse("198.18.0.0/24", &p);
	assert_int_equal(rpki_validate(NULL, &p, 65001), RPKI_NONE);
}

/* The tag added and taken away again, in place in the scratch. */
static void test_tag(void **state)
{
	struct conf *c = ok("[]");
	uint8_t lb[16];
	struct bgp_attrs a;
	const uint32_t in[] = {65001, 1, 1};
	const uint32_t tagged[] = {65001, 1, 1, 65515, 6811, 2};

	route(&a, lb, in, 1);
	assert_int_equal(rpki_tag(&a, &c->rs.rpki, true, scratch), 0);
	assert_large(&a, tagged, 2);
	assert_int_equal(rpki_tag(&a, &c->rs.rpki, true, scratch), 0);
	assert_large(&a, tagged, 2); /* once only */
	assert_int_equal(rpki_tag(&a, &c->rs.rpki, false, scratch), 0);
	assert_large(&a, in, 1);
	c->rs.rpki.tag_is_large = false;
	c->rs.rpki.tag_std = 65515u << 16 | 666;
	assert_int_equal(rpki_tag(&a, &c->rs.rpki, true, scratch), 0);
	assert_int_equal(a.n_communities, 1);
	assert_int_equal(get32(a.communities), 65515u << 16 | 666);
	conf_free(c);
}

/* A ROA in librtr's table from text. */
static void roa(struct pfx_table *t, const char *pfx, uint8_t maxlen,
		uint32_t asn)
{
	struct pfx_record r;
	char buf[64];
	char *slash;

	memset(&r, 0, sizeof(r));
	snprintf(buf, sizeof(buf), "%s", pfx);
	slash = strchr(buf, '/');
	*slash = '\0';
	assert_int_equal(lrtr_ip_str_to_addr(buf, &r.prefix), 0);
	r.min_len = (uint8_t)atoi(slash + 1);
	r.max_len = maxlen;
	r.asn = asn;
	assert_int_equal(pfx_table_add(t, &r), PFX_SUCCESS);
}

static uint8_t state(struct pfx_table *t, const char *pfx, uint32_t asn)
{
	struct prefix p;

	assert_int_equal(prefix_parse(pfx, &p), 0);
	return rpki_validate(t, &p, asn);
}

/* RFC 6811 section 2 through librtr's table, IPv4 and IPv6: covered by a
 * matching ROA (valid), covered but no match (wrong AS or longer than
 * max length: invalid), not covered (not_found); AS 0 never valid. */
static void test_validate_table(void **state_)
{
	struct pfx_table t;

	pfx_table_init(&t, NULL);
	roa(&t, "198.19.0.0/16", 24, 65001);
	roa(&t, "2001:db8:100::/40", 48, 65002);
	roa(&t, "198.18.64.0/24", 24, 0);
	assert_int_equal(state(&t, "198.19.5.0/24", 65001), RPKI_VALID);
	assert_int_equal(state(&t, "198.19.0.0/16", 65001), RPKI_VALID);
	assert_int_equal(state(&t, "198.19.5.0/25", 65001), RPKI_INVALID);
	assert_int_equal(state(&t, "198.19.5.0/24", 65009), RPKI_INVALID);
	assert_int_equal(state(&t, "198.19.5.0/24", 0), RPKI_INVALID);
	assert_int_equal(state(&t, "198.20.0.0/24", 65001), RPKI_NOT_FOUND);
	assert_int_equal(state(&t, "198.18.64.0/24", 0), RPKI_INVALID);
	assert_int_equal(state(&t, "2001:db8:100:ff00::/56", 65002), RPKI_INVALID);
	assert_int_equal(state(&t, "2001:db8:1ff::/48", 65002), RPKI_VALID);
	assert_int_equal(state(&t, "2001:db8:200::/48", 65003), RPKI_NOT_FOUND);
	assert_int_equal(state(&t, "2001:db8:100::/48", 65003), RPKI_INVALID);
	assert_int_equal(state(&t, "2001:db8:200::/48", 65002), RPKI_NOT_FOUND);
	pfx_table_free(&t);
}

/* route_server.aggregates and originate: loaded, checked, printed back. */
static void test_local_conf(void **state_)
{
	static const char *good =
		"route_server:\n  router_id: 198.18.0.1\n  peers:\n"
		"    - {name: a, address: 198.18.1.1, asn: 65001}\n"
		"    - {name: b, address: 198.18.1.2, asn: 65002}\n"
		"  aggregates:\n    - {prefix: 198.19.0.0/16, summary_only: true}\n"
		"    - {prefix: \"2001:db8::/32\", as_set: true}\n"
		"  originate:\n    - prefix: 198.18.200.0/24\n"
		"      next_hop: 198.18.0.10\n      communities: [\"65515:1\"]\n"
		"      large_communities: [\"65515:1:2\"]\n      to: [b]\n"
		"    - {prefix: 198.18.201.0/24, to: [a, b]}\n";
	struct conf *c = conf_load_string("l.yaml", good, stderr);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(c);
	assert_int_equal(c->rs.n_aggregates, 2);
	assert_true(c->rs.aggregates[0].summary_only);
	assert_true(c->rs.aggregates[1].as_set);
	assert_int_equal(c->rs.n_originate, 2);
	assert_int_equal(conf_originate_mask(c, "a"), 2);
	assert_int_equal(conf_originate_mask(c, "b"), 3);
	assert_int_equal(conf_originate_mask(c, "x"), 0);
	f = open_memstream(&text, &len);
	conf_print(c, f);
	fclose(f);
	struct conf *back = conf_load_string("p.yaml", text, stderr);
	assert_non_null(back);
	assert_true(conf_equal(c, back));
	back->rs.originate[0].large[0].l2 = 3;
	assert_false(conf_equal(c, back));
	conf_free(back);
	conf_free(c);
	free(text);

	static const struct {
		const char *extra, *msg;
	} bad[] = {
		{"  originate: [{prefix: 198.18.200.0/24, to: [zz]}]\n",
		 "l.yaml:5:46: unknown peer 'zz' in 'to'"},
		{"  originate: [{prefix: 198.18.200.0/24}]\n",
		 "originate is missing required key 'to'"},
		{"  originate: [{prefix: 198.18.200.0/24, next_hop: \"2001:db8::1\", to: [a]}]\n",
		 "next_hop must be of the prefix's family"},
		{"  aggregates: [{prefix: 198.19.0.0/16}, {prefix: 198.19.0.0/16}]\n",
		 "duplicate aggregate"},
		{"  aggregates: [{prefix: 198.19.0.0/16}]\n  originate: [{prefix: 198.19.0.0/16, to: [a]}]\n",
		 "prefix is both aggregated and originated"},
		{"  aggregates: [{prefix: 198.19.0.1/16}]\n", "host bits are set"},
		{"  aggregates: [{prefix: 198.19.0.0/16, summary: true}]\n",
		 "unknown key 'summary' in aggregate"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char yaml[1024], errs[1024] = "";
		snprintf(yaml, sizeof(yaml),
			 "route_server:\n  router_id: 198.18.0.1\n  peers:\n"
			 "    - {name: a, address: 198.18.1.1, asn: 65001}\n%s",
			 bad[i].extra);
		f = fmemopen(errs, sizeof(errs), "w");
		assert_null(conf_load_string("l.yaml", yaml, f));
		fclose(f);
		if (!strstr(errs, bad[i].msg))
			fprintf(stderr, "case %zu: got '%s'\n", i, errs);
		assert_non_null(strstr(errs, bad[i].msg));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_match),
		cmocka_unit_test(test_large_set),
		cmocka_unit_test(test_prepend),
		cmocka_unit_test(test_rpki_match),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_rpki_keys),
		cmocka_unit_test(test_print_round_trip),
		cmocka_unit_test(test_origin_as),
		cmocka_unit_test(test_tag),
		cmocka_unit_test(test_validate_table),
		cmocka_unit_test(test_local_conf),
	};
	return cmocka_run_group_tests_name("policy_actions", tests, NULL, NULL);
}
