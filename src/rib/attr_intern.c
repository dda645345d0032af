/*
 * attr_intern.c - interned, reference-counted path attributes.
 *
 * A million routes typically share a few thousand attribute sets, so each
 * distinct set is stored once (struct rattr) and routes point at it. A set
 * is normalized (fixed fields, then aspath, communities, extended and
 * large communities and unknown transitive attributes in wire form), hashed
 * over its bytes, compared exactly and freed with its last reference.
 */
#include "rib/trie.h"

#include <stdlib.h>
#include <string.h>

#define ATTR_TABLE_MIN 64

int attr_table_init(struct rib *rib)
{
	struct attr_table *t = &rib->attrs;
	t->buckets = acct_calloc(&rib->bytes, ATTR_TABLE_MIN * sizeof(void *));
	t->mask = ATTR_TABLE_MIN - 1;
	t->count = 0;
	return t->buckets ? 0 : -1;
}

const struct rattr_ids *rib_attr_ids(const struct rib *rib)
{
	return &rib->attrs.ids;
}

/* A free slot of ids.v holds the next free id, tagged with the low bit
 * (a struct rattr pointer never has it). */
static uint32_t id_alloc(struct rib *rib, struct rattr *ra)
{
	struct rattr_ids *ids = &rib->attrs.ids;
	uint32_t id = ids->free_head;

	if (id) {
		ids->free_head = (uint32_t)((uintptr_t)ids->v[id] >> 1);
	} else {
		if (ids->n == UINT32_MAX)
			return 0;
		if (ids->n + 1 >= ids->cap) {
			uint32_t nc = ids->cap ? ids->cap * 2 : 256;
			struct rattr **nv = acct_realloc(&rib->bytes, ids->v,
							 ids->cap * sizeof(*nv),
							 nc * sizeof(*nv));
			if (!nv)
				return 0;
			ids->v = nv;
			ids->cap = nc;
		}
		if (!ids->n)
			ids->n = 1; /* id 0 is none */
		id = ids->n++;
	}
	ids->v[id] = ra;
	return id;
}

static void id_free(struct rib *rib, uint32_t id)
{
	struct rattr_ids *ids = &rib->attrs.ids;

	ids->v[id] = (struct rattr *)((uintptr_t)ids->free_head << 1 | 1);
	ids->free_head = id;
}

void attr_table_release(struct rib *rib)
{
	struct attr_table *t = &rib->attrs;
	for (uint32_t i = 0; t->buckets && i <= t->mask; i++) {
		struct rattr *a = t->buckets[i], *nx;
		for (; a; a = nx) {
			nx = a->hnext;
			acct_free(&rib->bytes, a, rattr_size(a));
		}
	}
	acct_free(&rib->bytes, t->buckets, (t->mask + 1) * sizeof(void *));
	acct_free(&rib->bytes, t->ids.v, t->ids.cap * sizeof(*t->ids.v));
	memset(t, 0, sizeof(*t));
}

/* Rebuild the table with n buckets (a power of two). */
static void attr_table_resize(struct rib *rib, uint32_t n)
{
	struct attr_table *t = &rib->attrs;
	struct rattr **nb = acct_calloc(&rib->bytes, n * sizeof(void *));
	if (!nb)
		return; /* keep the old one: longer chains, still correct */
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct rattr *a = t->buckets[i], *nx;
		for (; a; a = nx) {
			nx = a->hnext;
			a->hnext = nb[a->hash & (n - 1)];
			nb[a->hash & (n - 1)] = a;
		}
	}
	acct_free(&rib->bytes, t->buckets, (t->mask + 1) * sizeof(void *));
	t->buckets = nb;
	t->mask = n - 1;
}

static size_t var_len(const struct rattr *ra)
{
	return (size_t)ra->aspath_len + 4u * ra->n_communities +
	       8u * ra->n_ext_communities + 12u * ra->n_large_communities +
	       ra->unknown_len;
}

size_t rattr_size(const struct rattr *ra)
{
	return sizeof(*ra) + var_len(ra);
}

const uint8_t *rattr_aspath(const struct rattr *ra)
{
	return ra->data;
}

const uint8_t *rattr_communities(const struct rattr *ra)
{
	return ra->data + ra->aspath_len;
}

const uint8_t *rattr_ext_communities(const struct rattr *ra)
{
	return rattr_communities(ra) + 4u * ra->n_communities;
}

const uint8_t *rattr_large_communities(const struct rattr *ra)
{
	return rattr_ext_communities(ra) + 8u * ra->n_ext_communities;
}

const uint8_t *rattr_unknown(const struct rattr *ra)
{
	return rattr_large_communities(ra) + 12u * ra->n_large_communities;
}

/* The hashed and compared part: everything after the hash chain link. */
#define KEY_OFF offsetof(struct rattr, origin)

/* Eight bytes a step (every UPDATE with new attributes hashes about a
 * hundred bytes; a byte a step cost ~500 instructions a set), then the
 * tail, then a final mix so that every input bit reaches the low bits
 * the table uses. */
static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = 0xcbf29ce484222325ull ^ n, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (i < n) {
		w = 0;
		memcpy(&w, p + i, n - i);
		h = (h ^ w) * k;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* Bytes of the unknown attributes we keep (optional transitive ones). */
static size_t unknown_bytes(const struct bgp_attrs *a)
{
	size_t n = 0;
	for (unsigned i = 0; i < a->n_unknown && i < BGP_MAX_UNKNOWN_ATTRS;
	     i++) {
		const struct bgp_raw_attr *u = &a->unknown[i];
		size_t one = 3u + (u->len > 255) + u->len;
		if (!(u->flags & ATTR_F_OPTIONAL) ||
		    !(u->flags & ATTR_F_TRANSITIVE) || n + one > UINT16_MAX)
			continue;
		n += one;
	}
	return n;
}

static void put_unknown(uint8_t *out, const struct bgp_attrs *a)
{
	size_t n = 0;
	for (unsigned i = 0; i < a->n_unknown && i < BGP_MAX_UNKNOWN_ATTRS;
	     i++) {
		const struct bgp_raw_attr *u = &a->unknown[i];
		size_t one = 3u + (u->len > 255) + u->len;
		uint8_t fl = (u->flags | ATTR_F_PARTIAL) & ~ATTR_F_EXTLEN;
		if (!(u->flags & ATTR_F_OPTIONAL) ||
		    !(u->flags & ATTR_F_TRANSITIVE) || n + one > UINT16_MAX)
			continue;
		out[n++] = u->len > 255 ? fl | ATTR_F_EXTLEN : fl;
		out[n++] = u->code;
		if (u->len > 255)
			out[n++] = (uint8_t)(u->len >> 8);
		out[n++] = (uint8_t)u->len;
		if (u->len)
			memcpy(out + n, u->data, u->len);
		n += u->len;
	}
}

static void set_addr(struct addr *dst, const struct addr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src || (src->afi != AFI_IPV4 && src->afi != AFI_IPV6))
		return;
	dst->afi = src->afi;
	memcpy(dst->b, src->b, src->afi == AFI_IPV4 ? 4 : 16);
}

/* The well-known communities that limit export (RFC 1997). */
static void scan_communities(struct rattr *ra)
{
	const uint8_t *c = rattr_communities(ra);
	for (unsigned i = 0; i < ra->n_communities; i++, c += 4) {
		uint32_t v = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
			     (uint32_t)c[2] << 8 | c[3];
		if (v == COMMUNITY_NO_ADVERTISE)
			ra->no_advertise = 1;
		else if (v == COMMUNITY_NO_EXPORT ||
			 v == COMMUNITY_NO_EXPORT_SUBCONFED)
			ra->no_export = 1;
	}
}

static void fill_fixed(struct rattr *ra, const struct bgp_attrs *a)
{
	uint64_t pr = a->present;
	ra->origin = a->origin;
	ra->has_med = !!(pr & ATTR_BIT(ATTR_MED));
	ra->has_local_pref = !!(pr & ATTR_BIT(ATTR_LOCAL_PREF));
	ra->atomic_aggregate = !!(pr & ATTR_BIT(ATTR_ATOMIC_AGGREGATE));
	ra->has_aggregator = !!(pr & ATTR_BIT(ATTR_AGGREGATOR));
	ra->med = ra->has_med ? a->med : 0;
	ra->local_pref = ra->has_local_pref ? a->local_pref : 0;
	if (ra->has_aggregator) {
		ra->aggregator_as = a->aggregator_as;
		ra->aggregator_addr = a->aggregator_addr;
	}
}

/* Build the normalized candidate (not yet interned). */
static struct rattr *build(const struct bgp_attrs *a, const struct addr *nh,
			   const struct addr *nh_ll)
{
	uint16_t asl = a->aspath_len <= BGP_ASPATH_MAX ? a->aspath_len : 0;
	uint16_t nc = a->communities ? a->n_communities : 0;
	uint16_t ne = a->ext_communities ? a->n_ext_communities : 0;
	uint16_t nl = a->large_communities ? a->n_large_communities : 0;
	size_t ul = unknown_bytes(a);
	size_t var = asl + 4u * nc + 8u * ne + 12u * nl + ul;
	struct rattr *ra = calloc(1, sizeof(*ra) + var);
	uint8_t *d;

	if (!ra)
		return NULL;
	fill_fixed(ra, a);
	ra->aspath_len = asl;
	if (asl) { /* AS_SET counts 1, confederation segments 0 */
		unsigned hops = aspath_length(a);
		ra->aspath_hops = (uint16_t)(hops > UINT16_MAX ? UINT16_MAX
							      : hops);
	}
	ra->n_communities = nc;
	ra->n_ext_communities = ne;
	ra->n_large_communities = nl;
	ra->unknown_len = (uint16_t)ul;
	set_addr(&ra->next_hop, nh);
	set_addr(&ra->next_hop_ll, nh_ll);
	d = ra->data;
	memcpy(d, a->aspath, asl);
	d += asl;
	if (nc)
		memcpy(d, a->communities, 4u * nc);
	d += 4u * nc;
	if (ne)
		memcpy(d, a->ext_communities, 8u * ne);
	d += 8u * ne;
	if (nl)
		memcpy(d, a->large_communities, 12u * nl);
	d += 12u * nl;
	put_unknown(d, a);
	scan_communities(ra);
	ra->hash = hash_bytes((const uint8_t *)ra + KEY_OFF,
			      sizeof(*ra) - KEY_OFF + var);
	return ra;
}

struct rattr *rattr_intern_nh(struct rib *rib, const struct bgp_attrs *a,
			      const struct addr *nh, const struct addr *nh_ll)
{
	struct attr_table *t = &rib->attrs;
	struct rattr *ra = build(a, nh, nh_ll), *x;
	size_t sz;

	if (!ra)
		return NULL;
	sz = rattr_size(ra);
	for (x = t->buckets[ra->hash & t->mask]; x; x = x->hnext) {
		if (x->hash == ra->hash && rattr_size(x) == sz &&
		    !memcmp((const uint8_t *)x + KEY_OFF,
			    (const uint8_t *)ra + KEY_OFF, sz - KEY_OFF)) {
			free(ra);
			x->refcnt++;
			return x;
		}
	}
	if (!(ra->id = id_alloc(rib, ra))) {
		free(ra);
		return NULL;
	}
	ra->refcnt = 1;
	ra->hnext = t->buckets[ra->hash & t->mask];
	t->buckets[ra->hash & t->mask] = ra;
	rib->bytes += sz;
	if (++t->count > (size_t)t->mask + 1)
		attr_table_resize(rib, (t->mask + 1) * 2);
	return ra;
}

struct rattr *rattr_intern(struct rib *rib, const struct bgp_attrs *a)
{
	uint64_t pr = a->present;
	if ((pr & ATTR_BIT(ATTR_MP_REACH)) && a->mp_next_hop.afi)
		return rattr_intern_nh(rib, a, &a->mp_next_hop,
				       &a->mp_next_hop_ll);
	if (pr & ATTR_BIT(ATTR_NEXT_HOP))
		return rattr_intern_nh(rib, a, &a->next_hop, NULL);
	return rattr_intern_nh(rib, a, &a->mp_next_hop, &a->mp_next_hop_ll);
}

void rattr_ref(struct rattr *ra)
{
	ra->refcnt++;
}

void rattr_unref(struct rib *rib, struct rattr *ra)
{
	struct attr_table *t = &rib->attrs;
	struct rattr **pp;
	if (!ra || --ra->refcnt)
		return;
	for (pp = &t->buckets[ra->hash & t->mask]; *pp; pp = &(*pp)->hnext) {
		if (*pp == ra) {
			*pp = ra->hnext;
			break;
		}
	}
	id_free(rib, ra->id);
	acct_free(&rib->bytes, ra, rattr_size(ra));
	if (--t->count == 0) { /* the last set: give the tables back */
		if (t->mask + 1 > ATTR_TABLE_MIN)
			attr_table_resize(rib, ATTR_TABLE_MIN);
		acct_free(&rib->bytes, t->ids.v, t->ids.cap * sizeof(*t->ids.v));
		memset(&t->ids, 0, sizeof(t->ids));
	}
}

/* Unknown attributes back into raw form, pointing into ra. */
static void get_unknown(const struct rattr *ra, struct bgp_attrs *out)
{
	const uint8_t *u = rattr_unknown(ra), *end = u + ra->unknown_len;
	while (u + 3 <= end && out->n_unknown < BGP_MAX_UNKNOWN_ATTRS) {
		struct bgp_raw_attr *r = &out->unknown[out->n_unknown++];
		r->flags = u[0];
		r->code = u[1];
		if (u[0] & ATTR_F_EXTLEN) {
			r->len = (uint16_t)(u[2] << 8 | u[3]);
			u += 4;
		} else {
			r->len = u[2];
			u += 3;
		}
		r->data = u;
		u += r->len;
	}
}

void rattr_to_bgp(const struct rattr *ra, struct bgp_attrs *out)
{
	memset(out, 0, sizeof(*out));
	out->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH);
	out->origin = ra->origin;
	out->aspath_len = ra->aspath_len;
	memcpy(out->aspath, rattr_aspath(ra), ra->aspath_len);
	if (ra->next_hop.afi == AFI_IPV4) {
		out->next_hop = ra->next_hop;
		out->present |= ATTR_BIT(ATTR_NEXT_HOP);
	} else if (ra->next_hop.afi == AFI_IPV6) {
		out->mp_afi = AFI_IPV6;
		out->mp_safi = SAFI_UNICAST;
		out->mp_next_hop = ra->next_hop;
		out->mp_next_hop_ll = ra->next_hop_ll;
	}
	if (ra->has_med)
		out->present |= ATTR_BIT(ATTR_MED);
	if (ra->has_local_pref)
		out->present |= ATTR_BIT(ATTR_LOCAL_PREF);
	if (ra->atomic_aggregate)
		out->present |= ATTR_BIT(ATTR_ATOMIC_AGGREGATE);
	if (ra->has_aggregator)
		out->present |= ATTR_BIT(ATTR_AGGREGATOR);
	out->med = ra->med;
	out->local_pref = ra->local_pref;
	out->aggregator_as = ra->aggregator_as;
	out->aggregator_addr = ra->aggregator_addr;
	if ((out->n_communities = ra->n_communities)) {
		out->communities = rattr_communities(ra);
		out->present |= ATTR_BIT(ATTR_COMMUNITIES);
	}
	if ((out->n_ext_communities = ra->n_ext_communities)) {
		out->ext_communities = rattr_ext_communities(ra);
		out->present |= ATTR_BIT(ATTR_EXT_COMMUNITIES);
	}
	if ((out->n_large_communities = ra->n_large_communities)) {
		out->large_communities = rattr_large_communities(ra);
		out->present |= ATTR_BIT(ATTR_LARGE_COMMUNITIES);
	}
	get_unknown(ra, out);
}
