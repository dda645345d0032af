/*
 * adj_out.h - one update group's adj-RIB-out: prefix -> (attributes sent,
 * source peer of the route), private to the exporter. It has two parts:
 *
 * struct adj_tab, for every prefix that has a loc-RIB entry: indexed by
 * the entry's id (rib_entry_id), 12 bytes a prefix, no hash and no copy
 * of the prefix (the entry has it). The exporter clears a slot when the
 * change set delivers its entry empty, before the id can be reused.
 *
 * struct adj_out, for the route server's own prefixes (which may have no
 * loc-RIB entry): a hash by prefix.
 *
 * adj_out entries live in a dense array and never move once placed (a removed
 * entry leaves a free slot that a later insert reuses), so a table dump can
 * walk the array by index across many event-loop turns while incremental
 * changes keep editing it: whatever the walk has not reached yet is read
 * in its current state, and whatever changes behind it reaches the peer
 * through the incremental updates it receives as a group member.
 * A linear-probing hash of entry indices gives O(1) lookup by prefix.
 * An entry pointer is valid until the next insert or remove.
 * Memory per prefix: 32 bytes of entry plus 5-11 bytes of index (at most
 * 3/4 of the index words are in use).
 */
#ifndef PHAROS_OUT_ADJ_OUT_H
#define PHAROS_OUT_ADJ_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/prefix.h"
#include "rib/rib.h"

#define ADJ_SRC_NONE UINT32_MAX /* originated by the route server */

struct adj_ent {
	struct prefix pfx;
	uint32_t src; /* rib peer index of the route's source, or next free */
	struct rattr *attr; /* NULL: free slot */
};

#define ADJ_PAGE_SHIFT 12 /* entries live in pages of 4096: a big table
			      grows without being copied */
#define ADJ_PAGE (1u << ADJ_PAGE_SHIFT)

struct adj_out {
	struct adj_ent **pages;
	uint32_t n_pages, cap_pages;
	uint32_t n_ents; /* high-water mark of used slots */
	uint32_t cap_ents; /* slots allocated */
	uint32_t n_live;
	uint32_t free_head; /* index + 1 of the first free slot, 0 = none */
	uint32_t *idx; /* index words (see ADJ_SLOT_BITS), 0 = empty */
	uint32_t idx_mask; /* idx size - 1 (power of two), 0 when no index */
	uint32_t n_tomb; /* index words marking a removed entry */
	uint32_t idx_gen; /* bumped whenever the index is rebuilt */
};

/* Index words hold a slot number + 1 in their low bits and hash bits
 * above: a group holds at most 2^26 - 2 prefixes (insert fails beyond).
 * A word with slot part 0 and hash part ADJ_TOMB marks a removed entry
 * (probes go on past it; inserts reuse it), so that a removal reads no
 * other entry; the index is rebuilt when removed and live words fill 3/4
 * of it. */
#define ADJ_SLOT_BITS 26
#define ADJ_SLOT_MASK ((1u << ADJ_SLOT_BITS) - 1)

/* Where a lookup ended, so that an insert of the prefix just looked up
 * does not probe again (valid until the next insert or remove). */
struct adj_pos {
	uint32_t hash, i, gen;
};

void adj_out_init(struct adj_out *ao);
/* Drop every entry (unreferencing its attributes) and the storage. */
void adj_out_free(struct adj_out *ao, struct rib *rib);
struct adj_ent *adj_out_find(const struct adj_out *ao, const struct prefix *p);
/* adj_out_find that also records where the probe ended in *pos. */
struct adj_ent *adj_out_lookup(const struct adj_out *ao,
			       const struct prefix *p, struct adj_pos *pos);
/* Insert the prefix of the last adj_out_lookup (pos), which found
 * nothing, with no other insert or remove in between; the table takes
 * over the caller's reference on attr. Returns the entry, NULL when out
 * of memory. */
struct adj_ent *adj_out_insert_at(struct adj_out *ao,
				  const struct adj_pos *pos,
				  const struct prefix *p, struct rattr *attr,
				  uint32_t src);
/* Remove an entry returned by adj_out_find (unreferences its attr). */
void adj_out_remove(struct adj_out *ao, struct rib *rib, struct adj_ent *e);
static inline struct adj_ent *adj_out_ent(const struct adj_out *ao,
					  uint32_t i)
{
	return &ao->pages[i >> ADJ_PAGE_SHIFT][i & (ADJ_PAGE - 1)];
}
/* Slot i of the dense array, NULL when free or past the end. */
static inline struct adj_ent *adj_out_slot(const struct adj_out *ao,
					   uint32_t i)
{
	if (i >= ao->n_ents || !adj_out_ent(ao, i)->attr)
		return NULL;
	return adj_out_ent(ao, i);
}
/* ------------------------------------------------------------ adj_tab */

/* Slots by entry id, in pages allocated on first use and freed when
 * their last slot is cleared. A source is kept in 16 bits (0xffff for
 * ADJ_SRC_NONE): 10 bytes a slot instead of 12, 2 MB a million
 * prefixes. A page that meets a peer index of 0xffff or more gets the
 * sources in full beside (wide), from then until it is freed. */
#define ADJ_SRC16_NONE 0xffffu
struct adj_tab_page {
	uint32_t attr[ADJ_PAGE]; /* the set's id (rattr_by_id); 0: nothing sent */
	uint16_t src[ADJ_PAGE];
	uint32_t *wide; /* NULL, or every slot's source in full */
	uint32_t live;
};

struct adj_tab {
	const struct rattr_ids *ids; /* the RIB's, where attr ids point */
	struct adj_tab_page **pages;
	uint32_t n_pages; /* ids below n_pages * ADJ_PAGE have a page slot */
	uint32_t n_live;
	uint32_t n_alloc; /* pages allocated */
	uint32_t n_wide; /* of which with wide sources */
};

/* The source of slot i of a page (ADJ_SRC_NONE when ours). */
static inline uint32_t adj_page_src(const struct adj_tab_page *pg, uint32_t i)
{
	if (pg->wide)
		return pg->wide[i];
	return pg->src[i] == ADJ_SRC16_NONE ? ADJ_SRC_NONE : pg->src[i];
}

/* The attributes of slot i of a page of t (NULL: nothing sent). */
static inline struct rattr *adj_page_attr(const struct adj_tab *t,
					  const struct adj_tab_page *pg,
					  uint32_t i)
{
	return rattr_by_id(t->ids, pg->attr[i]);
}

void adj_tab_init(struct adj_tab *t, const struct rattr_ids *ids);
/* Drop every slot (unreferencing its attributes) and the storage. */
void adj_tab_free(struct adj_tab *t, struct rib *rib);
/* What slot id holds: the attributes (NULL: nothing) and the source. */
static inline struct rattr *adj_tab_get(const struct adj_tab *t, uint32_t id,
					uint32_t *src)
{
	const struct adj_tab_page *pg;
	if ((id >> ADJ_PAGE_SHIFT) >= t->n_pages ||
	    !(pg = t->pages[id >> ADJ_PAGE_SHIFT]))
		return NULL;
	*src = adj_page_src(pg, id & (ADJ_PAGE - 1));
	return adj_page_attr(t, pg, id & (ADJ_PAGE - 1));
}
/* Set slot id to (attr, src), or clear it (attr NULL). References are the
 * caller's business: the table takes over the one on attr and the caller
 * drops the one of what the slot held. false when out of memory (the
 * slot is then unchanged). */
bool adj_tab_set(struct adj_tab *t, uint32_t id, struct rattr *attr,
		 uint32_t src);
/* Start loading slot id into the cache (bulk updates). */
static inline void adj_tab_prefetch(const struct adj_tab *t, uint32_t id)
{
	if ((id >> ADJ_PAGE_SHIFT) < t->n_pages && t->pages[id >> ADJ_PAGE_SHIFT])
		__builtin_prefetch(
			&t->pages[id >> ADJ_PAGE_SHIFT]->attr[id & (ADJ_PAGE - 1)]);
}
/* The first id >= id whose page exists (so that a walk skips missing
 * pages at once); ids past the last page return n_pages * ADJ_PAGE. */
uint32_t adj_tab_next_page(const struct adj_tab *t, uint32_t id);
size_t adj_tab_bytes(const struct adj_tab *t);

size_t adj_out_bytes(const struct adj_out *ao);
uint32_t adj_prefix_hash(const struct prefix *p);

#endif
