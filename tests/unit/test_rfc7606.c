/*
 * test_rfc7606.c - the RFC 7606 catalogue through the UPDATE decoder, for
 * the cases tests/unit/test_codec.c does not already cover: duplicates of
 * each kind of attribute (first kept, or session reset for MP_*), flag
 * errors of the optional attributes, iBGP-only attributes on eBGP,
 * AS4_* on 4-octet sessions, truncated attribute headers, confederation
 * segments from an eBGP peer, extended-length encodings of short
 * attributes, MP_REACH next hops (link-local), and which attributes an
 * UPDATE without NLRI may omit. Each case states the action, the error
 * code/subcode and, for attribute discard, which attribute went and that
 * the route and the other attributes stay. Last, the import-time check
 * of semantically wrong next hops (RFC 7606 7.3), which the decoder lets
 * through on purpose: the decoder keeps them, import_nexthop_invalid()
 * names each bad one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "session/import.h"
#include "wire/wire.h"
#include "hexmsg.h"

#define ORIGIN "40010100"
#define ASP4 "40020602010000FDE9" /* SEQ 65001 */
#define ASP2 "4002040201FDE9"
#define NH "400304C6120101" /* 198.18.1.1 */
#define B4 ORIGIN ASP4 NH
#define B2 ORIGIN ASP2 NH
#define NLRI "18C61201" /* 198.18.1.0/24 */
#define COMM "C00804FDE90001" /* 65001:1 */
/* MP_REACH IPv6 unicast, next hop 2001:db8::1, NLRI 2001:db8::/32 */
#define MPR6 "800E1A00020110" "20010DB8000000000000000000000001" "00" \
	     "2020010DB8"

static const struct bgp_session_caps AS4 = { .as4 = true, .ebgp = true };
static const struct bgp_session_caps AS2 = { .as4 = false, .ebgp = true };
static const struct bgp_session_caps IBGP = { .as4 = true, .ebgp = false };

#define OK UPD_OK
#define TAW UPD_TREAT_AS_WITHDRAW
#define RST UPD_SESSION_RESET

struct c7606 {
	const char *name, *attrs, *nlri;
	const struct bgp_session_caps *caps;
	int action;
	uint8_t code, subcode; /* 0: no error expected */
	uint8_t discarded; /* attribute code in u.discarded[], or 0 */
	uint8_t kept; /* attribute code that must still be present, or 0 */
};

static const struct c7606 cases[] = {
	/* RFC 7606 3.g: duplicates, all but the first discarded ... */
	{ "dup_aspath_first_kept", B4 "40020602010000FDEA", NLRI, &AS4, OK, 0,
	  0, ATTR_AS_PATH, ATTR_AS_PATH },
	{ "dup_nexthop_first_kept", B4 "400304C6120102", NLRI, &AS4, OK, 0, 0,
	  ATTR_NEXT_HOP, ATTR_NEXT_HOP },
	{ "dup_communities_first_kept", B4 COMM "C00804FDE90002", NLRI, &AS4,
	  OK, 0, 0, ATTR_COMMUNITIES, ATTR_COMMUNITIES },
	{ "dup_med_first_kept", B4 "80040400000001" "80040400000002", NLRI,
	  &AS4, OK, 0, 0, ATTR_MED, ATTR_MED },
	/* ... except MP_REACH/MP_UNREACH: session reset */
	{ "dup_mp_reach_reset", ORIGIN ASP4 MPR6 MPR6, NULL, &AS4, RST, 3, 1, 0,
	  0 },
	/* 3.c: flag errors of optional attributes */
	{ "communities_bad_flags", B4 "400804FDE90001", NLRI, &AS4, TAW, 3, 4,
	  0, 0 },
	{ "large_communities_bad_flags", B4 "40200C0000FDE90000000100000002",
	  NLRI, &AS4, TAW, 3, 4, 0, 0 },
	{ "ext_communities_bad_flags", B4 "4010080002FDE900000001", NLRI, &AS4,
	  TAW, 3, 4, 0, 0 },
	{ "as4_aggregator_bad_flags", B2 "401208FA56EA02C6120101", NLRI, &AS2,
	  OK, 3, 4, ATTR_AS4_AGGREGATOR, ATTR_AS_PATH },
	{ "as4_path_bad_flags", B2 "40110602010000FDE9", NLRI, &AS2, OK, 3, 4,
	  ATTR_AS4_PATH, ATTR_AS_PATH },
	{ "atomic_aggregate_bad_flags", B4 "800600", NLRI, &AS4, OK, 3, 4,
	  ATTR_ATOMIC_AGGREGATE, ATTR_NEXT_HOP },
	{ "mp_unreach_bad_flags", "C00F0700020120200DB8", NULL, &AS4, RST, 3,
	  4, 0, 0 },
	/* 3.d: a well-known attribute with the partial bit is still fine */
	{ "origin_extended_length_ok", "5001000100" ASP4 NH, NLRI, &AS4, OK, 0,
	  0, 0, ATTR_ORIGIN },
	{ "nexthop_extended_length_ok", ORIGIN ASP4 "50030004C6120101", NLRI,
	  &AS4, OK, 0, 0, 0, ATTR_NEXT_HOP },
	/* 7.9/7.10: iBGP-only attributes from an eBGP peer are discarded */
	{ "originator_id_from_ebgp", B4 "800904C6120105", NLRI, &AS4, OK, 0, 0,
	  ATTR_ORIGINATOR_ID, ATTR_NEXT_HOP },
	{ "cluster_list_from_ebgp", B4 "800A04C6120105", NLRI, &AS4, OK, 0, 0,
	  ATTR_CLUSTER_LIST, ATTR_NEXT_HOP },
	{ "originator_id_bad_length_ibgp", B4 "80090300C612", NLRI, &IBGP, TAW,
	  3, 5, 0, 0 },
	{ "cluster_list_bad_length_ibgp", B4 "800A05C612010500", NLRI, &IBGP,
	  TAW, 3, 5, 0, 0 },
	/* RFC 6793: AS4_AGGREGATOR on a 4-octet session is ignored */
	{ "as4_aggregator_on_as4_session", B4 "C01208FA56EA02C6120101", NLRI,
	  &AS4, OK, 0, 0, 0, ATTR_AS_PATH },
	/* 4: an attribute header cut by the end of the attribute list */
	{ "attr_header_truncated", B4 "C008", NLRI, &AS4, TAW, 3, 1, 0, 0 },
	{ "attr_extlen_header_truncated", B4 "D00800", NLRI, &AS4, TAW, 3, 1, 0,
	  0 },
	/* 7.2 with RFC 5065: confederation segments from an eBGP peer */
	{ "aspath_confed_from_ebgp", ORIGIN "40020C03010000FDE802010000FDE9" NH,
	  NLRI, &AS4, TAW, 3, 11, 0, 0 },
	/* 7.3: a NEXT_HOP in 0.0.0.0/8 other than 0.0.0.0 is a host */
	{ "nexthop_multicast_high", ORIGIN ASP4 "400304EFFFFFFF", NLRI, &AS4,
	  TAW, 3, 8, 0, 0 },
	/* 7.11: MP_REACH with a link-local next hop (32 bytes) is fine */
	{ "mp_reach_link_local_ok", ORIGIN ASP4 "800E2A00020120"
	  "20010DB8000000000000000000000001" "FE800000000000000000000000000001"
	  "00" "2020010DB8", NULL, &AS4, OK, 0, 0, 0, ATTR_MP_REACH },
	{ "mp_reach_nexthop_len_24", ORIGIN ASP4 "800E2200020118"
	  "20010DB8000000000000000000000001" "0000000000000000" "00"
	  "2020010DB8", NULL, &AS4, RST, 3, 9, 0, 0 },
	/* 5.1: mandatory attributes depend on what the UPDATE carries */
	{ "mp_reach_only_needs_no_nexthop", ORIGIN ASP4 MPR6, NULL, &AS4, OK, 0,
	  0, 0, ATTR_MP_REACH },
	{ "withdraw_only_no_attributes", "", NULL, &AS4, OK, 0, 0, 0, 0 },
	{ "nlri_without_any_attribute", "", NLRI, &AS4, TAW, 3, 3, 0, 0 },
	/* 7.14: ext communities of length 0 carry nothing: not an error */
	{ "ext_communities_length_16_ok", B4 "C010100002FDE9000000010002FDE900000002",
	  NLRI, &AS4, OK, 0, 0, 0, ATTR_EXT_COMMUNITIES },
	/* 5.3 / RFC 4271: a prefix length over 32 in NLRI */
	{ "nlri_len_255", B4, "FFC6120101", &AS4, RST, 3, 10, 0, 0 },
	{ "nlri_zero_len_default_ok", B4, "00", &AS4, OK, 0, 0, 0, 0 },
};

static void test_case(void **state)
{
	const struct c7606 *c = *state;
	uint8_t body[8192];
	struct bgp_update u;
	struct bgp_notify err;
	size_t len = mkupd(body, c->attrs, c->nlri);
	int act;

	memset(&err, 0, sizeof(err));
	act = bgp_update_decode(body, len, c->caps, &u, &err);
	if (act != c->action || (c->code && (err.code != c->code ||
					     err.subcode != c->subcode)))
		print_message("# %s: action %d, error %u/%u (%s)\n", c->name,
			      act, err.code, err.subcode, err.reason);
	assert_int_equal(act, c->action);
	if (c->code) {
		assert_int_equal(err.code, c->code);
		assert_int_equal(err.subcode, c->subcode);
		assert_true(err.reason[0] != 0);
	}
	if (c->discarded) {
		bool found = false;
		for (unsigned i = 0; i < u.n_discarded; i++)
			found |= u.discarded[i] == c->discarded;
		assert_true(found);
	}
	if (c->kept)
		assert_true(u.attrs.present & ATTR_BIT(c->kept));
	if (act == TAW && c->nlri) { /* the NLRI can still be withdrawn */
		struct prefix p;
		size_t off = 0;
		assert_int_equal(bgp_nlri_next(&u.nlri, &off, &p), 1);
	}
}

/* The first of duplicate attributes is the one kept (values checked). */
static void test_duplicates_keep_first(void **state)
{
	uint8_t body[512];
	struct bgp_update u;
	struct bgp_notify err;
	char s[64];
	size_t len;

	len = mkupd(body, B4 "40020602010000FDEA", NLRI);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), OK);
	aspath_fmt(&u.attrs, s, sizeof(s));
	assert_string_equal(s, "65001");
	len = mkupd(body, B4 "400304C6120102", NLRI);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), OK);
	assert_int_equal(u.attrs.next_hop.b[3], 1);
	len = mkupd(body, B4 "80040400000001" "80040400000002", NLRI);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), OK);
	assert_int_equal(u.attrs.med, 1);
}

/* Attribute discard leaves the rest of the UPDATE untouched. */
static void test_discard_keeps_route(void **state)
{
	uint8_t body[512];
	struct bgp_update u;
	struct bgp_notify err;
	struct prefix p;
	size_t off = 0, len;

	len = mkupd(body, B4 COMM "C00706FDE9C6120101", NLRI);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), OK);
	assert_false(u.attrs.present & ATTR_BIT(ATTR_AGGREGATOR));
	assert_int_equal(u.attrs.n_communities, 1);
	assert_int_equal(bgp_nlri_next(&u.nlri, &off, &p), 1);
	assert_int_equal(p.len, 24);
	assert_int_equal(err.code, 3); /* reported for the log */
	assert_int_equal(err.subcode, 5);
}

struct nh_case {
	const char *addr, *local;
	const char *why; /* substring of the reason, NULL when acceptable */
};

static const struct nh_case nh_cases[] = {
	{"0.0.0.0", NULL, "unspecified"},
	{"0.1.2.3", NULL, "unspecified"},
	{"127.0.0.1", NULL, "loopback"},
	{"127.255.255.254", NULL, "loopback"},
	{"224.0.0.1", NULL, "multicast"},
	{"239.255.255.255", NULL, "multicast"},
	{"240.0.0.1", NULL, "reserved"},
	{"254.1.1.1", NULL, "reserved"},
	{"255.255.255.255", NULL, "broadcast"},
	{"198.18.0.1", "198.18.0.1", "own address"},
	{"::", NULL, "unspecified"},
	{"::1", NULL, "loopback"},
	{"ff02::1", NULL, "multicast"},
	{"ff0e::1:2", NULL, "multicast"},
	{"2001:db8::1", "2001:db8::1", "own address"},
	/* acceptable */
	{"198.18.0.2", "198.18.0.1", NULL},
	{"1.0.0.1", NULL, NULL},
	{"126.255.255.255", NULL, NULL},
	{"128.0.0.1", NULL, NULL},
	{"223.255.255.255", NULL, NULL},
	{"198.18.0.1", "2001:db8::1", NULL},
	{"2001:db8::2", "2001:db8::1", NULL},
	{"::2", NULL, NULL},
	{"fe80::1", NULL, NULL},
	{"feff::1", NULL, NULL},
	{"::ffff:198.18.0.1", NULL, NULL},
	/* a session over the loopback: loopback next hops are real */
	{"127.0.0.2", "127.0.0.1", NULL},
	{"127.0.0.1", "127.0.0.1", NULL},
	{"::1", "::1", NULL},
	{"127.0.0.2", "198.18.0.1", "loopback"},
	{"::1", "2001:db8::1", "loopback"},
	{"240.0.0.1", "127.0.0.1", "reserved"},
	{"ff02::1", "::1", "multicast"},
};

static void test_nexthop_semantics(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(nh_cases) / sizeof(nh_cases[0]); i++) {
		const struct nh_case *c = &nh_cases[i];
		struct addr nh, local;
		const char *why;

		assert_int_equal(addr_parse(c->addr, &nh), 0);
		if (c->local)
			assert_int_equal(addr_parse(c->local, &local), 0);
		why = import_nexthop_invalid(&nh, c->local ? &local : NULL);
		if (!c->why) {
			if (why)
				fail_msg("%s refused: %s", c->addr, why);
			continue;
		}
		if (!why)
			fail_msg("%s accepted", c->addr);
		if (!strstr(why, c->why))
			fail_msg("%s: '%s' lacks '%s'", c->addr, why, c->why);
	}
}

/* The decoder keeps a bad next hop as it is (import refuses it). */
static void test_nexthop_decoded_as_is(void **state)
{
	uint8_t body[512];
	struct bgp_update u;
	struct bgp_notify err;
	size_t len;

	(void)state;
	/* 127.0.0.1 and 240.0.0.1 (0.0.0.0 and 224/4 the decoder refuses
	 * itself, as cases above show) */
	len = mkupd(body, ORIGIN ASP4 "4003047F000001", NLRI);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), OK);
	assert_int_equal(u.attrs.next_hop.b[0], 127);
	assert_non_null(import_nexthop_invalid(&u.attrs.next_hop, NULL));
	len = mkupd(body, ORIGIN ASP4 "400304F0000001", NLRI);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), OK);
	assert_int_equal(u.attrs.next_hop.b[0], 240);
	assert_non_null(import_nexthop_invalid(&u.attrs.next_hop, NULL));
	/* MP_REACH with next hop ::1 */
	len = mkupd(body, ORIGIN ASP4 "800E1A00020110"
		    "00000000000000000000000000000001" "00" "2020010DB8", "");
	if (bgp_update_decode(body, len, &AS4, &u, &err) != OK)
		fail_msg("%s", err.reason);
	assert_true(u.has_mp_reach);
	assert_int_equal(u.attrs.mp_next_hop.b[15], 1);
	assert_non_null(import_nexthop_invalid(&u.attrs.mp_next_hop, NULL));
	/* a good one passes */
	len = mkupd(body, B4, NLRI);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), OK);
	assert_null(import_nexthop_invalid(&u.attrs.next_hop, NULL));
}

int main(void)
{
	struct CMUnitTest t[sizeof(cases) / sizeof(cases[0]) + 4];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t[n].name = cases[i].name;
		t[n].test_func = test_case;
		t[n].setup_func = NULL;
		t[n].teardown_func = NULL;
		t[n].initial_state = (void *)&cases[i];
		n++;
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_duplicates_keep_first);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_discard_keeps_route);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_nexthop_semantics);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(test_nexthop_decoded_as_is);
	return _cmocka_run_group_tests("rfc7606", t, n, NULL, NULL);
}
