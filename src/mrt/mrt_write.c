/*
 * mrt_write.c - MRT (RFC 6396) writer: TABLE_DUMP_V2 RIB dumps and
 * BGP4MP_MESSAGE_AS4 / STATE_CHANGE_AS4 records appended to a growable
 * buffer, in the exact form bgpdump and other MRT readers expect.
 *
 * RIB entry attributes are encoded by the BGP codec with 4-octet ASNs; an
 * IPv6 entry's next hop goes in an abbreviated MP_REACH (next hop length
 * and next hop only, RFC 6396 4.3.4).
 */
#include <stdlib.h>
#include <string.h>

#include "mrt/mrt.h"

void mrt_wbuf_free(struct mrt_wbuf *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

/* Make room for n more bytes. */
static int reserve(struct mrt_wbuf *w, size_t n)
{
	size_t ncap;
	uint8_t *np;

	if (w->oom)
		return -1;
	if (w->cap - w->len >= n)
		return 0;
	ncap = w->cap ? w->cap : 65536;
	while (ncap - w->len < n)
		ncap *= 2;
	np = realloc(w->p, ncap);
	if (!np) {
		w->oom = true;
		return -1;
	}
	w->p = np;
	w->cap = ncap;
	return 0;
}

static void put8(struct mrt_wbuf *w, uint8_t v)
{
	w->p[w->len++] = v;
}

static void put16(struct mrt_wbuf *w, uint16_t v)
{
	w->p[w->len++] = (uint8_t)(v >> 8);
	w->p[w->len++] = (uint8_t)v;
}

static void put32(struct mrt_wbuf *w, uint32_t v)
{
	put16(w, (uint16_t)(v >> 16));
	put16(w, (uint16_t)v);
}

static void putaddr(struct mrt_wbuf *w, const struct addr *a)
{
	size_t n = a->afi == AFI_IPV6 ? 16 : 4;

	memcpy(w->p + w->len, a->b, n);
	w->len += n;
}

/* Common header with a length to fix later; returns the record start. */
static size_t begin(struct mrt_wbuf *w, uint32_t ts, uint16_t type,
		    uint16_t subtype)
{
	size_t start = w->len;

	put32(w, ts);
	put16(w, type);
	put16(w, subtype);
	put32(w, 0);
	return start;
}

static void finish(struct mrt_wbuf *w, size_t start)
{
	uint32_t n = (uint32_t)(w->len - start - MRT_HDR_LEN);
	uint8_t *p = w->p + start + 8;

	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
}

int mrt_write_peer_index(struct mrt_wbuf *w, uint32_t ts, uint32_t collector_id,
			 const char *view, const struct mrt_peer *peers,
			 unsigned n)
{
	size_t vlen = view ? strlen(view) : 0, start;

	if (n > 65535 || vlen > 65535 ||
	    reserve(w, MRT_HDR_LEN + 8 + vlen + (size_t)n * 25) < 0)
		return -1;
	start = begin(w, ts, MRT_TABLE_DUMP_V2, MRT_TD2_PEER_INDEX_TABLE);
	memcpy(w->p + w->len, &collector_id, 4);
	w->len += 4;
	put16(w, (uint16_t)vlen);
	if (vlen)
		memcpy(w->p + w->len, view, vlen);
	w->len += vlen;
	put16(w, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		/* bit 0: IPv6 address, bit 1: 4-octet AS (always) */
		put8(w, (uint8_t)(2 | (peers[i].addr.afi == AFI_IPV6)));
		memcpy(w->p + w->len, &peers[i].bgp_id, 4);
		w->len += 4;
		putaddr(w, &peers[i].addr);
		put32(w, peers[i].asn);
	}
	finish(w, start);
	return 0;
}

/* Attributes of one IPv6 or IPv4 entry, with the attribute length first. */
static int put_entry_attrs(struct mrt_wbuf *w, const struct bgp_attrs *a,
			   uint8_t afi)
{
	static const struct bgp_session_caps caps = { .as4 = true,
						      .ext_message = true,
						      .ebgp = true };
	size_t lenpos = w->len, room = 65535;
	struct bgp_attrs *copy = NULL;
	const struct bgp_attrs *src = a;
	int n;

	if (reserve(w, 2 + room) < 0)
		return -1;
	if (afi == AFI_IPV6 && (a->present & ATTR_BIT(ATTR_NEXT_HOP))) {
		copy = malloc(sizeof(*copy));
		if (!copy)
			return -1;
		memcpy(copy, a, sizeof(*copy));
		copy->present &= ~ATTR_BIT(ATTR_NEXT_HOP);
		src = copy;
	}
	w->len += 2;
	n = bgp_attrs_encode(src, &caps, w->p + w->len, room - 40);
	free(copy);
	if (n < 0)
		return -1;
	w->len += (size_t)n;
	if (afi == AFI_IPV6) {
		bool ll = a->mp_next_hop_ll.afi == AFI_IPV6;
		uint8_t nhl = ll ? 32 : 16;

		put8(w, ATTR_F_OPTIONAL);
		put8(w, ATTR_MP_REACH);
		put8(w, (uint8_t)(1 + nhl));
		put8(w, nhl);
		memcpy(w->p + w->len, a->mp_next_hop.b, 16);
		w->len += 16;
		if (ll) {
			memcpy(w->p + w->len, a->mp_next_hop_ll.b, 16);
			w->len += 16;
		}
	}
	n = (int)(w->len - lenpos - 2);
	w->p[lenpos] = (uint8_t)(n >> 8);
	w->p[lenpos + 1] = (uint8_t)n;
	return 0;
}

int mrt_write_rib(struct mrt_wbuf *w, uint32_t ts, uint32_t seq,
		  const struct prefix *p, const struct mrt_rib_out *entries,
		  unsigned n)
{
	size_t start, nb = (p->len + 7u) / 8;

	if (n > 65535 || (p->afi != AFI_IPV4 && p->afi != AFI_IPV6) ||
	    reserve(w, MRT_HDR_LEN + 7 + nb) < 0)
		return -1;
	start = begin(w, ts, MRT_TABLE_DUMP_V2,
		      p->afi == AFI_IPV4 ? MRT_TD2_RIB_IPV4_UNICAST
					 : MRT_TD2_RIB_IPV6_UNICAST);
	put32(w, seq);
	put8(w, p->len);
	memcpy(w->p + w->len, p->b, nb);
	w->len += nb;
	put16(w, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		if (reserve(w, 6) < 0)
			return -1;
		put16(w, entries[i].peer_index);
		put32(w, entries[i].originated);
		if (put_entry_attrs(w, entries[i].attrs, p->afi) < 0) {
			w->len = start; /* drop the partial record */
			return -1;
		}
	}
	finish(w, start);
	return 0;
}

/* The BGP4MP_*_AS4 prefix: ASNs, interface, AFI, addresses. */
static void put_bgp4mp_head(struct mrt_wbuf *w, uint32_t peer_as,
			    uint32_t local_as, const struct addr *peer,
			    const struct addr *local)
{
	put32(w, peer_as);
	put32(w, local_as);
	put16(w, 0); /* interface index */
	put16(w, peer->afi == AFI_IPV6 ? AFI_IPV6 : AFI_IPV4);
	putaddr(w, peer);
	/* Both addresses share the AFI; a local address of the other family
	 * is written as zeros. */
	if (local->afi == peer->afi) {
		putaddr(w, local);
	} else {
		size_t k = peer->afi == AFI_IPV6 ? 16 : 4;

		memset(w->p + w->len, 0, k);
		w->len += k;
	}
}

int mrt_write_bgp4mp_msg(struct mrt_wbuf *w, uint32_t ts, uint32_t peer_as,
			 uint32_t local_as, const struct addr *peer,
			 const struct addr *local, const uint8_t *msg,
			 size_t msg_len)
{
	size_t start;

	if (msg_len > BGP_EXT_MAX_LEN ||
	    reserve(w, MRT_HDR_LEN + 44 + msg_len) < 0)
		return -1;
	start = begin(w, ts, MRT_BGP4MP, MRT_BGP4MP_MESSAGE_AS4);
	put_bgp4mp_head(w, peer_as, local_as, peer, local);
	memcpy(w->p + w->len, msg, msg_len);
	w->len += msg_len;
	finish(w, start);
	return 0;
}

int mrt_write_bgp4mp_state(struct mrt_wbuf *w, uint32_t ts, uint32_t peer_as,
			   uint32_t local_as, const struct addr *peer,
			   const struct addr *local, uint16_t old_state,
			   uint16_t new_state)
{
	size_t start;

	if (reserve(w, MRT_HDR_LEN + 48) < 0)
		return -1;
	start = begin(w, ts, MRT_BGP4MP, MRT_BGP4MP_STATE_CHANGE_AS4);
	put_bgp4mp_head(w, peer_as, local_as, peer, local);
	put16(w, old_state);
	put16(w, new_state);
	finish(w, start);
	return 0;
}
