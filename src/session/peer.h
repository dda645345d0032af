/*
 * peer.h - BGP peers and their TCP connections.
 *
 * A struct peer is one configured neighbour; it owns up to two struct conn
 * at a time (two only during a connection collision, RFC 4271 6.8). A conn
 * is a non-blocking socket with its read buffer (whole messages are framed
 * and handed to the FSM), its bounded output queue of shared out_bufs
 * (written with writev) and its session timers. This file also holds the
 * listeners (accept, refusal of unconfigured addresses), active connects,
 * TCP MD5 (RFC 2385) and the eBGP TTL.
 */
#ifndef PHAROS_BGP_PEER_H
#define PHAROS_BGP_PEER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"
#include "session/refused.h"
#include "session/session.h"

enum peer_state {
	PS_IDLE = 0,
	PS_CONNECT = 1,
	PS_ACTIVE = 2,
	PS_OPENSENT = 3,
	PS_OPENCONFIRM = 4,
	PS_ESTABLISHED = 5,
};
const char *peer_state_name(int s); /* "idle", "connect", ... */

#define CONN_OUTQ_BOUND (4u << 20) /* bytes queued before export pauses */
/* Room kept below CONN_OUTQ_BOUND for what is not export (KEEPALIVE,
 * NOTIFICATION, ROUTE-REFRESH): export fills at most BOUND - RESERVE, so
 * the whole queue stays under the bound. */
#define CONN_OUTQ_RESERVE 4096u
#define CONN_RBUF_SIZE (2 * BGP_EXT_MAX_LEN)

struct conn {
	struct peer *peer; /* NULL once lingering */
	struct session *s;
	struct conn *next; /* lingering list */
	int fd;
	bool outgoing; /* we connected (for collision resolution) */
	uint8_t state; /* PS_CONNECT, PS_OPENSENT, PS_OPENCONFIRM, PS_ESTABLISHED */
	ev_io rio, wio;
	ev_timer hold, keepalive, linger;
	uint8_t *rbuf;
	size_t rlen;
	/* Output queue: ring of out_buf references; oq_off bytes of the head
	 * are already written. */
	struct out_buf **oq;
	size_t oq_head, oq_n, oq_cap, oq_off, oq_bytes;
	ev_tstamp last_drain; /* last time the queue was empty or moved */
	bool got_open;
	struct bgp_open open; /* the peer's OPEN */
	/* The OPEN messages as sent and received (whole messages), kept
	 * for the peer_up hook (BMP Peer Up); NULL until then. */
	uint8_t *open_sent, *open_recv;
	uint16_t open_sent_len, open_recv_len;
	uint16_t hold_time, keepalive_time; /* negotiated */
	struct bgp_session_caps caps;
	struct addr local, remote;
};

struct bfd_sess;

struct peer {
	struct session *s;
	const struct conf_peer *cf;
	const char *name;
	uint32_t rib_id;
	struct conn *conn[2];
	struct conn *est; /* the established conn, if any */
	uint8_t state; /* enum peer_state, as published */
	bool disabled; /* by the operator */
	bool maxpfx_wait; /* down after max-prefix, restart timer running */
	bool export_up; /* export_peer_up called */
	bool export_deferred; /* established during the startup hold-down:
			       * export starts with fsm_startup_done */
	bool export_paused; /* send() returned false */
	ev_timer retry; /* connect retry, or the max-prefix restart */
	double backoff; /* next connect retry delay, seconds */
	unsigned maxpfx_streak; /* consecutive max-prefix drops */
	unsigned rand_seed; /* connect-retry jitter */
	ev_tstamp up_since;
	char last_error[320];
	char last_error_time[32]; /* RFC 3339 UTC, ms; "" when none */
	bool last_error_old; /* the session has been up since */
	bool afi_v4, afi_v6; /* negotiated families */
	/* Counters. */
	uint64_t flaps, max_prefix_hits, default_refused, loop_refused,
		first_as_refused, policy_refused, treat_as_withdraw,
		martian_refused, oversize_withdrawn;
	uint64_t rpki_refused; /* origin-invalid routes refused (RFC 6811) */
	uint64_t martian_updates; /* UPDATEs that carried martians */
	uint64_t msgs_in, msgs_out, updates_in, notifications_in,
		notifications_out, sessions_up;
	uint64_t eor_in; /* End-of-RIB markers received */
	uint64_t updates_out; /* UPDATE messages queued (metrics) */
	size_t outq_hwm; /* largest output queue seen, bytes (metrics) */
	uint64_t defaults_learned; /* default routes accepted (new ones) */
	/* Route-count jump watch (api.route_jump_threshold). */
	size_t jump_base; /* accepted count at the start of the window */
	ev_tstamp jump_at; /* when the window started */
	struct refused *refused; /* received but not accepted (refused.h) */
	/* Graceful restart, helper side (src/session/gr.c). */
	bool gr_able; /* the last session negotiated graceful restart */
	bool gr_stale; /* its routes are held stale while it restarts */
	uint8_t gr_afs; /* families in its capability: 1 ipv4, 2 ipv6 */
	uint8_t gr_wait; /* families awaiting End-of-RIB: 1 ipv4, 2 ipv6 */
	uint16_t gr_time; /* restart time the peer advertised, seconds */
	ev_timer gr_timer; /* restart time, then the stale-path time */
	ev_tstamp gr_since; /* when the stale episode started */
	uint64_t gr_restarts; /* restarts helped (routes kept) */
	uint64_t gr_swept; /* stale routes withdrawn, in total */
	struct bfd_sess *bfd; /* BFD session, when configured */
};

/* Create the peers of the configuration and register them with the RIB. */
int peers_create(struct session *s);
void peers_free(struct session *s);
/* Open the listeners (route_server.listen, port). Returns 0 or -1. */
int listeners_start(struct session *s);
void listeners_stop(struct session *s);

/* Start an outgoing TCP connection for the peer. Returns 0 or -1. */
int conn_connect(struct peer *p);
struct conn *conn_new(struct peer *p, int fd, bool outgoing);
/* Queue a message block (takes its own reference). Returns false when the
 * queue is over CONN_OUTQ_BOUND (the block is still queued). */
bool conn_send(struct conn *c, struct out_buf *b);
/* Copy len bytes into a new out_buf and queue it. */
bool conn_send_bytes(struct conn *c, const void *buf, size_t len);
/* Detach from the peer: send notify (if not NULL), then close once it is
 * written (lingering briefly so the peer reads it). */
void conn_close(struct conn *c, const struct bgp_notify *notify);
/* Free every lingering connection immediately (daemon exit). */
void conns_linger_free(struct session *s);


/* Prefixes the peer sent that are currently held (accepted or refused). */
size_t peer_prefixes_received(const struct peer *p);
size_t peer_prefixes_accepted(const struct peer *p);

/* The capabilities negotiated on the established session, by the names
 * the API, events and pharosctl all use (ipv4-unicast, ipv6-unicast,
 * 4-octet-as, route-refresh, graceful-restart, extended-message); how
 * many were written to out (none while down). */
size_t peer_caps_names(const struct peer *p, const char **out, size_t max);

#endif
