/*
 * fab_trace.c - hop-by-hop packet walk through the fabric.
 *
 * From a NIC to a destination IP: at each NIC the active route of its
 * subnet is looked up; next hops that are NICs (NVAs) continue the walk
 * with the NVA's own subnet, ECMP members are picked by a flow hash of
 * (src, dst) so a trace is deterministic, and the walk ends delivered (a
 * NIC with the destination IP), dropped (None, no route, loop, no such
 * NIC), left-fabric (on-premises behind a gateway or NVA, Internet) or
 * left-region (the destination VNet is served by another region's route
 * server; the caller may continue there).
 */
#include "fabric/fab_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct walk {
	const struct fabric *f;
	struct fab_trace *t;
	const struct addr *src, *dst;
	uint32_t visited[FAB_TRACE_MAX_HOPS];
	size_t n_visited;
	char arrival[160]; /* note for the next hop's NIC */
};

unsigned fab_flow_pick(const struct addr *src, const struct addr *dst,
		       unsigned n)
{
	uint64_t h = 1469598103934665603ull;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ src->b[i]) * 1099511628211ull;
	for (unsigned i = 0; i < 16; i++)
		h = (h ^ dst->b[i]) * 1099511628211ull;
	h ^= h >> 33;
	return n ? (unsigned)(h % n) : 0;
}

const char *fab_result_name(uint8_t r)
{
	static const char *const n[] = { "delivered", "dropped", "left-fabric",
					 "left-region" };
	return r < 4 ? n[r] : "?";
}

__attribute__((format(printf, 3, 4)))
static void finish(struct walk *w, uint8_t result, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->t->reason, sizeof(w->t->reason), fmt, ap);
	va_end(ap);
	w->t->result = result;
}

__attribute__((format(printf, 2, 3)))
static void note(struct fab_hop *h, const char *fmt, ...)
{
	size_t used = strlen(h->note);
	va_list ap;
	va_start(ap, fmt);
	if (used)
		snprintf(h->note + used, sizeof(h->note) - used, "; ");
	used = strlen(h->note);
	vsnprintf(h->note + used, sizeof(h->note) - used, fmt, ap);
	va_end(ap);
}

/* The VNet whose address space holds a (most specific), or -1. */
static int vnet_of_addr(const struct fabric *f, const struct addr *a)
{
	int best = -1, len = -1;
	for (size_t i = 0; i < f->n_vnets; i++)
		for (uint32_t j = 0; j < f->vnets[i].n_space; j++) {
			const struct prefix *p = &f->vnets[i].space[j];
			if (p->len > len && prefix_contains_addr(p, a))
				best = (int)i, len = p->len;
		}
	return best;
}

static struct fab_hop *add_hop(struct walk *w, int nic, const struct addr *ip)
{
	struct fab_hop *h = &w->t->hops[w->t->n_hops++];
	memset(h, 0, sizeof(*h));
	h->at = nic >= 0 ? w->f->nics[nic].name : NULL;
	h->ip = *ip;
	return h;
}

static const char *region_of(const struct fabric *f, int vnet)
{
	return vnet >= 0 && f->vnets[vnet].region ? f->vnets[vnet].region
						  : "?";
}

static void left_region(struct walk *w, int vnet, const char *how,
			const char *ipname)
{
	const struct fabric *f = w->f;
	w->t->next_region = region_of(f, vnet);
	finish(w, FAB_LEFT_REGION,
	       "leaves region %s %s %s; continues at the route server of "
	       "region %s (VNet %s)",
	       f->local_region ? f->local_region : "?", how, ipname,
	       w->t->next_region, f->vnets[vnet].name);
}

/* VnetLocal / VNetPeering: the destination itself is the next hop. */
static void step_direct(struct walk *w, uint32_t cur)
{
	const struct fabric *f = w->f;
	char ip[ADDR_STRLEN];
	int dn = fab_nic_by_ip(f, w->dst);
	int dv = dn >= 0 ? (int)f->subnets[f->nics[dn].subnet].vnet
			 : vnet_of_addr(f, w->dst);
	uint32_t cv = f->subnets[f->nics[cur].subnet].vnet;
	addr_fmt(w->dst, ip, sizeof(ip));
	if (dv >= 0 && f->vnets[dv].remote) {
		char how[300];
		snprintf(how, sizeof(how), "over the peering %s <-> %s to",
			 f->vnets[cv].name, f->vnets[dv].name);
		left_region(w, dv, how, ip);
		return;
	}
	if (dn < 0) {
		finish(w, FAB_DROPPED, "no NIC has the address %s", ip);
		return;
	}
	struct fab_hop *h = add_hop(w, dn, w->dst);
	if ((uint32_t)dv != cv)
		note(h, "reached over the peering %s <-> %s", f->vnets[cv].name,
		     f->vnets[dv].name);
	note(h, "destination VM");
	finish(w, FAB_DELIVERED, "delivered to %s", f->nics[dn].name);
}

static bool visited(const struct walk *w, uint32_t nic)
{
	for (size_t i = 0; i < w->n_visited; i++)
		if (w->visited[i] == nic)
			return true;
	return false;
}

static bool peered(const struct fabric *f, uint32_t a, uint32_t b)
{
	for (uint32_t i = 0; i < f->vnets[a].n_peers; i++)
		if (f->vnets[a].peers[i] == b)
			return true;
	return false;
}

/* The chosen next hop is not a NIC of this fabric. */
static void step_outside(struct walk *w, struct fab_hop *h)
{
	const struct fabric *f = w->f;
	char ip[ADDR_STRLEN];
	addr_fmt(&h->chosen, ip, sizeof(ip));
	w->t->exit_ip = h->chosen;
	int dv = vnet_of_addr(f, w->dst);
	if (dv >= 0 && f->vnets[dv].remote) {
		left_region(w, dv, "via next hop", ip);
		return;
	}
	finish(w, FAB_LEFT_FABRIC, "leaves the fabric via %s (%s)", ip,
	       h->route.nh_type == NH_VNET_GATEWAY ? "a BGP next hop"
						   : "a virtual appliance");
}

/* Next hop by IP (VirtualAppliance, VirtualNetworkGateway). Returns the
 * NIC the walk continues at, or -1 when it ended. */
static int step_ip(struct walk *w, uint32_t cur, struct fab_hop *h)
{
	const struct fabric *f = w->f;
	char ip[ADDR_STRLEN];
	if (h->n_ecmp == 0) {
		finish(w, FAB_LEFT_FABRIC,
		       "leaves the fabric via the virtual network gateway");
		return -1;
	}
	for (unsigned i = 0; i < h->n_ecmp; i++) {
		if (!addr_eq(&h->ecmp[i], &f->nics[cur].ip) &&
		    !fab_lb_has_backend(f, &h->ecmp[i], &f->nics[cur].ip))
			continue;
		h->has_chosen = true;
		h->chosen = h->ecmp[i];
		note(h, "this NVA is itself a next hop of the route");
		w->t->exit_ip = f->nics[cur].ip;
		addr_fmt(&f->nics[cur].ip, ip, sizeof(ip));
		int dv = vnet_of_addr(f, w->dst);
		if (dv >= 0 && f->vnets[dv].remote) {
			char how[300];
			snprintf(how, sizeof(how), "via %s", f->nics[cur].name);
			left_region(w, dv, how, ip);
			return -1;
		}
		finish(w, FAB_LEFT_FABRIC, "leaves the fabric via %s (%s)",
		       f->nics[cur].name, ip);
		return -1;
	}
	unsigned k = fab_flow_pick(w->src, w->dst, h->n_ecmp);
	h->has_chosen = true;
	h->chosen = h->ecmp[k];
	addr_fmt(&h->chosen, ip, sizeof(ip));
	if (h->n_ecmp > 1)
		note(h, "ECMP over %u next hops: the flow hash of (src, dst) "
			"picks %s", h->n_ecmp, ip);
	struct addr via = h->chosen; /* a load balancer: one backend */
	if (fab_lb_follow(f, w->src, w->dst, &via, h->note, sizeof(h->note)))
		addr_fmt(&via, ip, sizeof(ip));
	int nn = fab_nic_by_ip(f, &via);
	if (nn < 0) {
		step_outside(w, h);
		return -1;
	}
	uint32_t nv = f->subnets[f->nics[nn].subnet].vnet;
	if (f->vnets[nv].remote) {
		char how[300];
		snprintf(how, sizeof(how), "via %s", f->nics[nn].name);
		w->t->exit_ip = h->chosen;
		left_region(w, (int)nv, how, ip);
		return -1;
	}
	uint32_t cv = f->subnets[f->nics[cur].subnet].vnet;
	if (nv != cv && !peered(f, cv, nv)) {
		finish(w, FAB_DROPPED, "next hop %s (%s) is in VNet %s, which is "
		       "not peered with %s", f->nics[nn].name, ip,
		       f->vnets[nv].name, f->vnets[cv].name);
		return -1;
	}
	if (nv != cv)
		snprintf(w->arrival, sizeof(w->arrival),
			 "reached over the peering %s <-> %s", f->vnets[cv].name,
			 f->vnets[nv].name);
	if (visited(w, (uint32_t)nn)) {
		finish(w, FAB_DROPPED, "loop: %s (%s) visited twice",
		       f->nics[nn].name, ip);
		return -1;
	}
	return nn;
}

/* One hop at NIC cur. Returns the next NIC, or -1 when the walk ended. */
static int step(struct walk *w, uint32_t cur)
{
	const struct fabric *f = w->f;
	const struct fnic *n = &f->nics[cur];
	struct fab_hop *h = add_hop(w, (int)cur, &n->ip);
	char ip[ADDR_STRLEN];
	w->visited[w->n_visited++] = cur;
	if (w->arrival[0]) {
		note(h, "%s", w->arrival);
		w->arrival[0] = 0;
	}
	if (w->t->n_hops == 1)
		note(h, "source VM");
	else if (addr_eq(&n->ip, w->dst)) {
		note(h, "destination VM");
		finish(w, FAB_DELIVERED, "delivered to %s", n->name);
		return -1;
	} else
		note(h, "NVA: continues with the effective routes of %s",
		     f->subnets[n->subnet].name);
	struct fab_route r;
	if (fab_lookup(f, n->subnet, w->dst, &r) != FAB_OK) {
		finish(w, FAB_DROPPED, "no route to %s in %s",
		       addr_fmt(w->dst, ip, sizeof(ip)),
		       f->subnets[n->subnet].name);
		return -1;
	}
	h->has_route = true;
	h->route = r;
	h->n_ecmp = r.n_nh > FAB_TRACE_MAX_NH ? FAB_TRACE_MAX_NH : r.n_nh;
	if (h->n_ecmp)
		memcpy(h->ecmp, r.nh, h->n_ecmp * sizeof(struct addr));
	h->route.nh = h->ecmp;
	h->route.n_nh = h->n_ecmp;
	switch (r.nh_type) {
	case NH_NONE:
		finish(w, FAB_DROPPED, "next hop None");
		return -1;
	case NH_INTERNET:
		finish(w, FAB_LEFT_FABRIC, "leaves the fabric to the Internet");
		return -1;
	case NH_VNET_LOCAL:
	case NH_VNET_PEERING:
		step_direct(w, cur);
		return -1;
	default:
		return step_ip(w, cur, h);
	}
}

int fab_trace(const struct fabric *f, uint32_t nic, const struct addr *dst,
	      struct fab_trace *t)
{
	memset(t, 0, sizeof(*t));
	if (nic >= f->n_nics || !dst->afi)
		return FAB_ENOENT;
	struct walk w = { .f = f, .t = t, .src = &f->nics[nic].ip, .dst = dst };
	int cur = (int)nic;
	while (cur >= 0) {
		if (t->n_hops + 2 > FAB_TRACE_MAX_HOPS) {
			finish(&w, FAB_DROPPED, "too many hops");
			break;
		}
		cur = step(&w, (uint32_t)cur);
	}
	return FAB_OK;
}
