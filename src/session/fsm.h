/*
 * fsm.h - the BGP finite state machine of RFC 4271 (Idle, Connect,
 * Active, OpenSent, OpenConfirm, Established) for pharosd's peers: OPEN
 * checks and capability negotiation, hold/keepalive/connect-retry timers,
 * collision detection (6.8), session up/down with the RIB and export,
 * max-prefix restarts, operator disable/enable/refresh.
 */
#ifndef PHAROS_BGP_FSM_H
#define PHAROS_BGP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/peer.h"

/* The OPEN deadline: a connection whose peer has not sent its OPEN this
 * long after TCP came up is closed (Hold Timer Expired). Every BGP
 * speaker sends OPEN at once; a silent connection from a peer's address
 * must not hold one of its two connection slots (RFC 4271's 4-minute
 * large hold time did, keeping the real peer out). */
#define FSM_OPEN_HOLD 10.0
#define FSM_RETRY_MIN 1.0
#define FSM_RETRY_MAX 60.0
#define FSM_GR_TIME 120 /* graceful restart time we advertise */

/* The startup hold-down is over (session.restarting was set): clear the
 * Restart State bit and start export to the peers already established. */
void fsm_startup_done(struct session *s);
/* Start a peer (connect, or wait for it to connect). */
void fsm_start(struct peer *p);
/* TCP is up on c (accepted or connected): send our OPEN. */
void fsm_conn_up(struct conn *c);
/* An accepted connection from a configured peer's address. */
void fsm_accept(struct peer *p, int fd, const struct addr *local,
		const struct addr *remote);
/* One whole message (header included) on c. Returns 0, or -1 when c was
 * closed (stop reading it). */
int fsm_message(struct conn *c, uint8_t type, const uint8_t *msg, size_t len);
/* The socket failed or the peer closed it. */
void fsm_conn_lost(struct conn *c, const char *reason);
/* An outgoing connect failed. */
void fsm_connect_failed(struct peer *p, const char *reason);
/* Send a NOTIFICATION on every connection of the peer, take the session
 * down and schedule what comes next (reconnect, or nothing if disabled). */
void fsm_peer_reset(struct peer *p, const struct bgp_notify *n);
/* The output queue has not drained for the hold time. */
void fsm_send_stalled(struct conn *c);
/* Re-derive the published peer state from its connections. */
void fsm_update_state(struct peer *p);

/* export_peer.fits for a peer: false (and the export paused until its
 * queue drains) when len more bytes would take its output queue past
 * CONN_OUTQ_BOUND - CONN_OUTQ_RESERVE. */
bool peer_export_fits(void *ctx, size_t len);
/* export_peer.send for a peer: queue b on its established connection;
 * false (the export paused) when the queue is over its bound. */
bool peer_export_send(void *ctx, struct out_buf *b);
void peer_export_oversize(void *ctx, const struct prefix *pfx);

/* The peer's BFD session went from Up to Down: take the BGP session
 * down at once (Cease, BFD Down; the routes are withdrawn). */
void fsm_bfd_down(struct peer *p, const char *why);

/* Max prefixes exceeded while importing (afi of the prefix that broke it). */
void fsm_max_prefix(struct peer *p, uint16_t afi);

/* Operator actions (API). Return 0, or -1 with a reason in err. */
int peer_disable(struct peer *p, const char *message, char *err, size_t len);
int peer_enable(struct peer *p, char *err, size_t len);
int peer_refresh(struct peer *p, char *err, size_t len);
/* Hard reset: Cease/Administrative Reset on the session, which then
 * comes back as after any loss (connect retry at the shortest delay). */
int peer_clear(struct peer *p, char *err, size_t len);

#endif
