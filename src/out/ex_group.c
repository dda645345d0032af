/*
 * ex_group.c - small helpers of out/, and update groups: peers whose
 * output would be byte-identical share one; the export decision for one
 * prefix in one group (best path, kind rules, NO_ADVERTISE, export rules)
 * and the group's adj-RIB-out; building a new group's adj-out from the
 * loc-RIB in slices.
 */
#include "out/export_int.h"

/* -------------------------------------------------------------- helpers */

bool ex_grow(void **arr, size_t *cap, size_t need, size_t size)
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

uint64_t ex_mix_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

bool ex_is_member(const struct exporter *ex, const struct ex_group *g,
		      uint32_t peer)
{
	return peer < ex->n_peers && ex->peers[peer].up &&
	       ex->peers[peer].g == g;
}

void ex_excl_adjust(struct exporter *ex, struct ex_group *g,
			uint32_t src, int d)
{
	if (ex_is_member(ex, g, src))
		ex->peers[src].excluded += d;
}

/* ------------------------------------------------------ export decision */

/* The base (borrowed) attributes to export for a loc-RIB entry and their
 * source peer; NULL when nothing may be sent to anyone. */
struct rattr *ex_best_base(struct exporter *ex, struct rattr *best,
			       uint32_t best_src, uint32_t *src)
{
	*src = ADJ_SRC_NONE;
	if (!best || best->no_advertise || best->no_export)
		return NULL;
	*src = best_src;
	return ex_cache_get(ex, best);
}

static struct rattr *entry_base(struct exporter *ex, const struct rentry *e,
				uint32_t *src)
{
	if (!e || !e->n_paths || !e->paths)
		return ex_best_base(ex, NULL, 0, src);
	return ex_best_base(ex, e->paths->attr, e->paths->peer, src);
}

/* What the loc-RIB says about p before per-group rules: the attributes to
 * send (borrowed) and the source peer; NULL when nothing may be sent.
 * *id: p's loc-RIB entry id, 0 for none. */
struct rattr *ex_prefix_base(struct exporter *ex, const struct prefix *p,
				 uint32_t *src, bool *orig, uint32_t *id)
{
	*src = ADJ_SRC_NONE;
	*orig = ex_own_has(ex, p);
	*id = rib_entry_id(ex->rib, p);
	if (*orig)
		return ex_own_attr(ex, p);
	if (ex->any_summary && ex_suppressed(ex, p))
		return NULL;
	return entry_base(ex, *id ? rib_entry(ex->rib, *id) : NULL, src);
}

static struct rattr *ex_group_attr_raw(struct exporter *ex,
				       struct ex_group *g,
				       const struct prefix *p,
				       struct rattr *base, bool orig);

/* Does an UPDATE with attributes r and the one prefix p fit g's
 * message size? Encoded once per attribute set (the last one is
 * remembered: runs of prefixes share their attributes). */
static bool attr_fits(struct exporter *ex, struct ex_group *g,
		      const struct prefix *p, struct rattr *r)
{
	struct bgp_update_builder ub;
	struct bgp_attrs *a = ex->tmp;

	if (g->fit_attr != r) {
		/* the longest prefix of the family: the answer holds for all */
		struct prefix worst = { .afi = p->afi,
					.len = (uint8_t)afi_maxlen(p->afi) };
		rattr_to_bgp(r, a);
		ex_set_next_hop(a, &r->next_hop);
		bool ok = bgp_update_begin(&ub, ex->scratch, g->max_msg, p->afi,
					   a, &g->caps) == 0;
		ub.addpath = g->caps.addpath_tx[p->afi];
		ok = ok && bgp_update_add(&ub, &worst) == 0;
		rattr_ref(r);
		if (g->fit_attr)
			rattr_unref(ex->rib, g->fit_attr);
		g->fit_attr = r;
		g->fit_ok = ok;
	}
	return g->fit_ok;
}

/* r cannot reach g's members: tell each (a counter and an event). */
static struct rattr *oversize(struct exporter *ex, struct ex_group *g,
			      const struct prefix *p, struct rattr *r)
{
	for (size_t i = 0; i < g->n_members; i++) {
		struct ex_peer *pp = &ex->peers[g->members[i]];
		if (pp->p.oversize)
			pp->p.oversize(pp->p.ctx, p);
	}
	rattr_unref(ex->rib, r);
	return NULL;
}

/* The attributes group g sends for p (new reference), or NULL: NULL too
 * when no UPDATE of g's size can carry them (the members then get a
 * withdrawal, never a stale route). */
struct rattr *ex_group_attr(struct exporter *ex, struct ex_group *g,
				const struct prefix *p, struct rattr *base,
				bool orig)
{
	struct rattr *r = ex_group_attr_raw(ex, g, p, base, orig);

	if (r && !attr_fits(ex, g, p, r))
		return oversize(ex, g, p, r);
	return r;
}

/* The attributes group g's rules make of base for p (new reference). */
static struct rattr *ex_group_attr_raw(struct exporter *ex,
				       struct ex_group *g,
				       const struct prefix *p,
				       struct rattr *base, bool orig)
{
	if (!base || (p->afi == AFI_IPV4 ? !g->v4 : !g->v6))
		return NULL;
	if (orig && ex->n_local && !ex_own_to(ex, g, p))
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
	ex_set_next_hop(a, &base->next_hop);
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

void ex_op_add(struct ex_group *g, const struct prefix *p,
		   struct rattr *attr, uint8_t only, uint32_t peer)
{
	if (!ex_grow((void **)&g->ops, &g->cap_ops, g->n_ops + 1, sizeof(*g->ops)))
		return;
	struct ex_op *o = &g->ops[g->n_ops++];
	o->pfx = *p;
	o->only = only;
	o->peer = peer;
	o->path_id = 0;
	o->attr = attr;
}

/* What g's adj-out holds for p (entry id, 0 for none): the attributes
 * sent (NULL: none) and their source. */
struct rattr *ex_adj_state(const struct ex_group *g,
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
void ex_group_update(struct exporter *ex, struct ex_group *g,
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
		ex_excl_adjust(ex, g, osrc, -1);
	if (!na) {
		ex_op_add(g, p, NULL, 0,
		       ex_is_member(ex, g, osrc) ? osrc : ADJ_SRC_NONE);
		return;
	}
	ex_excl_adjust(ex, g, nsrc, +1);
	bool nmem = ex_is_member(ex, g, nsrc);
	ex_op_add(g, p, na, 0, nmem ? nsrc : ADJ_SRC_NONE);
	/* the new source held the prefix from another source: take it back */
	if (oa && nmem && osrc != nsrc)
		ex_op_add(g, p, NULL, 1, nsrc);
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

bool ex_group_fits(const struct ex_group *g, const struct export_peer *p)
{
	return g->dst_nva == (p->kind == PEER_NVA) &&
	       g->local_mask == p->local_mask &&
	       g->caps.as4 == p->caps.as4 &&
	       g->caps.ext_message == p->caps.ext_message &&
	       g->v4 == p->afi_v4 && g->v6 == p->afi_v6 &&
	       g->caps.addpath_tx[AFI_IPV4] == p->caps.addpath_tx[AFI_IPV4] &&
	       g->caps.addpath_tx[AFI_IPV6] == p->caps.addpath_tx[AFI_IPV6] &&
	       (!g->ap || g->ap_max == p->addpath_max) &&
	       pol_rules_equal(g->rules, g->n_rules, p->export_rules,
			       p->n_export_rules);
}

struct ex_group *ex_group_new(struct exporter *ex,
				  const struct export_peer *p)
{
	struct ex_group *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->dst_nva = p->kind == PEER_NVA;
	g->local_mask = p->local_mask;
	g->caps = p->caps;
	g->caps.ebgp = true;
	g->v4 = p->afi_v4;
	g->v6 = p->afi_v6;
	g->ap = p->caps.addpath_tx[AFI_IPV4] || p->caps.addpath_tx[AFI_IPV6];
	g->ap_max = p->addpath_max ? p->addpath_max : 1;
	if (g->ap_max > 64)
		g->ap_max = 64;
	g->max_msg = p->caps.ext_message ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
	g->rules = rules_copy(p->export_rules, p->n_export_rules);
	g->n_rules = p->n_export_rules;
	if (g->n_rules && !g->rules) {
		free(g); /* never export unfiltered for lack of memory */
		return NULL;
	}
	adj_tab_init(&g->tab, rib_attr_ids(ex->rib));
	adj_out_init(&g->ao);
	g->next = ex->groups;
	ex->groups = g;
	ex->n_groups++;
	return g;
}

void ex_group_free(struct exporter *ex, struct ex_group *g)
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
	ex_ap_free(ex, g);
	if (g->fit_attr)
		rattr_unref(ex->rib, g->fit_attr);
	pol_rules_free(g->rules, g->n_rules);
	free(g->members);
	free(g->ops);
	free(g->todo);
	free(g);
}

static void todo_add(struct ex_group *g, const struct prefix *p)
{
	if (ex_grow((void **)&g->todo, &g->cap_todo, g->n_todo + 1,
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

	if (e->n_paths && !ex_own_has(c->ex, &e->prefix))
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
size_t ex_group_populate(struct exporter *ex, struct ex_group *g,
			     size_t budget)
{
	size_t used = 0;

	if (!g->collected) {
		struct collect_ctx c = { ex, g };
		for (unsigned i = 0; i < ex->cfg.n_originated; i++)
			todo_add(g, &ex->orig[i]);
		for (unsigned i = 0; i < ex->n_local; i++)
			todo_add(g, &ex->local[i].l.prefix);
		rib_walk(ex->rib, 0, collect_cb, &c);
		g->collected = true;
		used = g->n_todo / 16 + 1; /* a walk is cheap next to the rest */
	}
	while (used < budget && g->todo_pos < g->n_todo) {
		const struct prefix *p = &g->todo[g->todo_pos++];
		uint32_t src, id;
		bool orig;
		struct rattr *base = ex_prefix_base(ex, p, &src, &orig, &id);
		if (g->ap) {
			if (!orig)
				base = NULL; /* learned: by path below */
			ex_ap_update(ex, g, p, id, orig);
		}
		ex_group_update(ex, g, p, id, orig,
			     ex_group_attr(ex, g, p, base, orig), src);
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
