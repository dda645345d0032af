/*
 * attr.c - the path attribute table and the attribute section codec.
 *
 * One table entry per attribute code says everything the codec knows
 * about it: expected flags, fixed length (or -1), what RFC 7606 section 7
 * prescribes when it is malformed (treat-as-withdraw, attribute discard,
 * session reset), and its decode, encode and format functions. The loop
 * in bgp_attrs_decode applies the generic rules of RFC 7606 section 3
 * (flags, lengths, duplicates, unknown attributes, overruns) and then the
 * entry's own checks.
 */
#include <stdio.h>
#include <string.h>

#include "base/bytes.h"
#include "wire/wire.h"

/* Severity of an error while walking the list; the worst one wins. */
enum { SEV_OK, SEV_DISCARD, SEV_TAW, SEV_RESET };

struct attr_dec {
	const struct bgp_session_caps *caps;
	struct bgp_update *u;
	struct bgp_attrs *a;
	const uint8_t *as4_path;
	size_t as4_path_len;
	bool has_as4_path, has_as4_aggr;
	uint32_t as4_aggr_as, as4_aggr_addr;
	int sev;
	char why[80];
};

struct attr_desc {
	const char *name;
	uint8_t flags; /* expected OPTIONAL | TRANSITIVE bits */
	int16_t len; /* fixed value length, -1 when variable */
	uint8_t on_error; /* SEV_* when malformed */
	/* 0, or the UPDATE error subcode (with d->why set) */
	int (*decode)(struct attr_dec *d, const uint8_t *v, size_t len);
	/* whole attribute(s) into buf: bytes written, -1 when full */
	int (*encode)(const struct bgp_attrs *a,
		      const struct bgp_session_caps *caps, uint8_t *buf,
		      size_t cap);
	int (*fmt)(const struct bgp_attrs *a, char *buf, size_t len);
};

/* ------------------------------------------------------------ decode */

static int dec_origin(struct attr_dec *d, const uint8_t *v, size_t len)
{
	if (v[0] > ORIGIN_INCOMPLETE) {
		snprintf(d->why, sizeof(d->why), "value %u", v[0]);
		return BGP_UPD_BAD_ORIGIN;
	}
	d->a->origin = v[0];
	return 0;
}

static int dec_aspath(struct attr_dec *d, const uint8_t *v, size_t len)
{
	if (aspath_decode(d->a, v, len, d->caps->as4) < 0) {
		snprintf(d->why, sizeof(d->why), "bad segment (%s ASNs)",
			 d->caps->as4 ? "4-octet" : "2-octet");
		return BGP_UPD_MALFORMED_ASPATH;
	}
	/* RFC 7606 7.2 / RFC 5065 5.3: no confederation segment from an
	 * external peer */
	for (size_t off = 0; d->caps->ebgp && off + 2 <= d->a->aspath_len;
	     off += 2 + (size_t)d->a->aspath[off + 1] * 4) {
		if (d->a->aspath[off] >= AS_CONFED_SEQUENCE) {
			snprintf(d->why, sizeof(d->why), "confederation "
				 "segment from an external peer");
			return BGP_UPD_MALFORMED_ASPATH;
		}
	}
	return 0;
}

static int dec_nexthop(struct attr_dec *d, const uint8_t *v, size_t len)
{
	uint32_t nh = get32(v);

	if (nh == 0 || (nh >> 28) == 0xe) { /* RFC 4271 6.3, RFC 7606 7.3 */
		snprintf(d->why, sizeof(d->why), "%u.%u.%u.%u is not a host "
			 "address", v[0], v[1], v[2], v[3]);
		return BGP_UPD_BAD_NEXTHOP;
	}
	memset(&d->a->next_hop, 0, sizeof(d->a->next_hop));
	d->a->next_hop.afi = AFI_IPV4;
	memcpy(d->a->next_hop.b, v, 4);
	return 0;
}

static int dec_med(struct attr_dec *d, const uint8_t *v, size_t len)
{
	d->a->med = get32(v);
	return 0;
}

static int dec_lpref(struct attr_dec *d, const uint8_t *v, size_t len)
{
	d->a->local_pref = get32(v);
	return 0;
}

static int dec_atomic(struct attr_dec *d, const uint8_t *v, size_t len)
{
	return 0;
}

static int dec_aggregator(struct attr_dec *d, const uint8_t *v, size_t len)
{
	size_t want = d->caps->as4 ? 8 : 6;

	if (len != want) {
		snprintf(d->why, sizeof(d->why), "length %zu, want %zu", len,
			 want);
		return BGP_UPD_ATTR_LEN;
	}
	d->a->aggregator_as = d->caps->as4 ? get32(v) : get16(v);
	memcpy(&d->a->aggregator_addr, v + want - 4, 4);
	return 0;
}

/* Lists of fixed-size items: communities (4), ext (8), large (12). */
static int check_list(struct attr_dec *d, size_t len, size_t item)
{
	if (len == 0 || len % item) {
		snprintf(d->why, sizeof(d->why),
			 "length %zu is not a non-zero multiple of %zu", len,
			 item);
		return BGP_UPD_ATTR_LEN;
	}
	return 0;
}

static int dec_communities(struct attr_dec *d, const uint8_t *v, size_t len)
{
	int rc = check_list(d, len, 4);

	d->a->communities = v;
	d->a->n_communities = (uint16_t)(len / 4);
	return rc;
}

static int dec_ext_communities(struct attr_dec *d, const uint8_t *v,
			       size_t len)
{
	int rc = check_list(d, len, 8);

	d->a->ext_communities = v;
	d->a->n_ext_communities = (uint16_t)(len / 8);
	return rc;
}

static int dec_large_communities(struct attr_dec *d, const uint8_t *v,
				 size_t len)
{
	int rc = check_list(d, len, 12);

	d->a->large_communities = v;
	d->a->n_large_communities = (uint16_t)(len / 12);
	return rc;
}

static int dec_originator(struct attr_dec *d, const uint8_t *v, size_t len)
{
	memcpy(&d->a->originator_id, v, 4);
	return 0;
}

static int dec_cluster_list(struct attr_dec *d, const uint8_t *v, size_t len)
{
	int rc = check_list(d, len, 4);

	d->a->cluster_list = v;
	d->a->cluster_list_len = (uint16_t)len;
	return rc;
}

static bool af_supported(uint16_t afi, uint8_t safi)
{
	return (afi == AFI_IPV4 || afi == AFI_IPV6) && safi == SAFI_UNICAST;
}

static void set_nh(struct addr *a, uint8_t afi, const uint8_t *p, size_t n)
{
	memset(a, 0, sizeof(*a));
	a->afi = afi;
	memcpy(a->b, p, n);
}

static int dec_mp_reach(struct attr_dec *d, const uint8_t *v, size_t len)
{
	if (len < 5 || (size_t)v[3] + 5 > len) {
		snprintf(d->why, sizeof(d->why), "length %zu too short", len);
		return BGP_UPD_OPTATTR;
	}
	uint16_t afi = get16(v);
	uint8_t safi = v[2], nhl = v[3];
	const uint8_t *nlri = v + 5 + nhl;
	size_t nlen = len - 5 - nhl;
	if (!af_supported(afi, safi)) {
		d->u->mp_reach_unsupported = true;
		d->u->unsup_afi = afi;
		d->u->unsup_safi = safi;
		return 0;
	}
	struct bgp_attrs *a = d->a;
	a->mp_afi = afi;
	a->mp_safi = safi;
	memset(&a->mp_next_hop_ll, 0, sizeof(a->mp_next_hop_ll));
	if (nhl == 4) { /* IPv4 next hop, also seen for IPv6 NLRI */
		set_nh(&a->mp_next_hop, AFI_IPV4, v + 4, 4);
	} else if (nhl == 16 || nhl == 32) { /* IPv6, or RFC 8950 for v4 */
		set_nh(&a->mp_next_hop, AFI_IPV6, v + 4, 16);
		if (nhl == 32)
			set_nh(&a->mp_next_hop_ll, AFI_IPV6, v + 20, 16);
	} else {
		snprintf(d->why, sizeof(d->why), "next hop length %u", nhl);
		return BGP_UPD_OPTATTR;
	}
	bool ap = d->caps && d->caps->addpath_rx[afi];
	if (bgp_nlri_validate_ap(nlri, nlen, afi, ap) < 0) {
		snprintf(d->why, sizeof(d->why), "NLRI cannot be parsed");
		return BGP_UPD_OPTATTR;
	}
	d->u->mp_reach = (struct bgp_nlri_block){ nlri, nlen, afi, ap };
	d->u->has_mp_reach = true;
	return 0;
}

static int dec_mp_unreach(struct attr_dec *d, const uint8_t *v, size_t len)
{
	if (len < 3) {
		snprintf(d->why, sizeof(d->why), "length %zu too short", len);
		return BGP_UPD_OPTATTR;
	}
	uint16_t afi = get16(v);
	if (!af_supported(afi, v[2])) {
		d->u->mp_unreach_unsupported = true;
		d->u->unsup_afi = afi;
		d->u->unsup_safi = v[2];
		return 0;
	}
	bool ap = d->caps && d->caps->addpath_rx[afi];
	if (bgp_nlri_validate_ap(v + 3, len - 3, afi, ap) < 0) {
		snprintf(d->why, sizeof(d->why), "NLRI cannot be parsed");
		return BGP_UPD_OPTATTR;
	}
	d->u->mp_unreach = (struct bgp_nlri_block){ v + 3, len - 3, afi, ap };
	d->u->has_mp_unreach = true;
	return 0;
}

static int dec_as4_path(struct attr_dec *d, const uint8_t *v, size_t len)
{
	if (aspath_as4_check(v, len) < 0) {
		snprintf(d->why, sizeof(d->why), "bad segment");
		return BGP_UPD_MALFORMED_ASPATH;
	}
	d->as4_path = v;
	d->as4_path_len = len;
	d->has_as4_path = true;
	return 0;
}

static int dec_as4_aggregator(struct attr_dec *d, const uint8_t *v,
			      size_t len)
{
	d->has_as4_aggr = true;
	d->as4_aggr_as = get32(v);
	memcpy(&d->as4_aggr_addr, v + 4, 4);
	return 0;
}

/* ------------------------------------------------------------ encode */

/* Attribute header with minimal flags; returns its size or -1. */
static int put_hdr(uint8_t *buf, size_t cap, uint8_t flags, uint8_t code,
		   size_t len)
{
	size_t hl = len > 255 ? 4 : 3;

	if (hl + len > cap || len > 0xffff)
		return -1;
	buf[0] = flags | (len > 255 ? ATTR_F_EXTLEN : 0);
	buf[1] = code;
	if (hl == 4)
		put16(buf + 2, (uint16_t)len);
	else
		buf[2] = (uint8_t)len;
	return (int)hl;
}

static int put_attr(uint8_t *buf, size_t cap, uint8_t flags, uint8_t code,
		    const void *v, size_t len)
{
	int hl = put_hdr(buf, cap, flags, code, len);

	if (hl < 0)
		return -1;
	if (len)
		memcpy(buf + hl, v, len);
	return hl + (int)len;
}

static int put_u32(uint8_t *buf, size_t cap, uint8_t flags, uint8_t code,
		   uint32_t x)
{
	uint8_t v[4];

	put32(v, x);
	return put_attr(buf, cap, flags, code, v, 4);
}

#define WK ATTR_F_TRANSITIVE
#define OT (ATTR_F_OPTIONAL | ATTR_F_TRANSITIVE)
#define ON ATTR_F_OPTIONAL

static int enc_origin(const struct bgp_attrs *a,
		      const struct bgp_session_caps *caps, uint8_t *buf,
		      size_t cap)
{
	return put_attr(buf, cap, WK, ATTR_ORIGIN, &a->origin, 1);
}

static int enc_aspath(const struct bgp_attrs *a,
		      const struct bgp_session_caps *caps, uint8_t *buf,
		      size_t cap)
{
	uint8_t tmp[BGP_ASPATH_MAX];
	int n = aspath_encode(a, caps->as4, tmp, sizeof(tmp), NULL);

	return n < 0 ? -1 : put_attr(buf, cap, WK, ATTR_AS_PATH, tmp, (size_t)n);
}

static int enc_as4_path(const struct bgp_attrs *a,
			const struct bgp_session_caps *caps, uint8_t *buf,
			size_t cap)
{
	uint8_t tmp[BGP_ASPATH_MAX];
	bool need = false;

	if (caps->as4 || !(a->present & ATTR_BIT(ATTR_AS_PATH)))
		return 0;
	if (aspath_encode(a, false, tmp, sizeof(tmp), &need) < 0 || !need)
		return 0;
	int n = aspath_encode_as4(a, tmp, sizeof(tmp));
	return n < 0 ? -1 : put_attr(buf, cap, OT, ATTR_AS4_PATH, tmp, (size_t)n);
}

static int enc_nexthop(const struct bgp_attrs *a,
		       const struct bgp_session_caps *caps, uint8_t *buf,
		       size_t cap)
{
	return put_attr(buf, cap, WK, ATTR_NEXT_HOP, a->next_hop.b, 4);
}

static int enc_med(const struct bgp_attrs *a,
		   const struct bgp_session_caps *caps, uint8_t *buf, size_t cap)
{
	return put_u32(buf, cap, ON, ATTR_MED, a->med);
}

static int enc_lpref(const struct bgp_attrs *a,
		     const struct bgp_session_caps *caps, uint8_t *buf,
		     size_t cap)
{
	return put_u32(buf, cap, WK, ATTR_LOCAL_PREF, a->local_pref);
}

static int enc_atomic(const struct bgp_attrs *a,
		      const struct bgp_session_caps *caps, uint8_t *buf,
		      size_t cap)
{
	return put_attr(buf, cap, WK, ATTR_ATOMIC_AGGREGATE, NULL, 0);
}

static int enc_aggregator(const struct bgp_attrs *a,
			  const struct bgp_session_caps *caps, uint8_t *buf,
			  size_t cap)
{
	uint8_t v[8];

	if (caps->as4) {
		put32(v, a->aggregator_as);
		memcpy(v + 4, &a->aggregator_addr, 4);
		return put_attr(buf, cap, OT, ATTR_AGGREGATOR, v, 8);
	}
	put16(v, a->aggregator_as > 0xffff ? AS_TRANS :
					     (uint16_t)a->aggregator_as);
	memcpy(v + 2, &a->aggregator_addr, 4);
	return put_attr(buf, cap, OT, ATTR_AGGREGATOR, v, 6);
}

static int enc_as4_aggregator(const struct bgp_attrs *a,
			      const struct bgp_session_caps *caps,
			      uint8_t *buf, size_t cap)
{
	uint8_t v[8];

	if (caps->as4 || !(a->present & ATTR_BIT(ATTR_AGGREGATOR)) ||
	    a->aggregator_as <= 0xffff)
		return 0;
	put32(v, a->aggregator_as);
	memcpy(v + 4, &a->aggregator_addr, 4);
	return put_attr(buf, cap, OT, ATTR_AS4_AGGREGATOR, v, 8);
}

static int enc_communities(const struct bgp_attrs *a,
			   const struct bgp_session_caps *caps, uint8_t *buf,
			   size_t cap)
{
	return put_attr(buf, cap, OT, ATTR_COMMUNITIES, a->communities,
			(size_t)a->n_communities * 4);
}

static int enc_ext_communities(const struct bgp_attrs *a,
			       const struct bgp_session_caps *caps,
			       uint8_t *buf, size_t cap)
{
	return put_attr(buf, cap, OT, ATTR_EXT_COMMUNITIES, a->ext_communities,
			(size_t)a->n_ext_communities * 8);
}

static int enc_large_communities(const struct bgp_attrs *a,
				 const struct bgp_session_caps *caps,
				 uint8_t *buf, size_t cap)
{
	return put_attr(buf, cap, OT, ATTR_LARGE_COMMUNITIES,
			a->large_communities,
			(size_t)a->n_large_communities * 12);
}

static int enc_originator(const struct bgp_attrs *a,
			  const struct bgp_session_caps *caps, uint8_t *buf,
			  size_t cap)
{
	return put_attr(buf, cap, ON, ATTR_ORIGINATOR_ID, &a->originator_id, 4);
}

static int enc_cluster_list(const struct bgp_attrs *a,
			    const struct bgp_session_caps *caps, uint8_t *buf,
			    size_t cap)
{
	return put_attr(buf, cap, ON, ATTR_CLUSTER_LIST, a->cluster_list,
			a->cluster_list_len);
}

/* ------------------------------------------------------------ format */

static int fmt_origin(const struct bgp_attrs *a, char *buf, size_t len)
{
	static const char *const n[] = { "igp", "egp", "incomplete" };
	return snprintf(buf, len, "%s", a->origin < 3 ? n[a->origin] : "?");
}

static int fmt_aspath(const struct bgp_attrs *a, char *buf, size_t len)
{
	return aspath_fmt(a, buf, len);
}

static int fmt_nexthop(const struct bgp_attrs *a, char *buf, size_t len)
{
	char s[ADDR_STRLEN];
	return snprintf(buf, len, "%s", addr_fmt(&a->next_hop, s, sizeof(s)));
}

static int fmt_med(const struct bgp_attrs *a, char *buf, size_t len)
{
	return snprintf(buf, len, "%u", a->med);
}

static int fmt_lpref(const struct bgp_attrs *a, char *buf, size_t len)
{
	return snprintf(buf, len, "%u", a->local_pref);
}

static int fmt_atomic(const struct bgp_attrs *a, char *buf, size_t len)
{
	return snprintf(buf, len, "atomic-aggregate");
}

static int fmt_aggregator(const struct bgp_attrs *a, char *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)&a->aggregator_addr;
	return snprintf(buf, len, "%u:%u.%u.%u.%u", a->aggregator_as, p[0],
			p[1], p[2], p[3]);
}

/* Items of `item` bytes printed as groups of 2- or 4-byte numbers. */
static int fmt_list(const uint8_t *p, unsigned n, char *buf, size_t len,
		    int kind)
{
	size_t o = 0;

	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < n; i++) {
		char s[48];
		if (kind == 4)
			snprintf(s, sizeof(s), "%u:%u", get16(p + 4 * i),
				 get16(p + 4 * i + 2));
		else if (kind == 8)
			snprintf(s, sizeof(s), "0x%08x%08x", get32(p + 8 * i),
				 get32(p + 8 * i + 4));
		else
			snprintf(s, sizeof(s), "%u:%u:%u", get32(p + 12 * i),
				 get32(p + 12 * i + 4), get32(p + 12 * i + 8));
		o += snprintf(buf + o, o < len ? len - o : 0, "%s%s",
			      i ? " " : "", s);
	}
	return (int)o;
}

static int fmt_communities(const struct bgp_attrs *a, char *buf, size_t len)
{
	return fmt_list(a->communities, a->n_communities, buf, len, 4);
}

static int fmt_ext_communities(const struct bgp_attrs *a, char *buf,
			       size_t len)
{
	return fmt_list(a->ext_communities, a->n_ext_communities, buf, len, 8);
}

static int fmt_large_communities(const struct bgp_attrs *a, char *buf,
				 size_t len)
{
	return fmt_list(a->large_communities, a->n_large_communities, buf, len,
			12);
}

static int fmt_mp_reach(const struct bgp_attrs *a, char *buf, size_t len)
{
	char s[ADDR_STRLEN], l[ADDR_STRLEN];
	addr_fmt(&a->mp_next_hop, s, sizeof(s));
	if (!a->mp_next_hop_ll.afi)
		return snprintf(buf, len, "afi %u safi %u next-hop %s",
				a->mp_afi, a->mp_safi, s);
	return snprintf(buf, len, "afi %u safi %u next-hop %s %s", a->mp_afi,
			a->mp_safi, s, addr_fmt(&a->mp_next_hop_ll, l, sizeof(l)));
}

/* ------------------------------------------------------------- table */

#define DISC SEV_DISCARD
#define TAW SEV_TAW
#define RESET SEV_RESET
static const struct attr_desc attr_table[256] = {
	[ATTR_ORIGIN] = { "ORIGIN", WK, 1, TAW, dec_origin, enc_origin,
			  fmt_origin },
	[ATTR_AS_PATH] = { "AS_PATH", WK, -1, TAW, dec_aspath, enc_aspath,
			   fmt_aspath },
	[ATTR_NEXT_HOP] = { "NEXT_HOP", WK, 4, TAW, dec_nexthop, enc_nexthop,
			    fmt_nexthop },
	[ATTR_MED] = { "MULTI_EXIT_DISC", ON, 4, TAW, dec_med, enc_med,
		       fmt_med },
	[ATTR_LOCAL_PREF] = { "LOCAL_PREF", WK, 4, TAW, dec_lpref, enc_lpref,
			      fmt_lpref },
	[ATTR_ATOMIC_AGGREGATE] = { "ATOMIC_AGGREGATE", WK, 0, DISC,
				    dec_atomic, enc_atomic, fmt_atomic },
	[ATTR_AGGREGATOR] = { "AGGREGATOR", OT, -1, DISC, dec_aggregator,
			      enc_aggregator, fmt_aggregator },
	[ATTR_COMMUNITIES] = { "COMMUNITIES", OT, -1, TAW, dec_communities,
			       enc_communities, fmt_communities },
	[ATTR_ORIGINATOR_ID] = { "ORIGINATOR_ID", ON, 4, TAW, dec_originator,
				 enc_originator, NULL },
	[ATTR_CLUSTER_LIST] = { "CLUSTER_LIST", ON, -1, TAW, dec_cluster_list,
				enc_cluster_list, NULL },
	[ATTR_MP_REACH] = { "MP_REACH_NLRI", ON, -1, RESET, dec_mp_reach, NULL,
			    fmt_mp_reach },
	[ATTR_MP_UNREACH] = { "MP_UNREACH_NLRI", ON, -1, RESET, dec_mp_unreach,
			      NULL, NULL },
	[ATTR_EXT_COMMUNITIES] = { "EXTENDED_COMMUNITIES", OT, -1, TAW,
				   dec_ext_communities, enc_ext_communities,
				   fmt_ext_communities },
	[ATTR_AS4_PATH] = { "AS4_PATH", OT, -1, DISC, dec_as4_path,
			    enc_as4_path, NULL },
	[ATTR_AS4_AGGREGATOR] = { "AS4_AGGREGATOR", OT, 8, DISC,
				  dec_as4_aggregator, enc_as4_aggregator,
				  NULL },
	[ATTR_LARGE_COMMUNITIES] = { "LARGE_COMMUNITIES", OT, -1, TAW,
				     dec_large_communities,
				     enc_large_communities,
				     fmt_large_communities },
};

const char *bgp_attr_name(uint8_t code)
{
	return attr_table[code].name ? attr_table[code].name : "UNKNOWN";
}

int bgp_attr_fmt(const struct bgp_attrs *a, uint8_t code, char *buf,
		 size_t len)
{
	if (code >= 64 || !(a->present & ATTR_BIT(code)) ||
	    !attr_table[code].fmt || len == 0)
		return -1;
	int n = attr_table[code].fmt(a, buf, len);
	return n < (int)len ? n : (int)len - 1;
}

/* --------------------------------------------------------- the loop */

/* Record an error of severity sev; the first of the worst kind is kept. */
static void note(struct attr_dec *d, struct bgp_notify *err, int sev,
		 uint8_t sub, const uint8_t *data, size_t dlen,
		 const char *name, const char *why)
{
	static const char *const act[] = { "", "attribute discarded",
					   "treat-as-withdraw",
					   "session reset" };
	if (sev <= d->sev)
		return;
	d->sev = sev;
	bgp_err_set(err, BGP_ERR_UPDATE, sub, data, dlen, "%s: %s (%s)", name,
		    why, act[sev]);
}

static void discard(struct bgp_update *u, uint8_t code)
{
	for (unsigned i = 0; i < u->n_discarded; i++)
		if (u->discarded[i] == code)
			return;
	if (u->n_discarded < sizeof(u->discarded))
		u->discarded[u->n_discarded++] = code;
}

/* An attribute we have no table entry for (RFC 4271 5, 9). */
static void unknown_attr(struct attr_dec *d, struct bgp_notify *err,
			 uint8_t flags, uint8_t code, const uint8_t *raw,
			 size_t hl, size_t alen)
{
	struct bgp_attrs *a = d->a;
	char why[32];

	if (!(flags & ATTR_F_OPTIONAL)) {
		snprintf(why, sizeof(why), "unknown code %u", code);
		note(d, err, SEV_RESET, BGP_UPD_UNRECOGNIZED_WELLKNOWN, raw,
		     hl + alen, "well-known attribute", why);
		return;
	}
	if (!(flags & ATTR_F_TRANSITIVE) || a->n_unknown >= BGP_MAX_UNKNOWN_ATTRS)
		return; /* optional non-transitive: quietly ignored */
	a->unknown[a->n_unknown++] = (struct bgp_raw_attr){
		flags & ~ATTR_F_EXTLEN, code, (uint16_t)alen, raw + hl };
	if (code < 64)
		a->present |= ATTR_BIT(code);
}

/* Checks of one known attribute; returns 0 or the error subcode. */
static int check_attr(struct attr_dec *d, const struct attr_desc *t,
		      uint8_t flags, const uint8_t *v, size_t alen)
{
	uint8_t ot = flags & (ATTR_F_OPTIONAL | ATTR_F_TRANSITIVE);

	if (ot != t->flags ||
	    ((flags & ATTR_F_PARTIAL) && t->flags != OT)) {
		snprintf(d->why, sizeof(d->why), "flags 0x%02x, want 0x%02x",
			 flags & 0xf0, t->flags);
		return BGP_UPD_ATTR_FLAGS;
	}
	if (t->len >= 0 && alen != (size_t)t->len) {
		snprintf(d->why, sizeof(d->why), "length %zu, want %d", alen,
			 t->len);
		return BGP_UPD_ATTR_LEN;
	}
	return t->decode(d, v, alen);
}

/* One attribute at raw: returns false when the walk must stop. */
static bool one_attr(struct attr_dec *d, struct bgp_notify *err,
		     uint64_t seen[4], const uint8_t *raw, size_t hl,
		     size_t alen)
{
	uint8_t flags = raw[0], code = raw[1];
	const struct attr_desc *t = &attr_table[code];
	bool ebgp = d->caps->ebgp;

	if (seen[code >> 6] & (1ull << (code & 63))) {
		if (code == ATTR_MP_REACH || code == ATTR_MP_UNREACH) {
			note(d, err, SEV_RESET, BGP_UPD_MALFORMED_ATTRLIST,
			     NULL, 0, bgp_attr_name(code), "appears twice");
			return false;
		}
		discard(d->u, code); /* RFC 7606 3(g): keep the first */
		return true;
	}
	seen[code >> 6] |= 1ull << (code & 63);
	if (!t->name) {
		unknown_attr(d, err, flags, code, raw, hl, alen);
		return d->sev < SEV_RESET;
	}
	if ((ebgp && (code == ATTR_LOCAL_PREF || code == ATTR_ORIGINATOR_ID ||
		      code == ATTR_CLUSTER_LIST)) ||
	    (d->caps->as4 &&
	     (code == ATTR_AS4_PATH || code == ATTR_AS4_AGGREGATOR))) {
		discard(d->u, code); /* RFC 7606 7.5/7.9/7.10, RFC 6793 4.1 */
		return true;
	}
	d->why[0] = 0;
	int sub = check_attr(d, t, flags, raw + hl, alen);
	if (!sub) {
		d->a->present |= ATTR_BIT(code);
		return true;
	}
	bool no_data = sub == BGP_UPD_MALFORMED_ASPATH;
	note(d, err, t->on_error, (uint8_t)sub, raw, no_data ? 0 : hl + alen,
	     t->name, d->why);
	if (t->on_error == SEV_DISCARD) {
		discard(d->u, code);
		d->a->present &= ~ATTR_BIT(code);
		if (code == ATTR_AS4_PATH)
			d->has_as4_path = false;
	}
	return d->sev < SEV_RESET;
}

/* RFC 6793 4.2.3 on a 2-octet session. */
static void reconcile_as4(struct attr_dec *d)
{
	struct bgp_attrs *a = d->a;

	if (d->caps->as4)
		return;
	if (d->has_as4_aggr && (a->present & ATTR_BIT(ATTR_AGGREGATOR))) {
		if (a->aggregator_as != AS_TRANS)
			return; /* ignore AS4_AGGREGATOR and AS4_PATH */
		a->aggregator_as = d->as4_aggr_as;
		a->aggregator_addr = d->as4_aggr_addr;
	}
	if (d->has_as4_path && (a->present & ATTR_BIT(ATTR_AS_PATH)))
		aspath_merge_as4(a, d->as4_path, d->as4_path_len);
}

int bgp_attrs_decode(const uint8_t *p, size_t len,
		     const struct bgp_session_caps *caps, struct bgp_update *u,
		     struct bgp_notify *err)
{
	struct attr_dec d = { .caps = caps, .u = u, .a = &u->attrs };
	uint64_t seen[4] = { 0 };
	size_t off = 0;

	while (off < len) {
		size_t hl = (len - off >= 1 && (p[off] & ATTR_F_EXTLEN)) ? 4 : 3;
		if (len - off < hl) {
			note(&d, err, SEV_TAW, BGP_UPD_MALFORMED_ATTRLIST, NULL,
			     0, "attribute list", "truncated attribute header");
			break;
		}
		size_t alen = hl == 4 ? get16(p + off + 2) : p[off + 2];
		if (alen > len - off - hl) {
			note(&d, err, SEV_TAW, BGP_UPD_MALFORMED_ATTRLIST,
			     NULL, 0, bgp_attr_name(p[off + 1]),
			     "length overruns the attribute list");
			break;
		}
		if (!one_attr(&d, err, seen, p + off, hl, alen))
			return UPD_SESSION_RESET;
		off += hl + alen;
	}
	reconcile_as4(&d);
	return d.sev == SEV_TAW ? UPD_TREAT_AS_WITHDRAW : UPD_OK;
}

/* Attributes worth sending for code (AS4_* follow AS_PATH/AGGREGATOR). */
static bool wants(const struct bgp_attrs *a, uint8_t code, uint64_t skip)
{
	if (code >= 64 || (skip & ATTR_BIT(code)))
		return false;
	if (code == ATTR_AS4_PATH || code == ATTR_AS4_AGGREGATOR)
		return true; /* the encoder decides */
	return (a->present & ATTR_BIT(code)) != 0;
}

int bgp_attrs_encode_skip(const struct bgp_attrs *a,
			  const struct bgp_session_caps *caps, uint64_t skip,
			  uint8_t *buf, size_t cap)
{
	size_t off = 0;

	for (unsigned code = 1; code < 256; code++) {
		const struct attr_desc *t = &attr_table[code];
		if (t->encode && wants(a, (uint8_t)code, skip)) {
			int n = t->encode(a, caps, buf + off, cap - off);
			if (n < 0)
				return -1;
			off += (size_t)n;
		}
		for (unsigned i = 0; i < a->n_unknown; i++) {
			const struct bgp_raw_attr *r = &a->unknown[i];
			if (r->code != code ||
			    (code < 64 && (skip & ATTR_BIT(code))))
				continue;
			int n = put_attr(buf + off, cap - off,
					 (r->flags & 0xe0) | ATTR_F_PARTIAL,
					 r->code, r->data, r->len);
			if (n < 0)
				return -1;
			off += (size_t)n;
		}
	}
	return (int)off;
}

int bgp_attrs_encode(const struct bgp_attrs *a,
		     const struct bgp_session_caps *caps, uint8_t *buf,
		     size_t cap)
{
	return bgp_attrs_encode_skip(a, caps, 0, buf, cap);
}
