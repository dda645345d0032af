/*
 * conf_rules.c - policy rules as configuration data: the parsers and
 * printers of their pieces (a prefix with ge/le, a community), deep
 * equality of two rule lists (reload, export groups) and freeing.
 * Evaluating rules against routes is policy/'s work.
 */
#include "conf/conf.h"
#include "wire/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int lcomm_parse(const char *s, struct lcomm *c)
{
	unsigned long long v[3];
	char *end;

	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		v[i] = strtoull(s, &end, 10);
		if (v[i] > 0xffffffffull || *end != (i < 2 ? ':' : '\0'))
			return -1;
		s = end + 1;
	}
	c->ga = (uint32_t)v[0];
	c->l1 = (uint32_t)v[1];
	c->l2 = (uint32_t)v[2];
	return 0;
}

char *lcomm_fmt(const struct lcomm *c, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u:%u", c->ga, c->l1, c->l2);
	return buf;
}

static const char *const rpki_names[] = {NULL, "valid", "invalid", "not_found"};

const char *rpki_state_name(uint8_t st)
{
	return st < 4 ? rpki_names[st] : NULL;
}

uint8_t rpki_state_parse(const char *s)
{
	for (uint8_t i = 1; i < 4; i++)
		if (!strcmp(s, rpki_names[i]))
			return i;
	return 0;
}

static bool lcs_equal(const struct lcomm *a, unsigned na,
		      const struct lcomm *b, unsigned nb)
{
	return na == nb && (!na || !memcmp(a, b, na * sizeof(*a)));
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
			  b->remove_communities, b->n_remove_communities) &&
	       a->match_rpki == b->match_rpki &&
	       lcs_equal(a->large, a->n_large, b->large, b->n_large) &&
	       lcs_equal(a->add_large, a->n_add_large, b->add_large,
			 b->n_add_large) &&
	       lcs_equal(a->remove_large, a->n_remove_large, b->remove_large,
			 b->n_remove_large) &&
	       a->replace_large == b->replace_large &&
	       lcs_equal(a->set_large, a->n_set_large, b->set_large,
			 b->n_set_large) &&
	       a->prepend_asn == b->prepend_asn &&
	       a->prepend_count == b->prepend_count;
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
		free(rules[i].large);
		free(rules[i].add_large);
		free(rules[i].remove_large);
		free(rules[i].set_large);
	}
	free(rules);
}
