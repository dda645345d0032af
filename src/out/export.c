/*
 * export.c - loc-RIB changes to UPDATEs, encoded once per update group:
 * the API of out/, pending changes, and the scheduling of dumps, resyncs
 * and flushes. The other files of out/ are listed in export_int.h.
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
#include "out/export_int.h"

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
	ex_config_copy(ex, cfg);
	ex_orig_attrs_build(ex);
	return ex;
}

static void pending_release(struct exporter *ex);
static void flush_pending(struct exporter *ex);

void export_free(struct exporter *ex)
{
	if (!ex)
		return;
	while (ex->groups)
		ex_group_free(ex, ex->groups);
	ex_cache_clear(ex);
	for (int afi = AFI_IPV4; afi <= AFI_IPV6; afi++)
		if (ex->orig_attr[afi])
			rattr_unref(ex->rib, ex->orig_attr[afi]);
	free(ex->orig);
	ex_local_free(ex);
	for (uint32_t i = 0; ex->peers && i < ex->n_peers; i++) {
		ex_pfxset_drop(&ex->peers[i].missed);
		ex_pfxset_drop(&ex->peers[i].resync);
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
	if (!ex_grow((void **)&ex->pending, &ex->cap_pending, ex->n_pending + 1,
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

struct under_ctx {
	struct exporter *ex;
	const struct prefix *p;
};

static int under_cb(const struct rentry *e, void *arg)
{
	struct under_ctx *u = arg;

	if (!prefix_contains(u->p, &e->prefix))
		return 1;
	pending_add(u->ex, &e->prefix);
	return 0;
}

int export_local_init(struct exporter *ex, const struct export_local *l,
		      unsigned n)
{
	ex_local_free(ex);
	if (!n)
		return 0;
	ex->local = calloc(n, sizeof(*ex->local));
	if (!ex->local)
		return -1;
	ex->n_local = n;
	for (unsigned i = 0; i < n; i++) {
		ex->local[i].l = l[i];
		ex->any_summary |= l[i].summary_only;
	}
	return 0;
}

void export_local_set(struct exporter *ex, unsigned i,
		      const struct bgp_attrs *a)
{
	struct ex_local *e = i < ex->n_local ? &ex->local[i] : NULL;
	struct rattr *na = NULL;
	bool was;

	if (!e)
		return;
	if (a) {
		const struct addr *nh = a->present & ATTR_BIT(ATTR_NEXT_HOP)
						? &a->next_hop : &a->mp_next_hop;
		if (!(na = rattr_intern_nh(ex->rib, a, nh, NULL)))
			return;
	}
	if (na == e->attr) {
		if (na)
			rattr_unref(ex->rib, na);
		return;
	}
	was = e->attr != NULL;
	if (e->attr)
		rattr_unref(ex->rib, e->attr);
	e->attr = na;
	pending_add(ex, &e->l.prefix);
	/* a learned route to the same prefix stands in while it is withdrawn,
	 * and the more specifics of a summary need a look when it flips */
	if (e->l.summary_only && was != (na != NULL)) {
		struct under_ctx u = {ex, &e->l.prefix};
		rib_walk_after(ex->rib, &e->l.prefix, under_cb, &u);
	}
}

void export_set_config(struct exporter *ex, const struct export_config *cfg)
{
	bool attrs_change = cfg->local_asn != ex->cfg.local_asn ||
			    cfg->transparent_as != ex->cfg.transparent_as;

	/* everything may change: re-evaluate every prefix for every group */
	for (unsigned i = 0; i < ex->cfg.n_originated; i++)
		pending_add(ex, &ex->orig[i]);
	ex_config_copy(ex, cfg);
	for (unsigned i = 0; i < ex->cfg.n_originated; i++)
		pending_add(ex, &ex->orig[i]);
	for (unsigned i = 0; i < ex->n_local; i++)
		pending_add(ex, &ex->local[i].l.prefix);
	if (attrs_change)
		ex_cache_clear(ex);
	ex_orig_attrs_build(ex);
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
		if (ex_group_fits(g, p))
			break;
	if (!g && !(g = ex_group_new(ex, p)))
		return;
	if (!ex_grow((void **)&g->members, &g->cap_members, g->n_members + 1,
		  sizeof(*g->members))) {
		if (!g->n_members)
			ex_group_free(ex, g);
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
				if (pg->attr[i] && adj_page_src(pg, i) == p->rib_peer)
					pp->excluded++;
		}
		pp->excluded += ex_ap_excluded(g, p->rib_peer);
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
	ex_pfxset_drop(&pp->missed);
	ex_pfxset_drop(&pp->resync);
	memset(pp, 0, sizeof(*pp));
	if (!g->n_members)
		ex_group_free(ex, g);
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
			base = ex_prefix_base(ex, p, &src, &orig, &id);
		else if ((orig = ex_own_has(ex, p)))
			base = ex_own_attr(ex, p), src = ADJ_SRC_NONE;
		else if (ex->any_summary && ex_suppressed(ex, p))
			base = NULL, src = ADJ_SRC_NONE;
		else
			base = ex_best_base(ex, q->best, q->src, &src);
		for (struct ex_group *g = ex->groups; g; g = g->next) {
			if (!g->collected)
				continue; /* its computation reads the RIB later */
			if (g->ap) { /* learned prefixes go by path */
				ex_ap_update(ex, g, p, id,
					     orig || (q->known && !q->best));
				ex_group_update(ex, g, p, id, orig,
					orig ? ex_group_attr(ex, g, p, base, orig)
					     : NULL, src);
				continue;
			}
			ex_group_update(ex, g, p, id, orig,
				     ex_group_attr(ex, g, p, base, orig), src);
		}
		if (q->best) {
			rattr_unref(ex->rib, q->best);
			q->best = NULL;
		}
	}
	for (struct ex_group *g = ex->groups; g; g = g->next) {
		if (g->populated)
			ex_ops_emit(ex, g);
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
	/* left to export_sweep when asked, unless dead sets pile up far
	 * beyond what the sweep would have let stand */
	if (!ex->sweep_later || ex->cache_n > 4 * (size_t)ex->cache_sweep_at ||
	    ex->churn >= 8 * (size_t)ex->cache_n + 65536)
		ex_cache_sweep(ex);
}

void export_sweep_later(struct exporter *ex, bool on)
{
	ex->sweep_later = on;
}

bool export_sweep_due(const struct exporter *ex)
{
	return ex->sweep_later && ex->cache_n && ex_cache_sweep_due(ex);
}

void export_sweep(struct exporter *ex)
{
	ex_cache_sweep(ex);
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
		} else if (g->ap && pp->cursor < g->apt.cap) {
			ex_ap_dump(ex, g, peer, pp->cursor++, pp->dump_afi);
			continue;
		} else if (!g->ap && pp->cursor < tab_end(g)) {
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
		ex_op_add(g, p, a, 1, peer);
	}
	ex_ops_emit(ex, g);
	if (pp->hcursor >= g->ao.n_ents &&
	    pp->cursor >= (g->ap ? g->apt.cap : tab_end(g)) &&
	    (!pp->p.fits ||
	     (!pp->paused && !pp->missed.n && !pp->resync.n)) &&
	    ex_send_eor(ex, pp, peer)) {
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
		if (g->ap) {
			ex_ap_resync(ex, g, peer, p);
			continue;
		}
		struct rattr *a = ex_adj_state(g, p, rib_entry_id(ex->rib, p),
					    &src);
		ex_op_add(g, p, a && src != peer ? a : NULL, 1, peer);
	}
	ex_ops_emit(ex, g);
	if (r->pos > r->mask)
		ex_pfxset_drop(r);
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
			used += ex_group_populate(ex, g, budget - used);
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
	return pp->g->ao.n_live + pp->g->tab.n_live + pp->g->apt.n_paths -
	       pp->excluded;
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
			if (pg->attr[i] && adj_page_src(pg, i) != rib_peer &&
			    (rc = cb(&rib_entry(ex->rib, id)->prefix,
				     adj_page_attr(&pp->g->tab, pg, i), arg)))
				return rc;
		}
	}
	for (uint32_t id = 0; id < pp->g->apt.cap; id++)
		if ((rc = ex_ap_walk(ex, pp->g, rib_peer, id, cb, arg)))
			return rc;
	return 0;
}

#define WALK_TAB (1ull << 63) /* cursor in the table by entry id */

int export_walk_peer_from(const struct exporter *ex, uint32_t rib_peer,
			  uint64_t *pos, unsigned budget, export_walk_cb cb,
			  void *arg)
{
	const struct ex_peer *pp = peer_get(ex, rib_peer);
	uint64_t at = *pos;

	if (!pp)
		return 0;
	for (; !(at & WALK_TAB) && at < pp->g->ao.n_ents; at++) {
		const struct adj_ent *e = adj_out_slot(&pp->g->ao, (uint32_t)at);
		if (!budget--) {
			*pos = at;
			return 1;
		}
		if (e && e->src != rib_peer)
			cb(&e->pfx, e->attr, arg);
	}
	if (!(at & WALK_TAB))
		at = WALK_TAB;
	for (uint32_t id = (uint32_t)at; pp->g->ap && id < pp->g->apt.cap; id++) {
		if (!budget--) {
			*pos = WALK_TAB | id;
			return 1;
		}
		ex_ap_walk(ex, pp->g, rib_peer, id, cb, arg);
	}
	for (uint32_t id = (uint32_t)at; id >> ADJ_PAGE_SHIFT < pp->g->tab.n_pages;
	     id++) {
		const struct adj_tab_page *pg = pp->g->tab.pages[id >> ADJ_PAGE_SHIFT];
		uint32_t i = id & (ADJ_PAGE - 1);

		if (!budget--) {
			*pos = WALK_TAB | id;
			return 1;
		}
		if (!pg) { /* a missing page: on to the next one */
			id |= ADJ_PAGE - 1;
			continue;
		}
		if (pg->attr[i] && adj_page_src(pg, i) != rib_peer)
			cb(&rib_entry(ex->rib, id)->prefix,
			   adj_page_attr(&pp->g->tab, pg, i), arg);
	}
	*pos = WALK_TAB | UINT32_MAX;
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
		n += sizeof(*g) + adj_out_bytes(&g->ao) + g->apt.bytes +
		     adj_tab_bytes(&g->tab) +
		     g->cap_ops * sizeof(*g->ops) +
		     g->cap_members * sizeof(*g->members);
	return n;
}
