/*
 * update.c - the UPDATE message: decode with RFC 7606 error actions, NLRI
 * validation and iteration, the incremental UPDATE builder and the
 * End-of-RIB marker (RFC 4724).
 *
 * Decoding is zero-copy: NLRI blocks point into the caller's buffer and
 * are validated once, here, so later iteration needs no checks beyond the
 * ones it repeats for safety. The attribute section is handled by the
 * table in attr.c.
 */
#include <string.h>

#include "base/bytes.h"
#include "wire/wire.h"

static void hdr_put(uint8_t *buf, uint16_t len)
{
	memset(buf, 0xff, BGP_MARKER_LEN);
	put16(buf + 16, len);
	buf[18] = BGP_UPDATE;
}

/* ------------------------------------------------------------- NLRI */

long bgp_nlri_validate(const uint8_t *p, size_t len, uint16_t afi)
{
	return bgp_nlri_validate_ap(p, len, afi, false);
}

long bgp_nlri_validate_ap(const uint8_t *p, size_t len, uint16_t afi,
			  bool addpath)
{
	unsigned max = afi_maxlen((uint8_t)afi);
	size_t off = 0;
	long n = 0;

	if (!max)
		return -1;
	while (off < len) {
		if (addpath) {
			if (len - off < 5)
				return -1;
			off += 4;
		}
		unsigned pl = p[off];
		size_t nb = (pl + 7) / 8;
		if (pl > max || nb > len - off - 1)
			return -1;
		off += 1 + nb;
		n++;
	}
	return n;
}

int bgp_nlri_next(const struct bgp_nlri_block *b, size_t *off,
		  struct prefix *pfx)
{
	uint32_t id;
	return bgp_nlri_next_id(b, off, pfx, &id);
}

int bgp_nlri_next_id(const struct bgp_nlri_block *b, size_t *off,
		     struct prefix *pfx, uint32_t *path_id)
{
	*path_id = 0;
	if (*off >= b->len)
		return 0;
	if (b->addpath) {
		if (b->len - *off < 5)
			return 0;
		*path_id = get32(b->p + *off);
		*off += 4;
	}
	unsigned pl = b->p[*off];
	size_t nb = (pl + 7) / 8;
	if (pl > afi_maxlen((uint8_t)b->afi) || nb > b->len - *off - 1)
		return 0;
	memset(pfx, 0, sizeof(*pfx));
	pfx->afi = (uint8_t)b->afi;
	pfx->len = (uint8_t)pl;
	memcpy(pfx->b, b->p + *off + 1, nb);
	if (pl & 7)
		pfx->b[nb - 1] &= (uint8_t)(0xff << (8 - (pl & 7)));
	*off += 1 + nb;
	return 1;
}

/* ----------------------------------------------------------- decode */

/* RFC 7606 3(d)/RFC 4271 6.3: well-known mandatory attributes present? */
static int check_mandatory(const struct bgp_update *u, struct bgp_notify *err)
{
	static const uint8_t codes[] = { ATTR_ORIGIN, ATTR_AS_PATH,
					 ATTR_NEXT_HOP };
	bool v4 = u->nlri.len > 0;

	if (!v4 && !u->has_mp_reach)
		return UPD_OK;
	for (unsigned i = 0; i < sizeof(codes); i++) {
		uint8_t c = codes[i];
		if (c == ATTR_NEXT_HOP && !v4)
			continue;
		if (!(u->attrs.present & ATTR_BIT(c))) {
			bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MISSING_WELLKNOWN,
				    &codes[i], 1,
				    "%s: missing (treat-as-withdraw)",
				    bgp_attr_name(c));
			return UPD_TREAT_AS_WITHDRAW;
		}
	}
	return UPD_OK;
}

static void detect_eor(struct bgp_update *u)
{
	if (u->withdrawn.len || u->nlri.len)
		return;
	if (u->attrs.present == 0 && !u->mp_unreach_unsupported &&
	    !u->mp_reach_unsupported) {
		u->end_of_rib = true;
		u->eor_afi = AFI_IPV4;
	} else if (u->attrs.present == ATTR_BIT(ATTR_MP_UNREACH) &&
		   u->has_mp_unreach && u->mp_unreach.len == 0) {
		u->end_of_rib = true;
		u->eor_afi = u->mp_unreach.afi;
	}
}

int bgp_update_decode(const uint8_t *body, size_t len,
		      const struct bgp_session_caps *caps, struct bgp_update *u,
		      struct bgp_notify *err)
{
	memset(u, 0, sizeof(*u));
	if (err) {
		err->code = err->subcode = 0;
		err->data_len = 0;
		err->reason[0] = 0;
	}
	size_t wlen = len >= 2 ? get16(body) : 0;
	if (len < 4 || 4 + wlen > len) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_ATTRLIST,
			    NULL, 0, "withdrawn routes length %zu overruns "
			    "the message (session reset)", wlen);
		return UPD_SESSION_RESET;
	}
	bool ap4 = caps && caps->addpath_rx[AFI_IPV4];
	u->withdrawn = (struct bgp_nlri_block){ body + 2, wlen, AFI_IPV4, ap4 };
	size_t alen = get16(body + 2 + wlen);
	if (4 + wlen + alen > len) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_ATTRLIST,
			    NULL, 0, "total path attribute length %zu overruns "
			    "the message (session reset)", alen);
		return UPD_SESSION_RESET;
	}
	const uint8_t *attrs = body + 4 + wlen;
	u->nlri = (struct bgp_nlri_block){ attrs + alen, len - 4 - wlen - alen,
					   AFI_IPV4, ap4 };
	if (bgp_nlri_validate_ap(u->withdrawn.p, wlen, AFI_IPV4, ap4) < 0 ||
	    bgp_nlri_validate_ap(u->nlri.p, u->nlri.len, AFI_IPV4, ap4) < 0) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_BAD_NETWORK, NULL, 0,
			    "%s cannot be parsed (session reset)",
			    bgp_nlri_validate_ap(u->withdrawn.p, wlen, AFI_IPV4,
						 ap4) < 0 ?
				    "withdrawn routes" : "NLRI");
		return UPD_SESSION_RESET;
	}
	int action = bgp_attrs_decode(attrs, alen, caps, u, err);
	if (action == UPD_OK)
		action = check_mandatory(u, err);
	if (action == UPD_OK)
		detect_eor(u);
	return action;
}

/* ---------------------------------------------------------- builder */

static size_t clamp_cap(size_t cap, const struct bgp_session_caps *caps)
{
	size_t max = caps && !caps->ext_message ? BGP_MAX_LEN : BGP_EXT_MAX_LEN;
	return cap < max ? cap : max;
}

/* MP_REACH/MP_UNREACH header at b->len, extended length for now. */
static int mp_open(struct bgp_update_builder *b, uint8_t code, uint16_t afi,
		   size_t extra)
{
	if (b->len + 7 + extra > b->cap)
		return -1;
	uint8_t *p = b->buf + b->len;
	b->mp_attr_off = b->len;
	p[0] = ATTR_F_OPTIONAL | ATTR_F_EXTLEN;
	p[1] = code;
	b->mp_len_off = b->len + 2;
	put16(p + 4, afi);
	p[6] = SAFI_UNICAST;
	b->len += 7;
	return 0;
}

int bgp_update_begin(struct bgp_update_builder *b, uint8_t *buf, size_t cap,
		     uint16_t afi, const struct bgp_attrs *attrs,
		     const struct bgp_session_caps *caps)
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = clamp_cap(cap, caps);
	b->afi = afi;
	if (b->cap < 23 || (afi != AFI_IPV4 && afi != AFI_IPV6))
		return -1;
	put16(buf + 19, 0);
	b->attr_len_off = 21;
	b->attr_start = 23;
	uint64_t skip = afi == AFI_IPV6 ? ATTR_BIT(ATTR_NEXT_HOP) : 0;
	int n = bgp_attrs_encode_skip(attrs, caps, skip, buf + 23, b->cap - 23);
	if (n < 0)
		return -1;
	b->len = 23 + (size_t)n;
	if (afi == AFI_IPV4) {
		put16(buf + 21, (uint16_t)n);
		return 0;
	}
	size_t nhl = attrs->mp_next_hop_ll.afi == AFI_IPV6 ? 32 : 16;
	if (mp_open(b, ATTR_MP_REACH, afi, 2 + nhl) < 0)
		return -1;
	uint8_t *p = buf + b->len;
	p[0] = (uint8_t)nhl;
	memcpy(p + 1, attrs->mp_next_hop.b, 16);
	if (nhl == 32)
		memcpy(p + 17, attrs->mp_next_hop_ll.b, 16);
	p[1 + nhl] = 0; /* reserved */
	b->len += 2 + nhl;
	return 0;
}

int bgp_update_begin_withdraw(struct bgp_update_builder *b, uint8_t *buf,
			      size_t cap, uint16_t afi)
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = clamp_cap(cap, NULL);
	b->afi = afi;
	b->withdraw = true;
	if (b->cap < 30 || (afi != AFI_IPV4 && afi != AFI_IPV6))
		return -1;
	put16(buf + 19, 0);
	b->len = 21;
	if (afi == AFI_IPV4)
		return 0;
	b->attr_len_off = 21;
	b->attr_start = 23;
	b->len = 23;
	return mp_open(b, ATTR_MP_UNREACH, afi, 0);
}

int bgp_update_add(struct bgp_update_builder *b, const struct prefix *p)
{
	return bgp_update_add_id(b, p, 0);
}

int bgp_update_add_id(struct bgp_update_builder *b, const struct prefix *p,
		      uint32_t path_id)
{
	size_t nb = ((size_t)p->len + 7) / 8;
	size_t reserve = b->withdraw && b->afi == AFI_IPV4 ? 2 : 0;
	size_t idl = b->addpath ? 4 : 0;

	if (p->afi != b->afi || p->len > afi_maxlen(p->afi))
		return -2;
	if (b->len + idl + 1 + nb + reserve > b->cap)
		return -1;
	if (idl) {
		put32(b->buf + b->len, path_id);
		b->len += 4;
	}
	b->buf[b->len] = p->len;
	memcpy(b->buf + b->len + 1, p->b, nb);
	b->len += 1 + nb;
	b->n_prefixes++;
	return 0;
}

size_t bgp_update_finish(struct bgp_update_builder *b)
{
	uint8_t *buf = b->buf;

	if (b->afi == AFI_IPV4 && b->withdraw) {
		put16(buf + 19, (uint16_t)(b->len - 21));
		put16(buf + b->len, 0);
		b->len += 2;
	} else if (b->afi == AFI_IPV6) {
		size_t mplen = b->len - b->mp_len_off - 2;
		if (mplen <= 255) { /* minimal flags: shrink the length field */
			buf[b->mp_attr_off] &= (uint8_t)~ATTR_F_EXTLEN;
			buf[b->mp_len_off] = (uint8_t)mplen;
			memmove(buf + b->mp_len_off + 1,
				buf + b->mp_len_off + 2, mplen);
			b->len--;
		} else {
			put16(buf + b->mp_len_off, (uint16_t)mplen);
		}
		put16(buf + b->attr_len_off, (uint16_t)(b->len - b->attr_start));
	}
	hdr_put(buf, (uint16_t)b->len);
	return b->len;
}

int bgp_eor_encode(uint16_t afi, uint8_t *buf, size_t cap)
{
	static const uint8_t v6[] = { 0, 0, 0, 6, ATTR_F_OPTIONAL,
				      ATTR_MP_UNREACH, 3, 0, AFI_IPV6,
				      SAFI_UNICAST };
	if (afi == AFI_IPV4) {
		if (cap < 23)
			return -1;
		hdr_put(buf, 23);
		memset(buf + 19, 0, 4);
		return 23;
	}
	if (cap < BGP_HDR_LEN + sizeof(v6))
		return -1;
	hdr_put(buf, BGP_HDR_LEN + sizeof(v6));
	memcpy(buf + BGP_HDR_LEN, v6, sizeof(v6));
	buf[BGP_HDR_LEN + 8] = (uint8_t)afi;
	return BGP_HDR_LEN + sizeof(v6);
}
