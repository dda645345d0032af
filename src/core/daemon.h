/*
 * daemon.h - the one daemon context of pharosd.
 *
 * Everything the daemon holds hangs off struct daemon: the event loop, the
 * configuration, the log and events, the RIB and the exporter, the peers
 * and their listeners, the control API. There is no other mutable global
 * state; callbacks reach the context through their watcher's data pointer.
 */
#ifndef PHAROS_CORE_DAEMON_H
#define PHAROS_CORE_DAEMON_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "core/events.h"
#include "core/log.h"
#include "core/prefix.h"
#include "policy/policy.h"
#include "rib/export.h"
#include "rib/rib.h"

#include "version.h"

struct peer;
struct conn;
struct api;
struct daemon;

/* Reused by every UPDATE import (src/bgp/import.c) so that no message
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
	struct daemon *d;
};

struct daemon {
	struct ev_loop *loop;
	struct conf *conf;
	struct log log;
	struct events *events;
	struct rib *rib;
	struct exporter *ex;
	struct export_config excfg;
	struct prefix *originated; /* fabric address spaces we originate */
	unsigned n_originated;

	struct peer **peers; /* one per configured peer */
	unsigned n_peers;
	struct peer **by_rib; /* rib peer index -> peer */
	uint32_t n_by_rib;

	struct listener *listeners;
	unsigned n_listeners;
	struct conn *lingering; /* closed sessions flushing a NOTIFICATION */

	struct api *api;
	struct fabric_glue *fglue; /* the fabric and its programming stats */
	struct mrt_glue *mrt; /* MRT dumps and update log (core/mrt_glue.h) */
	struct metrics *metrics; /* measurements for /metrics (api/metrics.h) */
	struct drills *drills; /* failover drills (core/drill.h), NULL until one */

	ev_signal sig_int, sig_term, sig_hup, sig_usr1;
	ev_prepare prepare; /* end of every loop turn: RIB changes -> export */
	ev_idle idle; /* keeps the loop turning while export has work */
	ev_timer stop_timer; /* bounds the shutdown linger */
	unsigned export_budget; /* prefixes per export_run slice */

	ev_tstamp started; /* ev_now at start */
	time_t started_wall;
	uint64_t refused_connections; /* unconfigured addresses */
	bool stopping;
	bool have_final_stats;
	struct rib_stats final_stats; /* the RIB as it was when stopping began */
	struct import_buf import; /* src/bgp/import.c */
};

/* Loop-turn glue (src/bgp/fsm.c). */
void daemon_watchers_start(struct daemon *d);
/* Make sure pending RIB changes and export work are handled this turn. */
void daemon_kick(struct daemon *d);
/* Drain loc-RIB changes to export and to the fabric (one fabric version
 * per turn, see core/fabric_glue.h) and flush. */
void daemon_process_changes(struct daemon *d);
/* Cease every session and stop the loop once NOTIFICATIONs are out. */
void daemon_shutdown(struct daemon *d, const char *message);

/* Lookups (src/bgp/peer.c). */
struct peer *daemon_peer_by_name(const struct daemon *d, const char *name);
struct peer *daemon_peer_by_addr(const struct daemon *d, const struct addr *a);
struct peer *daemon_peer_by_rib(const struct daemon *d, uint32_t rib_peer);

#endif
