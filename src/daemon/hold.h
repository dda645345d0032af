/*
 * hold.h - two windows in which what pharosd publishes waits for its
 * peers: the startup hold-down (route_server.startup_hold_s: after a
 * start, agents and peers get routes once every peer sent End-of-RIB, or
 * when the window ends) and route persistence (route_server.
 * persist_routes_s: when every session is down at once, the fabric keeps
 * its last routes for that long instead of withdrawing everything).
 */
#ifndef PHAROS_DAEMON_HOLD_H
#define PHAROS_DAEMON_HOLD_H

#include <stdbool.h>

struct daemon;

/* At start, once the peers and the fabric exist. */
void hold_start(struct daemon *d);
/* Every loop turn: end the startup hold-down when every peer is back. */
void hold_turn(struct daemon *d);
/* Before a drain: should this turn's changes reach the fabric? */
bool hold_fabric_feed(struct daemon *d);
/* After a drain: end persistence when a peer is back (End-of-RIB). */
void hold_after_drain(struct daemon *d);
void hold_stop(struct daemon *d);

#endif
