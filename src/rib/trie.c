/*
 * trie.c - object pools with exact byte accounting, and the prefix trie
 * of the loc-RIB (IPv4 and IPv6): exact lookup, longest-prefix match,
 * insert, delete and walks in prefix order.
 *
 * Layout (see trie.h): entries are nodes; an entry reaches its more
 * specifics through rentry.trie_down; a glue node splits two subtrees at
 * one bit. A link is a 32-bit value: 0 for none, an entry index, or
 * GLUE_F | bit << 24 | glue index. Bits skipped by path compression are
 * checked on entries only: a search that took a wrong turn below a glue
 * node finds entries that do not match and stops there.
 */
#include "rib/trie.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Under AddressSanitizer, free pool objects are poisoned so that a use
 * after free (say, of an entry after the drain that freed it) is caught
 * as it would be with malloc. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ------------------------------------------------------------ accounting */

void *acct_alloc(size_t *bytes, size_t n)
{
	void *p = malloc(n);
	if (p)
		*bytes += n;
	return p;
}

void *acct_calloc(size_t *bytes, size_t n)
{
	void *p = calloc(1, n);
	if (p)
		*bytes += n;
	return p;
}

void *acct_realloc(size_t *bytes, void *p, size_t old_n, size_t new_n)
{
	void *q = realloc(p, new_n);
	if (q)
		*bytes = *bytes - old_n + new_n;
	return q;
}

void acct_free(size_t *bytes, void *p, size_t n)
{
	if (!p)
		return;
	*bytes -= n;
	free(p);
}

/* ----------------------------------------------------------------- pools */

void pool_init(struct pool *p, size_t obj_size, size_t *bytes)
{
	memset(p, 0, sizeof(*p));
	p->obj_size = obj_size < 8 ? 8 : obj_size;
	p->bytes = bytes;
	p->next = 1; /* index 0 means "none" */
}

void pool_release(struct pool *p)
{
	for (uint32_t i = 0; i < p->n_chunks && i < POOL_SMALL_CHUNKS; i++) {
		UNPOISON(p->chunks[i], p->obj_size * POOL_CHUNK_OBJS);
		acct_free(p->bytes, p->chunks[i], p->obj_size * POOL_CHUNK_OBJS);
	}
	for (uint32_t i = 0; i < p->n_regions; i++) {
		UNPOISON(p->regions[i], POOL_REGION);
		munmap(p->regions[i], POOL_REGION);
		*p->bytes -= POOL_REGION;
	}
	acct_free(p->bytes, p->chunks, p->cap_chunks * sizeof(*p->chunks));
	acct_free(p->bytes, p->regions, p->cap_regions * sizeof(*p->regions));
	pool_init(p, p->obj_size, p->bytes);
}

/* A new POOL_REGION (mmap: given back whole when the pool empties). */
static int region_new(struct pool *p)
{
	const size_t align = 2u << 20;
	uint8_t *m, *r;
	if (p->n_regions == p->cap_regions) {
		uint32_t nc = p->cap_regions ? p->cap_regions * 2 : 8;
		uint8_t **t = acct_realloc(p->bytes, p->regions,
					   p->cap_regions * sizeof(*t),
					   nc * sizeof(*t));
		if (!t)
			return -1;
		p->regions = t;
		p->cap_regions = nc;
	}
	m = mmap(NULL, POOL_REGION + align, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	r = (uint8_t *)(((uintptr_t)m + align - 1) & ~(uintptr_t)(align - 1));
	if (r > m)
		munmap(m, (size_t)(r - m));
	munmap(r + POOL_REGION, (size_t)(m + align - r));
	/* No huge pages: a huge page is faulted in whole (each pool's last
	 * region then costs 2 MiB however little of it is used: about 2 MB
	 * at a million routes), and on virtual machines zeroing fresh huge
	 * pages was measured at 10 to 360 ms per 100 MB depending on the
	 * host, against a steady ~45 ms with 4 KiB pages, for no gain in
	 * the median of the benchmark. */
	p->regions[p->n_regions++] = r;
	p->region_used = 0;
	*p->bytes += POOL_REGION;
	return 0;
}

/* Memory for one more chunk. */
static uint8_t *chunk_new(struct pool *p)
{
	size_t cb = p->obj_size * POOL_CHUNK_OBJS;
	uint8_t *c;
	if (p->n_chunks < POOL_SMALL_CHUNKS || cb > POOL_REGION)
		return p->n_chunks < POOL_SMALL_CHUNKS ? acct_alloc(p->bytes, cb)
						       : NULL;
	if ((!p->n_regions || p->region_used + cb > POOL_REGION) &&
	    region_new(p) < 0)
		return NULL;
	c = p->regions[p->n_regions - 1] + p->region_used;
	p->region_used += cb;
	return c;
}

/* A fresh index from the bump allocator, adding a chunk when needed. */
static uint32_t pool_bump(struct pool *p)
{
	uint32_t c = p->next >> POOL_CHUNK_SHIFT;
	if (p->next == UINT32_MAX)
		return 0;
	if (c >= p->n_chunks) {
		if (p->n_chunks == p->cap_chunks) {
			uint32_t nc = p->cap_chunks ? p->cap_chunks * 2 : 8;
			uint8_t **t = acct_realloc(p->bytes, p->chunks,
						   p->cap_chunks * sizeof(*t),
						   nc * sizeof(*t));
			if (!t)
				return 0;
			p->chunks = t;
			p->cap_chunks = nc;
		}
		p->chunks[p->n_chunks] = chunk_new(p);
		if (!p->chunks[p->n_chunks])
			return 0;
		POISON(p->chunks[p->n_chunks], p->obj_size * POOL_CHUNK_OBJS);
		p->n_chunks++;
	}
	p->live++;
	UNPOISON(pool_at(p, p->next), p->obj_size);
	return p->next++;
}

uint32_t pool_alloc_idx(struct pool *p)
{
	uint32_t idx = p->free_idx;
	if (!idx)
		return pool_bump(p);
	UNPOISON(pool_at(p, idx), p->obj_size);
	memcpy(&p->free_idx, pool_at(p, idx), sizeof(uint32_t));
	p->live++;
	return idx;
}

void pool_free_idx(struct pool *p, uint32_t idx)
{
	memcpy(pool_at(p, idx), &p->free_idx, sizeof(uint32_t));
	POISON(pool_at(p, idx), p->obj_size);
	p->free_idx = idx;
	if (--p->live == 0)
		pool_release(p);
}

void *pool_alloc(struct pool *p)
{
	void *o = p->free_ptr;
	uint32_t idx;
	if (o) {
		UNPOISON(o, p->obj_size);
		memcpy(&p->free_ptr, o, sizeof(void *));
		p->live++;
		return o;
	}
	idx = pool_bump(p);
	return idx ? pool_at(p, idx) : NULL;
}

void pool_free(struct pool *p, void *obj)
{
	memcpy(obj, &p->free_ptr, sizeof(void *));
	POISON(obj, p->obj_size);
	p->free_ptr = obj;
	if (--p->live == 0)
		pool_release(p);
}

/* ------------------------------------------------------------------ trie */

struct trie_glue {
	uint32_t child[2];
};

#define GLUE_F 0x80000000u
#define GLUE_IDX_MAX 0x00ffffffu
#define IS_GLUE(l) ((l) & GLUE_F)
#define GLUE_BIT(l) (((l) >> 24) & 0x7f)

static inline struct rentry *ent(const struct trie *t, uint32_t l)
{
	return pool_at(&t->entries, l);
}

static inline struct trie_glue *glu(const struct trie *t, uint32_t l)
{
	return pool_at(&t->glue, l & GLUE_IDX_MAX);
}

static inline unsigned link_len(const struct trie *t, uint32_t l)
{
	return IS_GLUE(l) ? GLUE_BIT(l) : ent(t, l)->prefix.len;
}

void trie_init(struct trie *t, size_t *bytes)
{
	memset(t, 0, sizeof(*t));
	pool_init(&t->entries, sizeof(struct rentry), bytes);
	pool_init(&t->glue, sizeof(struct trie_glue), bytes);
	t->finger = acct_calloc(bytes, sizeof(*t->finger));
}

void trie_release(struct trie *t)
{
	pool_release(&t->entries);
	pool_release(&t->glue);
	acct_free(t->entries.bytes, t->finger, sizeof(*t->finger));
	t->finger = NULL;
	memset(t->root, 0, sizeof(t->root));
	memset(t->count, 0, sizeof(t->count));
	t->gen++;
}

/* Number of leading bits a and b (16 bytes each) share, at most max. */
static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned max)
{
	uint64_t x, y, d;
	unsigned n;

	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	d = be64toh(x ^ y);
	if (d) {
		n = (unsigned)__builtin_clzll(d);
	} else if (max <= 64) {
		n = 64;
	} else {
		memcpy(&x, a + 8, 8);
		memcpy(&y, b + 8, 8);
		d = be64toh(x ^ y);
		n = d ? 64 + (unsigned)__builtin_clzll(d) : 128;
	}
	return n < max ? n : max;
}

static bool key_ok(const struct prefix *p)
{
	return (p->afi == AFI_IPV4 || p->afi == AFI_IPV6) &&
	       p->len <= afi_maxlen(p->afi);
}

/*
 * The finger: the path of the last exact search (trie_find, trie_delete),
 * so that the next search for a nearby prefix starts where the two paths
 * part instead of at the root. Withdrawals and lookups mostly come in
 * address order (a peer's table, a dump), and then a search walks two or
 * three nodes instead of twenty. The path stays valid while the trie is
 * unchanged (gen); a delete keeps the part above the node it changed.
 */
/* Record node n (reached through slot) at depth d of the path. */
static inline void finger_rec(struct trie_finger *f, unsigned d, uint32_t n,
			      uint32_t *slot, unsigned bit)
{
	if (d < TRIE_FINGER_MAX) {
		f->link[d] = n;
		f->slot[d] = slot;
		f->bit[d] = (uint8_t)bit;
	}
}

/* Where the search for k may start: depth d of the last path, whose
 * node both searches reach by the same decisions; 0 (the root) when
 * there is no usable path. */
static unsigned finger_start(const struct trie *t, const struct prefix *k)
{
	const struct trie_finger *f = t->finger;
	unsigned c, d = 0, m;

	if (!f || !f->n || f->gen != t->gen || f->key.afi != k->afi)
		return 0;
	m = f->key.len < k->len ? f->key.len : k->len;
	c = common_bits(k->b, f->key.b, m);
	/* bit[d]: the bit a glue node tests, or the length of an entry the
	 * search went below; the decision is the same for k while it is
	 * below the bits both keys share. The start is the first node whose
	 * bit is not (at most the last). Bits never decrease down a path
	 * (a glue node below an entry of length L tests a bit >= L, an
	 * entry below a glue node testing b is longer than b), so the scan
	 * goes up from the end: keys in address order share most of their
	 * path, and it stops after a step or two. */
	d = f->n - 1;
	while (d > 0 && f->bit[d - 1] >= c)
		d--;
	return d;
}

static void finger_done(const struct trie *t, const struct prefix *k,
			unsigned n)
{
	struct trie_finger *f = t->finger;

	if (!f)
		return;
	f->n = n <= TRIE_FINGER_MAX ? n : 0;
	f->key = *k;
	f->gen = t->gen;
}

/*
 * First pass of an insert: follow p's bits down from node n (the root, or
 * a node of p's path) to some entry of the subtree where p belongs; the
 * bits p shares with it tell where p goes. NULL only in an empty trie.
 */
static const struct rentry *nearest(const struct trie *t, uint32_t n,
				    const struct prefix *p)
{
	const struct rentry *rep = NULL;
	while (n) {
		if (IS_GLUE(n)) {
			unsigned b = GLUE_BIT(n);
			if (b >= p->len) {
				while (IS_GLUE(n))
					n = glu(t, n)->child[0];
				return ent(t, n);
			}
			n = glu(t, n)->child[prefix_bit(p->b, b)];
			continue;
		}
		rep = ent(t, n);
		if (rep->prefix.len >= p->len)
			break;
		n = rep->trie_down;
	}
	return rep;
}

static uint32_t new_entry(struct trie *t, const struct prefix *k)
{
	uint32_t i = pool_alloc_idx(&t->entries);
	if (i >= GLUE_F) { /* index space exhausted */
		pool_free_idx(&t->entries, i);
		return 0;
	}
	if (i) {
		struct rentry *e = ent(t, i);
		memset(e, 0, sizeof(*e));
		e->prefix = *k;
		t->count[k->afi]++;
	}
	return i;
}

/* Link a new entry for k at *lp (which holds n) per the shared bits c. */
static struct rentry *link_new(struct trie *t, uint32_t *lp,
			       const struct prefix *k, unsigned c,
			       uint32_t *idx)
{
	uint32_t n = *lp, ei, gi;
	struct trie_glue *g;
	if (!n || c == k->len) { /* empty slot, or k covers n */
		if (!(ei = new_entry(t, k)))
			return NULL;
		ent(t, ei)->trie_down = n;
		*lp = ei;
		t->gen++;
		if (idx)
			*idx = ei;
		return ent(t, ei);
	}
	/* k and n part at bit c: a glue node holds both. */
	gi = pool_alloc_idx(&t->glue);
	if (!gi || gi > GLUE_IDX_MAX) {
		if (gi)
			pool_free_idx(&t->glue, gi);
		return NULL;
	}
	if (!(ei = new_entry(t, k))) {
		pool_free_idx(&t->glue, gi);
		return NULL;
	}
	t->gen++;
	g = pool_at(&t->glue, gi);
	g->child[prefix_bit(k->b, c)] = ei;
	g->child[!prefix_bit(k->b, c)] = n;
	*lp = GLUE_F | (uint32_t)c << 24 | gi;
	if (idx)
		*idx = ei;
	return ent(t, ei);
}

/* Record the node link_new() just put at *lp (a glue node and the new
 * entry ei below it, or ei alone) as the end of the finger's path. */
static void finger_insert(struct trie *t, unsigned d, uint32_t *lp,
			  const struct prefix *k, uint32_t ei)
{
	struct trie_finger *f = t->finger;
	uint32_t n = *lp;

	if (IS_GLUE(n)) {
		finger_rec(f, d++, n, lp, GLUE_BIT(n));
		lp = &glu(t, n)->child[prefix_bit(k->b, GLUE_BIT(n))];
	}
	finger_rec(f, d++, ei, lp, 255);
	finger_done(t, k, d);
}

/* Find p's entry, or make it (create). The search starts from the
 * finger like trie_find's, so inserts in address order (a peer's table)
 * walk a few nodes each; an insert leaves the finger on the new entry. */
struct rentry *trie_get(struct trie *t, const struct prefix *p, bool create,
			bool *created, uint32_t *idx)
{
	struct trie_finger *f = t->finger;
	struct prefix k;
	const struct rentry *rep;
	struct rentry *e;
	unsigned c, d;
	uint32_t *lp, ei = 0;

	if (created)
		*created = false;
	if (!key_ok(p))
		return NULL;
	prefix_norm(&k, p);
	d = finger_start(t, &k);
	lp = d ? f->slot[d] : &t->root[k.afi];
	/* from a node of the path (an entry, or a glue node, whose two
	 * children are never empty) some entry is always found */
	rep = nearest(t, *lp, &k);
	c = rep ? common_bits(k.b, rep->prefix.b,
			      rep->prefix.len < k.len ? rep->prefix.len : k.len)
		: 0;
	for (;;) {
		uint32_t n = *lp;
		unsigned nl;
		if (!n)
			break;
		nl = link_len(t, n);
		if (nl < k.len && nl <= c) {
			if (f)
				finger_rec(f, d++, n, lp, nl);
			lp = IS_GLUE(n) ? &glu(t, n)->child[prefix_bit(k.b, nl)]
					: &ent(t, n)->trie_down;
			continue;
		}
		if (nl == k.len && c == k.len && !IS_GLUE(n)) {
			if (f) {
				finger_rec(f, d++, n, lp, 255);
				finger_done(t, &k, d);
			}
			if (idx)
				*idx = n;
			return ent(t, n);
		}
		break;
	}
	if (!create) {
		if (f)
			finger_done(t, &k, d);
		return NULL;
	}
	if (created)
		*created = true;
	e = link_new(t, lp, &k, c, &ei);
	if (e && f)
		finger_insert(t, d, lp, &k, ei);
	else if (f) /* nothing linked: the path walked is still the trie's */
		finger_done(t, &k, d);
	if (e && idx)
		*idx = ei;
	return e;
}

struct rentry *trie_find(const struct trie *t, const struct prefix *p,
			 uint32_t *idx)
{
	struct trie_finger *f = t->finger;
	struct prefix k;
	struct rentry *e = NULL;
	uint32_t n, *lp;
	unsigned d;

	if (!key_ok(p))
		return NULL;
	prefix_norm(&k, p);
	d = finger_start(t, &k);
	lp = d ? f->slot[d] : (uint32_t *)&t->root[k.afi];
	n = *lp;
	while (n) {
		if (IS_GLUE(n)) {
			unsigned b = GLUE_BIT(n);
			if (b >= k.len)
				break;
			if (f)
				finger_rec(f, d++, n, lp, b);
			lp = &glu(t, n)->child[prefix_bit(k.b, b)];
			n = *lp;
			continue;
		}
		e = ent(t, n);
		if (e->prefix.len >= k.len) {
			if (f)
				finger_rec(f, d++, n, lp, 255);
			if (!prefix_eq(&e->prefix, &k))
				e = NULL;
			else if (idx)
				*idx = n;
			finger_done(t, &k, d);
			return e;
		}
		if (!prefix_contains(&e->prefix, &k))
			break;
		if (f)
			finger_rec(f, d++, n, lp, e->prefix.len);
		lp = &e->trie_down;
		n = *lp;
	}
	finger_done(t, &k, d);
	return NULL;
}

#define TOUCH_WAYS 16

/* The top 64 address bits of p, as a number. */
static uint64_t key_top64(const struct prefix *p)
{
	uint64_t v;
	memcpy(&v, p->b, 8);
	return be64toh(v);
}

/* Whether keys[0..n) (in address order, or nearly) lie so close together
 * that their searches share all but their last few levels: those stay
 * in the cache (and the finger skips them), so a prefetch walk is waste.
 * Close: the first and last key are at most 4n prefixes of the longest
 * length apart, and the middle one lies between them. */
static bool touch_needless(const struct prefix *keys, size_t n)
{
	const struct prefix *a = &keys[0], *m = &keys[n / 2], *z = &keys[n - 1];
	unsigned len = a->len;
	uint64_t lo = key_top64(a), mid = key_top64(m), hi = key_top64(z);

	if (m->afi != a->afi || z->afi != a->afi || hi < lo || mid < lo ||
	    mid > hi)
		return false;
	len = m->len > len ? m->len : len;
	len = z->len > len ? z->len : len;
	if (len > 64)
		len = 64;
	return len == 0 || (hi - lo) >> (64 - len) <= 4 * (uint64_t)n;
}

void trie_touch(const struct trie *t, const struct prefix *keys, size_t n)
{
	uint32_t cur[TOUCH_WAYS];

	if (!n || touch_needless(keys, n))
		return;

	for (size_t base = 0; base < n; base += TOUCH_WAYS) {
		const struct prefix *k = keys + base;
		size_t m = n - base < TOUCH_WAYS ? n - base : TOUCH_WAYS;
		bool live = true;
		for (size_t i = 0; i < m; i++)
			cur[i] = key_ok(&k[i]) ? t->root[k[i].afi] : 0;
		/* one level of every search per round: the loads of a round
		 * do not depend on each other */
		while (live) {
			live = false;
			for (size_t i = 0; i < m; i++) {
				uint32_t nd = cur[i];
				if (!nd)
					continue;
				if (IS_GLUE(nd)) {
					unsigned b = GLUE_BIT(nd);
					nd = b < k[i].len ? glu(t, nd)->child[
						prefix_bit(k[i].b, b)] : 0;
				} else {
					const struct rentry *e = ent(t, nd);
					if (e->prefix.len >= k[i].len) {
						__builtin_prefetch(e->paths);
						nd = 0;
					} else {
						nd = e->trie_down;
					}
				}
				cur[i] = nd;
				live |= nd != 0;
			}
		}
	}
}

struct rentry *trie_match(const struct trie *t, const struct addr *a)
{
	struct rentry *best = NULL;
	uint32_t n;
	if (a->afi != AFI_IPV4 && a->afi != AFI_IPV6)
		return NULL;
	n = t->root[a->afi];
	while (n) {
		struct rentry *e;
		if (IS_GLUE(n)) {
			n = glu(t, n)->child[prefix_bit(a->b, GLUE_BIT(n))];
			continue;
		}
		e = ent(t, n);
		if (!prefix_contains_addr(&e->prefix, a))
			break;
		if (e->n_paths)
			best = e;
		n = e->trie_down;
	}
	return best;
}

int trie_delete(struct trie *t, const struct prefix *p)
{
	struct trie_finger *f = t->finger;
	struct prefix k;
	uint32_t *lp, *gp = NULL, n, ei;
	struct rentry *e;
	unsigned d, gd = 0;

	if (!key_ok(p))
		return 0;
	prefix_norm(&k, p);
	d = finger_start(t, &k);
	if (d) {
		lp = f->slot[d];
		if (IS_GLUE(f->link[d - 1]))
			gp = f->slot[d - 1], gd = d - 1;
	} else {
		lp = &t->root[k.afi];
	}
	for (;;) {
		if (!(n = *lp)) {
			finger_done(t, &k, d);
			return 0;
		}
		if (IS_GLUE(n)) {
			if (GLUE_BIT(n) >= k.len) {
				finger_done(t, &k, d);
				return 0;
			}
			if (f)
				finger_rec(f, d, n, lp, GLUE_BIT(n));
			gp = lp, gd = d++;
			lp = &glu(t, n)->child[prefix_bit(k.b, GLUE_BIT(n))];
			continue;
		}
		e = ent(t, n);
		if (e->prefix.len >= k.len)
			break;
		if (f)
			finger_rec(f, d++, n, lp, e->prefix.len);
		gp = NULL;
		lp = &e->trie_down;
	}
	if (!prefix_eq(&e->prefix, &k)) {
		finger_done(t, &k, d);
		return 0;
	}
	ei = n;
	*lp = e->trie_down;
	/* the nodes above the one holding lp are unchanged: keep them */
	finger_done(t, &k, d);
	if (!*lp && gp) { /* the parent glue keeps one child: splice it out */
		uint32_t gl = *gp;
		struct trie_glue *g = glu(t, gl);
		*gp = g->child[0] ? g->child[0] : g->child[1];
		pool_free_idx(&t->glue, gl & GLUE_IDX_MAX);
		if (f) /* the glue's slot changed: keep the nodes above it */
			f->n = gd < f->n ? gd : f->n;
	}
	t->count[k.afi]--;
	pool_free_idx(&t->entries, ei);
	t->gen++;
	if (f)
		f->gen = t->gen;
	return 1;
}

static int walk_link(const struct trie *t, uint32_t n, trie_walk_cb cb,
		     void *arg)
{
	while (n) {
		int r;
		if (IS_GLUE(n)) {
			const struct trie_glue *g = glu(t, n);
			if ((r = walk_link(t, g->child[0], cb, arg)))
				return r;
			n = g->child[1];
			continue;
		}
		if ((r = cb(ent(t, n), n, arg)))
			return r;
		n = ent(t, n)->trie_down;
	}
	return 0;
}

int trie_walk(const struct trie *t, uint8_t afi, trie_walk_cb cb, void *arg)
{
	if (afi != AFI_IPV4 && afi != AFI_IPV6)
		return 0;
	return walk_link(t, t->root[afi], cb, arg);
}

/* The first entry of the subtree at link n: its leftmost entry (every
 * entry of the subtree shares the bits above the link's position). */
static const struct rentry *first_entry(const struct trie *t, uint32_t n)
{
	while (IS_GLUE(n))
		n = glu(t, n)->child[0];
	return ent(t, n);
}

/* Do the first len bits of a and b agree? */
static bool bits_agree(const uint8_t *a, const uint8_t *b, unsigned len)
{
	return common_bits(a, b, len) >= len;
}

/* Walk the subtree at link n, only the entries after key (prefix_cmp).
 * A subtree that lies wholly on one side of key is walked whole or
 * skipped whole, so a resumed walk costs the depth of the trie, not the
 * entries before key. */
static int walk_after(const struct trie *t, uint32_t n,
		      const struct prefix *key, trie_walk_cb cb, void *arg)
{
	while (n) {
		if (IS_GLUE(n)) {
			unsigned b = GLUE_BIT(n);
			const struct rentry *r = first_entry(t, n);
			const struct trie_glue *g = glu(t, n);
			int r0;

			if (!bits_agree(r->prefix.b, key->b,
					b < key->len ? b : key->len))
				return prefix_cmp(&r->prefix, key) > 0
					       ? walk_link(t, n, cb, arg) : 0;
			if (key->len <= b) /* key covers all of them */
				return walk_link(t, n, cb, arg);
			if (prefix_bit(key->b, b))
				return walk_after(t, g->child[1], key, cb, arg);
			if ((r0 = walk_after(t, g->child[0], key, cb, arg)))
				return r0;
			return walk_link(t, g->child[1], cb, arg);
		}
		const struct rentry *e = ent(t, n);
		if (e->prefix.len > key->len ||
		    !bits_agree(e->prefix.b, key->b, e->prefix.len))
			return prefix_cmp(&e->prefix, key) > 0
				       ? walk_link(t, n, cb, arg) : 0;
		/* e covers key: e itself is not after it; its more
		 * specifics are, all of them when e is key. */
		if (e->prefix.len == key->len)
			return walk_link(t, e->trie_down, cb, arg);
		n = e->trie_down;
	}
	return 0;
}

int trie_walk_after(const struct trie *t, const struct prefix *key,
		    trie_walk_cb cb, void *arg)
{
	if (key->afi != AFI_IPV4 && key->afi != AFI_IPV6)
		return 0;
	return walk_after(t, t->root[key->afi], key, cb, arg);
}
