/*
 * conf_check_fabric.c - consistency of the fabric model in the config.
 *
 * VNets, their address spaces, subnets, NICs and peerings, and the route
 * tables subnets point at must describe one coherent network: unique
 * names, subnets inside their VNet and not overlapping, NICs inside their
 * subnet, peerings between existing VNets whose address spaces do not
 * overlap, user-defined routes whose next hops make sense.
 */
#include "conf/conf_priv.h"

#include <string.h>

struct fcheck {
	struct conf_fabric *f;
	struct conf_diag *d;
	const struct ynode *vnets; /* the vnets sequence node */
};

static const struct ynode top_of_file = {.type = Y_SCALAR, .line = 1, .col = 1};

static const struct ynode *at(const struct ynode *n, const char *key)
{
	const struct ynode *v = ymap_get(n, key);
	return v ? v : n ? n : &top_of_file;
}

/* Node of item i of the list under key in n (a lone scalar: itself). */
static const struct ynode *at_item(const struct ynode *n, const char *key,
				   unsigned i)
{
	const struct ynode *l = ymap_get(n, key);
	if (l && l->type == Y_SEQ && i < l->n)
		return l->items[i];
	return l ? l : at(n, key);
}

static const struct conf_vnet *find_vnet(const struct conf_fabric *f,
					 const char *name)
{
	for (unsigned i = 0; name && i < f->n_vnets; i++)
		if (f->vnets[i].name && !strcmp(f->vnets[i].name, name))
			return &f->vnets[i];
	return NULL;
}

static bool table_exists(const struct conf_fabric *f, const char *name)
{
	for (unsigned i = 0; i < f->n_route_tables; i++)
		if (f->route_tables[i].name &&
		    !strcmp(f->route_tables[i].name, name))
			return true;
	return false;
}

static bool in_address_space(const struct conf_vnet *v, const struct prefix *p)
{
	for (unsigned i = 0; i < v->n_address_space; i++)
		if (prefix_contains(&v->address_space[i], p))
			return true;
	return false;
}

static void check_aspace(struct fcheck *k, const struct conf_vnet *v,
			 const struct ynode *vn)
{
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN];

	for (unsigned i = 0; i < v->n_address_space; i++) {
		const struct prefix *p = &v->address_space[i];
		for (unsigned j = 0; p->afi && j < i; j++) {
			if (!prefix_overlaps(p, &v->address_space[j]))
				continue;
			diag_err(k->d, at_item(vn, "address_space", i),
				 "address space %s of VNet '%s' overlaps its address space %s",
				 prefix_fmt(p, a, sizeof(a)), v->name,
				 prefix_fmt(&v->address_space[j], b, sizeof(b)));
		}
	}
}

static void check_subnets(struct fcheck *k, const struct conf_vnet *v,
			  const struct ynode *vn)
{
	const struct ynode *seq = ymap_get(vn, "subnets");
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN];

	for (unsigned i = 0; i < v->n_subnets; i++) {
		const struct conf_subnet *s = &v->subnets[i];
		const struct ynode *sn = yseq_item(seq, i);
		for (unsigned j = 0; j < i; j++) {
			const struct conf_subnet *o = &v->subnets[j];
			if (s->name && o->name && !strcmp(s->name, o->name))
				diag_err(k->d, at(sn, "name"),
					 "duplicate subnet name '%s' in VNet '%s' (first at line %u)",
					 s->name, v->name, o->line);
			else if (s->prefix.afi && o->prefix.afi &&
				 prefix_overlaps(&s->prefix, &o->prefix))
				diag_err(k->d, at(sn, "prefix"),
					 "subnet '%s' %s overlaps subnet '%s' %s",
					 s->name, prefix_fmt(&s->prefix, a, sizeof(a)),
					 o->name, prefix_fmt(&o->prefix, b, sizeof(b)));
		}
		if (s->prefix.afi && !in_address_space(v, &s->prefix))
			diag_err(k->d, at(sn, "prefix"),
				 "subnet '%s' %s is outside the address space of VNet '%s'",
				 s->name, prefix_fmt(&s->prefix, a, sizeof(a)),
				 v->name);
		if (s->route_table && !table_exists(k->f, s->route_table))
			diag_err(k->d, at(sn, "route_table"),
				 "route table '%s' does not exist", s->route_table);
	}
}

static const struct conf_subnet *find_subnet(const struct conf_vnet *v,
					     const char *name)
{
	for (unsigned i = 0; name && i < v->n_subnets; i++)
		if (v->subnets[i].name && !strcmp(v->subnets[i].name, name))
			return &v->subnets[i];
	return NULL;
}

static void check_nic_dups(struct fcheck *k, unsigned vi, unsigned ni,
			   const struct ynode *nn)
{
	const struct conf_vnet *v = &k->f->vnets[vi];
	const struct conf_nic *n = &v->nics[ni];
	char a[ADDR_STRLEN];

	/* NIC names are global: the API and CLI look them up by name. */
	for (unsigned i = 0; i <= vi; i++) {
		const struct conf_vnet *ov = &k->f->vnets[i];
		unsigned lim = i == vi ? ni : ov->n_nics;
		for (unsigned j = 0; j < lim; j++) {
			const struct conf_nic *o = &ov->nics[j];
			if (n->name && o->name && !strcmp(n->name, o->name))
				diag_err(k->d, at(nn, "name"),
					 "duplicate NIC name '%s' (first at line %u)",
					 n->name, o->line);
			else if (i == vi && n->ip.afi && addr_eq(&n->ip, &o->ip))
				diag_err(k->d, at(nn, "ip"),
					 "NIC '%s' IP %s is already used by NIC '%s'",
					 n->name, addr_fmt(&n->ip, a, sizeof(a)),
					 o->name);
		}
	}
}

static void check_nics(struct fcheck *k, unsigned vi, const struct ynode *vn)
{
	const struct conf_vnet *v = &k->f->vnets[vi];
	const struct ynode *seq = ymap_get(vn, "nics");
	char a[ADDR_STRLEN], p[PREFIX_STRLEN];

	for (unsigned i = 0; i < v->n_nics; i++) {
		const struct conf_nic *n = &v->nics[i];
		const struct ynode *nn = yseq_item(seq, i);
		const struct conf_subnet *s = find_subnet(v, n->subnet);

		check_nic_dups(k, vi, i, nn);
		if (n->subnet && !s)
			diag_err(k->d, at(nn, "subnet"),
				 "NIC '%s': subnet '%s' does not exist in VNet '%s'",
				 n->name, n->subnet, v->name);
		else if (s && s->prefix.afi && n->ip.afi &&
			 !prefix_contains_addr(&s->prefix, &n->ip))
			diag_err(k->d, at(nn, "ip"),
				 "NIC '%s' IP %s is outside its subnet '%s' %s",
				 n->name, addr_fmt(&n->ip, a, sizeof(a)), s->name,
				 prefix_fmt(&s->prefix, p, sizeof(p)));
	}
}

/* Address spaces of two peered VNets must not overlap. */
static void check_peered_overlap(struct fcheck *k, const struct conf_vnet *v,
				 const struct conf_vnet *r,
				 const struct ynode *pn)
{
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN];

	for (unsigned i = 0; i < v->n_address_space; i++) {
		for (unsigned j = 0; j < r->n_address_space; j++) {
			const struct prefix *x = &v->address_space[i];
			const struct prefix *y = &r->address_space[j];
			if (!x->afi || !y->afi || !prefix_overlaps(x, y))
				continue;
			diag_err(k->d, at(pn, "remote"),
				 "address space %s of VNet '%s' overlaps %s of peered VNet '%s'",
				 prefix_fmt(x, a, sizeof(a)), v->name,
				 prefix_fmt(y, b, sizeof(b)), r->name);
		}
	}
}

static void check_peerings(struct fcheck *k, const struct conf_vnet *v,
			   const struct ynode *vn)
{
	const struct ynode *seq = ymap_get(vn, "peerings");

	for (unsigned i = 0; i < v->n_peerings; i++) {
		const struct conf_peering *p = &v->peerings[i];
		const struct ynode *pn = yseq_item(seq, i);
		const struct conf_vnet *r = find_vnet(k->f, p->remote);
		bool dup = false;

		if (!p->remote)
			continue;
		for (unsigned j = 0; j < i && !dup; j++)
			dup = v->peerings[j].remote &&
			      !strcmp(v->peerings[j].remote, p->remote);
		if (dup)
			diag_err(k->d, at(pn, "remote"),
				 "duplicate peering from VNet '%s' to '%s'",
				 v->name, p->remote);
		else if (!r)
			diag_err(k->d, at(pn, "remote"),
				 "peering to unknown VNet '%s'", p->remote);
		else if (r == v)
			diag_err(k->d, at(pn, "remote"),
				 "VNet '%s' cannot peer with itself", v->name);
		else
			check_peered_overlap(k, v, r, pn);
	}
}

static bool in_any_vnet(const struct conf_fabric *f, const struct addr *a)
{
	for (unsigned i = 0; i < f->n_vnets; i++)
		for (unsigned j = 0; j < f->vnets[i].n_address_space; j++)
			if (prefix_contains_addr(&f->vnets[i].address_space[j], a))
				return true;
	return false;
}

static void check_udr(struct fcheck *k, const struct conf_route_table *rt,
		      unsigned i, const struct ynode *un)
{
	const struct conf_udr *u = &rt->routes[i];
	char p[PREFIX_STRLEN], a[ADDR_STRLEN];

	prefix_fmt(&u->prefix, p, sizeof(p));
	for (unsigned j = 0; u->prefix.afi && j < i; j++)
		if (prefix_eq(&u->prefix, &rt->routes[j].prefix))
			diag_err(k->d, at(un, "prefix"),
				 "duplicate route %s in route table '%s'", p,
				 rt->name);
	if (u->next_hop_type == 0xff) /* missing or unknown: reported */
		return;
	if (u->next_hop_type == NH_VIRTUAL_APPLIANCE) {
		if (!u->next_hop_ip.afi && !ymap_get(un, "next_hop_ip"))
			diag_err(k->d, at(un, "next_hop_type"),
				 "route %s: next_hop_type VirtualAppliance needs a next_hop_ip",
				 p);
		else if (u->next_hop_ip.afi && !in_any_vnet(k->f, &u->next_hop_ip))
			diag_warn(k->d, at(un, "next_hop_ip"),
				  "route %s: next hop %s is not inside any VNet address space",
				  p, addr_fmt(&u->next_hop_ip, a, sizeof(a)));
	} else if (u->next_hop_ip.afi) {
		diag_err(k->d, at(un, "next_hop_ip"),
			 "route %s: next_hop_ip is only allowed with next_hop_type VirtualAppliance",
			 p);
	}
}

static void check_route_tables(struct fcheck *k, const struct ynode *fab)
{
	const struct ynode *tables = ymap_get(fab, "route_tables");

	for (unsigned t = 0; t < k->f->n_route_tables; t++) {
		const struct conf_route_table *rt = &k->f->route_tables[t];
		const struct ynode *tn = NULL, *seq;
		if (tables && tables->type == Y_MAP && t < tables->n)
			tn = tables->items[2 * t + 1];
		seq = ymap_get(tn, "routes");
		for (unsigned i = 0; i < rt->n_routes; i++)
			check_udr(k, rt, i, yseq_item(seq, i));
	}
}

/* The VNet that hosts this route server: marked `hub: true`, or else the
 * one whose address space holds the router id or a listen address. */
static void infer_hub(struct conf *c)
{
	struct conf_fabric *f = &c->fabric;

	for (unsigned i = 0; i < f->n_vnets; i++)
		if (f->vnets[i].hub)
			return;
	for (unsigned i = 0; i < f->n_vnets; i++) {
		struct conf_vnet *v = &f->vnets[i];
		for (unsigned j = 0; j < v->n_address_space; j++) {
			bool in = prefix_contains_addr(&v->address_space[j],
						       &c->rs.router_id);
			for (unsigned l = 0; !in && l < c->rs.n_listen; l++)
				in = prefix_contains_addr(&v->address_space[j],
							  &c->rs.listen[l]);
			if (in) {
				v->hub = true;
				return;
			}
		}
	}
}

void conf_check_fabric(struct conf *c, const struct ynode *fabric,
		       struct conf_diag *d)
{
	struct fcheck k = {.f = &c->fabric, .d = d};
	const struct ynode *vnets = ymap_get(fabric, "vnets");

	k.vnets = vnets;
	for (unsigned i = 0; i < c->fabric.n_vnets; i++) {
		const struct conf_vnet *v = &c->fabric.vnets[i];
		const struct ynode *vn = yseq_item(vnets, i);
		for (unsigned j = 0; j < i; j++)
			if (v->name && c->fabric.vnets[j].name &&
			    !strcmp(v->name, c->fabric.vnets[j].name))
				diag_err(d, at(vn, "name"),
					 "duplicate VNet name '%s' (first at line %u)",
					 v->name, c->fabric.vnets[j].line);
		check_aspace(&k, v, vn);
		check_subnets(&k, v, vn);
		check_nics(&k, i, vn);
		check_peerings(&k, v, vn);
	}
	check_route_tables(&k, fabric);
	conf_check_nexthops(c, fabric, d);
	infer_hub(c);
}
