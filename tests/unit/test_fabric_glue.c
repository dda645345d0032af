/*
 * test_fabric_glue.c - the live fabric (fabric/fab_live.c):
 * built from the configuration, fed one loc-RIB change set per turn and
 * committed once, latency recorded only for commits that bump the
 * version, listeners told about each version and about a rebuild,
 * agents' acks kept per agent and subnet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/daemon.h"
#include "fabric/live.h"
#include "fabric/fabric.h"

static const char yaml[] =
	"route_server: {router_id: 198.18.0.1}\n"
	"fabric:\n"
	"  vnets:\n"
	"    - name: hub\n"
	"      hub: true\n"
	"      address_space: [198.18.0.0/24]\n"
	"      subnets: [{name: nva, prefix: 198.18.0.0/27}]\n"
	"      nics: [{name: nva-1, subnet: nva, ip: 198.18.0.10}]\n"
	"    - name: spoke\n"
	"      address_space: [198.19.1.0/24]\n"
	"      peerings: [{remote: hub, use_remote_gateways: true}]\n"
	"      subnets: [{name: app, prefix: 198.19.1.0/26}]\n"
	"      nics: [{name: vm-1, subnet: app, ip: 198.19.1.4}]\n";

struct heard {
	unsigned calls, rebuilt;
	uint64_t version;
};

static void listener(void *arg, uint64_t version, bool rebuilt)
{
	struct heard *h = arg;
	h->calls++;
	h->rebuilt += rebuilt;
	h->version = version;
}

static struct bgp_attrs *attrs(unsigned hops, const char *nh)
{
	static struct bgp_attrs a;
	memset(&a, 0, sizeof(a));
	a.present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		    ATTR_BIT(ATTR_NEXT_HOP);
	a.aspath[0] = AS_SEQUENCE;
	a.aspath[1] = (uint8_t)hops;
	for (unsigned i = 0; i < hops; i++)
		a.aspath[5 + 4 * i] = (uint8_t)(1 + i);
	a.aspath_len = (uint16_t)(2 + 4 * hops);
	assert_int_equal(addr_parse(nh, &a.next_hop), 0);
	return &a;
}

static void change_cb(const struct rentry *e, uint32_t id, void *arg)
{
	struct daemon *d = arg;

	fabric_turn_change(d->fglue, e, id);
}

/* One loop turn: drain the RIB's change set into the fabric. */
static void turn(struct daemon *d)
{
	fabric_turn_begin(d->fglue);
	rib_changes_drain(d->rib, change_cb, d);
	fabric_turn_commit(d->fglue);
}

static void announce(struct daemon *d, uint32_t peer, const char *pfx,
		     unsigned hops, const char *nh)
{
	struct prefix p;
	struct rattr *ra = rattr_intern(d->rib, attrs(hops, nh));
	assert_int_equal(prefix_parse(pfx, &p), 0);
	assert_true(rib_announce(d->rib, peer, &p, ra) >= 0);
	rattr_unref(d->rib, ra);
}

static size_t bgp_routes(struct daemon *d, const char *subnet)
{
	struct fab_table t = {0};
	size_t n = 0;
	int si = fab_subnet_find(fabric_live_fabric(d->fglue), subnet);
	assert_true(si >= 0);
	assert_int_equal(fab_subnet_table(fabric_live_fabric(d->fglue), (uint32_t)si, &t), 0);
	for (size_t i = 0; i < t.n; i++)
		n += t.routes[i].source == FAB_SRC_GATEWAY;
	fab_table_free(&t);
	return n;
}

static void setup(struct daemon *d)
{
	struct rib_config rc = {.local_asn = 65515, .max_paths = 8};
	memset(d, 0, sizeof(*d));
	d->conf = conf_load_string("t.yaml", yaml, stderr);
	assert_non_null(d->conf);
	log_init(&d->log, PLOG_ERR, stderr);
	d->loop = ev_loop_new(EVFLAG_AUTO);
	d->rib = rib_new(&rc);
	assert_non_null(d->rib);
	d->fglue = fabric_live_new(&d->conf->fabric, d->rib, d->loop, &d->log);
	assert_non_null(d->fglue);
}

static void teardown(struct daemon *d)
{
	fabric_live_free(d->fglue);
	d->fglue = NULL;
	assert_null(fabric_live_fabric(d->fglue));
	rib_free(d->rib);
	ev_loop_destroy(d->loop);
	conf_free(d->conf);
}

static void test_turns_and_latency(void **state)
{
	struct daemon d;
	struct heard h = {0};
	struct rib_peer rp = {.asn = 65001, .kind = PEER_NVA};
	uint64_t v0;

	setup(&d);
	v0 = fabric_live_prog(d.fglue)->version;
	assert_int_equal(v0, fab_version(fabric_live_fabric(d.fglue)));
	assert_int_equal(fabric_live_prog(d.fglue)->commits, 0);
	assert_true(fabric_listen(d.fglue, listener, &h) >= 0);
	assert_int_equal(addr_parse("198.18.0.10", &rp.addr), 0);
	uint32_t peer = rib_peer_add(d.rib, &rp);

	/* A new route: one version, one commit, the listener hears it. */
	announce(&d, peer, "198.19.200.0/24", 1, "198.18.0.10");
	announce(&d, peer, "198.19.201.0/24", 1, "198.18.0.10");
	turn(&d);
	const struct fabric_prog *fp = fabric_live_prog(d.fglue);
	assert_int_equal(fp->version, v0 + 1);
	assert_int_equal(fp->commits, 1);
	assert_true(fp->last_s >= 0 && fp->max_s >= fp->last_s);
	assert_int_equal(fp->bucket[FABRIC_LAT_BUCKETS - 1], 1);
	assert_true(fp->committed_at > 0);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.version, v0 + 1);
	assert_int_equal(bgp_routes(&d, "spoke/app"), 2);

	/* Same next hop, longer AS path: no new version, no commit. */
	announce(&d, peer, "198.19.200.0/24", 3, "198.18.0.10");
	turn(&d);
	assert_int_equal(fp->version, v0 + 1);
	assert_int_equal(fp->commits, 1);
	assert_int_equal(h.calls, 1);

	/* An empty turn commits nothing either. */
	turn(&d);
	assert_int_equal(fp->commits, 1);

	/* A withdrawal is the next version. */
	struct prefix p;
	assert_int_equal(prefix_parse("198.19.201.0/24", &p), 0);
	assert_int_equal(rib_withdraw(d.rib, peer, &p), 1);
	turn(&d);
	assert_int_equal(fp->version, v0 + 2);
	assert_int_equal(fp->commits, 2);
	assert_int_equal(h.calls, 2);
	assert_int_equal(bgp_routes(&d, "spoke/app"), 1);

	/* Changes outside a turn are not taken. */
	fabric_turn_commit(d.fglue);
	assert_int_equal(fp->commits, 2);
	teardown(&d);
}

static void test_rebuild_and_listeners(void **state)
{
	struct daemon d;
	struct heard h = {0}, h2 = {0};
	struct rib_peer rp = {.asn = 65001, .kind = PEER_NVA};
	char err[256];
	int id;

	setup(&d);
	id = fabric_listen(d.fglue, listener, &h);
	assert_true(fabric_listen(d.fglue, listener, &h2) >= 0);
	assert_int_equal(addr_parse("198.18.0.10", &rp.addr), 0);
	uint32_t peer = rib_peer_add(d.rib, &rp);
	announce(&d, peer, "198.19.200.0/24", 1, "198.18.0.10");
	turn(&d);
	uint64_t v = fab_version(fabric_live_fabric(d.fglue));

	/* A rebuild starts after the old version and keeps the routes. */
	assert_int_equal(fabric_live_rebuild(d.fglue, d.conf, err, sizeof(err)), 0);
	assert_true(fab_version(fabric_live_fabric(d.fglue)) > v);
	assert_int_equal(fabric_live_prog(d.fglue)->version,
			 fab_version(fabric_live_fabric(d.fglue)));
	assert_int_equal(h.rebuilt, 1);
	assert_int_equal(h2.rebuilt, 1);
	assert_int_equal(bgp_routes(&d, "spoke/app"), 1);

	/* An unlistened callback hears nothing more. */
	fabric_unlisten(d.fglue, id);
	rib_peer_flush(d.rib, peer);
	turn(&d);
	assert_int_equal(h.calls, 2); /* the first turn and the rebuild */
	assert_int_equal(h2.calls, 3);
	assert_int_equal(bgp_routes(&d, "spoke/app"), 0);
	teardown(&d);
}

static void test_agents(void **state)
{
	struct daemon d;
	const struct fabric_agent *a;
	size_t n;

	setup(&d);
	a = fabric_agents(d.fglue, &n);
	assert_int_equal(n, 0);
	assert_int_equal(fabric_agent_ack(d.fglue, "host-1", "spoke/app", 3, 0, NULL), 0);
	assert_int_equal(fabric_agent_ack(d.fglue, "host-1", "spoke/app", 5, 0, NULL), 0);
	assert_int_equal(fabric_agent_ack(d.fglue, "host-1", "hub/nva", 4, 0, NULL), 0);
	assert_int_equal(fabric_agent_ack(d.fglue, "host-2", "spoke/app", 5, 0, NULL), 0);
	a = fabric_agents(d.fglue, &n);
	assert_int_equal(n, 3);
	assert_string_equal(a[0].agent, "host-1");
	assert_string_equal(a[0].subnet, "spoke/app");
	assert_int_equal(a[0].version, 5);
	assert_true(a[0].acked_at > 0);
	assert_string_equal(a[1].subnet, "hub/nva");
	assert_int_equal(a[1].version, 4);
	assert_int_equal(a[0].failed, 0);
	/* An ack that says some routes failed keeps the count and a clean
	 * copy of the first error; the next clean ack clears them. */
	assert_int_equal(fabric_agent_ack(d.fglue, "host-1", "spoke/app", 6, 10,
					  "RTNETLINK: No route\x1b[31m"), 0);
	a = fabric_agents(d.fglue, &n);
	assert_int_equal(a[0].failed, 10);
	assert_string_equal(a[0].error, "RTNETLINK: No route?[31m");
	assert_int_equal(fabric_agent_ack(d.fglue, "host-1", "spoke/app", 7, 0, NULL), 0);
	assert_int_equal(a[0].failed, 0);
	assert_string_equal(a[0].error, "");
	teardown(&d);
	/* Without a fabric there is nothing to record. */
	assert_int_equal(fabric_agent_ack(d.fglue, "host-1", "spoke/app", 1, 0, NULL), -1);
	assert_null(fabric_live_prog(d.fglue));
}

static void test_bounds(void **state)
{
	for (unsigned i = 1; i < FABRIC_LAT_BUCKETS; i++)
		assert_true(fabric_lat_bound(i) > fabric_lat_bound(i - 1));
	assert_true(fabric_lat_bound(0) > 0);
	assert_true(fabric_lat_bound(FABRIC_LAT_BUCKETS) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_turns_and_latency),
		cmocka_unit_test(test_rebuild_and_listeners),
		cmocka_unit_test(test_agents),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
