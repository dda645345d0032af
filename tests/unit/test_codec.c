/*
 * test_codec.c - unit tests of the BGP wire codec (src/wire/wire.h):
 * round trips of every message type and attribute, one test per RFC 7606
 * error case (action, code, subcode), header and OPEN errors, AS4_PATH
 * reconciliation (RFC 6793 4.2.3), AS_PATH helpers and builder packing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "wire/wire.h"
#include "hexmsg.h"

#define ORIGIN_IGP_HEX "40010100"
#define ASPATH4_HEX "40020602010000FDE9" /* SEQ 65001, 4-octet */
#define ASPATH2_HEX "4002040201FDE9" /* SEQ 65001, 2-octet */
#define NH_HEX "400304C6120101" /* 198.18.1.1 */
#define BASE4 ORIGIN_IGP_HEX ASPATH4_HEX NH_HEX
#define BASE2 ORIGIN_IGP_HEX ASPATH2_HEX NH_HEX
#define NLRI_HEX "18C61201" /* 198.18.1.0/24 */

static const struct bgp_session_caps AS4 = { .as4 = true, .ebgp = true };
static const struct bgp_session_caps AS2 = { .as4 = false, .ebgp = true };
static const struct bgp_session_caps IBGP4 = { .as4 = true, .ebgp = false };

/* ------------------------------------------------------ RFC 7606 */

struct case7606 {
	const char *name;
	const char *attrs, *nlri;
	const struct bgp_session_caps *caps;
	int action;
	uint8_t code, subcode;
	int discarded; /* attribute code expected in u.discarded, or 0 */
};

#define TAW UPD_TREAT_AS_WITHDRAW
#define RST UPD_SESSION_RESET
static const struct case7606 cases[] = {
	{ "origin_bad_length", "4001020000" ASPATH4_HEX NH_HEX, NLRI_HEX, &AS4,
	  TAW, 3, 5, 0 },
	{ "origin_bad_value", "40010103" ASPATH4_HEX NH_HEX, NLRI_HEX, &AS4,
	  TAW, 3, 6, 0 },
	{ "origin_bad_flags", "C0010100" ASPATH4_HEX NH_HEX, NLRI_HEX, &AS4,
	  TAW, 3, 4, 0 },
	{ "aspath_segment_overrun", ORIGIN_IGP_HEX "40020602020000FDE9" NH_HEX,
	  NLRI_HEX, &AS4, TAW, 3, 11, 0 },
	{ "aspath_bad_segment_type", ORIGIN_IGP_HEX "40020605010000FDE9" NH_HEX,
	  NLRI_HEX, &AS4, TAW, 3, 11, 0 },
	{ "aspath_zero_count", ORIGIN_IGP_HEX "4002020200" NH_HEX, NLRI_HEX,
	  &AS4, TAW, 3, 11, 0 },
	{ "aspath_2octet_odd", ORIGIN_IGP_HEX "4002050201FDE900" NH_HEX,
	  NLRI_HEX, &AS2, TAW, 3, 11, 0 },
	{ "aspath_bad_flags", ORIGIN_IGP_HEX "C0020602010000FDE9" NH_HEX,
	  NLRI_HEX, &AS4, TAW, 3, 4, 0 },
	{ "nexthop_bad_length", ORIGIN_IGP_HEX ASPATH4_HEX "400305C612010100",
	  NLRI_HEX, &AS4, TAW, 3, 5, 0 },
	{ "nexthop_zero", ORIGIN_IGP_HEX ASPATH4_HEX "40030400000000", NLRI_HEX,
	  &AS4, TAW, 3, 8, 0 },
	{ "nexthop_multicast", ORIGIN_IGP_HEX ASPATH4_HEX "400304E0000001",
	  NLRI_HEX, &AS4, TAW, 3, 8, 0 },
	{ "nexthop_bad_flags", ORIGIN_IGP_HEX ASPATH4_HEX "800304C6120101",
	  NLRI_HEX, &AS4, TAW, 3, 4, 0 },
	{ "med_bad_length", BASE4 "800403000000", NLRI_HEX, &AS4, TAW, 3, 5,
	  0 },
	{ "med_bad_flags", BASE4 "40040400000001", NLRI_HEX, &AS4, TAW, 3, 4,
	  0 },
	{ "local_pref_bad_length_ibgp", BASE4 "4005020000", NLRI_HEX, &IBGP4,
	  TAW, 3, 5, 0 },
	{ "local_pref_from_ebgp_discarded", BASE4 "40050400000064", NLRI_HEX,
	  &AS4, UPD_OK, 0, 0, ATTR_LOCAL_PREF },
	{ "atomic_aggregate_bad_length", BASE4 "40060100", NLRI_HEX, &AS4,
	  UPD_OK, 3, 5, ATTR_ATOMIC_AGGREGATE },
	{ "aggregator_bad_length", BASE4 "C00706FDE9C6120101", NLRI_HEX, &AS4,
	  UPD_OK, 3, 5, ATTR_AGGREGATOR },
	{ "aggregator_bad_length_2octet", BASE2 "C00708FDE9C61201010000", NLRI_HEX,
	  &AS2, UPD_OK, 3, 5, ATTR_AGGREGATOR },
	{ "aggregator_bad_flags", BASE4 "4007080000FDE9C6120101", NLRI_HEX,
	  &AS4, UPD_OK, 3, 4, ATTR_AGGREGATOR },
	{ "communities_bad_length", BASE4 "C00805FDE9000100", NLRI_HEX, &AS4,
	  TAW, 3, 5, 0 },
	{ "communities_zero_length", BASE4 "C00800", NLRI_HEX, &AS4, TAW, 3, 5,
	  0 },
	{ "ext_communities_bad_length", BASE4 "C010070002FDE900000001",
	  NLRI_HEX, &AS4, TAW, 3, 5, 0 },
	{ "large_communities_bad_length",
	  BASE4 "C0200D0000FDE9000000010000000200", NLRI_HEX, &AS4, TAW, 3, 5,
	  0 },
	{ "large_communities_zero_length", BASE4 "C02000", NLRI_HEX, &AS4, TAW,
	  3, 5, 0 },
	{ "as4_path_malformed_discarded", BASE2 "C0110602020000FDE9", NLRI_HEX,
	  &AS2, UPD_OK, 3, 11, ATTR_AS4_PATH },
	{ "as4_path_confed_discarded", BASE2 "C0110603010000FDE9", NLRI_HEX,
	  &AS2, UPD_OK, 3, 11, ATTR_AS4_PATH },
	{ "as4_aggregator_bad_length", BASE2 "C01206FDE9C6120101", NLRI_HEX,
	  &AS2, UPD_OK, 3, 5, ATTR_AS4_AGGREGATOR },
	{ "mp_reach_too_short", BASE4 "800E03000201", NULL, &AS4, RST, 3, 9,
	  0 },
	{ "mp_reach_bad_nexthop_length",
	  ORIGIN_IGP_HEX ASPATH4_HEX "800E0D000201082001DB800000000000",
	  NULL, &AS4, RST, 3, 9, 0 },
	{ "mp_reach_prefix_too_long",
	  ORIGIN_IGP_HEX ASPATH4_HEX "800E170002011020010000000000000000000000000001008120", NULL, &AS4, RST, 3, 9, 0 },
	{ "mp_reach_nlri_overrun",
	  ORIGIN_IGP_HEX ASPATH4_HEX "800E170002011020010000000000000000000000000001004020", NULL, &AS4, RST, 3, 9, 0 },
	{ "mp_reach_bad_flags",
	  ORIGIN_IGP_HEX ASPATH4_HEX "C00E1A0002011020010000000000000000000000000001002020010DB8", NULL, &AS4, RST, 3, 4, 0 },
	{ "mp_unreach_too_short", "800F020002", NULL, &AS4, RST, 3, 9, 0 },
	{ "mp_unreach_nlri_overrun", "800F06000201402001", NULL, &AS4, RST, 3,
	  9, 0 },
	{ "duplicate_origin_discarded", BASE4 "40010101", NLRI_HEX, &AS4,
	  UPD_OK, 0, 0, ATTR_ORIGIN },
	{ "duplicate_mp_unreach", "800F0300020180" "0F03000201", NULL, &AS4,
	  RST, 3, 1, 0 },
	{ "missing_origin", ASPATH4_HEX NH_HEX, NLRI_HEX, &AS4, TAW, 3, 3, 0 },
	{ "missing_aspath", ORIGIN_IGP_HEX NH_HEX, NLRI_HEX, &AS4, TAW, 3, 3,
	  0 },
	{ "missing_nexthop", ORIGIN_IGP_HEX ASPATH4_HEX, NLRI_HEX, &AS4, TAW, 3,
	  3, 0 },
	{ "missing_origin_mp_reach", ASPATH4_HEX "800E1A0002011020010000000000000000000000000001002020010DB8", NULL, &AS4, TAW, 3, 3,
	  0 },
	{ "no_nlri_needs_no_mandatory", "C00804FDE90001", NULL, &AS4, UPD_OK, 0,
	  0, 0 },
	{ "unknown_wellknown", BASE4 "40630100", NLRI_HEX, &AS4, RST, 3, 2, 0 },
	{ "unknown_optional_nontransitive_dropped", BASE4 "80630100", NLRI_HEX,
	  &AS4, UPD_OK, 0, 0, 0 },
	{ "attribute_overruns_list", BASE4 "C0080A0000", NLRI_HEX, &AS4, TAW, 3,
	  1, 0 },
	{ "nlri_prefix_length_33", BASE4, "21C6120101", &AS4, RST, 3, 10, 0 },
	{ "nlri_overrun", BASE4, "18C612", &AS4, RST, 3, 10, 0 },
	{ "mp_reach_other_family_ignored",
	  ORIGIN_IGP_HEX ASPATH4_HEX "800E0C00018004C612010100000000", NULL, &AS4, UPD_OK, 0, 0, 0 },
};

static void test_7606_case(void **state)
{
	const struct case7606 *c = *state;
	uint8_t body[8192];
	struct bgp_update u;
	struct bgp_notify err;
	size_t len = mkupd(body, c->attrs, c->nlri);

	int act = bgp_update_decode(body, len, c->caps, &u, &err);
	if (act != c->action)
		print_message("# %s: action %d, reason %s\n", c->name, act,
			      err.reason);
	assert_int_equal(act, c->action);
	if (c->code) {
		assert_int_equal(err.code, c->code);
		assert_int_equal(err.subcode, c->subcode);
		assert_true(strlen(err.reason) > 0);
	} else if (act == UPD_OK && !c->discarded) {
		assert_int_equal(err.code, 0);
	}
	if (c->discarded) {
		bool found = false;
		for (unsigned i = 0; i < u.n_discarded; i++)
			found |= u.discarded[i] == c->discarded;
		assert_true(found);
		if (c->discarded != ATTR_ORIGIN)
			assert_false(u.attrs.present & ATTR_BIT(c->discarded));
	}
}

/* Extra assertions on some RFC 7606 cases: the NOTIFICATION data. */
static void test_7606_data(void **state)
{
	uint8_t body[512];
	struct bgp_update u;
	struct bgp_notify err;

	size_t len = mkupd(body, ASPATH4_HEX NH_HEX, NLRI_HEX);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), TAW);
	assert_int_equal(err.data_len, 1); /* missing: the type code */
	assert_int_equal(err.data[0], ATTR_ORIGIN);
	assert_non_null(strstr(err.reason, "ORIGIN"));
	/* withdraw blocks are still usable after treat-as-withdraw */
	size_t off = 0;
	struct prefix p;
	assert_int_equal(bgp_nlri_next(&u.nlri, &off, &p), 1);
	assert_int_equal(p.len, 24);

	len = mkupd(body, "40010103" ASPATH4_HEX NH_HEX, NLRI_HEX);
	bgp_update_decode(body, len, &AS4, &u, &err);
	assert_int_equal(err.data_len, 4); /* the whole attribute */
	assert_memory_equal(err.data, "\x40\x01\x01\x03", 4);

	len = mkupd(body, BASE4 "40630100", NLRI_HEX);
	bgp_update_decode(body, len, &AS4, &u, &err);
	assert_int_equal(err.data_len, 4);
	assert_int_equal(err.data[1], 0x63);

	len = mkupd(body, ORIGIN_IGP_HEX "4002020200" NH_HEX, NLRI_HEX);
	bgp_update_decode(body, len, &AS4, &u, &err);
	assert_int_equal(err.data_len, 0); /* Malformed AS_PATH: no data */
	assert_non_null(strstr(err.reason, "AS_PATH"));
}

static void test_update_length_errors(void **state)
{
	uint8_t body[64];
	struct bgp_update u;
	struct bgp_notify err;
	size_t len;

	/* withdrawn routes length beyond the message */
	len = unhex("00100000", body, sizeof(body));
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), RST);
	assert_int_equal(err.code, 3);
	assert_int_equal(err.subcode, 1);
	/* total attribute length beyond the message: NLRI cannot be found */
	len = unhex("0000001040010100", body, sizeof(body));
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), RST);
	assert_int_equal(err.subcode, 1);
	/* withdrawn prefix too long */
	len = unhex("0002210000000000", body, sizeof(body));
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), RST);
	assert_int_equal(err.subcode, 10);
	/* body shorter than 4 */
	assert_int_equal(bgp_update_decode(body, 3, &AS4, &u, &err), RST);
}

/* ------------------------------------------------ header and OPEN */

static void test_header_errors(void **state)
{
	uint8_t m[64];
	struct bgp_hdr h;
	struct bgp_notify err;

	assert_int_equal(bgp_keepalive_encode(m, sizeof(m)), 19);
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), 0);
	assert_int_equal(h.type, BGP_KEEPALIVE);
	assert_int_equal(h.len, 19);

	m[3] = 0;
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), -1);
	assert_int_equal(err.code, 1);
	assert_int_equal(err.subcode, 1);
	m[3] = 0xff;

	m[16] = 0;
	m[17] = 18; /* below 19 */
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), -1);
	assert_int_equal(err.subcode, 2);
	assert_int_equal(err.data_len, 2);
	assert_int_equal(err.data[1], 18);

	m[16] = 0x13;
	m[17] = 0x88; /* 5000 */
	m[18] = BGP_UPDATE;
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), -1);
	assert_int_equal(err.subcode, 2);
	assert_int_equal(bgp_hdr_decode(m, 19, 65535, &h, &err), 0);

	m[16] = 0;
	m[17] = 20;
	m[18] = BGP_KEEPALIVE; /* KEEPALIVE must be exactly 19 */
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), -1);
	assert_int_equal(err.subcode, 2);

	m[17] = 28;
	m[18] = BGP_OPEN; /* OPEN minimum 29 */
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), -1);
	assert_int_equal(err.subcode, 2);
	m[17] = 22;
	m[18] = BGP_UPDATE; /* UPDATE minimum 23 */
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), -1);
	m[17] = 20;
	m[18] = BGP_NOTIFICATION; /* NOTIFICATION minimum 21 */
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), -1);

	m[17] = 19;
	m[18] = 9;
	assert_int_equal(bgp_hdr_decode(m, 19, 4096, &h, &err), -1);
	assert_int_equal(err.subcode, 3);
	assert_int_equal(err.data_len, 1);
	assert_int_equal(err.data[0], 9);
}

static void full_open(struct bgp_open *o)
{
	memset(o, 0, sizeof(*o));
	o->version = 4;
	o->has_as4 = true;
	o->as4 = 4200000001u;
	o->hold_time = 90;
	o->bgp_id = 0xC6120001;
	o->route_refresh = o->enhanced_rr = o->ext_message = true;
	o->n_afs = 2;
	o->afs[0] = (struct bgp_af){ AFI_IPV4, SAFI_UNICAST };
	o->afs[1] = (struct bgp_af){ AFI_IPV6, SAFI_UNICAST };
	o->graceful_restart = true;
	o->gr_time = 120;
	o->gr_flags = 0x80;
	o->n_gr_afs = 2;
	o->gr_afs[0] = (struct bgp_gr_af){ AFI_IPV4, SAFI_UNICAST, 0x80 };
	o->gr_afs[1] = (struct bgp_gr_af){ AFI_IPV6, SAFI_UNICAST, 0 };
	strcpy(o->hostname, "rs1");
}

static void test_open_roundtrip(void **state)
{
	struct bgp_open o, d;
	struct bgp_notify err;
	struct bgp_hdr h;
	uint8_t m[512];

	full_open(&o);
	int n = bgp_open_encode(&o, m, sizeof(m));
	assert_true(n > 29);
	assert_int_equal(bgp_hdr_decode(m, (size_t)n, 4096, &h, &err), 0);
	assert_int_equal(h.type, BGP_OPEN);
	assert_int_equal(h.len, n);
	assert_int_equal(bgp_open_decode(m + 19, (size_t)n - 19, &d, &err), 0);
	assert_int_equal(d.my_as, AS_TRANS);
	assert_int_equal(bgp_open_asn(&d), 4200000001u);
	assert_int_equal(d.hold_time, 90);
	assert_int_equal(d.bgp_id, 0xC6120001);
	assert_true(d.route_refresh && d.enhanced_rr && d.ext_message);
	assert_true(bgp_open_has_af(&d, AFI_IPV6, SAFI_UNICAST));
	assert_true(bgp_open_has_af(&d, AFI_IPV4, SAFI_UNICAST));
	assert_false(bgp_open_has_af(&d, AFI_IPV4, 128));
	assert_true(d.graceful_restart);
	assert_int_equal(d.gr_time, 120);
	assert_int_equal(d.gr_flags, 0x80);
	assert_int_equal(d.n_gr_afs, 2);
	assert_int_equal(d.gr_afs[0].flags, 0x80);
	assert_int_equal(d.gr_afs[1].afi, AFI_IPV6);
	assert_string_equal(d.hostname, "rs1");
	/* encode again: identical bytes */
	uint8_t m2[512];
	assert_int_equal(bgp_open_encode(&d, m2, sizeof(m2)), n);
	assert_memory_equal(m, m2, (size_t)n);
}

static void test_open_params(void **state)
{
	struct bgp_open d;
	struct bgp_notify err;
	uint8_t b[256];
	size_t n;

	/* two parameters, one capability each, plus an unknown capability */
	n = unhex("04FDE900B4C6120001 12 020601040002000102084104000100007F00",
		  b, sizeof(b));
	assert_int_equal(bgp_open_decode(b, n, &d, &err), 0);
	assert_true(bgp_open_has_af(&d, AFI_IPV6, SAFI_UNICAST));
	assert_int_equal(d.as4, 65536);
	/* several capabilities in one parameter */
	n = unhex("04FDE900B4C6120001 12 0210 010400010001 0200 410400010000 4600",
		  b, sizeof(b));
	assert_int_equal(bgp_open_decode(b, n, &d, &err), 0);
	assert_true(d.route_refresh && d.enhanced_rr && d.has_as4);
	assert_true(bgp_open_has_af(&d, AFI_IPV4, SAFI_UNICAST));
	/* RFC 9072 extended optional parameters length */
	n = unhex("04FDE900B4C6120001 FF FF 0009 02 0006 010400020001", b,
		  sizeof(b));
	assert_int_equal(bgp_open_decode(b, n, &d, &err), 0);
	assert_true(bgp_open_has_af(&d, AFI_IPV6, SAFI_UNICAST));
	/* no optional parameters at all */
	n = unhex("04FDE900B4C612000100", b, sizeof(b));
	assert_int_equal(bgp_open_decode(b, n, &d, &err), 0);
	assert_false(d.has_as4);
}

struct open_err {
	const char *hex;
	uint8_t code, subcode;
};

static void test_open_errors(void **state)
{
	static const struct open_err e[] = {
		{ "03FDE900B4C612000100", 2, 1 }, /* version 3 */
		{ "04FDE90002C612000100", 2, 6 }, /* hold time 2 */
		{ "04FDE90001C612000100", 2, 6 }, /* hold time 1 */
		{ "04FDE900B40000000000", 2, 3 }, /* BGP id 0 */
		{ "04000000B4C612000100", 2, 2 }, /* AS 0 */
		{ "04FDE900B4C6120001 03 010100", 2, 4 }, /* param type 1 */
		{ "04FDE900B4C6120001 04 02020103", 2, 0 }, /* MP cap len 1 */
		{ "04FDE900B4C6120001 08 0206410400000000", 2, 2 }, /* AS4 0 */
		{ "04FDE900B4C6120001 05 0206010400", 2, 0 }, /* overrun */
		{ "04FDE900B4C6120001 09 020601040001000100", 2, 0 },
		{ "04FDE900B4", 1, 2 }, /* body too short */
	};
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++) {
		uint8_t b[64];
		struct bgp_open d;
		struct bgp_notify err;
		size_t n = unhex(e[i].hex, b, sizeof(b));
		assert_int_equal(bgp_open_decode(b, n, &d, &err), -1);
		if (err.code != e[i].code || err.subcode != e[i].subcode)
			print_message("# case %zu: %u/%u %s\n", i, err.code,
				      err.subcode, err.reason);
		assert_int_equal(err.code, e[i].code);
		assert_int_equal(err.subcode, e[i].subcode);
		if (e[i].subcode == 1 && e[i].code == 2) {
			assert_int_equal(err.data_len, 2);
			assert_int_equal(err.data[1], 4);
		}
	}
}

/* ------------------------------------- NOTIFICATION, KEEPALIVE, RR */

static void test_notification(void **state)
{
	struct bgp_notify n, d;
	uint8_t m[512];
	char name[96];

	bgp_notify_shutdown(&n, BGP_CEASE_ADMIN_SHUTDOWN, "maintenance 42");
	int len = bgp_notify_encode(&n, m, sizeof(m));
	assert_int_equal(len, 19 + 2 + 1 + 14);
	assert_int_equal(m[18], BGP_NOTIFICATION);
	assert_int_equal(bgp_notify_decode(m + 19, (size_t)len - 19, &d), 0);
	assert_int_equal(d.code, 6);
	assert_int_equal(d.subcode, 2);
	assert_int_equal(d.data_len, 15);
	assert_non_null(strstr(d.reason, "maintenance 42"));
	assert_non_null(strstr(d.reason, "Administrative Shutdown"));

	memset(&n, 0, sizeof(n));
	n.code = 3;
	n.subcode = 1;
	len = bgp_notify_encode(&n, m, sizeof(m));
	assert_int_equal(len, 21);
	assert_int_equal(bgp_notify_decode(m + 19, 2, &d), 0);
	assert_string_equal(d.reason, "UPDATE Message Error/Malformed Attribute List");
	assert_int_equal(bgp_notify_decode(m + 19, 1, &d), -1);

	assert_string_equal(bgp_err_name(6, 1, name, sizeof(name)),
			    "Cease/Maximum Number of Prefixes Reached");
	assert_string_equal(bgp_err_name(4, 0, name, sizeof(name)),
			    "Hold Timer Expired");
	assert_string_equal(bgp_err_name(1, 2, name, sizeof(name)),
			    "Message Header Error/Bad Message Length");
	assert_string_equal(bgp_err_name(2, 7, name, sizeof(name)),
			    "OPEN Message Error/Unsupported Capability");
	assert_string_equal(bgp_err_name(3, 77, name, sizeof(name)),
			    "UPDATE Message Error/Subcode 77");
	assert_string_equal(bgp_msg_name(BGP_ROUTE_REFRESH), "ROUTE-REFRESH");
	assert_string_equal(bgp_msg_name(77), "UNKNOWN");
	assert_string_equal(bgp_attr_name(ATTR_LARGE_COMMUNITIES),
			    "LARGE_COMMUNITIES");
	assert_string_equal(bgp_attr_name(200), "UNKNOWN");
}

static void test_route_refresh(void **state)
{
	struct bgp_route_refresh r = { AFI_IPV6, 1, SAFI_UNICAST }, d;
	struct bgp_notify err;
	struct bgp_hdr h;
	uint8_t m[64];

	assert_int_equal(bgp_rr_encode(&r, m, sizeof(m)), 23);
	assert_int_equal(bgp_hdr_decode(m, 23, 4096, &h, &err), 0);
	assert_int_equal(h.type, BGP_ROUTE_REFRESH);
	assert_int_equal(bgp_rr_decode(m + 19, 4, &d, &err), 0);
	assert_int_equal(d.afi, AFI_IPV6);
	assert_int_equal(d.subtype, 1);
	assert_int_equal(d.safi, SAFI_UNICAST);
	assert_int_equal(bgp_rr_decode(m + 19, 5, &d, &err), -1);
	assert_int_equal(err.code, 7);
	assert_int_equal(err.subcode, 1);
}

/* ------------------------------------------------- UPDATE round trip */

static const uint8_t comms[] = { 0xFD, 0xE9, 0, 1, 0xFF, 0xFF, 0xFF, 0x01 };
static const uint8_t ext[] = { 0, 2, 0xFD, 0xE9, 0, 0, 0, 7 };
static const uint8_t large[] = { 0, 0, 0xFD, 0xE9, 0, 0, 0, 1, 0, 0, 0, 2 };
static const uint8_t unk[] = { 1, 2, 3 };

static void all_attrs(struct bgp_attrs *a)
{
	static const uint32_t path[] = { 65001, 4200000001u, 65003 };

	memset(a, 0, sizeof(*a));
	a->origin = ORIGIN_EGP;
	aspath_set_sequence(a, path, 3);
	addr_parse("198.18.1.1", &a->next_hop);
	a->med = 50;
	a->local_pref = 200;
	a->aggregator_as = 4200000002u;
	memcpy(&a->aggregator_addr, "\xC6\x12\x02\x02", 4);
	a->communities = comms;
	a->n_communities = 2;
	a->ext_communities = ext;
	a->n_ext_communities = 1;
	a->large_communities = large;
	a->n_large_communities = 1;
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		     ATTR_BIT(ATTR_NEXT_HOP) | ATTR_BIT(ATTR_MED) |
		     ATTR_BIT(ATTR_LOCAL_PREF) |
		     ATTR_BIT(ATTR_ATOMIC_AGGREGATE) |
		     ATTR_BIT(ATTR_AGGREGATOR) | ATTR_BIT(ATTR_COMMUNITIES) |
		     ATTR_BIT(ATTR_EXT_COMMUNITIES) |
		     ATTR_BIT(ATTR_LARGE_COMMUNITIES);
	a->n_unknown = 1;
	a->unknown[0] = (struct bgp_raw_attr){ 0xC0, 99, 3, unk };
}

/* Decode a whole UPDATE message produced by the builder. */
static int decode_msg(const uint8_t *m, size_t len,
		      const struct bgp_session_caps *caps, struct bgp_update *u)
{
	struct bgp_hdr h;
	struct bgp_notify err;

	assert_int_equal(bgp_hdr_decode(m, len, caps->ext_message ? 65535 : 4096,
					&h, &err), 0);
	assert_int_equal(h.type, BGP_UPDATE);
	assert_int_equal(h.len, len);
	int act = bgp_update_decode(m + 19, len - 19, caps, u, &err);
	if (act)
		print_message("# decode: %s\n", err.reason);
	return act;
}

static void check_all_attrs(const struct bgp_attrs *d)
{
	char s[256];

	assert_int_equal(d->origin, ORIGIN_EGP);
	assert_int_equal(aspath_fmt(d, s, sizeof(s)) > 0, 1);
	assert_string_equal(s, "65001 4200000001 65003");
	assert_int_equal(d->med, 50);
	assert_int_equal(d->local_pref, 200);
	assert_int_equal(d->aggregator_as, 4200000002u);
	assert_memory_equal(&d->aggregator_addr, "\xC6\x12\x02\x02", 4);
	assert_int_equal(d->n_communities, 2);
	assert_memory_equal(d->communities, comms, sizeof(comms));
	assert_int_equal(d->n_ext_communities, 1);
	assert_memory_equal(d->ext_communities, ext, sizeof(ext));
	assert_int_equal(d->n_large_communities, 1);
	assert_memory_equal(d->large_communities, large, sizeof(large));
	assert_true(d->present & ATTR_BIT(ATTR_ATOMIC_AGGREGATE));
	assert_int_equal(d->n_unknown, 1);
	assert_int_equal(d->unknown[0].code, 99);
	assert_int_equal(d->unknown[0].flags & ATTR_F_PARTIAL, ATTR_F_PARTIAL);
	assert_int_equal(bgp_attr_fmt(d, ATTR_ORIGIN, s, sizeof(s)), 3);
	assert_string_equal(s, "egp");
	bgp_attr_fmt(d, ATTR_COMMUNITIES, s, sizeof(s));
	assert_string_equal(s, "65001:1 65535:65281");
	bgp_attr_fmt(d, ATTR_LARGE_COMMUNITIES, s, sizeof(s));
	assert_string_equal(s, "65001:1:2");
	bgp_attr_fmt(d, ATTR_NEXT_HOP, s, sizeof(s));
	assert_string_equal(s, "198.18.1.1");
}

static void roundtrip_v4(const struct bgp_session_caps *caps)
{
	struct bgp_attrs a;
	struct bgp_update_builder b;
	struct bgp_update u;
	uint8_t m[4096], m2[4096];
	struct prefix p;

	all_attrs(&a);
	assert_int_equal(bgp_update_begin(&b, m, sizeof(m), AFI_IPV4, &a, caps), 0);
	prefix_parse("198.18.1.0/24", &p);
	assert_int_equal(bgp_update_add(&b, &p), 0);
	prefix_parse("198.19.0.0/16", &p);
	assert_int_equal(bgp_update_add(&b, &p), 0);
	size_t len = bgp_update_finish(&b);
	assert_int_equal(decode_msg(m, len, caps, &u), UPD_OK);
	check_all_attrs(&u.attrs);
	assert_false(u.end_of_rib);
	size_t off = 0;
	char s[PREFIX_STRLEN];
	assert_int_equal(bgp_nlri_next(&u.nlri, &off, &p), 1);
	assert_string_equal(prefix_fmt(&p, s, sizeof(s)), "198.18.1.0/24");
	assert_int_equal(bgp_nlri_next(&u.nlri, &off, &p), 1);
	assert_string_equal(prefix_fmt(&p, s, sizeof(s)), "198.19.0.0/16");
	assert_int_equal(bgp_nlri_next(&u.nlri, &off, &p), 0);
	/* decoded attributes encode back to the same bytes */
	assert_int_equal(bgp_update_begin(&b, m2, sizeof(m2), AFI_IPV4,
					  &u.attrs, caps), 0);
	off = 0;
	while (bgp_nlri_next(&u.nlri, &off, &p))
		assert_int_equal(bgp_update_add(&b, &p), 0);
	assert_int_equal(bgp_update_finish(&b), len);
	assert_memory_equal(m, m2, len);
}

static void test_update_roundtrip_as4(void **state)
{
	roundtrip_v4(&IBGP4);
}

static void test_update_roundtrip_as2(void **state)
{
	const struct bgp_session_caps c = { .as4 = false, .ebgp = false };
	struct bgp_attrs a;
	uint8_t buf[512];

	roundtrip_v4(&c);
	/* the wire form carries AS_TRANS and AS4_PATH/AS4_AGGREGATOR */
	all_attrs(&a);
	a.n_unknown = 0;
	int n = bgp_attrs_encode(&a, &c, buf, sizeof(buf));
	assert_true(n > 0);
	uint8_t want_path[] = { 0x40, 2, 8, 2, 3, 0xFD, 0xE9, 0x5B, 0xA0,
				0xFD, 0xEB };
	assert_non_null(memmem(buf, (size_t)n, want_path, sizeof(want_path)));
	uint8_t want_as4[] = { 0xC0, 17, 14, 2, 3, 0, 0, 0xFD, 0xE9 };
	assert_non_null(memmem(buf, (size_t)n, want_as4, sizeof(want_as4)));
	uint8_t want_aggr[] = { 0xC0, 7, 6, 0x5B, 0xA0, 0xC6, 0x12, 2, 2 };
	assert_non_null(memmem(buf, (size_t)n, want_aggr, sizeof(want_aggr)));
	uint8_t want_as4aggr[] = { 0xC0, 18, 8, 0xFA, 0x56, 0xEA, 0x02 };
	assert_non_null(memmem(buf, (size_t)n, want_as4aggr,
			       sizeof(want_as4aggr)));
	/* nothing needs AS4_* when every ASN fits */
	static const uint32_t small[] = { 65001, 65002 };
	aspath_set_sequence(&a, small, 2);
	a.aggregator_as = 65002;
	n = bgp_attrs_encode(&a, &c, buf, sizeof(buf));
	assert_null(memmem(buf, (size_t)n, "\xC0\x11", 2));
	assert_null(memmem(buf, (size_t)n, "\xC0\x12", 2));
}

/* Attributes come out in ascending type order with minimal flags. */
static void test_attrs_order_and_flags(void **state)
{
	struct bgp_attrs a;
	uint8_t buf[2048];
	static uint8_t many[300 * 4];

	all_attrs(&a);
	memset(many, 1, sizeof(many));
	a.communities = many;
	a.n_communities = 300;
	int n = bgp_attrs_encode(&a, &IBGP4, buf, sizeof(buf));
	assert_true(n > 0);
	int last = 0, off = 0;
	while (off < n) {
		uint8_t fl = buf[off], code = buf[off + 1];
		size_t hl = fl & ATTR_F_EXTLEN ? 4 : 3;
		size_t len = hl == 4 ? (size_t)(buf[off + 2] << 8 | buf[off + 3]) :
				       buf[off + 2];
		assert_true(code > last);
		assert_int_equal((fl & ATTR_F_EXTLEN) != 0, len > 255);
		last = code;
		off += (int)(hl + len);
	}
	assert_int_equal(off, n);
	assert_int_equal(last, 99);
	assert_int_equal(bgp_attrs_encode(&a, &IBGP4, buf, 20), -1);
}

static void test_update_ipv6(void **state)
{
	struct bgp_attrs a;
	struct bgp_update_builder b;
	struct bgp_update u;
	uint8_t m[4096];
	struct prefix p;
	char s[PREFIX_STRLEN];

	memset(&a, 0, sizeof(a));
	static const uint32_t path[] = { 65001 };
	aspath_set_sequence(&a, path, 1);
	a.present |= ATTR_BIT(ATTR_ORIGIN);
	addr_parse("2001:db8::1", &a.mp_next_hop);
	addr_parse("fe80::1", &a.mp_next_hop_ll);
	assert_int_equal(bgp_update_begin(&b, m, sizeof(m), AFI_IPV6, &a, &AS4), 0);
	prefix_parse("2001:db8:1::/48", &p);
	assert_int_equal(bgp_update_add(&b, &p), 0);
	prefix_parse("198.18.0.0/24", &p);
	assert_int_equal(bgp_update_add(&b, &p), -2); /* wrong family */
	size_t len = bgp_update_finish(&b);
	assert_int_equal(decode_msg(m, len, &AS4, &u), UPD_OK);
	assert_true(u.has_mp_reach);
	assert_int_equal(u.mp_reach.afi, AFI_IPV6);
	assert_int_equal(u.attrs.mp_afi, AFI_IPV6);
	assert_true(addr_eq(&u.attrs.mp_next_hop, &a.mp_next_hop));
	assert_true(addr_eq(&u.attrs.mp_next_hop_ll, &a.mp_next_hop_ll));
	size_t off = 0;
	assert_int_equal(bgp_nlri_next(&u.mp_reach, &off, &p), 1);
	assert_string_equal(prefix_fmt(&p, s, sizeof(s)), "2001:db8:1::/48");
	/* minimal flags: MP_REACH is short, so no extended length */
	assert_non_null(memmem(m, len, "\x80\x0e\x2c\x00\x02\x01\x20", 7));

	/* withdrawals */
	assert_int_equal(bgp_update_begin_withdraw(&b, m, sizeof(m), AFI_IPV6), 0);
	prefix_parse("2001:db8:1::/48", &p);
	assert_int_equal(bgp_update_add(&b, &p), 0);
	len = bgp_update_finish(&b);
	assert_int_equal(decode_msg(m, len, &AS4, &u), UPD_OK);
	assert_true(u.has_mp_unreach);
	assert_false(u.end_of_rib);
	off = 0;
	assert_int_equal(bgp_nlri_next(&u.mp_unreach, &off, &p), 1);
	assert_string_equal(prefix_fmt(&p, s, sizeof(s)), "2001:db8:1::/48");

	assert_int_equal(bgp_update_begin_withdraw(&b, m, sizeof(m), AFI_IPV4), 0);
	prefix_parse("198.18.7.0/24", &p);
	assert_int_equal(bgp_update_add(&b, &p), 0);
	len = bgp_update_finish(&b);
	assert_int_equal(len, 19 + 2 + 4 + 2);
	assert_int_equal(decode_msg(m, len, &AS4, &u), UPD_OK);
	off = 0;
	assert_int_equal(bgp_nlri_next(&u.withdrawn, &off, &p), 1);
	assert_string_equal(prefix_fmt(&p, s, sizeof(s)), "198.18.7.0/24");
}

static void test_eor(void **state)
{
	uint8_t m[64];
	struct bgp_update u;

	int n = bgp_eor_encode(AFI_IPV4, m, sizeof(m));
	assert_int_equal(n, 23);
	assert_int_equal(decode_msg(m, (size_t)n, &AS4, &u), UPD_OK);
	assert_true(u.end_of_rib);
	assert_int_equal(u.eor_afi, AFI_IPV4);
	n = bgp_eor_encode(AFI_IPV6, m, sizeof(m));
	assert_int_equal(n, 29);
	assert_int_equal(decode_msg(m, (size_t)n, &AS4, &u), UPD_OK);
	assert_true(u.end_of_rib);
	assert_int_equal(u.eor_afi, AFI_IPV6);
	/* the extended-length form other speakers send is an EoR too */
	uint8_t body[16];
	size_t len = unhex("00000007900F0003000201", body, sizeof(body));
	struct bgp_notify err;
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), UPD_OK);
	assert_true(u.end_of_rib);
}

/* Count how many /24s fit into one UPDATE of max bytes. */
static unsigned pack(size_t max, const struct bgp_session_caps *caps,
		     size_t *attr_len)
{
	static uint8_t m[65535];
	struct bgp_attrs a;
	struct bgp_update_builder b;
	struct bgp_update u;
	struct prefix p = { .afi = AFI_IPV4, .len = 24 };
	unsigned n = 0;

	memset(&a, 0, sizeof(a));
	static const uint32_t path[] = { 65001 };
	aspath_set_sequence(&a, path, 1);
	addr_parse("198.18.1.1", &a.next_hop);
	a.present |= ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_NEXT_HOP);
	assert_int_equal(bgp_update_begin(&b, m, max, AFI_IPV4, &a, caps), 0);
	*attr_len = b.len - 23;
	for (;; n++) {
		p.b[0] = 10 + (uint8_t)(n >> 16);
		p.b[1] = (uint8_t)(n >> 8);
		p.b[2] = (uint8_t)n;
		if (bgp_update_add(&b, &p) < 0)
			break;
	}
	size_t len = bgp_update_finish(&b);
	assert_true(len <= b.cap);
	assert_true(len + 4 > b.cap); /* nothing more would have fit */
	assert_int_equal(decode_msg(m, len, caps, &u), UPD_OK);
	assert_int_equal(bgp_nlri_validate(u.nlri.p, u.nlri.len, AFI_IPV4), n);
	return n;
}

static void test_builder_packing(void **state)
{
	const struct bgp_session_caps xcaps = { .as4 = true, .ext_message = true,
					      .ebgp = true };
	size_t alen;

	/* 19 header + 4 lengths + 20 attributes, 4 bytes per /24 */
	assert_int_equal(pack(4096, &AS4, &alen), 1013);
	assert_int_equal(alen, 20);
	assert_int_equal(pack(65535, &xcaps, &alen), 16373);
	/* a 4096-byte session never gets a bigger message */
	assert_int_equal(pack(65535, &AS4, &alen), 1013);
}

/* --------------------------------------------- RFC 6793 reconciliation */

static void as2_decode(const char *attrs, struct bgp_update *u)
{
	uint8_t body[1024];
	struct bgp_notify err;
	size_t len = mkupd(body, attrs, NLRI_HEX);
	int act = bgp_update_decode(body, len, &AS2, u, &err);
	if (act)
		print_message("# %s\n", err.reason);
	assert_int_equal(act, UPD_OK);
}

static void test_as4_reconcile(void **state)
{
	struct bgp_update u;
	char s[256];

	/* AS_PATH 65001 23456 23456 + AS4_PATH 400000 400001 */
	as2_decode(ORIGIN_IGP_HEX NH_HEX "4002080203FDE95BA05BA0"
		   "C0110A020200061A8000061A81", &u);
	aspath_fmt(&u.attrs, s, sizeof(s));
	assert_string_equal(s, "65001 400000 400001");
	/* AS4_PATH longer than AS_PATH: ignored */
	as2_decode(ORIGIN_IGP_HEX NH_HEX "4002040201FDE9"
		   "C0110A020200061A8000061A81", &u);
	aspath_fmt(&u.attrs, s, sizeof(s));
	assert_string_equal(s, "65001");
	/* AS_SET counts one: {65001,65002} 23456 + AS4_PATH 400000 */
	as2_decode(ORIGIN_IGP_HEX NH_HEX "40020A0102FDE9FDEA02015BA0"
		   "C01106020100061A80", &u);
	aspath_fmt(&u.attrs, s, sizeof(s));
	assert_string_equal(s, "{65001,65002} 400000");
	/* AGGREGATOR AS_TRANS + AS4_AGGREGATOR: the 4-octet one is used */
	as2_decode(BASE2 "C007065BA0C6120101" "C01208FA56EA02C6120101", &u);
	assert_int_equal(u.attrs.aggregator_as, 4200000002u);
	/* AGGREGATOR not AS_TRANS: AS4_AGGREGATOR and AS4_PATH ignored */
	as2_decode(ORIGIN_IGP_HEX NH_HEX "4002060202FDE95BA0"
		   "C00706FDEAC6120101" "C01208FA56EA02C6120101"
		   "C011060201FA56EA02", &u);
	assert_int_equal(u.attrs.aggregator_as, 65002);
	aspath_fmt(&u.attrs, s, sizeof(s));
	assert_string_equal(s, "65001 23456");
	/* a 4-octet session ignores AS4_PATH */
	uint8_t body[256];
	struct bgp_notify err;
	size_t len = mkupd(body, BASE4 "C011060201FA56EA02", NLRI_HEX);
	assert_int_equal(bgp_update_decode(body, len, &AS4, &u, &err), UPD_OK);
	aspath_fmt(&u.attrs, s, sizeof(s));
	assert_string_equal(s, "65001");
}

static void test_aspath_helpers(void **state)
{
	struct bgp_attrs a;
	char s[256];
	static const uint32_t path[] = { 65002, 65003 };

	memset(&a, 0, sizeof(a));
	assert_int_equal(aspath_length(&a), 0);
	assert_int_equal(aspath_origin_as(&a), 0);
	assert_int_equal(aspath_prepend(&a, 65515), 0);
	aspath_fmt(&a, s, sizeof(s));
	assert_string_equal(s, "65515");
	aspath_set_sequence(&a, path, 2);
	assert_int_equal(aspath_prepend(&a, 65001), 0);
	aspath_fmt(&a, s, sizeof(s));
	assert_string_equal(s, "65001 65002 65003");
	assert_int_equal(aspath_length(&a), 3);
	assert_true(aspath_contains(&a, 65002));
	assert_false(aspath_contains(&a, 65515));
	assert_int_equal(aspath_origin_as(&a), 65003);
	/* a path ending in a set: length counts the set as one */
	uint8_t w[] = { 2, 1, 0, 0, 0xFD, 0xE9, 1, 2, 0, 0, 0xFD, 0xEA,
			0, 0, 0xFD, 0xEB };
	assert_int_equal(aspath_decode(&a, w, sizeof(w), true), 0);
	assert_int_equal(aspath_length(&a), 2);
	aspath_fmt(&a, s, sizeof(s));
	assert_string_equal(s, "65001 {65002,65003}");
	assert_int_equal(aspath_origin_as(&a), 65001);
	/* prepending to a path starting with a set adds a segment */
	uint8_t w2[] = { 1, 1, 0, 0, 0xFD, 0xE9 };
	assert_int_equal(aspath_decode(&a, w2, sizeof(w2), true), 0);
	assert_int_equal(aspath_prepend(&a, 65515), 0);
	aspath_fmt(&a, s, sizeof(s));
	assert_string_equal(s, "65515 {65001}");
	/* a full 255-ASN segment makes prepend open a new one */
	uint32_t many[255];
	for (int i = 0; i < 255; i++)
		many[i] = 64512 + (uint32_t)i;
	aspath_set_sequence(&a, many, 255);
	assert_int_equal(aspath_prepend(&a, 1), 0);
	assert_int_equal(aspath_length(&a), 256);
	assert_int_equal(a.aspath[0], AS_SEQUENCE);
	assert_int_equal(a.aspath[1], 1);
	struct aspath_iter it;
	uint32_t asn;
	unsigned cnt = 0;
	aspath_iter_init(&it, &a);
	while (aspath_iter_next(&it, &asn))
		cnt++;
	assert_int_equal(cnt, 256);
}

/* Decoding a 4096-byte UPDATE of /24s touches each prefix once; a sanity
 * check that 1,000,000 prefixes decode well under a second. */
static void test_decode_speed(void **state)
{
	static uint8_t m[4096];
	struct bgp_attrs a;
	struct bgp_update_builder b;
	struct bgp_update u;
	struct bgp_notify err;
	struct prefix p = { .afi = AFI_IPV4, .len = 24 };

	memset(&a, 0, sizeof(a));
	static const uint32_t path[] = { 65001, 65002 };
	aspath_set_sequence(&a, path, 2);
	addr_parse("198.18.1.1", &a.next_hop);
	a.present |= ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_NEXT_HOP);
	bgp_update_begin(&b, m, sizeof(m), AFI_IPV4, &a, &AS4);
	while (bgp_update_add(&b, &p) == 0)
		p.b[2]++;
	size_t len = bgp_update_finish(&b);
	unsigned per = b.n_prefixes;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long total = 0;
	while (total < 1000000) {
		assert_int_equal(bgp_update_decode(m + 19, len - 19, &AS4, &u,
						   &err), UPD_OK);
		size_t off = 0;
		while (bgp_nlri_next(&u.nlri, &off, &p))
			total++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("# decoded %lu prefixes (%u per UPDATE) in %.3f s\n",
		      total, per, s);
	assert_true(s < 1.0);
}

int main(void)
{
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest t7606[N];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_7606_data),
		cmocka_unit_test(test_update_length_errors),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_open_roundtrip),
		cmocka_unit_test(test_open_params),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_notification),
		cmocka_unit_test(test_route_refresh),
		cmocka_unit_test(test_update_roundtrip_as4),
		cmocka_unit_test(test_update_roundtrip_as2),
		cmocka_unit_test(test_attrs_order_and_flags),
		cmocka_unit_test(test_update_ipv6),
		cmocka_unit_test(test_eor),
		cmocka_unit_test(test_builder_packing),
		cmocka_unit_test(test_as4_reconcile),
		cmocka_unit_test(test_aspath_helpers),
		cmocka_unit_test(test_decode_speed),
	};
	for (size_t i = 0; i < N; i++)
		t7606[i] = (struct CMUnitTest){ cases[i].name, test_7606_case,
						NULL, NULL,
						(void *)&cases[i] };
	int fails = _cmocka_run_group_tests("rfc7606", t7606, N, NULL, NULL);
	fails += cmocka_run_group_tests_name("codec", tests, NULL, NULL);
	return fails;
}
