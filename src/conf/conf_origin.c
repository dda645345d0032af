/*
 * conf_origin.c - which address spaces this route server originates.
 *
 * DESIGN 1.2: the virtual network's own address spaces, that is the hub's
 * and those of the spokes that use it (peered to a hub with
 * use_remote_gateways), are originated to every peer. VNets of another
 * region and spokes that do not use the hub's gateways are left out: their
 * routes are someone else's to announce.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

static const struct conf_vnet *find_vnet(const struct conf_fabric *f,
					 const char *name)
{
	for (unsigned i = 0; i < f->n_vnets; i++)
		if (f->vnets[i].name && !strcmp(f->vnets[i].name, name))
			return &f->vnets[i];
	return NULL;
}

/* The region of the first hub that names one, or NULL. */
static const char *local_region(const struct conf_fabric *f)
{
	for (unsigned i = 0; i < f->n_vnets; i++)
		if (f->vnets[i].hub && f->vnets[i].region)
			return f->vnets[i].region;
	return NULL;
}

static bool same_region(const char *local, const struct conf_vnet *v)
{
	return !local || !v->region || !strcmp(local, v->region);
}

bool conf_vnet_originated(const struct conf *c, const struct conf_vnet *v)
{
	const struct conf_fabric *f = &c->fabric;
	const char *region = local_region(f);

	if (!same_region(region, v))
		return false;
	if (v->hub)
		return true;
	for (unsigned i = 0; i < v->n_peerings; i++) {
		const struct conf_peering *pe = &v->peerings[i];
		const struct conf_vnet *r = find_vnet(f, pe->remote);
		if (pe->use_remote_gateways && r && r->hub &&
		    same_region(region, r))
			return true;
	}
	return false;
}

struct prefix *conf_originated(const struct conf *c, unsigned *n)
{
	const struct conf_fabric *f = &c->fabric;
	struct prefix *o;
	unsigned k = 0;

	for (unsigned i = 0; i < f->n_vnets; i++)
		k += f->vnets[i].n_address_space;
	o = calloc(k ? k : 1, sizeof(*o));
	if (!o)
		return NULL;
	*n = 0;
	for (unsigned i = 0; i < f->n_vnets; i++) {
		const struct conf_vnet *v = &f->vnets[i];
		if (!conf_vnet_originated(c, v))
			continue;
		for (unsigned j = 0; j < v->n_address_space; j++)
			o[(*n)++] = v->address_space[j];
	}
	return o;
}
