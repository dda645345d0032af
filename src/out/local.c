/*
 * local.c - the route server's own routes in export: the fabric's
 * address spaces (export_config.originated, one attribute set per
 * family) and the local entries (route_server.originate and aggregates,
 * each with its attributes and the peers that get it), and the prefixes
 * a summary_only aggregate keeps from being exported.
 *
 * The local entries are few (a configuration's worth): they are looked
 * up by a scan.
 */
#include "out/export_int.h"

static const struct ex_local *local_find(const struct exporter *ex,
					 const struct prefix *p)
{
	for (unsigned i = 0; i < ex->n_local; i++)
		if (ex->local[i].attr && prefix_eq(&ex->local[i].l.prefix, p))
			return &ex->local[i];
	return NULL;
}

bool ex_own_has(const struct exporter *ex, const struct prefix *p)
{
	return ex_orig_has(ex, p) || (ex->n_local && local_find(ex, p));
}

struct rattr *ex_own_attr(const struct exporter *ex, const struct prefix *p)
{
	const struct ex_local *l = ex->n_local ? local_find(ex, p) : NULL;

	return l ? l->attr : ex->orig_attr[p->afi];
}

bool ex_own_to(const struct exporter *ex, const struct ex_group *g,
	       const struct prefix *p)
{
	const struct ex_local *l = local_find(ex, p);

	return !l || !l->l.mask || (l->l.mask & g->local_mask);
}

bool ex_suppressed(const struct exporter *ex, const struct prefix *p)
{
	for (unsigned i = 0; i < ex->n_local; i++) {
		const struct prefix *s = &ex->local[i].l.prefix;
		if (ex->local[i].l.summary_only && p->len > s->len &&
		    prefix_contains(s, p))
			return true;
	}
	return false;
}

void ex_local_free(struct exporter *ex)
{
	for (unsigned i = 0; i < ex->n_local; i++)
		if (ex->local[i].attr)
			rattr_unref(ex->rib, ex->local[i].attr);
	free(ex->local);
	ex->local = NULL;
	ex->n_local = 0;
	ex->any_summary = false;
}
