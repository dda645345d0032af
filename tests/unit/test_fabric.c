/*
 * test_fabric.c - effective routes, precedence, lookups and deltas of the
 * fabric model (DESIGN 1.3), driven by tables over the reference topology
 * of tests/golden/fabric/topo.h and a real loc-RIB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <jansson.h>

#include "../golden/fabric/topo.h"

struct env {
	struct conf_fabric cf;
	struct tb_rib r;
	struct fabric *f;
	uint64_t v0;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256];
	tb_reference(&e->cf);
	e->f = fab_new(&e->cf, 1, err, sizeof(err));
	assert_non_null(e->f);
	tb_rib_new(&e->r);
	tb_announce(&e->r, 0, "198.19.128.0/24", NULL, 0);
	tb_announce(&e->r, 1, "198.19.128.0/24", NULL, 0);
	tb_announce(&e->r, 0, "198.18.200.0/24", NULL, 0);
	tb_announce(&e->r, 0, "198.18.16.0/24", NULL, 0);
	tb_announce(&e->r, 0, "0.0.0.0/0", NULL, 0);
	tb_announce(&e->r, 0, "198.18.208.0/20", NULL, 0);
	tb_announce(&e->r, 0, "10.1.0.0/16", NULL, 0);
	tb_announce(&e->r, 0, "198.19.16.0/22", NULL, 0);
	tb_announce(&e->r, 0, "2001:db8:100::/48", "2001:db8::10", 0);
	tb_announce(&e->r, 0, "2001:db8:a:1::/64", "2001:db8::10", 0);
	e->v0 = tb_sync(&e->r, e->f);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	fab_free(e->f);
	rib_free(e->r.rib);
	tb_free(&e->cf);
	free(e);
	return 0;
}

static uint32_t subnet(struct env *e, const char *name)
{
	int s = fab_subnet_find(e->f, name);
	if (s < 0)
		fail_msg("no subnet %s", name);
	return (uint32_t)s;
}

/* Find an entry by (prefix, source, next-hop type), or NULL. */
static const struct fab_route *find(const struct fab_table *t,
				    const char *prefix, uint8_t src,
				    uint8_t type)
{
	struct prefix p = tb_pfx(prefix);
	for (size_t i = 0; i < t->n; i++)
		if (prefix_eq(&t->routes[i].prefix, &p) &&
		    t->routes[i].source == src && t->routes[i].nh_type == type)
			return &t->routes[i];
	return NULL;
}

static void check_nh(const struct fab_route *r, const char *csv, const char *ctx)
{
	char buf[256], ip[ADDR_STRLEN], *save = NULL;
	size_t n = 0;
	snprintf(buf, sizeof(buf), "%s", csv ? csv : "");
	for (char *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), n++) {
		if (n >= r->n_nh)
			fail_msg("%s: missing next hop %s", ctx, tok);
		addr_fmt(&r->nh[n], ip, sizeof(ip));
		if (strcmp(ip, tok) != 0)
			fail_msg("%s: next hop %zu is %s, want %s", ctx, n, ip, tok);
	}
	if (n != r->n_nh)
		fail_msg("%s: %u next hops, want %zu", ctx, r->n_nh, n);
}

#define ABSENT 9
#define U FAB_SRC_USER
#define G FAB_SRC_GATEWAY
#define D FAB_SRC_DEFAULT
#define A FAB_ACTIVE
#define I FAB_INVALID

struct want {
	const char *subnet, *prefix;
	uint8_t src, type, state, reason;
	const char *nh;
};

static const struct want wants[] = {
	/* UDR > BGP > system on the same prefix */
	{ "spoke-a/app", "0.0.0.0/0", U, NH_VIRTUAL_APPLIANCE, A, 0, "198.18.0.10" },
	{ "spoke-a/app", "0.0.0.0/0", G, NH_VNET_GATEWAY, I, FAB_R_BY_USER, "198.18.0.10" },
	{ "spoke-a/app", "0.0.0.0/0", D, NH_INTERNET, I, FAB_R_BY_USER, NULL },
	{ "spoke-a/app", "198.18.200.0/24", U, NH_VIRTUAL_APPLIANCE, A, 0, "198.18.0.11" },
	{ "spoke-a/app", "198.18.200.0/24", G, NH_VNET_GATEWAY, I, FAB_R_BY_USER, "198.18.0.10" },
	{ "spoke-a/app", "198.18.210.0/24", U, NH_NONE, A, 0, NULL },
	/* system routes */
	{ "spoke-a/app", "198.18.16.0/22", D, NH_VNET_LOCAL, A, 0, NULL },
	{ "spoke-a/app", "198.18.0.0/24", D, NH_VNET_PEERING, A, 0, NULL },
	{ "spoke-a/app", "10.0.0.0/8", D, NH_NONE, A, 0, NULL },
	{ "spoke-a/app", "172.16.0.0/12", D, NH_NONE, A, 0, NULL },
	{ "spoke-a/app", "192.168.0.0/16", D, NH_NONE, A, 0, NULL },
	{ "spoke-a/app", "100.64.0.0/10", D, NH_NONE, A, 0, NULL },
	/* BGP inside the VNet's own space / a peered VNet's space */
	{ "spoke-a/app", "198.18.16.0/24", G, NH_VNET_GATEWAY, I, FAB_R_BGP_IN_VNET, "198.18.0.10" },
	{ "hub/gw", "198.18.16.0/24", G, NH_VNET_GATEWAY, I, FAB_R_BGP_IN_PEER, "198.18.0.10" },
	{ "spoke-c/app", "198.18.16.0/24", G, NH_VNET_GATEWAY, A, 0, "198.18.0.10" },
	{ "spoke-c/app", "10.1.0.0/16", G, NH_VNET_GATEWAY, I, FAB_R_BGP_IN_PEER, "198.18.0.10" },
	/* ECMP: one next-hop IP per member */
	{ "spoke-a/app", "198.19.128.0/24", G, NH_VNET_GATEWAY, A, 0, "198.18.0.10,198.18.0.11" },
	{ "spoke-c/app", "198.19.128.0/24", G, NH_VNET_GATEWAY, A, 0, "198.18.0.10,198.18.0.11" },
	{ "hub/nva", "198.19.128.0/24", G, NH_VNET_GATEWAY, A, 0, "198.18.0.10,198.18.0.11" },
	/* default route from BGP beats the system Internet default */
	{ "spoke-c/app", "0.0.0.0/0", G, NH_VNET_GATEWAY, A, 0, "198.18.0.10" },
	{ "spoke-c/app", "0.0.0.0/0", D, NH_INTERNET, I, FAB_R_BY_GATEWAY, NULL },
	/* reserved ranges that are address space */
	{ "spoke-c/app", "10.0.0.0/8", D, NH_VNET_PEERING, A, 0, NULL },
	{ "spoke-c/app", "10.0.0.0/8", D, NH_NONE, I, FAB_R_RESERVED_IN_PEER, NULL },
	{ "legacy/s", "10.0.0.0/8", D, NH_VNET_LOCAL, A, 0, NULL },
	{ "legacy/s", "10.0.0.0/8", D, NH_NONE, I, FAB_R_RESERVED_IN_VNET, NULL },
	/* who receives BGP routes */
	{ "spoke-a/db", "198.19.128.0/24", G, NH_VNET_GATEWAY, ABSENT, 0, NULL },
	{ "spoke-a/db", "0.0.0.0/0", D, NH_INTERNET, A, 0, NULL },
	{ "spoke-b/app", "198.19.128.0/24", G, NH_VNET_GATEWAY, ABSENT, 0, NULL },
	{ "spoke-b/app", "0.0.0.0/0", D, NH_INTERNET, A, 0, NULL },
	{ "legacy/s", "0.0.0.0/0", G, NH_VNET_GATEWAY, ABSENT, 0, NULL },
	{ "far-spoke/app", "198.19.128.0/24", G, NH_VNET_GATEWAY, ABSENT, 0, NULL },
	{ "hub/gw", "198.18.16.0/22", D, NH_VNET_PEERING, A, 0, NULL },
	{ "hub/gw", "198.19.0.0/24", D, NH_VNET_PEERING, A, 0, NULL },
	{ "hub/gw", "198.18.208.0/20", G, NH_VNET_GATEWAY, A, 0, "198.18.0.10" },
	/* IPv6: ::/0 only where the VNet has IPv6 space */
	{ "spoke-a/app", "::/0", D, NH_INTERNET, A, 0, NULL },
	{ "spoke-a/app", "2001:db8:a::/48", D, NH_VNET_LOCAL, A, 0, NULL },
	{ "spoke-a/app", "2001:db8:100::/48", G, NH_VNET_GATEWAY, A, 0, "2001:db8::10" },
	{ "spoke-a/app", "2001:db8:a:1::/64", G, NH_VNET_GATEWAY, I, FAB_R_BGP_IN_VNET, "2001:db8::10" },
	{ "hub/gw", "2001:db8:a::/48", D, NH_VNET_PEERING, A, 0, NULL },
	{ "hub/gw", "::/0", D, NH_INTERNET, ABSENT, 0, NULL },
	{ "spoke-c/app", "2001:db8:100::/48", G, NH_VNET_GATEWAY, A, 0, "2001:db8::10" },
};

static void test_effective_routes(void **state)
{
	struct env *e = *state;
	char ctx[160];
	for (size_t i = 0; i < sizeof(wants) / sizeof(*wants); i++) {
		const struct want *w = &wants[i];
		struct fab_table t;
		assert_int_equal(fab_subnet_table(e->f, subnet(e, w->subnet), &t),
				 FAB_OK);
		assert_int_equal(t.version, e->v0);
		snprintf(ctx, sizeof(ctx), "case %zu: %s %s %s %s", i, w->subnet,
			 w->prefix, fab_source_name(w->src),
			 fab_nh_type_name(w->type));
		const struct fab_route *r = find(&t, w->prefix, w->src, w->type);
		if (w->state == ABSENT) {
			if (r)
				fail_msg("%s: present, want absent", ctx);
			fab_table_free(&t);
			continue;
		}
		if (!r)
			fail_msg("%s: absent", ctx);
		if (r->state != w->state || r->reason != w->reason)
			fail_msg("%s: state %s reason '%s', want %s '%s'", ctx,
				 fab_state_name(r->state), fab_reason_text(r->reason),
				 fab_state_name(w->state), fab_reason_text(w->reason));
		check_nh(r, w->nh, ctx);
		fab_table_free(&t);
	}
}

/* Every table: sorted by prefix, exactly one Active entry per prefix at
 * most, and it is listed first. */
static void test_table_shape(void **state)
{
	struct env *e = *state;
	for (uint32_t s = 0; s < fab_n_subnets(e->f); s++) {
		struct fab_table t;
		fab_subnet_table(e->f, s, &t);
		assert_true(t.n > 0);
		for (size_t i = 1; i < t.n; i++) {
			int c = prefix_cmp(&t.routes[i - 1].prefix, &t.routes[i].prefix);
			assert_true(c <= 0);
			if (c == 0)
				assert_int_equal(t.routes[i].state, FAB_INVALID);
			if (t.routes[i].state == FAB_INVALID)
				assert_int_not_equal(t.routes[i].reason, FAB_R_NONE);
			if (!fab_subnet_receives_bgp(e->f, s))
				assert_int_not_equal(t.routes[i].source, FAB_SRC_GATEWAY);
		}
		fab_table_free(&t);
	}
}

struct lk {
	const char *subnet, *dst, *prefix;
	uint8_t src, type;
};

static const struct lk lookups[] = {
	{ "spoke-a/app", "198.18.210.1", "198.18.210.0/24", U, NH_NONE },
	{ "spoke-a/app", "198.18.211.1", "198.18.208.0/20", G, NH_VNET_GATEWAY },
	{ "spoke-a/app", "198.19.128.1", "198.19.128.0/24", G, NH_VNET_GATEWAY },
	{ "spoke-a/app", "198.51.100.1", "0.0.0.0/0", U, NH_VIRTUAL_APPLIANCE },
	{ "spoke-a/app", "198.18.200.1", "198.18.200.0/24", U, NH_VIRTUAL_APPLIANCE },
	{ "spoke-a/app", "198.18.16.9", "198.18.16.0/22", D, NH_VNET_LOCAL },
	{ "spoke-c/app", "198.51.100.1", "0.0.0.0/0", G, NH_VNET_GATEWAY },
	{ "spoke-c/app", "198.18.16.9", "198.18.16.0/24", G, NH_VNET_GATEWAY },
	{ "spoke-b/app", "198.51.100.1", "0.0.0.0/0", D, NH_INTERNET },
	{ "spoke-c/app", "10.1.2.3", "10.0.0.0/8", D, NH_VNET_PEERING },
	{ "spoke-b/app", "10.1.2.3", "10.0.0.0/8", D, NH_NONE },
	{ "spoke-a/db", "198.19.128.1", "0.0.0.0/0", D, NH_INTERNET },
	{ "hub/gw", "198.18.16.1", "198.18.16.0/22", D, NH_VNET_PEERING },
	{ "hub/gw", "198.18.0.99", "198.18.0.0/24", D, NH_VNET_LOCAL },
	{ "hub/gw", "198.19.16.4", "198.19.16.0/22", G, NH_VNET_GATEWAY },
	{ "spoke-a/app", "2001:db8:100::1", "2001:db8:100::/48", G, NH_VNET_GATEWAY },
	{ "spoke-a/app", "2001:db8:a:1::1", "2001:db8:a::/48", D, NH_VNET_LOCAL },
	{ "spoke-a/app", "2001:db8:ffff::1", "::/0", D, NH_INTERNET },
	{ "hub/gw", "2001:db8:100::1", "2001:db8:100::/48", G, NH_VNET_GATEWAY },
};

static void test_lookup(void **state)
{
	struct env *e = *state;
	char buf[PREFIX_STRLEN];
	for (size_t i = 0; i < sizeof(lookups) / sizeof(*lookups); i++) {
		const struct lk *l = &lookups[i];
		struct addr a = tb_addr(l->dst);
		struct fab_route r;
		assert_int_equal(fab_lookup(e->f, subnet(e, l->subnet), &a, &r),
				 FAB_OK);
		prefix_fmt(&r.prefix, buf, sizeof(buf));
		if (strcmp(buf, l->prefix) || r.source != l->src ||
		    r.nh_type != l->type)
			fail_msg("lookup %zu %s %s: got %s %s %s", i, l->subnet,
				 l->dst, buf, fab_source_name(r.source),
				 fab_nh_type_name(r.nh_type));
		assert_int_equal(r.state, FAB_ACTIVE);
	}
	/* no IPv6 space, no ::/0 system route: nothing matches */
	struct addr v6 = tb_addr("2001:db8::1");
	struct fab_route r;
	assert_int_equal(fab_lookup(e->f, subnet(e, "spoke-b/app"), &v6, &r),
			 FAB_ENOENT);
}

static void test_model(void **state)
{
	struct env *e = *state;
	struct { const char *vnet; bool receives, remote; } v[] = {
		{ "hub", true, false }, { "spoke-a", true, false },
		{ "spoke-b", false, false }, { "spoke-c", true, false },
		{ "legacy", false, false }, { "far-hub", false, true },
		{ "far-spoke", false, true },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		int x = fab_vnet_find(e->f, v[i].vnet);
		assert_true(x >= 0);
		assert_int_equal(fab_vnet_receives_bgp(e->f, (uint32_t)x), v[i].receives);
		assert_int_equal(fab_vnet_remote(e->f, (uint32_t)x), v[i].remote);
	}
	assert_true(fab_subnet_receives_bgp(e->f, subnet(e, "spoke-a/app")));
	assert_false(fab_subnet_receives_bgp(e->f, subnet(e, "spoke-a/db")));
	assert_int_equal(fab_n_nics(e->f), 10);
	int n = fab_nic_find(e->f, "vm-a1");
	assert_true(n >= 0);
	assert_int_equal(fab_nic_subnet(e->f, (uint32_t)n), subnet(e, "spoke-a/app"));
	struct addr ip = tb_addr("198.18.0.11");
	assert_int_equal(fab_nic_by_ip(e->f, &ip), fab_nic_find(e->f, "nva-2"));
	ip = tb_addr("198.18.0.12");
	assert_int_equal(fab_nic_by_ip(e->f, &ip), -1);
	assert_int_equal(fab_nic_find(e->f, "nope"), -1);
	/* a NIC's table is its subnet's */
	struct fab_table a, b;
	assert_int_equal(fab_nic_table(e->f, "vm-a1", &a), FAB_OK);
	fab_subnet_table(e->f, subnet(e, "spoke-a/app"), &b);
	assert_int_equal(a.n, b.n);
	fab_table_free(&a);
	fab_table_free(&b);
	assert_int_equal(fab_nic_table(e->f, "nope", &a), FAB_ENOENT);
}

static void test_bad_names(void **state)
{
	(void)state;
	struct { int what; const char *msg; } c[] = {
		{ 0, "unknown route table" }, { 1, "bad peering remote" },
		{ 2, "unknown subnet" },
	};
	for (size_t i = 0; i < 3; i++) {
		struct conf_fabric cf;
		char err[256];
		tb_reference(&cf);
		if (c[i].what == 0)
			cf.vnets[1].subnets[0].route_table = "rt-missing";
		else if (c[i].what == 1)
			cf.vnets[2].peerings[0].remote = "nowhere";
		else
			cf.vnets[3].nics[0].subnet = "missing";
		assert_null(fab_new(&cf, 1, err, sizeof(err)));
		assert_non_null(strstr(err, c[i].msg));
		tb_free(&cf);
	}
}

/* ------------------------------------------------------------ deltas */

struct seen {
	uint64_t last;
	int calls;
};

static void watcher(struct fabric *f, uint64_t version, void *arg)
{
	struct seen *s = arg;
	assert_int_equal(version, fab_version(f));
	s->last = version;
	s->calls++;
}

static const struct fab_delta_item *ditem(const struct fab_delta *d,
					  const char *prefix, uint8_t src,
					  uint8_t type)
{
	struct prefix p = tb_pfx(prefix);
	for (size_t i = 0; i < d->n; i++)
		if (prefix_eq(&d->items[i].route.prefix, &p) &&
		    d->items[i].route.source == src &&
		    d->items[i].route.nh_type == type)
			return &d->items[i];
	return NULL;
}

struct dwant {
	const char *subnet;
	size_t n; /* items expected in the delta */
	const char *prefix;
	uint8_t src, type, op, state;
	const char *nh;
};

struct dstep {
	void (*change)(struct env *e);
	struct dwant w[4];
};

static void ch_add(struct env *e) { tb_announce(&e->r, 0, "198.19.129.0/24", NULL, 0); }
static void ch_ecmp(struct env *e) { tb_announce(&e->r, 1, "198.19.129.0/24", NULL, 0); }
static void ch_ecmp_less(struct env *e) { tb_withdraw(&e->r, 0, "198.19.129.0/24"); }
static void ch_del(struct env *e) { tb_withdraw(&e->r, 1, "198.19.129.0/24"); }
static void ch_default(struct env *e) { tb_withdraw(&e->r, 0, "0.0.0.0/0"); }
static void ch_udr_prefix(struct env *e) { tb_withdraw(&e->r, 0, "198.18.200.0/24"); }

static const struct dstep dsteps[] = {
	{ ch_add, {
		{ "spoke-c/app", 1, "198.19.129.0/24", G, NH_VNET_GATEWAY, FAB_OP_ADD, A, "198.18.0.10" },
		{ "spoke-a/app", 1, "198.19.129.0/24", G, NH_VNET_GATEWAY, FAB_OP_ADD, A, "198.18.0.10" },
		{ "spoke-a/db", 0, NULL, 0, 0, 0, 0, NULL },
		{ "spoke-b/app", 0, NULL, 0, 0, 0, 0, NULL } } },
	{ ch_ecmp, {
		{ "spoke-c/app", 1, "198.19.129.0/24", G, NH_VNET_GATEWAY, FAB_OP_CHANGE, A, "198.18.0.10,198.18.0.11" },
		{ "hub/nva", 1, "198.19.129.0/24", G, NH_VNET_GATEWAY, FAB_OP_CHANGE, A, "198.18.0.10,198.18.0.11" } } },
	{ ch_ecmp_less, {
		{ "spoke-c/app", 1, "198.19.129.0/24", G, NH_VNET_GATEWAY, FAB_OP_CHANGE, A, "198.18.0.11" } } },
	{ ch_del, {
		{ "spoke-c/app", 1, "198.19.129.0/24", G, NH_VNET_GATEWAY, FAB_OP_REMOVE, A, "198.18.0.11" },
		{ "far-spoke/app", 0, NULL, 0, 0, 0, 0, NULL } } },
	{ ch_default, {
		{ "spoke-c/app", 2, "0.0.0.0/0", G, NH_VNET_GATEWAY, FAB_OP_REMOVE, A, "198.18.0.10" },
		{ "spoke-c/app", 2, "0.0.0.0/0", D, NH_INTERNET, FAB_OP_CHANGE, A, NULL },
		/* behind a UDR: the BGP entry goes, the Internet one stays Invalid */
		{ "spoke-a/app", 1, "0.0.0.0/0", G, NH_VNET_GATEWAY, FAB_OP_REMOVE, I, "198.18.0.10" } } },
	{ ch_udr_prefix, {
		{ "spoke-a/app", 1, "198.18.200.0/24", G, NH_VNET_GATEWAY, FAB_OP_REMOVE, I, "198.18.0.10" },
		{ "spoke-c/app", 1, "198.18.200.0/24", G, NH_VNET_GATEWAY, FAB_OP_REMOVE, A, "198.18.0.10" } } },
};

static void test_deltas(void **state)
{
	struct env *e = *state;
	struct seen seen = { 0, 0 };
	fab_watch(e->f, watcher, &seen);
	uint64_t v = e->v0;
	char ctx[160];
	for (size_t i = 0; i < sizeof(dsteps) / sizeof(*dsteps); i++) {
		dsteps[i].change(e);
		uint64_t nv = tb_sync(&e->r, e->f);
		assert_int_equal(nv, v + 1);
		assert_int_equal(seen.last, nv);
		for (size_t k = 0; k < 4 && dsteps[i].w[k].subnet; k++) {
			const struct dwant *w = &dsteps[i].w[k];
			struct fab_delta d;
			snprintf(ctx, sizeof(ctx), "step %zu %s", i, w->subnet);
			assert_int_equal(fab_subnet_deltas(e->f, subnet(e, w->subnet),
							   v, &d), FAB_OK);
			assert_int_equal(d.from_version, v);
			assert_int_equal(d.version, nv);
			if (d.n != w->n)
				fail_msg("%s: %zu items, want %zu", ctx, d.n, w->n);
			if (w->prefix) {
				const struct fab_delta_item *it =
					ditem(&d, w->prefix, w->src, w->type);
				if (!it)
					fail_msg("%s: no item for %s", ctx, w->prefix);
				assert_int_equal(it->op, w->op);
				assert_int_equal(it->version, nv);
				assert_int_equal(it->route.state, w->state);
				check_nh(&it->route, w->nh, ctx);
			}
			fab_delta_free(&d);
		}
		v = nv;
	}
	assert_int_equal(seen.calls, (int)(sizeof(dsteps) / sizeof(*dsteps)));
	/* an attribute-only change (MED) moves no next hop: no new version */
	tb_announce(&e->r, 0, "198.19.128.0/24", NULL, 50);
	assert_int_equal(tb_sync(&e->r, e->f), v);
	/* nothing after the current version */
	struct fab_delta d;
	assert_int_equal(fab_subnet_deltas(e->f, subnet(e, "spoke-c/app"), v, &d),
			 FAB_OK);
	assert_int_equal(d.n, 0);
	fab_delta_free(&d);
}

/* Applying every delta since v0 to the table at v0 gives the current one. */
static void apply(struct fab_route *rt, size_t *n, const struct fab_delta_item *it)
{
	size_t k = 0;
	while (k < *n && !(prefix_eq(&rt[k].prefix, &it->route.prefix) &&
			   rt[k].source == it->route.source &&
			   rt[k].nh_type == it->route.nh_type))
		k++;
	if (it->op == FAB_OP_ADD) {
		assert_int_equal(k, *n);
		rt[(*n)++] = it->route;
	} else {
		assert_true(k < *n);
		if (it->op == FAB_OP_CHANGE)
			rt[k] = it->route;
		else
			rt[k] = rt[--*n];
	}
}

static bool same_entry(const struct fab_route *a, const struct fab_route *b)
{
	return prefix_eq(&a->prefix, &b->prefix) && a->source == b->source &&
	       a->nh_type == b->nh_type && a->state == b->state &&
	       a->reason == b->reason && a->n_nh == b->n_nh &&
	       (!a->n_nh || !memcmp(a->nh, b->nh, a->n_nh * sizeof(struct addr)));
}

static void test_deltas_replay(void **state)
{
	struct env *e = *state;
	uint32_t sn[] = { subnet(e, "spoke-a/app"), subnet(e, "spoke-c/app"),
			  subnet(e, "hub/nva"), subnet(e, "spoke-b/app") };
	struct fab_table before[4];
	for (int i = 0; i < 4; i++)
		fab_subnet_table(e->f, sn[i], &before[i]);
	for (size_t i = 0; i < sizeof(dsteps) / sizeof(*dsteps); i++) {
		dsteps[i].change(e);
		tb_sync(&e->r, e->f);
	}
	tb_announce(&e->r, 1, "0.0.0.0/0", NULL, 0);
	tb_announce(&e->r, 1, "198.18.48.0/24", NULL, 0); /* inside spoke-c */
	tb_sync(&e->r, e->f);
	for (int i = 0; i < 4; i++) {
		struct fab_delta d;
		struct fab_table now;
		assert_int_equal(fab_subnet_deltas(e->f, sn[i], e->v0, &d), FAB_OK);
		fab_subnet_table(e->f, sn[i], &now);
		struct fab_route *rt = calloc(before[i].n + d.n + 1, sizeof(*rt));
		size_t n = before[i].n;
		memcpy(rt, before[i].routes, n * sizeof(*rt));
		for (size_t k = 0; k < d.n; k++) {
			if (k)
				assert_true(d.items[k].version >= d.items[k - 1].version);
			apply(rt, &n, &d.items[k]);
		}
		assert_int_equal(n, now.n);
		for (size_t k = 0; k < now.n; k++) {
			size_t j = 0;
			while (j < n && !same_entry(&rt[j], &now.routes[k]))
				j++;
			if (j == n)
				fail_msg("subnet %u entry %zu not reached by deltas",
					 sn[i], k);
		}
		free(rt);
		fab_delta_free(&d);
		fab_table_free(&now);
		fab_table_free(&before[i]);
	}
}

/* fab_subnet_deltas_upto: the same items as fab_subnet_deltas, cut
 * once there are more than max (max 0: whether anything changed). */
static void test_deltas_upto(void **state)
{
	struct env *e = *state;
	uint32_t sn[] = { subnet(e, "spoke-a/app"), subnet(e, "spoke-c/app"),
			  subnet(e, "hub/nva"), subnet(e, "spoke-b/app") };
	for (size_t i = 0; i < sizeof(dsteps) / sizeof(*dsteps); i++) {
		dsteps[i].change(e);
		tb_sync(&e->r, e->f);
	}
	for (int i = 0; i < 4; i++) {
		struct fab_delta all, cut;
		assert_int_equal(fab_subnet_deltas(e->f, sn[i], e->v0, &all), FAB_OK);
		for (size_t max = 0; max <= all.n + 1; max++) {
			assert_int_equal(fab_subnet_deltas_upto(e->f, sn[i], e->v0,
								max, &cut), FAB_OK);
			if (all.n <= max)
				assert_int_equal(cut.n, all.n);
			else
				assert_true(cut.n > max && cut.n <= all.n);
			assert_int_equal(cut.version, all.version);
			for (size_t k = 0; k < cut.n; k++) {
				assert_int_equal(cut.items[k].op, all.items[k].op);
				assert_int_equal(cut.items[k].version,
						 all.items[k].version);
				assert_true(same_entry(&cut.items[k].route,
						       &all.items[k].route));
			}
			fab_delta_free(&cut);
		}
		fab_delta_free(&all);
	}
	struct fab_delta d;
	uint32_t s = sn[0];
	assert_int_equal(fab_subnet_deltas_upto(e->f, s, fab_version(e->f), 0, &d),
			 FAB_OK);
	assert_int_equal(d.n, 0); /* nothing after the current version */
	assert_int_equal(fab_subnet_deltas_upto(e->f, s, fab_version(e->f) + 1,
						0, &d), FAB_ERESYNC);
	assert_int_equal(fab_subnet_deltas_upto(e->f, 9999, e->v0, 0, &d),
			 FAB_ENOENT);
}

static void test_too_old(void **state)
{
	struct env *e = *state;
	uint32_t s = subnet(e, "spoke-c/app");
	struct fab_delta d;
	fab_set_log_limits(e->f, 2, 1000);
	for (size_t i = 0; i < 4; i++) {
		dsteps[i].change(e);
		tb_sync(&e->r, e->f);
	}
	uint64_t v = fab_version(e->f);
	assert_int_equal(v, e->v0 + 4);
	assert_int_equal(fab_log_base(e->f), v - 2);
	assert_int_equal(fab_subnet_deltas(e->f, s, e->v0, &d), FAB_ERESYNC);
	assert_int_equal(fab_subnet_deltas(e->f, s, v - 3, &d), FAB_ERESYNC);
	assert_int_equal(fab_subnet_deltas(e->f, s, v + 1, &d), FAB_ERESYNC);
	assert_int_equal(fab_subnet_deltas(e->f, s, v - 2, &d), FAB_OK);
	assert_int_equal(d.n, 2); /* ECMP shrink, then removal */
	assert_int_equal(d.items[0].version, v - 1);
	assert_int_equal(d.items[1].version, v);
	fab_delta_free(&d);
	assert_int_equal(fab_subnet_deltas(e->f, 9999, v, &d), FAB_ENOENT);
	/* the item bound trims too */
	fab_set_log_limits(e->f, 100, 1);
	assert_int_equal(fab_log_base(e->f), v - 1);
	struct fab_stats st;
	fab_stats(e->f, &st);
	assert_int_equal(st.log_versions, 1);
	assert_int_equal(st.bgp_routes, 9);
	assert_true(st.bytes > 0);
}

static bool same_tables(const struct fab_table *a, const struct fab_table *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct fab_route *x = &a->routes[i], *y = &b->routes[i];
		if (!prefix_eq(&x->prefix, &y->prefix) || x->source != y->source ||
		    x->nh_type != y->nh_type || x->state != y->state ||
		    x->reason != y->reason || x->n_nh != y->n_nh ||
		    (x->n_nh && memcmp(x->nh, y->nh, x->n_nh * sizeof(struct addr))))
			return false;
	}
	return true;
}

/* A new fabric (reload) loaded from the RIB equals the followed one; a
 * reload drops what the RIB no longer has; versions go on. */
static void test_load_rib(void **state)
{
	struct env *e = *state;
	struct fabric *f2 = fab_new(&e->cf, e->v0 + 1, NULL, 0);
	assert_non_null(f2);
	struct addr nh = tb_addr("198.18.0.99");
	struct prefix extra = tb_pfx("198.19.200.0/24");
	fab_change_route(f2, &extra, &nh, 1);
	fab_change_commit(f2);
	assert_int_equal(fab_load_rib(f2, e->r.rib), e->v0 + 3);
	struct fab_delta d;
	assert_int_equal(fab_subnet_deltas(f2, 0, e->v0, &d), FAB_ERESYNC);
	for (uint32_t s = 0; s < fab_n_subnets(e->f); s++) {
		struct fab_table a, b;
		fab_subnet_table(e->f, s, &a);
		fab_subnet_table(f2, s, &b);
		assert_true(same_tables(&a, &b));
		fab_table_free(&a);
		fab_table_free(&b);
	}
	struct fab_table t = { 0 };
	fab_subnet_table_into(f2, subnet(e, "spoke-c/app"), &t);
	size_t n = t.n;
	fab_subnet_table_into(f2, subnet(e, "spoke-b/app"), &t);
	assert_true(t.n < n);
	fab_table_free(&t);
	fab_free(f2);
}

/* ------------------------------------------- bound to the loc-RIB */

/* The env's (unbound) fabric and a bound one, fed the same drains. */
struct pair {
	struct fabric *u, *b;
};

static void feed_both(const struct rentry *e, uint32_t id, void *arg)
{
	struct pair *p = arg;
	fab_rib_change(e, id, p->u);
	fab_rib_change(e, id, p->b);
}

static uint64_t sync_both(struct env *e, struct fabric *b)
{
	struct pair p = { e->f, b };
	fab_change_begin(e->f);
	fab_change_begin(b);
	rib_changes_drain(e->r.rib, feed_both, &p);
	uint64_t v = fab_change_commit(e->f);
	assert_int_equal(fab_change_commit(b), v);
	return v;
}

static struct fabric *bound_fabric(struct env *e)
{
	struct fabric *b = fab_new(&e->cf, 1, NULL, 0);
	assert_non_null(b);
	fab_bind_rib(b, e->r.rib);
	assert_true(fab_bound(b));
	assert_int_equal(fab_load_rib(b, e->r.rib), e->v0);
	return b;
}

/* Every subnet's table, every lookup, the counters: the same. */
static void check_same(struct env *e, struct fabric *b, const char *ctx)
{
	for (uint32_t s = 0; s < fab_n_subnets(e->f); s++) {
		struct fab_table x, y;
		fab_subnet_table(e->f, s, &x);
		fab_subnet_table(b, s, &y);
		if (!same_tables(&x, &y))
			fail_msg("%s: subnet %u tables differ (%zu, %zu)", ctx, s,
				 x.n, y.n);
		fab_table_free(&x);
		fab_table_free(&y);
	}
	for (size_t i = 0; i < sizeof(lookups) / sizeof(*lookups); i++) {
		struct addr a = tb_addr(lookups[i].dst);
		struct fab_route x, y;
		uint32_t s = subnet(e, lookups[i].subnet);
		int rx = fab_lookup(e->f, s, &a, &x), ry = fab_lookup(b, s, &a, &y);
		assert_int_equal(rx, ry);
		if (rx == FAB_OK && !same_entry(&x, &y))
			fail_msg("%s: lookup %zu differs", ctx, i);
	}
	struct fab_stats x, y;
	fab_stats(e->f, &x);
	fab_stats(b, &y);
	assert_int_equal(x.bgp_routes, y.bgp_routes);
	assert_int_equal(x.bgp_next_hops, y.bgp_next_hops);
	assert_int_equal(fab_invalid_next_hops(e->f, NULL),
			 fab_invalid_next_hops(b, NULL));
}

static void check_same_deltas(struct env *e, struct fabric *b, uint64_t since)
{
	for (uint32_t s = 0; s < fab_n_subnets(e->f); s++) {
		struct fab_delta x, y;
		assert_int_equal(fab_subnet_deltas(e->f, s, since, &x), FAB_OK);
		assert_int_equal(fab_subnet_deltas(b, s, since, &y), FAB_OK);
		assert_int_equal(x.n, y.n);
		for (size_t k = 0; k < x.n; k++) {
			assert_int_equal(x.items[k].version, y.items[k].version);
			assert_int_equal(x.items[k].op, y.items[k].op);
			assert_true(same_entry(&x.items[k].route,
					       &y.items[k].route));
		}
		fab_delta_free(&x);
		fab_delta_free(&y);
	}
}

/* A fabric bound to the RIB answers as one that keeps its own copy:
 * after the load, after each change set, and between a change of the RIB
 * and its drain (the committed state, not the RIB's newer one). */
static void test_bound_same(void **state)
{
	struct env *e = *state;
	struct fabric *b = bound_fabric(e);
	check_same(e, b, "after load");
	uint64_t v = e->v0;
	char ctx[64];
	for (size_t i = 0; i < sizeof(dsteps) / sizeof(*dsteps); i++) {
		dsteps[i].change(e);
		snprintf(ctx, sizeof(ctx), "step %zu, not drained", i);
		check_same(e, b, ctx);
		uint64_t nv = sync_both(e, b);
		snprintf(ctx, sizeof(ctx), "step %zu", i);
		check_same(e, b, ctx);
		check_same_deltas(e, b, v);
		v = nv;
	}
	check_same_deltas(e, b, e->v0);
	/* a withdrawal not drained yet: both still hold the route */
	tb_withdraw(&e->r, 0, "198.18.16.0/24");
	check_same(e, b, "withdrawn, not drained");
	struct fab_route r;
	struct addr a = tb_addr("198.18.16.9");
	assert_int_equal(fab_lookup(b, subnet(e, "spoke-c/app"), &a, &r), FAB_OK);
	assert_int_equal(r.source, FAB_SRC_GATEWAY);
	sync_both(e, b);
	check_same(e, b, "withdrawn");
	/* unbinding keeps every route */
	fab_unbind_rib(b);
	assert_false(fab_bound(b));
	check_same(e, b, "unbound");
	fab_free(b);
}

/* A change set of more than max_items prefixes keeps no items: older
 * versions must resync, the full table is right. */
static void test_bound_overflow(void **state)
{
	struct env *e = *state;
	struct fabric *b = bound_fabric(e);
	fab_set_log_limits(b, 100, 4);
	fab_set_log_limits(e->f, 100, 4);
	char p[32];
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "198.19.%d.0/24", 140 + i);
		tb_announce(&e->r, 0, p, NULL, 0);
	}
	uint64_t v = sync_both(e, b);
	assert_int_equal(v, e->v0 + 1);
	struct fabric *fs[2] = { e->f, b };
	for (int k = 0; k < 2; k++) {
		struct fab_delta d;
		struct fab_stats st;
		uint32_t s = subnet(e, "spoke-c/app");
		assert_int_equal(fab_log_base(fs[k]), v);
		assert_int_equal(fab_subnet_deltas(fs[k], s, e->v0, &d),
				 FAB_ERESYNC);
		assert_int_equal(fab_subnet_deltas(fs[k], s, v, &d), FAB_OK);
		assert_int_equal(d.n, 0);
		fab_delta_free(&d);
		fab_stats(fs[k], &st);
		assert_int_equal(st.log_items, 0);
		assert_int_equal(st.bgp_routes, 14);
	}
	/* the tables against a fabric loaded afresh (no log involved) */
	struct fabric *ref = fab_new(&e->cf, 1, NULL, 0);
	fab_load_rib(ref, e->r.rib);
	for (uint32_t s = 0; s < fab_n_subnets(b); s++) {
		struct fab_table x, y;
		fab_subnet_table(ref, s, &x);
		fab_subnet_table(b, s, &y);
		assert_true(same_tables(&x, &y));
		fab_table_free(&x);
		fab_table_free(&y);
	}
	fab_free(ref);
	/* a small change set after it is a delta again */
	tb_withdraw(&e->r, 0, "198.19.140.0/24");
	assert_int_equal(sync_both(e, b), v + 1);
	check_same_deltas(e, b, v);
	check_same(e, b, "after the resync point");
	fab_free(b);
}

/* An entry id the RIB frees and gives to another prefix carries nothing
 * of the old route into the new one. */
static void test_bound_id_reuse(void **state)
{
	struct env *e = *state;
	struct fabric *b = bound_fabric(e);
	struct prefix old = tb_pfx("198.18.16.0/24");
	struct prefix nw = tb_pfx("198.19.150.0/24");
	uint32_t id = rib_entry_id(e->r.rib, &old);
	assert_true(id != 0);
	tb_withdraw(&e->r, 0, "198.18.16.0/24");
	sync_both(e, b);
	tb_announce(&e->r, 1, "198.19.150.0/24", NULL, 0);
	assert_int_equal(rib_entry_id(e->r.rib, &nw), id); /* reused */
	/* not drained yet: the fabric has no route there */
	check_same(e, b, "reused id, not drained");
	struct fab_table t;
	fab_subnet_table(b, subnet(e, "spoke-c/app"), &t);
	for (size_t i = 0; i < t.n; i++)
		assert_false(prefix_eq(&t.routes[i].prefix, &nw) ||
			     prefix_eq(&t.routes[i].prefix, &old));
	fab_table_free(&t);
	sync_both(e, b);
	check_same(e, b, "reused id");
	const struct fab_route *r;
	fab_subnet_table(b, subnet(e, "spoke-c/app"), &t);
	r = find(&t, "198.19.150.0/24", G, NH_VNET_GATEWAY);
	assert_non_null(r);
	check_nh(r, "198.18.0.11", "reused id");
	fab_table_free(&t);
	fab_free(b);
}

/* The DESIGN example, through the configuration loader. */
static void test_conf_example(void **state)
{
	(void)state;
	char *path = NULL;
	const char *top = getenv("PHAROS_TOP");
	if (asprintf(&path, "%s/tests/golden/fabric/design-example.yaml",
		     top ? top : ".") < 0)
		abort();
	struct conf *c = conf_load(path, stderr);
	free(path);
	assert_non_null(c);
	char err[256];
	struct fabric *f = fab_new(&c->fabric, 1, err, sizeof(err));
	assert_non_null(f);
	assert_true(fab_keeps_bgp(f));
	struct addr nh = tb_addr("198.18.0.10");
	struct prefix p = tb_pfx("198.19.128.0/24");
	fab_change_route(f, &p, &nh, 1);
	assert_int_equal(fab_change_commit(f), 2);
	struct fab_table t;
	assert_int_equal(fab_nic_table(f, "vm-a1", &t), FAB_OK);
	const struct fab_route *r = find(&t, "0.0.0.0/0", U, NH_VIRTUAL_APPLIANCE);
	assert_non_null(r);
	assert_int_equal(r->state, FAB_ACTIVE);
	check_nh(r, "198.18.0.10", "udr");
	assert_non_null(find(&t, "198.18.0.0/24", D, NH_VNET_PEERING));
	r = find(&t, "198.19.128.0/24", G, NH_VNET_GATEWAY);
	assert_non_null(r);
	assert_int_equal(r->state, FAB_ACTIVE);
	fab_table_free(&t);
	struct fab_trace *tr = malloc(sizeof(*tr));
	struct addr dst = tb_addr("198.19.128.1");
	assert_int_equal(fab_trace(f, (uint32_t)fab_nic_find(f, "vm-a1"), &dst, tr),
			 FAB_OK);
	assert_int_equal(tr->result, FAB_LEFT_FABRIC);
	assert_int_equal(tr->n_hops, 2);
	assert_string_equal(tr->hops[1].at, "nva-1");
	free(tr);
	fab_free(f);
	conf_free(c);
}

/* With no subnet that receives BGP routes the fabric keeps no copy of
 * the BGP table: changes are ignored and the version does not move. */
static void test_no_bgp_subnets(void **state)
{
	(void)state;
	struct conf_fabric cf;
	char err[256];

	memset(&cf, 0, sizeof(cf));
	struct fabric *f = fab_new(&cf, 1, err, sizeof(err));
	assert_non_null(f);
	assert_false(fab_keeps_bgp(f));
	uint64_t v = fab_version(f);
	struct addr nh = tb_addr("198.18.0.10");
	struct prefix p = tb_pfx("198.19.128.0/24");
	fab_change_begin(f);
	fab_change_route(f, &p, &nh, 1);
	assert_int_equal(fab_change_commit(f), v);
	struct fab_stats st;
	fab_stats(f, &st);
	assert_int_equal(st.bgp_routes, 0);
	fab_free(f);
}

/* -------------------------------------------------------------- JSON */

static char *golden_path(const char *name)
{
	const char *top = getenv("PHAROS_TOP");
	char *p = NULL;
	if (asprintf(&p, "%s/tests/golden/fabric/%s", top ? top : ".", name) < 0)
		abort();
	return p;
}

static void check_golden(json_t *got, const char *name)
{
	char *path = golden_path(name);
	if (getenv("PHAROS_GOLDEN_UPDATE"))
		json_dump_file(got, path, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_error_t jerr;
	json_t *want = json_load_file(path, 0, &jerr);
	if (!want)
		fail_msg("%s: %s", path, jerr.text);
	if (!json_equal(got, want)) {
		char *s = json_dumps(got, JSON_INDENT(2) | JSON_SORT_KEYS);
		fail_msg("%s differs; got:\n%s", path, s);
	}
	json_decref(want);
	free(path);
}

static void test_json(void **state)
{
	struct env *e = *state;
	struct fab_table t;
	uint32_t s = subnet(e, "spoke-a/app");
	fab_subnet_table(e->f, s, &t);
	json_t *j = fab_table_json(e->f, s, &t);
	json_t *routes = json_object_get(j, "routes");
	assert_int_equal(json_array_size(routes), t.n);
	for (size_t i = 0; i < t.n; i++) {
		json_t *r = json_array_get(routes, i);
		const char *keys[] = { "source", "state", "prefix", "next_hop_type" };
		for (int k = 0; k < 4; k++)
			assert_true(json_is_string(json_object_get(r, keys[k])));
		assert_true(json_is_array(json_object_get(r, "next_hop_ips")));
		bool invalid = !strcmp(json_string_value(json_object_get(r, "state")),
				       "Invalid");
		assert_int_equal(invalid, json_object_get(r, "reason") != NULL);
	}
	check_golden(j, "spoke-a-app.json");
	json_decref(j);
	fab_table_free(&t);

	tb_announce(&e->r, 0, "198.19.129.0/24", NULL, 0);
	tb_sync(&e->r, e->f);
	struct fab_delta d;
	s = subnet(e, "spoke-c/app");
	fab_subnet_deltas(e->f, s, e->v0, &d);
	j = fab_delta_json(e->f, s, &d);
	check_golden(j, "spoke-c-delta.json");
	json_decref(j);
	fab_delta_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_effective_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model, setup, teardown),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test_setup_teardown(test_deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deltas_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deltas_upto, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_rib, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_id_reuse, setup, teardown),
		cmocka_unit_test(test_conf_example),
		cmocka_unit_test(test_no_bgp_subnets),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
