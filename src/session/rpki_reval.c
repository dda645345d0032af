/*
 * rpki_reval.c - when ROAs change, the learned routes they cover are
 * validated again (RFC 6811) and import's verdict follows the new state:
 * with `invalid: deny` a route that became invalid moves to the peer's
 * refused list (reason "rpki invalid") and one that stopped being invalid
 * comes back from it; with `tag` the tag community is added or taken
 * away; with `accept` only the state changes. The RIB is walked first
 * (collecting the changes, as a walk must not change it), then changed.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/rpki.h"
#include "session/fsm.h"
#include "session/import.h"
#include "session/peer.h"
#include "session/refused.h"
#include "session/rpki_reval.h"

/* One path whose state changes. */
struct reval_item {
	struct prefix pfx;
	uint32_t peer; /* rib index */
	uint32_t path_id; /* ADD-PATH path id, 0 without */
	struct rattr *attr; /* referenced */
	uint8_t old, new;
};

struct reval {
	struct session *s;
	struct bgp_attrs *tmp;
	const struct prefix *under; /* the walk stops past it; NULL: all */
	size_t budget; /* paths to check before the walk pauses */
	struct prefix last; /* the last entry looked at */
	bool paused;
	struct reval_item *v;
	size_t n, cap, checked;
	bool oom;
};

static void push(struct reval *r, const struct rentry *e,
		 const struct rpath *rp, uint8_t st)
{
	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 64;
		struct reval_item *nv = realloc(r->v, nc * sizeof(*nv));
		if (!nv) {
			r->oom = true;
			return;
		}
		r->v = nv;
		r->cap = nc;
	}
	r->v[r->n++] = (struct reval_item){e->prefix, rp->peer, rp->path_id,
					   rp->attr, rp->rpki, st};
	rattr_ref(rp->attr);
}

static int entry_cb(const struct rentry *e, void *arg)
{
	struct reval *r = arg;

	if (r->under && !prefix_contains(r->under, &e->prefix))
		return 1; /* past the ROA's prefix in address order */
	for (const struct rpath *rp = e->paths; rp; rp = rp->next) {
		if (!session_peer_by_rib(r->s, rp->peer))
			continue; /* the route server's own */
		rattr_to_bgp(rp->attr, r->tmp);
		uint8_t st = rpki_validate(r->s->rpki_table, &e->prefix,
					   rpki_origin_as(r->tmp));
		r->checked++;
		if (st != rp->rpki)
			push(r, e, rp, st);
	}
	r->last = e->prefix;
	if (r->checked >= r->budget || r->oom) {
		r->paused = true;
		return 1;
	}
	return 0;
}

static int item_cmp(const void *a, const void *b)
{
	const struct reval_item *x = a, *y = b;
	int c = prefix_cmp(&x->pfx, &y->pfx);

	if (c)
		return c;
	if (x->peer != y->peer)
		return x->peer < y->peer ? -1 : 1;
	return x->path_id < y->path_id ? -1 : x->path_id > y->path_id;
}

/* One bounded part of w's region: the region's own entry first, then
 * those after it (or after where the last step paused) in address
 * order, the more specifics of a prefix following it until the first
 * that is outside. */
static void walk_step(struct reval *r, struct rpki_walk *w)
{
	r->under = w->all ? NULL : &w->region;
	if (!w->started) {
		w->started = true;
		if (w->all) {
			rib_walk(r->s->rib, 0, entry_cb, r);
			goto out;
		}
		const struct rentry *e = rib_lookup(r->s->rib, &w->region);
		if (e && entry_cb(e, r))
			goto out;
		rib_walk_after(r->s->rib, &w->region, entry_cb, r);
	} else {
		rib_walk_after(r->s->rib, &w->cursor, entry_cb, r);
	}
out:
	w->cursor = r->last;
	w->done = !r->paused;
}

/* The path's attributes with the tag community added or removed. */
static struct rattr *retag(struct session *s, struct rattr *ra, bool add)
{
	struct bgp_attrs *w = &s->import.work;

	rattr_to_bgp(ra, w);
	if (rpki_tag(w, &s->conf->rs.rpki, add, s->import.scratch) < 0)
		return NULL;
	return rattr_intern_nh(s->rib, w, &ra->next_hop,
			       ra->next_hop_ll.afi ? &ra->next_hop_ll : NULL);
}

static void apply_one(struct session *s, const struct reval_item *it,
		      struct rpki_reval_result *res)
{
	struct peer *p = session_peer_by_rib(s, it->peer);
	uint8_t mode = s->conf->rs.rpki.invalid;

	if (!p)
		return;
	if (it->new == RPKI_INVALID && mode == RPKI_INVALID_DENY) {
		refused_put(p->refused, &it->pfx,
			    p->cf->keep_refused ? it->attr : NULL,
			    REFUSED_RPKI, -1);
		rib_withdraw_id(s->rib, it->peer, it->path_id, &it->pfx);
		p->rpki_refused++;
		res->refused++;
		return;
	}
	if (mode == RPKI_INVALID_TAG &&
	    (it->new == RPKI_INVALID || it->old == RPKI_INVALID)) {
		struct rattr *na = retag(s, it->attr, it->new == RPKI_INVALID);
		if (na) {
			rib_announce_path(s->rib, it->peer, it->path_id,
					  &it->pfx, na, it->new);
			rattr_unref(s->rib, na);
			return;
		}
	}
	rib_set_rpki(s->rib, it->peer, it->path_id, &it->pfx, it->new);
}

static bool rules_match_rpki(const struct conf_peer *cf)
{
	for (unsigned i = 0; i < cf->n_import; i++)
		if (cf->import[i].match_rpki)
			return true;
	return false;
}

static int has_rpki_refused(const struct refused_route *rr, void *arg)
{
	(void)arg;
	return rr->why == REFUSED_RPKI;
}

/* Peers' routes refused as invalid go through import's checks again;
 * peers whose rules match the state, or whose refused routes were not
 * kept (keep_refused: false), are asked for their routes again. */
static void peers_again(struct session *s, struct rpki_reval_result *res)
{
	char err[128];

	for (unsigned i = 0; i < s->n_peers; i++) {
		struct peer *p = s->peers[i];
		if (!p || !p->est)
			continue;
		bool kept = refused_walk(p->refused, has_rpki_refused, NULL);
		if (kept && p->cf->keep_refused)
			res->accepted += import_reconsider(p, &s->conf->rs);
		/* without keep_refused the refused routes' attributes are
		 * gone: only the peer can send them again */
		if ((rules_match_rpki(p->cf) || (kept && !p->cf->keep_refused)) &&
		    peer_refresh(p, err, sizeof(err)) == 0)
			res->refreshed++;
	}
}

bool rpki_revalidate_step(struct session *s, struct rpki_walk *w,
			  size_t budget, struct rpki_reval_result *res)
{
	struct reval r = {.s = s, .budget = budget ? budget : 1};

	if (!s->rpki_table || !(r.tmp = malloc(sizeof(*r.tmp)))) {
		w->done = true;
		return true;
	}
	walk_step(&r, w);
	free(r.tmp);
	res->checked += r.checked;
	/* a path seen twice (a /0 ROA walk) is changed once */
	if (r.n > 1)
		qsort(r.v, r.n, sizeof(*r.v), item_cmp);
	for (size_t i = 0; i < r.n; i++) {
		if (i && !item_cmp(&r.v[i - 1], &r.v[i]))
			continue;
		apply_one(s, &r.v[i], res);
		res->changed++;
	}
	for (size_t i = 0; i < r.n; i++)
		rattr_unref(s->rib, r.v[i].attr);
	free(r.v);
	if (r.n)
		session_kick(s);
	return w->done;
}

void rpki_revalidate_finish(struct session *s, struct rpki_reval_result *res)
{
	if (!s->rpki_table)
		return;
	peers_again(s, res);
	if (res->accepted)
		session_kick(s);
}

struct count_ctx {
	const struct session *s;
	size_t *counts;
};

static int count_cb(const struct rentry *e, void *arg)
{
	struct count_ctx *c = arg;

	for (const struct rpath *rp = e->paths; rp; rp = rp->next)
		c->counts[rp->rpki]++; /* a 2-bit field: 0..3 */
	return 0;
}

void rpki_count_states(const struct session *s, size_t counts[4])
{
	struct count_ctx c = {s, counts};

	memset(counts, 0, 4 * sizeof(*counts));
	if (s->rpki_table)
		rib_walk(s->rib, 0, count_cb, &c);
}
