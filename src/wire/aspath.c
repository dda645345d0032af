/*
 * aspath.c - AS_PATH helpers for the wire codec.
 *
 * Decoded paths are kept in one normalized form: segments of (type, count,
 * count 4-octet ASNs), whatever the session's ASN width. This file
 * validates and normalizes received paths, merges AS4_PATH into a 2-octet
 * path (RFC 6793 4.2.3), writes paths back for 4-octet and 2-octet peers
 * (AS_TRANS plus AS4_PATH), and offers the small queries the RIB and
 * policy need (length, contains, origin AS, prepend, formatting).
 */
#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "wire/wire.h"

static bool seg_type_ok(uint8_t t)
{
	return t >= AS_SET && t <= AS_CONFED_SET;
}

int aspath_decode(struct bgp_attrs *a, const uint8_t *p, size_t len, bool as4)
{
	size_t w = as4 ? 4 : 2, off = 0, out = 0;

	while (off < len) {
		if (len - off < 2)
			return -1;
		uint8_t type = p[off], cnt = p[off + 1];
		if (!seg_type_ok(type) || cnt == 0)
			return -1;
		off += 2;
		if ((size_t)cnt * w > len - off)
			return -1;
		if (out + 2 + (size_t)cnt * 4 > BGP_ASPATH_MAX)
			return -1;
		a->aspath[out++] = type;
		a->aspath[out++] = cnt;
		for (unsigned i = 0; i < cnt; i++, off += w, out += 4) {
			uint32_t asn = as4 ? get32(p + off) :
					     (uint32_t)(p[off] << 8 | p[off + 1]);
			put32(a->aspath + out, asn);
		}
	}
	a->aspath_len = (uint16_t)out;
	return 0;
}

int aspath_as4_check(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		if (len - off < 2)
			return -1;
		uint8_t type = p[off], cnt = p[off + 1];
		if ((type != AS_SET && type != AS_SEQUENCE) || cnt == 0)
			return -1;
		off += 2;
		if ((size_t)cnt * 4 > len - off)
			return -1;
		off += (size_t)cnt * 4;
	}
	return 0;
}

/* Path length as RFC 6793 4.2.3 counts it: sets 1, confederations 0. */
static unsigned count_wire4(const uint8_t *p, size_t len)
{
	unsigned n = 0;

	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)p[off + 1] * 4) {
		if (p[off] == AS_SEQUENCE)
			n += p[off + 1];
		else if (p[off] == AS_SET)
			n++;
	}
	return n;
}

unsigned aspath_length(const struct bgp_attrs *a)
{
	return count_wire4(a->aspath, a->aspath_len);
}

/* Append one segment to out (normalized), merging adjacent sequences. */
static size_t append_seg(uint8_t *out, size_t olen, size_t *last_seg,
			 uint8_t type, const uint8_t *asns, unsigned cnt)
{
	while (cnt > 0) {
		size_t ls = *last_seg;
		if (type == AS_SEQUENCE && ls != SIZE_MAX &&
		    out[ls] == AS_SEQUENCE && out[ls + 1] < 255) {
			unsigned room = 255 - out[ls + 1];
			unsigned k = cnt < room ? cnt : room;
			if (olen + k * 4 > BGP_ASPATH_MAX)
				return olen;
			memcpy(out + olen, asns, k * 4);
			out[ls + 1] += k;
			olen += k * 4;
			asns += k * 4;
			cnt -= k;
			continue;
		}
		unsigned k = cnt > 255 ? 255 : cnt;
		if (olen + 2 + k * 4 > BGP_ASPATH_MAX)
			return olen;
		*last_seg = olen;
		out[olen] = type;
		out[olen + 1] = k;
		memcpy(out + olen + 2, asns, k * 4);
		olen += 2 + k * 4;
		asns += k * 4;
		cnt -= k;
	}
	return olen;
}

void aspath_merge_as4(struct bgp_attrs *a, const uint8_t *as4, size_t len)
{
	unsigned n_path = aspath_length(a), n_as4 = count_wire4(as4, len);
	uint8_t out[BGP_ASPATH_MAX];
	size_t olen = 0, last = SIZE_MAX;

	if (n_path < n_as4)
		return; /* RFC 6793 4.2.3: ignore AS4_PATH */
	unsigned keep = n_path - n_as4;
	for (size_t off = 0; off + 2 <= a->aspath_len;) {
		uint8_t type = a->aspath[off], cnt = a->aspath[off + 1];
		const uint8_t *asns = a->aspath + off + 2;
		off += 2 + (size_t)cnt * 4;
		if (type == AS_CONFED_SEQUENCE || type == AS_CONFED_SET) {
			olen = append_seg(out, olen, &last, type, asns, cnt);
			continue;
		}
		if (keep == 0)
			continue; /* confed segments later are still kept */
		if (type == AS_SET) {
			olen = append_seg(out, olen, &last, type, asns, cnt);
			keep--;
		} else {
			unsigned k = cnt < keep ? cnt : keep;
			olen = append_seg(out, olen, &last, type, asns, k);
			keep -= k;
		}
	}
	for (size_t off = 0; off + 2 <= len; off += 2 + (size_t)as4[off + 1] * 4)
		olen = append_seg(out, olen, &last, as4[off], as4 + off + 2,
				  as4[off + 1]);
	memcpy(a->aspath, out, olen);
	a->aspath_len = (uint16_t)olen;
}

int aspath_encode(const struct bgp_attrs *a, bool as4, uint8_t *out,
		  size_t cap, bool *need_as4)
{
	size_t o = 0;

	if (need_as4)
		*need_as4 = false;
	if (as4) {
		if (a->aspath_len > cap)
			return -1;
		memcpy(out, a->aspath, a->aspath_len);
		return a->aspath_len;
	}
	for (size_t off = 0; off + 2 <= a->aspath_len;) {
		uint8_t cnt = a->aspath[off + 1];
		if (o + 2 + (size_t)cnt * 2 > cap)
			return -1;
		out[o++] = a->aspath[off];
		out[o++] = cnt;
		off += 2;
		for (unsigned i = 0; i < cnt; i++, off += 4) {
			uint32_t asn = get32(a->aspath + off);
			if (asn > 0xffff) {
				asn = AS_TRANS;
				if (need_as4)
					*need_as4 = true;
			}
			out[o++] = asn >> 8;
			out[o++] = asn & 0xff;
		}
	}
	return (int)o;
}

int aspath_encode_as4(const struct bgp_attrs *a, uint8_t *out, size_t cap)
{
	size_t o = 0;

	for (size_t off = 0; off + 2 <= a->aspath_len;) {
		uint8_t type = a->aspath[off];
		size_t sl = 2 + (size_t)a->aspath[off + 1] * 4;
		if (type == AS_SET || type == AS_SEQUENCE) {
			if (o + sl > cap)
				return -1;
			memcpy(out + o, a->aspath + off, sl);
			o += sl;
		}
		off += sl;
	}
	return (int)o;
}

void aspath_iter_init(struct aspath_iter *it, const struct bgp_attrs *a)
{
	it->p = a->aspath;
	it->end = a->aspath + a->aspath_len;
	it->seg_type = 0;
	it->seg_left = 0;
}

int aspath_iter_next(struct aspath_iter *it, uint32_t *asn)
{
	while (it->seg_left == 0) {
		if (it->end - it->p < 2)
			return 0;
		it->seg_type = it->p[0];
		it->seg_left = it->p[1];
		it->p += 2;
	}
	if (it->end - it->p < 4)
		return 0;
	*asn = get32(it->p);
	it->p += 4;
	it->seg_left--;
	return 1;
}

int aspath_fmt(const struct bgp_attrs *a, char *buf, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return 0;
	buf[0] = 0;
	for (size_t off = 0; off + 2 <= a->aspath_len;) {
		uint8_t type = a->aspath[off], cnt = a->aspath[off + 1];
		bool set = type == AS_SET || type == AS_CONFED_SET;
		bool confed = type >= AS_CONFED_SEQUENCE;
		const char *open = set ? (confed ? "[" : "{") : (confed ? "(" : "");
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s",
			      off ? " " : "", open);
		off += 2;
		for (unsigned i = 0; i < cnt; i++, off += 4)
			o += snprintf(buf + o, o < len ? len - o : 0, "%s%u",
				      i ? (set ? "," : " ") : "",
				      get32(a->aspath + off));
		const char *close = set ? (confed ? "]" : "}") : (confed ? ")" : "");
		o += snprintf(buf + o, o < len ? len - o : 0, "%s", close);
	}
	return (int)(o < len ? o : len - 1);
}

void aspath_set_sequence(struct bgp_attrs *a, const uint32_t *asns, unsigned n)
{
	size_t olen = 0, last = SIZE_MAX;
	uint8_t tmp[4 * 255];

	for (unsigned i = 0; i < n;) {
		unsigned k = 0;
		for (; k < 255 && i < n; k++, i++)
			put32(tmp + 4 * k, asns[i]);
		olen = append_seg(a->aspath, olen, &last, AS_SEQUENCE, tmp, k);
	}
	a->aspath_len = (uint16_t)olen;
	a->present |= ATTR_BIT(ATTR_AS_PATH);
}

int aspath_prepend(struct bgp_attrs *a, uint32_t asn)
{
	uint8_t *p = a->aspath;

	if (a->aspath_len >= 2 && p[0] == AS_SEQUENCE && p[1] < 255) {
		if (a->aspath_len + 4 > BGP_ASPATH_MAX)
			return -1;
		memmove(p + 6, p + 2, a->aspath_len - 2);
		p[1]++;
		put32(p + 2, asn);
		a->aspath_len += 4;
	} else {
		if (a->aspath_len + 6 > BGP_ASPATH_MAX)
			return -1;
		memmove(p + 6, p, a->aspath_len);
		p[0] = AS_SEQUENCE;
		p[1] = 1;
		put32(p + 2, asn);
		a->aspath_len += 6;
	}
	a->present |= ATTR_BIT(ATTR_AS_PATH);
	return 0;
}

bool aspath_contains(const struct bgp_attrs *a, uint32_t asn)
{
	struct aspath_iter it;
	uint32_t x;

	aspath_iter_init(&it, a);
	while (aspath_iter_next(&it, &x))
		if (x == asn)
			return true;
	return false;
}

uint32_t aspath_origin_as(const struct bgp_attrs *a)
{
	uint32_t origin = 0;

	for (size_t off = 0; off + 2 <= a->aspath_len;) {
		uint8_t type = a->aspath[off], cnt = a->aspath[off + 1];
		if (type == AS_SEQUENCE && cnt > 0)
			origin = get32(a->aspath + off + 2 + (size_t)(cnt - 1) * 4);
		off += 2 + (size_t)cnt * 4;
	}
	return origin;
}
