/*
 * local_routes.h - the routes pharosd announces of its own accord
 * besides the fabric's address spaces: route_server.originate (a prefix
 * for chosen peers, announced from the start) and route_server.aggregates
 * (a summary announced while at least one more-specific is in the
 * loc-RIB, with the attributes RFC 4271 9.2.2.2 gives it).
 */
#ifndef PHAROS_DAEMON_LOCAL_ROUTES_H
#define PHAROS_DAEMON_LOCAL_ROUTES_H

#include "base/prefix.h"

struct daemon;

/* Give export the entries and announce route_server.originate. */
int local_routes_init(struct daemon *d);
void local_routes_free(struct daemon *d);
/* A loc-RIB change of p (the drain): the aggregates over it need a look. */
void local_routes_note(struct daemon *d, const struct prefix *p);
/* After the drain: recompute the aggregates noted. */
void local_routes_update(struct daemon *d);

#endif
