/*
 * session.h - what the session floor needs from the daemon, and nothing
 * more: the loop, the log and events, the configuration, the RIB and the
 * exporter it feeds, and the peers, listeners and lingering connections it
 * owns. The daemon (src/daemon/) fills one struct session and wires its
 * hooks; session code never reaches above itself except through them.
 *
 * Counters stay on each struct peer; the metrics exporter reads them.
 */
#ifndef PHAROS_SESSION_SESSION_H
#define PHAROS_SESSION_SESSION_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/events.h"
#include "base/log.h"
#include "base/prefix.h"
#include "conf/conf.h"
#include "out/export.h"
#include "policy/policy.h"
#include "rib/rib.h"
#include "wire/wire.h"

struct peer;
struct conn;
struct session;
struct pfx_table;

/* Reused by every UPDATE import (src/session/import.c) so that no message
 * costs an allocation: the decoded UPDATE, the import policy's working
 * copy of the attributes and its scratch, and a run of withdrawn
 * prefixes being put in address order. Import never re-enters itself. */
#define IMPORT_WD_RUN 4096
struct import_buf {
	struct bgp_update upd;
	struct bgp_attrs work;
	uint8_t scratch[POL_SCRATCH_LEN];
	struct prefix wd[IMPORT_WD_RUN];
};

/* One listening socket (a route_server.listen address and the port). */
struct listener {
	ev_io io;
	int fd;
	struct addr addr;
	struct session *s;
};

/* Why a session went down, for the peer_down hook. */
struct session_down {
	const char *reason; /* the text of logs and events */
	const struct bgp_notify *notify; /* the NOTIFICATION, NULL: none */
	bool local; /* pharosd ended it (sent notify, or closed) */
};

/* Calls upward, wired by the daemon. Each may be NULL. */
struct session_hooks {
	/* RIB changes or export work are pending: handle them this turn. */
	void (*kick)(void *ctx);
	/* An UPDATE (whole message, header included) arrived on c, before
	 * it is imported: the MRT update log and the metrics' rates. */
	void (*update_in)(void *ctx, const struct conn *c, const uint8_t *msg,
			  size_t len);
	/* The peer's session came up on c (its OPENs, sent and received,
	 * are in c->open_sent/open_recv): BMP's Peer Up. */
	void (*peer_up)(void *ctx, const struct peer *p, const struct conn *c);
	/* The peer's session went down (before its routes are flushed):
	 * BMP's Peer Down. */
	void (*peer_down)(void *ctx, const struct peer *p,
			  const struct session_down *why);
	void *ctx;
};

/* A BFD receive socket (src/session/bfd_session.c); open when io.data
 * is set. */
struct bfd_rx {
	ev_io io;
	int fd;
	struct session *s;
	bool multihop;
};

struct session {
	struct ev_loop *loop;
	struct conf *conf; /* the running configuration */
	struct log *log;
	struct events *events;
	struct rib *rib;
	struct exporter *ex;
	struct session_hooks hooks;

	struct peer **peers; /* one per configured peer */
	unsigned n_peers;
	struct peer **by_rib; /* rib peer index -> peer */
	uint32_t n_by_rib;
	struct listener *listeners;
	unsigned n_listeners;
	struct conn *lingering; /* closed sessions flushing a NOTIFICATION */

	time_t started_wall; /* seeds the connect-retry jitter */
	uint64_t refused_connections; /* unconfigured addresses */
	bool restarting; /* startup hold-down: OPENs carry the Restart State
			  * bit (RFC 4724) and export waits (fsm_startup_done) */
	bool stopping; /* shutting down: no reconnects; the loop ends
			* once the last lingering connection is gone */
	/* librtr's ROA table while route_server.rpki is configured (the
	 * daemon's RTR client fills it), else NULL: routes are not validated */
	struct pfx_table *rpki_table;
	struct bfd_rx bfd_rx[2][2]; /* [multihop][ipv6] */
	uint32_t bfd_disc_next; /* next BFD local discriminator */
	struct import_buf import;
};

static inline void session_kick(struct session *s)
{
	if (s->hooks.kick)
		s->hooks.kick(s->hooks.ctx);
}

/* Lookups (src/session/peer.c). */
struct peer *session_peer_by_name(const struct session *s, const char *name);
struct peer *session_peer_by_addr(const struct session *s,
				  const struct addr *a);
struct peer *session_peer_by_rib(const struct session *s, uint32_t rib_peer);

#endif
