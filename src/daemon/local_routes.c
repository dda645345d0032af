/*
 * local_routes.c - route_server.originate and route_server.aggregates.
 *
 * Export holds them as local entries (out/export.h, export_local): the
 * originate entries first (entry i is bit i of a peer's local_mask: the
 * peers named in its `to`), then the aggregates (every peer). An
 * aggregate is recomputed after each drain that changed a prefix inside
 * it: announced while some more-specific is in the loc-RIB, withdrawn
 * when none is. Its attributes follow RFC 4271 9.2.2.2: ORIGIN the
 * "worst" of the contributors'; AS_PATH theirs when they all have the
 * same one, otherwise an AS_SET of every AS in them (as_set: true) or
 * none and ATOMIC_AGGREGATE (the default: the path information is
 * lost); AGGREGATOR this route server (ASN, router id); the next hop is
 * the route server's own address, as for the fabric's prefixes.
 */
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "daemon/daemon.h"
#include "daemon/local_routes.h"

#define AGGR_SET_MAX 255 /* ASNs of one AS_SET segment */

struct local_routes {
	unsigned n_orig, n_aggr;
	bool *dirty; /* per aggregate */
	bool any_dirty;
};

/* The route server's own path (empty with transparent_as), a next hop.
 * False when there is no next hop of p's family (no such address). */
static bool own_attrs(struct daemon *d, struct bgp_attrs *a,
		      const struct prefix *p, const struct addr *nh)
{
	const struct export_config *x = &d->excfg;
	const struct addr *own = p->afi == AFI_IPV4 ? &x->next_hop_v4
						    : &x->next_hop_v6;

	memset(a, 0, sizeof(*a));
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH);
	a->origin = ORIGIN_IGP;
	aspath_set_sequence(a, &x->local_asn, x->transparent_as ? 0 : 1);
	nh = nh && nh->afi ? nh : own;
	if (nh->afi != p->afi)
		return false; /* conf_check warned: no address of p's family */
	if (nh->afi == AFI_IPV4) {
		a->present |= ATTR_BIT(ATTR_NEXT_HOP);
		a->next_hop = *nh;
	} else {
		a->mp_afi = AFI_IPV6;
		a->mp_safi = SAFI_UNICAST;
		a->mp_next_hop = *nh;
	}
	return true;
}

static void announce_originate(struct daemon *d, unsigned i)
{
	const struct conf_originate *o = &d->conf->rs.originate[i];
	struct bgp_attrs *a = &d->sess.import.work;
	uint8_t *buf = d->sess.import.scratch;

	if (!own_attrs(d, a, &o->prefix, &o->next_hop))
		return;
	for (unsigned k = 0; k < o->n_communities; k++)
		put32(buf + 4 * k, o->communities[k]);
	if (o->n_communities) {
		a->present |= ATTR_BIT(ATTR_COMMUNITIES);
		a->communities = buf;
		a->n_communities = (uint16_t)o->n_communities;
	}
	buf += 4 * o->n_communities;
	for (unsigned k = 0; k < o->n_large; k++) {
		put32(buf + 12 * k, o->large[k].ga);
		put32(buf + 12 * k + 4, o->large[k].l1);
		put32(buf + 12 * k + 8, o->large[k].l2);
	}
	if (o->n_large) {
		a->present |= ATTR_BIT(ATTR_LARGE_COMMUNITIES);
		a->large_communities = buf;
		a->n_large_communities = (uint16_t)o->n_large;
	}
	export_local_set(d->ex, i, a);
}

int local_routes_init(struct daemon *d)
{
	const struct conf_rs *rs = &d->conf->rs;
	unsigned n = rs->n_originate + rs->n_aggregates;
	struct export_local *l;
	struct local_routes *lr;

	if (!n)
		return 0;
	l = calloc(n, sizeof(*l));
	lr = calloc(1, sizeof(*lr));
	if (!l || !lr || !(lr->dirty = calloc(rs->n_aggregates + 1, 1))) {
		free(l);
		if (lr)
			free(lr->dirty);
		free(lr);
		return -1;
	}
	lr->n_orig = rs->n_originate;
	lr->n_aggr = rs->n_aggregates;
	for (unsigned i = 0; i < rs->n_originate; i++) {
		l[i].prefix = rs->originate[i].prefix;
		/* (an entry with an empty `to` is never announced) */
		l[i].mask = 1ull << i;
	}
	for (unsigned i = 0; i < rs->n_aggregates; i++) {
		l[lr->n_orig + i].prefix = rs->aggregates[i].prefix;
		l[lr->n_orig + i].summary_only = rs->aggregates[i].summary_only;
	}
	d->local = lr;
	int rc = export_local_init(d->ex, l, n);
	free(l);
	for (unsigned i = 0; rc == 0 && i < rs->n_originate; i++)
		if (rs->originate[i].n_to)
			announce_originate(d, i);
	/* aggregates over routes already there (none at start) */
	for (unsigned i = 0; i < lr->n_aggr; i++)
		lr->dirty[i] = true;
	lr->any_dirty = lr->n_aggr > 0;
	return rc;
}

void local_routes_free(struct daemon *d)
{
	if (!d->local)
		return;
	free(d->local->dirty);
	free(d->local);
	d->local = NULL;
}

void local_routes_note(struct daemon *d, const struct prefix *p)
{
	struct local_routes *lr = d->local;
	const struct conf_rs *rs = &d->conf->rs;

	if (!lr)
		return;
	for (unsigned i = 0; i < lr->n_aggr; i++) {
		const struct prefix *s = &rs->aggregates[i].prefix;
		if (p->len > s->len && prefix_contains(s, p)) {
			lr->dirty[i] = true;
			lr->any_dirty = true;
		}
	}
}

/* What the contributors of one aggregate add up to. */
struct aggr_walk {
	const struct prefix *s;
	struct bgp_attrs *tmp;
	unsigned n; /* contributors */
	uint8_t origin;
	bool same_path;
	uint16_t path_len;
	uint8_t path[BGP_ASPATH_MAX];
	uint32_t set[AGGR_SET_MAX];
	unsigned n_set;
};

static void set_add(struct aggr_walk *w, uint32_t asn)
{
	for (unsigned i = 0; i < w->n_set; i++)
		if (w->set[i] == asn)
			return;
	if (w->n_set < AGGR_SET_MAX)
		w->set[w->n_set++] = asn;
}

static int aggr_cb(const struct rentry *e, void *arg)
{
	struct aggr_walk *w = arg;
	struct aspath_iter it;
	uint32_t asn;

	if (!prefix_contains(w->s, &e->prefix))
		return 1; /* past the aggregate in address order */
	if (!e->n_paths || !e->paths)
		return 0;
	rattr_to_bgp(e->paths->attr, w->tmp);
	if (!w->n++) {
		w->origin = w->tmp->origin;
		w->path_len = w->tmp->aspath_len;
		memcpy(w->path, w->tmp->aspath, w->path_len);
		w->same_path = true;
	} else {
		if (w->tmp->origin > w->origin)
			w->origin = w->tmp->origin;
		if (w->tmp->aspath_len != w->path_len ||
		    memcmp(w->tmp->aspath, w->path, w->path_len))
			w->same_path = false;
	}
	aspath_iter_init(&it, w->tmp);
	while (aspath_iter_next(&it, &asn))
		if (it.seg_type == AS_SEQUENCE || it.seg_type == AS_SET)
			set_add(w, asn);
	return 0;
}

static int asn_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The aggregate's AS_PATH: the contributors' (one for all), an AS_SET,
 * or none with ATOMIC_AGGREGATE; then our own ASN in front. */
static void aggr_path(struct daemon *d, struct bgp_attrs *a,
		      struct aggr_walk *w, bool as_set)
{
	a->aspath_len = 0;
	if (w->same_path) {
		memcpy(a->aspath, w->path, w->path_len);
		a->aspath_len = w->path_len;
	} else if (as_set && w->n_set) {
		qsort(w->set, w->n_set, sizeof(*w->set), asn_cmp);
		a->aspath[a->aspath_len++] = AS_SET;
		a->aspath[a->aspath_len++] = (uint8_t)w->n_set;
		for (unsigned i = 0; i < w->n_set; i++, a->aspath_len += 4)
			put32(a->aspath + a->aspath_len, w->set[i]);
	} else {
		a->present |= ATTR_BIT(ATTR_ATOMIC_AGGREGATE);
	}
	if (!d->excfg.transparent_as &&
	    aspath_prepend(a, d->excfg.local_asn) < 0) {
		a->aspath_len = 0; /* too long: the summary alone, atomic */
		a->present |= ATTR_BIT(ATTR_ATOMIC_AGGREGATE);
		aspath_prepend(a, d->excfg.local_asn);
	}
}

static void aggr_update(struct daemon *d, unsigned i)
{
	const struct conf_aggregate *ag = &d->conf->rs.aggregates[i];
	struct aggr_walk *w = calloc(1, sizeof(*w));
	struct bgp_attrs *a = &d->sess.import.work;
	unsigned idx = d->local->n_orig + i;

	if (!w || !(w->tmp = malloc(sizeof(*w->tmp)))) {
		free(w);
		return;
	}
	w->s = &ag->prefix;
	rib_walk_after(d->rib, &ag->prefix, aggr_cb, w);
	if (!w->n || !own_attrs(d, a, &ag->prefix, NULL)) {
		export_local_set(d->ex, idx, NULL);
	} else {
		a->origin = w->origin;
		aggr_path(d, a, w, ag->as_set);
		a->present |= ATTR_BIT(ATTR_AGGREGATOR);
		a->aggregator_as = d->conf->rs.asn;
		memcpy(&a->aggregator_addr, d->conf->rs.router_id.b, 4);
		export_local_set(d->ex, idx, a);
	}
	free(w->tmp);
	free(w);
}

void local_routes_update(struct daemon *d)
{
	struct local_routes *lr = d->local;

	if (!lr || !lr->any_dirty)
		return;
	lr->any_dirty = false;
	for (unsigned i = 0; i < lr->n_aggr; i++) {
		if (!lr->dirty[i])
			continue;
		lr->dirty[i] = false;
		aggr_update(d, i);
	}
}
