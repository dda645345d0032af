/*
 * fab_routes.c - BGP routes in the fabric: the shared table, versions,
 * the delta log, effective tables, longest-match lookup and deltas.
 *
 * The loc-RIB's routes are kept once (a hash by prefix plus a sorted view)
 * as immutable, reference-counted struct fbgp. A change set replaces some
 * of them and becomes one record of the delta log: (old, new) per prefix.
 * A subnet's entries for a prefix depend only on its static routes and
 * that prefix's BGP route, so any subnet's delta is computed from the
 * shared record when asked; nothing is stored per subnet per route.
 */
#include "fabric/fab_int.h"

#include <stdlib.h>
#include <string.h>

#include "rib/rib.h"

#define MAX_GROUP 32 /* entries of one prefix in one subnet, at most */

/* ---------------------------------------------------------- hashing */

static uint64_t prefix_hash(const struct prefix *p)
{
	uint64_t h = 1469598103934665603ull;
	unsigned n = p->afi == AFI_IPV6 ? 16 : 4;
	h = (h ^ p->afi) * 1099511628211ull;
	h = (h ^ p->len) * 1099511628211ull;
	for (unsigned i = 0; i < n; i++)
		h = (h ^ p->b[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static size_t slot_of(const struct fabric *f, const struct prefix *p)
{
	size_t m = f->cap - 1, i = prefix_hash(p) & m;
	while (f->slots[i] && !prefix_eq(&f->slots[i]->prefix, p))
		i = (i + 1) & m;
	return i;
}

static void grow_slots(struct fabric *f)
{
	size_t ocap = f->cap;
	struct fbgp **old = f->slots;
	f->cap = ocap ? ocap * 2 : 1024;
	f->slots = calloc(f->cap, sizeof(*f->slots));
	if (!f->slots)
		abort();
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			f->slots[slot_of(f, &old[i]->prefix)] = old[i];
	free(old);
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void slot_delete(struct fabric *f, size_t i)
{
	size_t m = f->cap - 1, j = i;
	f->slots[i] = NULL;
	for (;;) {
		j = (j + 1) & m;
		if (!f->slots[j])
			return;
		size_t k = prefix_hash(&f->slots[j]->prefix) & m;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			f->slots[i] = f->slots[j];
			f->slots[j] = NULL;
			i = j;
		}
	}
}

const struct fbgp *fab_bgp_get(const struct fabric *f, const struct prefix *p)
{
	if (!f->cap)
		return NULL;
	return f->slots[slot_of(f, p)];
}

static void bgp_unref(struct fabric *f, struct fbgp *b)
{
	if (b && --b->refcnt == 0) {
		f->bytes -= sizeof(*b) + b->n_nh * sizeof(struct addr);
		free(b);
	}
}

/* ------------------------------------------------------- change sets */

void fab_change_begin(struct fabric *f)
{
	f->in_change = true;
}

static void pending_push(struct fabric *f, struct fbgp *old, struct fbgp *nw)
{
	if (f->n_pending == f->pending_cap) {
		f->pending_cap = f->pending_cap ? f->pending_cap * 2 : 64;
		f->pending = realloc(f->pending,
				     f->pending_cap * sizeof(*f->pending));
		if (!f->pending)
			abort();
	}
	f->pending[f->n_pending].old = old;
	f->pending[f->n_pending++].new = nw;
	if (!old != !nw)
		f->pending_members++;
}

static struct fbgp *bgp_make(struct fabric *f, const struct prefix *p,
			     const struct addr *nh, size_t n)
{
	struct fbgp *b = malloc(sizeof(*b) + n * sizeof(struct addr));
	if (!b)
		abort();
	b->refcnt = 1;
	b->prefix = *p;
	b->n_nh = 0;
	for (size_t i = 0; i < n; i++) { /* insertion sort, unique */
		size_t j = b->n_nh;
		int c = 1;
		while (j > 0 && (c = addr_cmp(&b->nh[j - 1], &nh[i])) > 0)
			j--;
		if (j > 0 && c == 0)
			continue;
		memmove(&b->nh[j + 1], &b->nh[j], (b->n_nh - j) * sizeof(*nh));
		b->nh[j] = nh[i];
		b->n_nh++;
	}
	fab_nh_classify(f, b);
	f->bytes += sizeof(*b) + n * sizeof(struct addr);
	return b;
}

static bool same_nh(const struct fbgp *a, const struct fbgp *b)
{
	return a->n_nh == b->n_nh &&
	       memcmp(a->nh, b->nh, a->n_nh * sizeof(struct addr)) == 0;
}

void fab_change_route(struct fabric *f, const struct prefix *p,
		      const struct addr *nh, size_t n_nh)
{
	if (!f->bgp_needed)
		return;
	if (!f->in_change)
		fab_change_begin(f);
	if (f->n_bgp * 2 >= f->cap)
		grow_slots(f);
	size_t i = slot_of(f, p);
	struct fbgp *old = f->slots[i];
	if (n_nh == 0) {
		if (!old)
			return;
		slot_delete(f, i);
		f->n_bgp--;
		f->n_bgp_nh -= old->n_nh;
		f->len_count[old->prefix.afi][old->prefix.len]--;
		fab_nh_account(f, old, NULL);
		pending_push(f, old, NULL); /* the table's reference moves */
		return;
	}
	struct fbgp *nb = bgp_make(f, p, nh, n_nh);
	if (old && same_nh(old, nb)) {
		bgp_unref(f, nb);
		return;
	}
	nb->refcnt = 2; /* the table and the log */
	f->slots[i] = nb;
	f->n_bgp_nh += nb->n_nh;
	if (old)
		f->n_bgp_nh -= old->n_nh;
	else {
		f->n_bgp++;
		f->len_count[p->afi][p->len]++;
	}
	fab_nh_account(f, old, nb);
	pending_push(f, old, nb);
}

void fab_rib_change(const struct rentry *e, uint32_t id, void *arg)
{
	struct fabric *f = arg;
	struct addr nh[64];
	size_t n = 0;
	if (!f->bgp_needed)
		return;
	for (const struct rpath *p = e->paths; p && n < 64; p = p->next)
		if ((p->flags & RPATH_ECMP) && p->attr && p->attr->next_hop.afi)
			nh[n++] = p->attr->next_hop;
	if (n == 0 && e->paths && e->paths->attr && e->paths->attr->next_hop.afi)
		nh[n++] = e->paths->attr->next_hop; /* no ECMP flags: best only */
	fab_change_route(f, &e->prefix, nh, n);
}

static int load_one(const struct rentry *e, void *arg)
{
	fab_rib_change(e, 0, arg);
	return 0;
}

uint64_t fab_load_rib(struct fabric *f, const struct rib *rib)
{
	fab_change_begin(f);
	if (!f->bgp_needed)
		return fab_change_commit(f);
	/* first forget what the RIB no longer has */
	struct prefix *gone = NULL;
	size_t n_gone = 0;
	for (size_t i = 0; i < f->cap; i++) {
		const struct fbgp *b = f->slots[i];
		const struct rentry *e = b ? rib_lookup(rib, &b->prefix) : NULL;
		if (!b || (e && e->n_paths))
			continue;
		gone = realloc(gone, (n_gone + 1) * sizeof(*gone));
		if (!gone)
			abort();
		gone[n_gone++] = b->prefix;
	}
	for (size_t i = 0; i < n_gone; i++)
		fab_change_route(f, &gone[i], NULL, 0);
	free(gone);
	rib_walk(rib, 0, load_one, f);
	return fab_change_commit(f);
}

/* -------------------------------------------------- the sorted view */

static int cmp_bgp_ptr(const void *a, const void *b)
{
	return fab_prefix_cmp_fast(&(*(struct fbgp *const *)a)->prefix,
				   &(*(struct fbgp *const *)b)->prefix);
}

static size_t sorted_lower(const struct fabric *f, const struct prefix *p)
{
	size_t lo = 0, hi = f->n_sorted;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (fab_prefix_cmp_fast(&f->sorted[mid]->prefix, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void sorted_rebuild(struct fabric *f)
{
	if (!f->sorted || f->sorted_cap < f->n_bgp) {
		f->sorted_cap = f->n_bgp + f->n_bgp / 4 + 16;
		free(f->sorted);
		f->sorted = malloc(f->sorted_cap * sizeof(*f->sorted));
		if (!f->sorted)
			abort();
	}
	f->n_sorted = 0;
	for (size_t i = 0; i < f->cap; i++)
		if (f->slots[i])
			f->sorted[f->n_sorted++] = f->slots[i];
	if (f->n_sorted > 1)
		qsort(f->sorted, f->n_sorted, sizeof(*f->sorted), cmp_bgp_ptr);
}

/* The sorted view, rebuilt first when a commit left it stale. */
static void sorted_fresh(struct fabric *f)
{
	if (f->sorted_dirty || !f->sorted) {
		sorted_rebuild(f);
		f->sorted_dirty = false;
	}
}

static void sorted_apply(struct fabric *f, const struct fchange *c)
{
	const struct fbgp *any = c->new ? c->new : c->old;
	size_t i = sorted_lower(f, &any->prefix);
	bool here = i < f->n_sorted && prefix_eq(&f->sorted[i]->prefix,
						  &any->prefix);
	if (c->new && here) {
		f->sorted[i] = c->new;
	} else if (c->new) {
		if (f->n_sorted == f->sorted_cap) {
			f->sorted_cap = f->sorted_cap * 2 + 16;
			f->sorted = realloc(f->sorted,
					    f->sorted_cap * sizeof(*f->sorted));
			if (!f->sorted)
				abort();
		}
		memmove(&f->sorted[i + 1], &f->sorted[i],
			(f->n_sorted - i) * sizeof(*f->sorted));
		f->sorted[i] = c->new;
		f->n_sorted++;
	} else if (here) {
		memmove(&f->sorted[i], &f->sorted[i + 1],
			(f->n_sorted - i - 1) * sizeof(*f->sorted));
		f->n_sorted--;
	}
}

/* ---------------------------------------------------------- the log */

static struct frecord *log_at(const struct fabric *f, size_t k)
{
	return &f->log[(f->log_head + k) % f->log_cap];
}

static void log_push(struct fabric *f, struct frecord *r)
{
	if (f->log_n == f->log_cap) {
		size_t ncap = f->log_cap ? f->log_cap * 2 : 16;
		struct frecord *nl = calloc(ncap, sizeof(*nl));
		if (!nl)
			abort();
		for (size_t k = 0; k < f->log_n; k++)
			nl[k] = *log_at(f, k);
		free(f->log);
		f->log = nl, f->log_cap = ncap, f->log_head = 0;
	}
	*log_at(f, f->log_n++) = *r;
	f->log_items += r->n;
}

static void log_pop(struct fabric *f)
{
	struct frecord *r = log_at(f, 0);
	for (size_t i = 0; i < r->n; i++) {
		bgp_unref(f, r->items[i].old);
		bgp_unref(f, r->items[i].new);
	}
	f->log_items -= r->n;
	f->log_base = r->version;
	free(r->items);
	memset(r, 0, sizeof(*r));
	f->log_head = (f->log_head + 1) % f->log_cap;
	f->log_n--;
}

static void log_trim(struct fabric *f)
{
	while (f->log_n > 1 &&
	       (f->log_n > f->max_versions || f->log_items > f->max_items))
		log_pop(f);
}

void fab_set_log_limits(struct fabric *f, size_t versions, size_t items)
{
	f->max_versions = versions ? versions : 1;
	f->max_items = items ? items : 1;
	log_trim(f);
}

uint64_t fab_log_base(const struct fabric *f)
{
	return f->log_base;
}

uint64_t fab_version(const struct fabric *f)
{
	return f->version;
}

uint64_t fab_change_commit(struct fabric *f)
{
	f->in_change = false;
	if (f->n_pending == 0)
		return f->version;
	struct frecord r = {
		.version = ++f->version, .n = f->n_pending, .items = f->pending,
	};
	/* Big change sets (a table load, a peer flush) only mark the sorted
	 * view stale: it is rebuilt once, when a full table is next asked
	 * for, not once per loop turn while a million routes arrive. */
	if (f->sorted_dirty || !f->sorted || f->pending_members > 64) {
		f->sorted_dirty = true;
	} else {
		for (size_t i = 0; i < r.n; i++)
			sorted_apply(f, &r.items[i]);
	}
	f->pending = NULL;
	f->n_pending = f->pending_cap = f->pending_members = 0;
	log_push(f, &r);
	log_trim(f);
	for (size_t i = 0; i < f->n_watch; i++)
		if (f->watch[i].cb)
			f->watch[i].cb(f, f->version, f->watch[i].arg);
	return f->version;
}

int fab_watch(struct fabric *f, fab_watch_cb cb, void *arg)
{
	f->watch = realloc(f->watch, (f->n_watch + 1) * sizeof(*f->watch));
	if (!f->watch)
		abort();
	f->watch[f->n_watch].cb = cb;
	f->watch[f->n_watch].arg = arg;
	return (int)f->n_watch++;
}

void fab_unwatch(struct fabric *f, int id)
{
	if (id >= 0 && (size_t)id < f->n_watch)
		f->watch[id].cb = NULL;
}

void fab_bgp_free_all(struct fabric *f)
{
	while (f->log_n)
		log_pop(f);
	for (size_t i = 0; i < f->n_pending; i++) {
		bgp_unref(f, f->pending[i].old);
		bgp_unref(f, f->pending[i].new);
	}
	for (size_t i = 0; i < f->cap; i++)
		bgp_unref(f, f->slots[i]);
	free(f->pending);
	free(f->slots);
	free(f->sorted);
	free(f->log);
}

/* ------------------------------------------------ precedence at one prefix */

size_t fab_resolve_at(const struct fab_route *st, size_t n_st,
		      const struct fbgp *b, uint8_t bgp_reason,
		      struct fab_route *out)
{
	struct fab_route tmp[MAX_GROUP + 1];
	size_t k = 0, n = 0;
	bool user = false, gw = false;
	if (n_st > MAX_GROUP)
		n_st = MAX_GROUP;
	for (size_t i = 0; i < n_st; i++)
		if (st[i].source == FAB_SRC_USER) {
			user |= st[i].state == FAB_ACTIVE;
			tmp[k++] = st[i];
		}
	if (b) {
		struct fab_route *r = &tmp[k++];
		memset(r, 0, sizeof(*r));
		r->prefix = b->prefix;
		r->source = FAB_SRC_GATEWAY;
		r->nh_type = NH_VNET_GATEWAY;
		r->n_nh = b->n_nh;
		r->nh = b->nh;
		r->reason = bgp_reason ? bgp_reason : b->reason ? b->reason
				  : user ? FAB_R_BY_USER : 0;
		r->state = r->reason ? FAB_INVALID : FAB_ACTIVE;
		gw = r->state == FAB_ACTIVE;
	}
	for (size_t i = 0; i < n_st; i++) {
		if (st[i].source == FAB_SRC_USER)
			continue;
		tmp[k] = st[i];
		if (gw && tmp[k].state == FAB_ACTIVE)
			tmp[k].state = FAB_INVALID, tmp[k].reason = FAB_R_BY_GATEWAY;
		k++;
	}
	for (size_t i = 0; i < k; i++) /* Active first, precedence kept */
		if (tmp[i].state == FAB_ACTIVE)
			out[n++] = tmp[i];
	for (size_t i = 0; i < k; i++)
		if (tmp[i].state != FAB_ACTIVE)
			out[n++] = tmp[i];
	return n;
}

/* ------------------------------------------------------ full tables */

/* Mark BGP routes (sorted view) that fall inside the VNet's or a peer's
 * address space: one range scan per covering prefix. */
static void mark_covered(struct fabric *f, const struct fvnet *v)
{
	if (f->mark_cap < f->n_sorted) {
		free(f->mark);
		f->mark_cap = f->n_sorted + 1024;
		f->mark = malloc(f->mark_cap);
		if (!f->mark)
			abort();
	}
	memset(f->mark, 0, f->n_sorted);
	for (uint32_t c = 0; c < v->n_cover; c++) {
		uint8_t why = c < v->n_space ? FAB_R_BGP_IN_VNET
					     : FAB_R_BGP_IN_PEER;
		for (size_t i = sorted_lower(f, &v->cover[c]);
		     i < f->n_sorted &&
		     prefix_contains(&v->cover[c], &f->sorted[i]->prefix);
		     i++)
			if (!f->mark[i])
				f->mark[i] = why;
	}
}

static void emit(struct fab_table *t, size_t *n_pool, const struct fab_route *r,
		 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct fab_route *o = &t->routes[t->n++];
		*o = r[i];
		if (r[i].n_nh) {
			o->nh = &t->nh_pool[*n_pool];
			memcpy(&t->nh_pool[*n_pool], r[i].nh,
			       r[i].n_nh * sizeof(struct addr));
			*n_pool += r[i].n_nh;
		}
	}
}

/* A BGP route with no static route on its prefix (the common case). */
static void emit_bgp(struct fab_table *t, size_t *n_pool, const struct fbgp *b,
		     uint8_t why)
{
	struct fab_route *o = &t->routes[t->n++];
	if (!why)
		why = b->reason; /* a next hop the fabric cannot use */
	o->prefix = b->prefix;
	o->source = FAB_SRC_GATEWAY;
	o->nh_type = NH_VNET_GATEWAY;
	o->reason = why;
	o->state = why ? FAB_INVALID : FAB_ACTIVE;
	o->n_nh = b->n_nh;
	o->nh = &t->nh_pool[*n_pool];
	memcpy(&t->nh_pool[*n_pool], b->nh, b->n_nh * sizeof(struct addr));
	*n_pool += b->n_nh;
}

static void table_reserve(struct fab_table *t, size_t n, size_t pool)
{
	if (t->cap < n) {
		free(t->routes);
		t->cap = n;
		t->routes = malloc(n * sizeof(*t->routes));
	}
	if (t->pool_cap < pool) {
		free(t->nh_pool);
		t->pool_cap = pool;
		t->nh_pool = malloc(pool * sizeof(*t->nh_pool));
	}
	if (!t->routes || !t->nh_pool)
		abort();
}

int fab_subnet_table_into(struct fabric *f, uint32_t subnet,
			  struct fab_table *t)
{
	t->n = 0;
	if (subnet >= f->n_subnets)
		return FAB_ENOENT;
	sorted_fresh(f);
	const struct fsubnet *s = &f->subnets[subnet];
	size_t nb = s->bgp ? f->n_sorted : 0, n_pool = 0;
	table_reserve(t, s->n_static + nb + 1,
		      (s->bgp ? f->n_bgp_nh : 0) + s->n_static + 1);
	t->version = f->version;
	if (nb)
		mark_covered(f, &f->vnets[s->vnet]);
	struct fab_route out[MAX_GROUP + 1];
	size_t i = 0, j = 0;
	while (i < s->n_static || j < nb) {
		int c = i >= s->n_static ? 1 : j >= nb ? -1
			: fab_prefix_cmp_fast(&s->statics[i].prefix,
					      &f->sorted[j]->prefix);
		if (c > 0) {
			emit_bgp(t, &n_pool, f->sorted[j], f->mark[j]);
			j++;
			continue;
		}
		size_t i2 = i + 1;
		while (i2 < s->n_static &&
		       prefix_eq(&s->statics[i2].prefix, &s->statics[i].prefix))
			i2++;
		const struct fbgp *b = c == 0 ? f->sorted[j] : NULL;
		size_t n = fab_resolve_at(&s->statics[i], i2 - i, b,
					  b ? f->mark[j] : 0, out);
		emit(t, &n_pool, out, n);
		i = i2;
		j += b != NULL;
	}
	return FAB_OK;
}

int fab_subnet_table(struct fabric *f, uint32_t subnet, struct fab_table *t)
{
	memset(t, 0, sizeof(*t));
	return fab_subnet_table_into(f, subnet, t);
}

int fab_nic_table(struct fabric *f, const char *nic, struct fab_table *t)
{
	int n = fab_nic_find(f, nic);
	if (n < 0) {
		memset(t, 0, sizeof(*t));
		return FAB_ENOENT;
	}
	return fab_subnet_table(f, f->nics[n].subnet, t);
}

void fab_table_free(struct fab_table *t)
{
	free(t->routes);
	free(t->nh_pool);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------ lookup */

int fab_lookup(const struct fabric *f, uint32_t subnet, const struct addr *dst,
	       struct fab_route *out)
{
	if (subnet >= f->n_subnets || !dst->afi || dst->afi > AFI_IPV6)
		return FAB_ENOENT;
	const struct fsubnet *s = &f->subnets[subnet];
	const struct fab_route *best = NULL;
	for (size_t i = 0; i < s->n_static; i++) {
		const struct fab_route *r = &s->statics[i];
		if (r->state != FAB_ACTIVE || !prefix_contains_addr(&r->prefix, dst))
			continue;
		if (!best || r->prefix.len > best->prefix.len)
			best = r; /* same length: sorted order keeps precedence */
	}
	if (s->bgp && f->n_bgp) {
		const struct fvnet *v = &f->vnets[s->vnet];
		for (int len = (int)afi_maxlen(dst->afi); len >= 0; len--) {
			if (best && (len < best->prefix.len ||
				     (len == best->prefix.len &&
				      best->source == FAB_SRC_USER)))
				break;
			if (!f->len_count[dst->afi][len])
				continue;
			struct prefix p;
			prefix_from_addr(&p, dst, (unsigned)len);
			const struct fbgp *b = fab_bgp_get(f, &p);
			if (!b || b->reason || fab_cover_reason(v, &p))
				continue;
			memset(out, 0, sizeof(*out));
			out->prefix = p;
			out->source = FAB_SRC_GATEWAY;
			out->nh_type = NH_VNET_GATEWAY;
			out->n_nh = b->n_nh;
			out->nh = b->nh;
			return FAB_OK;
		}
	}
	if (!best)
		return FAB_ENOENT;
	*out = *best;
	return FAB_OK;
}

/* ------------------------------------------------------------ deltas */

static bool same_key(const struct fab_route *a, const struct fab_route *b)
{
	return a->source == b->source && a->nh_type == b->nh_type;
}

static bool same_route(const struct fab_route *a, const struct fab_route *b)
{
	return a->state == b->state && a->reason == b->reason &&
	       a->n_nh == b->n_nh &&
	       (!a->n_nh ||
		memcmp(a->nh, b->nh, a->n_nh * sizeof(struct addr)) == 0);
}

static void delta_add(struct fab_delta *d, uint64_t v, uint8_t op,
		      const struct fab_route *r)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->items = realloc(d->items, d->cap * sizeof(*d->items));
		if (!d->items)
			abort();
	}
	d->items[d->n].version = v;
	d->items[d->n].op = op;
	d->items[d->n++].route = *r;
}

static void delta_prefix(const struct fabric *f, const struct fsubnet *s,
			 uint64_t v, const struct fchange *c,
			 struct fab_delta *d)
{
	const struct prefix *p = c->new ? &c->new->prefix : &c->old->prefix;
	size_t lo = fab_static_lower(s, p), hi = lo;
	while (hi < s->n_static && prefix_eq(&s->statics[hi].prefix, p))
		hi++;
	uint8_t why = fab_cover_reason(&f->vnets[s->vnet], p);
	if (hi == lo) { /* no static route on p: only the BGP entry moves */
		struct fab_route r = { .prefix = *p, .source = FAB_SRC_GATEWAY,
				       .nh_type = NH_VNET_GATEWAY, .reason = why,
				       .state = why ? FAB_INVALID : FAB_ACTIVE };
		const struct fbgp *x = c->new ? c->new : c->old;
		if (!why && x->reason) {
			r.reason = x->reason;
			r.state = FAB_INVALID;
		}
		r.n_nh = x->n_nh;
		r.nh = x->nh;
		delta_add(d, v, !c->old ? FAB_OP_ADD : !c->new ? FAB_OP_REMOVE
							: FAB_OP_CHANGE, &r);
		return;
	}
	struct fab_route a[MAX_GROUP + 1], b[MAX_GROUP + 1];
	size_t na = fab_resolve_at(&s->statics[lo], hi - lo, c->old, why, a);
	size_t nb = fab_resolve_at(&s->statics[lo], hi - lo, c->new, why, b);
	bool used[MAX_GROUP + 1] = { false };
	for (size_t i = 0; i < nb; i++) {
		size_t k = 0;
		while (k < na && (used[k] || !same_key(&a[k], &b[i])))
			k++;
		if (k == na) {
			delta_add(d, v, FAB_OP_ADD, &b[i]);
			continue;
		}
		used[k] = true;
		if (!same_route(&a[k], &b[i]))
			delta_add(d, v, FAB_OP_CHANGE, &b[i]);
	}
	for (size_t k = 0; k < na; k++)
		if (!used[k])
			delta_add(d, v, FAB_OP_REMOVE, &a[k]);
}

int fab_subnet_deltas(struct fabric *f, uint32_t subnet, uint64_t since,
		      struct fab_delta *d)
{
	memset(d, 0, sizeof(*d));
	if (subnet >= f->n_subnets)
		return FAB_ENOENT;
	if (since > f->version || since < f->log_base)
		return FAB_ERESYNC;
	d->from_version = since;
	d->version = f->version;
	const struct fsubnet *s = &f->subnets[subnet];
	if (!s->bgp)
		return FAB_OK;
	for (size_t k = (size_t)(since - f->log_base); k < f->log_n; k++) {
		const struct frecord *r = log_at(f, k);
		for (size_t i = 0; i < r->n; i++)
			delta_prefix(f, s, r->version, &r->items[i], d);
	}
	return FAB_OK;
}

void fab_delta_free(struct fab_delta *d)
{
	free(d->items);
	memset(d, 0, sizeof(*d));
}

/* ------------------------------------------------------- stats, names */

void fab_stats(const struct fabric *f, struct fab_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->vnets = f->n_vnets;
	st->subnets = f->n_subnets;
	st->nics = f->n_nics;
	st->bgp_routes = f->n_bgp;
	st->bgp_next_hops = f->n_bgp_nh;
	st->log_versions = f->log_n;
	st->log_items = f->log_items;
	for (size_t i = 0; i < f->n_subnets; i++)
		st->static_routes += f->subnets[i].n_static;
	st->bytes = f->bytes + f->cap * sizeof(*f->slots) +
		    f->sorted_cap * sizeof(*f->sorted) +
		    f->log_cap * sizeof(*f->log) +
		    f->log_items * sizeof(struct fchange) + f->mark_cap +
		    f->pending_cap * sizeof(*f->pending) +
		    f->n_watch * sizeof(*f->watch);
}

const char *fab_source_name(uint8_t s)
{
	static const char *const n[] = { "User", "VirtualNetworkGateway",
					 "Default" };
	return s < 3 ? n[s] : "?";
}

const char *fab_state_name(uint8_t s)
{
	return s == FAB_ACTIVE ? "Active" : "Invalid";
}

const char *fab_nh_type_name(uint8_t t)
{
	static const char *const n[] = {
		"VirtualAppliance", "VnetLocal", "Internet", "None",
		"VirtualNetworkGateway", "VNetPeering",
	};
	return t < 6 ? n[t] : "?";
}

const char *fab_reason_text(uint8_t r)
{
	static const char *const n[FAB_R_MAX] = {
		[FAB_R_NONE] = "",
		[FAB_R_BY_USER] = "overridden by a User route for the same prefix",
		[FAB_R_BY_GATEWAY] = "overridden by a VirtualNetworkGateway "
				     "route for the same prefix",
		[FAB_R_BGP_IN_VNET] = "not installed: equal to or inside an "
				      "address space of this VNet",
		[FAB_R_BGP_IN_PEER] = "not installed: equal to or inside an "
				      "address space of a peered VNet",
		[FAB_R_RESERVED_IN_VNET] = "range is inside an address space "
					   "of this VNet",
		[FAB_R_RESERVED_IN_PEER] = "range is inside an address space "
					   "of a peered VNet",
		[FAB_R_DUPLICATE] = "duplicate of another route with the same "
				    "prefix and source",
		[FAB_R_NH_OUTSIDE] = "not installed: next hop outside every "
				     "VNet address space",
		[FAB_R_NH_LB_DOWN] = "not installed: next hop is a load "
				     "balancer whose health is down",
	};
	return r < FAB_R_MAX ? n[r] : "?";
}

const char *fab_op_name(uint8_t op)
{
	return op == FAB_OP_ADD ? "add" : op == FAB_OP_CHANGE ? "change"
							      : "remove";
}
