/*
 * export.c - loc-RIB changes to UPDATEs, encoded once per update group.
 *
 * Peers whose output would be byte-identical (same receiver class, same
 * export rules, same encoding capabilities and families) share a group.
 * A group owns ONE adj-RIB-out (adj_out.h): prefix -> (attributes sent,
 * source peer), so memory grows with groups x routes, not peers x routes.
 * It is kept by loc-RIB entry id (12 bytes a prefix), the route server's
 * own prefixes aside in a small hash by prefix.
 *
 * Rules of DESIGN 1.2, as applied here:
 *  - only the best path of a prefix is considered (no add-path). If the
 *    best may not go to a peer (it is the route's source, or the kind rule
 *    forbids it), that peer gets nothing for the prefix: no fallback to
 *    another candidate, like a route server with one best path. A prefix
 *    it had before is withdrawn.
 *  - NVAs receive routes from everyone; gateways receive routes from
 *    nobody unless branch_to_branch. The route server's own prefixes
 *    (export_config.originated) go to every peer and win over learned
 *    routes to the same prefix.
 *  - NO_ADVERTISE / NO_EXPORT routes go to no peer.
 *  - NEXT_HOP is unchanged; an IPv6 link-local next hop is dropped (only
 *    the source could use it, and it never receives its own route).
 *  - the local ASN is prepended unless transparent_as; LOCAL_PREF is never
 *    sent (eBGP); MED is passed on only when transparent_as (RFC 7947),
 *    otherwise removed (RFC 4271 5.1.4). Export rules run last and may set
 *    it again.
 *  - never back to the source: a group member that is the source of a
 *    route is left out of that route's shared message and, when it held
 *    the prefix from another source before, gets its own withdrawal.
 *
 * Exported attributes are interned once per source attribute set (a
 * small cache), so a million prefixes that share attributes cost one
 * intern. Messages are packed (prefixes grouped by outgoing attributes)
 * into 64 KiB blocks, each handed to every recipient as one shared
 * struct out_buf.
 *
 * Bounded work: a new group's adj-out is computed from the loc-RIB in
 * slices, then each member that joins (or asks for a refresh) is sent the
 * group's adj-out in slices, followed by End-of-RIB; export_run shares its
 * budget between them. A member whose queue is full pauses its dump.
 *
 * Hard queue bound (export_peer.fits): a block that would not fit in a
 * member's queue is not sent to it; the member pauses and its prefixes
 * join the member's "missed" set. Once writable, the member is sent the
 * current state of each missed prefix (a resync, in slices), then its dump
 * goes on; End-of-RIB comes after both.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "out/adj_out.h"
#include "out/export.h"

#define EX_BLOCK 65536u /* bytes of one out_buf */
#define EX_CHUNK 16384u /* pending prefixes handled per flush pass */

/* One message to send: to every group member except peer (only = 0) or to
 * peer alone (only = 1). attr NULL means withdraw. */
struct ex_op {
	struct prefix pfx;
	uint8_t only;
	uint32_t peer;
	struct rattr *attr;
};

/* A prefix waiting for export_flush. For a loc-RIB change the best path is
 * taken at export_change time (the entry may be gone by the flush): best
 * holds a reference on its attributes (NULL: no path) and known is set;
 * otherwise the prefix is read from the RIB at flush time. */
struct ex_pend {
	struct prefix pfx;
	bool known;
	uint32_t id; /* loc-RIB entry id when known */
	uint32_t src;
	struct rattr *best;
};

struct ex_group {
	struct ex_group *next;
	bool dst_nva; /* receiver class: NVAs take every route */
	struct bgp_session_caps caps;
	bool v4, v6;
	struct pol_rule *rules; /* deep copy, owned */
	unsigned n_rules;
	size_t max_msg;
	bool collected; /* todo holds the prefixes to compute the adj-out */
	bool populated; /* adj-out computed from the loc-RIB: dumps may run */
	struct prefix *todo;
	size_t n_todo, cap_todo, todo_pos;
	struct adj_tab tab; /* by loc-RIB entry id */
	struct adj_out ao; /* originated prefixes (and none else once
			    * flushed), by prefix */
	uint32_t *members;
	size_t n_members, cap_members;
	struct ex_op *ops;
	size_t n_ops, cap_ops;
};

/* A set of prefixes (open addressing, afi 0 = empty slot), walked in
 * slices by pos. */
struct ex_pfxset {
	struct prefix *s;
	size_t n, mask, pos;
};

struct ex_peer {
	bool up;
	bool dumping, paused;
	struct ex_pfxset missed; /* held back by the bound, not yet resent */
	struct ex_pfxset resync; /* being resent (taken from missed) */
	uint16_t dump_afi; /* 0: both families */
	uint32_t hcursor; /* next slot of the group's ao in the dump */
	uint32_t cursor; /* then next entry id of the group's tab */
	uint32_t excluded; /* group adj-out entries this peer is source of */
	struct ex_group *g;
	struct export_peer p;
};

struct ex_cache_ent {
	struct rattr *src, *out; /* out NULL: not exportable */
};

struct exporter {
	struct rib *rib;
	struct export_config cfg;
	struct prefix *orig; /* sorted copy of cfg.originated */
	struct rattr *orig_attr[3]; /* [AFI_IPV4], [AFI_IPV6] */
	struct ex_peer *peers;
	uint32_t n_peers;
	struct ex_group *groups;
	size_t n_groups;
	struct ex_pend *pending;
	size_t n_pending, cap_pending;
	struct ex_cache_ent *cache;
	uint32_t cache_mask, cache_n, cache_sweep_at;
	size_t churn; /* adj-out replacements and removals since the last
		       * cache sweep */
	/* ordering ops by key (ops_order) */
	struct ex_key *keys;
	size_t n_keys, cap_keys;
	uint32_t *khash, khash_mask;
	struct ex_op *sorted;
	size_t cap_sorted;
	uint32_t *kidx;
	size_t cap_kidx;
	struct bgp_attrs *tmp; /* scratch attrs (too big for the stack) */
	uint8_t *scratch; /* policy community scratch */
};

/* Recipients and block being filled while encoding. */
struct ex_sender {
	struct exporter *ex;
	struct ex_group *g;
	uint8_t only;
	uint32_t peer;
	struct out_buf *b;
	const struct ex_op *first, *end; /* ops encoded in b */
};

/* ------------------------------------------------------------ out_buf */

struct out_buf *out_buf_new(size_t cap)
{
	struct out_buf *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->refcnt = 1;
	b->len = 0;
	return b;
}

void out_buf_ref(struct out_buf *b)
{
	b->refcnt++;
}

void out_buf_unref(struct out_buf *b)
{
	if (b && --b->refcnt == 0)
		free(b);
}

/* -------------------------------------------------------------- helpers */

static bool grow(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *p = realloc(*arr, n * size);
	if (!p)
		return false;
	*arr = p;
	*cap = n;
	return true;
}

static uint64_t mix_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static bool is_member(const struct exporter *ex, const struct ex_group *g,
		      uint32_t peer)
{
	return peer < ex->n_peers && ex->peers[peer].up &&
	       ex->peers[peer].g == g;
}

static void excl_adjust(struct exporter *ex, struct ex_group *g,
			uint32_t src, int d)
{
	if (is_member(ex, g, src))
		ex->peers[src].excluded += d;
}

/* ------------------------------------------------- attribute transforms */

/* Put next hop nh into a (for encoding or interning); an IPv6 link-local
 * next hop is never carried over. */
static void set_next_hop(struct bgp_attrs *a, const struct addr *nh)
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
	set_next_hop(a, &src->next_hop);
	return rattr_intern_nh(ex->rib, a, &src->next_hop, NULL);
}

static void cache_put(struct exporter *ex, struct ex_cache_ent *tab,
		      uint32_t mask, struct ex_cache_ent ce)
{
	uint32_t i = (uint32_t)mix_ptr(ce.src) & mask;

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

static void cache_clear(struct exporter *ex)
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
static void cache_sweep(struct exporter *ex)
{
	if (ex->cache_n <= ex->cache_sweep_at && ex->churn < ex->cache_n)
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
static struct rattr *cache_get(struct exporter *ex, struct rattr *src)
{
	if (ex->cache) {
		uint32_t i = (uint32_t)mix_ptr(src) & ex->cache_mask;
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

static bool orig_has(const struct exporter *ex, const struct prefix *p)
{
	return ex->cfg.n_originated &&
	       bsearch(p, ex->orig, ex->cfg.n_originated, sizeof(*p),
		       pfx_cmp) != NULL;
}

static void orig_attrs_build(struct exporter *ex)
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
		set_next_hop(a, nh);
		ex->orig_attr[afi] = rattr_intern_nh(ex->rib, a, nh, NULL);
	}
}

static void config_copy(struct exporter *ex, const struct export_config *cfg)
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

/* ------------------------------------------------------ export decision */

/* The base (borrowed) attributes to export for a loc-RIB entry and their
 * source peer; NULL when nothing may be sent to anyone. */
static struct rattr *best_base(struct exporter *ex, struct rattr *best,
			       uint32_t best_src, uint32_t *src)
{
	*src = ADJ_SRC_NONE;
	if (!best || best->no_advertise || best->no_export)
		return NULL;
	*src = best_src;
	return cache_get(ex, best);
}

static struct rattr *entry_base(struct exporter *ex, const struct rentry *e,
				uint32_t *src)
{
	if (!e || !e->n_paths || !e->paths)
		return best_base(ex, NULL, 0, src);
	return best_base(ex, e->paths->attr, e->paths->peer, src);
}

/* What the loc-RIB says about p before per-group rules: the attributes to
 * send (borrowed) and the source peer; NULL when nothing may be sent.
 * *id: p's loc-RIB entry id, 0 for none. */
static struct rattr *prefix_base(struct exporter *ex, const struct prefix *p,
				 uint32_t *src, bool *orig, uint32_t *id)
{
	*src = ADJ_SRC_NONE;
	*orig = orig_has(ex, p);
	*id = rib_entry_id(ex->rib, p);
	if (*orig)
		return ex->orig_attr[p->afi];
	return entry_base(ex, *id ? rib_entry(ex->rib, *id) : NULL, src);
}

/* The attributes group g sends for p (new reference), or NULL. */
static struct rattr *group_attr(struct exporter *ex, struct ex_group *g,
				const struct prefix *p, struct rattr *base,
				bool orig)
{
	if (!base || (p->afi == AFI_IPV4 ? !g->v4 : !g->v6))
		return NULL;
	if (!orig && !g->dst_nva && !ex->cfg.branch_to_branch)
		return NULL;
	if (!g->n_rules) {
		rattr_ref(base);
		return base;
	}
	struct bgp_attrs *a = ex->tmp;
	struct pol_result res;
	rattr_to_bgp(base, a);
	set_next_hop(a, &base->next_hop);
	if (policy_apply(g->rules, g->n_rules, p, a, ex->scratch,
			 POL_SCRATCH_LEN, &res) != POL_ALLOW)
		return NULL;
	/* LOCAL_PREF is never sent to an eBGP peer, even when a rule set it. */
	a->present &= ~ATTR_BIT(ATTR_LOCAL_PREF);
	if (!res.changed) {
		rattr_ref(base);
		return base;
	}
	return rattr_intern_nh(ex->rib, a, &base->next_hop, NULL);
}

static void op_add(struct ex_group *g, const struct prefix *p,
		   struct rattr *attr, uint8_t only, uint32_t peer)
{
	if (!grow((void **)&g->ops, &g->cap_ops, g->n_ops + 1, sizeof(*g->ops)))
		return;
	struct ex_op *o = &g->ops[g->n_ops++];
	o->pfx = *p;
	o->only = only;
	o->peer = peer;
	o->attr = attr;
}

/* What g's adj-out holds for p (entry id, 0 for none): the attributes
 * sent (NULL: none) and their source. */
static struct rattr *adj_state(const struct ex_group *g,
			       const struct prefix *p, uint32_t id,
			       uint32_t *src)
{
	const struct adj_ent *he = g->ao.n_live ? adj_out_find(&g->ao, p) : NULL;
	struct rattr *a = NULL;

	*src = ADJ_SRC_NONE;
	if (he) {
		*src = he->src;
		return he->attr;
	}
	if (id && !(a = adj_tab_get(&g->tab, id, src)))
		*src = ADJ_SRC_NONE;
	return a;
}

/*
 * Bring g's adj-out for p to (na, nsrc), na a reference we take over, and
 * queue the messages that tell the members. id is p's loc-RIB entry id (0
 * for none) and orig says that p is one of our own prefixes: those, and
 * prefixes without an entry, are kept in the hash by prefix, every other
 * one in the table by id. A prefix that moves between the two (it became
 * or stopped being our own) moves silently when what is sent stays.
 */
static void group_update(struct exporter *ex, struct ex_group *g,
			 const struct prefix *p, uint32_t id, bool orig,
			 struct rattr *na, uint32_t nsrc)
{
	bool hashed = orig || !id; /* where the new state is kept */
	struct adj_pos pos;
	struct adj_ent *he = NULL;
	struct rattr *oa = NULL;
	uint32_t osrc = ADJ_SRC_NONE;

	if (hashed || g->ao.n_live)
		he = adj_out_lookup(&g->ao, p, &pos);
	if (he) {
		oa = he->attr;
		osrc = he->src;
	} else if (id && !(oa = adj_tab_get(&g->tab, id, &osrc))) {
		osrc = ADJ_SRC_NONE;
	}
	if (!na && !oa)
		return;
	bool in_tab = !he && oa;
	bool same = oa == na && osrc == nsrc;
	if (same && (hashed ? he != NULL : in_tab)) {
		rattr_unref(ex->rib, na);
		return;
	}
	/* store the new state (taking na's reference), then clear the old
	 * place; the old state's reference is dropped at the end */
	if (hashed) {
		if (he && na) {
			he->attr = na;
			he->src = nsrc;
		} else if (he) {
			rattr_ref(oa); /* adj_out_remove drops one */
			adj_out_remove(&g->ao, ex->rib, he);
		} else if (na && !adj_out_insert_at(&g->ao, &pos, p, na, nsrc)) {
			rattr_unref(ex->rib, na);
			return; /* out of memory: nothing changed */
		}
		if (in_tab)
			adj_tab_set(&g->tab, id, NULL, 0);
	} else {
		if (!adj_tab_set(&g->tab, id, na, nsrc)) {
			rattr_unref(ex->rib, na);
			return;
		}
		if (he) {
			rattr_ref(oa);
			adj_out_remove(&g->ao, ex->rib, he);
		}
	}
	if (oa) {
		rattr_unref(ex->rib, oa);
		ex->churn++; /* an attribute set may have lost its last user */
	}
	if (same)
		return;
	if (oa)
		excl_adjust(ex, g, osrc, -1);
	if (!na) {
		op_add(g, p, NULL, 0,
		       is_member(ex, g, osrc) ? osrc : ADJ_SRC_NONE);
		return;
	}
	excl_adjust(ex, g, nsrc, +1);
	bool nmem = is_member(ex, g, nsrc);
	op_add(g, p, na, 0, nmem ? nsrc : ADJ_SRC_NONE);
	/* the new source held the prefix from another source: take it back */
	if (oa && nmem && osrc != nsrc)
		op_add(g, p, NULL, 1, nsrc);
}

/* ------------------------------------------------------------- encoding */

/* ----------------------------------------------- prefix sets (bound) */

static bool pfxset_put(struct ex_pfxset *d, const struct prefix *p)
{
	if ((d->n + 1) * 2 > (d->s ? d->mask + 1 : 0)) {
		size_t size = d->s ? (d->mask + 1) * 2 : 64;
		struct prefix *ns = calloc(size, sizeof(*ns));
		if (!ns)
			return false;
		for (size_t i = 0; d->s && i <= d->mask; i++) {
			if (!d->s[i].afi)
				continue;
			size_t j = adj_prefix_hash(&d->s[i]) & (size - 1);
			while (ns[j].afi)
				j = (j + 1) & (size - 1);
			ns[j] = d->s[i];
		}
		free(d->s);
		d->s = ns;
		d->mask = size - 1;
	}
	size_t i = adj_prefix_hash(p) & d->mask;
	for (; d->s[i].afi; i = (i + 1) & d->mask)
		if (prefix_eq(&d->s[i], p))
			return true;
	d->s[i] = *p;
	d->n++;
	return true;
}

static void pfxset_drop(struct ex_pfxset *d)
{
	free(d->s);
	memset(d, 0, sizeof(*d));
}

/* The block does not fit in the member's queue: hold it back and remember
 * its prefixes. False when they cannot be remembered (send it then). */
static bool hold_back(struct ex_peer *pp, const struct ex_op *first,
		      const struct ex_op *end)
{
	for (const struct ex_op *o = first; o && o < end; o++)
		if (!pfxset_put(&pp->missed, &o->pfx))
			return false;
	pp->paused = true;
	return true;
}

/* Send b to one member. [first, end) are the ops encoded in b (none for
 * End-of-RIB). Returns false when b was held back by the bound. */
static bool deliver_one(struct exporter *ex, uint32_t peer, struct out_buf *b,
			const struct ex_op *first, const struct ex_op *end)
{
	struct ex_peer *pp = &ex->peers[peer];

	if (pp->p.fits && (pp->paused || !pp->p.fits(pp->p.ctx, b->len))) {
		if (!first) {
			pp->paused = true;
			return false;
		}
		if (hold_back(pp, first, end))
			return false;
	}
	if (!pp->p.send(pp->p.ctx, b))
		pp->paused = true;
	return true;
}

/* Hand the block being filled to its recipients and let it go. */
static void sender_deliver(struct ex_sender *s)
{
	struct out_buf *b = s->b;
	const struct ex_op *first = s->first, *end = s->end;

	s->b = NULL;
	s->first = s->end = NULL;
	if (!b)
		return;
	/* a block queued half empty would hold its whole 64 KiB until every
	 * recipient has written it: give back what it does not use */
	if (b->len && b->len <= EX_BLOCK / 2) {
		struct out_buf *nb = realloc(b, sizeof(*b) + b->len);
		if (nb)
			b = nb;
	}
	if (b->len) {
		if (s->only) {
			deliver_one(s->ex, s->peer, b, first, end);
		} else {
			for (size_t i = 0; i < s->g->n_members; i++)
				if (s->g->members[i] != s->peer)
					deliver_one(s->ex, s->g->members[i], b,
						    first, end);
		}
	}
	out_buf_unref(b);
}

/* Begin one UPDATE in the current block (a new block if needed). */
static bool sender_begin(struct ex_sender *s, struct bgp_update_builder *ub,
			 uint16_t afi, const struct bgp_attrs *a)
{
	for (int tries = 0; tries < 2; tries++) {
		if (s->b && EX_BLOCK - s->b->len < 64)
			sender_deliver(s);
		if (!s->b && !(s->b = out_buf_new(EX_BLOCK)))
			return false;
		size_t room = EX_BLOCK - s->b->len;
		size_t cap = room < s->g->max_msg ? room : s->g->max_msg;
		uint8_t *at = s->b->data + s->b->len;
		int rc = a ? bgp_update_begin(ub, at, cap, afi, a, &s->g->caps)
			   : bgp_update_begin_withdraw(ub, at, cap, afi);
		if (rc == 0)
			return true;
		if (!s->b->len)
			return false; /* does not fit even an empty block */
		sender_deliver(s);
	}
	return false;
}

/* Encode ops (same recipients, attributes and family) into UPDATEs packed
 * with as many prefixes as fit. */
static void encode_run(struct ex_sender *s, const struct ex_op *ops, size_t n)
{
	struct bgp_attrs *a = NULL;
	struct bgp_update_builder ub;
	uint16_t afi = ops[0].pfx.afi;
	bool building = false;

	if (ops[0].attr) {
		a = s->ex->tmp;
		rattr_to_bgp(ops[0].attr, a);
		set_next_hop(a, &ops[0].attr->next_hop);
	}
	for (size_t i = 0; i < n;) {
		if (!building) {
			if (!sender_begin(s, &ub, afi, a)) {
				i++; /* cannot be encoded at all: skip it */
				continue;
			}
			building = true;
		}
		if (bgp_update_add(&ub, &ops[i].pfx) == 0) {
			if (!s->first)
				s->first = &ops[i];
			s->end = &ops[++i];
			continue;
		}
		building = false;
		if (ub.n_prefixes) {
			s->b->len += bgp_update_finish(&ub);
		} else if (s->b->len) {
			sender_deliver(s); /* no room left: next block */
		} else {
			i++; /* a prefix that fits no message */
		}
	}
	if (building && ub.n_prefixes)
		s->b->len += bgp_update_finish(&ub);
}

/* A distinct (recipients, attributes, family) of a batch of ops. */
struct ex_key {
	struct rattr *attr;
	uint32_t peer;
	uint8_t only, afi;
	uint32_t id, count;
};

static int key_cmp(const void *x, const void *y)
{
	const struct ex_key *a = x, *b = y;

	if (a->only != b->only)
		return a->only < b->only ? -1 : 1;
	if (a->peer != b->peer)
		return a->peer < b->peer ? -1 : 1;
	if (a->attr != b->attr)
		return (uintptr_t)a->attr < (uintptr_t)b->attr ? -1 : 1;
	if (a->afi != b->afi)
		return a->afi < b->afi ? -1 : 1;
	return 0;
}

static uint32_t op_key_hash(const struct ex_op *o)
{
	return (uint32_t)(mix_ptr(o->attr) ^
			  mix_ptr((void *)(uintptr_t)((uint64_t)o->peer << 3 |
						      o->only << 2 | o->pfx.afi)));
}

static bool op_key_is(const struct ex_key *k, const struct ex_op *o)
{
	return k->attr == o->attr && k->peer == o->peer &&
	       k->only == o->only && k->afi == o->pfx.afi;
}

static int op_cmp(const void *x, const void *y)
{
	const struct ex_op *a = x, *b = y;
	struct ex_key ka = { a->attr, a->peer, a->only, (uint8_t)a->pfx.afi,
			     0, 0 };
	struct ex_key kb = { b->attr, b->peer, b->only, (uint8_t)b->pfx.afi,
			     0, 0 };

	return key_cmp(&ka, &kb);
}

/* Index of o's key in ex->keys, added if new; UINT32_MAX when out of
 * memory. ex->khash holds key index + 1. */
static uint32_t key_find(struct exporter *ex, const struct ex_op *o)
{
	uint32_t i = op_key_hash(o) & ex->khash_mask;

	for (uint32_t v; (v = ex->khash[i]); i = (i + 1) & ex->khash_mask)
		if (op_key_is(&ex->keys[v - 1], o))
			return v - 1;
	if (!grow((void **)&ex->keys, &ex->cap_keys, ex->n_keys + 1,
		  sizeof(*ex->keys)))
		return UINT32_MAX;
	uint32_t id = (uint32_t)ex->n_keys++;
	ex->keys[id] = (struct ex_key){ o->attr, o->peer, o->only,
					(uint8_t)o->pfx.afi, id, 0 };
	ex->khash[i] = id + 1;
	if (ex->n_keys * 2 > (size_t)ex->khash_mask + 1) { /* grow, rehash */
		uint32_t size = (ex->khash_mask + 1) * 2;
		uint32_t *h = calloc(size, sizeof(*h));
		if (!h)
			return UINT32_MAX;
		free(ex->khash);
		ex->khash = h;
		ex->khash_mask = size - 1;
		for (uint32_t k = 0; k < ex->n_keys; k++) {
			struct ex_op t = { .attr = ex->keys[k].attr,
					   .peer = ex->keys[k].peer,
					   .only = ex->keys[k].only };
			t.pfx.afi = ex->keys[k].afi;
			uint32_t j = op_key_hash(&t) & ex->khash_mask;
			while (h[j])
				j = (j + 1) & ex->khash_mask;
			h[j] = k + 1;
		}
	}
	return id;
}

/*
 * Order n ops by (recipients, attributes, family) in linear time: find
 * the distinct keys through a small hash, sort those (few), then scatter
 * the ops into ex->sorted. Returns the ordered array, NULL when out of
 * memory.
 */
static struct ex_op *ops_order(struct exporter *ex, const struct ex_op *ops,
			       size_t n)
{
	if (!grow((void **)&ex->sorted, &ex->cap_sorted, n,
		  sizeof(*ex->sorted)) ||
	    !grow((void **)&ex->kidx, &ex->cap_kidx, n, sizeof(*ex->kidx)))
		return NULL;
	free(ex->khash);
	ex->khash_mask = 63;
	if (!(ex->khash = calloc(64, sizeof(*ex->khash))))
		return NULL;
	ex->n_keys = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = key_find(ex, &ops[i]);
		if (id == UINT32_MAX)
			return NULL;
		ex->keys[id].count++;
		ex->kidx[i] = id;
	}
	qsort(ex->keys, ex->n_keys, sizeof(*ex->keys), key_cmp);
	/* count becomes the next free position of the key's run, by id */
	uint32_t *start = (uint32_t *)ex->khash; /* reuse: n_keys <= size */
	uint32_t off = 0;
	for (size_t k = 0; k < ex->n_keys; k++) {
		start[ex->keys[k].id] = off;
		off += ex->keys[k].count;
	}
	for (size_t i = 0; i < n; i++)
		ex->sorted[start[ex->kidx[i]]++] = ops[i];
	return ex->sorted;
}

/* Encode and send g's queued ops, then empty the queue. */
static void ops_emit(struct exporter *ex, struct ex_group *g)
{
	struct ex_sender s = { .ex = ex, .g = g };
	size_t n = g->n_ops;
	struct ex_op *ops;

	g->n_ops = 0;
	if (!n)
		return;
	if (!(ops = ops_order(ex, g->ops, n))) { /* out of memory: slower */
		ops = g->ops;
		qsort(ops, n, sizeof(*ops), op_cmp);
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && ops[j].only == ops[i].only &&
		       ops[j].peer == ops[i].peer &&
		       ops[j].attr == ops[i].attr &&
		       ops[j].pfx.afi == ops[i].pfx.afi)
			j++;
		if (s.b && (s.only != ops[i].only || s.peer != ops[i].peer))
			sender_deliver(&s);
		s.only = ops[i].only;
		s.peer = ops[i].peer;
		encode_run(&s, ops + i, j - i);
		i = j;
	}
	sender_deliver(&s);
}

/* Returns false when the bound held End-of-RIB back (try again later). */
static bool send_eor(struct exporter *ex, struct ex_peer *pp, uint32_t peer)
{
	struct out_buf *b = out_buf_new(64);
	bool sent = true;
	int n;

	if (!b)
		return true;
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		bool neg = afi == AFI_IPV4 ? pp->p.afi_v4 : pp->p.afi_v6;
		if (!neg || (pp->dump_afi && pp->dump_afi != afi))
			continue;
		n = bgp_eor_encode(afi, b->data + b->len, 64 - b->len);
		if (n > 0)
			b->len += n;
	}
	if (b->len)
		sent = deliver_one(ex, peer, b, NULL, NULL);
	out_buf_unref(b);
	return sent;
}

/* ------------------------------------------------------------- groups */

static void *dup_arr(const void *src, size_t n, size_t size, bool *ok)
{
	if (!n || !src)
		return NULL;
	void *d = malloc(n * size);
	if (!d) {
		*ok = false;
		return NULL;
	}
	memcpy(d, src, n * size);
	return d;
}

/* Deep copy of an export rule list, so a group outlives a reload. */
static struct pol_rule *rules_copy(const struct pol_rule *r, unsigned n)
{
	struct pol_rule *c;
	bool ok = true;

	if (!n || !(c = calloc(n, sizeof(*c))))
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		c[i] = r[i];
		c[i].prefixes = dup_arr(r[i].prefixes, r[i].n_prefixes,
					sizeof(*r[i].prefixes), &ok);
		c[i].communities = dup_arr(r[i].communities, r[i].n_communities,
					   sizeof(uint32_t), &ok);
		c[i].add_communities =
			dup_arr(r[i].add_communities, r[i].n_add_communities,
				sizeof(uint32_t), &ok);
		c[i].remove_communities =
			dup_arr(r[i].remove_communities,
				r[i].n_remove_communities, sizeof(uint32_t), &ok);
	}
	if (!ok) {
		pol_rules_free(c, n);
		return NULL;
	}
	return c;
}

static bool group_fits(const struct ex_group *g, const struct export_peer *p)
{
	return g->dst_nva == (p->kind == PEER_NVA) &&
	       g->caps.as4 == p->caps.as4 &&
	       g->caps.ext_message == p->caps.ext_message &&
	       g->v4 == p->afi_v4 && g->v6 == p->afi_v6 &&
	       pol_rules_equal(g->rules, g->n_rules, p->export_rules,
			       p->n_export_rules);
}

static struct ex_group *group_new(struct exporter *ex,
				  const struct export_peer *p)
{
	struct ex_group *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->dst_nva = p->kind == PEER_NVA;
	g->caps = p->caps;
	g->caps.ebgp = true;
	g->v4 = p->afi_v4;
	g->v6 = p->afi_v6;
	g->max_msg = p->caps.ext_message ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
	g->rules = rules_copy(p->export_rules, p->n_export_rules);
	g->n_rules = p->n_export_rules;
	if (g->n_rules && !g->rules) {
		free(g); /* never export unfiltered for lack of memory */
		return NULL;
	}
	adj_tab_init(&g->tab);
	adj_out_init(&g->ao);
	g->next = ex->groups;
	ex->groups = g;
	ex->n_groups++;
	return g;
}

static void group_free(struct exporter *ex, struct ex_group *g)
{
	for (struct ex_group **pp = &ex->groups; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			ex->n_groups--;
			break;
		}
	}
	adj_tab_free(&g->tab, ex->rib);
	adj_out_free(&g->ao, ex->rib);
	pol_rules_free(g->rules, g->n_rules);
	free(g->members);
	free(g->ops);
	free(g->todo);
	free(g);
}

static void todo_add(struct ex_group *g, const struct prefix *p)
{
	if (grow((void **)&g->todo, &g->cap_todo, g->n_todo + 1,
		 sizeof(*g->todo)))
		g->todo[g->n_todo++] = *p;
}

struct collect_ctx {
	struct exporter *ex;
	struct ex_group *g;
};

static int collect_cb(const struct rentry *e, void *arg)
{
	struct collect_ctx *c = arg;

	if (e->n_paths && !orig_has(c->ex, &e->prefix))
		todo_add(c->g, &e->prefix);
	return 0;
}

/*
 * Step the computation of a new group's adj-out from the loc-RIB: first
 * the list of prefixes (originated ones and the loc-RIB's, one walk), then
 * at most budget of them per call. Changes flushed meanwhile are applied
 * to the adj-out as for any group but send nothing (the members get
 * everything in their dump), and each listed prefix is read in its current
 * state, so the result is exact. Returns the work done.
 */
static size_t group_populate(struct exporter *ex, struct ex_group *g,
			     size_t budget)
{
	size_t used = 0;

	if (!g->collected) {
		struct collect_ctx c = { ex, g };
		for (unsigned i = 0; i < ex->cfg.n_originated; i++)
			todo_add(g, &ex->orig[i]);
		rib_walk(ex->rib, 0, collect_cb, &c);
		g->collected = true;
		used = g->n_todo / 16 + 1; /* a walk is cheap next to the rest */
	}
	while (used < budget && g->todo_pos < g->n_todo) {
		const struct prefix *p = &g->todo[g->todo_pos++];
		uint32_t src, id;
		bool orig;
		struct rattr *base = prefix_base(ex, p, &src, &orig, &id);
		group_update(ex, g, p, id, orig,
			     group_attr(ex, g, p, base, orig), src);
		used++;
	}
	g->n_ops = 0; /* nothing to send: no member has anything yet */
	if (g->todo_pos == g->n_todo) {
		free(g->todo);
		g->todo = NULL;
		g->n_todo = g->cap_todo = g->todo_pos = 0;
		g->populated = true;
	}
	return used;
}

/* ----------------------------------------------------------- the API */

struct exporter *export_new(struct rib *rib, const struct export_config *cfg)
{
	struct exporter *ex = calloc(1, sizeof(*ex));

	if (!ex)
		return NULL;
	ex->rib = rib;
	ex->tmp = malloc(sizeof(*ex->tmp));
	ex->scratch = malloc(POL_SCRATCH_LEN);
	if (!ex->tmp || !ex->scratch) {
		free(ex->tmp);
		free(ex->scratch);
		free(ex);
		return NULL;
	}
	ex->cache_sweep_at = 4096;
	config_copy(ex, cfg);
	orig_attrs_build(ex);
	return ex;
}

static void pending_release(struct exporter *ex);
static void flush_pending(struct exporter *ex);

void export_free(struct exporter *ex)
{
	if (!ex)
		return;
	while (ex->groups)
		group_free(ex, ex->groups);
	cache_clear(ex);
	for (int afi = AFI_IPV4; afi <= AFI_IPV6; afi++)
		if (ex->orig_attr[afi])
			rattr_unref(ex->rib, ex->orig_attr[afi]);
	free(ex->orig);
	for (uint32_t i = 0; ex->peers && i < ex->n_peers; i++) {
		pfxset_drop(&ex->peers[i].missed);
		pfxset_drop(&ex->peers[i].resync);
	}
	free(ex->peers);
	pending_release(ex);
	free(ex->pending);
	free(ex->keys);
	free(ex->khash);
	free(ex->sorted);
	free(ex->kidx);
	free(ex->tmp);
	free(ex->scratch);
	free(ex);
}

/* Drop the references of pending prefixes not flushed. */
static void pending_release(struct exporter *ex)
{
	for (size_t i = 0; i < ex->n_pending; i++)
		if (ex->pending[i].best) {
			rattr_unref(ex->rib, ex->pending[i].best);
			ex->pending[i].best = NULL;
		}
}

static struct ex_pend *pending_add(struct exporter *ex,
				   const struct prefix *p)
{
	if (!grow((void **)&ex->pending, &ex->cap_pending, ex->n_pending + 1,
		  sizeof(*ex->pending)))
		return NULL;
	struct ex_pend *q = &ex->pending[ex->n_pending++];
	q->pfx = *p;
	q->known = false;
	q->id = 0;
	q->best = NULL;
	return q;
}

static int pending_cb(const struct rentry *e, void *arg)
{
	pending_add(arg, &e->prefix);
	return 0;
}

void export_set_config(struct exporter *ex, const struct export_config *cfg)
{
	bool attrs_change = cfg->local_asn != ex->cfg.local_asn ||
			    cfg->transparent_as != ex->cfg.transparent_as;

	/* everything may change: re-evaluate every prefix for every group */
	for (unsigned i = 0; i < ex->cfg.n_originated; i++)
		pending_add(ex, &ex->orig[i]);
	config_copy(ex, cfg);
	for (unsigned i = 0; i < ex->cfg.n_originated; i++)
		pending_add(ex, &ex->orig[i]);
	if (attrs_change)
		cache_clear(ex);
	orig_attrs_build(ex);
	if (ex->groups)
		rib_walk(ex->rib, 0, pending_cb, ex);
	export_flush(ex);
}

static struct ex_peer *peer_slot(struct exporter *ex, uint32_t peer)
{
	if (peer >= ex->n_peers) {
		uint32_t n = ex->n_peers ? ex->n_peers : 16;
		while (n <= peer)
			n *= 2;
		struct ex_peer *np = realloc(ex->peers, n * sizeof(*np));
		if (!np)
			return NULL;
		memset(np + ex->n_peers, 0, (n - ex->n_peers) * sizeof(*np));
		ex->peers = np;
		ex->n_peers = n;
	}
	return &ex->peers[peer];
}

static struct ex_peer *peer_get(const struct exporter *ex, uint32_t peer)
{
	if (peer >= ex->n_peers || !ex->peers[peer].up)
		return NULL;
	return &ex->peers[peer];
}

static void dump_start(struct ex_peer *pp, uint16_t afi)
{
	pp->dump_afi = pp->dumping && pp->dump_afi != afi ? 0 : afi;
	pp->dumping = true;
	pp->hcursor = pp->cursor = 0;
}

void export_peer_up(struct exporter *ex, const struct export_peer *p)
{
	struct ex_group *g;

	if (peer_get(ex, p->rib_peer))
		export_peer_down(ex, p->rib_peer);
	struct ex_peer *pp = peer_slot(ex, p->rib_peer);
	if (!pp)
		return;
	for (g = ex->groups; g; g = g->next)
		if (group_fits(g, p))
			break;
	if (!g && !(g = group_new(ex, p)))
		return;
	if (!grow((void **)&g->members, &g->cap_members, g->n_members + 1,
		  sizeof(*g->members))) {
		if (!g->n_members)
			group_free(ex, g);
		return;
	}
	memset(pp, 0, sizeof(*pp));
	pp->p = *p;
	pp->p.export_rules = NULL; /* the group holds its own copy */
	pp->g = g;
	pp->up = true;
	g->members[g->n_members++] = p->rib_peer;
	/* routes of this peer may already be in the group's adj-out */
	if (g->collected && rib_peer_count(ex->rib, p->rib_peer)) {
		for (uint32_t i = 0; i < g->ao.n_ents; i++) {
			const struct adj_ent *e = adj_out_slot(&g->ao, i);
			if (e && e->src == p->rib_peer)
				pp->excluded++;
		}
		for (uint32_t pi = 0; pi < g->tab.n_pages; pi++) {
			const struct adj_tab_page *pg = g->tab.pages[pi];
			for (uint32_t i = 0; pg && i < ADJ_PAGE; i++)
				if (pg->attr[i] && pg->src[i] == p->rib_peer)
					pp->excluded++;
		}
	}
	dump_start(pp, 0);
}

void export_peer_down(struct exporter *ex, uint32_t rib_peer)
{
	struct ex_peer *pp = peer_get(ex, rib_peer);

	if (!pp)
		return;
	struct ex_group *g = pp->g;
	for (size_t i = 0; i < g->n_members; i++) {
		if (g->members[i] == rib_peer) {
			g->members[i] = g->members[--g->n_members];
			break;
		}
	}
	pfxset_drop(&pp->missed);
	pfxset_drop(&pp->resync);
	memset(pp, 0, sizeof(*pp));
	if (!g->n_members)
		group_free(ex, g);
}

void export_peer_writable(struct exporter *ex, uint32_t rib_peer)
{
	struct ex_peer *pp = peer_get(ex, rib_peer);

	if (pp)
		pp->paused = false;
}

void export_refresh(struct exporter *ex, uint32_t rib_peer, uint16_t afi)
{
	struct ex_peer *pp = peer_get(ex, rib_peer);

	if (pp && (afi == 0 || afi == AFI_IPV4 || afi == AFI_IPV6))
		dump_start(pp, afi);
}

void export_change(struct exporter *ex, const struct rentry *e, uint32_t id)
{
	struct ex_pend *q;

	/* a big change set is handled as it is drained, a chunk at a time,
	 * so that its pending list and messages stay small: the entries are
	 * all still there (the drain frees empty ones after the last call) */
	if (ex->n_pending >= EX_CHUNK)
		flush_pending(ex);
	if (!ex->groups || !(q = pending_add(ex, &e->prefix)))
		return;
	q->known = true;
	q->id = id;
	if (e->n_paths && e->paths) {
		q->best = e->paths->attr;
		q->src = e->paths->peer;
		rattr_ref(q->best);
	}
}

/* One pass of export_flush over pending[from, to). */
static void flush_chunk(struct exporter *ex, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		struct ex_pend *q = &ex->pending[i];
		const struct prefix *p = &q->pfx;
		uint32_t src, id = q->id;
		if (i + 8 < to) /* hide the adj-out miss of a later one */
			for (struct ex_group *g = ex->groups; g; g = g->next)
				adj_tab_prefetch(&g->tab, q[8].id);
		bool orig;
		struct rattr *base;
		if (!q->known)
			base = prefix_base(ex, p, &src, &orig, &id);
		else if ((orig = orig_has(ex, p)))
			base = ex->orig_attr[p->afi], src = ADJ_SRC_NONE;
		else
			base = best_base(ex, q->best, q->src, &src);
		for (struct ex_group *g = ex->groups; g; g = g->next) {
			if (!g->collected)
				continue; /* its computation reads the RIB later */
			group_update(ex, g, p, id, orig,
				     group_attr(ex, g, p, base, orig), src);
		}
		if (q->best) {
			rattr_unref(ex->rib, q->best);
			q->best = NULL;
		}
	}
	for (struct ex_group *g = ex->groups; g; g = g->next) {
		if (g->populated)
			ops_emit(ex, g);
		else
			g->n_ops = 0; /* being computed: members get the dump */
	}
}

/* Give back a big message queue once a burst is over. */
static void ops_trim(struct exporter *ex)
{
	if (ex->cap_sorted > 4096) {
		free(ex->sorted);
		free(ex->kidx);
		ex->sorted = NULL;
		ex->kidx = NULL;
		ex->cap_sorted = ex->cap_kidx = 0;
	}
	for (struct ex_group *g = ex->groups; g; g = g->next) {
		if (g->cap_ops > 4096) {
			free(g->ops);
			g->ops = NULL;
			g->cap_ops = 0;
		}
	}
}

/* Apply and send every pending prefix, EX_CHUNK at a time. */
static void flush_pending(struct exporter *ex)
{
	bool any = false;

	for (struct ex_group *g = ex->groups; g; g = g->next)
		any |= g->collected;
	for (size_t i = 0; any && i < ex->n_pending; i += EX_CHUNK)
		flush_chunk(ex, i,
			    ex->n_pending - i < EX_CHUNK ? ex->n_pending
							 : i + EX_CHUNK);
	pending_release(ex); /* what no group took */
	ex->n_pending = 0;
}

void export_flush(struct exporter *ex)
{
	flush_pending(ex);
	if (ex->cap_pending > 4 * EX_CHUNK) {
		free(ex->pending);
		ex->pending = NULL;
		ex->cap_pending = 0;
	}
	ops_trim(ex);
	cache_sweep(ex);
}

static uint32_t tab_end(const struct ex_group *g)
{
	return g->tab.n_pages << ADJ_PAGE_SHIFT;
}

/* Send the next slice (at most max adj-out slots) of a member's dump: the
 * hash of our own prefixes first, then the table by entry id (a missing
 * page counts as one slot). Then End-of-RIB when it is complete (with a
 * bound, once nothing is held back). Returns the slots read. */
static size_t dump_slice(struct exporter *ex, struct ex_group *g,
			 uint32_t peer, size_t max)
{
	struct ex_peer *pp = &ex->peers[peer];
	size_t scanned = 0;

	while (scanned < max) {
		const struct prefix *p;
		struct rattr *a;
		uint32_t src;
		scanned++;
		if (pp->hcursor < g->ao.n_ents) {
			const struct adj_ent *e =
				adj_out_slot(&g->ao, pp->hcursor++);
			if (!e)
				continue;
			p = &e->pfx, a = e->attr, src = e->src;
		} else if (pp->cursor < tab_end(g)) {
			uint32_t id = adj_tab_next_page(&g->tab, pp->cursor);
			pp->cursor = id < tab_end(g) ? id + 1 : id;
			if (id >= tab_end(g) ||
			    !(a = adj_tab_get(&g->tab, id, &src)))
				continue;
			p = &rib_entry(ex->rib, id)->prefix;
		} else {
			break;
		}
		if (src == peer || (pp->dump_afi && p->afi != pp->dump_afi))
			continue;
		op_add(g, p, a, 1, peer);
	}
	ops_emit(ex, g);
	if (pp->hcursor >= g->ao.n_ents && pp->cursor >= tab_end(g) &&
	    (!pp->p.fits ||
	     (!pp->paused && !pp->missed.n && !pp->resync.n)) &&
	    send_eor(ex, pp, peer)) {
		pp->dumping = false;
		pp->dump_afi = 0;
	}
	return scanned;
}

/* Resend the current state of at most max prefixes a member missed. */
static size_t resync_slice(struct exporter *ex, struct ex_group *g,
			   uint32_t peer, size_t max)
{
	struct ex_pfxset *r = &ex->peers[peer].resync;
	size_t scanned = 0;

	while (r->pos <= r->mask && scanned < max) {
		const struct prefix *p = &r->s[r->pos++];
		scanned++;
		if (!p->afi)
			continue;
		uint32_t src;
		struct rattr *a = adj_state(g, p, rib_entry_id(ex->rib, p),
					    &src);
		op_add(g, p, a && src != peer ? a : NULL, 1, peer);
	}
	ops_emit(ex, g);
	if (r->pos > r->mask)
		pfxset_drop(r);
	return scanned ? scanned : 1;
}

/* Work of a member: first what it missed, then its dump. */
static bool member_active(const struct ex_peer *pp)
{
	return !pp->paused && (pp->dumping || pp->missed.n || pp->resync.n);
}

static size_t member_slice(struct exporter *ex, struct ex_group *g,
			   uint32_t peer, size_t max)
{
	struct ex_peer *pp = &ex->peers[peer];

	if (!pp->resync.n && pp->missed.n) {
		pp->resync = pp->missed;
		pp->resync.pos = 0;
		memset(&pp->missed, 0, sizeof(pp->missed));
	}
	if (pp->resync.n)
		return resync_slice(ex, g, peer, max);
	return dump_slice(ex, g, peer, max);
}

static bool work_left(const struct exporter *ex)
{
	for (const struct ex_group *g = ex->groups; g; g = g->next) {
		if (!g->populated)
			return true;
		for (size_t i = 0; i < g->n_members; i++) {
			const struct ex_peer *pp = &ex->peers[g->members[i]];
			if (member_active(pp))
				return true;
		}
	}
	return false;
}

static size_t dumps_active(const struct exporter *ex)
{
	size_t n = 0;

	for (const struct ex_group *g = ex->groups; g; g = g->next)
		for (size_t i = 0; g->populated && i < g->n_members; i++) {
			const struct ex_peer *pp = &ex->peers[g->members[i]];
			n += member_active(pp);
		}
	return n;
}

bool export_run(struct exporter *ex, unsigned budget)
{
	size_t used = 0, n;

	for (struct ex_group *g = ex->groups; g && used < budget; g = g->next)
		if (!g->populated)
			used += group_populate(ex, g, budget - used);
	/* share what is left between the dumps; a big slice packs better */
	while (used < budget && (n = dumps_active(ex))) {
		size_t slice = (budget - used) / n;
		if (slice < 512)
			slice = 512;
		if (slice > EX_CHUNK)
			slice = EX_CHUNK;
		for (struct ex_group *g = ex->groups; g; g = g->next) {
			for (size_t i = 0; g->populated && i < g->n_members &&
					   used < budget;
			     i++) {
				struct ex_peer *pp = &ex->peers[g->members[i]];
				if (member_active(pp))
					used += member_slice(ex, g,
							     g->members[i],
							     slice);
			}
		}
	}
	bool more = work_left(ex);
	if (!more)
		ops_trim(ex);
	return more;
}

/* ------------------------------------------------------------ counters */

size_t export_peer_advertised(const struct exporter *ex, uint32_t rib_peer)
{
	const struct ex_peer *pp = peer_get(ex, rib_peer);

	if (!pp || !pp->g->populated)
		return 0;
	return pp->g->ao.n_live + pp->g->tab.n_live - pp->excluded;
}

int export_walk_peer(const struct exporter *ex, uint32_t rib_peer,
		     export_walk_cb cb, void *arg)
{
	const struct ex_peer *pp = peer_get(ex, rib_peer);
	int rc;

	if (!pp)
		return 0;
	for (uint32_t i = 0; i < pp->g->ao.n_ents; i++) {
		const struct adj_ent *e = adj_out_slot(&pp->g->ao, i);
		if (e && e->src != rib_peer && (rc = cb(&e->pfx, e->attr, arg)))
			return rc;
	}
	for (uint32_t pi = 0; pi < pp->g->tab.n_pages; pi++) {
		const struct adj_tab_page *pg = pp->g->tab.pages[pi];
		for (uint32_t i = 0; pg && i < ADJ_PAGE; i++) {
			uint32_t id = pi << ADJ_PAGE_SHIFT | i;
			if (pg->attr[i] && pg->src[i] != rib_peer &&
			    (rc = cb(&rib_entry(ex->rib, id)->prefix,
				     pg->attr[i], arg)))
				return rc;
		}
	}
	return 0;
}

size_t export_groups(const struct exporter *ex)
{
	return ex->n_groups;
}

size_t export_bytes(const struct exporter *ex)
{
	size_t n = sizeof(*ex) + sizeof(*ex->tmp) + POL_SCRATCH_LEN +
		   ex->n_peers * sizeof(*ex->peers) +
		   ex->cap_pending * sizeof(*ex->pending) +
		   (ex->cache ? (ex->cache_mask + 1) * sizeof(*ex->cache) : 0) +
		   ex->cap_keys * sizeof(*ex->keys) +
		   (ex->khash ? (ex->khash_mask + 1) * sizeof(uint32_t) : 0) +
		   ex->cap_sorted * sizeof(*ex->sorted) +
		   ex->cap_kidx * sizeof(*ex->kidx);

	for (const struct ex_group *g = ex->groups; g; g = g->next)
		n += sizeof(*g) + adj_out_bytes(&g->ao) +
		     adj_tab_bytes(&g->tab) +
		     g->cap_ops * sizeof(*g->ops) +
		     g->cap_members * sizeof(*g->members);
	return n;
}
