/*
 * test_bmp.c - the BMP codec (src/bmp/bmp_msg.c) and route_server.bmp:
 * each message type laid out byte by byte as RFC 7854 4.x (and RFC 9069
 * for the Loc-RIB peer) draws it, decoded back, refused when it cannot be
 * well formed; the collector keys load, print back equal, and bad ones
 * get FILE:LINE:COL errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bmp/bmp_msg.h"
#include "conf/conf.h"
#include "wire/wire.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void ipv4_peer(struct bmp_peer *h)
{
	memset(h, 0, sizeof(*h));
	h->type = BMP_PEER_GLOBAL;
	assert_int_equal(addr_parse("198.18.1.2", &h->addr), 0);
	h->asn = 65001;
	h->bgp_id = 0xc6120102;
	h->ts_sec = 1700000000;
	h->ts_usec = 123456;
}

/* A minimal OPEN: AS 65001, hold 90, id 198.18.1.2, no parameters. */
static int open_msg(uint8_t *buf)
{
	struct bgp_open o;

	memset(&o, 0, sizeof(o));
	o.version = 4;
	o.my_as = 65001;
	o.hold_time = 90;
	o.bgp_id = 0xc6120102;
	return bgp_open_encode(&o, buf, BGP_MAX_LEN);
}

static void test_initiation(void **state)
{
	uint8_t b[256];
	struct bmp_msg m;
	const uint8_t *v;
	size_t vl;
	int n = bmp_initiation_encode(b, sizeof(b), "rs1", "pharos");
	(void)state;

	/* 6 header + (4 + 6) sysDescr + (4 + 3) sysName */
	assert_int_equal(n, 6 + 10 + 7);
	assert_int_equal(b[0], 3);
	assert_int_equal(rd32(b + 1), (uint32_t)n);
	assert_int_equal(b[5], BMP_INITIATION);
	assert_int_equal(rd16(b + 6), BMP_INFO_SYSDESCR);
	assert_int_equal(rd16(b + 8), 6);
	assert_memory_equal(b + 10, "pharos", 6);
	assert_int_equal(rd16(b + 16), BMP_INFO_SYSNAME);
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), n);
	assert_false(m.has_peer);
	assert_int_equal(bmp_tlv_find(m.body, m.body_len, BMP_INFO_SYSNAME, &v, &vl), 1);
	assert_int_equal(vl, 3);
	assert_memory_equal(v, "rs1", 3);
	/* less than a whole message: wait for more */
	assert_int_equal(bmp_msg_decode(b, (size_t)n - 1, &m), 0);
	/* a buffer one byte short: refused */
	assert_int_equal(bmp_initiation_encode(b, (size_t)n - 1, "rs1", "pharos"), -1);
}

static void test_per_peer_header(void **state)
{
	uint8_t upd[64], b[256];
	struct bmp_peer h;
	struct bmp_msg m;
	int ul = bgp_eor_encode(AFI_IPV4, upd, sizeof(upd)), n;
	(void)state;

	ipv4_peer(&h);
	h.flags = BMP_PF_A;
	n = bmp_route_mon_encode(b, sizeof(b), &h, upd, (size_t)ul);
	assert_int_equal(n, 6 + 42 + ul);
	assert_int_equal(b[5], BMP_ROUTE_MONITORING);
	assert_int_equal(b[6], BMP_PEER_GLOBAL);
	assert_int_equal(b[7], BMP_PF_A); /* IPv4: no V flag */
	/* IPv4 address in the last 4 of the 16 bytes */
	for (int i = 0; i < 12; i++)
		assert_int_equal(b[16 + i], 0);
	assert_int_equal(rd32(b + 28), 0xc6120102);
	assert_int_equal(rd32(b + 32), 65001);
	assert_int_equal(rd32(b + 36), 0xc6120102);
	assert_int_equal(rd32(b + 40), 1700000000);
	assert_int_equal(rd32(b + 44), 123456);
	assert_memory_equal(b + 48, upd, (size_t)ul);
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), n);
	assert_true(m.has_peer);
	assert_true(addr_eq(&m.peer.addr, &h.addr));
	assert_int_equal(m.peer.asn, 65001);
	assert_int_equal(m.body_len, (size_t)ul);

	/* IPv6 peers get the V flag and the whole 16 bytes */
	assert_int_equal(addr_parse("2001:db8:1::2", &h.addr), 0);
	h.flags = 0;
	n = bmp_route_mon_encode(b, sizeof(b), &h, upd, (size_t)ul);
	assert_int_equal(b[7], BMP_PF_V);
	assert_memory_equal(b + 16, h.addr.b, 16);
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), n);
	assert_true(addr_eq(&m.peer.addr, &h.addr));

	/* what is not a whole UPDATE is refused */
	assert_int_equal(bmp_route_mon_encode(b, sizeof(b), &h, upd, (size_t)ul - 1), -1);
	upd[18] = 4; /* a KEEPALIVE's type */
	assert_int_equal(bmp_route_mon_encode(b, sizeof(b), &h, upd, (size_t)ul), -1);
}

static void test_peer_up(void **state)
{
	uint8_t open[BGP_MAX_LEN], b[512];
	struct bmp_peer h;
	struct bmp_msg m;
	struct addr local;
	const uint8_t *tlvs, *v;
	size_t tl, vl;
	int ol = open_msg(open), n;
	(void)state;

	ipv4_peer(&h);
	assert_int_equal(addr_parse("198.18.1.1", &local), 0);
	n = bmp_peer_up_encode(b, sizeof(b), &h, &local, 179, 50000, open,
			       (size_t)ol, open, (size_t)ol, NULL);
	assert_int_equal(n, 6 + 42 + 20 + 2 * ol);
	assert_int_equal(b[5], BMP_PEER_UP);
	assert_int_equal(rd32(b + 48 + 12), 0xc6120101); /* local address */
	assert_int_equal(rd16(b + 64), 179);
	assert_int_equal(rd16(b + 66), 50000);
	assert_memory_equal(b + 68, open, (size_t)ol);
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), n);
	assert_int_equal(bmp_peer_up_tlvs(&m, &tlvs, &tl), 0);
	assert_int_equal(tl, 0);

	/* the Loc-RIB (RFC 9069): peer type 3, zero address, table name */
	memset(&h, 0, sizeof(h));
	h.type = BMP_PEER_LOC_RIB;
	h.asn = 65515;
	h.bgp_id = 0xc6120101;
	n = bmp_peer_up_encode(b, sizeof(b), &h, NULL, 0, 0, open, (size_t)ol,
			       open, (size_t)ol, "global");
	assert_int_equal(n, 6 + 42 + 20 + 2 * ol + 4 + 6);
	assert_int_equal(b[6], BMP_PEER_LOC_RIB);
	for (int i = 0; i < 16; i++)
		assert_int_equal(b[16 + i], 0);
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), n);
	assert_int_equal(m.peer.type, BMP_PEER_LOC_RIB);
	assert_int_equal(bmp_peer_up_tlvs(&m, &tlvs, &tl), 0);
	assert_int_equal(bmp_tlv_find(tlvs, tl, BMP_INFO_TABLE_NAME, &v, &vl), 1);
	assert_int_equal(vl, 6);
	assert_memory_equal(v, "global", 6);

	/* an OPEN that is not one is refused */
	open[18] = 2;
	assert_int_equal(bmp_peer_up_encode(b, sizeof(b), &h, NULL, 0, 0, open,
					    (size_t)ol, open, (size_t)ol, NULL), -1);
}

static void test_peer_down(void **state)
{
	uint8_t notif[64], b[256];
	struct bgp_notify no = {.code = BGP_ERR_CEASE, .subcode = 2};
	struct bmp_peer h;
	struct bmp_msg m;
	uint8_t ev[2] = {0, 0};
	int nl = bgp_notify_encode(&no, notif, sizeof(notif)), n;
	(void)state;

	ipv4_peer(&h);
	n = bmp_peer_down_encode(b, sizeof(b), &h, BMP_DOWN_LOCAL_NOTIFY, notif,
				 (size_t)nl);
	assert_int_equal(n, 6 + 42 + 1 + nl);
	assert_int_equal(b[5], BMP_PEER_DOWN);
	assert_int_equal(b[48], BMP_DOWN_LOCAL_NOTIFY);
	assert_memory_equal(b + 49, notif, (size_t)nl);
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), n);
	/* reason 2 carries a 2-byte FSM event code; 4 carries nothing */
	assert_int_equal(bmp_peer_down_encode(b, sizeof(b), &h,
					      BMP_DOWN_LOCAL_NO_NOTIFY, ev, 2),
			 6 + 42 + 1 + 2);
	assert_int_equal(bmp_peer_down_encode(b, sizeof(b), &h,
					      BMP_DOWN_REMOTE_NO_NOTIFY, NULL, 0),
			 6 + 42 + 1);
	/* inconsistent data is refused */
	assert_int_equal(bmp_peer_down_encode(b, sizeof(b), &h,
					      BMP_DOWN_REMOTE_NOTIFY, NULL, 0), -1);
	assert_int_equal(bmp_peer_down_encode(b, sizeof(b), &h,
					      BMP_DOWN_LOCAL_NO_NOTIFY, ev, 1), -1);
	assert_int_equal(bmp_peer_down_encode(b, sizeof(b), &h, 7, NULL, 0), -1);
}

static void test_stats_and_termination(void **state)
{
	uint8_t b[256];
	struct bmp_peer h;
	struct bmp_msg m;
	const uint8_t *v;
	size_t vl;
	struct bmp_stat st[3] = {
		{.type = BMP_STAT_REJECTED, .value = 7},
		{.type = BMP_STAT_ADJ_RIB_IN, .value = 0x100000002ull},
		{.type = BMP_STAT_LOC_RIB_AF, .afi = AFI_IPV6, .safi = 1, .value = 5},
	};
	int n;
	(void)state;

	ipv4_peer(&h);
	n = bmp_stats_encode(b, sizeof(b), &h, st, 3);
	/* count, then 32-bit counter (4+4), 64-bit gauge (4+8),
	 * per-family gauge (4+11) */
	assert_int_equal(n, 6 + 42 + 4 + 8 + 12 + 15);
	assert_int_equal(rd32(b + 48), 3);
	assert_int_equal(rd16(b + 52), BMP_STAT_REJECTED);
	assert_int_equal(rd16(b + 54), 4);
	assert_int_equal(rd32(b + 56), 7);
	assert_int_equal(rd16(b + 60), BMP_STAT_ADJ_RIB_IN);
	assert_int_equal(rd16(b + 62), 8);
	assert_int_equal(rd32(b + 64), 1);
	assert_int_equal(rd32(b + 68), 2);
	assert_int_equal(rd16(b + 72), BMP_STAT_LOC_RIB_AF);
	assert_int_equal(rd16(b + 74), 11);
	assert_int_equal(rd16(b + 76), AFI_IPV6);
	assert_int_equal(b[78], 1);
	assert_int_equal(rd32(b + 83), 5);
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), n);

	n = bmp_termination_encode(b, sizeof(b), BMP_TERM_ADMIN_CLOSE, "bye");
	assert_int_equal(n, 6 + 7 + 6);
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), n);
	assert_int_equal(m.type, BMP_TERMINATION);
	assert_int_equal(bmp_tlv_find(m.body, m.body_len, BMP_TERM_REASON, &v, &vl), 1);
	assert_int_equal(vl, 2);
	assert_int_equal(rd16(v), BMP_TERM_ADMIN_CLOSE);
	/* malformed input: bad version, short length, unknown type */
	b[0] = 2;
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), -1);
	b[0] = 3;
	b[5] = 9;
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), -1);
	b[5] = BMP_PEER_UP; /* too short for a per-peer header */
	assert_int_equal(bmp_msg_decode(b, (size_t)n, &m), -1);
}

/* ------------------------------------------------------- configuration */

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

#define RS "route_server:\n  router_id: 198.18.0.1\n"

static void test_conf_bmp(void **state)
{
	char *errs = NULL, *out = NULL;
	size_t len = 0;
	struct conf *c, *d;
	FILE *f;
	(void)state;

	c = load(RS "  bmp:\n    - {address: 127.0.0.1, port: 11019}\n"
		 "    - {address: \"2001:db8::9\", port: 1790, stats_s: 0, max_queue_kb: 1024}\n",
		 &errs);
	assert_non_null(c);
	assert_int_equal(c->rs.n_bmp, 2);
	assert_int_equal(c->rs.bmp[0].port, 11019);
	assert_int_equal(c->rs.bmp[0].stats_s, 60);
	assert_int_equal(c->rs.bmp[0].max_queue_kb, 16384);
	assert_int_equal(c->rs.bmp[1].address.afi, AFI_IPV6);
	assert_int_equal(c->rs.bmp[1].stats_s, 0);
	f = open_memstream(&out, &len);
	conf_print(c, f);
	fclose(f);
	assert_non_null(strstr(out, "  bmp:\n    - address: \"127.0.0.1\"\n      port: 11019\n"));
	d = conf_load_string("p.yaml", out, stderr);
	assert_non_null(d);
	assert_true(conf_equal(c, d));
	conf_free(d);
	conf_free(c);
	free(out);
	free(errs);
	errs = NULL;

	/* errors with FILE:LINE:COL */
	c = load(RS "  bmp:\n    - {address: 127.0.0.1}\n"
		 "    - {address: collector, port: 1790}\n"
		 "    - {address: 127.0.0.1, port: 0}\n"
		 "    - {address: 127.0.0.1, port: 1790, queue: 1}\n"
		 "    - {address: 127.0.0.1, port: 1791, max_queue_kb: 1}\n",
		 &errs);
	assert_null(c);
	assert_non_null(strstr(errs, "t.yaml:4:7: bmp collector is missing required key 'port'"));
	assert_non_null(strstr(errs, "t.yaml:5:17: bad address 'collector'"));
	assert_non_null(strstr(errs, "t.yaml:6:34: port 0 is out of range (1..65535)"));
	assert_non_null(strstr(errs, "t.yaml:7:40: unknown key 'queue' in bmp collector"));
	assert_non_null(strstr(errs, "t.yaml:8:54: max_queue_kb 1 is out of range (64..4194304)"));
	assert_null(strstr(errs, "duplicate")); /* no port is no duplicate */
	free(errs);
	errs = NULL;
	c = load(RS "  bmp:\n    - {address: 127.0.0.1, port: 1790}\n"
		 "    - {address: 127.0.0.1, port: 1790}\n", &errs);
	assert_null(c);
	assert_non_null(strstr(errs, "t.yaml:5:7: duplicate BMP collector (same address and port as line 4)"));
	free(errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initiation),
		cmocka_unit_test(test_per_peer_header),
		cmocka_unit_test(test_peer_up),
		cmocka_unit_test(test_peer_down),
		cmocka_unit_test(test_stats_and_termination),
		cmocka_unit_test(test_conf_bmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
