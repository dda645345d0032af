/*
 * decision.c - the decision process of DESIGN 1.2, as one compare
 * function with numbered steps, and the total order of a candidate list.
 *
 * rib_path_cmp decides between two candidates for one prefix and says
 * which step decided; the RIB sorts candidates with rib_path_order (the
 * same steps, then the deterministic tie-break that picks "the best" of
 * the ECMP set) and flags the first max_paths tied paths as the ECMP set.
 */
#include "rib/trie.h"

#define LOCAL_PREF_DEFAULT 100

static uint32_t local_pref(const struct rattr *a)
{
	return a->has_local_pref ? a->local_pref : LOCAL_PREF_DEFAULT;
}

/* Step 2 rank of a peer kind under a routing preference: lower wins. */
static int kind_rank(uint8_t pref, uint8_t kind)
{
	switch (pref) {
	case PREF_EXPRESSROUTE:
		return kind == PEER_EXPRESSROUTE_GATEWAY ? 0 : 1;
	case PREF_VPN:
		return kind == PEER_VPN_GATEWAY || kind == PEER_NVA ? 0 : 1;
	default: /* PREF_ASPATH: the step is skipped */
		return 0;
	}
}

static const struct rib_peer *peer_of(const struct rib *rib, uint32_t i)
{
	return &rib->peers[i].p;
}

/* -1 when x is preferred, 1 when y is, 0 when equal; lower wins. */
static int lower(uint32_t x, uint32_t y)
{
	return x < y ? -1 : x > y ? 1 : 0;
}

int rib_path_cmp(const struct rib *rib, const struct rpath *a,
		 const struct rpath *b, int *step)
{
	const struct rattr *x = a->attr, *y = b->attr;
	int s, c;

	/* 1. Highest LOCAL_PREF (set by import policy, default 100). */
	s = 1;
	if ((c = -lower(local_pref(x), local_pref(y))))
		goto out;
	/* 2. Routing preference by peer kind: expressroute prefers
	 *    expressroute_gateway routes, vpn prefers vpn_gateway and nva
	 *    routes, aspath skips this step. */
	s = 2;
	if ((c = lower((uint32_t)kind_rank(rib->cfg.routing_pref,
					   peer_of(rib, a->peer)->kind),
		       (uint32_t)kind_rank(rib->cfg.routing_pref,
					   peer_of(rib, b->peer)->kind))))
		goto out;
	/* 3. Shortest AS_PATH (an AS_SET counts 1). */
	s = 3;
	if ((c = lower(x->aspath_hops, y->aspath_hops)))
		goto out;
	/* 4. Lowest MED, only with compare_med (a missing MED is 0). */
	s = 4;
	if (rib->cfg.compare_med &&
	    (c = lower(x->has_med ? x->med : 0, y->has_med ? y->med : 0)))
		goto out;
	/* 5. Still tied: both belong to the ECMP set (up to max_paths). */
	s = RIB_STEP_TIE;
	c = 0;
out:
	if (step)
		*step = s;
	return c;
}

int rib_path_order(const struct rib *rib, const struct rpath *a,
		   const struct rpath *b, int *step)
{
	int c = rib_path_cmp(rib, a, b, step);
	if (c)
		return c;
	/* 5.1 Among tied paths: lowest ORIGIN (IGP < EGP < INCOMPLETE). */
	if ((c = lower(a->attr->origin, b->attr->origin))) {
		if (step)
			*step = RIB_STEP_ORIGIN;
		return c;
	}
	/* 5.2 Then the lowest peer address. */
	if ((c = addr_cmp(&peer_of(rib, a->peer)->addr,
			  &peer_of(rib, b->peer)->addr))) {
		if (step)
			*step = RIB_STEP_PEER_ADDR;
		return c < 0 ? -1 : 1;
	}
	/* 5.3 Two peers sharing one address: the lower index. */
	if ((c = lower(a->peer, b->peer))) {
		if (step)
			*step = RIB_STEP_PEER_INDEX;
		return c;
	}
	/* 5.4 Two paths of one peer (ADD-PATH): the lower path id. */
	if ((c = lower(a->path_id, b->path_id)) && step)
		*step = RIB_STEP_PATH_ID;
	return c;
}
