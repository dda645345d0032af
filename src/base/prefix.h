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
#include <stdint.h>
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
/* p with its host bits cleared (and, for IPv4, the 12 unused bytes). */
void prefix_norm(struct prefix *k, const struct prefix *p);
/* Total order: family, then address bytes, then length. */
int prefix_cmp(const struct prefix *a, const struct prefix *b);
bool prefix_eq(const struct prefix *a, const struct prefix *b);
/* True when outer covers inner (same family, outer->len <= inner->len). */
bool prefix_contains(const struct prefix *outer, const struct prefix *inner);
bool prefix_contains_addr(const struct prefix *p, const struct addr *a);
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
