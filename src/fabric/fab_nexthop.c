/*
 * fab_nexthop.c - checking the next hops of BGP routes against the
 * fabric (third-party next hops).
 *
 * A peer may advertise a next hop other than its own address (a load
 * balancer in front of a set of NVAs, Azure's "next hop IP"). Each BGP
 * route's next hops are checked once, when the fabric takes the route:
 *  - a next hop that is a configured load balancer's frontend is usable
 *    while its health is up; with health down the route is Invalid;
 *  - otherwise a next hop inside some VNet's address space is usable;
 *  - a next hop outside every VNet makes the route Invalid, unless
 *    fabric.allow_external_next_hops is set.
 * A route is Invalid as soon as one of its next hops is not usable (the
 * reason names the kind of problem; next_hop_ips shows the hops). Each
 * route that becomes Invalid this way is queued as an event for the
 * daemon (bounded), and a gauge counts such routes for the metrics.
 * A trace whose chosen next hop is a load balancer continues at the
 * backend the flow hash picks.
 */
#include "fabric/fab_int.h"

#include <stdio.h>
#include <stdlib.h>

#define NH_EVENTS_MAX 32 /* queued between two takes; more are counted */

static bool in_some_vnet(const struct fabric *f, const struct addr *a)
{
	for (size_t i = 0; i < f->n_vnets; i++)
		for (uint32_t j = 0; j < f->vnets[i].n_space; j++)
			if (prefix_contains_addr(&f->vnets[i].space[j], a))
				return true;
	return false;
}

int fab_nh_build(struct fabric *f, const struct conf_fabric *cf, char *err,
		 size_t errlen)
{
	f->allow_ext_nh = cf->allow_external_next_hops;
	if (!cf->n_load_balancers)
		return 0;
	f->lbs = calloc(cf->n_load_balancers, sizeof(*f->lbs));
	if (!f->lbs)
		abort();
	f->bytes += cf->n_load_balancers * sizeof(*f->lbs);
	for (unsigned i = 0; i < cf->n_load_balancers; i++) {
		const struct conf_lb *c = &cf->load_balancers[i];
		struct flb *lb = &f->lbs[f->n_lbs];
		int v = fab_vnet_find(f, c->vnet);
		if (v < 0) {
			snprintf(err, errlen, "load balancer '%s': unknown "
				 "VNet '%s'", c->name, c->vnet);
			return -1;
		}
		lb->name = strdup(c->name);
		lb->back = calloc(c->n_backends ? c->n_backends : 1,
				  sizeof(*lb->back));
		if (!lb->name || !lb->back)
			abort();
		f->n_lbs++;
		lb->vnet = (uint32_t)v;
		lb->front = c->frontend_ip;
		lb->health = c->health;
		lb->n_back = (uint16_t)c->n_backends;
		memcpy(lb->back, c->backends, c->n_backends * sizeof(*lb->back));
		f->bytes += strlen(lb->name) + 1 +
			    c->n_backends * sizeof(*lb->back);
	}
	return 0;
}

void fab_nh_free(struct fabric *f)
{
	for (size_t i = 0; i < f->n_lbs; i++) {
		free(f->lbs[i].name);
		free(f->lbs[i].back);
	}
	free(f->lbs);
	free(f->nh_events);
}

const struct flb *fab_lb_by_ip(const struct fabric *f, const struct addr *a)
{
	for (size_t i = 0; i < f->n_lbs; i++)
		if (addr_eq(&f->lbs[i].front, a))
			return &f->lbs[i];
	return NULL;
}

uint8_t fab_nh_reason(const struct fabric *f, const struct addr *nh)
{
	const struct flb *lb = fab_lb_by_ip(f, nh);

	if (lb)
		return lb->health == LB_DOWN ? FAB_R_NH_LB_DOWN : FAB_R_NONE;
	if (f->allow_ext_nh || in_some_vnet(f, nh))
		return FAB_R_NONE;
	return FAB_R_NH_OUTSIDE;
}

void fab_nh_classify(const struct fabric *f, struct fbgp *b)
{
	b->reason = FAB_R_NONE;
	b->bad = 0;
	for (uint16_t i = 0; i < b->n_nh; i++) {
		uint8_t r = fab_nh_reason(f, &b->nh[i]);
		if (r) {
			b->reason = r;
			b->bad = i;
			return;
		}
	}
}

/* Queue one event: route b became Invalid for its next hop. */
static void queue_event(struct fabric *f, const struct fbgp *b)
{
	if (f->n_nh_events >= NH_EVENTS_MAX) {
		f->nh_events_lost++;
		return;
	}
	if (!f->nh_events) {
		f->nh_events = calloc(NH_EVENTS_MAX, sizeof(*f->nh_events));
		if (!f->nh_events)
			abort();
		f->bytes += NH_EVENTS_MAX * sizeof(*f->nh_events);
	}
	struct fab_nh_event *e = &f->nh_events[f->n_nh_events++];
	e->prefix = b->prefix;
	e->next_hop = b->nh[b->bad];
	e->reason = b->reason;
}

void fab_nh_account(struct fabric *f, const struct fbgp *old,
		    const struct fbgp *nw)
{
	if (old && old->reason)
		f->n_invalid_nh--;
	if (!nw || !nw->reason)
		return;
	f->n_invalid_nh++;
	if (!old || old->reason != nw->reason ||
	    !addr_eq(&old->nh[old->bad], &nw->nh[nw->bad])) {
		f->invalid_nh_total++;
		queue_event(f, nw);
	}
}

size_t fab_invalid_next_hops(const struct fabric *f, uint64_t *total)
{
	if (total)
		*total = f ? f->invalid_nh_total : 0;
	return f ? f->n_invalid_nh : 0;
}

size_t fab_nh_events_take(struct fabric *f, fab_nh_event_cb cb, void *arg,
			  size_t *lost)
{
	size_t n = f->n_nh_events;

	for (size_t i = 0; i < n; i++)
		cb(arg, &f->nh_events[i]);
	if (lost)
		*lost = f->nh_events_lost;
	f->n_nh_events = 0;
	f->nh_events_lost = 0;
	return n;
}

const char *fab_lb_name(const struct fabric *f, const struct addr *frontend)
{
	const struct flb *lb = fab_lb_by_ip(f, frontend);
	return lb ? lb->name : NULL;
}

bool fab_lb_has_backend(const struct fabric *f, const struct addr *frontend,
			const struct addr *ip)
{
	const struct flb *lb = fab_lb_by_ip(f, frontend);

	for (uint16_t i = 0; lb && i < lb->n_back; i++)
		if (addr_eq(&lb->back[i], ip))
			return true;
	return false;
}

bool fab_lb_follow(const struct fabric *f, const struct addr *src,
		   const struct addr *dst, struct addr *via, char *note,
		   size_t len)
{
	const struct flb *lb = fab_lb_by_ip(f, via);
	char fr[ADDR_STRLEN], be[ADDR_STRLEN];
	size_t used = strlen(note);

	if (!lb || !lb->n_back)
		return false;
	unsigned k = fab_flow_pick(src, dst, lb->n_back);
	snprintf(note + used, len - used, "%sload balancer %s (%s, health %s): "
		 "the flow hash picks backend %s of %u", used ? "; " : "",
		 lb->name, addr_fmt(via, fr, sizeof(fr)),
		 lb->health == LB_DOWN ? "down" : "up",
		 addr_fmt(&lb->back[k], be, sizeof(be)), lb->n_back);
	*via = lb->back[k];
	return true;
}
