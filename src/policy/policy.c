/*
 * policy.c - evaluating import/export rules (their parsers are conf's).
 *
 * A rule is a conjunction of matches (prefix list, AS in the path, origin
 * AS, community) followed by set actions and a verdict; policy_apply()
 * walks the rules and stops at the first match. Everything works on the
 * decoded attributes of one route and allocates nothing.
 */
#include "base/bytes.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool policy_aspath_loop(const struct bgp_attrs *a, uint32_t local_asn)
{
	return aspath_contains(a, local_asn);
}

bool pol_prefix_match(const struct pol_prefix *pp, const struct prefix *p)
{
	unsigned lo = pp->prefix.len, hi = pp->prefix.len;

	if (pp->ge) {
		lo = pp->ge;
		hi = afi_maxlen(pp->prefix.afi);
	}
	if (pp->le)
		hi = pp->le;
	return p->len >= lo && p->len <= hi && prefix_contains(&pp->prefix, p);
}

static bool has_community(const struct bgp_attrs *a, uint32_t c)
{
	if (!(a->present & ATTR_BIT(ATTR_COMMUNITIES)))
		return false;
	for (unsigned i = 0; i < a->n_communities; i++)
		if (get32(a->communities + 4 * i) == c)
			return true;
	return false;
}

bool pol_rule_match(const struct pol_rule *r, const struct prefix *pfx,
		    const struct bgp_attrs *a)
{
	if (r->n_prefixes) {
		unsigned i;
		for (i = 0; i < r->n_prefixes; i++)
			if (pol_prefix_match(&r->prefixes[i], pfx))
				break;
		if (i == r->n_prefixes)
			return false;
	}
	if (r->as_path_contains && !aspath_contains(a, r->as_path_contains))
		return false;
	if (r->origin_as && aspath_origin_as(a) != r->origin_as)
		return false;
	if (r->n_communities) {
		unsigned i;
		for (i = 0; i < r->n_communities; i++)
			if (has_community(a, r->communities[i]))
				break;
		if (i == r->n_communities)
			return false;
	}
	return true;
}

int policy_match(const struct pol_rule *rules, unsigned n,
		 const struct prefix *pfx, const struct bgp_attrs *a)
{
	for (unsigned i = 0; i < n; i++)
		if (pol_rule_match(&rules[i], pfx, a))
			return (int)i;
	return -1;
}

static bool in_list(const uint32_t *list, unsigned n, uint32_t c)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == c)
			return true;
	return false;
}

/* Rewrite the community list: old minus removed, plus added (no
 * duplicates), into scratch. Returns 0, or -1 when scratch is too small. */
static int rewrite_communities(const struct pol_rule *r, struct bgp_attrs *a,
			       uint8_t *scratch, size_t cap)
{
	unsigned n_old = (a->present & ATTR_BIT(ATTR_COMMUNITIES)) ?
				 a->n_communities : 0;
	size_t need = 4 * ((size_t)n_old + r->n_add_communities);
	unsigned n = 0;

	if (need > cap || (need && !scratch))
		return -1;
	for (unsigned i = 0; i < n_old; i++) {
		uint32_t c = get32(a->communities + 4 * i);
		if (!in_list(r->remove_communities, r->n_remove_communities, c))
			put32(scratch + 4 * n++, c);
	}
	for (unsigned i = 0; i < r->n_add_communities; i++) {
		uint32_t c = r->add_communities[i];
		bool dup = false;
		for (unsigned j = 0; j < n && !dup; j++)
			dup = get32(scratch + 4 * j) == c;
		if (!dup)
			put32(scratch + 4 * n++, c);
	}
	a->n_communities = (uint16_t)n;
	a->communities = n ? scratch : NULL;
	if (n)
		a->present |= ATTR_BIT(ATTR_COMMUNITIES);
	else
		a->present &= ~ATTR_BIT(ATTR_COMMUNITIES);
	return 0;
}

uint8_t policy_apply(const struct pol_rule *rules, unsigned n,
		     const struct prefix *pfx, struct bgp_attrs *a,
		     uint8_t *scratch, size_t scratch_len,
		     struct pol_result *res)
{
	struct pol_result tmp;
	const struct pol_rule *r;

	if (!res)
		res = &tmp;
	res->changed = false;
	res->rule = policy_match(rules, n, pfx, a);
	res->action = POL_ALLOW;
	if (res->rule < 0)
		return POL_ALLOW;
	r = &rules[res->rule];
	if (r->action != POL_DENY) {
		if (r->set_local_pref) {
			a->local_pref = r->local_pref;
			a->present |= ATTR_BIT(ATTR_LOCAL_PREF);
			res->changed = true;
		}
		if (r->set_med) {
			a->med = r->med;
			a->present |= ATTR_BIT(ATTR_MED);
			res->changed = true;
		}
		if (r->n_add_communities || r->n_remove_communities) {
			if (rewrite_communities(r, a, scratch, scratch_len) < 0) {
				res->action = POL_DENY;
				return POL_DENY;
			}
			res->changed = true;
		}
	}
	res->action = r->action;
	return r->action;
}

/* ------------------------------------------------------------ martians */

int policy_martian(const struct conf_rs *rs, const struct prefix *p,
		   bool accept_default)
{
	if (p->len == 0)
		return -1;
	if (!accept_default && p->len < (p->afi == AFI_IPV4 ? 8 : 16))
		return POLICY_TOO_SHORT;
	for (unsigned i = 0; i < rs->n_martians; i++)
		if (prefix_contains(&rs->martians[i], p))
			return (int)i;
	return -1;
}
