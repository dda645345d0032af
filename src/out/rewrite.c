/*
 * rewrite.c - the eBGP rewrite of exported routes (DESIGN 1.2): next hop
 * kept (an IPv6 link-local one dropped), the local ASN prepended unless
 * transparent_as, LOCAL_PREF never sent, MED only when transparent; the
 * result interned once per source attribute set in a small cache swept
 * as routes churn. Also the route server's own prefixes and their
 * attributes.
 */
#include "out/export_int.h"

/* ------------------------------------------------- attribute transforms */

/* Put next hop nh into a (for encoding or interning); an IPv6 link-local
 * next hop is never carried over. */
void ex_set_next_hop(struct bgp_attrs *a, const struct addr *nh)
{
	if (nh->afi == AFI_IPV6) {
		a->present &= ~ATTR_BIT(ATTR_NEXT_HOP);
		a->mp_afi = AFI_IPV6;
		a->mp_safi = SAFI_UNICAST;
		a->mp_next_hop = *nh;
		memset(&a->mp_next_hop_ll, 0, sizeof(a->mp_next_hop_ll));
	} else {
		a->present |= ATTR_BIT(ATTR_NEXT_HOP);
		a->present &= ~ATTR_BIT(ATTR_MP_REACH);
		a->next_hop = *nh;
	}
}

/* Exported form of a learned attribute set, interned (new reference), or
 * NULL when it cannot be sent (AS_PATH would overflow). */
static struct rattr *export_transform(struct exporter *ex,
				      const struct rattr *src)
{
	struct bgp_attrs *a = ex->tmp;

	rattr_to_bgp(src, a);
	a->present &= ~(ATTR_BIT(ATTR_LOCAL_PREF) |
			ATTR_BIT(ATTR_ORIGINATOR_ID) |
			ATTR_BIT(ATTR_CLUSTER_LIST));
	if (!ex->cfg.transparent_as) {
		a->present &= ~ATTR_BIT(ATTR_MED);
		if (aspath_prepend(a, ex->cfg.local_asn) < 0)
			return NULL;
		a->present |= ATTR_BIT(ATTR_AS_PATH);
	}
	ex_set_next_hop(a, &src->next_hop);
	return rattr_intern_nh(ex->rib, a, &src->next_hop, NULL);
}

static void cache_put(struct exporter *ex, struct ex_cache_ent *tab,
		      uint32_t mask, struct ex_cache_ent ce)
{
	uint32_t i = (uint32_t)ex_mix_ptr(ce.src) & mask;

	while (tab[i].src)
		i = (i + 1) & mask;
	tab[i] = ce;
}

/* Rebuild the cache at size, dropping entries whose source attributes only
 * the cache still holds (drop_unused). Returns -1 when out of memory. */
static int cache_rebuild(struct exporter *ex, uint32_t size, bool drop_unused)
{
	struct ex_cache_ent *n = calloc(size, sizeof(*n));
	uint32_t old_size = ex->cache ? ex->cache_mask + 1 : 0;

	if (!n)
		return -1;
	ex->cache_n = 0;
	for (uint32_t i = 0; i < old_size; i++) {
		struct ex_cache_ent ce = ex->cache[i];
		if (!ce.src)
			continue;
		if (drop_unused && ce.src->refcnt == 1) {
			if (ce.out)
				rattr_unref(ex->rib, ce.out);
			rattr_unref(ex->rib, ce.src);
			continue;
		}
		cache_put(ex, n, size - 1, ce);
		ex->cache_n++;
	}
	free(ex->cache);
	ex->cache = n;
	ex->cache_mask = size - 1;
	return 0;
}

void ex_cache_clear(struct exporter *ex)
{
	uint32_t size = ex->cache ? ex->cache_mask + 1 : 0;

	for (uint32_t i = 0; i < size; i++) {
		if (!ex->cache[i].src)
			continue;
		if (ex->cache[i].out)
			rattr_unref(ex->rib, ex->cache[i].out);
		rattr_unref(ex->rib, ex->cache[i].src);
	}
	free(ex->cache);
	ex->cache = NULL;
	ex->cache_mask = ex->cache_n = 0;
}

/* Called after a flush: forget attribute sets nobody uses, when the cache
 * doubled or when as many adj-RIB-out entries were replaced or removed as
 * it holds (only then can a set lose its last user; so the sweep costs O(1)
 * per prefix handled, and a burst of new routes causes none). */
bool ex_cache_sweep_due(const struct exporter *ex)
{
	return ex->cache_n > ex->cache_sweep_at || ex->churn >= ex->cache_n;
}

void ex_cache_sweep(struct exporter *ex)
{
	if (!ex_cache_sweep_due(ex))
		return;
	ex->churn = 0;
	cache_rebuild(ex, ex->cache_mask + 1, true);
	uint32_t size = 64;
	while (size < ex->cache_n * 2)
		size *= 2;
	if (size < ex->cache_mask + 1)
		cache_rebuild(ex, size, false);
	ex->cache_sweep_at = ex->cache_n * 2 > 4096 ? ex->cache_n * 2 : 4096;
}

/* The exported form of src (borrowed: the cache holds the reference). */
struct rattr *ex_cache_get(struct exporter *ex, struct rattr *src)
{
	if (ex->cache) {
		uint32_t i = (uint32_t)ex_mix_ptr(src) & ex->cache_mask;
		while (ex->cache[i].src) {
			if (ex->cache[i].src == src)
				return ex->cache[i].out;
			i = (i + 1) & ex->cache_mask;
		}
	}
	if ((ex->cache_n + 1) * 4 > (ex->cache ? ex->cache_mask + 1 : 0) * 3 &&
	    cache_rebuild(ex, ex->cache ? (ex->cache_mask + 1) * 2 : 256,
			  false) < 0)
		return NULL;
	struct ex_cache_ent ce = { src, export_transform(ex, src) };
	rattr_ref(src);
	cache_put(ex, ex->cache, ex->cache_mask, ce);
	ex->cache_n++;
	return ce.out;
}

/* ----------------------------------------------------- originated routes */

static int pfx_cmp(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

bool ex_orig_has(const struct exporter *ex, const struct prefix *p)
{
	return ex->cfg.n_originated &&
	       bsearch(p, ex->orig, ex->cfg.n_originated, sizeof(*p),
		       pfx_cmp) != NULL;
}

void ex_orig_attrs_build(struct exporter *ex)
{
	for (int afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		const struct addr *nh = afi == AFI_IPV4 ? &ex->cfg.next_hop_v4
							: &ex->cfg.next_hop_v6;
		struct bgp_attrs *a = ex->tmp;

		if (ex->orig_attr[afi])
			rattr_unref(ex->rib, ex->orig_attr[afi]);
		ex->orig_attr[afi] = NULL;
		if (nh->afi != afi)
			continue;
		memset(a, 0, sizeof(*a));
		a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH);
		a->origin = ORIGIN_IGP;
		aspath_set_sequence(a, &ex->cfg.local_asn,
				    ex->cfg.transparent_as ? 0 : 1);
		ex_set_next_hop(a, nh);
		ex->orig_attr[afi] = rattr_intern_nh(ex->rib, a, nh, NULL);
	}
}

void ex_config_copy(struct exporter *ex, const struct export_config *cfg)
{
	free(ex->orig);
	ex->orig = NULL;
	ex->cfg = *cfg;
	ex->cfg.originated = NULL;
	if (cfg->n_originated) {
		ex->orig = malloc(cfg->n_originated * sizeof(*ex->orig));
		if (!ex->orig) {
			ex->cfg.n_originated = 0;
			return;
		}
		memcpy(ex->orig, cfg->originated,
		       cfg->n_originated * sizeof(*ex->orig));
		qsort(ex->orig, cfg->n_originated, sizeof(*ex->orig), pfx_cmp);
		ex->cfg.originated = ex->orig;
	}
}
