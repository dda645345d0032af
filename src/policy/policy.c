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

static bool has_large(const struct bgp_attrs *a, const struct lcomm *c)
{
	if (!(a->present & ATTR_BIT(ATTR_LARGE_COMMUNITIES)))
		return false;
	for (unsigned i = 0; i < a->n_large_communities; i++) {
		const uint8_t *p = a->large_communities + 12 * i;
		if (get32(p) == c->ga && get32(p + 4) == c->l1 &&
		    get32(p + 8) == c->l2)
			return true;
	}
	return false;
}

static bool match_large(const struct pol_rule *r, const struct bgp_attrs *a)
{
	for (unsigned i = 0; i < r->n_large; i++)
		if (has_large(a, &r->large[i]))
			return true;
	return false;
}

bool pol_rule_match(const struct pol_rule *r, const struct prefix *pfx,
		    const struct bgp_attrs *a)
{
	if (r->match_rpki && a->rpki != r->match_rpki)
		return false;
	if (r->n_large && !match_large(r, a))
		return false;
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

static int large_count(const struct bgp_attrs *a)
{
	return (a->present & ATTR_BIT(ATTR_LARGE_COMMUNITIES)) ?
		       a->n_large_communities : 0;
}

static void large_put(uint8_t *p, const struct lcomm *c)
{
	put32(p, c->ga);
	put32(p + 4, c->l1);
	put32(p + 8, c->l2);
}

static void large_set_list(struct bgp_attrs *a, uint8_t *buf, unsigned n)
{
	a->n_large_communities = (uint16_t)n;
	a->large_communities = n ? buf : NULL;
	if (n)
		a->present |= ATTR_BIT(ATTR_LARGE_COMMUNITIES);
	else
		a->present &= ~ATTR_BIT(ATTR_LARGE_COMMUNITIES);
}

int policy_large_edit(struct bgp_attrs *a, const struct lcomm *c, bool add,
		      uint8_t *buf, size_t cap)
{
	unsigned n_old = (unsigned)large_count(a), n = 0;

	if (12 * ((size_t)n_old + 1) > cap || !buf)
		return -1;
	for (unsigned i = 0; i < n_old; i++) {
		const uint8_t *p = a->large_communities + 12 * i;
		if (get32(p) == c->ga && get32(p + 4) == c->l1 &&
		    get32(p + 8) == c->l2)
			continue; /* dropped, or added again at the end */
		if (buf + 12 * n != p)
			memmove(buf + 12 * n, p, 12);
		n++;
	}
	if (add)
		large_put(buf + 12 * n++, c);
	large_set_list(a, buf, n);
	return 0;
}

int policy_std_edit(struct bgp_attrs *a, uint32_t c, bool add, uint8_t *buf,
		    size_t cap)
{
	unsigned n_old = (a->present & ATTR_BIT(ATTR_COMMUNITIES)) ?
				 a->n_communities : 0, n = 0;

	if (4 * ((size_t)n_old + 1) > cap || !buf)
		return -1;
	for (unsigned i = 0; i < n_old; i++) {
		const uint8_t *p = a->communities + 4 * i;
		if (get32(p) == c)
			continue;
		if (buf + 4 * n != p)
			memmove(buf + 4 * n, p, 4);
		n++;
	}
	if (add)
		put32(buf + 4 * n++, c);
	a->n_communities = (uint16_t)n;
	a->communities = n ? buf : NULL;
	if (n)
		a->present |= ATTR_BIT(ATTR_COMMUNITIES);
	else
		a->present &= ~ATTR_BIT(ATTR_COMMUNITIES);
	return 0;
}

/* The large community list of rule r: replaced (set), then the removed
 * ones taken out and the added ones put in, into buf. */
static int rewrite_large(const struct pol_rule *r, struct bgp_attrs *a,
			 uint8_t *buf, size_t cap)
{
	if (r->replace_large) {
		if (12 * (size_t)r->n_set_large > cap || !buf)
			return -1;
		for (unsigned i = 0; i < r->n_set_large; i++)
			large_put(buf + 12 * i, &r->set_large[i]);
		large_set_list(a, buf, r->n_set_large);
	}
	for (unsigned i = 0; i < r->n_remove_large; i++)
		if (has_large(a, &r->remove_large[i]) &&
		    policy_large_edit(a, &r->remove_large[i], false, buf, cap) < 0)
			return -1;
	for (unsigned i = 0; i < r->n_add_large; i++)
		if (!has_large(a, &r->add_large[i]) &&
		    policy_large_edit(a, &r->add_large[i], true, buf, cap) < 0)
			return -1;
	return 0;
}

/* The actions added with large communities and prepending; -1: the
 * route cannot carry them (scratch too small, AS_PATH too long). */
static int apply_more(const struct pol_rule *r, struct bgp_attrs *a,
		      uint8_t *scratch, size_t scratch_len, bool *changed)
{
	if (r->n_add_large || r->n_remove_large || r->replace_large) {
		if (scratch_len < POL_SCRATCH_LEN ||
		    rewrite_large(r, a, scratch + POL_SCRATCH_STD,
				  POL_SCRATCH_LARGE) < 0)
			return -1;
		*changed = true;
	}
	for (uint32_t i = 0; i < r->prepend_count; i++) {
		if (aspath_prepend(a, r->prepend_asn) < 0)
			return -1;
		a->present |= ATTR_BIT(ATTR_AS_PATH);
		*changed = true;
	}
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
			if (rewrite_communities(r, a, scratch,
						scratch_len < POL_SCRATCH_STD
							? scratch_len
							: POL_SCRATCH_STD) < 0) {
				res->action = POL_DENY;
				return POL_DENY;
			}
			res->changed = true;
		}
		if (apply_more(r, a, scratch, scratch_len, &res->changed) < 0) {
			res->action = POL_DENY;
			return POL_DENY;
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
	if (rs->martian_index && (p->afi == AFI_IPV4 || p->afi == AFI_IPV6) &&
	    !(rs->martian_first[p->afi - 1][p->b[0] >> 3] &
	      1u << (p->b[0] & 7)))
		return -1; /* no martian starts with p's first byte */
	for (unsigned i = 0; i < rs->n_martians; i++)
		if (prefix_contains(&rs->martians[i], p))
			return (int)i;
	return -1;
}
