/*
 * test_policy.c - import/export rule evaluation, table-driven.
 *
 * Each case gives a rule list (in the YAML form of DESIGN 4, loaded
 * through the configuration loader), one route (prefix, AS_PATH,
 * communities) and what must come out: the verdict, the rule that gave
 * it, and the attributes after the set actions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "policy/policy.h"

#define MAXC 8

struct pcase {
	const char *name;
	const char *rules; /* YAML list of rules, "[]" for none */
	const char *prefix;
	uint32_t aspath[4]; /* one AS_SEQUENCE, 0-terminated */
	uint32_t set_asn; /* when set: an AS_SET {set_asn} after the sequence */
	uint32_t comms[MAXC]; /* 0-terminated */
	uint8_t action;
	int rule;
	int64_t local_pref, med; /* -1: must stay absent */
	uint32_t comms_after[MAXC]; /* checked when check_comms */
	bool check_comms;
};

#define C(a, b) ((uint32_t)(a) << 16 | (b))

static const struct pcase cases[] = {
	{"no rules: allow, untouched", "[]", "198.18.0.0/24", {65001}, 0, {0},
	 POL_ALLOW, -1, -1, -1, {0}, false},
	{"no match: allow by default", "[{match: {prefix: [198.20.0.0/16]}, action: deny}]",
	 "198.18.0.0/24", {65001}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"exact prefix matches", "[{match: {prefix: [198.18.0.0/24]}, action: deny}]",
	 "198.18.0.0/24", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"exact prefix: longer does not match", "[{match: {prefix: [198.18.0.0/24]}, action: deny}]",
	 "198.18.0.0/25", {65001}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"le: the prefix itself", "[{match: {prefix: [198.18.0.0/15 le 24]}, action: deny}]",
	 "198.18.0.0/15", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"le: at the edge", "[{match: {prefix: [198.18.0.0/15 le 24]}, action: deny}]",
	 "198.19.255.0/24", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"le: one past the edge", "[{match: {prefix: [198.18.0.0/15 le 24]}, action: deny}]",
	 "198.18.0.0/25", {65001}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"le: outside the prefix", "[{match: {prefix: [198.18.0.0/15 le 24]}, action: deny}]",
	 "198.20.0.0/24", {65001}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"ge: below the edge", "[{match: {prefix: [198.18.0.0/15 ge 20]}, action: deny}]",
	 "198.18.0.0/19", {65001}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"ge: at the edge", "[{match: {prefix: [198.18.0.0/15 ge 20]}, action: deny}]",
	 "198.18.0.0/20", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"ge: up to /32", "[{match: {prefix: [198.18.0.0/15 ge 20]}, action: deny}]",
	 "198.18.0.1/32", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"ge le: inside", "[{match: {prefix: [198.18.0.0/15 ge 20 le 22]}, action: deny}]",
	 "198.18.4.0/22", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"ge le: above", "[{match: {prefix: [198.18.0.0/15 ge 20 le 22]}, action: deny}]",
	 "198.18.4.0/23", {65001}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"prefix list: any element", "[{match: {prefix: [198.20.0.0/16, 198.18.0.0/16 le 24]}, action: deny}]",
	 "198.18.7.0/24", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"IPv6 prefix, other family never matches", "[{match: {prefix: [0.0.0.0/0 le 32]}, action: deny}, {match: {prefix: [\"2001:db8::/32 le 64\"]}, action: deny}]",
	 "2001:db8:1::/48", {65001}, 0, {0}, POL_DENY, 1, -1, -1, {0}, false},
	{"default route exact", "[{match: {prefix: [0.0.0.0/0]}, action: deny}]",
	 "0.0.0.0/0", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"as_path_contains: present", "[{match: {as_path_contains: 65010}, action: deny}]",
	 "198.18.0.0/24", {65001, 65010, 65020}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"as_path_contains: inside an AS_SET", "[{match: {as_path_contains: 65099}, action: deny}]",
	 "198.18.0.0/24", {65001}, 65099, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"as_path_contains: absent", "[{match: {as_path_contains: 65010}, action: deny}]",
	 "198.18.0.0/24", {65001, 65020}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"origin_as: last ASN", "[{match: {origin_as: 65020}, action: deny}]",
	 "198.18.0.0/24", {65001, 65020}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"origin_as: not the first ASN", "[{match: {origin_as: 65001}, action: deny}]",
	 "198.18.0.0/24", {65001, 65020}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"community: standard", "[{match: {community: [\"65000:100\"]}, action: deny}]",
	 "198.18.0.0/24", {65001}, 0, {C(65000, 7), C(65000, 100)}, POL_DENY, 0, -1, -1, {0}, false},
	{"community: absent", "[{match: {community: [\"65000:100\"]}, action: deny}]",
	 "198.18.0.0/24", {65001}, 0, {C(65000, 101)}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"community: no-export by name", "[{match: {community: [no-export]}, action: deny}]",
	 "198.18.0.0/24", {65001}, 0, {0xFFFFFF01u}, POL_DENY, 0, -1, -1, {0}, false},
	{"community: no-advertise by name", "[{match: {community: [no-advertise]}, action: deny}]",
	 "198.18.0.0/24", {65001}, 0, {0xFFFFFF02u}, POL_DENY, 0, -1, -1, {0}, false},
	{"all matches must hold (AND)", "[{match: {prefix: [198.18.0.0/16 le 24], origin_as: 65020}, action: deny}]",
	 "198.18.0.0/24", {65001, 65030}, 0, {0}, POL_ALLOW, -1, -1, -1, {0}, false},
	{"first match wins", "[{match: {prefix: [198.18.0.0/16 le 24]}, action: allow, set: {local_pref: 300}}, {match: {prefix: [198.18.0.0/24]}, action: deny}]",
	 "198.18.0.0/24", {65001}, 0, {0}, POL_ALLOW, 0, 300, -1, {0}, false},
	{"later rule when the first misses", "[{match: {origin_as: 65099}, action: deny}, {match: {}, action: allow, set: {med: 7}}]",
	 "198.18.0.0/24", {65001}, 0, {0}, POL_ALLOW, 1, -1, 7, {0}, false},
	{"deny-all rule at the end", "[{match: {prefix: [198.18.0.0/16 le 32]}, action: allow}, {action: deny}]",
	 "198.20.0.0/24", {65001}, 0, {0}, POL_DENY, 1, -1, -1, {0}, false},
	{"set local_pref and med", "[{action: allow, set: {local_pref: 200, med: 10}}]",
	 "198.18.0.0/24", {65001}, 0, {0}, POL_ALLOW, 0, 200, 10, {0}, false},
	{"deny applies no set", "[{action: deny, set: {local_pref: 200}}]",
	 "198.18.0.0/24", {65001}, 0, {0}, POL_DENY, 0, -1, -1, {0}, false},
	{"add communities, no duplicates", "[{action: allow, set: {add_communities: [\"65515:1\", \"65000:5\"]}}]",
	 "198.18.0.0/24", {65001}, 0, {C(65000, 5)}, POL_ALLOW, 0, -1, -1,
	 {C(65000, 5), C(65515, 1)}, true},
	{"remove communities", "[{action: allow, set: {remove_communities: [\"65000:5\", no-export]}}]",
	 "198.18.0.0/24", {65001}, 0, {C(65000, 5), 0xFFFFFF01u, C(65000, 6)}, POL_ALLOW, 0, -1, -1,
	 {C(65000, 6)}, true},
	{"remove the last community", "[{action: allow, set: {remove_communities: [\"65000:5\"]}}]",
	 "198.18.0.0/24", {65001}, 0, {C(65000, 5)}, POL_ALLOW, 0, -1, -1, {0}, true},
	{"add to a route without communities", "[{action: allow, set: {add_communities: [no-export]}}]",
	 "198.18.0.0/24", {65001}, 0, {0}, POL_ALLOW, 0, -1, -1, {0xFFFFFF01u}, true},
};

/* Load the rules of a case through the configuration loader. */
static struct conf *rules_conf(const char *rules)
{
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
		 "route_server:\n  router_id: 198.18.0.1\n  peers:\n"
		 "    - name: p\n      address: 198.18.1.1\n      asn: 65001\n"
		 "      accept_default: true\n      import: %s\n",
		 rules);
	return conf_load_string("policy.yaml", yaml, stderr);
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* Build normalized attributes: one AS_SEQUENCE (+ AS_SET), communities. */
static void build_attrs(const struct pcase *pc, struct bgp_attrs *a,
			uint8_t *comm_buf)
{
	unsigned n = 0, off = 0;

	memset(a, 0, sizeof(*a));
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		     ATTR_BIT(ATTR_NEXT_HOP);
	while (n < 4 && pc->aspath[n])
		n++;
	a->aspath[off++] = AS_SEQUENCE;
	a->aspath[off++] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++, off += 4)
		put32(a->aspath + off, pc->aspath[i]);
	if (pc->set_asn) {
		a->aspath[off++] = AS_SET;
		a->aspath[off++] = 1;
		put32(a->aspath + off, pc->set_asn);
		off += 4;
	}
	a->aspath_len = (uint16_t)off;
	n = 0;
	while (n < MAXC && pc->comms[n])
		n++;
	for (unsigned i = 0; i < n; i++)
		put32(comm_buf + 4 * i, pc->comms[i]);
	if (n) {
		a->present |= ATTR_BIT(ATTR_COMMUNITIES);
		a->communities = comm_buf;
		a->n_communities = (uint16_t)n;
	}
}

static void test_case(void **state)
{
	const struct pcase *pc = *state;
	struct conf *c = rules_conf(pc->rules);
	static uint8_t scratch[POL_SCRATCH_LEN];
	uint8_t comm_buf[4 * MAXC];
	struct bgp_attrs a;
	struct prefix p;
	struct pol_result res;
	const struct conf_peer *peer;
	uint8_t act;

	assert_non_null(c);
	peer = &c->rs.peers[0];
	assert_true(prefix_parse(pc->prefix, &p) == 0);
	build_attrs(pc, &a, comm_buf);
	act = policy_apply(peer->import, peer->n_import, &p, &a, scratch,
			   sizeof(scratch), &res);
	assert_int_equal(act, pc->action);
	assert_int_equal(res.action, pc->action);
	assert_int_equal(res.rule, pc->rule);
	assert_int_equal(policy_match(peer->import, peer->n_import, &p, &a),
			 pc->rule);
	if (pc->local_pref < 0) {
		assert_false(a.present & ATTR_BIT(ATTR_LOCAL_PREF));
	} else {
		assert_true(a.present & ATTR_BIT(ATTR_LOCAL_PREF));
		assert_int_equal(a.local_pref, pc->local_pref);
	}
	if (pc->med < 0) {
		assert_false(a.present & ATTR_BIT(ATTR_MED));
	} else {
		assert_true(a.present & ATTR_BIT(ATTR_MED));
		assert_int_equal(a.med, pc->med);
	}
	if (pc->check_comms) {
		unsigned n = 0;
		while (n < MAXC && pc->comms_after[n])
			n++;
		assert_true(res.changed);
		assert_int_equal(a.n_communities, n);
		assert_int_equal(!!(a.present & ATTR_BIT(ATTR_COMMUNITIES)), n > 0);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(get32(a.communities + 4 * i),
					 pc->comms_after[i]);
		/* The route's own buffer is never written. */
		if (n)
			assert_ptr_equal(a.communities, scratch);
	}
	conf_free(c);
}

/* policy_eval with no rules returns at once, whatever the inputs. */
static void test_no_rules_fast_path(void **state)
{
	struct bgp_attrs a;
	struct prefix p;

	memset(&a, 0, sizeof(a));
	prefix_parse("0.0.0.0/0", &p);
	/* NULL rules, scratch and a route that a rule would reject. */
	assert_int_equal(policy_eval(NULL, 0, &p, &a, NULL, 0), POL_ALLOW);
	assert_int_equal(a.present, 0);
}

/* Scratch too small: the route is denied rather than half-rewritten. */
static void test_scratch_too_small(void **state)
{
	struct conf *c = rules_conf("[{action: allow, set: {add_communities: [\"1:1\", \"1:2\"]}}]");
	const struct conf_peer *peer;
	uint8_t small[4];
	struct bgp_attrs a;
	struct prefix p;

	assert_non_null(c);
	peer = &c->rs.peers[0];
	memset(&a, 0, sizeof(a));
	prefix_parse("198.18.0.0/24", &p);
	assert_int_equal(policy_eval(peer->import, peer->n_import, &p, &a, small,
				     sizeof(small)),
			 POL_DENY);
	conf_free(c);
}

static void test_guards(void **state)
{
	struct prefix p;
	struct bgp_attrs a;
	static const struct pcase pc = {.aspath = {65001, 65515, 65002}};
	uint8_t cb[4];

	prefix_parse("0.0.0.0/0", &p);
	assert_true(policy_is_default(&p));
	prefix_parse("::/0", &p);
	assert_true(policy_is_default(&p));
	prefix_parse("0.0.0.0/1", &p);
	assert_false(policy_is_default(&p));
	build_attrs(&pc, &a, cb);
	assert_true(policy_aspath_loop(&a, 65515));
	assert_false(policy_aspath_loop(&a, 65516));
}

static void test_prefix_parse_edges(void **state)
{
	static const struct {
		const char *s;
		int rc;
		const char *back; /* formatted back, when rc == 0 */
	} t[] = {
		{"198.18.0.0/15", 0, "198.18.0.0/15"},
		{"198.18.0.0/15 le 24", 0, "198.18.0.0/15 le 24"},
		{"198.18.0.0/15  ge 16   le 32", 0, "198.18.0.0/15 ge 16 le 32"},
		{"198.18.0.0/15 le 15", 0, "198.18.0.0/15 le 15"},
		{"2001:db8::/32 ge 48 le 64", 0, "2001:db8::/32 ge 48 le 64"},
		{"198.18.0.0/15 le 33", -1, NULL},
		{"198.18.0.0/15 ge 24 le 20", -1, NULL},
		{"198.18.0.0/15 ge 14", -1, NULL},
		{"198.18.0.0/15 le", -1, NULL},
		{"198.18.0.0/15 le 24 le 25", -1, NULL},
		{"198.18.0.0/15 eq 24", -1, NULL},
		{"198.18.0.1/15", -1, NULL},
		{"198.18.0.0", -1, NULL},
		{"", -1, NULL},
	};
	char err[160], buf[80];
	struct pol_prefix pp;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = pol_prefix_parse(t[i].s, &pp, err, sizeof(err));
		if (rc != t[i].rc)
			fprintf(stderr, "# '%s': rc %d (%s)\n", t[i].s, rc, err);
		assert_int_equal(rc, t[i].rc);
		if (!rc)
			assert_string_equal(pol_prefix_fmt(&pp, buf, sizeof(buf)),
					    t[i].back);
	}
}

static void test_community_parse(void **state)
{
	uint32_t c;
	char buf[32];

	assert_int_equal(community_parse("65000:100", &c), 0);
	assert_int_equal(c, C(65000, 100));
	assert_string_equal(community_fmt(c, buf, sizeof(buf)), "65000:100");
	assert_int_equal(community_parse("no-export", &c), 0);
	assert_int_equal(c, COMMUNITY_NO_EXPORT);
	assert_string_equal(community_fmt(c, buf, sizeof(buf)), "no-export");
	assert_int_equal(community_parse("0:0", &c), 0);
	assert_int_equal(community_parse("65536:1", &c), -1);
	assert_int_equal(community_parse("1:65536", &c), -1);
	assert_int_equal(community_parse("1:", &c), -1);
	assert_int_equal(community_parse("a:b", &c), -1);
	assert_int_equal(community_parse("1:2:3", &c), -1);
}

static void test_rules_equal(void **state)
{
	struct conf *a = rules_conf("[{match: {prefix: [198.18.0.0/15 le 24]}, action: deny}]");
	struct conf *b = rules_conf("[{match: {prefix: [198.18.0.0/15 le 24]}, action: deny}]");
	struct conf *d = rules_conf("[{match: {prefix: [198.18.0.0/15 le 25]}, action: deny}]");

	assert_true(pol_rules_equal(a->rs.peers[0].import, 1,
				    b->rs.peers[0].import, 1));
	assert_false(pol_rules_equal(a->rs.peers[0].import, 1,
				     d->rs.peers[0].import, 1));
	assert_false(pol_rules_equal(a->rs.peers[0].import, 1, NULL, 0));
	conf_free(a);
	conf_free(b);
	conf_free(d);
}

#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	struct CMUnitTest tests[NCASES + 7];
	size_t n = 0;

	for (size_t i = 0; i < NCASES; i++)
		tests[n++] = (struct CMUnitTest){cases[i].name, test_case, NULL,
						 NULL, (void *)&cases[i]};
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_no_rules_fast_path);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_scratch_too_small);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_guards);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_prefix_parse_edges);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_community_parse);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_rules_equal);
	return _cmocka_run_group_tests("policy", tests, n, NULL, NULL);
}
