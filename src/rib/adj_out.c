/*
 * adj_out.c - an update group's adj-RIB-out (see adj_out.h): a dense array
 * of entries that never move, indexed by a linear-probing hash with
 * backward-shift deletion (no tombstones, so lookups stay short).
 */
#include <stdlib.h>
#include <string.h>

#include "rib/adj_out.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

uint32_t adj_prefix_hash(const struct prefix *p)
{
	uint64_t a, b = 0;

	memcpy(&a, p->b, 8);
	if (p->afi == AFI_IPV6)
		memcpy(&b, p->b + 8, 8);
	a ^= mix64(b ^ ((uint64_t)p->len << 8 | p->afi));
	return (uint32_t)mix64(a);
}

void adj_out_init(struct adj_out *ao)
{
	memset(ao, 0, sizeof(*ao));
}

void adj_out_free(struct adj_out *ao, struct rib *rib)
{
	for (uint32_t i = 0; i < ao->n_ents; i++)
		if (adj_out_ent(ao, i)->attr)
			rattr_unref(rib, adj_out_ent(ao, i)->attr);
	for (uint32_t i = 0; i < ao->n_pages; i++)
		free(ao->pages[i]);
	free(ao->pages);
	free(ao->idx);
	adj_out_init(ao);
}

static bool ent_is(const struct adj_ent *e, const struct prefix *p)
{
	if (e->pfx.len != p->len || e->pfx.afi != p->afi)
		return false;
	if (p->afi == AFI_IPV4)
		return memcmp(e->pfx.b, p->b, 4) == 0;
	return memcmp(e->pfx.b, p->b, 16) == 0;
}

/* Slot in idx holding the entry for p, or the empty slot where it goes. */
static uint32_t idx_probe(const struct adj_out *ao, const struct prefix *p)
{
	uint32_t i = adj_prefix_hash(p) & ao->idx_mask;

	for (;;) {
		uint32_t v = ao->idx[i];
		if (!v || ent_is(adj_out_ent(ao, v - 1), p))
			return i;
		i = (i + 1) & ao->idx_mask;
	}
}

struct adj_ent *adj_out_find(const struct adj_out *ao, const struct prefix *p)
{
	if (!ao->idx_mask)
		return NULL;
	uint32_t v = ao->idx[idx_probe(ao, p)];
	return v ? adj_out_ent(ao, v - 1) : NULL;
}

static int idx_grow(struct adj_out *ao)
{
	uint32_t size = ao->idx_mask ? (ao->idx_mask + 1) * 2 : 64;
	uint32_t *n = calloc(size, sizeof(*n));

	if (!n)
		return -1;
	free(ao->idx);
	ao->idx = n;
	ao->idx_mask = size - 1;
	/* walk the dense array in order: sequential reads, no probing of
	 * entries (every prefix is distinct) */
	for (uint32_t i = 0; i < ao->n_ents; i++) {
		const struct adj_ent *e = adj_out_ent(ao, i);
		if (!e->attr)
			continue;
		uint32_t j = adj_prefix_hash(&e->pfx) & ao->idx_mask;
		while (n[j])
			j = (j + 1) & ao->idx_mask;
		n[j] = i + 1;
	}
	return 0;
}

/* Room for one more slot: the first page grows from 256 entries by
 * doubling (most groups are small), then whole pages are added, so a big
 * table is never copied. */
static int ents_grow(struct adj_out *ao)
{
	if (ao->n_pages == 1 && ao->cap_ents < ADJ_PAGE) {
		struct adj_ent *n = realloc(ao->pages[0],
					    2 * ao->cap_ents * sizeof(*n));
		if (!n)
			return -1;
		ao->pages[0] = n;
		ao->cap_ents *= 2;
		return 0;
	}
	if (ao->n_pages == ao->cap_pages) {
		uint32_t cap = ao->cap_pages ? ao->cap_pages * 2 : 4;
		struct adj_ent **n = realloc(ao->pages, cap * sizeof(*n));
		if (!n)
			return -1;
		ao->pages = n;
		ao->cap_pages = cap;
	}
	uint32_t cnt = ao->n_pages ? ADJ_PAGE : 256;
	if (!(ao->pages[ao->n_pages] = malloc(cnt * sizeof(struct adj_ent))))
		return -1;
	ao->n_pages++;
	ao->cap_ents += cnt;
	return 0;
}

static int ents_slot(struct adj_out *ao, uint32_t *slot)
{
	if (ao->free_head) {
		*slot = ao->free_head - 1;
		ao->free_head = adj_out_ent(ao, *slot)->src;
		return 0;
	}
	if (ao->n_ents == ao->cap_ents && ents_grow(ao) < 0)
		return -1;
	*slot = ao->n_ents++;
	return 0;
}

struct adj_ent *adj_out_insert(struct adj_out *ao, const struct prefix *p,
			       struct rattr *attr, uint32_t src)
{
	uint32_t slot;

	/* keep the index at most 3/4 full */
	if ((uint64_t)(ao->n_live + 1) * 4 >
		    (uint64_t)(ao->idx_mask ? ao->idx_mask + 1 : 0) * 3 &&
	    idx_grow(ao) < 0)
		return NULL;
	if (ents_slot(ao, &slot) < 0)
		return NULL;
	struct adj_ent *e = adj_out_ent(ao, slot);
	e->pfx = *p;
	e->src = src;
	e->attr = attr;
	ao->idx[idx_probe(ao, p)] = slot + 1;
	ao->n_live++;
	return e;
}

void adj_out_remove(struct adj_out *ao, struct rib *rib, struct adj_ent *e)
{
	uint32_t i = idx_probe(ao, &e->pfx), j = i;
	uint32_t slot = ao->idx[i] - 1;

	/* backward-shift deletion keeps every probe chain unbroken */
	for (;;) {
		j = (j + 1) & ao->idx_mask;
		uint32_t v = ao->idx[j];
		if (!v)
			break;
		uint32_t home = adj_prefix_hash(&adj_out_ent(ao, v - 1)->pfx) &
				ao->idx_mask;
		/* move v back into i unless its home lies in (i, j] */
		bool stays = i <= j ? (home > i && home <= j)
				    : (home > i || home <= j);
		if (!stays) {
			ao->idx[i] = v;
			i = j;
		}
	}
	ao->idx[i] = 0;
	rattr_unref(rib, e->attr);
	e->attr = NULL;
	e->src = ao->free_head;
	ao->free_head = slot + 1;
	ao->n_live--;
}

void adj_out_prefetch(const struct adj_out *ao, const struct prefix *p)
{
	if (ao->idx_mask)
		__builtin_prefetch(&ao->idx[adj_prefix_hash(p) & ao->idx_mask]);
}

size_t adj_out_bytes(const struct adj_out *ao)
{
	return (size_t)ao->cap_ents * sizeof(struct adj_ent) +
	       (size_t)ao->cap_pages * sizeof(*ao->pages) +
	       (ao->idx_mask ? ((size_t)ao->idx_mask + 1) * sizeof(uint32_t)
			     : 0);
}
