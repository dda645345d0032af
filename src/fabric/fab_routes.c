/*
 * fab_routes.c - BGP routes in the fabric: the shared table, versions,
 * the delta log, effective tables, longest-match lookup and deltas.
 *
 * The loc-RIB's routes are kept once (fab_store.c: a next-hop set index
 * per route, bound to the RIB's entries or in an own hash). A change set
 * replaces some of them and becomes one record of the delta log: (prefix,
 * old set, new set) per prefix, or, past max_items, a resync point.
 * A subnet's entries for a prefix depend only on its static routes and
 * that prefix's BGP route, so any subnet's delta is computed from the
 * shared record when asked; nothing is stored per subnet per route.
 */
#include "fabric/fab_int.h"

#include <stdlib.h>
#include <string.h>

#include "rib/rib.h"

#define MAX_GROUP 32 /* entries of one prefix in one subnet, at most */

/* ------------------------------------------------------- change sets */

bool fab_bgp_get(const struct fabric *f, const struct prefix *p,
		 struct fbgp *out)
{
	return fab_view(f, fab_store_get(f, p, 0), p, out);
}

void fab_change_begin(struct fabric *f)
{
	f->in_change = true;
}

static void pending_drop(struct fabric *f)
{
	for (size_t i = 0; i < f->n_pending; i++) {
		fab_set_unref(f, f->pending[i].old);
		fab_set_unref(f, f->pending[i].new);
	}
	free(f->pending);
	f->pending = NULL;
	f->n_pending = f->pending_cap = 0;
}

/* Takes over one reference of old and of nw. Past max_items the change
 * set keeps no items: its commit becomes a resync point. */
static void pending_push(struct fabric *f, const struct prefix *p,
			 uint32_t old, uint32_t nw)
{
	if (!f->pending_over && f->n_pending >= f->max_items) {
		pending_drop(f);
		f->pending_over = true;
	}
	if (f->pending_over) {
		fab_set_unref(f, old);
		fab_set_unref(f, nw);
		return;
	}
	if (f->n_pending == f->pending_cap) {
		f->pending_cap = f->pending_cap ? f->pending_cap * 2 : 64;
		if (f->pending_cap > f->max_items)
			f->pending_cap = f->max_items;
		f->pending = realloc(f->pending,
				     f->pending_cap * sizeof(*f->pending));
		if (!f->pending)
			abort();
	}
	struct fchange *c = &f->pending[f->n_pending++];
	c->prefix = *p;
	c->old = old;
	c->new = nw;
}

/* p (entry id when bound and known, else 0) now has next hops nh. */
static void change_route(struct fabric *f, const struct prefix *p,
			 uint32_t id, const struct addr *nh, size_t n_nh)
{
	if (!f->bgp_needed)
		return;
	if (f->rib && !id && !(id = fab_store_id(f, p)))
		return; /* bound: a prefix the RIB has no entry for */
	if (!f->in_change)
		fab_change_begin(f);
	uint32_t old = fab_store_get(f, p, id);
	uint32_t nw = fab_set_intern(f, nh, n_nh);
	if (old == nw) {
		fab_set_unref(f, nw);
		return;
	}
	fab_store_put(f, p, id, nw); /* the store's reference to old moves */
	fab_set_ref(f, nw); /* and the log gets one to nw */
	struct fbgp ov, nv;
	bool has_old = fab_view(f, old, p, &ov), has_new = fab_view(f, nw, p, &nv);
	if (has_old) {
		f->n_bgp_nh -= ov.n_nh;
		if (!has_new) {
			f->n_bgp--;
			f->len_count[p->afi][p->len]--;
		}
	}
	if (has_new) {
		f->n_bgp_nh += nv.n_nh;
		if (!has_old) {
			f->n_bgp++;
			f->len_count[p->afi][p->len]++;
		}
	}
	fab_nh_account(f, has_old ? &ov : NULL, has_new ? &nv : NULL);
	pending_push(f, p, old, nw);
}

void fab_change_route(struct fabric *f, const struct prefix *p,
		      const struct addr *nh, size_t n_nh)
{
	change_route(f, p, 0, nh, n_nh);
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
	change_route(f, &e->prefix, id, nh, n);
}

static int load_one(const struct rentry *e, uint32_t id, void *arg)
{
	fab_rib_change(e, id, arg); /* an empty entry removes its route */
	return 0;
}

static int load_one_unbound(const struct rentry *e, void *arg)
{
	fab_rib_change(e, 0, arg);
	return 0;
}

struct gone {
	const struct rib *rib;
	struct prefix *p;
	size_t n;
};

static int gone_one(struct fabric *f, const struct prefix *p, uint32_t set,
		    void *arg)
{
	struct gone *g = arg;
	const struct rentry *e = rib_lookup(g->rib, p);
	if (e && e->n_paths)
		return 0;
	g->p = realloc(g->p, (g->n + 1) * sizeof(*g->p));
	if (!g->p)
		abort();
	g->p[g->n++] = *p;
	return 0;
}

uint64_t fab_load_rib(struct fabric *f, const struct rib *rib)
{
	fab_change_begin(f);
	if (!f->bgp_needed)
		return fab_change_commit(f);
	if (f->rib == rib) { /* bound: every entry, the empty ones remove */
		rib_walk_ids(rib, load_one, f);
		return fab_change_commit(f);
	}
	/* first forget what the RIB no longer has */
	struct gone g = { .rib = rib };
	fab_store_walk(f, gone_one, &g);
	for (size_t i = 0; i < g.n; i++)
		fab_change_route(f, &g.p[i], NULL, 0);
	free(g.p);
	rib_walk(rib, 0, load_one_unbound, f);
	return fab_change_commit(f);
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
		fab_set_unref(f, r->items[i].old);
		fab_set_unref(f, r->items[i].new);
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
	if (f->pending_over) {
		/* too big to keep: a resync point, every follower of an
		 * older version fetches the full table */
		f->pending_over = false;
		while (f->log_n)
			log_pop(f);
		f->log_base = ++f->version;
	} else if (f->n_pending == 0) {
		return f->version;
	} else {
		struct frecord r = {
			.version = ++f->version, .n = f->n_pending,
			.items = f->pending,
		};
		f->pending = NULL;
		f->n_pending = f->pending_cap = 0;
		log_push(f, &r);
		log_trim(f);
	}
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
	free(f->pending);
	free(f->log);
	fab_store_free(f); /* every set, whoever held it */
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

/* Which address space of a VNet (own or peered) covers each BGP route, for
 * routes that come in prefix order: the VNet's cover prefixes sorted the
 * same way, and the chain of those that contain the last route (each
 * contains the next; own: whether one of it or below is the VNet's own). */
struct cover_cur {
	struct prefix *p;
	bool *is_own, *own;
	uint32_t *stk;
	size_t n, next, depth;
};

static int cmp_cover(const void *a, const void *b, void *arg)
{
	const struct fvnet *v = arg;
	return fab_prefix_cmp_fast(&v->cover[*(const uint32_t *)a],
				   &v->cover[*(const uint32_t *)b]);
}

static void cover_init(struct cover_cur *cc, const struct fvnet *v)
{
	size_t n = v->n_cover + 1;
	uint32_t *idx = malloc(n * sizeof(*idx));
	memset(cc, 0, sizeof(*cc));
	cc->p = malloc(n * sizeof(*cc->p));
	cc->is_own = malloc(n * 2 * sizeof(bool));
	cc->stk = malloc(n * sizeof(*cc->stk));
	if (!idx || !cc->p || !cc->is_own || !cc->stk)
		abort();
	cc->own = cc->is_own + n;
	for (uint32_t i = 0; i < v->n_cover; i++)
		idx[i] = i;
	qsort_r(idx, v->n_cover, sizeof(*idx), cmp_cover, (void *)v);
	for (size_t i = 0; i < v->n_cover; i++) {
		cc->p[i] = v->cover[idx[i]];
		cc->is_own[i] = idx[i] < v->n_space;
	}
	cc->n = v->n_cover;
	free(idx);
}

static void cover_free(struct cover_cur *cc)
{
	free(cc->p);
	free(cc->is_own);
	free(cc->stk);
}

/* fab_cover_reason(v, p) for p after (or equal to) the last p asked. */
static uint8_t cover_at(struct cover_cur *cc, const struct prefix *p)
{
	while (cc->next < cc->n &&
	       fab_prefix_cmp_fast(&cc->p[cc->next], p) <= 0) {
		size_t x = cc->next++;
		while (cc->depth &&
		       !prefix_contains(&cc->p[cc->stk[cc->depth - 1]], &cc->p[x]))
			cc->depth--;
		if (!prefix_contains(&cc->p[x], p))
			continue; /* wholly before p */
		cc->own[cc->depth] = cc->is_own[x] ||
				     (cc->depth && cc->own[cc->depth - 1]);
		cc->stk[cc->depth++] = (uint32_t)x;
	}
	while (cc->depth && !prefix_contains(&cc->p[cc->stk[cc->depth - 1]], p))
		cc->depth--;
	if (!cc->depth)
		return FAB_R_NONE;
	return cc->own[cc->depth - 1] ? FAB_R_BGP_IN_VNET : FAB_R_BGP_IN_PEER;
}

/* A table being built: the BGP routes come in prefix order and are
 * merged with the subnet's static routes (sorted the same way). */
struct tbuild {
	const struct fsubnet *s;
	struct cover_cur cover;
	struct fab_table *t;
	size_t i, n_pool;
};

/* Emit the static groups before p (all that are left when p is NULL); at
 * p's own group, resolve it with BGP route b. */
static void statics_upto(struct tbuild *tb, const struct prefix *p,
			 const struct fbgp *b, uint8_t why)
{
	const struct fsubnet *s = tb->s;
	struct fab_route out[MAX_GROUP + 1];
	while (tb->i < s->n_static) {
		const struct prefix *q = &s->statics[tb->i].prefix;
		int c = p ? fab_prefix_cmp_fast(q, p) : -1;
		if (c > 0)
			break;
		size_t i2 = tb->i + 1;
		while (i2 < s->n_static && prefix_eq(&s->statics[i2].prefix, q))
			i2++;
		size_t n = fab_resolve_at(&s->statics[tb->i], i2 - tb->i,
					  c == 0 ? b : NULL, c == 0 ? why : 0,
					  out);
		emit(tb->t, &tb->n_pool, out, n);
		tb->i = i2;
		if (c == 0)
			return;
	}
	if (b)
		emit_bgp(tb->t, &tb->n_pool, b, why);
}

static int table_one(struct fabric *f, const struct prefix *p, uint32_t set,
		     void *arg)
{
	struct tbuild *tb = arg;
	struct fbgp b;
	fab_view(f, set, p, &b);
	statics_upto(tb, p, &b, cover_at(&tb->cover, p));
	return 0;
}

int fab_subnet_table_into(struct fabric *f, uint32_t subnet,
			  struct fab_table *t)
{
	t->n = 0;
	if (subnet >= f->n_subnets)
		return FAB_ENOENT;
	const struct fsubnet *s = &f->subnets[subnet];
	size_t nb = s->bgp ? f->n_bgp : 0;
	table_reserve(t, s->n_static + nb + 1,
		      (s->bgp ? f->n_bgp_nh : 0) + s->n_static + 1);
	t->version = f->version;
	struct tbuild tb = { .s = s, .t = t };
	if (nb) {
		cover_init(&tb.cover, &f->vnets[s->vnet]);
		fab_store_walk(f, table_one, &tb);
		cover_free(&tb.cover);
	}
	statics_upto(&tb, NULL, NULL, 0);
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
			struct fbgp b;
			if (!fab_bgp_get(f, &p, &b) || b.reason ||
			    fab_cover_reason(v, &p))
				continue;
			memset(out, 0, sizeof(*out));
			out->prefix = p;
			out->source = FAB_SRC_GATEWAY;
			out->nh_type = NH_VNET_GATEWAY;
			out->n_nh = b.n_nh;
			out->nh = b.nh;
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
	const struct prefix *p = &c->prefix;
	struct fbgp ov, nv;
	const struct fbgp *o = fab_view(f, c->old, p, &ov) ? &ov : NULL;
	const struct fbgp *n = fab_view(f, c->new, p, &nv) ? &nv : NULL;
	size_t lo = fab_static_lower(s, p), hi = lo;
	while (hi < s->n_static && prefix_eq(&s->statics[hi].prefix, p))
		hi++;
	uint8_t why = fab_cover_reason(&f->vnets[s->vnet], p);
	if (hi == lo) { /* no static route on p: only the BGP entry moves */
		struct fab_route r = { .prefix = *p, .source = FAB_SRC_GATEWAY,
				       .nh_type = NH_VNET_GATEWAY, .reason = why,
				       .state = why ? FAB_INVALID : FAB_ACTIVE };
		const struct fbgp *x = n ? n : o;
		if (!why && x->reason) {
			r.reason = x->reason;
			r.state = FAB_INVALID;
		}
		r.n_nh = x->n_nh;
		r.nh = x->nh;
		delta_add(d, v, !o ? FAB_OP_ADD : !n ? FAB_OP_REMOVE
						     : FAB_OP_CHANGE, &r);
		return;
	}
	struct fab_route a[MAX_GROUP + 1], b[MAX_GROUP + 1];
	size_t na = fab_resolve_at(&s->statics[lo], hi - lo, o, why, a);
	size_t nb = fab_resolve_at(&s->statics[lo], hi - lo, n, why, b);
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

/* As fab_subnet_deltas, but stops once d holds more than max items: a
 * caller that only needs to know whether a delta is empty (max 0) or
 * small enough to send builds at most max + a few items. */
int fab_subnet_deltas_upto(struct fabric *f, uint32_t subnet, uint64_t since,
			   size_t max, struct fab_delta *d)
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
		for (size_t i = 0; i < r->n; i++) {
			delta_prefix(f, s, r->version, &r->items[i], d);
			if (d->n > max)
				return FAB_OK;
		}
	}
	return FAB_OK;
}

int fab_subnet_deltas(struct fabric *f, uint32_t subnet, uint64_t since,
		      struct fab_delta *d)
{
	return fab_subnet_deltas_upto(f, subnet, since, SIZE_MAX, d);
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
	st->bytes = f->bytes + fab_store_bytes(f) +
		    f->log_cap * sizeof(*f->log) +
		    f->log_items * sizeof(struct fchange) +
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
