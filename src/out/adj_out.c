/*
 * adj_out.c - an update group's adj-RIB-out (see adj_out.h): the table by
 * loc-RIB entry id, and the hash by prefix (a dense array of entries that
 * never move, indexed by linear probing with tombstones).
 */
#include <stdlib.h>
#include <string.h>

#include "out/adj_out.h"

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

/* An index word: the entry's slot + 1 in the low ADJ_SLOT_BITS, the top
 * bits of its hash above, so that a probe passes over other prefixes
 * without reading their entries (almost always another cache miss). */
static uint32_t idx_word(uint32_t slot, uint32_t hash)
{
	return (hash & ~ADJ_SLOT_MASK) | (slot + 1);
}

#define ADJ_TOMB (~ADJ_SLOT_MASK) /* slot part 0: a removed entry */
#define NO_POS UINT32_MAX

/* Probe for p (hash h): returns the word position holding it, or NO_POS
 * with *free_at set to where it would go (the first removed word on the
 * way, else the empty word that ended the probe). */
static uint32_t idx_probe(const struct adj_out *ao, const struct prefix *p,
			  uint32_t h, uint32_t *free_at)
{
	uint32_t i = h & ao->idx_mask, tag = h & ~ADJ_SLOT_MASK;

	*free_at = NO_POS;
	for (;;) {
		uint32_t v = ao->idx[i];
		if (!v) {
			if (*free_at == NO_POS)
				*free_at = i;
			return NO_POS;
		}
		if (v == ADJ_TOMB) {
			if (*free_at == NO_POS)
				*free_at = i;
		} else if ((v & ~ADJ_SLOT_MASK) == tag &&
			   ent_is(adj_out_ent(ao, (v & ADJ_SLOT_MASK) - 1), p)) {
			return i;
		}
		i = (i + 1) & ao->idx_mask;
	}
}

struct adj_ent *adj_out_find(const struct adj_out *ao, const struct prefix *p)
{
	struct adj_pos pos;

	return adj_out_lookup(ao, p, &pos);
}

struct adj_ent *adj_out_lookup(const struct adj_out *ao,
			       const struct prefix *p, struct adj_pos *pos)
{
	uint32_t at, free_at;

	pos->hash = adj_prefix_hash(p);
	pos->gen = ao->idx_gen;
	pos->i = NO_POS;
	if (!ao->idx_mask)
		return NULL;
	at = idx_probe(ao, p, pos->hash, &free_at);
	if (at == NO_POS) {
		pos->i = free_at;
		return NULL;
	}
	pos->i = at;
	return adj_out_ent(ao, (ao->idx[at] & ADJ_SLOT_MASK) - 1);
}

/* Rebuild the index at size words, without removed words. */
static int idx_rebuild(struct adj_out *ao, uint32_t size)
{
	uint32_t *n = calloc(size, sizeof(*n));

	if (!n)
		return -1;
	free(ao->idx);
	ao->idx = n;
	ao->idx_mask = size - 1;
	ao->n_tomb = 0;
	ao->idx_gen++;
	/* walk the dense array in order: sequential reads, no probing of
	 * entries (every prefix is distinct) */
	for (uint32_t i = 0; i < ao->n_ents; i++) {
		const struct adj_ent *e = adj_out_ent(ao, i);
		if (!e->attr)
			continue;
		uint32_t h = adj_prefix_hash(&e->pfx), j = h & ao->idx_mask;
		while (n[j])
			j = (j + 1) & ao->idx_mask;
		n[j] = idx_word(i, h);
	}
	return 0;
}

/* Room in the index for one more live word: when live and removed words
 * would fill more than 3/4 of it, rebuild it at the size the live ones
 * need (at most half full after the rebuild). */
static int idx_room(struct adj_out *ao)
{
	uint64_t size = ao->idx_mask ? (uint64_t)ao->idx_mask + 1 : 0;

	if ((uint64_t)(ao->n_live + ao->n_tomb + 1) * 4 <= size * 3)
		return 0;
	uint64_t need = 64;
	while (need < (uint64_t)(ao->n_live + 1) * 2)
		need *= 2;
	if (need > (1ull << 31))
		return -1;
	return idx_rebuild(ao, (uint32_t)need);
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

struct adj_ent *adj_out_insert_at(struct adj_out *ao,
				  const struct adj_pos *pos,
				  const struct prefix *p, struct rattr *attr,
				  uint32_t src)
{
	uint32_t slot, i = pos->i, gen = pos->gen;

	if (ao->n_ents >= ADJ_SLOT_MASK - 1 && !ao->free_head)
		return NULL; /* the index words have no room for more slots */
	if (idx_room(ao) < 0)
		return NULL;
	if (ents_slot(ao, &slot) < 0)
		return NULL;
	struct adj_ent *e = adj_out_ent(ao, slot);
	e->pfx = *p;
	e->src = src;
	e->attr = attr;
	if (gen != ao->idx_gen || i == NO_POS) /* the index was rebuilt */
		idx_probe(ao, p, pos->hash, &i);
	if (ao->idx[i] == ADJ_TOMB)
		ao->n_tomb--;
	ao->idx[i] = idx_word(slot, pos->hash);
	ao->n_live++;
	return e;
}

void adj_out_remove(struct adj_out *ao, struct rib *rib, struct adj_ent *e)
{
	uint32_t free_at, i = idx_probe(ao, &e->pfx, adj_prefix_hash(&e->pfx),
					&free_at);
	uint32_t slot = (ao->idx[i] & ADJ_SLOT_MASK) - 1;

	ao->idx[i] = ADJ_TOMB;
	ao->n_tomb++;
	rattr_unref(rib, e->attr);
	e->attr = NULL;
	e->src = ao->free_head;
	ao->free_head = slot + 1;
	ao->n_live--;
}

size_t adj_out_bytes(const struct adj_out *ao)
{
	return (size_t)ao->cap_ents * sizeof(struct adj_ent) +
	       (size_t)ao->cap_pages * sizeof(*ao->pages) +
	       (ao->idx_mask ? ((size_t)ao->idx_mask + 1) * sizeof(uint32_t)
			     : 0);
}

/* ------------------------------------------------------------ adj_tab */

void adj_tab_init(struct adj_tab *t, const struct rattr_ids *ids)
{
	memset(t, 0, sizeof(*t));
	t->ids = ids;
}

void adj_tab_free(struct adj_tab *t, struct rib *rib)
{
	for (uint32_t i = 0; i < t->n_pages; i++) {
		struct adj_tab_page *pg = t->pages[i];
		for (uint32_t j = 0; pg && pg->live && j < ADJ_PAGE; j++)
			if (pg->attr[j])
				rattr_unref(rib, adj_page_attr(t, pg, j));
		if (pg)
			free(pg->wide);
		free(pg);
	}
	free(t->pages);
	adj_tab_init(t, t->ids);
}

bool adj_tab_set(struct adj_tab *t, uint32_t id, struct rattr *attr,
		 uint32_t src)
{
	uint32_t pi = id >> ADJ_PAGE_SHIFT, i = id & (ADJ_PAGE - 1);
	struct adj_tab_page *pg = pi < t->n_pages ? t->pages[pi] : NULL;

	if (!pg) {
		if (!attr)
			return true;
		if (pi >= t->n_pages) {
			uint32_t n = t->n_pages ? t->n_pages : 16;
			while (n <= pi)
				n *= 2;
			struct adj_tab_page **np =
				realloc(t->pages, n * sizeof(*np));
			if (!np)
				return false;
			memset(np + t->n_pages, 0,
			       (n - t->n_pages) * sizeof(*np));
			t->pages = np;
			t->n_pages = n;
		}
		if (!(pg = calloc(1, sizeof(*pg))))
			return false;
		t->pages[pi] = pg;
		t->n_alloc++;
	}
	if (!pg->wide && src != ADJ_SRC_NONE && src >= ADJ_SRC16_NONE) {
		/* a source 16 bits cannot hold: this page keeps them in full */
		if (!(pg->wide = malloc(ADJ_PAGE * sizeof(*pg->wide))))
			return false;
		for (uint32_t k = 0; k < ADJ_PAGE; k++)
			pg->wide[k] = pg->src[k] == ADJ_SRC16_NONE ? ADJ_SRC_NONE
								   : pg->src[k];
		t->n_wide++;
	}
	if (!pg->attr[i] != !attr) {
		if (attr)
			pg->live++, t->n_live++;
		else
			pg->live--, t->n_live--;
	}
	pg->attr[i] = attr ? attr->id : 0;
	if (pg->wide)
		pg->wide[i] = src;
	else
		pg->src[i] = src == ADJ_SRC_NONE ? ADJ_SRC16_NONE
						 : (uint16_t)src;
	if (!pg->live) {
		if (pg->wide)
			t->n_wide--;
		free(pg->wide);
		free(pg);
		t->pages[pi] = NULL;
		t->n_alloc--;
	}
	return true;
}

uint32_t adj_tab_next_page(const struct adj_tab *t, uint32_t id)
{
	uint32_t pi = id >> ADJ_PAGE_SHIFT;

	if (pi < t->n_pages && t->pages[pi])
		return id;
	while (++pi < t->n_pages && !t->pages[pi])
		;
	return pi < t->n_pages ? pi << ADJ_PAGE_SHIFT : t->n_pages << ADJ_PAGE_SHIFT;
}

size_t adj_tab_bytes(const struct adj_tab *t)
{
	return t->n_pages * sizeof(*t->pages) +
	       (size_t)t->n_alloc * sizeof(struct adj_tab_page) +
	       (size_t)t->n_wide * ADJ_PAGE * sizeof(uint32_t);
}
