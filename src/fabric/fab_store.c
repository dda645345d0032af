/*
 * fab_store.c - where the fabric keeps its BGP routes.
 *
 * A route is a prefix and an interned next-hop set (struct fset: the ECMP
 * next hops, sorted and unique, classified once). Routes share sets: there
 * are about as many sets as NVAs and ECMP combinations, not as routes.
 *
 * Two stores hold the prefix -> set index map:
 *  - bound to the daemon's loc-RIB (fab_bind_rib): an array indexed by the
 *    RIB's entry id, 4 bytes a route; prefixes, lookups and prefix order
 *    come from the RIB itself (its trie), which holds every entry the
 *    fabric has until the drain that delivers it empty;
 *  - unbound (tests, what-if fabrics): an own hash of (prefix, set) and a
 *    sorted copy made when a walk in prefix order is asked for.
 * Everything above (change sets, tables, deltas, lookup) goes through
 * fab_store_get/put/walk, so the two stores cannot answer differently.
 */
#include "fabric/fab_int.h"

#include <stdlib.h>
#include <string.h>

#include "rib/rib.h"

/* ---------------------------------------------------- next-hop sets */

static uint32_t nh_hash(const struct addr *nh, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *b = (const uint8_t *)nh;
	for (size_t i = 0; i < n * sizeof(*nh); i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

static size_t set_slot(const struct fabric *f, uint32_t h,
		       const struct addr *nh, size_t n)
{
	size_t m = f->set_hcap - 1, i = h & m;
	for (;;) {
		uint32_t s = f->set_hash[i];
		if (!s)
			return i;
		const struct fset *x = f->sets[s];
		if (x->hash == h && x->n_nh == n &&
		    !memcmp(x->nh, nh, n * sizeof(*nh)))
			return i;
		i = (i + 1) & m;
	}
}

static void set_hash_grow(struct fabric *f)
{
	size_t ocap = f->set_hcap;
	uint32_t *old = f->set_hash;
	f->set_hcap = ocap ? ocap * 2 : 64;
	f->set_hash = calloc(f->set_hcap, sizeof(*f->set_hash));
	if (!f->set_hash)
		abort();
	for (size_t i = 0; i < ocap; i++)
		if (old[i]) {
			const struct fset *x = f->sets[old[i]];
			f->set_hash[set_slot(f, x->hash, x->nh, x->n_nh)] = old[i];
		}
	free(old);
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void set_hash_delete(struct fabric *f, size_t i)
{
	size_t m = f->set_hcap - 1, j = i;
	f->set_hash[i] = 0;
	for (;;) {
		j = (j + 1) & m;
		if (!f->set_hash[j])
			return;
		size_t k = f->sets[f->set_hash[j]]->hash & m;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			f->set_hash[i] = f->set_hash[j];
			f->set_hash[j] = 0;
			i = j;
		}
	}
}

static uint32_t set_new_index(struct fabric *f)
{
	if (f->n_set_free)
		return f->set_free[--f->n_set_free];
	if (f->n_set_idx + 1 >= f->sets_cap) {
		f->sets_cap = f->sets_cap ? f->sets_cap * 2 : 16;
		f->sets = realloc(f->sets, f->sets_cap * sizeof(*f->sets));
		f->set_free = realloc(f->set_free,
				      f->sets_cap * sizeof(*f->set_free));
		if (!f->sets || !f->set_free)
			abort();
	}
	return (uint32_t)++f->n_set_idx; /* index 0 is never a set */
}

uint32_t fab_set_intern(struct fabric *f, const struct addr *nh, size_t n)
{
	struct addr small[64], *u = n <= 64 ? small : malloc(n * sizeof(*u));
	size_t k = 0;
	if (!n)
		return 0;
	if (!u)
		abort();
	for (size_t i = 0; i < n; i++) { /* insertion sort, unique */
		size_t j = k;
		int c = 1;
		while (j > 0 && (c = addr_cmp(&u[j - 1], &nh[i])) > 0)
			j--;
		if (j > 0 && c == 0)
			continue;
		memmove(&u[j + 1], &u[j], (k - j) * sizeof(*u));
		u[j] = nh[i];
		k++;
	}
	if (f->n_sets * 2 >= f->set_hcap)
		set_hash_grow(f);
	uint32_t h = nh_hash(u, k);
	size_t slot = set_slot(f, h, u, k);
	uint32_t s = f->set_hash[slot];
	if (s) {
		f->sets[s]->refcnt++;
	} else {
		size_t sz = sizeof(struct fset) + k * sizeof(*u);
		struct fset *x = malloc(sz);
		if (!x)
			abort();
		x->refcnt = 1;
		x->hash = h;
		x->n_nh = (uint16_t)k;
		memcpy(x->nh, u, k * sizeof(*u));
		struct fbgp v = { .n_nh = x->n_nh, .nh = x->nh };
		fab_nh_classify(f, &v);
		x->reason = v.reason;
		x->bad = v.bad;
		s = set_new_index(f);
		f->sets[s] = x;
		f->set_hash[slot] = s;
		f->n_sets++;
		f->bytes += sz;
	}
	if (u != small)
		free(u);
	return s;
}

void fab_set_ref(struct fabric *f, uint32_t s)
{
	if (s)
		f->sets[s]->refcnt++;
}

void fab_set_unref(struct fabric *f, uint32_t s)
{
	struct fset *x = s ? f->sets[s] : NULL;
	if (!x || --x->refcnt)
		return;
	set_hash_delete(f, set_slot(f, x->hash, x->nh, x->n_nh));
	f->bytes -= sizeof(*x) + x->n_nh * sizeof(struct addr);
	free(x);
	f->sets[s] = NULL;
	f->set_free[f->n_set_free++] = s;
	f->n_sets--;
}

bool fab_view(const struct fabric *f, uint32_t s, const struct prefix *p,
	      struct fbgp *out)
{
	const struct fset *x = s ? f->sets[s] : NULL;
	if (!x)
		return false;
	out->prefix = *p;
	out->n_nh = x->n_nh;
	out->reason = x->reason;
	out->bad = x->bad;
	out->nh = x->nh;
	return true;
}

/* ------------------------------------------- unbound: own prefix hash */

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
	while (f->routes[i].set && !prefix_eq(&f->routes[i].prefix, p))
		i = (i + 1) & m;
	return i;
}

static void grow_routes(struct fabric *f)
{
	size_t ocap = f->cap;
	struct froute *old = f->routes;
	f->cap = ocap ? ocap * 2 : 1024;
	f->routes = calloc(f->cap, sizeof(*f->routes));
	if (!f->routes)
		abort();
	for (size_t i = 0; i < ocap; i++)
		if (old[i].set)
			f->routes[slot_of(f, &old[i].prefix)] = old[i];
	free(old);
}

static void route_delete(struct fabric *f, size_t i)
{
	size_t m = f->cap - 1, j = i;
	f->routes[i].set = 0;
	for (;;) {
		j = (j + 1) & m;
		if (!f->routes[j].set)
			return;
		size_t k = prefix_hash(&f->routes[j].prefix) & m;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			f->routes[i] = f->routes[j];
			f->routes[j].set = 0;
			i = j;
		}
	}
}

static void unbound_put(struct fabric *f, const struct prefix *p,
			uint32_t set)
{
	if (f->n_routes * 2 >= f->cap)
		grow_routes(f);
	size_t i = slot_of(f, p);
	bool here = f->routes[i].set != 0;
	f->sorted_dirty = true;
	if (set) {
		f->routes[i].prefix = *p;
		f->routes[i].set = set;
		f->n_routes += !here;
	} else if (here) {
		route_delete(f, i);
		f->n_routes--;
	}
}

static int cmp_route(const void *a, const void *b)
{
	return fab_prefix_cmp_fast(&((const struct froute *)a)->prefix,
				   &((const struct froute *)b)->prefix);
}

static int unbound_walk(struct fabric *f, fab_store_cb cb, void *arg)
{
	if (f->sorted_dirty || !f->sorted) {
		if (f->sorted_cap < f->n_routes + 1) {
			free(f->sorted);
			f->sorted_cap = f->n_routes + f->n_routes / 4 + 16;
			f->sorted = malloc(f->sorted_cap * sizeof(*f->sorted));
			if (!f->sorted)
				abort();
		}
		f->n_sorted = 0;
		for (size_t i = 0; i < f->cap; i++)
			if (f->routes[i].set)
				f->sorted[f->n_sorted++] = f->routes[i];
		qsort(f->sorted, f->n_sorted, sizeof(*f->sorted), cmp_route);
		f->sorted_dirty = false;
	}
	for (size_t i = 0; i < f->n_sorted; i++) {
		int r = cb(f, &f->sorted[i].prefix, f->sorted[i].set, arg);
		if (r)
			return r;
	}
	return 0;
}

/* ---------------------------------------------- bound: by RIB entry id */

void fab_bind_rib(struct fabric *f, const struct rib *rib)
{
	if (f->n_bgp == 0 && !f->cap)
		f->rib = rib;
}

void fab_unbind_rib(struct fabric *f)
{
	if (!f->rib)
		return;
	const struct rib *rib = f->rib;
	f->rib = NULL;
	for (size_t id = 1; id < f->id_cap; id++)
		if (f->by_id[id]) /* a live entry: no drain went by unseen */
			unbound_put(f, &rib_entry(rib, (uint32_t)id)->prefix,
				    f->by_id[id]);
	free(f->by_id);
	f->by_id = NULL;
	f->id_cap = 0;
}

bool fab_bound(const struct fabric *f)
{
	return f->rib != NULL;
}

static void bound_put(struct fabric *f, uint32_t id, uint32_t set)
{
	if (id >= f->id_cap) {
		if (!set)
			return;
		size_t ncap = f->id_cap ? f->id_cap + f->id_cap / 2 : 4096;
		if (ncap <= id)
			ncap = (size_t)id + 4096;
		f->by_id = realloc(f->by_id, ncap * sizeof(*f->by_id));
		if (!f->by_id)
			abort();
		memset(&f->by_id[f->id_cap], 0,
		       (ncap - f->id_cap) * sizeof(*f->by_id));
		f->id_cap = ncap;
	}
	f->by_id[id] = set;
}

struct bwalk {
	struct fabric *f;
	fab_store_cb cb;
	void *arg;
};

static int bound_one(const struct rentry *e, uint32_t id, void *arg)
{
	struct bwalk *w = arg;
	uint32_t s = id < w->f->id_cap ? w->f->by_id[id] : 0;
	return s ? w->cb(w->f, &e->prefix, s, w->arg) : 0;
}

/* --------------------------------------------------------- the store */

uint32_t fab_store_id(const struct fabric *f, const struct prefix *p)
{
	return f->rib ? rib_entry_id(f->rib, p) : 0;
}

uint32_t fab_store_get(const struct fabric *f, const struct prefix *p,
		       uint32_t id)
{
	if (f->rib) {
		if (!id)
			id = rib_entry_id(f->rib, p);
		return id < f->id_cap ? f->by_id[id] : 0;
	}
	if (!f->cap)
		return 0;
	return f->routes[slot_of(f, p)].set;
}

void fab_store_put(struct fabric *f, const struct prefix *p, uint32_t id,
		   uint32_t set)
{
	if (f->rib)
		bound_put(f, id ? id : rib_entry_id(f->rib, p), set);
	else
		unbound_put(f, p, set);
}

int fab_store_walk(struct fabric *f, fab_store_cb cb, void *arg)
{
	if (f->rib) {
		struct bwalk w = { .f = f, .cb = cb, .arg = arg };
		return rib_walk_ids(f->rib, bound_one, &w);
	}
	return unbound_walk(f, cb, arg);
}

void fab_store_free(struct fabric *f)
{
	for (size_t i = 1; i <= f->n_set_idx; i++)
		free(f->sets[i]);
	free(f->sets);
	free(f->set_free);
	free(f->set_hash);
	free(f->by_id);
	free(f->routes);
	free(f->sorted);
}

size_t fab_store_bytes(const struct fabric *f)
{
	return f->sets_cap * (sizeof(*f->sets) + sizeof(*f->set_free)) +
	       f->set_hcap * sizeof(*f->set_hash) +
	       f->id_cap * sizeof(*f->by_id) + f->cap * sizeof(*f->routes) +
	       f->sorted_cap * sizeof(*f->sorted);
}
