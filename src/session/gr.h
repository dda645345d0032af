/*
 * gr.h - graceful restart (RFC 4724), the helper side: when a peer that
 * negotiated the capability loses its session without a NOTIFICATION,
 * its routes stay in the RIB marked stale for the restart time it
 * advertised; once it is back, its End-of-RIB (or the stale timer)
 * withdraws the stale routes it did not announce again. The FSM calls
 * these at session down, session up and End-of-RIB.
 */
#ifndef PHAROS_SESSION_GR_H
#define PHAROS_SESSION_GR_H

#include <stdbool.h>
#include <stdint.h>

#include "session/peer.h"

#define GR_STALE_TIME 360.0 /* seconds to wait for End-of-RIB once back */
#define GR_FLAG_RESTART 0x80 /* capability flags: Restart State (R) */
#define GR_AF_FORWARDING 0x80 /* per family: forwarding state kept (F) */

/* The established session of p is going away; graceful is true when the
 * way it ends allows a restart (no NOTIFICATION). Returns true when the
 * routes are kept stale (the caller must then not flush them). */
bool gr_session_lost(struct peer *p, bool graceful);
/* A new session of p is up: stale routes of families the peer did not
 * keep (no F bit, or no capability at all) go now; the rest wait for
 * End-of-RIB. */
void gr_session_up(struct peer *p, const struct conn *c);
/* End-of-RIB for afi from p: sweep what is still stale in afi. */
void gr_end_of_rib(struct peer *p, uint16_t afi);
/* Drop every stale route now (peer disabled, shutdown, timer). */
void gr_flush(struct peer *p, const char *why);

#endif
