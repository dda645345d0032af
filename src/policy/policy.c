/*
 * policy.c - evaluating import/export rules, and their small parsers.
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

/* ------------------------------------------------------- parsers */

static int parse_len(const char *tok, unsigned max, uint8_t *out)
{
	char *end;
	unsigned long v;

	if (*tok < '0' || *tok > '9')
		return -1;
	v = strtoul(tok, &end, 10);
	if (*end || v > max)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

/* Check the ge/le relations of a parsed match. */
static int check_range(const struct pol_prefix *pp, char *err, size_t errlen)
{
	unsigned len = pp->prefix.len, max = afi_maxlen(pp->prefix.afi);

	if (pp->ge && pp->ge < len) {
		snprintf(err, errlen, "ge %u is shorter than the prefix length %u",
			 pp->ge, len);
		return -1;
	}
	if (pp->le && pp->le < len) {
		snprintf(err, errlen, "le %u is shorter than the prefix length %u",
			 pp->le, len);
		return -1;
	}
	if (pp->ge && pp->le && pp->ge > pp->le) {
		snprintf(err, errlen, "ge %u is greater than le %u", pp->ge,
			 pp->le);
		return -1;
	}
	if (pp->ge > max || pp->le > max) {
		snprintf(err, errlen, "ge/le beyond /%u", max);
		return -1;
	}
	return 0;
}

int pol_prefix_parse(const char *s, struct pol_prefix *pp, char *err,
		     size_t errlen)
{
	char buf[128], *save = NULL, *tok;
	int rc;

	memset(pp, 0, sizeof(*pp));
	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "prefix match too long");
		return -1;
	}
	strcpy(buf, s);
	tok = strtok_r(buf, " \t", &save);
	if (!tok) {
		snprintf(err, errlen, "empty prefix match");
		return -1;
	}
	rc = prefix_parse(tok, &pp->prefix);
	if (rc == -2) {
		snprintf(err, errlen, "bad prefix '%s': host bits are set", tok);
		return -1;
	}
	if (rc < 0 || !strchr(tok, '/')) {
		snprintf(err, errlen, "bad prefix '%s'", tok);
		return -1;
	}
	while ((tok = strtok_r(NULL, " \t", &save))) {
		bool ge = !strcmp(tok, "ge"), le = !strcmp(tok, "le");
		char *num = strtok_r(NULL, " \t", &save);
		uint8_t *dst = ge ? &pp->ge : &pp->le;
		if ((!ge && !le) || !num || *dst ||
		    parse_len(num, afi_maxlen(pp->prefix.afi), dst) < 0 ||
		    *dst == 0) {
			snprintf(err, errlen,
				 "bad prefix match '%s': expected PREFIX [ge N] [le N] with N in 1..%u",
				 s, afi_maxlen(pp->prefix.afi));
			return -1;
		}
	}
	return check_range(pp, err, errlen);
}

char *pol_prefix_fmt(const struct pol_prefix *pp, char *buf, size_t len)
{
	char p[PREFIX_STRLEN];
	int n = snprintf(buf, len, "%s", prefix_fmt(&pp->prefix, p, sizeof(p)));

	if (pp->ge && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " ge %u", pp->ge);
	if (pp->le && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " le %u", pp->le);
	return buf;
}

static const struct {
	const char *name;
	uint32_t value;
} well_known[] = {
	{"no-export", COMMUNITY_NO_EXPORT},
	{"no-advertise", COMMUNITY_NO_ADVERTISE},
	{"no-export-subconfed", COMMUNITY_NO_EXPORT_SUBCONFED},
};

int community_parse(const char *s, uint32_t *c)
{
	unsigned long hi, lo;
	char *end;

	for (size_t i = 0; i < sizeof(well_known) / sizeof(well_known[0]); i++) {
		if (!strcmp(s, well_known[i].name)) {
			*c = well_known[i].value;
			return 0;
		}
	}
	if (*s < '0' || *s > '9')
		return -1;
	hi = strtoul(s, &end, 10);
	if (*end != ':' || hi > 65535 || end[1] < '0' || end[1] > '9')
		return -1;
	lo = strtoul(end + 1, &end, 10);
	if (*end || lo > 65535)
		return -1;
	*c = (uint32_t)(hi << 16 | lo);
	return 0;
}

char *community_fmt(uint32_t c, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(well_known) / sizeof(well_known[0]); i++) {
		if (c == well_known[i].value) {
			snprintf(buf, len, "%s", well_known[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%u:%u", c >> 16, c & 0xffff);
	return buf;
}

static bool u32s_equal(const uint32_t *a, unsigned na, const uint32_t *b,
		       unsigned nb)
{
	return na == nb && (!na || !memcmp(a, b, na * sizeof(*a)));
}

static bool rule_equal(const struct pol_rule *a, const struct pol_rule *b)
{
	if (a->n_prefixes != b->n_prefixes)
		return false;
	for (unsigned i = 0; i < a->n_prefixes; i++) {
		const struct pol_prefix *x = &a->prefixes[i], *y = &b->prefixes[i];
		if (!prefix_eq(&x->prefix, &y->prefix) || x->ge != y->ge ||
		    x->le != y->le)
			return false;
	}
	return a->as_path_contains == b->as_path_contains &&
	       a->origin_as == b->origin_as &&
	       u32s_equal(a->communities, a->n_communities, b->communities,
			  b->n_communities) &&
	       a->action == b->action &&
	       a->set_local_pref == b->set_local_pref &&
	       a->set_med == b->set_med &&
	       (!a->set_local_pref || a->local_pref == b->local_pref) &&
	       (!a->set_med || a->med == b->med) &&
	       u32s_equal(a->add_communities, a->n_add_communities,
			  b->add_communities, b->n_add_communities) &&
	       u32s_equal(a->remove_communities, a->n_remove_communities,
			  b->remove_communities, b->n_remove_communities);
}

bool pol_rules_equal(const struct pol_rule *a, unsigned na,
		     const struct pol_rule *b, unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if (!rule_equal(&a[i], &b[i]))
			return false;
	return true;
}

void pol_rules_free(struct pol_rule *rules, unsigned n)
{
	if (!rules)
		return;
	for (unsigned i = 0; i < n; i++) {
		free(rules[i].prefixes);
		free(rules[i].communities);
		free(rules[i].add_communities);
		free(rules[i].remove_communities);
	}
	free(rules);
}
