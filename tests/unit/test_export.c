/*
 * test_export.c - export with update groups, against a real struct rib and
 * the real codec: every message a peer receives is decoded with
 * bgp_update_decode and applied to a per-peer view of its routes, and the
 * tests check who ends up with what (DESIGN 1.2), group sharing, dumps in
 * slices with End-of-RIB, backpressure, refresh, and a 1M-prefix measure.
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
#include "conf/conf.h"
#include "out/adj_out.h"
#include "out/export.h"
#include "rib/rib.h"

#define LOCAL_ASN 65515

/* ------------------------------------------------------ a receiving peer */

struct route {
	struct prefix p;
	char path[128];
	struct addr nh, nh_ll;
	bool has_med, has_lp;
	uint32_t med;
	uint16_t n_comm;
	uint32_t comm[8];
};

struct cap {
	struct bgp_session_caps caps;
	bool no_view; /* count only (big tables) */
	int accept; /* sends accepted before refusing; -1 = always */
	struct out_buf *last;
	unsigned n_bufs;
	size_t bytes;
	unsigned n_updates, n_announced, n_withdrawn, n_eor;
	unsigned routes_at_eor; /* view size when the last EoR came */
	size_t max_len; /* longest message seen */
	struct route *routes;
	size_t n_routes, cap_routes;
};

static struct route *view_find(struct cap *c, const struct prefix *p)
{
	for (size_t i = 0; i < c->n_routes; i++)
		if (prefix_eq(&c->routes[i].p, p))
			return &c->routes[i];
	return NULL;
}

static void view_withdraw(struct cap *c, const struct prefix *p)
{
	c->n_withdrawn++;
	if (c->no_view)
		return;
	struct route *r = view_find(c, p);
	if (r)
		*r = c->routes[--c->n_routes];
}

static void view_announce(struct cap *c, const struct prefix *p,
			  const struct bgp_attrs *a, bool v6)
{
	c->n_announced++;
	if (c->no_view)
		return;
	struct route *r = view_find(c, p);
	if (!r) {
		if (c->n_routes == c->cap_routes) {
			c->cap_routes = c->cap_routes ? c->cap_routes * 2 : 64;
			c->routes = realloc(c->routes,
					    c->cap_routes * sizeof(*r));
			assert_non_null(c->routes);
		}
		r = &c->routes[c->n_routes++];
	}
	memset(r, 0, sizeof(*r));
	r->p = *p;
	aspath_fmt(a, r->path, sizeof(r->path));
	r->nh = v6 ? a->mp_next_hop : a->next_hop;
	r->nh_ll = v6 ? a->mp_next_hop_ll : (struct addr){ 0 };
	r->has_med = a->present & ATTR_BIT(ATTR_MED);
	r->med = a->med;
	r->has_lp = a->present & ATTR_BIT(ATTR_LOCAL_PREF);
	r->n_comm = a->n_communities < 8 ? a->n_communities : 8;
	for (unsigned i = 0; i < r->n_comm; i++) {
		const uint8_t *q = a->communities + 4 * i;
		r->comm[i] = (uint32_t)q[0] << 24 | q[1] << 16 | q[2] << 8 |
			     q[3];
	}
}

static void nlri_apply(struct cap *c, const struct bgp_nlri_block *b,
		       const struct bgp_attrs *a, bool v6)
{
	size_t off = 0;
	struct prefix p;

	while (bgp_nlri_next(b, &off, &p) == 1) {
		if (a)
			view_announce(c, &p, a, v6);
		else
			view_withdraw(c, &p);
	}
}

static void parse_update(struct cap *c, const uint8_t *body, size_t len)
{
	struct bgp_update u;
	struct bgp_notify err;

	memset(&u, 0, sizeof(u));
	assert_int_equal(bgp_update_decode(body, len, &c->caps, &u, &err),
			 UPD_OK);
	c->n_updates++;
	if (u.end_of_rib) {
		c->n_eor++;
		c->routes_at_eor = (unsigned)c->n_routes;
		return;
	}
	nlri_apply(c, &u.withdrawn, NULL, false);
	if (u.has_mp_unreach)
		nlri_apply(c, &u.mp_unreach, NULL, true);
	nlri_apply(c, &u.nlri, &u.attrs, false);
	if (u.has_mp_reach)
		nlri_apply(c, &u.mp_reach, &u.attrs, true);
}

static bool cap_send(void *ctx, struct out_buf *b)
{
	struct cap *c = ctx;
	size_t max = c->caps.ext_message ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
	struct bgp_hdr h;
	struct bgp_notify err;

	c->last = b;
	c->n_bufs++;
	c->bytes += b->len;
	for (size_t off = 0; off < b->len; off += h.len) {
		assert_true(b->len - off >= BGP_HDR_LEN);
		assert_int_equal(bgp_hdr_decode(b->data + off, b->len - off,
						max, &h, &err),
				 0);
		assert_true(h.len <= b->len - off);
		assert_int_equal(h.type, BGP_UPDATE);
		if (h.len > c->max_len)
			c->max_len = h.len;
		parse_update(c, b->data + off + BGP_HDR_LEN,
			     h.len - BGP_HDR_LEN);
	}
	if (c->accept < 0)
		return true;
	if (c->accept > 0)
		c->accept--;
	return c->accept > 0;
}

/* -------------------------------------------------------------- a world */

#define NP 112 /* peers in a world */

struct world {
	struct rib *rib;
	struct exporter *ex;
	struct export_config ecfg;
	struct prefix orig[2];
	uint32_t peer[NP];
	struct cap cap[NP];
	struct export_peer ep[NP];
};

/* Peers 0-2, 6, 7 and 8 up are NVAs; 3 and 5 VPN gateways; 4 an
 * ExpressRoute gateway. */
static uint8_t kind_of(unsigned i)
{
	if (i == 3 || i == 5)
		return PEER_VPN_GATEWAY;
	return i == 4 ? PEER_EXPRESSROUTE_GATEWAY : PEER_NVA;
}

static struct world *world_new(bool b2b, bool transparent, unsigned n_orig)
{
	struct world *w = calloc(1, sizeof(*w));
	struct rib_config rc = { .local_asn = LOCAL_ASN,
				 .routing_pref = PREF_ASPATH,
				 .max_paths = 8 };

	assert_non_null(w);
	w->rib = rib_new(&rc);
	assert_non_null(w->rib);
	for (unsigned i = 0; i < NP; i++) {
		struct rib_peer rp = { .asn = 65001 + i, .kind = kind_of(i) };
		char s[32];
		snprintf(s, sizeof(s), "198.18.%u.%u", 1 + i / 200, 1 + i % 200);
		assert_int_equal(addr_parse(s, &rp.addr), 0);
		w->peer[i] = rib_peer_add(w->rib, &rp);
		w->cap[i].caps = (struct bgp_session_caps){ .as4 = true, .ebgp = true };
		w->cap[i].accept = -1;
	}
	prefix_parse("198.18.0.0/24", &w->orig[0]);
	prefix_parse("2001:db8:100::/48", &w->orig[1]);
	w->ecfg.local_asn = LOCAL_ASN;
	w->ecfg.branch_to_branch = b2b;
	w->ecfg.transparent_as = transparent;
	w->ecfg.n_originated = n_orig;
	w->ecfg.originated = w->orig;
	addr_parse("198.18.0.1", &w->ecfg.next_hop_v4);
	addr_parse("2001:db8::1", &w->ecfg.next_hop_v6);
	w->ex = export_new(w->rib, &w->ecfg);
	assert_non_null(w->ex);
	return w;
}

static void world_free(struct world *w)
{
	export_free(w->ex);
	rib_free(w->rib);
	for (unsigned i = 0; i < NP; i++)
		free(w->cap[i].routes);
	free(w);
}

static void on_change(const struct rentry *e, uint32_t id, void *arg)
{
	export_change(arg, e, id);
}

/* One event-loop turn's worth of work, run to completion. */
static void sync_all(struct world *w)
{
	rib_changes_drain(w->rib, on_change, w->ex);
	export_flush(w->ex);
	while (export_run(w->ex, 1000))
		;
}

static void peer_up_rules(struct world *w, unsigned i,
			  const struct pol_rule *rules, unsigned n)
{
	struct export_peer *p = &w->ep[i];

	p->rib_peer = w->peer[i];
	p->kind = kind_of(i);
	p->asn = 65001 + i;
	p->caps = w->cap[i].caps;
	p->afi_v4 = p->afi_v6 = true;
	p->export_rules = rules;
	p->n_export_rules = n;
	p->send = cap_send;
	p->ctx = &w->cap[i];
	export_peer_up(w->ex, p);
}

static void peer_up(struct world *w, unsigned i)
{
	peer_up_rules(w, i, NULL, 0);
}

/* Announce pfx from peer i with path "65001+i [extra]", next hop nh and
 * optional communities; MED 50 and LOCAL_PREF 100 are always set. */
static void announce(struct world *w, unsigned i, const char *pfx,
		     const char *nh, unsigned extra_hops, const uint32_t *comm,
		     unsigned n_comm)
{
	static struct bgp_attrs a;
	uint32_t path[8] = { 65001 + i, 64600, 64601, 64602, 64603 };
	uint8_t cb[32];
	struct prefix p;

	memset(&a, 0, sizeof(a));
	assert_int_equal(prefix_parse(pfx, &p), 0);
	a.present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		    ATTR_BIT(ATTR_MED) | ATTR_BIT(ATTR_LOCAL_PREF);
	a.origin = ORIGIN_IGP;
	a.med = 50;
	a.local_pref = 100;
	aspath_set_sequence(&a, path, 1 + extra_hops);
	struct addr n;
	assert_int_equal(addr_parse(nh, &n), 0);
	if (n.afi == AFI_IPV4) {
		a.present |= ATTR_BIT(ATTR_NEXT_HOP);
		a.next_hop = n;
	} else {
		a.present |= ATTR_BIT(ATTR_MP_REACH);
		a.mp_afi = AFI_IPV6;
		a.mp_safi = SAFI_UNICAST;
		a.mp_next_hop = n;
		addr_parse("fe80::1", &a.mp_next_hop_ll);
	}
	for (unsigned k = 0; k < n_comm; k++) {
		cb[4 * k] = comm[k] >> 24;
		cb[4 * k + 1] = comm[k] >> 16;
		cb[4 * k + 2] = comm[k] >> 8;
		cb[4 * k + 3] = comm[k];
	}
	if (n_comm) {
		a.present |= ATTR_BIT(ATTR_COMMUNITIES);
		a.n_communities = n_comm;
		a.communities = cb;
	}
	struct rattr *ra = rattr_intern(w->rib, &a);
	assert_non_null(ra);
	rib_announce(w->rib, w->peer[i], &p, ra);
	rattr_unref(w->rib, ra);
}

static void withdraw(struct world *w, unsigned i, const char *pfx)
{
	struct prefix p;

	assert_int_equal(prefix_parse(pfx, &p), 0);
	rib_withdraw(w->rib, w->peer[i], &p);
}

static const struct route *got(struct world *w, unsigned i, const char *pfx)
{
	struct prefix p;

	assert_int_equal(prefix_parse(pfx, &p), 0);
	return view_find(&w->cap[i], &p);
}

static void assert_nh(const struct route *r, const char *nh)
{
	char b[ADDR_STRLEN];

	assert_non_null(r);
	addr_fmt(&r->nh, b, sizeof(b));
	assert_string_equal(b, nh);
}

static void reset_counts(struct world *w)
{
	for (unsigned i = 0; i < NP; i++) {
		struct cap *c = &w->cap[i];
		c->n_bufs = c->n_updates = c->n_announced = 0;
		c->n_withdrawn = c->n_eor = 0;
		c->last = NULL;
	}
}

/* ---------------------------------------------------------------- tests */

/* Gateways -> NVAs, NVAs -> other NVAs, nothing to gateways, never back
 * to the source; AS path prepended, next hop unchanged, MED and
 * LOCAL_PREF not passed on. */
static void test_kind_rules(void **state)
{
	struct world *w = world_new(false, false, 0);

	for (unsigned i = 0; i < 6; i++)
		peer_up(w, i);
	sync_all(w);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(w->cap[i].n_eor, 2); /* v4 and v6 */
	announce(w, 3, "10.1.0.0/16", "198.18.1.4", 0, NULL, 0); /* vpn gw */
	announce(w, 4, "10.4.0.0/16", "198.18.1.5", 0, NULL, 0); /* er gw */
	announce(w, 0, "10.2.0.0/16", "198.18.1.1", 1, NULL, 0); /* nva */
	sync_all(w);
	for (unsigned i = 0; i < 3; i++) {
		const struct route *r = got(w, i, "10.1.0.0/16");
		assert_nh(r, "198.18.1.4");
		assert_string_equal(r->path, "65515 65004");
		assert_false(r->has_med);
		assert_false(r->has_lp);
		assert_nh(got(w, i, "10.4.0.0/16"), "198.18.1.5");
	}
	assert_null(got(w, 0, "10.2.0.0/16")); /* never back to source */
	for (unsigned i = 1; i < 3; i++) {
		const struct route *r = got(w, i, "10.2.0.0/16");
		assert_nh(r, "198.18.1.1");
		assert_string_equal(r->path, "65515 65001 64600");
	}
	for (unsigned i = 3; i < 6; i++) /* gateways: nothing learned */
		assert_int_equal(w->cap[i].n_routes, 0);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 2);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[1]), 3);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[3]), 0);
	world_free(w);
}

/* With branch_to_branch, gateways get routes from gateways and NVAs. */
static void test_branch_to_branch(void **state)
{
	struct world *w = world_new(true, false, 0);

	for (unsigned i = 0; i < 6; i++)
		peer_up(w, i);
	announce(w, 3, "10.1.0.0/16", "198.18.1.4", 0, NULL, 0);
	announce(w, 0, "10.2.0.0/16", "198.18.1.1", 0, NULL, 0);
	sync_all(w);
	assert_null(got(w, 3, "10.1.0.0/16")); /* its own */
	assert_nh(got(w, 3, "10.2.0.0/16"), "198.18.1.1");
	assert_nh(got(w, 4, "10.1.0.0/16"), "198.18.1.4");
	assert_nh(got(w, 4, "10.2.0.0/16"), "198.18.1.1");
	assert_nh(got(w, 5, "10.1.0.0/16"), "198.18.1.4");
	assert_nh(got(w, 1, "10.1.0.0/16"), "198.18.1.4");
	assert_int_equal(export_peer_advertised(w->ex, w->peer[3]), 1);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[5]), 2);
	world_free(w);
}

/* NO_EXPORT and NO_ADVERTISE routes reach no peer. */
static void test_well_known_communities(void **state)
{
	struct world *w = world_new(true, false, 0);
	uint32_t ne = COMMUNITY_NO_EXPORT, na = COMMUNITY_NO_ADVERTISE;
	uint32_t plain = 65001u << 16 | 7;

	for (unsigned i = 0; i < 6; i++)
		peer_up(w, i);
	announce(w, 3, "10.1.0.0/16", "198.18.1.4", 0, &ne, 1);
	announce(w, 3, "10.2.0.0/16", "198.18.1.4", 0, &na, 1);
	announce(w, 3, "10.3.0.0/16", "198.18.1.4", 0, &plain, 1);
	sync_all(w);
	for (unsigned i = 0; i < 6; i++) {
		assert_null(got(w, i, "10.1.0.0/16"));
		assert_null(got(w, i, "10.2.0.0/16"));
	}
	const struct route *r = got(w, 0, "10.3.0.0/16");
	assert_non_null(r);
	assert_int_equal(r->n_comm, 1);
	assert_int_equal(r->comm[0], plain);
	/* a route that gains NO_EXPORT is withdrawn */
	announce(w, 3, "10.3.0.0/16", "198.18.1.4", 0, &ne, 1);
	sync_all(w);
	for (unsigned i = 0; i < 6; i++)
		assert_null(got(w, i, "10.3.0.0/16"));
	assert_int_equal(w->cap[0].n_withdrawn, 1);
	world_free(w);
}

/* transparent_as: no prepend, MED passed on; originated prefixes get an
 * empty AS path then. IPv6: only the global next hop is sent. */
static void test_transparent_and_v6(void **state)
{
	struct world *w = world_new(false, true, 2);

	peer_up(w, 0);
	peer_up(w, 1);
	announce(w, 0, "10.2.0.0/16", "198.18.1.1", 1, NULL, 0);
	announce(w, 0, "2001:db8:2::/48", "2001:db8::11", 0, NULL, 0);
	sync_all(w);
	const struct route *r = got(w, 1, "10.2.0.0/16");
	assert_non_null(r);
	assert_string_equal(r->path, "65001 64600");
	assert_true(r->has_med);
	assert_int_equal(r->med, 50);
	r = got(w, 1, "2001:db8:2::/48");
	assert_nh(r, "2001:db8::11");
	assert_int_equal(r->nh_ll.afi, 0);
	assert_string_equal(r->path, "65001");
	r = got(w, 1, "198.18.0.0/24");
	assert_nh(r, "198.18.0.1");
	assert_string_equal(r->path, "");
	withdraw(w, 0, "2001:db8:2::/48");
	sync_all(w);
	assert_null(got(w, 1, "2001:db8:2::/48"));
	assert_non_null(got(w, 1, "10.2.0.0/16"));
	assert_int_equal(export_peer_advertised(w->ex, w->peer[1]), 3);
	world_free(w);
}

/* Originated prefixes go to every peer, gateways included. */
static void test_originated(void **state)
{
	struct world *w = world_new(false, false, 2);

	for (unsigned i = 0; i < 6; i++)
		peer_up(w, i);
	sync_all(w);
	for (unsigned i = 0; i < 6; i++) {
		const struct route *r = got(w, i, "198.18.0.0/24");
		assert_nh(r, "198.18.0.1");
		assert_string_equal(r->path, "65515");
		r = got(w, i, "2001:db8:100::/48");
		assert_nh(r, "2001:db8::1");
		assert_int_equal(w->cap[i].routes_at_eor, 2);
		assert_int_equal(export_peer_advertised(w->ex, w->peer[i]), 2);
	}
	/* a reload that drops one originated prefix withdraws it */
	w->ecfg.n_originated = 1;
	export_set_config(w->ex, &w->ecfg);
	for (unsigned i = 0; i < 6; i++) {
		assert_non_null(got(w, i, "198.18.0.0/24"));
		assert_null(got(w, i, "2001:db8:100::/48"));
	}
	world_free(w);
}

/* A reload re-evaluates everything: branch_to_branch on sends routes to
 * gateways, transparent_as on re-announces without the prepend, and back. */
static void test_reload(void **state)
{
	struct world *w = world_new(false, false, 0);

	peer_up(w, 0);
	peer_up(w, 3);
	announce(w, 4, "10.4.0.0/16", "198.18.1.5", 0, NULL, 0);
	sync_all(w);
	assert_string_equal(got(w, 0, "10.4.0.0/16")->path, "65515 65005");
	assert_null(got(w, 3, "10.4.0.0/16"));
	w->ecfg.branch_to_branch = true;
	export_set_config(w->ex, &w->ecfg);
	assert_string_equal(got(w, 3, "10.4.0.0/16")->path, "65515 65005");
	w->ecfg.transparent_as = true;
	export_set_config(w->ex, &w->ecfg);
	assert_string_equal(got(w, 0, "10.4.0.0/16")->path, "65005");
	assert_string_equal(got(w, 3, "10.4.0.0/16")->path, "65005");
	w->ecfg.branch_to_branch = false;
	w->ecfg.transparent_as = false;
	reset_counts(w);
	export_set_config(w->ex, &w->ecfg);
	assert_null(got(w, 3, "10.4.0.0/16"));
	assert_int_equal(w->cap[3].n_withdrawn, 1);
	assert_string_equal(got(w, 0, "10.4.0.0/16")->path, "65515 65005");
	assert_int_equal(w->cap[0].n_announced, 1);
	world_free(w);
}

/* Per-peer export rules: deny and modify; different rules, different
 * groups; identical settings share one group and one buffer. */
static void test_filters_and_groups(void **state)
{
	struct world *w = world_new(false, false, 0);
	struct pol_prefix deny_pp = { .le = 24 };
	struct pol_rule deny = { .n_prefixes = 1, .prefixes = &deny_pp,
				 .action = POL_DENY };
	uint32_t addc = 65515u << 16 | 42;
	struct pol_rule setr = { .action = POL_ALLOW, .set_med = true,
				 .med = 77, .n_add_communities = 1,
				 .add_communities = &addc };

	prefix_parse("10.1.0.0/16", &deny_pp.prefix);
	peer_up(w, 0);
	peer_up(w, 1);
	peer_up_rules(w, 2, &deny, 1);
	peer_up_rules(w, 6, &setr, 1);
	assert_int_equal(export_groups(w->ex), 3);
	peer_up(w, 7);
	assert_int_equal(export_groups(w->ex), 3);
	peer_up(w, 3);
	assert_int_equal(export_groups(w->ex), 4);
	sync_all(w);
	reset_counts(w);
	announce(w, 4, "10.1.0.0/16", "198.18.1.5", 0, NULL, 0);
	announce(w, 4, "10.5.0.0/16", "198.18.1.5", 0, NULL, 0);
	sync_all(w);
	/* same group: the very same buffer, encoded once */
	assert_non_null(w->cap[0].last);
	assert_ptr_equal(w->cap[0].last, w->cap[1].last);
	assert_ptr_equal(w->cap[0].last, w->cap[7].last);
	assert_int_equal(w->cap[0].n_bufs, 1);
	assert_int_equal(w->cap[0].n_updates, 1); /* both prefixes packed */
	assert_null(got(w, 2, "10.1.0.0/16"));
	assert_non_null(got(w, 2, "10.5.0.0/16"));
	const struct route *r = got(w, 6, "10.1.0.0/16");
	assert_non_null(r);
	assert_true(r->has_med);
	assert_int_equal(r->med, 77);
	assert_int_equal(r->n_comm, 1);
	assert_int_equal(r->comm[0], addc);
	assert_false(got(w, 0, "10.1.0.0/16")->has_med);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[2]), 1);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[6]), 2);
	export_peer_down(w->ex, w->peer[2]);
	assert_int_equal(export_groups(w->ex), 3);
	world_free(w);
}

/* Encoding capabilities split groups: a 2-octet-AS peer gets AS_TRANS
 * and AS4_PATH (its decoder rebuilds the real path), an extended-message
 * peer gets UPDATEs longer than 4096 bytes. */
static void test_encoding_caps(void **state)
{
	struct world *w = world_new(false, false, 0);
	struct bgp_attrs *a = calloc(1, sizeof(*a));
	uint32_t path[2] = { 65004, 4200000001u };
	struct prefix p;

	w->cap[8].caps.as4 = false;
	w->cap[9].caps.ext_message = true;
	peer_up(w, 0);
	peer_up(w, 8);
	peer_up(w, 9);
	assert_int_equal(export_groups(w->ex), 3);
	sync_all(w); /* groups formed: what follows is incremental */
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		     ATTR_BIT(ATTR_NEXT_HOP);
	aspath_set_sequence(a, path, 2);
	addr_parse("198.18.1.4", &a->next_hop);
	struct rattr *ra = rattr_intern(w->rib, a);
	free(a);
	for (unsigned k = 0; k < 5000; k++) {
		char s[32];
		snprintf(s, sizeof(s), "10.%u.%u.0/24", k / 256, k % 256);
		prefix_parse(s, &p);
		rib_announce(w->rib, w->peer[3], &p, ra);
	}
	rattr_unref(w->rib, ra);
	sync_all(w);
	for (unsigned i = 0; i < 3; i++) {
		unsigned n = i == 0 ? 0 : i == 1 ? 8 : 9;
		const struct route *r = got(w, n, "10.0.7.0/24");
		assert_non_null(r);
		assert_string_equal(r->path, "65515 65004 4200000001");
		assert_int_equal(w->cap[n].n_routes, 5000);
	}
	assert_true(w->cap[0].max_len <= BGP_MAX_LEN);
	assert_true(w->cap[8].max_len <= BGP_MAX_LEN);
	assert_true(w->cap[9].max_len > BGP_MAX_LEN);
	assert_true(w->cap[9].n_updates < w->cap[0].n_updates);
	world_free(w);
}

/* The best path moves from one NVA to another in the same group: the new
 * source gets a withdrawal of its own, the others the new path. */
static void test_best_move(void **state)
{
	struct world *w = world_new(false, false, 0);

	peer_up(w, 0);
	peer_up(w, 1);
	peer_up(w, 2);
	announce(w, 0, "10.9.0.0/16", "198.18.1.1", 2, NULL, 0);
	announce(w, 1, "10.9.0.0/16", "198.18.1.2", 3, NULL, 0);
	sync_all(w);
	assert_null(got(w, 0, "10.9.0.0/16"));
	assert_nh(got(w, 1, "10.9.0.0/16"), "198.18.1.1");
	assert_nh(got(w, 2, "10.9.0.0/16"), "198.18.1.1");
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 0);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[1]), 1);
	/* peer 1 now has the better path: best moves 0 -> 1 */
	reset_counts(w);
	announce(w, 1, "10.9.0.0/16", "198.18.1.2", 1, NULL, 0);
	sync_all(w);
	assert_int_equal(w->cap[1].n_withdrawn, 1);
	assert_int_equal(w->cap[1].n_announced, 0);
	assert_null(got(w, 1, "10.9.0.0/16"));
	const struct route *r = got(w, 0, "10.9.0.0/16");
	assert_nh(r, "198.18.1.2");
	assert_string_equal(r->path, "65515 65002 64600");
	assert_nh(got(w, 2, "10.9.0.0/16"), "198.18.1.2");
	/* one shared block for 0 and 2, its own for the new source */
	assert_ptr_equal(w->cap[0].last, w->cap[2].last);
	assert_int_equal(w->cap[0].n_bufs, 1);
	assert_int_equal(w->cap[1].n_bufs, 1);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 1);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[1]), 0);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[2]), 1);
	/* peer 1 withdraws: back to peer 0's path */
	withdraw(w, 1, "10.9.0.0/16");
	sync_all(w);
	assert_null(got(w, 0, "10.9.0.0/16"));
	assert_nh(got(w, 1, "10.9.0.0/16"), "198.18.1.1");
	assert_nh(got(w, 2, "10.9.0.0/16"), "198.18.1.1");
	/* peer 0 goes too: everyone who had it gets a withdrawal */
	withdraw(w, 0, "10.9.0.0/16");
	sync_all(w);
	for (unsigned i = 0; i < 3; i++) {
		assert_null(got(w, i, "10.9.0.0/16"));
		assert_int_equal(export_peer_advertised(w->ex, w->peer[i]), 0);
	}
	world_free(w);
}

static void load_table(struct world *w, unsigned peer, unsigned n)
{
	char s[32];

	for (unsigned k = 0; k < n; k++) {
		snprintf(s, sizeof(s), "10.%u.%u.0/24", k / 256, k % 256);
		announce(w, peer, s, "198.18.1.4", k % 3, NULL, 0);
	}
}

/* A peer joining a loaded RIB gets it in slices, then End-of-RIB; the
 * second member of the group gets the group's adj-out alone; changes
 * during a dump end consistent. */
static void test_dump_slices(void **state)
{
	struct world *w = world_new(false, false, 0);
	unsigned calls = 0;

	load_table(w, 3, 5000);
	rib_changes_drain(w->rib, on_change, w->ex);
	peer_up(w, 0);
	/* the group's adj-out is computed in slices too; changes meanwhile */
	assert_true(export_run(w->ex, 1000));
	assert_int_equal(w->cap[0].n_bufs, 0);
	withdraw(w, 3, "10.0.5.0/24"); /* already computed */
	withdraw(w, 3, "10.19.0.0/24"); /* not yet */
	announce(w, 3, "10.201.0.0/24", "198.18.1.4", 0, NULL, 0);
	rib_changes_drain(w->rib, on_change, w->ex);
	export_flush(w->ex);
	assert_int_equal(w->cap[0].n_bufs, 0);
	while (export_run(w->ex, 1000)) {
		calls++;
		assert_int_equal(w->cap[0].n_eor, 0);
	}
	assert_true(calls >= 8);
	assert_int_equal(w->cap[0].n_eor, 2);
	assert_int_equal(w->cap[0].routes_at_eor, 4999);
	assert_null(got(w, 0, "10.0.5.0/24"));
	assert_null(got(w, 0, "10.19.0.0/24"));
	assert_non_null(got(w, 0, "10.201.0.0/24"));
	announce(w, 3, "10.0.5.0/24", "198.18.1.4", 0, NULL, 0);
	announce(w, 3, "10.19.0.0/24", "198.18.1.4", 0, NULL, 0);
	withdraw(w, 3, "10.201.0.0/24");
	sync_all(w);
	assert_int_equal(w->cap[0].n_routes, 5000);
	assert_true(w->cap[0].n_bufs >= 5);
	const struct route *r = got(w, 0, "10.3.1.0/24");
	assert_nh(r, "198.18.1.4");
	/* second member: dump to it alone, then consistent under changes */
	reset_counts(w);
	peer_up(w, 1);
	assert_true(export_run(w->ex, 1000));
	char s[32];
	for (unsigned k = 4000; k < 4100; k++) {
		snprintf(s, sizeof(s), "10.%u.%u.0/24", k / 256, k % 256);
		withdraw(w, 3, s);
	}
	for (unsigned k = 0; k < 100; k++) {
		snprintf(s, sizeof(s), "10.200.%u.0/24", k);
		announce(w, 3, s, "198.18.1.4", 0, NULL, 0);
	}
	sync_all(w);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(w->cap[i].n_routes, 5000);
		assert_null(got(w, i, "10.15.160.0/24")); /* k = 4000 */
		assert_non_null(got(w, i, "10.200.99.0/24"));
		assert_int_equal(export_peer_advertised(w->ex, w->peer[i]),
				 5000);
	}
	assert_int_equal(w->cap[1].n_eor, 2);
	assert_int_equal(w->cap[0].n_eor, 0); /* peer 0 saw no dump again */
	world_free(w);
}

/* A peer whose queue is full pauses its dump until writable; incremental
 * updates still reach it. Route refresh sends the family again. */
static void test_backpressure_refresh(void **state)
{
	struct world *w = world_new(false, false, 0);

	load_table(w, 3, 5000);
	rib_changes_drain(w->rib, on_change, w->ex);
	w->cap[0].accept = 2;
	peer_up(w, 0);
	unsigned turns = 0;
	while (export_run(w->ex, 1000))
		turns++;
	assert_true(turns < 10);
	assert_int_equal(w->cap[0].n_bufs, 2);
	assert_true(w->cap[0].n_routes < 5000);
	assert_int_equal(w->cap[0].n_eor, 0);
	announce(w, 3, "10.250.0.0/24", "198.18.1.4", 0, NULL, 0);
	sync_all(w); /* paused: nothing more of the dump */
	assert_non_null(got(w, 0, "10.250.0.0/24"));
	assert_int_equal(w->cap[0].n_eor, 0);
	w->cap[0].accept = -1;
	export_peer_writable(w->ex, w->peer[0]);
	while (export_run(w->ex, 1000))
		;
	assert_int_equal(w->cap[0].n_routes, 5001);
	assert_int_equal(w->cap[0].n_eor, 2);
	/* refresh of IPv4 */
	reset_counts(w);
	export_refresh(w->ex, w->peer[0], AFI_IPV4);
	while (export_run(w->ex, 1000))
		;
	assert_int_equal(w->cap[0].n_announced, 5001);
	assert_int_equal(w->cap[0].n_eor, 1);
	assert_int_equal(w->cap[0].n_routes, 5001);
	world_free(w);
}

/* export_walk_peer lists the adj-RIB-out without the peer's own routes. */
static int walk_count(const struct prefix *p, const struct rattr *a,
		      void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

static void test_walk_and_down(void **state)
{
	struct world *w = world_new(false, false, 1);
	unsigned n = 0;

	peer_up(w, 0);
	peer_up(w, 1);
	announce(w, 0, "10.2.0.0/16", "198.18.1.1", 0, NULL, 0);
	announce(w, 1, "10.3.0.0/16", "198.18.1.2", 0, NULL, 0);
	sync_all(w);
	export_walk_peer(w->ex, w->peer[0], walk_count, &n);
	assert_int_equal(n, 2); /* originated + peer 1's */
	/* peer 1 goes down: its routes leave, peer 0 is told */
	export_peer_down(w->ex, w->peer[1]);
	rib_peer_flush(w->rib, w->peer[1]);
	sync_all(w);
	assert_null(got(w, 0, "10.3.0.0/16"));
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 1);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[1]), 0);
	world_free(w);
}

/* A learned prefix that becomes one of our own (reload) is sent as ours
 * once, and as the learned route again when it stops being ours; a peer
 * that comes up in between gets each prefix once in its dump. */
static void test_originated_moves(void **state)
{
	struct world *w = world_new(false, false, 0);
	unsigned n = 0;

	peer_up(w, 0);
	peer_up(w, 1);
	announce(w, 1, "198.18.0.0/24", "198.18.1.2", 0, NULL, 0);
	sync_all(w);
	assert_string_equal(got(w, 0, "198.18.0.0/24")->path, "65515 65002");
	reset_counts(w);
	w->ecfg.n_originated = 1;
	export_set_config(w->ex, &w->ecfg);
	assert_string_equal(got(w, 0, "198.18.0.0/24")->path, "65515");
	assert_nh(got(w, 1, "198.18.0.0/24"), "198.18.0.1"); /* source too */
	assert_int_equal(w->cap[0].n_announced, 1);
	assert_int_equal(w->cap[0].n_withdrawn, 0);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 1);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[1]), 1);
	/* a change of the learned route sends nothing: ours wins */
	reset_counts(w);
	announce(w, 1, "198.18.0.0/24", "198.18.1.2", 1, NULL, 0);
	sync_all(w);
	assert_int_equal(w->cap[0].n_announced + w->cap[0].n_withdrawn, 0);
	peer_up(w, 2);
	sync_all(w);
	assert_int_equal(w->cap[2].routes_at_eor, 1);
	export_walk_peer(w->ex, w->peer[2], walk_count, &n);
	assert_int_equal(n, 1);
	/* back to learned: the learned route again; the source is told to
	 * drop ours, since it may not get its own route back */
	reset_counts(w);
	w->ecfg.n_originated = 0;
	export_set_config(w->ex, &w->ecfg);
	assert_string_equal(got(w, 0, "198.18.0.0/24")->path,
			    "65515 65002 64600");
	assert_null(got(w, 1, "198.18.0.0/24"));
	assert_int_equal(w->cap[0].n_announced, 1);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 1);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[1]), 0);
	withdraw(w, 1, "198.18.0.0/24");
	sync_all(w);
	assert_null(got(w, 0, "198.18.0.0/24"));
	assert_null(got(w, 2, "198.18.0.0/24"));
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 0);
	world_free(w);
}

/* The adj-RIB-out is kept by loc-RIB entry id, and ids are reused once an
 * entry is freed: a prefix announced where a withdrawn one lived is sent
 * as itself, the withdrawn one is not sent again, and a later dump holds
 * exactly the live prefixes. */
static void test_entry_id_reuse(void **state)
{
	struct world *w = world_new(false, false, 0);
	char s[32];
	unsigned n = 0;

	peer_up(w, 0);
	for (unsigned k = 0; k < 3000; k++) {
		snprintf(s, sizeof(s), "10.%u.%u.0/24", k / 256, k % 256);
		announce(w, 1, s, "198.18.1.2", 0, NULL, 0);
	}
	sync_all(w);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 3000);
	for (unsigned k = 0; k < 3000; k += 2) {
		snprintf(s, sizeof(s), "10.%u.%u.0/24", k / 256, k % 256);
		withdraw(w, 1, s);
	}
	sync_all(w);
	reset_counts(w);
	for (unsigned k = 0; k < 1500; k++) {
		snprintf(s, sizeof(s), "10.200.%u.%u/32", k / 256, k % 256);
		announce(w, 1, s, "198.18.1.2", 0, NULL, 0);
	}
	sync_all(w);
	assert_int_equal(w->cap[0].n_announced, 1500);
	assert_int_equal(w->cap[0].n_withdrawn, 0);
	assert_non_null(got(w, 0, "10.200.5.219/32"));
	assert_null(got(w, 0, "10.0.0.0/24"));
	assert_non_null(got(w, 0, "10.0.1.0/24"));
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 3000);
	peer_up(w, 2);
	sync_all(w);
	assert_int_equal(w->cap[2].routes_at_eor, 3000);
	assert_null(got(w, 2, "10.0.0.0/24"));
	assert_non_null(got(w, 2, "10.200.0.0/32"));
	export_walk_peer(w->ex, w->peer[2], walk_count, &n);
	assert_int_equal(n, 3000);
	world_free(w);
}

/* A change set longer than export's chunk (16k) is exported while it is
 * drained: tens of thousands of withdrawals and new prefixes in one turn,
 * twice (the second time on entry ids freed by the first), all reach the
 * member exactly once, and a new member's dump holds what is left. */
static void announce_range(struct world *w, unsigned i, uint32_t from,
			   uint32_t n, bool on)
{
	char s[32];

	for (uint32_t k = from; k < from + n; k++) {
		snprintf(s, sizeof(s), "%u.%u.%u.0/24", 16 + (k >> 16),
			 (k >> 8) & 255, k & 255);
		if (on)
			announce(w, i, s, "198.18.1.2", 0, NULL, 0);
		else
			withdraw(w, i, s);
	}
}

static void test_long_change_set(void **state)
{
	struct world *w = world_new(false, false, 0);

	w->cap[0].no_view = w->cap[2].no_view = true;
	peer_up(w, 0);
	announce_range(w, 1, 0, 40000, true);
	sync_all(w);
	assert_int_equal(w->cap[0].n_announced, 40000);
	reset_counts(w);
	announce_range(w, 1, 0, 40000, false);
	announce_range(w, 1, 100000, 20000, true);
	sync_all(w);
	assert_int_equal(w->cap[0].n_withdrawn, 40000);
	assert_int_equal(w->cap[0].n_announced, 20000);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 20000);
	reset_counts(w);
	announce_range(w, 1, 100000, 20000, false);
	announce_range(w, 1, 200000, 40000, true);
	sync_all(w);
	assert_int_equal(w->cap[0].n_withdrawn, 20000);
	assert_int_equal(w->cap[0].n_announced, 40000);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 40000);
	peer_up(w, 2);
	sync_all(w);
	assert_int_equal(w->cap[2].n_announced, 40000);
	assert_int_equal(w->cap[2].n_withdrawn, 0);
	assert_true(w->cap[2].n_eor > 0);
	world_free(w);
}

/* Many distinct attribute sets come and go: the exported-attribute cache
 * is swept, and a new set allocated where an old one lived is never
 * mistaken for it. */
static void announce_path(struct world *w, unsigned i, unsigned k,
			  uint32_t tag)
{
	struct bgp_attrs *a = calloc(1, sizeof(*a));
	uint32_t path[3] = { 65001 + i, tag, 100000 + k };
	char s[32];
	struct prefix p;

	assert_non_null(a);
	snprintf(s, sizeof(s), "10.%u.%u.0/24", k / 256, k % 256);
	prefix_parse(s, &p);
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		     ATTR_BIT(ATTR_NEXT_HOP);
	aspath_set_sequence(a, path, 3);
	addr_parse("198.18.1.4", &a->next_hop);
	struct rattr *ra = rattr_intern(w->rib, a);
	rib_announce(w->rib, w->peer[i], &p, ra);
	rattr_unref(w->rib, ra);
	free(a);
}

static void test_attr_cache_churn(void **state)
{
	struct world *w = world_new(false, false, 0);
	char s[32];

	peer_up(w, 0);
	sync_all(w);
	for (uint32_t round = 1; round <= 3; round++) {
		for (unsigned k = 0; k < 6000; k++)
			announce_path(w, 3, k, 64000 + round);
		sync_all(w);
		assert_int_equal(w->cap[0].n_routes, 6000);
		snprintf(s, sizeof(s), "65515 65004 %u 105999", 64000 + round);
		assert_string_equal(got(w, 0, "10.23.111.0/24")->path, s);
		for (unsigned k = 0; k < 6000; k++) {
			snprintf(s, sizeof(s), "10.%u.%u.0/24", k / 256,
				 k % 256);
			withdraw(w, 3, s);
		}
		sync_all(w);
		assert_int_equal(w->cap[0].n_routes, 0);
		assert_int_equal(export_peer_advertised(w->ex, w->peer[0]), 0);
	}
	struct rib_stats st;
	rib_stats(w->rib, &st);
	assert_true(st.attrs < 100); /* the cache let go of them */
	world_free(w);
}

/* With the sweep left to the daemon's idle time, a flush after a mass
 * withdrawal keeps the dead sets (the cache holds them) and says the
 * sweep is due; export_sweep then lets go of them. */
static void test_attr_cache_sweep_later(void **state)
{
	struct world *w = world_new(false, false, 0);
	struct rib_stats st;
	char s[32];

	(void)state;
	export_sweep_later(w->ex, true);
	peer_up(w, 0);
	sync_all(w);
	for (unsigned k = 0; k < 6000; k++)
		announce_path(w, 3, k, 64001);
	sync_all(w);
	assert_int_equal(w->cap[0].n_routes, 6000);
	for (unsigned k = 0; k < 6000; k++) {
		snprintf(s, sizeof(s), "10.%u.%u.0/24", k / 256, k % 256);
		withdraw(w, 3, s);
	}
	sync_all(w);
	assert_int_equal(w->cap[0].n_routes, 0);
	rib_stats(w->rib, &st);
	assert_true(st.attrs >= 6000); /* kept until the sweep */
	assert_true(export_sweep_due(w->ex));
	export_sweep(w->ex);
	assert_false(export_sweep_due(w->ex));
	rib_stats(w->rib, &st);
	assert_true(st.attrs < 100);
	world_free(w);
}

/* ------------------------------------------------------------ measure */

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_N (200u * 1000u)
#else
#define BENCH_N (1000u * 1000u)
#endif

/* CPU time of this process: steadier than wall time on a shared host. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Count whole messages and prefixes of a block without keeping routes. */
static bool bench_send(void *ctx, struct out_buf *b)
{
	struct cap *c = ctx;

	c->n_bufs++;
	c->bytes += b->len;
	for (size_t off = 0; off < b->len;) {
		size_t len = (size_t)b->data[off + 16] << 8 | b->data[off + 17];
		assert_true(len >= BGP_HDR_LEN && off + len <= b->len);
		c->n_updates++;
		off += len;
	}
	return true;
}

static void bench_run(struct world *w, unsigned i, const char *what,
		      double t0)
{
	while (export_run(w->ex, 10000))
		;
	double dt = now_s() - t0;
	struct cap *c = &w->cap[i];
	printf("# export %s: %u prefixes in %.3f s CPU (%.0f/s), %zu bytes in %u "
	       "UPDATEs, %u blocks\n",
	       what, BENCH_N, dt, BENCH_N / dt, c->bytes, c->n_updates,
	       c->n_bufs);
	assert_int_equal(export_peer_advertised(w->ex, w->peer[i]), BENCH_N);
}

/* 1M prefixes from one gateway to one monitor NVA, through the three
 * paths: incremental flush, dump to a new member of a loaded group, and
 * a new group computed from the loc-RIB. Figures go to the TAP output. */
static void test_bench_1m(void **state)
{
	struct world *w = world_new(false, false, 0);
	struct rattr *ra[256];
	struct bgp_attrs *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	for (unsigned k = 0; k < 256; k++) {
		uint32_t path[3] = { 65004, 64512 + k, 64000 };
		memset(a, 0, sizeof(*a));
		a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
			     ATTR_BIT(ATTR_NEXT_HOP);
		aspath_set_sequence(a, path, 3);
		addr_parse("198.18.1.4", &a->next_hop);
		ra[k] = rattr_intern(w->rib, a);
	}
	free(a);
	for (unsigned i = 0; i < 3; i++) {
		w->cap[i].no_view = true;
		w->cap[i].caps.as4 = i != 2; /* peer 2: its own group */
	}
	peer_up(w, 0);
	w->ep[0].send = bench_send;
	export_peer_up(w->ex, &w->ep[0]);
	sync_all(w);
	w->cap[0].bytes = w->cap[0].n_bufs = w->cap[0].n_updates = 0;
	size_t base_bytes = export_bytes(w->ex);

	double t0 = now_s();
	for (uint32_t k = 0; k < BENCH_N; k++) {
		struct prefix p = { .afi = AFI_IPV4, .len = 24 };
		uint32_t v = (16u << 24) + (k << 8);
		p.b[0] = v >> 24;
		p.b[1] = v >> 16;
		p.b[2] = v >> 8;
		rib_announce(w->rib, w->peer[3], &p, ra[(k * 7) % 256]);
	}
	double t1 = now_s();
	printf("# rib: %u prefixes announced in %.3f s\n", BENCH_N, t1 - t0);
	rib_changes_drain(w->rib, on_change, w->ex);
	double t2 = now_s();
	export_flush(w->ex);
	printf("# export change set drained in %.3f s\n", t2 - t1);
	bench_run(w, 0, "incremental flush", t2);
	size_t ex_bytes = export_bytes(w->ex) - base_bytes;
	printf("# export memory: %zu bytes for one group, %.1f bytes/prefix\n",
	       ex_bytes, (double)ex_bytes / BENCH_N);

	w->cap[1].caps.as4 = true;
	peer_up(w, 1);
	w->ep[1].send = bench_send;
	export_peer_up(w->ex, &w->ep[1]);
	bench_run(w, 1, "dump to a new group member", now_s());
	assert_int_equal(export_groups(w->ex), 1);

	peer_up(w, 2);
	w->ep[2].send = bench_send;
	export_peer_up(w->ex, &w->ep[2]);
	assert_int_equal(export_groups(w->ex), 2);
	bench_run(w, 2, "new group from loc-RIB (2-octet AS)", now_s());
	printf("# export memory with two groups: %zu bytes\n",
	       export_bytes(w->ex));
	for (unsigned k = 0; k < 256; k++)
		rattr_unref(w->rib, ra[k]);
	world_free(w);
}

/* n NVAs each announcing per prefixes, all in one update group: each
 * source's prefixes are encoded once and shared by the n - 1 others. */
static void bench_peers(unsigned n, unsigned per)
{
	struct world *w = world_new(false, false, 0);
	struct bgp_attrs *a = calloc(1, sizeof(*a));
	struct rattr *ra[16];

	assert_non_null(a);
	for (unsigned j = 0; j < n; j++) {
		unsigned i = 6 + j;
		w->cap[i].no_view = true;
		peer_up(w, i);
		w->ep[i].send = bench_send;
		export_peer_up(w->ex, &w->ep[i]);
	}
	sync_all(w);
	assert_int_equal(export_groups(w->ex), 1);
	for (unsigned j = 0; j < n; j++) {
		unsigned i = 6 + j;
		for (unsigned k = 0; k < 16; k++) {
			uint32_t path[3] = { 65001 + i, 64512 + k, 64000 };
			memset(a, 0, sizeof(*a));
			a->present = ATTR_BIT(ATTR_ORIGIN) |
				     ATTR_BIT(ATTR_AS_PATH) |
				     ATTR_BIT(ATTR_NEXT_HOP);
			aspath_set_sequence(a, path, 3);
			a->next_hop = rib_peer_get(w->rib, w->peer[i])->addr;
			ra[k] = rattr_intern(w->rib, a);
		}
		for (uint32_t k = 0; k < per; k++) {
			struct prefix p = { .afi = AFI_IPV4, .len = 24 };
			uint32_t v = (16u << 24) + ((j * per + k) << 8);
			p.b[0] = v >> 24;
			p.b[1] = v >> 16;
			p.b[2] = v >> 8;
			rib_announce(w->rib, w->peer[i], &p, ra[k % 16]);
		}
		for (unsigned k = 0; k < 16; k++)
			rattr_unref(w->rib, ra[k]);
	}
	free(a);
	double t0 = now_s();
	rib_changes_drain(w->rib, on_change, w->ex);
	export_flush(w->ex);
	while (export_run(w->ex, 10000))
		;
	double dt = now_s() - t0;
	size_t bytes = 0, sends = 0;
	for (unsigned j = 0; j < n; j++) {
		unsigned i = 6 + j;
		bytes += w->cap[i].bytes;
		sends += w->cap[i].n_bufs;
		assert_int_equal(export_peer_advertised(w->ex, w->peer[i]),
				 (size_t)(n - 1) * per);
	}
	printf("# export %u peers x %u prefixes (one group): %.3f s CPU, "
	       "%zu bytes delivered in %zu shared blocks, adj-out %zu bytes\n",
	       n, per, dt, bytes, sends, export_bytes(w->ex));
	world_free(w);
}

static void test_bench_peers(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
	bench_peers(10, 20000);
	bench_peers(100, 2000);
#else
	bench_peers(10, 100000);
	bench_peers(100, 10000);
#endif
}

/* The adj-RIB-out by entry id keeps sources in 16 bits; a page that meets
 * a peer index 16 bits cannot hold keeps them in full from then on, the
 * sources it had included, and gives that back with the page. */
static void test_adj_tab_sources(void **state)
{
	static struct rattr one = {.refcnt = 1, .id = 1};
	struct rattr *v[2] = {NULL, &one}, *a = &one;
	const struct rattr_ids ids = {.v = v, .n = 2, .cap = 2};
	struct adj_tab t;
	uint32_t src = 0;
	size_t narrow;

	(void)state;
	adj_tab_init(&t, &ids);
	assert_true(adj_tab_set(&t, 1, a, 7));
	assert_true(adj_tab_set(&t, 2, a, ADJ_SRC_NONE));
	assert_true(adj_tab_set(&t, 3, a, 0xfffe));
	narrow = adj_tab_bytes(&t);
	assert_ptr_equal(adj_tab_get(&t, 1, &src), a);
	assert_int_equal(src, 7);
	assert_ptr_equal(adj_tab_get(&t, 2, &src), a);
	assert_int_equal(src, ADJ_SRC_NONE);
	assert_ptr_equal(adj_tab_get(&t, 3, &src), a);
	assert_int_equal(src, 0xfffe);
	assert_int_equal(t.n_wide, 0);
	assert_true(adj_tab_set(&t, 4, a, 0xffff)); /* not ADJ_SRC_NONE */
	assert_true(adj_tab_set(&t, 5, a, 70000));
	assert_int_equal(t.n_wide, 1);
	assert_true(adj_tab_bytes(&t) > narrow);
	const uint32_t want[] = {0, 7, ADJ_SRC_NONE, 0xfffe, 0xffff, 70000};
	for (uint32_t id = 1; id <= 5; id++) {
		assert_ptr_equal(adj_tab_get(&t, id, &src), a);
		assert_int_equal(src, want[id]);
	}
	assert_true(adj_tab_set(&t, 2, a, 9)); /* a wide page stays wide */
	assert_true(adj_tab_get(&t, 2, &src) == a && src == 9);
	assert_true(adj_tab_set(&t, ADJ_PAGE + 1, a, 3)); /* another page */
	assert_true(adj_tab_get(&t, ADJ_PAGE + 1, &src) == a && src == 3);
	assert_int_equal(t.n_wide, 1);
	for (uint32_t id = 1; id <= 5; id++)
		assert_true(adj_tab_set(&t, id, NULL, 0));
	assert_true(adj_tab_set(&t, ADJ_PAGE + 1, NULL, 0));
	assert_int_equal(t.n_alloc, 0);
	assert_int_equal(t.n_wide, 0);
	assert_int_equal(t.n_live, 0);
	adj_tab_free(&t, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_rules),
		cmocka_unit_test(test_branch_to_branch),
		cmocka_unit_test(test_well_known_communities),
		cmocka_unit_test(test_transparent_and_v6),
		cmocka_unit_test(test_originated),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_filters_and_groups),
		cmocka_unit_test(test_encoding_caps),
		cmocka_unit_test(test_best_move),
		cmocka_unit_test(test_dump_slices),
		cmocka_unit_test(test_backpressure_refresh),
		cmocka_unit_test(test_walk_and_down),
		cmocka_unit_test(test_originated_moves),
		cmocka_unit_test(test_entry_id_reuse),
		cmocka_unit_test(test_long_change_set),
		cmocka_unit_test(test_attr_cache_churn),
		cmocka_unit_test(test_attr_cache_sweep_later),
		cmocka_unit_test(test_adj_tab_sources),
		cmocka_unit_test(test_bench_1m),
		cmocka_unit_test(test_bench_peers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
