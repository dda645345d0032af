/*
 * fab_symmetry.c - the stateful hops of a flow each way and the verdict
 * (see fab_assure.h).
 *
 * A crossing is a hop of a trace whose chosen next hop is a stateful
 * appliance; its candidates are the stateful members of that hop's ECMP
 * set. The rule: every crossing one way must have a crossing the other
 * way that can use the same appliance, else the flow is asymmetric (one
 * direction passes a firewall that never sees the other). When each
 * crossing has one appliance, or a sticky group with the same members
 * both ways, the flow is symmetric; when ECMP spreads a crossing over
 * several appliances without stickiness, the two directions are hashed
 * independently and the flow is at_risk.
 */
#include "fabric/fab_assure.h"
#include "fabric/fab_int.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

const struct addr *fab_nic_addr(const struct fabric *f, uint32_t nic)
{
	return &f->nics[nic].ip;
}

const char *fab_verdict_name(int v)
{
	static const char *const n[] = {"symmetric", "at_risk", "asymmetric"};
	return v >= 0 && v < 3 ? n[v] : "?";
}

void fab_trace_crossings(const struct fab_trace *t, fab_stateful_fn fn,
			 void *arg, struct fab_sym_side *side)
{
	for (size_t i = 0; i < t->n_hops && side->n < FAB_MAX_CROSSINGS; i++) {
		const struct fab_hop *h = &t->hops[i];
		struct fab_crossing *c = &side->c[side->n];
		bool sticky = true, s;

		if (!h->has_chosen || addr_eq(&h->chosen, &h->ip) ||
		    !fn(arg, h, &h->chosen, &s))
			continue;
		memset(c, 0, sizeof(*c));
		snprintf(c->at, sizeof(c->at), "%s", h->at ? h->at : "");
		c->chosen = h->chosen;
		for (uint16_t k = 0; k < h->n_ecmp; k++) {
			if (!fn(arg, h, &h->ecmp[k], &s))
				continue;
			c->cand[c->n_cand++] = h->ecmp[k];
			sticky = sticky && s;
		}
		if (!c->n_cand)
			c->cand[c->n_cand++] = h->chosen;
		c->sticky = sticky;
		side->n++;
	}
}

static bool has(const struct fab_crossing *c, const struct addr *a)
{
	for (uint16_t i = 0; i < c->n_cand; i++)
		if (addr_eq(&c->cand[i], a))
			return true;
	return false;
}

static bool overlap(const struct fab_crossing *x, const struct fab_crossing *y)
{
	for (uint16_t i = 0; i < x->n_cand; i++)
		if (has(y, &x->cand[i]))
			return true;
	return false;
}

static bool same_set(const struct fab_crossing *x, const struct fab_crossing *y)
{
	if (x->n_cand != y->n_cand)
		return false;
	for (uint16_t i = 0; i < x->n_cand; i++)
		if (!has(y, &x->cand[i]))
			return false;
	return true;
}

static void cand_text(const struct fab_crossing *c, char *buf, size_t len)
{
	size_t o = 0;
	char a[ADDR_STRLEN];

	buf[0] = 0;
	for (uint16_t i = 0; i < c->n_cand && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      addr_fmt(&c->cand[i], a, sizeof(a)));
}

/* The first crossing of a with no counterpart in b, or -1. */
static int unmatched(const struct fab_sym_side *a, const struct fab_sym_side *b)
{
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;
		for (size_t j = 0; j < b->n && !found; j++)
			found = overlap(&a->c[i], &b->c[j]);
		if (!found)
			return (int)i;
	}
	return -1;
}

static int asymmetric(const struct fab_sym_side *a, const char *dir,
		      const char *other, int i, char *reason, size_t len)
{
	const struct fab_crossing *c = &a->c[i];
	char ip[ADDR_STRLEN], set[400];

	cand_text(c, set, sizeof(set));
	snprintf(reason, len, "the %s path crosses stateful %s (chosen at %s "
		 "among [%s]); the %s path crosses none of them", dir,
		 addr_fmt(&c->chosen, ip, sizeof(ip)), c->at[0] ? c->at : "?",
		 set, other);
	return FAB_ASYMMETRIC;
}

int fab_symmetry_verdict(const struct fab_sym_side *fwd,
			 const struct fab_sym_side *ret, char *reason,
			 size_t len)
{
	char set[400], ip[ADDR_STRLEN], ip2[ADDR_STRLEN];
	int i;

	if ((i = unmatched(fwd, ret)) >= 0)
		return asymmetric(fwd, "forward", "return", i, reason, len);
	if ((i = unmatched(ret, fwd)) >= 0)
		return asymmetric(ret, "return", "forward", i, reason, len);
	for (size_t a = 0; a < fwd->n; a++) {
		for (size_t b = 0; b < ret->n; b++) {
			const struct fab_crossing *x = &fwd->c[a], *y = &ret->c[b];
			if (!overlap(x, y) || (x->n_cand == 1 && y->n_cand == 1))
				continue;
			if (x->sticky && y->sticky && same_set(x, y))
				continue;
			cand_text(x->n_cand > 1 ? x : y, set, sizeof(set));
			snprintf(reason, len, "ECMP over %u stateful next hops "
				 "[%s] without flow stickiness: the flow hash "
				 "picks %s forward and %s on the return, and the "
				 "two directions are hashed independently",
				 (unsigned)(x->n_cand > y->n_cand ? x->n_cand
								  : y->n_cand), set,
				 addr_fmt(&x->chosen, ip, sizeof(ip)),
				 addr_fmt(&y->chosen, ip2, sizeof(ip2)));
			return FAB_AT_RISK;
		}
	}
	if (!fwd->n)
		snprintf(reason, len, "no stateful hop either way");
	else {
		size_t o = 0;
		set[0] = 0;
		for (size_t a = 0; a < fwd->n && o < sizeof(set); a++)
			o += (size_t)snprintf(set + o, sizeof(set) - o, "%s%s",
					      a ? ", " : "",
					      addr_fmt(&fwd->c[a].chosen, ip,
						       sizeof(ip)));
		snprintf(reason, len, "forward and return cross the same "
			 "stateful hop%s: %s", fwd->n > 1 ? "s" : "", set);
	}
	return FAB_SYMMETRIC;
}

json_t *fab_crossings_json(const struct fab_sym_side *s)
{
	json_t *a = json_array();
	char ip[ADDR_STRLEN];

	for (size_t i = 0; i < s->n; i++) {
		const struct fab_crossing *c = &s->c[i];
		json_t *cand = json_array();
		for (uint16_t k = 0; k < c->n_cand; k++)
			json_array_append_new(cand, json_string(
				addr_fmt(&c->cand[k], ip, sizeof(ip))));
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:o, s:b}", "at", c->at, "chosen",
			addr_fmt(&c->chosen, ip, sizeof(ip)), "candidates", cand,
			"sticky", c->sticky));
	}
	return a;
}

int fab_crossings_parse(json_t *a, struct fab_sym_side *s)
{
	size_t i, k;
	json_t *o, *v;

	if (!json_is_array(a))
		return -1;
	json_array_foreach(a, i, o) {
		struct fab_crossing *c = &s->c[s->n];
		const char *at = json_string_value(json_object_get(o, "at"));
		const char *ch = json_string_value(json_object_get(o, "chosen"));
		if (s->n >= FAB_MAX_CROSSINGS)
			return -1;
		memset(c, 0, sizeof(*c));
		snprintf(c->at, sizeof(c->at), "%s", at ? at : "");
		if (!ch || addr_parse(ch, &c->chosen) < 0)
			return -1;
		c->sticky = json_is_true(json_object_get(o, "sticky"));
		json_array_foreach(json_object_get(o, "candidates"), k, v) {
			if (c->n_cand >= FAB_TRACE_MAX_NH || !json_string_value(v) ||
			    addr_parse(json_string_value(v), &c->cand[c->n_cand]) < 0)
				return -1;
			c->n_cand++;
		}
		if (!c->n_cand)
			c->cand[c->n_cand++] = c->chosen;
		s->n++;
	}
	return 0;
}
