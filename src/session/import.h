/*
 * import.h - one decoded UPDATE into the RIB: the route-server guards
 * (default route, AS-path loop, first AS, next hop), import policy,
 * RFC 7606 treat-as-withdraw and attribute discard, max-prefix. Import
 * does not drive the FSM: it says what happened and the FSM acts.
 */
#ifndef PHAROS_SESSION_IMPORT_H
#define PHAROS_SESSION_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "session/peer.h"

enum import_outcome {
	IMPORT_OK = 0, /* imported (or treat-as-withdraw): the session stays */
	IMPORT_MAX_PREFIX, /* the peer went over max_prefixes (afi set) */
	IMPORT_RESET, /* the UPDATE calls for a session reset (notify set) */
};

struct import_result {
	uint16_t afi; /* IMPORT_MAX_PREFIX: the family of the prefix */
	struct bgp_notify notify; /* IMPORT_RESET: the NOTIFICATION to send */
};

/* One UPDATE body on c, an established session of p. */
enum import_outcome import_update(struct peer *p, struct conn *c,
				  const uint8_t *body, size_t len,
				  struct import_result *res);

/* Import policy, martians (rs: the route_server section in force) or
 * accept_default changed: the routes kept as
 * refused (keep_refused) go through import's checks again; those that
 * pass now enter the RIB (up to max_prefixes) with no route refresh, the
 * others are kept with their new reason. Routes refused by the AS-path
 * guards stay refused. Returns how many were accepted. */
size_t import_reconsider(struct peer *p, const struct conf_rs *rs);

/* Why nh cannot be a route's next hop (RFC 4271 6.3, RFC 7606 7.3):
 * unspecified, loopback, multicast, class E or broadcast, or local (our
 * address on the session, may be NULL). NULL when it is acceptable. */
const char *import_nexthop_invalid(const struct addr *nh,
				   const struct addr *local);

#endif
