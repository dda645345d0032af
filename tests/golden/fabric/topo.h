/*
 * topo.h - the test fabric shared by tests/unit/test_fabric.c and
 * tests/unit/test_trace.c: a small builder for struct conf_fabric and a
 * loc-RIB feeder, plus the reference topology both tests use.
 *
 *   hub (westeurope, hub: true) 198.18.0.0/24
 *     nva 198.18.0.0/26 [rt-nva]: nva-1 .10, nva-2 .11
 *     gw  198.18.0.64/26: vm-h1 .70
 *   spoke-a 198.18.16.0/22 + 2001:db8:a::/48 <-> hub, use_remote_gateways
 *     app 198.18.16.0/24 [rt-app]: vm-a1 .4
 *     db  198.18.17.0/24 [rt-nobgp: propagate_gateway_routes false]: vm-a2
 *   spoke-b 198.18.32.0/22 <-> hub, no use_remote_gateways: vm-b1
 *   spoke-c 198.18.48.0/22 <-> hub, use_remote_gateways: vm-c1
 *   legacy 10.0.0.0/8 <-> spoke-c (a reserved range as address space)
 *   far-hub (northeurope) 198.19.0.0/24 <-> hub (global peering)
 *   far-spoke (northeurope) 198.19.16.0/22 <-> far-hub: vm-f1
 */
#ifndef PHAROS_TEST_FABRIC_TOPO_H
#define PHAROS_TEST_FABRIC_TOPO_H

#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "fabric/fabric.h"
#include "rib/rib.h"

#define TB_MAX 16
#define TB_UNUSED __attribute__((unused))

static TB_UNUSED struct prefix tb_pfx(const char *s)
{
	struct prefix p;
	if (prefix_parse(s, &p) != 0)
		abort();
	return p;
}

static TB_UNUSED struct addr tb_addr(const char *s)
{
	struct addr a;
	if (addr_parse(s, &a) != 0)
		abort();
	return a;
}

static TB_UNUSED void tb_init(struct conf_fabric *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->vnets = calloc(TB_MAX, sizeof(*cf->vnets));
	cf->route_tables = calloc(TB_MAX, sizeof(*cf->route_tables));
}

static TB_UNUSED struct conf_vnet *tb_vnet(struct conf_fabric *cf,
					   const char *name, const char *region,
					   bool hub, const char *space)
{
	struct conf_vnet *v = &cf->vnets[cf->n_vnets++];
	v->name = (char *)name;
	v->region = (char *)region;
	v->hub = hub;
	v->address_space = calloc(TB_MAX, sizeof(struct prefix));
	v->subnets = calloc(TB_MAX, sizeof(struct conf_subnet));
	v->nics = calloc(TB_MAX, sizeof(struct conf_nic));
	v->peerings = calloc(TB_MAX, sizeof(struct conf_peering));
	v->address_space[v->n_address_space++] = tb_pfx(space);
	return v;
}

static TB_UNUSED void tb_subnet(struct conf_vnet *v, const char *name,
				const char *prefix, const char *rt)
{
	struct conf_subnet *s = &v->subnets[v->n_subnets++];
	s->name = (char *)name;
	s->prefix = tb_pfx(prefix);
	s->route_table = (char *)rt;
}

static TB_UNUSED void tb_nic(struct conf_vnet *v, const char *name,
			     const char *subnet, const char *ip)
{
	struct conf_nic *n = &v->nics[v->n_nics++];
	n->name = (char *)name;
	n->subnet = (char *)subnet;
	n->ip = tb_addr(ip);
}

static TB_UNUSED void tb_peer(struct conf_vnet *v, const char *remote,
			      bool use_remote_gateways)
{
	struct conf_peering *p = &v->peerings[v->n_peerings++];
	p->remote = (char *)remote;
	p->use_remote_gateways = use_remote_gateways;
}

static TB_UNUSED struct conf_route_table *tb_rt(struct conf_fabric *cf,
						const char *name, bool propagate)
{
	struct conf_route_table *rt = &cf->route_tables[cf->n_route_tables++];
	rt->name = (char *)name;
	rt->propagate_gateway_routes = propagate;
	rt->routes = calloc(TB_MAX, sizeof(struct conf_udr));
	return rt;
}

static TB_UNUSED void tb_udr(struct conf_route_table *rt, const char *prefix,
			     uint8_t type, const char *ip)
{
	struct conf_udr *u = &rt->routes[rt->n_routes++];
	u->prefix = tb_pfx(prefix);
	u->next_hop_type = type;
	if (ip)
		u->next_hop_ip = tb_addr(ip);
}

static TB_UNUSED void tb_free(struct conf_fabric *cf)
{
	for (unsigned i = 0; i < cf->n_vnets; i++) {
		free(cf->vnets[i].address_space);
		free(cf->vnets[i].subnets);
		free(cf->vnets[i].nics);
		free(cf->vnets[i].peerings);
	}
	for (unsigned i = 0; i < cf->n_route_tables; i++)
		free(cf->route_tables[i].routes);
	free(cf->vnets);
	free(cf->route_tables);
}

/* The reference topology of the comment above. */
static TB_UNUSED void tb_reference(struct conf_fabric *cf)
{
	tb_init(cf);
	struct conf_vnet *v = tb_vnet(cf, "hub", "westeurope", true,
				      "198.18.0.0/24");
	tb_subnet(v, "nva", "198.18.0.0/26", "rt-nva");
	tb_subnet(v, "gw", "198.18.0.64/26", NULL);
	tb_nic(v, "nva-1", "nva", "198.18.0.10");
	tb_nic(v, "nva-2", "nva", "198.18.0.11");
	tb_nic(v, "vm-h1", "gw", "198.18.0.70");
	v = tb_vnet(cf, "spoke-a", "westeurope", false, "198.18.16.0/22");
	v->address_space[v->n_address_space++] = tb_pfx("2001:db8:a::/48");
	tb_peer(v, "hub", true);
	tb_subnet(v, "app", "198.18.16.0/24", "rt-app");
	tb_subnet(v, "db", "198.18.17.0/24", "rt-nobgp");
	tb_nic(v, "vm-a1", "app", "198.18.16.4");
	tb_nic(v, "vm-a2", "db", "198.18.17.4");
	v = tb_vnet(cf, "spoke-b", "westeurope", false, "198.18.32.0/22");
	tb_peer(v, "hub", false);
	tb_subnet(v, "app", "198.18.32.0/24", NULL);
	tb_nic(v, "vm-b1", "app", "198.18.32.4");
	v = tb_vnet(cf, "spoke-c", NULL, false, "198.18.48.0/22");
	tb_peer(v, "hub", true);
	tb_subnet(v, "app", "198.18.48.0/24", NULL);
	tb_nic(v, "vm-c1", "app", "198.18.48.4");
	v = tb_vnet(cf, "legacy", "westeurope", false, "10.0.0.0/8");
	tb_peer(v, "spoke-c", false);
	tb_subnet(v, "s", "10.0.0.0/24", NULL);
	tb_nic(v, "vm-l1", "s", "10.0.0.4");
	v = tb_vnet(cf, "far-hub", "northeurope", false, "198.19.0.0/24");
	tb_peer(v, "hub", false);
	tb_subnet(v, "nva", "198.19.0.0/26", NULL);
	tb_nic(v, "far-nva", "nva", "198.19.0.10");
	v = tb_vnet(cf, "far-spoke", "northeurope", false, "198.19.16.0/22");
	tb_peer(v, "far-hub", true);
	tb_subnet(v, "app", "198.19.16.0/24", NULL);
	tb_nic(v, "vm-f1", "app", "198.19.16.4");

	struct conf_route_table *rt = tb_rt(cf, "rt-app", true);
	tb_udr(rt, "0.0.0.0/0", NH_VIRTUAL_APPLIANCE, "198.18.0.10");
	tb_udr(rt, "198.18.200.0/24", NH_VIRTUAL_APPLIANCE, "198.18.0.11");
	tb_udr(rt, "198.18.210.0/24", NH_NONE, NULL);
	tb_udr(rt, "198.18.220.0/24", NH_VIRTUAL_APPLIANCE, "198.18.0.10");
	tb_udr(rt, "198.18.230.0/24", NH_VIRTUAL_APPLIANCE, "198.18.32.4");
	tb_rt(cf, "rt-nobgp", false);
	rt = tb_rt(cf, "rt-nva", true);
	tb_udr(rt, "198.18.220.0/24", NH_VIRTUAL_APPLIANCE, "198.18.16.4");
	/* gateways and IPv6 next hops of the tables sit outside the modelled
	 * VNets; test_next_hops turns this off */
	cf->allow_external_next_hops = true;
}

/* ------------------------------------------------------ loc-RIB side */

struct tb_rib {
	struct rib *rib;
	uint32_t peer[2]; /* nva-1 (198.18.0.10), nva-2 (198.18.0.11) */
};

static TB_UNUSED void tb_rib_new(struct tb_rib *r)
{
	struct rib_config cfg = { .local_asn = 65515, .max_paths = 8,
				  .routing_pref = PREF_ASPATH };
	r->rib = rib_new(&cfg);
	struct rib_peer p = { .asn = 65001, .kind = PEER_NVA };
	p.addr = tb_addr("198.18.0.10");
	r->peer[0] = rib_peer_add(r->rib, &p);
	p.asn = 65002;
	p.addr = tb_addr("198.18.0.11");
	r->peer[1] = rib_peer_add(r->rib, &p);
}

/* Peer i (0, 1) announces prefix with its own address as next hop (or
 * nh when given); med changes the attributes without changing the hop. */
static TB_UNUSED void tb_announce(struct tb_rib *r, int i, const char *prefix,
				  const char *nh, uint32_t med)
{
	static const uint32_t asn[2] = { 65001, 65002 };
	struct bgp_attrs *a = calloc(1, sizeof(*a));
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		     ATTR_BIT(ATTR_NEXT_HOP);
	a->origin = 0;
	a->aspath[0] = 2; /* AS_SEQUENCE */
	a->aspath[1] = 1;
	a->aspath[2] = (uint8_t)(asn[i] >> 24);
	a->aspath[3] = (uint8_t)(asn[i] >> 16);
	a->aspath[4] = (uint8_t)(asn[i] >> 8);
	a->aspath[5] = (uint8_t)asn[i];
	a->aspath_len = 6;
	a->next_hop = tb_addr(nh ? nh : i ? "198.18.0.11" : "198.18.0.10");
	if (med) {
		a->present |= ATTR_BIT(ATTR_MED);
		a->med = med;
	}
	struct rattr *ra = rattr_intern(r->rib, a);
	struct prefix p = tb_pfx(prefix);
	rib_announce(r->rib, r->peer[i], &p, ra);
	rattr_unref(r->rib, ra);
	free(a);
}

static TB_UNUSED void tb_withdraw(struct tb_rib *r, int i, const char *prefix)
{
	struct prefix p = tb_pfx(prefix);
	rib_withdraw(r->rib, r->peer[i], &p);
}

/* Hand the RIB's change set to the fabric; returns the new version. */
static TB_UNUSED uint64_t tb_sync(struct tb_rib *r, struct fabric *f)
{
	fab_change_begin(f);
	rib_changes_drain(r->rib, fab_rib_change, f);
	return fab_change_commit(f);
}

#endif
