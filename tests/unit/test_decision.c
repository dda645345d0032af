/*
 * test_decision.c - the decision process of DESIGN 1.2, one table row per
 * rule: each case is won by exactly one step (earlier steps tie, later ones
 * would favour the loser), and the row asserts which step decided. Then the
 * ECMP set, max_paths truncation and the order of a candidate list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rib/rib.h"

struct side {
	uint8_t kind;
	const char *addr;
	uint32_t lp; /* 0: absent */
	int32_t med; /* -1: absent */
	uint8_t origin;
	const char *path; /* "65001 65002 {65003,65004}" */
};

struct dcase {
	const char *name;
	uint8_t pref;
	bool compare_med;
	bool order; /* rib_path_order instead of rib_path_cmp */
	struct side a, b;
	int want; /* -1: a wins, 1: b wins, 0: tie */
	int step;
};

#define NVA PEER_NVA
#define VPN PEER_VPN_GATEWAY
#define ER PEER_EXPRESSROUTE_GATEWAY
#define IGP ORIGIN_IGP
#define EGP ORIGIN_EGP
#define INC ORIGIN_INCOMPLETE

static const struct dcase cases[] = {
	{"highest local_pref wins", PREF_EXPRESSROUTE, true, false,
	 {NVA, "198.18.1.9", 200, 50, INC, "1 2 3"},
	 {ER, "198.18.1.1", 0, 0, IGP, "1"}, -1, 1},
	{"absent local_pref counts 100", PREF_EXPRESSROUTE, false, false,
	 {NVA, "198.18.1.9", 0, -1, IGP, "1 2 3"},
	 {ER, "198.18.1.1", 99, -1, IGP, "1"}, -1, 1},
	{"expressroute prefers expressroute_gateway", PREF_EXPRESSROUTE, true,
	 false, {ER, "198.18.1.9", 100, 50, INC, "1 2 3"},
	 {VPN, "198.18.1.1", 100, 0, IGP, "1"}, -1, 2},
	{"expressroute prefers it over nva too", PREF_EXPRESSROUTE, false,
	 false, {NVA, "198.18.1.1", 0, -1, IGP, "1"},
	 {ER, "198.18.1.9", 0, -1, INC, "1 2 3"}, 1, 2},
	{"expressroute: nva and vpn_gateway rank equal", PREF_EXPRESSROUTE,
	 false, false, {VPN, "198.18.1.9", 0, -1, INC, "1 2"},
	 {NVA, "198.18.1.1", 0, -1, IGP, "1 2 3"}, -1, 3},
	{"vpn prefers vpn_gateway over expressroute", PREF_VPN, true, false,
	 {VPN, "198.18.1.9", 100, 50, INC, "1 2 3"},
	 {ER, "198.18.1.1", 100, 0, IGP, "1"}, -1, 2},
	{"vpn prefers nva over expressroute", PREF_VPN, true, false,
	 {ER, "198.18.1.1", 0, 0, IGP, "1"},
	 {NVA, "198.18.1.9", 0, 50, INC, "1 2 3"}, 1, 2},
	{"aspath skips the kind step", PREF_ASPATH, true, false,
	 {ER, "198.18.1.1", 0, 0, IGP, "1 2"},
	 {NVA, "198.18.1.9", 0, 50, INC, "1"}, 1, 3},
	{"an AS_SET counts 1", PREF_EXPRESSROUTE, true, false,
	 {NVA, "198.18.1.9", 0, 50, INC, "1 {2,3,4,5}"},
	 {NVA, "198.18.1.1", 0, 0, IGP, "1 2 3"}, -1, 3},
	{"lowest MED with compare_med", PREF_EXPRESSROUTE, true, false,
	 {NVA, "198.18.1.9", 0, 10, INC, "1 2"},
	 {NVA, "198.18.1.1", 0, 20, IGP, "3 4"}, -1, 4},
	{"a missing MED is 0", PREF_EXPRESSROUTE, true, false,
	 {NVA, "198.18.1.1", 0, 5, IGP, "1 2"},
	 {NVA, "198.18.1.9", 0, -1, INC, "3 4"}, 1, 4},
	{"MED ignored without compare_med: ECMP tie", PREF_EXPRESSROUTE,
	 false, false, {NVA, "198.18.1.9", 0, 10, IGP, "1 2"},
	 {NVA, "198.18.1.1", 0, 20, INC, "3 4"}, 0, 5},
	{"equal on every step: ECMP tie", PREF_VPN, true, false,
	 {NVA, "198.18.1.9", 150, 7, INC, "1 {2,3}"},
	 {VPN, "2001:db8::1", 150, 7, IGP, "4 5"}, 0, 5},
	{"tie broken by lowest ORIGIN", PREF_EXPRESSROUTE, true, true,
	 {NVA, "198.18.1.9", 0, -1, IGP, "1 2"},
	 {NVA, "198.18.1.1", 0, -1, EGP, "3 4"}, -1, RIB_STEP_ORIGIN},
	{"then by lowest peer address", PREF_EXPRESSROUTE, true, true,
	 {NVA, "198.18.1.9", 0, -1, EGP, "1 2"},
	 {NVA, "198.18.1.10", 0, -1, EGP, "3 4"}, -1, RIB_STEP_PEER_ADDR},
	{"order still follows the decision first", PREF_EXPRESSROUTE, true,
	 true, {NVA, "198.18.1.1", 0, -1, IGP, "1 2 3"},
	 {NVA, "198.18.1.9", 0, -1, INC, "3 4"}, 1, 3},
};

/* Normalized AS_PATH bytes from "1 2 {3,4}". */
static uint16_t parse_path(const char *s, uint8_t *out)
{
	uint16_t len = 0;
	uint8_t *seg = NULL;
	while (*s) {
		uint32_t asn;
		if (*s == ' ' || *s == ',' || *s == '{' || *s == '}') {
			if (*s == '{' || *s == '}')
				seg = NULL;
			if (*s++ == '{') {
				seg = out + len;
				seg[0] = AS_SET;
				seg[1] = 0;
				len += 2;
			}
			continue;
		}
		if (!seg) {
			seg = out + len;
			seg[0] = AS_SEQUENCE;
			seg[1] = 0;
			len += 2;
		}
		asn = (uint32_t)strtoul(s, (char **)&s, 10);
		out[len++] = (uint8_t)(asn >> 24);
		out[len++] = (uint8_t)(asn >> 16);
		out[len++] = (uint8_t)(asn >> 8);
		out[len++] = (uint8_t)asn;
		seg[1]++;
	}
	return len;
}

static struct rattr *mk_attr(struct rib *rib, const struct side *s)
{
	static struct bgp_attrs a; /* big; read-only between calls */
	memset(&a, 0, sizeof(a));
	a.present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		    ATTR_BIT(ATTR_NEXT_HOP);
	a.origin = s->origin;
	a.aspath_len = parse_path(s->path, a.aspath);
	addr_parse("198.18.0.1", &a.next_hop);
	if (s->lp) {
		a.present |= ATTR_BIT(ATTR_LOCAL_PREF);
		a.local_pref = s->lp;
	}
	if (s->med >= 0) {
		a.present |= ATTR_BIT(ATTR_MED);
		a.med = (uint32_t)s->med;
	}
	return rattr_intern(rib, &a);
}

static uint32_t mk_peer(struct rib *rib, uint8_t kind, const char *addr)
{
	struct rib_peer p = {.kind = kind, .asn = 65001};
	assert_int_equal(addr_parse(addr, &p.addr), 0);
	return rib_peer_add(rib, &p);
}

static void test_path_parse(void **state)
{
	uint8_t b[64];
	struct side s = {NVA, "198.18.1.1", 0, -1, IGP, "1 {2,3,4,5} 6"};
	struct rib_config cfg = {.max_paths = 8};
	struct rib *rib = rib_new(&cfg);
	struct rattr *ra;
	(void)state;
	/* SEQ(1) SET(4) SEQ(1): 3 segments, 6 ASNs. */
	assert_int_equal(parse_path(s.path, b), 3 * 2 + 6 * 4);
	assert_int_equal(b[0], AS_SEQUENCE);
	assert_int_equal(b[6], AS_SET);
	assert_int_equal(b[7], 4);
	ra = mk_attr(rib, &s);
	assert_int_equal(ra->aspath_hops, 3);
	rattr_unref(rib, ra);
	rib_free(rib);
}

static void run_case(const struct dcase *c)
{
	struct rib_config cfg = {.local_asn = 65515,
				 .routing_pref = c->pref,
				 .compare_med = c->compare_med,
				 .max_paths = 8};
	struct rib *rib = rib_new(&cfg);
	struct rpath a = {0}, b = {0};
	int step = -1, r;

	a.peer = mk_peer(rib, c->a.kind, c->a.addr);
	b.peer = mk_peer(rib, c->b.kind, c->b.addr);
	a.attr = mk_attr(rib, &c->a);
	b.attr = mk_attr(rib, &c->b);
	r = c->order ? rib_path_order(rib, &a, &b, &step)
		     : rib_path_cmp(rib, &a, &b, &step);
	if ((r > 0) - (r < 0) != c->want || step != c->step)
		fail_msg("%s: got %d at step %d, want %d at step %d", c->name,
			 r, step, c->want, c->step);
	step = -1;
	r = c->order ? rib_path_order(rib, &b, &a, &step)
		     : rib_path_cmp(rib, &b, &a, &step);
	if ((r > 0) - (r < 0) != -c->want || step != c->step)
		fail_msg("%s (swapped): got %d at step %d", c->name, r, step);
	rattr_unref(rib, a.attr);
	rattr_unref(rib, b.attr);
	rib_free(rib);
}

static void test_row(void **state)
{
	run_case(*state);
}

/* Peers with tied routes and one worse one, for the ECMP tests. */
static const struct side tied[] = {
	{NVA, "198.18.1.4", 0, -1, IGP, "1 2"},
	{NVA, "198.18.1.3", 0, -1, EGP, "3 4"},
	{VPN, "198.18.1.2", 0, -1, IGP, "5 6"},
	{NVA, "198.18.1.1", 0, -1, INC, "7 {8,9}"},
	{NVA, "198.18.1.0", 0, -1, IGP, "1 2 3"}, /* longer: not tied */
};

static void load_tied(struct rib *rib, const struct prefix *p)
{
	for (size_t i = 0; i < 5; i++) {
		uint32_t peer = mk_peer(rib, tied[i].kind, tied[i].addr);
		struct rattr *ra = mk_attr(rib, &tied[i]);
		assert_int_equal(rib_announce(rib, peer, p, ra), 1);
		rattr_unref(rib, ra);
	}
}

/* The peer order of e's list and its flags, as "2be 0e 1 3 4". */
static void list_str(const struct rentry *e, char *out)
{
	out[0] = 0;
	for (const struct rpath *p = e->paths; p; p = p->next) {
		char one[16];
		snprintf(one, sizeof(one), "%s%u%s%s", out[0] ? " " : "",
			 p->peer, p->flags & RPATH_BEST ? "b" : "",
			 p->flags & RPATH_ECMP ? "e" : "");
		strcat(out, one);
	}
}

static void test_ecmp_set(void **state)
{
	struct rib_config cfg = {.routing_pref = PREF_ASPATH, .max_paths = 8};
	struct rib *rib = rib_new(&cfg);
	struct prefix p;
	char s[64];
	(void)state;
	prefix_parse("198.19.0.0/16", &p);
	load_tied(rib, &p);
	list_str(rib_lookup(rib, &p), s);
	/* Best: lowest ORIGIN, then lowest address (peer 2 .2 before peer
	 * 0 .4); then EGP, INCOMPLETE; the longer path last. */
	assert_string_equal(s, "2be 0e 1e 3e 4");
	assert_int_equal(rib_lookup(rib, &p)->n_ecmp, 4);
	assert_int_equal(rib_lookup(rib, &p)->n_paths, 5);
	rib_free(rib);
}

static void test_max_paths(void **state)
{
	struct rib_config cfg = {.routing_pref = PREF_ASPATH, .max_paths = 2};
	struct rib *rib = rib_new(&cfg);
	struct prefix p;
	char s[64];
	(void)state;
	prefix_parse("2001:db8:1::/48", &p);
	load_tied(rib, &p);
	list_str(rib_lookup(rib, &p), s);
	assert_string_equal(s, "2be 0e 1 3 4");
	assert_int_equal(rib_lookup(rib, &p)->n_ecmp, 2);
	rib_changes_drain(rib, NULL, NULL);
	/* Widening the set re-decides and reports the entry. */
	cfg.max_paths = 3;
	rib_set_config(rib, &cfg);
	assert_int_equal(rib_changes_pending(rib), 1);
	list_str(rib_lookup(rib, &p), s);
	assert_string_equal(s, "2be 0e 1e 3 4");
	rib_changes_drain(rib, NULL, NULL);
	/* The kind preference now splits the tie: vpn_gateway peer 2 and
	 * the nva peers rank equal under vpn, so nothing changes... */
	cfg.routing_pref = PREF_VPN;
	rib_set_config(rib, &cfg);
	assert_int_equal(rib_changes_pending(rib), 0);
	/* ...while under expressroute none is preferred either. */
	cfg.routing_pref = PREF_EXPRESSROUTE;
	rib_set_config(rib, &cfg);
	assert_int_equal(rib_changes_pending(rib), 0);
	/* max_paths 1: only the best. */
	cfg.max_paths = 1;
	rib_set_config(rib, &cfg);
	assert_int_equal(rib_changes_pending(rib), 1);
	list_str(rib_lookup(rib, &p), s);
	assert_string_equal(s, "2be 0 1 3 4");
	rib_free(rib);
}

static void test_kind_reorders(void **state)
{
	struct rib_config cfg = {.routing_pref = PREF_ASPATH, .max_paths = 8};
	struct rib *rib = rib_new(&cfg);
	struct prefix p;
	struct side er = {ER, "198.18.2.1", 0, -1, IGP, "9 9 9 9"};
	uint32_t peer;
	struct rattr *ra;
	char s[64];
	(void)state;
	prefix_parse("198.19.0.0/16", &p);
	load_tied(rib, &p);
	peer = mk_peer(rib, er.kind, er.addr);
	ra = mk_attr(rib, &er);
	assert_int_equal(rib_announce(rib, peer, &p, ra), 1);
	rattr_unref(rib, ra);
	list_str(rib_lookup(rib, &p), s);
	assert_string_equal(s, "2be 0e 1e 3e 4 5");
	rib_changes_drain(rib, NULL, NULL);
	cfg.routing_pref = PREF_EXPRESSROUTE;
	rib_set_config(rib, &cfg);
	assert_int_equal(rib_changes_pending(rib), 1);
	list_str(rib_lookup(rib, &p), s);
	assert_string_equal(s, "5be 2 0 1 3 4");
	rib_free(rib);
}

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

int main(void)
{
	/* One test per table row, named after the rule it checks. */
	struct CMUnitTest tests[N_CASES + 4] = {
		cmocka_unit_test(test_path_parse),
		cmocka_unit_test(test_ecmp_set),
		cmocka_unit_test(test_max_paths),
		cmocka_unit_test(test_kind_reorders),
	};
	for (size_t i = 0; i < N_CASES; i++) {
		tests[4 + i].name = cases[i].name;
		tests[4 + i].test_func = test_row;
		tests[4 + i].initial_state = (void *)&cases[i];
	}
	return _cmocka_run_group_tests("decision", tests, N_CASES + 4, NULL,
				       NULL);
}
