/*
 * rib.c - adj-RIB-in, loc-RIB and the change set.
 *
 * Each loc-RIB entry (a trie node) holds its candidate paths, one per
 * peer, in decision order (rib_path_order); the first max_paths paths
 * tied with the first one at rib_path_cmp form the ECMP set. A peer's
 * adj-RIB-in is the set of paths with its index, found by walking the
 * trie (linear in the table, so flushing a peer of 1M routes is one pass).
 *
 * An entry enters the change set when its ECMP set changes: a member is
 * added, removed or gets other attributes, or the entry becomes empty.
 * Empty entries stay in the trie (invisible to lookups and walks) until
 * the change set is drained, then they are freed.
 */
#include "rib/trie.h"

#include <stdlib.h>
#include <string.h>

static void norm_config(struct rib_config *dst, const struct rib_config *src)
{
	*dst = *src;
	if (dst->max_paths < 1)
		dst->max_paths = 1;
}

struct rib *rib_new(const struct rib_config *cfg)
{
	struct rib *rib = calloc(1, sizeof(*rib));
	if (!rib)
		return NULL;
	rib->bytes = sizeof(*rib);
	norm_config(&rib->cfg, cfg);
	trie_init(&rib->trie, &rib->bytes);
	pool_init(&rib->paths, sizeof(struct rpath), &rib->bytes);
	if (attr_table_init(rib) < 0) {
		free(rib);
		return NULL;
	}
	return rib;
}

static int free_entry_paths(struct rentry *e, uint32_t idx, void *arg)
{
	struct rib *rib = arg;
	struct rpath *p, *nx;
	for (p = e->paths; p; p = nx) {
		nx = p->next;
		rattr_unref(rib, p->attr);
		pool_free(&rib->paths, p);
	}
	e->paths = NULL;
	e->n_paths = e->n_ecmp = 0;
	return 0;
}

void rib_free(struct rib *rib)
{
	if (!rib)
		return;
	trie_walk(&rib->trie, AFI_IPV4, free_entry_paths, rib);
	trie_walk(&rib->trie, AFI_IPV6, free_entry_paths, rib);
	trie_release(&rib->trie);
	pool_release(&rib->paths);
	attr_table_release(rib);
	free(rib->peers);
	free(rib);
}

/* ------------------------------------------------------------ change set */

/* Append entry idx to the change set unless it is there already. The set
 * is linked through the entries themselves: no memory of its own. */
static void mark_changed(struct rib *rib, struct rentry *e, uint32_t idx)
{
	if (e->change_gen)
		return;
	e->change_gen = CHANGE_END;
	if (rib->chg_tail)
		trie_entry(&rib->trie, rib->chg_tail)->change_gen = idx;
	else
		rib->chg_head = idx;
	rib->chg_tail = idx;
	rib->n_changes++;
}

#define DRAIN_BATCH 256

size_t rib_changes_drain(struct rib *rib, rib_change_cb cb, void *arg)
{
	size_t n = 0;
	uint32_t i, next;
	bool defer = rib->n_changes >= RIB_PRUNE_DEFER;
	for (i = rib->chg_head; i && i != CHANGE_END; n++) {
		struct rentry *e = trie_entry(&rib->trie, i);
		next = e->change_gen;
		/* the entries come in the order they changed, scattered in
		 * memory when the changes came in random order: load the next
		 * one while this one is handled */
		if (next && next != CHANGE_END)
			__builtin_prefetch(trie_entry(&rib->trie, next));
		if (cb)
			cb(e, i, arg);
		if (defer) { /* a big change set: its empty entries are left
			      * to rib_prune, so e is done with in one pass */
			e->change_gen = 0;
			if (e->n_paths == 0 && !e->pruning)
				e->pruning = 1, rib->n_pruning++;
		}
		i = next;
	}
	if (defer) {
		rib->chg_head = rib->chg_tail = 0;
		rib->n_changes = 0;
		return n;
	}
	/* a small change set: free the entries left empty (but not one left
	 * to rib_prune already), a batch at a time, their trie paths loaded
	 * together first (trie_touch) */
	struct prefix batch[DRAIN_BATCH];
	size_t nb = 0;
	for (i = rib->chg_head; i && i != CHANGE_END; i = next) {
		struct rentry *e = trie_entry(&rib->trie, i);
		next = e->change_gen;
		e->change_gen = 0;
		if (e->n_paths == 0 && !e->pruning)
			batch[nb++] = e->prefix;
		if (nb == DRAIN_BATCH || (nb && (!next || next == CHANGE_END))) {
			trie_touch(&rib->trie, batch, nb);
			for (size_t k = 0; k < nb; k++)
				trie_delete(&rib->trie, &batch[k]);
			nb = 0;
		}
	}
	rib->chg_head = rib->chg_tail = 0;
	rib->n_changes = 0;
	return n;
}

size_t rib_changes_pending(const struct rib *rib)
{
	return rib->n_changes;
}

struct prune_walk {
	struct rib *rib;
	struct prefix *batch;
	size_t nb, max, seen, found;
};

static int prune_one(struct rentry *e, uint32_t idx, void *arg)
{
	struct prune_walk *w = arg;

	w->seen++;
	if (e->pruning) {
		e->pruning = 0;
		w->rib->n_pruning--;
		w->found++;
		if (!e->n_paths && !e->change_gen) /* not back meanwhile */
			w->batch[w->nb++] = e->prefix;
	}
	w->rib->prune_after = e->prefix;
	return w->nb == w->max || w->seen >= 16 * DRAIN_BATCH ||
	       !w->rib->n_pruning;
}

/* Walk on in prefix order from prune_after, at most max entries: unflag
 * the entries left there and collect the empty ones (in order, so that
 * each delete starts from the last one's path), unlinked after the walk.
 * A round from the start to the end that finds none ends it. */
size_t rib_prune(struct rib *rib, size_t max)
{
	struct prefix batch[DRAIN_BATCH];

	while (max && rib->n_pruning) {
		struct prune_walk w = {.rib = rib, .batch = batch,
				       .max = max < DRAIN_BATCH ? max : DRAIN_BATCH};
		int r;
		if (!rib->prune_after.afi) { /* a round begins */
			rib->prune_found = 0;
			r = trie_walk(&rib->trie, AFI_IPV4, prune_one, &w);
		} else {
			r = trie_walk_after(&rib->trie, &rib->prune_after,
					    prune_one, &w);
		}
		if (!r && rib->prune_after.afi != AFI_IPV6)
			r = trie_walk(&rib->trie, AFI_IPV6, prune_one, &w);
		for (size_t k = 0; k < w.nb; k++)
			trie_delete(&rib->trie, &batch[k]);
		rib->prune_found += w.found;
		max -= w.seen < max ? w.seen : max;
		if (!r) { /* the end: from the start next time */
			memset(&rib->prune_after, 0, sizeof(rib->prune_after));
			if (!rib->prune_found) /* a whole round found none */
				rib->n_pruning = 0;
		}
	}
	return rib->n_pruning;
}

/* ----------------------------------------------------------------- peers */

uint32_t rib_peer_add(struct rib *rib, const struct rib_peer *p)
{
	uint32_t i;
	for (i = 0; i < rib->n_peers; i++)
		if (!rib->peers[i].used)
			break;
	if (i == rib->n_peers) {
		if (rib->n_peers >= RIB_MAX_PEERS - 1)
			return UINT32_MAX;
		if (rib->n_peers == rib->cap_peers) {
			uint32_t nc = rib->cap_peers ? rib->cap_peers * 2 : 8;
			struct peer_slot *t = acct_realloc(
				&rib->bytes, rib->peers,
				rib->cap_peers * sizeof(*t), nc * sizeof(*t));
			if (!t)
				return UINT32_MAX;
			rib->peers = t;
			rib->cap_peers = nc;
		}
		rib->n_peers++;
	}
	memset(&rib->peers[i], 0, sizeof(rib->peers[i]));
	rib->peers[i].p = *p;
	rib->peers[i].used = true;
	return i;
}

static bool peer_ok(const struct rib *rib, uint32_t peer)
{
	return peer < rib->n_peers && rib->peers[peer].used;
}

const struct rib_peer *rib_peer_get(const struct rib *rib, uint32_t peer)
{
	return peer_ok(rib, peer) ? &rib->peers[peer].p : NULL;
}

size_t rib_peer_count(const struct rib *rib, uint32_t peer)
{
	return peer_ok(rib, peer) ? rib->peers[peer].count : 0;
}

/* ------------------------------------------------------ candidate lists */

/* Flag the best and the ECMP set of a sorted list; sets n_ecmp. */
static void set_flags(const struct rib *rib, struct rentry *e)
{
	struct rpath *first = e->paths, *p;
	unsigned n = 0;
	for (p = first; p; p = p->next, n++) {
		if (p == first)
			p->flags = RPATH_BEST | RPATH_ECMP;
		else if (n < rib->cfg.max_paths &&
			 rib_path_cmp(rib, first, p, NULL) == 0)
			p->flags = RPATH_ECMP;
		else
			break;
	}
	e->n_ecmp = (uint16_t)n;
	for (; p; p = p->next)
		p->flags = 0;
}

/* Insert p into e's list at its place in decision order. */
static void insert_sorted(const struct rib *rib, struct rentry *e,
			  struct rpath *p)
{
	struct rpath **pp = &e->paths;
	while (*pp && rib_path_order(rib, *pp, p, NULL) < 0)
		pp = &(*pp)->next;
	p->next = *pp;
	*pp = p;
}

static struct rpath *unlink_path(struct rentry *e, const struct rpath *x)
{
	for (struct rpath **pp = &e->paths; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			struct rpath *p = *pp;
			*pp = p->next;
			p->next = NULL;
			return p;
		}
	}
	return NULL;
}

/* The first path of peer in e (any path id), NULL when none. */
static struct rpath *find_peer(const struct rentry *e, uint32_t peer)
{
	for (struct rpath *p = e->paths; p; p = p->next)
		if (p->peer == peer)
			return p;
	return NULL;
}

static struct rpath *find_path(const struct rentry *e, uint32_t peer,
			       uint32_t path_id)
{
	for (struct rpath *p = e->paths; p; p = p->next)
		if (p->peer == peer && p->path_id == path_id)
			return p;
	return NULL;
}

/* Remove path p from e; marks the change. */
static void remove_path(struct rib *rib, struct rentry *e, uint32_t idx,
			struct rpath *p)
{
	uint32_t peer = p->peer;
	unlink_path(e, p);
	bool was_ecmp = p->flags & RPATH_ECMP;
	if (p->stale)
		rib->peers[peer].stale--;
	rattr_unref(rib, p->attr);
	pool_free(&rib->paths, p);
	rib->peers[peer].count--;
	rib->n_paths--;
	if (--e->n_paths == 0)
		rib->prefixes[e->prefix.afi]--;
	set_flags(rib, e);
	if (was_ecmp)
		mark_changed(rib, e, idx);
}

/* ----------------------------------------------------- announce/withdraw */

static int replace_path(struct rib *rib, struct rentry *e, uint32_t idx,
			struct rpath *p, struct rattr *attr)
{
	bool was_ecmp = p->flags & RPATH_ECMP;
	unlink_path(e, p);
	rattr_ref(attr);
	rattr_unref(rib, p->attr);
	p->attr = attr;
	insert_sorted(rib, e, p);
	set_flags(rib, e);
	if (was_ecmp || (p->flags & RPATH_ECMP))
		mark_changed(rib, e, idx);
	return 0;
}

int rib_announce(struct rib *rib, uint32_t peer, const struct prefix *pfx,
		 struct rattr *attr)
{
	return rib_announce_path(rib, peer, 0, pfx, attr, RPKI_NONE);
}

int rib_announce_id(struct rib *rib, uint32_t peer, uint32_t path_id,
		    const struct prefix *pfx, struct rattr *attr)
{
	return rib_announce_path(rib, peer, path_id, pfx, attr, RPKI_NONE);
}

int rib_announce_rpki(struct rib *rib, uint32_t peer, const struct prefix *pfx,
		      struct rattr *attr, uint8_t rpki)
{
	return rib_announce_path(rib, peer, 0, pfx, attr, rpki);
}

int rib_announce_path(struct rib *rib, uint32_t peer, uint32_t path_id,
		      const struct prefix *pfx, struct rattr *attr,
		      uint8_t rpki)
{
	struct rentry *e;
	struct rpath *p;
	uint32_t idx;

	if (!peer_ok(rib, peer) || !attr)
		return -1;
	if (!(e = trie_get(&rib->trie, pfx, true, NULL, &idx)))
		return -1;
	if ((p = find_path(e, peer, path_id))) {
		if (p->stale) {
			p->stale = 0; /* re-announced after a restart */
			rib->peers[peer].stale--;
		}
		p->rpki = rpki;
		if (p->attr == attr)
			return 0; /* same route again: nothing changes */
		return replace_path(rib, e, idx, p, attr);
	}
	if (!(p = pool_alloc(&rib->paths))) {
		if (!e->n_paths && !e->change_gen && !e->pruning)
			trie_delete(&rib->trie, pfx);
		return -1;
	}
	p->attr = attr;
	p->peer = peer;
	p->path_id = path_id;
	p->flags = 0;
	p->stale = 0;
	p->rpki = rpki;
	rattr_ref(attr);
	insert_sorted(rib, e, p);
	if (e->n_paths++ == 0)
		rib->prefixes[e->prefix.afi]++;
	rib->peers[peer].count++;
	rib->n_paths++;
	set_flags(rib, e);
	if (p->flags & RPATH_ECMP)
		mark_changed(rib, e, idx);
	return 1;
}

int rib_set_rpki(struct rib *rib, uint32_t peer, uint32_t path_id,
		 const struct prefix *pfx, uint8_t state)
{
	struct rentry *e;
	struct rpath *p;
	uint32_t idx;

	if (!peer_ok(rib, peer) ||
	    !(e = trie_get(&rib->trie, pfx, false, NULL, &idx)) ||
	    !(p = find_path(e, peer, path_id)))
		return -1;
	if (p->rpki == state)
		return 0;
	p->rpki = state;
	return 1;
}

void rib_prefetch(const struct rib *rib, const struct prefix *p, size_t n)
{
	trie_touch(&rib->trie, p, n);
}

int rib_withdraw(struct rib *rib, uint32_t peer, const struct prefix *pfx)
{
	return rib_withdraw_id(rib, peer, 0, pfx);
}

int rib_withdraw_id(struct rib *rib, uint32_t peer, uint32_t path_id,
		    const struct prefix *pfx)
{
	struct rentry *e;
	struct rpath *p;
	uint32_t idx;
	if (!peer_ok(rib, peer) || !(e = trie_find(&rib->trie, pfx, &idx)) ||
	    !(p = find_path(e, peer, path_id)))
		return 0;
	remove_path(rib, e, idx, p);
	return 1;
}

/* ------------------------------------------------------------ peer flush */

struct flush_ctx {
	struct rib *rib;
	uint32_t peer;
	size_t n;
};

static int flush_one(struct rentry *e, uint32_t idx, void *arg)
{
	struct flush_ctx *f = arg;
	struct rpath *p;
	while ((p = find_peer(e, f->peer))) {
		remove_path(f->rib, e, idx, p);
		f->n++;
	}
	return f->rib->peers[f->peer].count == 0; /* stop when done */
}

size_t rib_peer_flush(struct rib *rib, uint32_t peer)
{
	struct flush_ctx f = {.rib = rib, .peer = peer};
	if (!peer_ok(rib, peer) || !rib->peers[peer].count)
		return 0;
	if (!trie_walk(&rib->trie, AFI_IPV4, flush_one, &f))
		trie_walk(&rib->trie, AFI_IPV6, flush_one, &f);
	return f.n;
}

/* ------------------------------------------------------- stale routes */

static int stale_mark_one(struct rentry *e, uint32_t idx, void *arg)
{
	struct flush_ctx *f = arg;

	(void)idx;
	for (struct rpath *p = e->paths; p; p = p->next)
		if (p->peer == f->peer && !p->stale) {
			p->stale = 1;
			f->n++;
		}
	return 0;
}

size_t rib_peer_mark_stale(struct rib *rib, uint32_t peer)
{
	struct flush_ctx f = {.rib = rib, .peer = peer};

	if (!peer_ok(rib, peer) || !rib->peers[peer].count)
		return 0;
	trie_walk(&rib->trie, AFI_IPV4, stale_mark_one, &f);
	trie_walk(&rib->trie, AFI_IPV6, stale_mark_one, &f);
	rib->peers[peer].stale += f.n;
	return f.n;
}

static int stale_sweep_one(struct rentry *e, uint32_t idx, void *arg)
{
	struct flush_ctx *f = arg;
	struct rpath *p, *nx;

	for (p = e->paths; p; p = nx) {
		nx = p->next;
		if (p->peer == f->peer && p->stale) {
			remove_path(f->rib, e, idx, p);
			f->n++;
		}
	}
	return f->rib->peers[f->peer].stale == 0; /* stop when done */
}

size_t rib_peer_sweep_stale(struct rib *rib, uint32_t peer, uint8_t afi)
{
	struct flush_ctx f = {.rib = rib, .peer = peer};
	int r = 0;

	if (!peer_ok(rib, peer) || !rib->peers[peer].stale)
		return 0;
	if (afi == 0 || afi == AFI_IPV4)
		r = trie_walk(&rib->trie, AFI_IPV4, stale_sweep_one, &f);
	if (!r && (afi == 0 || afi == AFI_IPV6))
		trie_walk(&rib->trie, AFI_IPV6, stale_sweep_one, &f);
	return f.n;
}

size_t rib_peer_stale_count(const struct rib *rib, uint32_t peer)
{
	return peer_ok(rib, peer) ? rib->peers[peer].stale : 0;
}

void rib_peer_remove(struct rib *rib, uint32_t peer)
{
	if (!peer_ok(rib, peer))
		return;
	rib_peer_flush(rib, peer);
	rib->peers[peer].used = false;
}

/* ---------------------------------------------------------------- lookup */

const struct rentry *rib_lookup(const struct rib *rib, const struct prefix *p)
{
	const struct rentry *e = trie_find(&rib->trie, p, NULL);
	return e && e->n_paths ? e : NULL;
}

/* An entry a drain delivered empty and left for rib_prune: gone. */
static bool queued_empty(const struct rentry *e)
{
	return !e->n_paths && !e->change_gen && e->pruning;
}

uint32_t rib_entry_id(const struct rib *rib, const struct prefix *p)
{
	uint32_t id = 0;
	const struct rentry *e = trie_find(&rib->trie, p, &id);
	return e && !queued_empty(e) ? id : 0;
}

const struct rentry *rib_entry(const struct rib *rib, uint32_t id)
{
	return trie_entry(&rib->trie, id);
}

const struct rentry *rib_match(const struct rib *rib, const struct addr *a)
{
	return trie_match(&rib->trie, a);
}

struct walk_ctx {
	rib_walk_cb cb;
	rib_peer_walk_cb pcb;
	void *arg;
	uint32_t peer;
	size_t left; /* the peer's routes not seen yet */
};

static int walk_one(struct rentry *e, uint32_t idx, void *arg)
{
	struct walk_ctx *w = arg;
	return e->n_paths ? w->cb(e, w->arg) : 0;
}

int rib_walk(const struct rib *rib, uint8_t afi, rib_walk_cb cb, void *arg)
{
	struct walk_ctx w = {.cb = cb, .arg = arg};
	int r = 0;
	if (afi == 0 || afi == AFI_IPV4)
		r = trie_walk(&rib->trie, AFI_IPV4, walk_one, &w);
	if (!r && (afi == 0 || afi == AFI_IPV6))
		r = trie_walk(&rib->trie, AFI_IPV6, walk_one, &w);
	return r;
}

struct walk_id_ctx {
	rib_walk_id_cb cb;
	void *arg;
};

static int walk_id_one(struct rentry *e, uint32_t idx, void *arg)
{
	struct walk_id_ctx *w = arg;
	return queued_empty(e) ? 0 : w->cb(e, idx, w->arg);
}

int rib_walk_ids(const struct rib *rib, rib_walk_id_cb cb, void *arg)
{
	struct walk_id_ctx w = {.cb = cb, .arg = arg};
	int r = trie_walk(&rib->trie, AFI_IPV4, walk_id_one, &w);

	return r ? r : trie_walk(&rib->trie, AFI_IPV6, walk_id_one, &w);
}

int rib_walk_after(const struct rib *rib, const struct prefix *after,
		   rib_walk_cb cb, void *arg)
{
	struct walk_ctx w = {.cb = cb, .arg = arg};
	int r;

	if (!after)
		return rib_walk(rib, 0, cb, arg);
	r = trie_walk_after(&rib->trie, after, walk_one, &w);
	if (!r && after->afi == AFI_IPV4)
		r = trie_walk(&rib->trie, AFI_IPV6, walk_one, &w);
	return r;
}

static int walk_peer_one(struct rentry *e, uint32_t idx, void *arg)
{
	struct walk_ctx *w = arg;
	int r;
	for (const struct rpath *p = e->paths; p; p = p->next) {
		if (p->peer != w->peer)
			continue;
		if ((r = w->pcb(e, p, w->arg)))
			return r;
		if (--w->left == 0)
			return -1; /* stop early, not an error */
	}
	return 0;
}

int rib_walk_peer(const struct rib *rib, uint32_t peer, rib_peer_walk_cb cb,
		  void *arg)
{
	struct walk_ctx w = {.pcb = cb, .arg = arg, .peer = peer};
	int r;
	if (!peer_ok(rib, peer) || !(w.left = rib->peers[peer].count))
		return 0;
	r = trie_walk(&rib->trie, AFI_IPV4, walk_peer_one, &w);
	if (!r)
		r = trie_walk(&rib->trie, AFI_IPV6, walk_peer_one, &w);
	return r == -1 && w.left == 0 ? 0 : r;
}

/* ---------------------------------------------------------------- config */

struct redecide_ctx {
	struct rib *rib;
	struct rpath **snap;
	size_t cap;
};

/* Re-sort e's list; mark it when its ECMP set (members, order) changed. */
static int redecide_one(struct rentry *e, uint32_t idx, void *arg)
{
	struct redecide_ctx *c = arg;
	struct rpath *p, *list = e->paths;
	uint16_t old_n = e->n_ecmp;
	bool changed = false;
	size_t i = 0;

	if (!e->n_paths)
		return 0;
	if (old_n > c->cap) {
		struct rpath **t = realloc(c->snap, old_n * sizeof(*t));
		if (!t)
			return 0;
		c->snap = t;
		c->cap = old_n;
	}
	for (p = list; p && i < old_n; p = p->next)
		c->snap[i++] = p;
	e->paths = NULL;
	while (list) {
		p = list;
		list = list->next;
		insert_sorted(c->rib, e, p);
	}
	set_flags(c->rib, e);
	if (e->n_ecmp != old_n)
		changed = true;
	for (p = e->paths, i = 0; !changed && i < old_n; p = p->next, i++)
		changed = p != c->snap[i];
	if (changed)
		mark_changed(c->rib, e, idx);
	return 0;
}

void rib_set_config(struct rib *rib, const struct rib_config *cfg)
{
	struct redecide_ctx c = {.rib = rib};
	norm_config(&rib->cfg, cfg);
	trie_walk(&rib->trie, AFI_IPV4, redecide_one, &c);
	trie_walk(&rib->trie, AFI_IPV6, redecide_one, &c);
	free(c.snap);
}

void rib_stats(const struct rib *rib, struct rib_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->prefixes[AFI_IPV4] = rib->prefixes[AFI_IPV4];
	st->prefixes[AFI_IPV6] = rib->prefixes[AFI_IPV6];
	st->paths = rib->n_paths;
	st->attrs = rib->attrs.count;
	st->bytes = rib->bytes;
}
