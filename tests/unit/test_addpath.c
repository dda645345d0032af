/*
 * test_addpath.c - ADD-PATH (RFC 7911): the capability and its
 * negotiation, NLRI with path identifiers (decode, encode, bad input),
 * the adj-RIB-in keeping one peer's paths apart by path id, and export to
 * a peer that negotiated send (the ECMP set under path ids, at most
 * add_path_max, withdrawals by id, never back to the source), every
 * message decoded again by the real codec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "out/export.h"
#include "rib/rib.h"
#include "wire/wire.h"

static struct prefix P(const char *s)
{
	struct prefix p;
	assert_int_equal(prefix_parse(s, &p), 0);
	return p;
}

static struct addr A(const char *s)
{
	struct addr a;
	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* ------------------------------------------------------------ codec */

static void test_capability(void **state)
{
	struct bgp_open o = { .version = 4, .my_as = 65001, .hold_time = 90,
			      .bgp_id = 0x01020304 }, d;
	uint8_t buf[512];
	struct bgp_notify err;

	o.add_path[AFI_IPV4] = ADDPATH_SEND | ADDPATH_RECEIVE;
	o.add_path[AFI_IPV6] = ADDPATH_RECEIVE;
	int n = bgp_open_encode(&o, buf, sizeof(buf));
	assert_true(n > 0);
	/* code 69, length 8: (1, 1, 3) and (2, 1, 1) */
	static const uint8_t cap[] = { 69, 8, 0, 1, 1, 3, 0, 2, 1, 1 };
	assert_non_null(memmem(buf, (size_t)n, cap, sizeof(cap)));
	assert_int_equal(bgp_open_decode(buf + BGP_HDR_LEN, (size_t)n - BGP_HDR_LEN,
					 &d, &err), 0);
	assert_int_equal(d.add_path[AFI_IPV4], 3);
	assert_int_equal(d.add_path[AFI_IPV6], 1);
	/* negotiation: we receive what they send, we send what they take */
	assert_int_equal(bgp_addpath_negotiate(3, 3), 3);
	assert_int_equal(bgp_addpath_negotiate(1, 2), ADDPATH_RECEIVE);
	assert_int_equal(bgp_addpath_negotiate(2, 1), ADDPATH_SEND);
	assert_int_equal(bgp_addpath_negotiate(1, 1), 0);
	assert_int_equal(bgp_addpath_negotiate(2, 2), 0);
	assert_int_equal(bgp_addpath_negotiate(0, 3), 0);
}

static void test_nlri(void **state)
{
	/* UPDATE body: no withdrawn, ORIGIN/AS_PATH/NEXT_HOP, two NLRI of
	 * 198.19.1.0/24 with path ids 1 and 2 */
	static const uint8_t body[] = {
		0, 0, 0, 20,
		0x40, 1, 1, 0,
		0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9,
		0x40, 3, 4, 198, 18, 1, 2,
		0, 0, 0, 1, 24, 198, 19, 1,
		0, 0, 0, 2, 24, 198, 19, 1,
	};
	struct bgp_session_caps ap = { .as4 = true, .ebgp = true };
	struct bgp_session_caps plain = ap;
	struct bgp_update u;
	struct bgp_notify err;
	struct prefix p;
	uint32_t id;
	size_t off = 0;

	ap.addpath_rx[AFI_IPV4] = true;
	assert_int_equal(bgp_update_decode(body, sizeof(body), &ap, &u, &err),
			 UPD_OK);
	assert_true(u.nlri.addpath);
	assert_int_equal(bgp_nlri_next_id(&u.nlri, &off, &p, &id), 1);
	assert_true(prefix_eq(&p, &(struct prefix){ 0 }) == false);
	assert_int_equal(id, 1);
	assert_int_equal(bgp_nlri_next_id(&u.nlri, &off, &p, &id), 1);
	assert_int_equal(id, 2);
	assert_true(prefix_eq(&p, &(struct prefix){ .afi = AFI_IPV4, .len = 24,
						    .b = { 198, 19, 1 } }));
	assert_int_equal(bgp_nlri_next_id(&u.nlri, &off, &p, &id), 0);
	/* the same bytes without ADD-PATH do not parse: session reset */
	assert_int_equal(bgp_update_decode(body, sizeof(body), &plain, &u, &err),
			 UPD_SESSION_RESET);
	assert_int_equal(err.subcode, BGP_UPD_BAD_NETWORK);
	/* a path id cut short */
	assert_true(bgp_nlri_validate_ap(body + 24, 3, AFI_IPV4, true) < 0);
	assert_int_equal(bgp_nlri_validate_ap(body + 24, 16, AFI_IPV4, true), 2);

	/* builder: IPv6 in MP_REACH/MP_UNREACH with ids, decoded back */
	struct bgp_attrs a = { .present = ATTR_BIT(ATTR_ORIGIN) |
					  ATTR_BIT(ATTR_AS_PATH) };
	uint32_t asn = 65001;
	aspath_set_sequence(&a, &asn, 1);
	a.mp_next_hop = A("2001:db8::1");
	uint8_t msg[4096];
	struct bgp_update_builder b;
	ap.addpath_rx[AFI_IPV6] = ap.addpath_tx[AFI_IPV6] = true;
	for (int wd = 0; wd < 2; wd++) {
		int rc = wd ? bgp_update_begin_withdraw(&b, msg, sizeof(msg), AFI_IPV6)
			    : bgp_update_begin(&b, msg, sizeof(msg), AFI_IPV6, &a, &ap);
		assert_int_equal(rc, 0);
		b.addpath = true;
		struct prefix q = P("2001:db8:5::/48");
		assert_int_equal(bgp_update_add_id(&b, &q, 7), 0);
		assert_int_equal(bgp_update_add_id(&b, &q, 0x01020304), 0);
		size_t len = bgp_update_finish(&b);
		assert_int_equal(bgp_update_decode(msg + BGP_HDR_LEN, len - BGP_HDR_LEN,
						   &ap, &u, &err), UPD_OK);
		const struct bgp_nlri_block *blk = wd ? &u.mp_unreach : &u.mp_reach;
		off = 0;
		assert_int_equal(bgp_nlri_next_id(blk, &off, &p, &id), 1);
		assert_true(prefix_eq(&p, &q));
		assert_int_equal(id, 7);
		assert_int_equal(bgp_nlri_next_id(blk, &off, &p, &id), 1);
		assert_int_equal(id, 0x01020304);
	}
}

/* -------------------------------------------------------------- RIB */

static struct rattr *attrs(struct rib *rib, uint32_t asn, const char *nh,
			   uint32_t med)
{
	struct bgp_attrs *a = calloc(1, sizeof(*a));
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		     ATTR_BIT(ATTR_NEXT_HOP);
	aspath_set_sequence(a, &asn, 1);
	a->next_hop = A(nh);
	if (med) {
		a->present |= ATTR_BIT(ATTR_MED);
		a->med = med;
	}
	struct rattr *r = rattr_intern(rib, a);
	free(a);
	return r;
}

static void announce(struct rib *rib, uint32_t peer, uint32_t id,
		     const char *pfx, uint32_t asn, const char *nh, uint32_t med)
{
	struct rattr *r = attrs(rib, asn, nh, med);
	struct prefix p = P(pfx);
	assert_true(rib_announce_id(rib, peer, id, &p, r) >= 0);
	rattr_unref(rib, r);
}

static void test_rib(void **state)
{
	struct rib_config rc = { .local_asn = 65515, .max_paths = 8,
				 .routing_pref = PREF_ASPATH };
	struct rib *rib = rib_new(&rc);
	struct rib_peer rp = { .asn = 65001, .kind = PEER_NVA,
			       .addr = A("198.18.1.2") };
	uint32_t peer = rib_peer_add(rib, &rp);
	struct prefix p = P("198.19.1.0/24");

	announce(rib, peer, 2, "198.19.1.0/24", 65001, "198.18.1.2", 20);
	announce(rib, peer, 1, "198.19.1.0/24", 65001, "198.18.1.2", 10);
	const struct rentry *e = rib_lookup(rib, &p);
	assert_non_null(e);
	assert_int_equal(e->n_paths, 2);
	assert_int_equal(e->n_ecmp, 2);
	assert_int_equal(e->paths->path_id, 1); /* tie: lower path id first */
	assert_int_equal(e->paths->next->path_id, 2);
	int step;
	assert_true(rib_path_order(rib, e->paths, e->paths->next, &step) < 0);
	assert_int_equal(step, RIB_STEP_PATH_ID);
	assert_int_equal(rib_peer_count(rib, peer), 2);
	/* the same id again replaces, it does not add */
	announce(rib, peer, 2, "198.19.1.0/24", 65001, "198.18.1.2", 30);
	assert_int_equal(rib_lookup(rib, &p)->n_paths, 2);
	/* a withdrawal names one path */
	assert_int_equal(rib_withdraw_id(rib, peer, 3, &p), 0);
	assert_int_equal(rib_withdraw_id(rib, peer, 1, &p), 1);
	e = rib_lookup(rib, &p);
	assert_int_equal(e->n_paths, 1);
	assert_int_equal(e->paths->path_id, 2);
	/* stale marking and the sweep see every path */
	announce(rib, peer, 5, "198.19.1.0/24", 65001, "198.18.1.2", 0);
	assert_int_equal(rib_peer_mark_stale(rib, peer), 2);
	assert_int_equal(rib_peer_sweep_stale(rib, peer, 0), 2);
	announce(rib, peer, 1, "198.19.1.0/24", 65001, "198.18.1.2", 0);
	announce(rib, peer, 9, "198.19.1.0/24", 65001, "198.18.1.2", 0);
	assert_int_equal(rib_peer_flush(rib, peer), 2);
	assert_null(rib_lookup(rib, &p));
	rib_changes_drain(rib, NULL, NULL);
	rib_free(rib);
}

/* ------------------------------------------------------------ export */

#define VIEW 16
struct rx { /* what one receiving peer holds: (prefix, path id) -> nh */
	struct bgp_session_caps caps;
	unsigned n;
	struct { struct prefix p; uint32_t id; struct addr nh; } v[VIEW];
};

static void rx_apply(struct rx *r, const struct bgp_nlri_block *b,
		     const struct addr *nh)
{
	struct prefix p;
	uint32_t id;
	size_t off = 0;

	while (bgp_nlri_next_id(b, &off, &p, &id) == 1) {
		unsigned i;
		for (i = 0; i < r->n; i++)
			if (prefix_eq(&r->v[i].p, &p) && r->v[i].id == id)
				break;
		if (!nh) {
			if (i < r->n)
				r->v[i] = r->v[--r->n];
			continue;
		}
		if (i == r->n) {
			assert_true(r->n < VIEW);
			r->n++;
		}
		r->v[i].p = p;
		r->v[i].id = id;
		r->v[i].nh = *nh;
	}
}

static bool rx_send(void *ctx, struct out_buf *b)
{
	struct rx *r = ctx;
	struct bgp_hdr h;
	struct bgp_notify err;

	for (size_t off = 0; off < b->len; off += h.len) {
		struct bgp_update u;
		assert_int_equal(bgp_hdr_decode(b->data + off, b->len - off,
						BGP_EXT_MAX_LEN, &h, &err), 0);
		assert_int_equal(bgp_update_decode(b->data + off + BGP_HDR_LEN,
						   h.len - BGP_HDR_LEN, &r->caps,
						   &u, &err), UPD_OK);
		rx_apply(r, &u.withdrawn, NULL);
		rx_apply(r, &u.nlri, &u.attrs.next_hop);
	}
	return true;
}

/* The next hops r holds for prefix, as "nh/id nh/id" in id order. */
static const char *rx_has(const struct rx *r, const char *pfx)
{
	static char out[256];
	struct prefix p = P(pfx);
	size_t used = 0;

	out[0] = 0;
	for (uint32_t id = 0; id < 16; id++)
		for (unsigned i = 0; i < r->n; i++) {
			char a[ADDR_STRLEN];
			if (!prefix_eq(&r->v[i].p, &p) || r->v[i].id != id)
				continue;
			used += (size_t)snprintf(out + used, sizeof(out) - used,
						 "%s%s/%u", used ? " " : "",
						 addr_fmt(&r->v[i].nh, a, sizeof(a)),
						 id);
		}
	return out;
}

static void on_change(const struct rentry *e, uint32_t id, void *arg)
{
	export_change(arg, e, id);
}

static void settle(struct rib *rib, struct exporter *ex)
{
	rib_changes_drain(rib, on_change, ex);
	export_flush(ex);
	while (export_run(ex, 1000))
		;
}

static void test_export(void **state)
{
	struct rib_config rc = { .local_asn = 65515, .max_paths = 8,
				 .routing_pref = PREF_ASPATH };
	struct rib *rib = rib_new(&rc);
	struct export_config ec = { .local_asn = 65515 };
	struct exporter *ex = export_new(rib, &ec);
	static const char *addr[5] = { "198.18.1.2", "198.18.1.3", "198.18.1.4",
				       "198.18.1.5", "198.18.1.6" };
	uint32_t peer[5];
	struct rx rx[5] = { 0 };

	for (int i = 0; i < 5; i++) {
		struct rib_peer rp = { .asn = 65001 + (uint32_t)i,
				       .kind = PEER_NVA, .addr = A(addr[i]) };
		peer[i] = rib_peer_add(rib, &rp);
	}
	/* 0 and 1 announce; 2 and 3 take ADD-PATH (max 8, max 1); 1 too
	 * (it must not get its own path back); 4 is a plain peer */
	announce(rib, peer[0], 0, "198.19.1.0/24", 65001, addr[0], 0);
	announce(rib, peer[1], 0, "198.19.1.0/24", 65002, addr[1], 0);
	settle(rib, ex);
	uint16_t max[5] = { 0, 8, 8, 1, 0 };
	for (int i = 1; i < 5; i++) {
		struct export_peer ep = { .rib_peer = peer[i], .kind = PEER_NVA,
					  .asn = 65001 + (uint32_t)i,
					  .afi_v4 = true, .send = rx_send,
					  .ctx = &rx[i], .addpath_max = max[i] };
		ep.caps.as4 = ep.caps.ebgp = true;
		ep.caps.addpath_tx[AFI_IPV4] = i < 4;
		rx[i].caps = ep.caps;
		rx[i].caps.addpath_rx[AFI_IPV4] = i < 4;
		export_peer_up(ex, &ep);
	}
	settle(rib, ex);
	assert_string_equal(rx_has(&rx[2], "198.19.1.0/24"),
			    "198.18.1.2/1 198.18.1.3/2");
	assert_string_equal(rx_has(&rx[1], "198.19.1.0/24"), "198.18.1.2/1");
	assert_string_equal(rx_has(&rx[3], "198.19.1.0/24"), "198.18.1.2/1");
	assert_string_equal(rx_has(&rx[4], "198.19.1.0/24"), "198.18.1.2/0");
	assert_int_equal(export_peer_advertised(ex, peer[2]), 2);
	assert_int_equal(export_peer_advertised(ex, peer[1]), 1);
	/* the best leaves: its id is withdrawn, the other path stays */
	struct prefix p = P("198.19.1.0/24");
	rib_withdraw(rib, peer[0], &p);
	settle(rib, ex);
	assert_string_equal(rx_has(&rx[2], "198.19.1.0/24"), "198.18.1.3/2");
	assert_string_equal(rx_has(&rx[1], "198.19.1.0/24"), "");
	assert_string_equal(rx_has(&rx[3], "198.19.1.0/24"), "198.18.1.3/1");
	assert_string_equal(rx_has(&rx[4], "198.19.1.0/24"), "198.18.1.3/0");
	/* a new path takes the free id 1 */
	announce(rib, peer[0], 0, "198.19.1.0/24", 65001, addr[0], 0);
	settle(rib, ex);
	assert_string_equal(rx_has(&rx[2], "198.19.1.0/24"),
			    "198.18.1.2/1 198.18.1.3/2");
	/* a longer AS path leaves the ECMP set: withdrawn by id */
	struct rattr *r = attrs(rib, 65002, addr[1], 0);
	struct bgp_attrs b;
	rattr_to_bgp(r, &b);
	struct bgp_attrs *c = malloc(sizeof(*c));
	memcpy(c, &b, sizeof(b));
	assert_int_equal(aspath_prepend(c, 65002), 0);
	struct rattr *r2 = rattr_intern(rib, c);
	rib_announce(rib, peer[1], &p, r2);
	rattr_unref(rib, r2);
	rattr_unref(rib, r);
	free(c);
	settle(rib, ex);
	assert_string_equal(rx_has(&rx[2], "198.19.1.0/24"), "198.18.1.2/1");
	assert_string_equal(rx_has(&rx[1], "198.19.1.0/24"), "198.18.1.2/1");
	/* a refresh dumps the same paths again */
	export_refresh(ex, peer[2], 0);
	settle(rib, ex);
	assert_string_equal(rx_has(&rx[2], "198.19.1.0/24"), "198.18.1.2/1");
	export_free(ex);
	rib_free(rib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capability),
		cmocka_unit_test(test_nlri),
		cmocka_unit_test(test_rib),
		cmocka_unit_test(test_export),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
