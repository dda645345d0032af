/*
 * fuzz_decode.c - libFuzzer target for the BGP wire codec.
 *
 * The input is a stream of BGP messages (as read from a socket, or one
 * raw message from a corpus). Each message goes through bgp_hdr_decode and
 * then the body decoder of its type, with every combination of 4-octet AS
 * and extended messages, with and without ADD-PATH (RFC 7911) path ids
 * in the NLRI; UPDATEs that decode are walked (every NLRI block) and
 * their attributes are encoded back, for both kinds of peers; with
 * ADD-PATH the NLRI are re-encoded with their path ids and decoded again,
 * which must give the same prefixes and ids.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct bgp_nlri_block *b)
{
	struct prefix p;
	uint32_t id;
	size_t off = 0;

	while (bgp_nlri_next_id(b, &off, &p, &id))
		if (p.len > afi_maxlen(p.afi) || (!b->addpath && id))
			__builtin_trap();
}

/* ADD-PATH round trip of the IPv4 NLRI: encode with ids, decode, compare. */
static void addpath_roundtrip(const struct bgp_update *u,
			      const struct bgp_session_caps *caps)
{
	static uint8_t out[BGP_EXT_MAX_LEN];
	struct bgp_update_builder b;
	struct bgp_update u2;
	struct prefix p, q;
	uint32_t id, id2;
	size_t off = 0, off2 = 0;
	unsigned n = 0;

	if (bgp_update_begin(&b, out, sizeof(out), AFI_IPV4, &u->attrs,
			     caps) != 0)
		return;
	b.addpath = true;
	while (bgp_nlri_next_id(&u->nlri, &off, &p, &id) &&
	       bgp_update_add_id(&b, &p, id) == 0)
		n++;
	size_t len = bgp_update_finish(&b);
	if (bgp_update_decode(out + BGP_HDR_LEN, len - BGP_HDR_LEN, caps, &u2,
			      NULL) == UPD_SESSION_RESET)
		__builtin_trap();
	off = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!bgp_nlri_next_id(&u->nlri, &off, &p, &id) ||
		    !bgp_nlri_next_id(&u2.nlri, &off2, &q, &id2) ||
		    !prefix_eq(&p, &q) || id != id2)
			__builtin_trap();
	}
}

static void reencode(const struct bgp_update *u)
{
	static const struct bgp_session_caps peers[2] = {
		{ .as4 = true, .ebgp = true },
		{ .as4 = false, .ebgp = true },
	};
	uint8_t out[BGP_EXT_MAX_LEN];
	struct bgp_update_builder b;

	for (int i = 0; i < 2; i++) {
		if (bgp_attrs_encode(&u->attrs, &peers[i], out, sizeof(out)) < 0)
			continue;
		if (bgp_update_begin(&b, out, sizeof(out), AFI_IPV4, &u->attrs,
				     &peers[i]) == 0) {
			struct prefix p;
			size_t off = 0;
			while (bgp_nlri_next(&u->nlri, &off, &p) &&
			       bgp_update_add(&b, &p) == 0)
				;
			bgp_update_finish(&b);
		}
	}
}

static void one_update(const uint8_t *body, size_t len,
		       const struct bgp_session_caps *caps)
{
	struct bgp_update u;
	struct bgp_notify err;

	int act = bgp_update_decode(body, len, caps, &u, &err);
	if (act == UPD_SESSION_RESET)
		return;
	walk(&u.withdrawn);
	walk(&u.nlri);
	if (u.has_mp_reach)
		walk(&u.mp_reach);
	if (u.has_mp_unreach)
		walk(&u.mp_unreach);
	if (act == UPD_OK)
		reencode(&u);
	if (act == UPD_OK && caps->addpath_rx[AFI_IPV4])
		addpath_roundtrip(&u, caps);
}

static void one_message(const uint8_t *m, size_t len, uint8_t type,
			const struct bgp_session_caps *caps)
{
	const uint8_t *body = m + BGP_HDR_LEN;
	size_t blen = len - BGP_HDR_LEN;
	struct bgp_notify n;

	switch (type) {
	case BGP_OPEN: {
		struct bgp_open o;
		uint8_t out[512];
		if (bgp_open_decode(body, blen, &o, &n) == 0)
			bgp_open_encode(&o, out, sizeof(out));
		break;
	}
	case BGP_UPDATE:
		one_update(body, blen, caps);
		break;
	case BGP_NOTIFICATION:
		bgp_notify_decode(body, blen, &n);
		break;
	case BGP_ROUTE_REFRESH: {
		struct bgp_route_refresh r;
		bgp_rr_decode(body, blen, &r, &n);
		break;
	}
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int v = 0; v < 8; v++) {
		struct bgp_session_caps caps = { .as4 = v & 1,
						 .ext_message = v & 2,
						 .ebgp = true };
		for (int afi = AFI_IPV4; afi <= AFI_IPV6; afi++)
			caps.addpath_rx[afi] = caps.addpath_tx[afi] = v & 4;
		size_t max = caps.ext_message ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
		size_t off = 0;
		while (size - off >= BGP_HDR_LEN) {
			struct bgp_hdr h;
			struct bgp_notify err;
			if (bgp_hdr_decode(data + off, size - off, max, &h,
					   &err) < 0)
				break;
			if (h.len > size - off)
				break;
			one_message(data + off, h.len, h.type, &caps);
			off += h.len;
		}
		/* a bare body, as corpora of UPDATE bodies hold */
		one_update(data, size, &caps);
	}
	return 0;
}
