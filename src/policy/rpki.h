/*
 * rpki.h - RPKI route origin validation of one route (RFC 6811) against
 * the ROA table that librtr's RTR client keeps (RFC 8210).
 *
 * The table (librtr's struct pfx_table) is filled by librtr's own threads
 * and guarded by its own lock; reading it from the event loop is safe.
 * The daemon owns the RTR client (src/daemon/rpki_mgr.c); this file only
 * asks the table, and knows how a route's origin AS is found and how an
 * invalid route is tagged.
 */
#ifndef PHAROS_POLICY_RPKI_H
#define PHAROS_POLICY_RPKI_H

#include <stdint.h>

#include "base/prefix.h"
#include "conf/conf.h"
#include "wire/wire.h"

struct pfx_table;

/* The origin AS of RFC 6811 section 2: the last AS of a path ending in an
 * AS_SEQUENCE; 0 ("NONE") for an empty path or one ending in an AS_SET. */
uint32_t rpki_origin_as(const struct bgp_attrs *a);

/* The state of the route to p with that origin (enum rpki_state): valid
 * when a ROA covers p with this origin and a max length >= p's length,
 * invalid when ROAs cover p but none matches, not_found when none
 * covers it. Origin NONE is never valid. */
uint8_t rpki_validate(struct pfx_table *t, const struct prefix *p,
		      uint32_t origin);

/* Add (add true) or remove route_server.rpki.tag_community in a, with the
 * policy scratch (POL_SCRATCH_LEN bytes, policy.h). Returns 0 or -1. */
int rpki_tag(struct bgp_attrs *a, const struct conf_rpki *r, bool add,
	     uint8_t *scratch);

#endif
