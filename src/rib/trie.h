/*
 * trie.h - private to src/rib: fixed-size object pools, the prefix trie
 * and the internals of struct rib shared by rib.c, attr_intern.c and
 * decision.c.
 *
 * Memory per route is the number that matters at a million routes, so
 * trie nodes and paths come from pools (no per-object malloc header, no
 * size-class rounding) and the trie links are 32-bit indices into them.
 *
 * The trie is a path-compressed binary trie in which the loc-RIB entries
 * (struct rentry) are themselves nodes: an entry links to its more
 * specifics through one index (rentry.trie_down); where two subtrees part,
 * an 8-byte glue node holds the two links, and the bit at which they part
 * is kept inside the link that points at the glue.
 */
#ifndef PHAROS_RIB_TRIE_H
#define PHAROS_RIB_TRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/prefix.h"
#include "rib/rib.h"

/* ------------------------------------------------------------ accounting */

/* malloc/free that add to or take from *bytes the size asked for. */
void *acct_alloc(size_t *bytes, size_t n);
void *acct_calloc(size_t *bytes, size_t n);
void *acct_realloc(size_t *bytes, void *p, size_t old_n, size_t new_n);
void acct_free(size_t *bytes, void *p, size_t n);

/* ----------------------------------------------------------------- pools */

#define POOL_CHUNK_SHIFT 10
#define POOL_CHUNK_OBJS (1u << POOL_CHUNK_SHIFT)

/* A big pool carves its chunks from 2 MiB-aligned regions backed by huge
 * pages where the system allows: at a million routes, updates in random
 * prefix order are bound by TLB misses, and huge pages make them about
 * twice as fast (see bench/rib_bench.c). */
#define POOL_SMALL_CHUNKS 8 /* the first chunks come from malloc */
#define POOL_REGION (2u << 20) /* one huge page */

/*
 * A pool of objects of one size, carved from chunks of POOL_CHUNK_OBJS.
 * Objects are named by an index (>= 1) or used through pointers; a pool
 * is used in one of the two ways only. When the last object is freed all
 * chunks go back to the system.
 */
struct pool {
	size_t obj_size;
	uint8_t **chunks;
	uint32_t n_chunks, cap_chunks;
	uint8_t **regions; /* POOL_REGION bytes each, mmap'ed */
	uint32_t n_regions, cap_regions;
	size_t region_used; /* bytes carved from the last region */
	uint32_t next; /* next never-used index */
	uint32_t free_idx; /* index free list (first 4 bytes of an object) */
	void *free_ptr; /* pointer free list (first 8 bytes) */
	size_t live;
	size_t *bytes;
};

void pool_init(struct pool *p, size_t obj_size, size_t *bytes);
void pool_release(struct pool *p);
uint32_t pool_alloc_idx(struct pool *p); /* 0 when out of memory */
void pool_free_idx(struct pool *p, uint32_t idx);
void *pool_alloc(struct pool *p);
void pool_free(struct pool *p, void *obj);
static inline void *pool_at(const struct pool *p, uint32_t idx)
{
	return p->chunks[idx >> POOL_CHUNK_SHIFT] +
	       (size_t)(idx & (POOL_CHUNK_OBJS - 1)) * p->obj_size;
}

/* ------------------------------------------------------------------ trie */

/* The path of the last exact search (see trie.c): at most 129 entries
 * and 128 glue nodes. */
#define TRIE_FINGER_MAX 260
struct trie_finger {
	uint32_t gen; /* trie.gen the path is valid for */
	uint32_t n; /* nodes on the path, 0: none */
	struct prefix key;
	uint32_t link[TRIE_FINGER_MAX]; /* the nodes, root first */
	uint32_t *slot[TRIE_FINGER_MAX]; /* the link that holds each */
	uint8_t bit[TRIE_FINGER_MAX]; /* the bit it decides on */
};

struct trie {
	struct pool entries; /* struct rentry */
	struct pool glue; /* struct trie_glue */
	uint32_t root[3]; /* by afi */
	size_t count[3]; /* entries by afi, empty ones included */
	uint32_t gen; /* bumped by every insert and delete */
	struct trie_finger *finger; /* NULL if it could not be allocated */
};

void trie_init(struct trie *t, size_t *bytes);
/* Free every node (entries included; their paths are the caller's) and
 * the search path: all memory. The trie stays usable, slower. */
void trie_release(struct trie *t);
/* Exact entry for p, created (zeroed, prefix set) when create is true and
 * it does not exist; *created says which. NULL when absent or no memory.
 * *idx (may be NULL) receives the entry's index (see trie_entry). */
struct rentry *trie_get(struct trie *t, const struct prefix *p, bool create,
			bool *created, uint32_t *idx);
struct rentry *trie_find(const struct trie *t, const struct prefix *p,
			 uint32_t *idx);
/* The entry with index idx (>= 1), which must exist. */
static inline struct rentry *trie_entry(const struct trie *t, uint32_t idx)
{
	return pool_at(&t->entries, idx);
}
/* Read the nodes that exact searches for keys[0..n) will read, the
 * searches side by side so that their cache misses overlap: at a million
 * prefixes a search in random order misses the cache at most levels, one
 * after the other. A hint: it changes nothing. */
void trie_touch(const struct trie *t, const struct prefix *keys, size_t n);
/* Longest entry with paths (n_paths > 0) that covers a. */
struct rentry *trie_match(const struct trie *t, const struct addr *a);
/* Remove and free the entry for p. Returns 1 if it existed. */
int trie_delete(struct trie *t, const struct prefix *p);
/* Every entry of afi (empty ones included) in prefix order (prefix_cmp).
 * The callback must not add or delete entries. Stops on non-zero. */
typedef int (*trie_walk_cb)(struct rentry *e, uint32_t idx, void *arg);
int trie_walk(const struct trie *t, uint8_t afi, trie_walk_cb cb, void *arg);
/* Same, in key's family, for the entries after key only (key need not
 * exist): what a walk stopped at key would have visited next. */
int trie_walk_after(const struct trie *t, const struct prefix *key,
		    trie_walk_cb cb, void *arg);

/* ---------------------------------------------------- struct rib inside */

struct attr_table {
	struct rattr **buckets;
	uint32_t mask; /* buckets - 1 */
	size_t count;
	struct rattr_ids ids;
};

#define CHANGE_END UINT32_MAX

struct peer_slot {
	struct rib_peer p;
	size_t count; /* routes in the RIB */
	size_t stale; /* of which marked stale (graceful restart) */
	bool used;
};

struct rib {
	struct rib_config cfg;
	struct trie trie;
	struct pool paths; /* struct rpath */
	struct attr_table attrs;
	struct peer_slot *peers;
	uint32_t n_peers, cap_peers;
	/* The change set: a list of entry indices linked through
	 * rentry.change_gen (0: not in the set, CHANGE_END: the last one). */
	uint32_t chg_head, chg_tail;
	size_t n_changes;
	/* Entries a drain left in the trie (rentry.pruning), for rib_prune
	 * to unlink (the empty ones) or unflag, walking in prefix order
	 * from prune_after (none: from the start). */
	size_t n_pruning;
	struct prefix prune_after;
	size_t prune_found; /* unflagged in the current round */
	size_t prefixes[3]; /* entries with paths, by afi */
	size_t n_paths;
	size_t bytes; /* everything allocated, see rib_stats */
};

/* attr_intern.c */
int attr_table_init(struct rib *rib);
void attr_table_release(struct rib *rib);

#endif
