/*
 * prefix.h - IPv4/IPv6 addresses and prefixes as plain values.
 *
 * Every stage of pharos (codec, RIB, policy, fabric, API) speaks in these
 * two small structs, so they live in core and have no dependencies.
 * Addresses are stored in network byte order in a 16-byte array; an IPv4
 * address uses the first 4 bytes and leaves the rest zero, so memcmp-based
 * comparisons and hashing work for both families.
 */
#ifndef PHAROS_CORE_PREFIX_H
#define PHAROS_CORE_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <endian.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* BGP address family identifiers (RFC 4760); also used as our family tag. */
enum { AFI_IPV4 = 1, AFI_IPV6 = 2 };
enum { SAFI_UNICAST = 1 };

#define PREFIX_STRLEN 50 /* "ffff:...:ffff/128" plus NUL, with room */
#define ADDR_STRLEN 46

struct addr {
	uint8_t afi; /* AFI_IPV4 or AFI_IPV6 */
	uint8_t b[16];
};

struct prefix {
	uint8_t afi; /* AFI_IPV4 or AFI_IPV6 */
	uint8_t len; /* 0..32 or 0..128 */
	uint8_t b[16]; /* host bits are always zero */
};

/* Maximum prefix length for a family (32 or 128), 0 for an unknown one. */
static inline unsigned afi_maxlen(uint8_t afi)
{
	return afi == AFI_IPV4 ? 32 : afi == AFI_IPV6 ? 128 : 0;
}

/* Parse "198.18.0.1" or "2001:db8::1". Returns 0, or -1 when not an address. */
int addr_parse(const char *s, struct addr *a);
/* Format into buf (at least ADDR_STRLEN bytes); returns buf. */
char *addr_fmt(const struct addr *a, char *buf, size_t len);
int addr_cmp(const struct addr *a, const struct addr *b);
bool addr_eq(const struct addr *a, const struct addr *b);

/*
 * Parse "198.18.0.0/15" or "2001:db8::/32". A missing "/len" means a host
 * prefix. Returns 0; -1 for a syntax error; -2 when host bits are set
 * (the prefix is still returned, masked, so callers may choose to accept).
 */
int prefix_parse(const char *s, struct prefix *p);
char *prefix_fmt(const struct prefix *p, char *buf, size_t len);
/* Build a prefix from an address and a length, clearing host bits. */
void prefix_from_addr(struct prefix *p, const struct addr *a, unsigned len);

/* The hot comparisons below are inline and work on 64-bit words: the
 * RIB, import and policy call them for every prefix of every UPDATE. */

/* Address bytes 8i..8i+7 of b as a number. */
static inline uint64_t prefix_word(const uint8_t *b, unsigned i)
{
	uint64_t v;
	memcpy(&v, b + 8 * i, 8);
	return be64toh(v);
}

/* Whether the first len bits (0..128) of a and b (16 bytes each) agree. */
static inline bool prefix_bits_eq(const uint8_t *a, const uint8_t *b,
				  unsigned len)
{
	uint64_t x = prefix_word(a, 0) ^ prefix_word(b, 0);
	if (len <= 64)
		return len == 0 || x >> (64 - len) == 0;
	return x == 0 &&
	       (prefix_word(a, 1) ^ prefix_word(b, 1)) >> (128 - len) == 0;
}

/* p with its host bits cleared (and, for IPv4, the 12 unused bytes). */
static inline void prefix_norm(struct prefix *k, const struct prefix *p)
{
	uint64_t hi = prefix_word(p->b, 0), lo = prefix_word(p->b, 1);
	unsigned len = p->len;

	k->afi = p->afi;
	k->len = p->len;
	if (len < 64) {
		hi = len ? hi & ~0ull << (64 - len) : 0;
		lo = 0;
	} else if (len < 128) {
		lo = len > 64 ? lo & ~0ull << (128 - len) : 0;
	}
	hi = htobe64(hi);
	lo = htobe64(lo);
	memcpy(k->b, &hi, 8);
	memcpy(k->b + 8, &lo, 8);
}

/* Total order: family, then address bytes, then length. */
static inline int prefix_cmp(const struct prefix *a, const struct prefix *b)
{
	uint64_t x, y;
	if (a->afi != b->afi)
		return a->afi < b->afi ? -1 : 1;
	x = prefix_word(a->b, 0);
	y = prefix_word(b->b, 0);
	if (a->afi != AFI_IPV6) { /* 4 bytes */
		x >>= 32;
		y >>= 32;
	} else if (x == y) {
		x = prefix_word(a->b, 1);
		y = prefix_word(b->b, 1);
	}
	if (x != y)
		return x < y ? -1 : 1;
	return (int)a->len - (int)b->len;
}

static inline bool prefix_eq(const struct prefix *a, const struct prefix *b)
{
	return a->afi == b->afi && a->len == b->len &&
	       prefix_word(a->b, 0) == prefix_word(b->b, 0) &&
	       prefix_word(a->b, 1) == prefix_word(b->b, 1);
}

/* True when outer covers inner (same family, outer->len <= inner->len). */
static inline bool prefix_contains(const struct prefix *outer,
				   const struct prefix *inner)
{
	return outer->afi == inner->afi && outer->len <= inner->len &&
	       prefix_bits_eq(outer->b, inner->b, outer->len);
}

static inline bool prefix_contains_addr(const struct prefix *p,
					const struct addr *a)
{
	return p->afi == a->afi && prefix_bits_eq(p->b, a->b, p->len);
}

bool prefix_overlaps(const struct prefix *a, const struct prefix *b);
/* Bit i (0 = most significant) of the address bytes. */
static inline unsigned prefix_bit(const uint8_t *b, unsigned i)
{
	return (b[i >> 3] >> (7 - (i & 7))) & 1;
}

/* An address (and port) as a socket address; returns its length. */
socklen_t addr_to_sockaddr(const struct addr *a, uint16_t port,
			   struct sockaddr_storage *ss);
/* The address of a socket address; ::ffff:a.b.c.d is mapped back to
 * IPv4. */
void addr_from_sockaddr(const struct sockaddr_storage *ss, struct addr *a);

#endif
