/*
 * test_trie.c - the loc-RIB prefix trie against a brute-force reference:
 * random inserts, exact lookups, longest-prefix matches, ordered walks and
 * deletes for IPv4 and IPv6 (fixed seed), plus edge cases and the byte
 * accounting of its pools.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rib/trie.h"

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 16);
}

/* A random prefix of afi inside a small space so that many overlap. */
static void rnd_prefix(struct rng *r, uint8_t afi, struct prefix *p)
{
	struct addr a = {.afi = afi};
	unsigned max = afi_maxlen(afi), len;
	if (afi == AFI_IPV4) {
		uint32_t v = 0xC6120000u | (rnd(r) & 0x1ffff); /* 198.18/15 */
		if (rnd(r) % 8 == 0)
			v = rnd(r); /* now and then anywhere */
		a.b[0] = (uint8_t)(v >> 24);
		a.b[1] = (uint8_t)(v >> 16);
		a.b[2] = (uint8_t)(v >> 8);
		a.b[3] = (uint8_t)v;
	} else {
		static const uint8_t base[4] = {0x20, 0x01, 0x0d, 0xb8};
		memcpy(a.b, base, 4);
		for (int i = 4; i < 16; i++)
			a.b[i] = (uint8_t)rnd(r);
		a.b[4] &= 0x03; /* crowd them */
		if (rnd(r) % 8 == 0)
			for (int i = 0; i < 16; i++)
				a.b[i] = (uint8_t)rnd(r);
	}
	len = rnd(r) % 4 == 0 ? rnd(r) % (max + 1)
			      : (afi == AFI_IPV4 ? 16 + rnd(r) % 17
						 : 32 + rnd(r) % 97);
	prefix_from_addr(p, &a, len);
}

struct ref {
	struct prefix *v;
	size_t n;
};

static ssize_t ref_find(const struct ref *r, const struct prefix *p)
{
	for (size_t i = 0; i < r->n; i++)
		if (prefix_eq(&r->v[i], p))
			return (ssize_t)i;
	return -1;
}

static const struct prefix *ref_match(const struct ref *r,
				      const struct addr *a)
{
	const struct prefix *best = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (prefix_contains_addr(&r->v[i], a) &&
		    (!best || r->v[i].len > best->len))
			best = &r->v[i];
	return best;
}

static int cmp_prefix(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

struct walk_check {
	const struct ref *ref;
	size_t i;
	int bad;
};

static int walk_cb(struct rentry *e, uint32_t idx, void *arg)
{
	struct walk_check *w = arg;
	if (w->i >= w->ref->n || !prefix_eq(&e->prefix, &w->ref->v[w->i]))
		w->bad++;
	w->i++;
	return 0;
}

/* Everything the trie says agrees with the reference. */
static void check_all(struct trie *t, struct ref *ref, uint8_t afi,
		      struct rng *r)
{
	struct walk_check w = {.ref = ref};
	struct prefix odd[3] = {{.afi = 0}, {.afi = afi, .len = 200}};
	qsort(ref->v, ref->n, sizeof(*ref->v), cmp_prefix);
	/* the prefetch walk reads only: bad keys, keys absent, any order */
	trie_touch(t, ref->v, ref->n);
	rnd_prefix(r, afi, &odd[2]);
	trie_touch(t, odd, 3);
	for (size_t i = 0; i < ref->n; i++) {
		struct rentry *e = trie_find(t, &ref->v[i], NULL);
		assert_non_null(e);
		assert_true(prefix_eq(&e->prefix, &ref->v[i]));
	}
	for (int i = 0; i < 3000; i++) {
		struct prefix p;
		struct addr a = {.afi = afi};
		const struct prefix *want;
		struct rentry *got;
		rnd_prefix(r, afi, &p);
		got = trie_find(t, &p, NULL);
		assert_int_equal(got != NULL, ref_find(ref, &p) >= 0);
		memcpy(a.b, p.b, 16);
		a.b[15] ^= (uint8_t)rnd(r); /* some host bits */
		if (afi == AFI_IPV4)
			memset(a.b + 4, 0, 12), a.b[3] ^= (uint8_t)rnd(r);
		want = ref_match(ref, &a);
		got = trie_match(t, &a);
		if (!want)
			assert_null(got);
		else {
			assert_non_null(got);
			assert_true(prefix_eq(&got->prefix, want));
		}
	}
	assert_int_equal(trie_walk(t, afi, walk_cb, &w), 0);
	assert_int_equal(w.bad, 0);
	assert_int_equal(w.i, ref->n);
	assert_int_equal(t->count[afi], ref->n);
}

static void random_family(uint8_t afi, uint64_t seed)
{
	size_t bytes = 0;
	struct trie t;
	struct rng r = {seed};
	struct ref ref = {calloc(4000, sizeof(struct prefix)), 0};

	trie_init(&t, &bytes);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 1200; i++) {
			struct prefix p;
			bool created;
			struct rentry *e;
			rnd_prefix(&r, afi, &p);
			uint32_t idx = 0, idx2 = 0;
			e = trie_get(&t, &p, true, &created, &idx);
			assert_non_null(e);
			assert_ptr_equal(trie_entry(&t, idx), e);
			assert_ptr_equal(trie_find(&t, &p, &idx2), e);
			assert_int_equal(idx2, idx);
			e->n_paths = 1; /* visible to trie_match */
			assert_int_equal(created, ref_find(&ref, &p) < 0);
			if (created)
				ref.v[ref.n++] = p;
		}
		check_all(&t, &ref, afi, &r);
		/* Delete about half, in random order. */
		for (size_t i = 0; i < ref.n;) {
			if (rnd(&r) % 2) {
				assert_int_equal(trie_delete(&t, &ref.v[i]), 1);
				assert_int_equal(trie_delete(&t, &ref.v[i]), 0);
				ref.v[i] = ref.v[--ref.n];
			} else {
				i++;
			}
		}
		check_all(&t, &ref, afi, &r);
	}
	for (size_t i = 0; i < ref.n; i++)
		assert_int_equal(trie_delete(&t, &ref.v[i]), 1);
	assert_int_equal(t.count[afi], 0);
	assert_int_equal(t.root[afi], 0);
	/* every pool chunk went back; the search path stays until release */
	assert_int_equal(bytes, sizeof(struct trie_finger));
	trie_release(&t);
	assert_int_equal(bytes, 0);
	free(ref.v);
}

static void test_random_v4(void **state)
{
	(void)state;
	random_family(AFI_IPV4, 0x9e3779b97f4a7c15ull);
}

static void test_random_v6(void **state)
{
	(void)state;
	random_family(AFI_IPV6, 0xdeadbeefcafef00dull);
}

/* Inserts alone, in runs of nearby keys (a table in address order, with
 * covering prefixes arriving before and after what they cover): every
 * insert starts from the last one's path. Then the whole trie is checked
 * against the reference, and emptied with deletes in the same order. */
static void ordered_family(uint8_t afi, uint64_t seed)
{
	size_t bytes = 0;
	struct trie t;
	struct rng r = {seed};
	struct ref ref = {calloc(6000, sizeof(struct prefix)), 0};
	struct prefix p;
	unsigned max = afi_maxlen(afi);

	trie_init(&t, &bytes);
	rnd_prefix(&r, afi, &p);
	for (int i = 0; i < 5000; i++) {
		struct addr a = {.afi = afi};
		bool created;
		uint32_t idx = 0;
		struct rentry *e;
		unsigned byte = afi == AFI_IPV4 ? 2 : 6, len;

		memcpy(a.b, p.b, 16);
		if (rnd(&r) % 64 == 0) { /* a jump elsewhere now and then */
			rnd_prefix(&r, afi, &p);
			memcpy(a.b, p.b, 16);
		}
		a.b[byte] = (uint8_t)(a.b[byte] + rnd(&r) % 3); /* a step up */
		a.b[byte + 1] = (uint8_t)rnd(&r);
		len = rnd(&r) % 5 == 0 ? rnd(&r) % (max + 1)
				       : (byte + 1) * 8 + rnd(&r) % 9;
		prefix_from_addr(&p, &a, len > max ? max : len);
		e = trie_get(&t, &p, true, &created, &idx);
		assert_non_null(e);
		assert_ptr_equal(trie_entry(&t, idx), e);
		e->n_paths = 1;
		assert_int_equal(created, ref_find(&ref, &p) < 0);
		if (created)
			ref.v[ref.n++] = p;
		if (rnd(&r) % 16 == 0) /* found again without create */
			assert_int_equal(trie_get(&t, &p, false, NULL, NULL) ==
						 NULL, false);
	}
	check_all(&t, &ref, afi, &r);
	for (size_t i = 0; i < ref.n; i++)
		assert_int_equal(trie_delete(&t, &ref.v[i]), 1);
	assert_int_equal(t.count[afi], 0);
	assert_int_equal(t.root[afi], 0);
	trie_release(&t);
	free(ref.v);
}

static void test_ordered_v4(void **state)
{
	(void)state;
	ordered_family(AFI_IPV4, 0x2545f4914f6cdd1dull);
}

static void test_ordered_v6(void **state)
{
	(void)state;
	ordered_family(AFI_IPV6, 0x9e3779b97f4a7c15ull);
}

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

static int collect_cb(struct rentry *e, uint32_t idx, void *arg)
{
	char *out = arg, buf[PREFIX_STRLEN];
	strcat(out, prefix_fmt(&e->prefix, buf, sizeof(buf)));
	strcat(out, " ");
	return 0;
}

static void test_edges(void **state)
{
	size_t bytes = 0;
	struct trie t;
	struct prefix p;
	struct addr a;
	char out[512] = "";
	const char *v[] = {"198.18.1.0/24", "0.0.0.0/0", "198.18.0.0/15",
			   "198.18.1.7/32", "198.18.1.0/25", "198.19.0.0/16"};
	(void)state;
	trie_init(&t, &bytes);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		p = P(v[i]);
		trie_get(&t, &p, true, NULL, NULL)->n_paths = 1;
	}
	trie_walk(&t, AFI_IPV4, collect_cb, out);
	assert_string_equal(out, "0.0.0.0/0 198.18.0.0/15 198.18.1.0/24 "
				 "198.18.1.0/25 198.18.1.7/32 198.19.0.0/16 ");
	a = A("198.18.1.7");
	assert_int_equal(trie_match(&t, &a)->prefix.len, 32);
	a = A("198.18.1.200");
	assert_int_equal(trie_match(&t, &a)->prefix.len, 24);
	a = A("203.0.113.1");
	assert_int_equal(trie_match(&t, &a)->prefix.len, 0);
	/* An entry without paths is skipped by the longest match. */
	p = P("198.18.1.0/24");
	trie_find(&t, &p, NULL)->n_paths = 0;
	a = A("198.18.1.200");
	assert_int_equal(trie_match(&t, &a)->prefix.len, 15);
	/* Host bits in a key are ignored; other families are not found. */
	p = P("198.18.1.0/24");
	p.b[3] = 9;
	assert_non_null(trie_find(&t, &p, NULL));
	p = P("2001:db8::/32");
	assert_null(trie_find(&t, &p, NULL));
	a = A("2001:db8::1");
	assert_null(trie_match(&t, &a));
	p.afi = 7;
	assert_null(trie_get(&t, &p, true, NULL, NULL));
	p = P("::/0");
	trie_get(&t, &p, true, NULL, NULL)->n_paths = 1;
	p = P("2001:db8::1/128");
	trie_get(&t, &p, true, NULL, NULL)->n_paths = 1;
	assert_int_equal(trie_match(&t, &a)->prefix.len, 128);
	a = A("2001:db8::2");
	assert_int_equal(trie_match(&t, &a)->prefix.len, 0);
	assert_true(bytes > 0);
	trie_release(&t);
	assert_int_equal(bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_random_v6),
		cmocka_unit_test(test_ordered_v4),
		cmocka_unit_test(test_ordered_v6),
		cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
