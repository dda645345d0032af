/*
 * rpki.c - asking librtr's ROA table for the origin validation state of
 * a route (RFC 6811), and the tag an invalid route gets with
 * `invalid: tag`.
 */
#include <string.h>

#include <rtrlib/rtrlib.h>

#include "policy/rtr_dl.h"

#include "policy/policy.h"
#include "policy/rpki.h"

uint32_t rpki_origin_as(const struct bgp_attrs *a)
{
	struct aspath_iter it;
	uint32_t asn, last = 0;
	uint8_t seg = 0;

	aspath_iter_init(&it, a);
	while (aspath_iter_next(&it, &asn)) {
		if (it.seg_type == AS_CONFED_SEQUENCE ||
		    it.seg_type == AS_CONFED_SET)
			continue;
		last = asn;
		seg = it.seg_type;
	}
	return seg == AS_SEQUENCE ? last : 0;
}

static void to_lrtr(const struct prefix *p, struct lrtr_ip_addr *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (p->afi == AFI_IPV4) {
		ip->ver = LRTR_IPV4;
		ip->u.addr4.addr = (uint32_t)p->b[0] << 24 |
				   (uint32_t)p->b[1] << 16 |
				   (uint32_t)p->b[2] << 8 | p->b[3];
	} else {
		ip->ver = LRTR_IPV6;
		for (int i = 0; i < 4; i++)
			ip->u.addr6.addr[i] = (uint32_t)p->b[4 * i] << 24 |
					      (uint32_t)p->b[4 * i + 1] << 16 |
					      (uint32_t)p->b[4 * i + 2] << 8 |
					      p->b[4 * i + 3];
	}
}

uint8_t rpki_validate(struct pfx_table *t, const struct prefix *p,
		      uint32_t origin)
{
	struct lrtr_ip_addr ip;
	enum pfxv_state st;

	if (!t)
		return RPKI_NONE;
	if (rtr_dl_load(NULL, 0) < 0) /* at once when loaded (a table: it is) */
		return RPKI_NONE;
	to_lrtr(p, &ip);
	if (pfx_table_validate(t, origin, &ip, p->len, &st) != PFX_SUCCESS)
		return RPKI_NOT_FOUND;
	switch (st) {
	case BGP_PFXV_STATE_VALID:
		/* a ROA for AS 0 (RFC 7607) never validates a route */
		return origin ? RPKI_VALID : RPKI_INVALID;
	case BGP_PFXV_STATE_INVALID:
		return RPKI_INVALID;
	default:
		return RPKI_NOT_FOUND;
	}
}

int rpki_tag(struct bgp_attrs *a, const struct conf_rpki *r, bool add,
	     uint8_t *scratch)
{
	if (r->tag_is_large)
		return policy_large_edit(a, &r->tag_large, add,
					 scratch + POL_SCRATCH_STD,
					 POL_SCRATCH_LARGE);
	return policy_std_edit(a, r->tag_std, add, scratch, POL_SCRATCH_STD);
}
