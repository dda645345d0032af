/*
 * refused.c - a peer's refused routes (refused.h): a chained hash by
 * prefix that grows by four when it is twice as full as it is wide.
 */
#include <stdlib.h>

#include "session/refused.h"

struct refused {
	struct rib *rib; /* owns the interned attributes */
	struct refused_route **b;
	size_t nb, n;
};

const char *refused_why_name(int why)
{
	switch (why) {
	case REFUSED_RULE: return "import rule";
	case REFUSED_LOOP: return "as-path loop";
	case REFUSED_FIRST_AS: return "first AS not the peer's";
	case REFUSED_MARTIAN: return "martian";
	case REFUSED_DEFAULT: return "default route (accept_default false)";
	case REFUSED_RPKI: return "rpki invalid";
	default: return "refused";
	}
}

static uint32_t pfx_hash(const struct prefix *p)
{
	uint32_t h = 2166136261u ^ p->afi ^ ((uint32_t)p->len << 8);

	for (unsigned i = 0; i < (p->afi == AFI_IPV4 ? 4u : 16u); i++)
		h = (h ^ p->b[i]) * 16777619u;
	return h;
}

struct refused *refused_new(struct rib *rib)
{
	struct refused *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->rib = rib;
	r->nb = 64;
	r->b = calloc(r->nb, sizeof(*r->b));
	if (!r->b) {
		free(r);
		return NULL;
	}
	return r;
}

static void node_free(struct refused *r, struct refused_route *n)
{
	if (n->attr)
		rattr_unref(r->rib, n->attr);
	free(n);
}

void refused_clear(struct refused *r)
{
	for (size_t i = 0; i < r->nb; i++) {
		while (r->b[i]) {
			struct refused_route *n = r->b[i];

			r->b[i] = n->next;
			node_free(r, n);
		}
	}
	r->n = 0;
}

void refused_free(struct refused *r)
{
	if (!r)
		return;
	refused_clear(r);
	free(r->b);
	free(r);
}

static void grow(struct refused *r)
{
	size_t nb = r->nb * 4;
	struct refused_route **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < r->nb; i++) {
		while (r->b[i]) {
			struct refused_route *n = r->b[i];

			r->b[i] = n->next;
			n->next = b[pfx_hash(&n->pfx) % nb];
			b[pfx_hash(&n->pfx) % nb] = n;
		}
	}
	free(r->b);
	r->b = b;
	r->nb = nb;
}

void refused_put(struct refused *r, const struct prefix *pfx,
		 struct rattr *attr, uint8_t why, int16_t rule)
{
	struct refused_route **head = &r->b[pfx_hash(pfx) % r->nb], *n;

	for (n = *head; n && !prefix_eq(&n->pfx, pfx); n = n->next)
		;
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n)
			return;
		n->pfx = *pfx;
		n->next = *head;
		*head = n;
		r->n++;
	}
	if (attr)
		rattr_ref(attr);
	if (n->attr)
		rattr_unref(r->rib, n->attr);
	n->attr = attr;
	n->why = why;
	n->rule = rule;
	if (r->n > r->nb * 2)
		grow(r);
}

bool refused_del(struct refused *r, const struct prefix *pfx)
{
	struct refused_route **pp;

	if (r->n == 0)
		return false;
	for (pp = &r->b[pfx_hash(pfx) % r->nb]; *pp; pp = &(*pp)->next) {
		if (prefix_eq(&(*pp)->pfx, pfx)) {
			struct refused_route *n = *pp;

			*pp = n->next;
			node_free(r, n);
			r->n--;
			return true;
		}
	}
	return false;
}

size_t refused_count(const struct refused *r)
{
	return r ? r->n : 0;
}

int refused_walk(const struct refused *r,
		 int (*fn)(const struct refused_route *rr, void *arg),
		 void *arg)
{
	for (size_t i = 0; r && i < r->nb; i++)
		for (const struct refused_route *n = r->b[i]; n; n = n->next) {
			int rc = fn(n, arg);

			if (rc)
				return rc;
		}
	return 0;
}

size_t refused_bytes(const struct refused *r)
{
	return r ? sizeof(*r) + r->nb * sizeof(*r->b) +
			   r->n * sizeof(struct refused_route)
		 : 0;
}
