/*
 * conf_local.c - the routes the route server announces by itself besides
 * the fabric's address spaces: route_server.aggregates (summaries of the
 * more-specifics in the loc-RIB) and route_server.originate (prefixes for
 * chosen peers). Their checks, and which originate entries a peer gets.
 */
#include "conf/conf_priv.h"

#include <stdlib.h>
#include <string.h>

uint64_t conf_originate_mask(const struct conf *c, const char *peer)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < c->rs.n_originate && i < 64; i++)
		for (unsigned j = 0; j < c->rs.originate[i].n_to; j++)
			if (peer && c->rs.originate[i].to[j] &&
			    !strcmp(c->rs.originate[i].to[j], peer))
				m |= 1ull << i;
	return m;
}

static struct ynode *item_key(const struct ynode *seq, unsigned i,
			      const char *key)
{
	struct ynode *it = yseq_item(seq, i), *k = ymap_get(it, key);
	return k ? k : it;
}

static void check_originate(struct conf *c, const struct ynode *seq,
			    struct conf_diag *d)
{
	const struct conf_rs *rs = &c->rs;

	for (unsigned i = 0; i < rs->n_originate; i++) {
		const struct conf_originate *o = &rs->originate[i];
		if (i == 64)
			diag_err(d, yseq_item(seq, i),
				 "at most 64 originate entries");
		if (o->next_hop.afi && o->prefix.afi &&
		    o->next_hop.afi != o->prefix.afi)
			diag_err(d, item_key(seq, i, "next_hop"),
				 "next_hop must be of the prefix's family");
		if (ymap_get(yseq_item(seq, i), "to") && !o->n_to)
			diag_warn(d, item_key(seq, i, "to"),
				  "originate with an empty 'to' reaches no peer");
		for (unsigned j = 0; j < o->n_to; j++) {
			const struct ynode *tl = ymap_get(yseq_item(seq, i), "to");
			const struct ynode *tn = tl && tl->type == Y_SEQ
							 ? yseq_item(tl, j) : tl;
			if (o->to[j] && !conf_find_peer(c, o->to[j]))
				diag_err(d, tn ? tn : yseq_item(seq, i),
					 "unknown peer '%s' in 'to'", o->to[j]);
		}
		for (unsigned j = 0; j < i; j++)
			if (o->prefix.afi &&
			    prefix_eq(&o->prefix, &rs->originate[j].prefix))
				diag_err(d, item_key(seq, i, "prefix"),
					 "prefix is originated twice");
	}
}

static void check_aggregates(struct conf *c, const struct ynode *seq,
			     struct conf_diag *d)
{
	const struct conf_rs *rs = &c->rs;

	for (unsigned i = 0; i < rs->n_aggregates; i++) {
		const struct prefix *p = &rs->aggregates[i].prefix;
		if (!p->afi)
			continue;
		for (unsigned j = 0; j < i; j++)
			if (prefix_eq(p, &rs->aggregates[j].prefix))
				diag_err(d, item_key(seq, i, "prefix"),
					 "duplicate aggregate");
		for (unsigned j = 0; j < rs->n_originate; j++)
			if (prefix_eq(p, &rs->originate[j].prefix))
				diag_err(d, item_key(seq, i, "prefix"),
					 "prefix is both aggregated and originated");
	}
}

static bool has_v6_listen(const struct conf_rs *rs)
{
	static const uint8_t zero[16];

	for (unsigned i = 0; i < rs->n_listen; i++)
		if (rs->listen[i].afi == AFI_IPV6 &&
		    memcmp(rs->listen[i].b, zero, 16))
			return true;
	return false;
}

/* An IPv6 prefix announced with the route server's own next hop needs
 * an IPv6 address of its own (a listen address). */
static void check_v6_next_hop(struct conf *c, const struct ynode *rsn,
			      struct conf_diag *d)
{
	const struct conf_rs *rs = &c->rs;

	if (has_v6_listen(rs))
		return;
	for (unsigned i = 0; i < rs->n_originate; i++)
		if (rs->originate[i].prefix.afi == AFI_IPV6 &&
		    !rs->originate[i].next_hop.afi)
			diag_warn(d, item_key(ymap_get(rsn, "originate"), i, "prefix"),
				  "no IPv6 listen address to take the next hop from: give next_hop, or this prefix is not announced");
	for (unsigned i = 0; i < rs->n_aggregates; i++)
		if (rs->aggregates[i].prefix.afi == AFI_IPV6)
			diag_warn(d, item_key(ymap_get(rsn, "aggregates"), i, "prefix"),
				  "no IPv6 listen address to take the next hop from: this aggregate is not announced");
}

void conf_check_local(struct conf *c, const struct ynode *rsn,
		      struct conf_diag *d)
{
	check_v6_next_hop(c, rsn, d);
	check_originate(c, ymap_get(rsn, "originate"), d);
	check_aggregates(c, ymap_get(rsn, "aggregates"), d);
}

void conf_local_free(struct conf_rs *rs)
{
	for (unsigned i = 0; i < rs->n_originate; i++) {
		free(rs->originate[i].communities);
		free(rs->originate[i].large);
		for (unsigned j = 0; j < rs->originate[i].n_to; j++)
			free(rs->originate[i].to[j]);
		free(rs->originate[i].to);
	}
	free(rs->originate);
	free(rs->aggregates);
}

static bool strs_equal(char *const *a, unsigned na, char *const *b,
		       unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if ((a[i] == NULL) != (b[i] == NULL) ||
		    (a[i] && strcmp(a[i], b[i])))
			return false;
	return true;
}

bool conf_local_equal(const struct conf_rs *a, const struct conf_rs *b)
{
	if (a->n_aggregates != b->n_aggregates ||
	    a->n_originate != b->n_originate)
		return false;
	for (unsigned i = 0; i < a->n_aggregates; i++) {
		const struct conf_aggregate *x = &a->aggregates[i],
					    *y = &b->aggregates[i];
		if (!prefix_eq(&x->prefix, &y->prefix) ||
		    x->summary_only != y->summary_only || x->as_set != y->as_set)
			return false;
	}
	for (unsigned i = 0; i < a->n_originate; i++) {
		const struct conf_originate *x = &a->originate[i],
					    *y = &b->originate[i];
		if (!prefix_eq(&x->prefix, &y->prefix) ||
		    x->next_hop.afi != y->next_hop.afi ||
		    (x->next_hop.afi && !addr_eq(&x->next_hop, &y->next_hop)) ||
		    x->n_communities != y->n_communities ||
		    (x->n_communities &&
		     memcmp(x->communities, y->communities,
			    x->n_communities * sizeof(uint32_t))) ||
		    x->n_large != y->n_large ||
		    (x->n_large &&
		     memcmp(x->large, y->large, x->n_large * sizeof(*x->large))) ||
		    !strs_equal(x->to, x->n_to, y->to, y->n_to))
			return false;
	}
	return true;
}
