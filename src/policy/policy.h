/*
 * policy.h - import/export policy: evaluating rules on one route.
 *
 * Rules (struct pol_rule, conf/conf.h) are checked in order and the first
 * rule whose every set match holds decides: its "set" actions change the
 * route's attributes, then the route is allowed or denied. A route that no
 * rule matches is ALLOWED, for import and for export alike (an empty list
 * lets everything through, like DESIGN 4's `import: []`); end a list with
 * a rule without matches and `action: deny` to get deny-by-default.
 *
 * policy_eval() is inline so that a peer without rules (the common case,
 * at a million routes a second) costs one compare and no call.
 *
 * The import guards of DESIGN 1.2 that do not depend on rules (default
 * route, local ASN in the AS_PATH) are here too, for the daemon's import
 * path; they run before the rules.
 */
#ifndef PHAROS_POLICY_POLICY_H
#define PHAROS_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"
#include "conf/conf.h"
#include "base/prefix.h"

/*
 * Scratch space for the community list a rule rewrites. A rule that adds
 * or removes communities writes the new list (network order, 4 bytes per
 * community) into the caller's buffer and points attrs->communities at
 * it, so the buffer must outlive the use of attrs (typically: until
 * rattr_intern() copied it). It needs at most
 * 4 * (attrs->n_communities + rule->n_add_communities) bytes;
 * POL_SCRATCH_LEN is always enough for a decoded UPDATE (an extended
 * message carries at most 16383 communities) plus 256 added ones.
 */
#define POL_SCRATCH_STD (4 * (16384 + 256))
/* ... followed by room for the large community list (RFC 8092, 12 bytes
 * each: at most 5461 in an extended message) plus 256 added ones. */
#define POL_SCRATCH_LARGE (12 * (5462 + 256))
#define POL_SCRATCH_LEN (POL_SCRATCH_STD + POL_SCRATCH_LARGE)

/* Out of policy_apply(): the verdict, and which rule gave it. */
struct pol_result {
	uint8_t action; /* POL_ALLOW or POL_DENY */
	int rule; /* index of the matching rule, -1 when none matched */
	bool changed; /* a set action modified attrs */
};

/* Index of the first rule that matches (prefix, attrs), -1 when none.
 * A rule that matches `rpki` reads a->rpki (set by the importer). */
int policy_match(const struct pol_rule *rules, unsigned n,
		 const struct prefix *pfx, const struct bgp_attrs *a);

/*
 * Evaluate rules on (pfx, a): on a match, apply the rule's set actions
 * to *a (LOCAL_PREF, MED and COMMUNITIES, with their present bits) and
 * return its action. Community changes need scratch (see above); when it
 * is too small the route is denied (res->rule says which rule). res may
 * be NULL.
 */
uint8_t policy_apply(const struct pol_rule *rules, unsigned n,
		     const struct prefix *pfx, struct bgp_attrs *a,
		     uint8_t *scratch, size_t scratch_len,
		     struct pol_result *res);

/* The fast path: no rules means allow, without touching anything. */
static inline uint8_t policy_eval(const struct pol_rule *rules, unsigned n,
				  const struct prefix *pfx,
				  struct bgp_attrs *a, uint8_t *scratch,
				  size_t scratch_len)
{
	if (n == 0)
		return POL_ALLOW;
	return policy_apply(rules, n, pfx, a, scratch, scratch_len, NULL);
}

/* ----------------------------------------------------- import guards */

/* 0.0.0.0/0 or ::/0: refused unless the peer has accept_default. */
static inline bool policy_is_default(const struct prefix *p)
{
	return p->len == 0;
}
/*
 * Martians: -1 when p may be imported; otherwise why not: the index of
 * the route_server.martians range that holds p, or POLICY_TOO_SHORT for
 * a prefix shorter than /8 (IPv4) or /16 (IPv6) from a peer without
 * accept_default (0.0.0.0/1 + 128.0.0.0/1 are a default in disguise and
 * cover the route server's own address). The exact default (length 0)
 * is the default-route guard's, not this one's.
 */
#define POLICY_TOO_SHORT (-2)
int policy_martian(const struct conf_rs *rs, const struct prefix *p,
		   bool accept_default);

/*
 * Add (add true) or remove the large community c to/from a's list,
 * writing the list into buf (at most cap bytes; buf may already hold
 * a's list). Returns 0, or -1 when buf is too small.
 */
int policy_large_edit(struct bgp_attrs *a, const struct lcomm *c, bool add,
		      uint8_t *buf, size_t cap);
/* Same for a standard community. */
int policy_std_edit(struct bgp_attrs *a, uint32_t c, bool add, uint8_t *buf,
		    size_t cap);

/* True when the AS_PATH holds local_asn (a loop: the route is dropped). */
bool policy_aspath_loop(const struct bgp_attrs *a, uint32_t local_asn);

/* ------------------------------------------- pieces of a single rule */

/* Does the prefix match "PREFIX [ge N] [le N]"? Without ge/le: exactly
 * PREFIX; with ge only: lengths ge..max; with le only: PREFIX's length..le. */
bool pol_prefix_match(const struct pol_prefix *pp, const struct prefix *p);
/* True when the rule's every set match holds. */
bool pol_rule_match(const struct pol_rule *r, const struct prefix *pfx,
		    const struct bgp_attrs *a);

#endif
