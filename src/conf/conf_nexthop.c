/*
 * conf_nexthop.c - checks of the fabric's next-hop settings: the load
 * balancers a BGP route's third-party next hop may point at
 * (fabric.load_balancers) and allow_external_next_hops.
 *
 * A load balancer has a unique name, lives in a known VNet whose address
 * space holds its frontend address, has at least one backend of the same
 * family inside some VNet, and no two load balancers share a frontend.
 */
#include "conf/conf_priv.h"

#include <string.h>

static const struct ynode top_of_file = {.type = Y_SCALAR, .line = 1, .col = 1};

static const struct ynode *at(const struct ynode *n, const char *key)
{
	const struct ynode *v = ymap_get(n, key);
	return v ? v : n ? n : &top_of_file;
}

static const struct conf_vnet *vnet_named(const struct conf_fabric *f,
					  const char *name)
{
	for (unsigned i = 0; name && i < f->n_vnets; i++)
		if (f->vnets[i].name && !strcmp(f->vnets[i].name, name))
			return &f->vnets[i];
	return NULL;
}

static bool vnet_holds(const struct conf_vnet *v, const struct addr *a)
{
	for (unsigned j = 0; v && j < v->n_address_space; j++)
		if (prefix_contains_addr(&v->address_space[j], a))
			return true;
	return false;
}

static bool any_vnet_holds(const struct conf_fabric *f, const struct addr *a)
{
	for (unsigned i = 0; i < f->n_vnets; i++)
		if (vnet_holds(&f->vnets[i], a))
			return true;
	return false;
}

static void check_backends(struct conf_diag *d, const struct conf_fabric *f,
			   const struct conf_lb *lb, const struct ynode *n)
{
	const struct ynode *seq = ymap_get(n, "backends");
	char a[ADDR_STRLEN];

	if (!lb->n_backends && seq)
		diag_err(d, seq, "load balancer '%s' needs at least one backend",
			 lb->name);
	for (unsigned j = 0; j < lb->n_backends; j++) {
		const struct addr *b = &lb->backends[j];
		const struct ynode *bn = yseq_item(seq, j);
		if (!bn)
			bn = at(n, "backends");
		if (!b->afi)
			continue; /* bad address: reported */
		if (lb->frontend_ip.afi && b->afi != lb->frontend_ip.afi)
			diag_err(d, bn, "load balancer '%s': backend %s is not of "
				 "the frontend's address family", lb->name,
				 addr_fmt(b, a, sizeof(a)));
		else if (!any_vnet_holds(f, b))
			diag_err(d, bn, "load balancer '%s': backend %s is not "
				 "inside any VNet address space", lb->name,
				 addr_fmt(b, a, sizeof(a)));
	}
}

static void check_lb(struct conf_diag *d, const struct conf_fabric *f,
		     unsigned i, const struct ynode *n)
{
	const struct conf_lb *lb = &f->load_balancers[i];
	const struct conf_vnet *v = vnet_named(f, lb->vnet);
	char a[ADDR_STRLEN];

	if (!lb->name)
		return; /* missing: reported */
	for (unsigned j = 0; j < i; j++) {
		const struct conf_lb *o = &f->load_balancers[j];
		if (o->name && !strcmp(o->name, lb->name))
			diag_err(d, at(n, "name"), "duplicate load balancer "
				 "name '%s' (first at line %u)", lb->name,
				 o->line);
		else if (lb->frontend_ip.afi &&
			 !addr_cmp(&o->frontend_ip, &lb->frontend_ip))
			diag_err(d, at(n, "frontend_ip"), "load balancers '%s' "
				 "and '%s' share frontend %s", o->name, lb->name,
				 addr_fmt(&lb->frontend_ip, a, sizeof(a)));
	}
	if (lb->vnet && !v)
		diag_err(d, at(n, "vnet"), "load balancer '%s': unknown VNet "
			 "'%s'", lb->name, lb->vnet);
	else if (v && lb->frontend_ip.afi && !vnet_holds(v, &lb->frontend_ip))
		diag_err(d, at(n, "frontend_ip"), "load balancer '%s': "
			 "frontend %s is not inside VNet '%s'", lb->name,
			 addr_fmt(&lb->frontend_ip, a, sizeof(a)), v->name);
	check_backends(d, f, lb, n);
}

void conf_check_nexthops(struct conf *c, const struct ynode *fabric,
			 struct conf_diag *d)
{
	const struct ynode *seq = ymap_get(fabric, "load_balancers");

	for (unsigned i = 0; i < c->fabric.n_load_balancers; i++) {
		const struct ynode *n = yseq_item(seq, i);
		check_lb(d, &c->fabric, i, n ? n : at(fabric, "load_balancers"));
	}
}
