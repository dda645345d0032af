/*
 * test_rib.c - adj-RIB-in, loc-RIB and change set of struct rib: announce,
 * replace, withdraw, lookups and walks against a brute-force model (fixed
 * seed, IPv4 and IPv6), peer flush, attribute interning and reference
 * counts, memory back to its baseline, and change-set semantics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rib/rib.h"

static struct prefix P(const char *s)
{
	struct prefix p;
	assert_int_equal(prefix_parse(s, &p), 0);
	return p;
}

static struct addr A(const char *s)
{
	struct addr a;
	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* Attributes: an AS_SEQUENCE of hops ASNs starting at first_as. */
static struct bgp_attrs *attrs(unsigned hops, uint32_t first_as,
			       const char *nh)
{
	static struct bgp_attrs a;
	memset(&a, 0, sizeof(a));
	a.present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		    ATTR_BIT(ATTR_NEXT_HOP);
	a.aspath[0] = AS_SEQUENCE;
	a.aspath[1] = (uint8_t)hops;
	for (unsigned i = 0; i < hops; i++) {
		uint32_t asn = first_as + i;
		a.aspath[2 + 4 * i] = (uint8_t)(asn >> 24);
		a.aspath[3 + 4 * i] = (uint8_t)(asn >> 16);
		a.aspath[4 + 4 * i] = (uint8_t)(asn >> 8);
		a.aspath[5 + 4 * i] = (uint8_t)asn;
	}
	a.aspath_len = (uint16_t)(2 + 4 * hops);
	a.next_hop = A(nh);
	return &a;
}

static struct rattr *intern(struct rib *rib, unsigned hops, uint32_t as,
			    const char *nh)
{
	return rattr_intern(rib, attrs(hops, as, nh));
}

static struct rib *new_rib(unsigned max_paths)
{
	struct rib_config cfg = {.local_asn = 65515,
				 .routing_pref = PREF_EXPRESSROUTE,
				 .max_paths = (uint16_t)max_paths};
	struct rib *rib = rib_new(&cfg);
	assert_non_null(rib);
	return rib;
}

static uint32_t add_peer(struct rib *rib, const char *addr, uint8_t kind)
{
	struct rib_peer p = {.addr = A(addr), .asn = 65001, .kind = kind};
	return rib_peer_add(rib, &p);
}

static void test_basic(void **state)
{
	struct rib *rib = new_rib(8);
	uint32_t p1 = add_peer(rib, "198.18.1.1", PEER_NVA);
	uint32_t p2 = add_peer(rib, "198.18.1.2", PEER_NVA);
	struct rattr *long3 = intern(rib, 3, 65001, "198.18.1.1");
	struct rattr *short1 = intern(rib, 1, 65002, "198.18.1.2");
	struct rattr *short1b = intern(rib, 1, 65009, "198.18.1.1");
	struct prefix p = P("198.19.0.0/16"), q = P("198.19.4.0/24");
	struct addr a = A("198.19.4.9");
	const struct rentry *e;
	struct rib_stats st;
	(void)state;

	assert_int_equal(rib_announce(rib, p1, &p, long3), 1);
	assert_int_equal(rib_announce(rib, p1, &q, long3), 1);
	assert_int_equal(rib_announce(rib, p2, &q, short1), 1);
	e = rib_lookup(rib, &q);
	assert_non_null(e);
	assert_int_equal(e->n_paths, 2);
	assert_int_equal(e->paths->peer, p2); /* shorter AS_PATH */
	assert_int_equal(e->paths->flags, RPATH_BEST | RPATH_ECMP);
	assert_int_equal(e->paths->next->flags, 0);
	assert_int_equal(e->n_ecmp, 1);
	assert_ptr_equal(rib_match(rib, &a), e);
	a = A("198.19.5.1");
	assert_ptr_equal(rib_match(rib, &a), rib_lookup(rib, &p));
	a = A("198.20.0.1");
	assert_null(rib_match(rib, &a));
	/* Replace: p1 now ties p2 on q, ECMP of two, p1 best by address. */
	assert_int_equal(rib_announce(rib, p1, &q, short1b), 0);
	e = rib_lookup(rib, &q);
	assert_int_equal(e->n_paths, 2);
	assert_int_equal(e->n_ecmp, 2);
	assert_int_equal(e->paths->peer, p1);
	assert_int_equal(e->paths->next->flags, RPATH_ECMP);
	assert_int_equal(rib_peer_count(rib, p1), 2);
	assert_int_equal(rib_peer_count(rib, p2), 1);
	rib_stats(rib, &st);
	assert_int_equal(st.prefixes[AFI_IPV4], 2);
	assert_int_equal(st.paths, 3);
	assert_int_equal(st.attrs, 3); /* long3 still held by p1 on p and us */
	/* Withdraw. */
	assert_int_equal(rib_withdraw(rib, p2, &q), 1);
	assert_int_equal(rib_withdraw(rib, p2, &q), 0);
	assert_int_equal(rib_withdraw(rib, p2, &p), 0);
	e = rib_lookup(rib, &q);
	assert_int_equal(e->n_paths, 1);
	assert_int_equal(e->paths->peer, p1);
	assert_int_equal(rib_withdraw(rib, p1, &q), 1);
	assert_null(rib_lookup(rib, &q)); /* empty: gone for lookups */
	rib_changes_drain(rib, NULL, NULL);
	assert_null(rib_lookup(rib, &q));
	rib_stats(rib, &st);
	assert_int_equal(st.prefixes[AFI_IPV4], 1);
	assert_int_equal(st.paths, 1);
	/* Bad input: unknown peer, unknown family, length past the maximum. */
	assert_int_equal(rib_announce(rib, 99, &p, long3), -1);
	q.afi = 9;
	assert_int_equal(rib_announce(rib, p1, &q, long3), -1);
	q = P("198.19.4.0/24");
	q.len = 33;
	assert_int_equal(rib_announce(rib, p1, &q, long3), -1);
	assert_null(rib_lookup(rib, &q));
	assert_int_equal(rib_withdraw(rib, 99, &p), 0);
	rattr_unref(rib, long3);
	rattr_unref(rib, short1);
	rattr_unref(rib, short1b);
	rib_free(rib);
}

/* ------------------------------------------- random against a model */

#define NPEERS 4
#define NPFX 600

struct model {
	struct prefix pfx[NPFX];
	struct rattr *attr[NPFX][NPEERS]; /* NULL: no route */
};

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 20);
}

static void rnd_prefix(uint64_t *s, struct prefix *p)
{
	struct addr a = {0};
	bool v6 = rnd(s) % 3 == 0;
	if (v6) {
		a = A("2001:db8::");
		for (int i = 4; i < 8; i++)
			a.b[i] = (uint8_t)(rnd(s) & 0x13);
		prefix_from_addr(p, &a, 32 + rnd(s) % 33);
	} else {
		a = A("198.18.0.0");
		a.b[1] |= rnd(s) & 1;
		a.b[2] = (uint8_t)(rnd(s) & 0x3f);
		a.b[3] = (uint8_t)(rnd(s) & 0xc0);
		prefix_from_addr(p, &a, 15 + rnd(s) % 12);
	}
}

struct walk_state {
	const struct model *m;
	size_t seen;
	struct prefix last;
	int bad;
};

static int model_idx(const struct model *m, const struct prefix *p)
{
	for (int i = 0; i < NPFX; i++)
		if (prefix_eq(&m->pfx[i], p))
			return i;
	return -1;
}

static int walk_cb(const struct rentry *e, void *arg)
{
	struct walk_state *w = arg;
	int i = model_idx(w->m, &e->prefix);
	unsigned n = 0;
	if (w->seen && prefix_cmp(&w->last, &e->prefix) >= 0)
		w->bad++;
	w->last = e->prefix;
	w->seen++;
	for (int k = 0; i >= 0 && k < NPEERS; k++)
		n += w->m->attr[i][k] != NULL;
	if (i < 0 || n != e->n_paths)
		w->bad++;
	return 0;
}

static void check_model(struct rib *rib, const struct model *m)
{
	struct walk_state w = {.m = m};
	size_t want = 0;
	for (int i = 0; i < NPFX; i++) {
		const struct rentry *e = rib_lookup(rib, &m->pfx[i]);
		unsigned n = 0;
		for (int k = 0; k < NPEERS; k++) {
			const struct rpath *p;
			for (p = e ? e->paths : NULL; p; p = p->next)
				if (p->peer == (uint32_t)k)
					break;
			assert_ptr_equal(p ? p->attr : NULL, m->attr[i][k]);
			n += m->attr[i][k] != NULL;
		}
		if (n)
			want++;
		assert_int_equal(e ? e->n_paths : 0, n);
		/* Shortest path first, then peer address (= index here). */
		for (const struct rpath *p = e ? e->paths : NULL; p && p->next;
		     p = p->next)
			assert_true(p->attr->aspath_hops <
					    p->next->attr->aspath_hops ||
				    (p->attr->aspath_hops ==
					     p->next->attr->aspath_hops &&
				     p->peer < p->next->peer));
	}
	assert_int_equal(rib_walk(rib, 0, walk_cb, &w), 0);
	assert_int_equal(w.bad, 0);
	assert_int_equal(w.seen, want);
}

static void test_random_model(void **state)
{
	static struct model m;
	struct rib *rib = new_rib(2);
	struct rattr *ra[3];
	uint64_t seed = 0x1234567887654321ull;
	(void)state;
	memset(&m, 0, sizeof(m));
	for (int k = 0; k < NPEERS; k++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "198.18.9.%d", k + 1);
		assert_int_equal(add_peer(rib, buf, PEER_NVA), k);
	}
	for (int i = 0; i < 3; i++)
		ra[i] = intern(rib, (unsigned)i + 1, 65001, "198.18.9.1");
	for (int i = 0; i < NPFX; i++) {
		do
			rnd_prefix(&seed, &m.pfx[i]);
		while (model_idx(&m, &m.pfx[i]) != i);
	}
	for (int round = 0; round < 20; round++) {
		for (int op = 0; op < 1500; op++) {
			int i = (int)(rnd(&seed) % NPFX);
			uint32_t k = rnd(&seed) % NPEERS;
			if (rnd(&seed) % 3 == 0) {
				assert_int_equal(rib_withdraw(rib, k, &m.pfx[i]),
						 m.attr[i][k] != NULL);
				m.attr[i][k] = NULL;
			} else {
				struct rattr *x = ra[rnd(&seed) % 3];
				assert_int_equal(
					rib_announce(rib, k, &m.pfx[i], x),
					m.attr[i][k] == NULL);
				m.attr[i][k] = x;
			}
		}
		check_model(rib, &m);
		if (round % 2)
			rib_changes_drain(rib, NULL, NULL);
	}
	for (int i = 0; i < 3; i++)
		rattr_unref(rib, ra[i]);
	rib_free(rib);
}

/* ------------------------------------------------------- walk after */

struct list {
	struct prefix v[2048];
	size_t n;
};

static int list_cb(const struct rentry *e, void *arg)
{
	struct list *l = arg;
	assert_true(l->n < 2048);
	l->v[l->n++] = e->prefix;
	return 0;
}

/* A walk resumed after any key, in the RIB or not, gives exactly the
 * entries of a full walk that follow the key, in the same order. */
static void check_after(struct rib *rib, const struct list *all,
			const struct prefix *key)
{
	static struct list got;
	size_t first = 0;

	while (first < all->n && prefix_cmp(&all->v[first], key) <= 0)
		first++;
	got.n = 0;
	rib_walk_after(rib, key, list_cb, &got);
	assert_int_equal(got.n, all->n - first);
	for (size_t i = 0; i < got.n; i++)
		assert_true(prefix_eq(&got.v[i], &all->v[first + i]));
}

static void test_walk_after(void **state)
{
	static struct list all;
	struct rib *rib = new_rib(2);
	uint64_t seed = 0x5eed5eed12345678ull;
	struct rattr *ra;
	(void)state;
	assert_int_equal(add_peer(rib, "198.18.9.1", PEER_NVA), 0);
	ra = intern(rib, 1, 65001, "198.18.9.1");
	for (int i = 0; i < 1500; i++) {
		struct prefix p;
		rnd_prefix(&seed, &p);
		rib_announce(rib, 0, &p, ra);
	}
	all.n = 0;
	rib_walk(rib, 0, list_cb, &all);
	assert_true(all.n > 500);
	rib_walk_after(rib, NULL, list_cb, &all); /* NULL: from the start */
	assert_int_equal(all.n % 2, 0);
	all.n /= 2;
	for (size_t i = 0; i < all.n; i++)
		check_after(rib, &all, &all.v[i]);
	for (int i = 0; i < 3000; i++) { /* keys not in the RIB too */
		struct prefix p, q;
		struct addr a;
		rnd_prefix(&seed, &p);
		check_after(rib, &all, &p);
		a.afi = p.afi; /* and a shorter one, covering many */
		memcpy(a.b, p.b, sizeof(a.b));
		prefix_from_addr(&q, &a, rnd(&seed) % (p.len + 1u));
		check_after(rib, &all, &q);
	}
	rattr_unref(rib, ra);
	rib_free(rib);
}

/* --------------------------------------------------------- flush */

struct seen {
	struct prefix v[4096];
	size_t n;
	size_t empty;
};

static void collect(const struct rentry *e, uint32_t id, void *arg)
{
	struct seen *s = arg;
	for (size_t i = 0; i < s->n; i++)
		assert_false(prefix_eq(&s->v[i], &e->prefix)); /* once */
	s->v[s->n++] = e->prefix;
	if (!e->n_paths)
		s->empty++;
}

static bool seen_has(const struct seen *s, const struct prefix *p)
{
	for (size_t i = 0; i < s->n; i++)
		if (prefix_eq(&s->v[i], p))
			return true;
	return false;
}

/* The i-th of up to 4096 distinct test prefixes, IPv4 and IPv6 mixed. */
static struct prefix nth(unsigned i)
{
	struct prefix p = P(i % 2 ? "198.18.0.0/26" : "2001:db8::/48");
	unsigned j = i / 2;
	if (p.afi == AFI_IPV4) {
		p.b[1] = (uint8_t)(18 + ((j >> 10) & 1));
		p.b[2] = (uint8_t)(j >> 2);
		p.b[3] = (uint8_t)((j & 3) << 6);
	} else {
		p.b[4] = (uint8_t)(j >> 8);
		p.b[5] = (uint8_t)j;
	}
	return p;
}

static int count_cb(const struct rentry *e, void *arg)
{
	(void)e;
	++*(size_t *)arg;
	return 0;
}

static void test_flush(void **state)
{
	size_t left = 0;
	static struct seen s;
	struct rib *rib = new_rib(8);
	uint32_t a = add_peer(rib, "198.18.1.1", PEER_NVA);
	uint32_t b = add_peer(rib, "198.18.1.2", PEER_NVA);
	struct rattr *best = intern(rib, 1, 65001, "198.18.1.1");
	struct rattr *worse = intern(rib, 4, 65002, "198.18.1.2");
	const size_t n_a_best = 500;
	(void)state;
	memset(&s, 0, sizeof(s));
	/* a: 0..499 (best), b: 300..799 (worse where both). */
	for (unsigned i = 0; i < 500; i++) {
		struct prefix p = nth(i);
		assert_int_equal(rib_announce(rib, a, &p, best), 1);
	}
	for (unsigned i = 300; i < 800; i++) {
		struct prefix p = nth(i);
		assert_int_equal(rib_announce(rib, b, &p, worse), 1);
	}
	assert_int_equal(rib_changes_drain(rib, NULL, NULL), 800);
	assert_int_equal(rib_changes_pending(rib), 0);
	assert_int_equal(rib_peer_flush(rib, a), 500);
	assert_int_equal(rib_peer_count(rib, a), 0);
	assert_int_equal(rib_peer_count(rib, b), 500);
	/* Every prefix of a changed (a was best everywhere), once each. */
	assert_int_equal(rib_changes_pending(rib), n_a_best);
	assert_int_equal(rib_changes_drain(rib, collect, &s), n_a_best);
	assert_int_equal(s.empty, 300);
	for (unsigned i = 0; i < 800; i++) {
		struct prefix p = nth(i);
		const struct rentry *e = rib_lookup(rib, &p);
		assert_int_equal(seen_has(&s, &p), i < 500);
		if (i < 300) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_int_equal(e->n_paths, 1);
			assert_int_equal(e->paths->peer, b);
			assert_int_equal(e->paths->flags,
					 RPATH_BEST | RPATH_ECMP);
		}
	}
	/* a has nothing left; b's paths are now the only ones. */
	assert_int_equal(rib_peer_flush(rib, a), 0);
	assert_int_equal(rib_changes_pending(rib), 0);
	assert_int_equal(rib_peer_flush(rib, b), 500);
	assert_int_equal(rib_changes_drain(rib, NULL, NULL), 500);
	assert_int_equal(rib_walk(rib, 0, count_cb, &left), 0);
	assert_int_equal(left, 0);
	rattr_unref(rib, best);
	rattr_unref(rib, worse);
	rib_free(rib);
}

static struct prefix v4(unsigned i)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "198.19.%u.0/24", i);
	return P(buf);
}

/* Graceful restart: marking a peer's routes stale changes nothing in the
 * loc-RIB; announcing again clears the mark (same or other attributes);
 * a sweep of one family withdraws only what is still stale there. */
static void test_stale(void **state)
{
	struct rib *rib = new_rib(8);
	uint32_t a = add_peer(rib, "198.18.1.1", PEER_NVA);
	uint32_t b = add_peer(rib, "198.18.1.2", PEER_NVA);
	struct rattr *ra = intern(rib, 1, 65001, "198.18.1.1");
	struct rattr *rb = intern(rib, 1, 65002, "198.18.1.2");
	struct rattr *ra2 = intern(rib, 2, 65001, "198.18.1.1");
	struct prefix p6 = P("2001:db8:1::/48");
	const struct rentry *e;
	(void)state;
	for (unsigned i = 0; i < 10; i++) {
		struct prefix p = v4(i);
		assert_int_equal(rib_announce(rib, a, &p, ra), 1);
	}
	assert_int_equal(rib_announce(rib, a, &p6, ra), 1);
	{
		struct prefix p = v4(0);
		assert_int_equal(rib_announce(rib, b, &p, rb), 1);
	}
	rib_changes_drain(rib, NULL, NULL);
	assert_int_equal(rib_peer_mark_stale(rib, a), 11);
	assert_int_equal(rib_peer_stale_count(rib, a), 11);
	assert_int_equal(rib_peer_stale_count(rib, b), 0);
	assert_int_equal(rib_changes_pending(rib), 0); /* nothing changed */
	assert_int_equal(rib_peer_mark_stale(rib, a), 0); /* already */
	e = rib_lookup(rib, &p6);
	assert_non_null(e);
	assert_true(e->paths->stale);
	assert_int_equal(e->paths->flags, RPATH_BEST | RPATH_ECMP);
	/* Re-announced: 1 with the same attributes, 2 with others. */
	{
		struct prefix p1 = v4(1), p2 = v4(2);
		assert_int_equal(rib_announce(rib, a, &p1, ra), 0);
		assert_int_equal(rib_announce(rib, a, &p2, ra2), 0);
		assert_false(rib_lookup(rib, &p1)->paths->stale);
	}
	assert_int_equal(rib_peer_stale_count(rib, a), 9);
	/* A stale route withdrawn by the peer is no longer counted. */
	{
		struct prefix p3 = v4(3);
		assert_int_equal(rib_withdraw(rib, a, &p3), 1);
	}
	assert_int_equal(rib_peer_stale_count(rib, a), 8);
	rib_changes_drain(rib, NULL, NULL);
	/* IPv4 sweep: 0 and 4..9 go; the IPv6 route stays stale. */
	assert_int_equal(rib_peer_sweep_stale(rib, a, AFI_IPV4), 7);
	assert_int_equal(rib_peer_stale_count(rib, a), 1);
	assert_int_equal(rib_peer_count(rib, a), 3);
	{
		struct prefix p0 = v4(0);
		e = rib_lookup(rib, &p0);
		assert_non_null(e); /* b's path is left */
		assert_int_equal(e->n_paths, 1);
		assert_int_equal(e->paths->peer, b);
	}
	assert_non_null(rib_lookup(rib, &p6));
	assert_int_equal(rib_peer_sweep_stale(rib, a, 0), 1);
	assert_null(rib_lookup(rib, &p6));
	assert_int_equal(rib_peer_stale_count(rib, a), 0);
	assert_int_equal(rib_peer_sweep_stale(rib, a, 0), 0);
	rib_changes_drain(rib, NULL, NULL);
	rattr_unref(rib, ra);
	rattr_unref(rib, rb);
	rattr_unref(rib, ra2);
	rib_free(rib);
}

/* ------------------------------------------------------- interning */

static void test_intern(void **state)
{
	struct rib *rib = new_rib(8);
	struct bgp_attrs *a = attrs(3, 65001, "198.18.1.1");
	static const uint8_t comm[] = {0xff, 0xff, 0xff, 0x01, 0, 1, 0, 2};
	static const uint8_t unk[] = {1, 2, 3};
	struct rattr *x, *y, *z, *w;
	struct bgp_attrs *back = calloc(1, sizeof(*back));
	struct rib_stats st;
	(void)state;

	x = rattr_intern(rib, a);
	y = rattr_intern(rib, attrs(3, 65001, "198.18.1.1"));
	assert_ptr_equal(x, y);
	assert_int_equal(x->refcnt, 2);
	assert_int_equal(x->aspath_hops, 3);
	/* A different next hop, MED or community is another set. */
	z = rattr_intern(rib, attrs(3, 65001, "198.18.1.2"));
	assert_ptr_not_equal(x, z);
	a = attrs(3, 65001, "198.18.1.1");
	a->present |= ATTR_BIT(ATTR_COMMUNITIES) | ATTR_BIT(ATTR_MED);
	a->med = 0;
	a->communities = comm;
	a->n_communities = 2;
	a->unknown[0] = (struct bgp_raw_attr){
		ATTR_F_OPTIONAL | ATTR_F_TRANSITIVE, 99, 3, unk};
	a->unknown[1] = (struct bgp_raw_attr){ATTR_F_OPTIONAL, 98, 3, unk};
	a->n_unknown = 2;
	w = rattr_intern(rib, a);
	assert_ptr_not_equal(w, x);
	assert_true(w->no_export);
	assert_false(w->no_advertise);
	assert_true(w->has_med);
	assert_int_equal(w->n_communities, 2);
	assert_memory_equal(rattr_communities(w), comm, 8);
	assert_int_equal(w->unknown_len, 6); /* only the transitive one */
	/* Back to the decoded form, and interned again: the same set. */
	rattr_to_bgp(w, back);
	assert_true(back->present & ATTR_BIT(ATTR_COMMUNITIES));
	assert_true(back->present & ATTR_BIT(ATTR_MED));
	assert_int_equal(back->n_unknown, 1);
	assert_int_equal(back->unknown[0].code, 99);
	assert_int_equal(back->unknown[0].flags,
			 ATTR_F_OPTIONAL | ATTR_F_TRANSITIVE | ATTR_F_PARTIAL);
	assert_memory_equal(back->unknown[0].data, unk, 3);
	assert_int_equal(back->aspath_len, 14);
	assert_true(addr_eq(&back->next_hop, &w->next_hop));
	assert_ptr_equal(rattr_intern(rib, back), w);
	assert_int_equal(w->refcnt, 2);
	rattr_unref(rib, w);
	/* IPv6 next hops come from MP_REACH and round-trip too. */
	a = attrs(1, 65001, "198.18.1.1");
	a->present = (a->present & ~ATTR_BIT(ATTR_NEXT_HOP)) |
		     ATTR_BIT(ATTR_MP_REACH);
	a->mp_afi = AFI_IPV6;
	a->mp_next_hop = A("2001:db8::1");
	a->mp_next_hop_ll = A("fe80::1");
	y = rattr_intern(rib, a);
	assert_int_equal(y->next_hop.afi, AFI_IPV6);
	assert_int_equal(y->next_hop_ll.afi, AFI_IPV6);
	rattr_to_bgp(y, back);
	assert_true(addr_eq(&back->mp_next_hop, &y->next_hop));
	assert_ptr_equal(rattr_intern(rib, back), y);
	rattr_unref(rib, y);
	rib_stats(rib, &st);
	assert_int_equal(st.attrs, 4);
	rattr_unref(rib, y);
	rattr_unref(rib, x);
	rattr_unref(rib, x);
	rattr_unref(rib, z);
	rattr_unref(rib, w);
	rib_stats(rib, &st);
	assert_int_equal(st.attrs, 0);
	free(back);
	rib_free(rib);
}

/* Every interned set has an id (never 0) that finds it again; a freed
 * set's id is handed out again before new ones, and the id table is given
 * back with the last set. */
/* The i-th of 65,536 /24s in 100.64.0.0/10. */
static struct prefix q24(unsigned i)
{
	struct prefix p = P("100.64.0.0/24");
	p.b[1] = (uint8_t)(64 + (i >> 8));
	p.b[2] = (uint8_t)i;
	return p;
}

static int count_walk(const struct rentry *e, uint32_t id, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

/* A big drain leaves its empty entries to rib_prune: they are gone for
 * every reader at once, keep nothing alive, come back to life when
 * announced again first, and a small drain still frees at once. */
static void test_prune_later(void **state)
{
	struct rib *rib = new_rib(2);
	uint32_t a = add_peer(rib, "198.18.1.1", PEER_NVA);
	struct rattr *s1 = intern(rib, 1, 65001, "198.18.1.1");
	const unsigned n = RIB_PRUNE_DEFER + 1000;
	struct prefix p7 = q24(7);
	struct rib_stats st;
	size_t base, seen = 0;
	uint32_t id7;
	(void)state;

	rib_stats(rib, &st);
	base = st.bytes;
	for (unsigned i = 0; i < 10; i++) { /* a small drain frees at once */
		struct prefix q = q24(60000 + i);
		rib_announce(rib, a, &q, s1);
	}
	rib_changes_drain(rib, NULL, NULL);
	for (unsigned i = 0; i < 10; i++) {
		struct prefix q = q24(60000 + i);
		rib_withdraw(rib, a, &q);
	}
	rib_changes_drain(rib, NULL, NULL);
	assert_int_equal(rib_prune(rib, 0), 0);

	for (unsigned i = 0; i < n; i++) {
		struct prefix q = q24(i);
		assert_int_equal(rib_announce(rib, a, &q, s1), 1);
	}
	rib_changes_drain(rib, NULL, NULL);
	id7 = rib_entry_id(rib, &p7);
	assert_int_not_equal(id7, 0);
	for (unsigned i = 0; i < n; i++) {
		struct prefix q = q24(i);
		assert_int_equal(rib_withdraw(rib, a, &q), 1);
	}
	assert_int_equal(rib_changes_drain(rib, NULL, NULL), n);
	assert_int_equal(rib_prune(rib, 0), n); /* all queued */
	rib_stats(rib, &st);
	assert_int_equal(st.prefixes[AFI_IPV4], 0);
	assert_int_equal(st.paths, 0);
	assert_null(rib_lookup(rib, &p7));
	assert_int_equal(rib_entry_id(rib, &p7), 0);
	rib_walk_ids(rib, count_walk, &seen);
	assert_int_equal(seen, 0);
	assert_null(rib_match(rib, &(struct addr){.afi = AFI_IPV4,
						  .b = {100, 64, 7, 1}}));
	/* announced again before the prune: the same entry, alive */
	assert_int_equal(rib_announce(rib, a, &p7, s1), 1);
	assert_int_equal(rib_entry_id(rib, &p7), id7);
	assert_int_equal(rib_changes_drain(rib, NULL, NULL), 1);
	assert_non_null(rib_lookup(rib, &p7));
	/* withdrawn again in a small drain: it stays queued, gone */
	assert_int_equal(rib_withdraw(rib, a, &p7), 1);
	assert_int_equal(rib_changes_drain(rib, NULL, NULL), 1);
	assert_null(rib_lookup(rib, &p7));
	assert_int_equal(rib_prune(rib, 0), n);
	{ /* its id is still held: another new prefix gets another one */
		struct prefix o = q24(n + 5);
		assert_int_equal(rib_announce(rib, a, &o, s1), 1);
		assert_int_not_equal(rib_entry_id(rib, &o), id7);
		assert_int_equal(rib_withdraw(rib, a, &o), 1);
		rib_changes_drain(rib, NULL, NULL);
	}
	/* announced again, then pruned: it survives the prune */
	assert_int_equal(rib_announce(rib, a, &p7, s1), 1);
	rib_changes_drain(rib, NULL, NULL);
	assert_int_equal(rib_prune(rib, 1000), n - 1000);
	assert_int_equal(rib_prune(rib, (size_t)-1), 0);
	assert_non_null(rib_lookup(rib, &p7));
	seen = 0;
	rib_walk_ids(rib, count_walk, &seen);
	assert_int_equal(seen, 1);
	assert_int_equal(rib_withdraw(rib, a, &p7), 1);
	rib_changes_drain(rib, NULL, NULL);
	rib_stats(rib, &st);
	assert_int_equal(st.bytes, base); /* every entry and the queue gone */
	rattr_unref(rib, s1);
	rib_free(rib);
}

static void test_attr_ids(void **state)
{
	struct rib *rib = new_rib(8);
	const struct rattr_ids *ids = rib_attr_ids(rib);
	struct rattr *ra[300];
	uint32_t top = 0;
	(void)state;

	for (int i = 0; i < 300; i++) {
		struct bgp_attrs *a = attrs(1, 65001, "198.18.1.1");
		a->present |= ATTR_BIT(ATTR_MED);
		a->med = (uint32_t)i;
		ra[i] = rattr_intern(rib, a);
		assert_non_null(ra[i]);
		assert_int_not_equal(ra[i]->id, 0);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(ra[k]->id, ra[i]->id);
		top = ra[i]->id > top ? ra[i]->id : top;
	}
	for (int i = 0; i < 300; i++)
		assert_ptr_equal(rattr_by_id(ids, ra[i]->id), ra[i]);
	assert_null(rattr_by_id(ids, 0));
	for (int i = 0; i < 300; i += 2)
		rattr_unref(rib, ra[i]);
	for (int i = 0; i < 300; i += 2) { /* new sets reuse the freed ids */
		struct bgp_attrs *a = attrs(2, 65002, "198.18.1.2");
		a->present |= ATTR_BIT(ATTR_MED);
		a->med = (uint32_t)i;
		ra[i] = rattr_intern(rib, a);
		assert_true(ra[i]->id <= top);
	}
	for (int i = 0; i < 300; i++)
		assert_ptr_equal(rattr_by_id(ids, ra[i]->id), ra[i]);
	for (int i = 0; i < 300; i++)
		rattr_unref(rib, ra[i]);
	assert_null(ids->v);
	assert_int_equal(ids->n, 0);
	rib_free(rib);
}

static void test_memory_baseline(void **state)
{
	struct rib *rib = new_rib(8);
	uint32_t peers[3];
	struct rattr *ra[5];
	struct rib_stats st;
	size_t base;
	(void)state;
	for (int k = 0; k < 3; k++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "198.18.2.%d", k + 1);
		peers[k] = add_peer(rib, buf, PEER_NVA);
	}
	rib_stats(rib, &st);
	base = st.bytes;
	for (int i = 0; i < 5; i++)
		ra[i] = intern(rib, (unsigned)i + 1, 65100, "198.18.2.1");
	/* 500 more sets, one route each: the intern table grows. */
	for (unsigned i = 3000; i < 3500; i++) {
		struct prefix p = nth(i);
		struct rattr *x = intern(rib, 2, 1000 + i, "198.18.2.1");
		rib_announce(rib, peers[i % 3], &p, x);
		rattr_unref(rib, x);
	}
	for (unsigned i = 0; i < 3000; i++) {
		struct prefix p = nth(i);
		for (int k = 0; k < 3; k++)
			if ((i + (unsigned)k) % 4)
				rib_announce(rib, peers[k], &p, ra[(i + k) % 5]);
	}
	/* The RIB holds its own references: ours can go now. */
	for (int i = 0; i < 5; i++) {
		assert_true(ra[i]->refcnt > 1000);
		rattr_unref(rib, ra[i]);
	}
	rib_stats(rib, &st);
	assert_int_equal(st.attrs, 505);
	assert_int_equal(st.paths, 3000 * 3 - 2250 + 500);
	assert_true(st.bytes > base + st.paths * sizeof(struct rpath));
	for (int k = 0; k < 3; k++)
		rib_peer_flush(rib, peers[k]);
	rib_stats(rib, &st);
	assert_int_equal(st.paths, 0);
	assert_int_equal(st.attrs, 0); /* last references gone: freed */
	assert_int_equal(st.prefixes[AFI_IPV4] + st.prefixes[AFI_IPV6], 0);
	rib_changes_drain(rib, NULL, NULL);
	rib_stats(rib, &st);
	assert_int_equal(st.bytes, base);
	rib_free(rib);
}

/* ------------------------------------------------------ change set */

static void count_change(const struct rentry *e, uint32_t id, void *arg)
{
	(void)e;
	++*(size_t *)arg;
}

static void test_change_set(void **state)
{
	struct rib *rib = new_rib(2);
	uint32_t a = add_peer(rib, "198.18.1.1", PEER_NVA);
	uint32_t b = add_peer(rib, "198.18.1.2", PEER_NVA);
	uint32_t c = add_peer(rib, "198.18.1.3", PEER_NVA);
	struct rattr *s1 = intern(rib, 1, 65001, "198.18.1.1");
	struct rattr *s1b = intern(rib, 1, 65002, "198.18.1.1");
	struct rattr *l5 = intern(rib, 5, 65001, "198.18.1.1");
	struct rattr *l6 = intern(rib, 6, 65001, "198.18.1.1");
	struct prefix p = P("198.19.0.0/16");
	size_t n = 0;
	(void)state;

	rib_announce(rib, a, &p, s1);
	rib_announce(rib, a, &p, s1b);
	rib_announce(rib, b, &p, s1);
	assert_int_equal(rib_changes_pending(rib), 1); /* once per drain */
	assert_int_equal(rib_changes_drain(rib, count_change, &n), 1);
	assert_int_equal(n, 1);
	/* The same route again: no change. */
	assert_int_equal(rib_announce(rib, a, &p, s1b), 0);
	assert_int_equal(rib_changes_pending(rib), 0);
	/* A worse path outside the ECMP set, replaced and withdrawn: none. */
	rib_announce(rib, c, &p, l5);
	rib_announce(rib, c, &p, l6);
	rib_withdraw(rib, c, &p);
	assert_int_equal(rib_changes_pending(rib), 0);
	/* A third tied path beyond max_paths 2 (highest address): none. */
	rib_announce(rib, c, &p, s1);
	assert_int_equal(rib_lookup(rib, &p)->n_ecmp, 2);
	assert_int_equal(rib_changes_pending(rib), 0);
	/* An ECMP member's attributes change: a change. */
	rib_announce(rib, b, &p, s1b);
	assert_int_equal(rib_changes_pending(rib), 1);
	rib_changes_drain(rib, NULL, NULL);
	/* A member gets worse and leaves the set: a change, c moves in. */
	rib_announce(rib, b, &p, l6);
	assert_int_equal(rib_changes_pending(rib), 1);
	assert_int_equal(rib_lookup(rib, &p)->paths->next->peer, c);
	rib_changes_drain(rib, NULL, NULL);
	/* Back again: the lower address displaces c (deterministic set). */
	rib_announce(rib, b, &p, s1b);
	assert_int_equal(rib_changes_pending(rib), 1);
	assert_int_equal(rib_lookup(rib, &p)->paths->next->peer, b);
	rib_changes_drain(rib, NULL, NULL);
	rib_withdraw(rib, c, &p); /* outside the set now: no change */
	rib_announce(rib, c, &p, s1);
	assert_int_equal(rib_changes_pending(rib), 0);
	/* A member leaves: c moves into the set. */
	rib_withdraw(rib, a, &p);
	assert_int_equal(rib_changes_pending(rib), 1);
	assert_int_equal(rib_lookup(rib, &p)->n_ecmp, 2);
	rib_changes_drain(rib, NULL, NULL);
	/* Emptied then refilled before the drain: reported once, kept. */
	rib_withdraw(rib, b, &p);
	rib_withdraw(rib, c, &p);
	assert_null(rib_lookup(rib, &p));
	rib_announce(rib, a, &p, l5);
	n = 0;
	assert_int_equal(rib_changes_drain(rib, count_change, &n), 1);
	assert_non_null(rib_lookup(rib, &p));
	/* Emptied: the drain still shows it (n_paths 0), then it is gone. */
	rib_withdraw(rib, a, &p);
	n = 0;
	assert_int_equal(rib_changes_drain(rib, count_change, &n), 1);
	assert_null(rib_lookup(rib, &p));
	assert_int_equal(rib_changes_drain(rib, count_change, &n), 0);
	rattr_unref(rib, s1);
	rattr_unref(rib, s1b);
	rattr_unref(rib, l5);
	rattr_unref(rib, l6);
	rib_free(rib);
}

/* ---------------------------------------------- peer walk, remove */

struct pw {
	uint32_t peer;
	size_t n;
	struct prefix last;
	int bad;
};

static int peer_walk_cb(const struct rentry *e, const struct rpath *p,
			void *arg)
{
	struct pw *w = arg;
	if (p->peer != w->peer || (w->n && prefix_cmp(&w->last, &e->prefix) >= 0))
		w->bad++;
	w->last = e->prefix;
	w->n++;
	return 0;
}

static int stop_cb(const struct rentry *e, const struct rpath *p, void *arg)
{
	(void)e;
	(void)p;
	return ++*(int *)arg == 3 ? 42 : 0;
}

static void test_walk_peer_and_remove(void **state)
{
	struct rib *rib = new_rib(8);
	uint32_t a = add_peer(rib, "198.18.1.1", PEER_NVA);
	uint32_t b = add_peer(rib, "2001:db8::2", PEER_VPN_GATEWAY);
	struct rattr *x = intern(rib, 2, 65001, "198.18.1.1");
	struct pw w = {.peer = b};
	int stops = 0;
	(void)state;
	for (unsigned i = 0; i < 100; i++) {
		struct prefix p = nth(i);
		rib_announce(rib, i % 3 ? a : b, &p, x);
	}
	assert_int_equal(rib_walk_peer(rib, b, peer_walk_cb, &w), 0);
	assert_int_equal(w.n, 34);
	assert_int_equal(w.bad, 0);
	assert_int_equal(rib_walk_peer(rib, a, stop_cb, &stops), 42);
	assert_int_equal(stops, 3);
	assert_int_equal(rib_peer_get(rib, b)->kind, PEER_VPN_GATEWAY);
	rib_peer_remove(rib, b);
	assert_null(rib_peer_get(rib, b));
	assert_int_equal(rib_peer_count(rib, b), 0);
	/* The index is reused by the next peer. */
	assert_int_equal(add_peer(rib, "198.18.1.3", PEER_NVA), b);
	assert_int_equal(rib_peer_count(rib, b), 0);
	rattr_unref(rib, x);
	rib_free(rib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_random_model),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_intern),
		cmocka_unit_test(test_attr_ids),
		cmocka_unit_test(test_prune_later),
		cmocka_unit_test(test_memory_baseline),
		cmocka_unit_test(test_change_set),
		cmocka_unit_test(test_walk_peer_and_remove),
		cmocka_unit_test(test_walk_after),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
