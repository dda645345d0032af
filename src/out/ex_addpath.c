/*
 * ex_addpath.c - ADD-PATH send (RFC 7911): a group whose members
 * negotiated it gets, for each prefix, the paths of the loc-RIB entry's
 * ECMP set (the best first, in decision order) that its rules let
 * through, at most ap_max of them (add_path_max; one path in a family
 * where the members did not negotiate ADD-PATH), each under a path id.
 *
 * Path ids are the group's own: 1..ap_max, one per path while it is sent
 * (a path is known by its source peer and that peer's path id), the
 * smallest free one for a new path. A path that leaves the set frees its
 * id: when a new path takes that id in the same change it is announced
 * under it (an implicit withdraw of the old one, RFC 7911 5), else the
 * id is withdrawn. Never back to the source: each path's message goes to
 * every member but its source; a member that is the source of the new
 * path under an id that it held from another source gets a withdrawal
 * of that id. The route server's own prefixes stay in the group's hash
 * (ao) and go out with path id 0.
 */
#include "out/export_int.h"

void ex_op_add_id(struct ex_group *g, const struct prefix *p,
		  struct rattr *attr, uint8_t only, uint32_t peer,
		  uint32_t path_id)
{
	size_t n = g->n_ops;

	ex_op_add(g, p, attr, only, peer);
	if (g->n_ops > n)
		g->ops[n].path_id = path_id;
}

static unsigned ap_limit(const struct ex_group *g, const struct prefix *p)
{
	return g->caps.addpath_tx[p->afi] ? g->ap_max : 1;
}

static struct ex_ap_set **ap_slot(struct ex_ap_tab *t, uint32_t id)
{
	if (id >= t->cap) {
		uint32_t n = t->cap ? t->cap : 1024;
		while (n <= id)
			n *= 2;
		struct ex_ap_set **s = realloc(t->s, n * sizeof(*s));
		if (!s)
			return NULL;
		memset(s + t->cap, 0, (n - t->cap) * sizeof(*s));
		t->bytes += (n - t->cap) * sizeof(*s);
		t->s = s;
		t->cap = n;
	}
	return &t->s[id];
}

/* The paths g wants to send for entry id of prefix p: new references. */
static unsigned wanted(struct exporter *ex, struct ex_group *g,
		       const struct prefix *p, uint32_t id,
		       struct ex_ap_path *w, unsigned max)
{
	const struct rentry *e = id ? rib_entry(ex->rib, id) : NULL;
	unsigned n = 0;

	if (!e || !e->n_paths)
		return 0;
	for (const struct rpath *rp = e->paths;
	     rp && (rp->flags & RPATH_ECMP) && n < max; rp = rp->next) {
		uint32_t src;
		struct rattr *base = ex_best_base(ex, rp->attr, rp->peer, &src);
		struct rattr *a = ex_group_attr(ex, g, p, base, false);
		if (!a)
			continue;
		w[n++] = (struct ex_ap_path){ rp->peer, rp->path_id, 0, a };
	}
	return n;
}

/* The smallest path id (>= 1) used neither in s[0..n) nor in taken. */
static uint32_t free_id(const struct ex_ap_path *s, unsigned n,
			const uint32_t *taken, unsigned n_taken)
{
	for (uint32_t id = 1;; id++) {
		bool used = false;
		for (unsigned i = 0; i < n && !used; i++)
			used = s[i].tx_id == id;
		for (unsigned i = 0; i < n_taken && !used; i++)
			used = taken[i] == id;
		if (!used)
			return id;
	}
}

static void set_store(struct exporter *ex, struct ex_group *g, uint32_t id,
		      const struct ex_ap_path *w, unsigned n)
{
	struct ex_ap_set **slot = ap_slot(&g->apt, id), *s;

	if (!slot) {
		for (unsigned i = 0; i < n; i++)
			rattr_unref(ex->rib, w[i].attr);
		return;
	}
	s = *slot;
	if (s) {
		g->apt.n_paths -= s->n;
		g->apt.bytes -= sizeof(*s) + s->cap * sizeof(s->p[0]);
		free(s);
		*slot = s = NULL;
	}
	if (!n)
		return;
	if (!(s = malloc(sizeof(*s) + n * sizeof(s->p[0])))) {
		for (unsigned i = 0; i < n; i++)
			rattr_unref(ex->rib, w[i].attr);
		return;
	}
	s->n = s->cap = (uint16_t)n;
	memcpy(s->p, w, n * sizeof(*w));
	g->apt.n_paths += n;
	g->apt.bytes += sizeof(*s) + n * sizeof(s->p[0]);
	*slot = s;
}

#define AP_MAX_PATHS 64 /* add_path_max is at most 64 */

/* One path leaves: its id is freed (taken over by a new path, or
 * withdrawn by the caller). */
static void path_gone(struct exporter *ex, struct ex_group *g,
		      const struct ex_ap_path *o)
{
	ex_excl_adjust(ex, g, o->src, -1);
	rattr_unref(ex->rib, o->attr);
	ex->churn++;
}

/*
 * Bring what g sent of p (loc-RIB entry id) to the entry's ECMP set, or
 * to nothing when none (the prefix is the route server's own, or the
 * entry has no paths), and queue the messages.
 */
void ex_ap_update(struct exporter *ex, struct ex_group *g,
		  const struct prefix *p, uint32_t id, bool none)
{
	struct ex_ap_path w[AP_MAX_PATHS];
	uint32_t freed[AP_MAX_PATHS], freed_src[AP_MAX_PATHS];
	unsigned n_w = 0, n_freed = 0, lim = ap_limit(g, p);
	const struct ex_ap_set *old = id < g->apt.cap ? g->apt.s[id] : NULL;

	if (!none)
		n_w = wanted(ex, g, p, id, w, lim);
	if (!n_w && !old)
		return;
	/* paths that stay keep their id; the others free theirs */
	for (unsigned i = 0; old && i < old->n; i++) {
		const struct ex_ap_path *o = &old->p[i];
		bool kept = false;
		for (unsigned j = 0; j < n_w && !kept; j++) {
			if (w[j].src != o->src || w[j].rx_id != o->rx_id)
				continue;
			kept = true;
			w[j].tx_id = o->tx_id;
			if (w[j].attr != o->attr)
				ex_op_add_id(g, p, w[j].attr, 0,
					     ex_is_member(ex, g, o->src) ? o->src
						     : ADJ_SRC_NONE, o->tx_id);
			rattr_unref(ex->rib, o->attr);
		}
		if (!kept) {
			freed[n_freed] = o->tx_id;
			freed_src[n_freed++] = o->src;
			path_gone(ex, g, o);
		}
	}
	/* new paths: a freed id first (announced over the old path) */
	for (unsigned j = 0; j < n_w; j++) {
		if (w[j].tx_id)
			continue;
		uint32_t osrc = ADJ_SRC_NONE;
		if (n_freed) {
			w[j].tx_id = freed[--n_freed];
			osrc = freed_src[n_freed];
		} else {
			w[j].tx_id = free_id(w, n_w, NULL, 0);
		}
		ex_excl_adjust(ex, g, w[j].src, +1);
		bool nmem = ex_is_member(ex, g, w[j].src);
		ex_op_add_id(g, p, w[j].attr, 0, nmem ? w[j].src : ADJ_SRC_NONE,
			     w[j].tx_id);
		if (nmem && osrc != ADJ_SRC_NONE && osrc != w[j].src)
			ex_op_add_id(g, p, NULL, 1, w[j].src, w[j].tx_id);
	}
	for (unsigned i = 0; i < n_freed; i++)
		ex_op_add_id(g, p, NULL, 0,
			     ex_is_member(ex, g, freed_src[i]) ? freed_src[i]
							       : ADJ_SRC_NONE,
			     freed[i]);
	set_store(ex, g, id, w, n_w);
}

/* A member's dump: the paths of entry id (not its own), alone to it. */
void ex_ap_dump(struct exporter *ex, struct ex_group *g, uint32_t peer,
		uint32_t id, uint16_t afi)
{
	const struct ex_ap_set *s = id < g->apt.cap ? g->apt.s[id] : NULL;
	const struct prefix *p;

	if (!s)
		return;
	p = &rib_entry(ex->rib, id)->prefix;
	if (afi && p->afi != afi)
		return;
	for (unsigned i = 0; i < s->n; i++)
		if (s->p[i].src != peer)
			ex_op_add_id(g, p, s->p[i].attr, 1, peer,
				     s->p[i].tx_id);
}

/*
 * A member missed messages about p (its queue was full): send it the
 * current state of every id it may hold. With path ids: the route
 * server's own route under 0, or a withdrawal of 0; each id 1..ap_max
 * announced or withdrawn. Without: the one path, or a withdrawal.
 */
void ex_ap_resync(struct exporter *ex, struct ex_group *g, uint32_t peer,
		  const struct prefix *p)
{
	uint32_t id = rib_entry_id(ex->rib, p);
	const struct ex_ap_set *s = id && id < g->apt.cap ? g->apt.s[id] : NULL;
	const struct adj_ent *he = g->ao.n_live ? adj_out_find(&g->ao, p) : NULL;
	bool ids = g->caps.addpath_tx[p->afi];

	if (he) {
		ex_op_add_id(g, p, he->attr, 1, peer, 0);
		if (!ids)
			return;
	} else if (ids || !s || !s->n) {
		ex_op_add_id(g, p, NULL, 1, peer, 0);
	}
	for (uint32_t tx = 1; tx <= (ids ? g->ap_max : 1u); tx++) {
		const struct ex_ap_path *hit = NULL;
		for (unsigned i = 0; s && i < s->n && !hit; i++)
			if (s->p[i].tx_id == tx || !ids)
				hit = &s->p[i];
		if (hit && hit->src != peer)
			ex_op_add_id(g, p, hit->attr, 1, peer, hit->tx_id);
		else if (ids || (hit && !he))
			ex_op_add_id(g, p, NULL, 1, peer, tx);
	}
}

void ex_ap_free(struct exporter *ex, struct ex_group *g)
{
	for (uint32_t i = 0; i < g->apt.cap; i++) {
		struct ex_ap_set *s = g->apt.s[i];
		for (unsigned j = 0; s && j < s->n; j++)
			rattr_unref(ex->rib, s->p[j].attr);
		free(s);
	}
	free(g->apt.s);
	memset(&g->apt, 0, sizeof(g->apt));
}

/* Paths of g whose source is peer (it does not get them). */
uint32_t ex_ap_excluded(const struct ex_group *g, uint32_t peer)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->apt.cap; i++) {
		const struct ex_ap_set *s = g->apt.s[i];
		for (unsigned j = 0; s && j < s->n; j++)
			n += s->p[j].src == peer;
	}
	return n;
}

/* The paths of entry id that peer holds, to cb. */
int ex_ap_walk(const struct exporter *ex, const struct ex_group *g,
	       uint32_t peer, uint32_t id, export_walk_cb cb, void *arg)
{
	const struct ex_ap_set *s = id < g->apt.cap ? g->apt.s[id] : NULL;
	int rc;

	for (unsigned i = 0; s && i < s->n; i++)
		if (s->p[i].src != peer &&
		    (rc = cb(&rib_entry(ex->rib, id)->prefix, s->p[i].attr,
			     arg)))
			return rc;
	return 0;
}
