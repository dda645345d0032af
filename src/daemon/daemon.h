/*
 * daemon.h - the one daemon context of pharosd.
 *
 * Everything the daemon holds hangs off struct daemon: the event loop, the
 * configuration, the log and events, the RIB and the exporter, the peers
 * and their listeners, the control API. There is no other mutable global
 * state; callbacks reach the context through their watcher's data pointer.
 */
#ifndef PHAROS_DAEMON_DAEMON_H
#define PHAROS_DAEMON_DAEMON_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf/conf.h"
#include "base/events.h"
#include "base/log.h"
#include "base/prefix.h"
#include "policy/policy.h"
#include "out/export.h"
#include "api/api.h"
#include "session/session.h"
#include "rib/rib.h"

#include "base/version.h"

struct peer;
struct conn;
struct api;
struct daemon;

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

	/* Peers, listeners and what session code needs (session/session.h):
	 * its pointers are this context's own. */
	struct session sess;

	/* What the API reads of this context, and its hooks (api/api.h). */
	struct api_host apih;
	struct api *api;
	struct fabric_live *fglue; /* the fabric and its programming stats */
	struct mrt_glue *mrt; /* MRT dumps and update log (daemon/mrt_glue.h) */
	struct metrics *metrics; /* measurements for /metrics (api/metrics.h) */
	struct drills *drills; /* failover drills (daemon/drill.h), NULL until one */
	struct bmp *bmp; /* BMP collectors (bmp/bmp.h) */
	struct drill_scheds *dsched; /* scheduled drills (daemon/drill_sched.h) */
	ev_tstamp last_reload; /* ev_now of the last reload applied, 0: none */
	struct rpki_mgr *rpki; /* RTR client (daemon/rpki_mgr.h), NULL: no rpki */
	struct local_routes *local; /* originate, aggregates (local_routes.h) */
	struct publisher *pub; /* fabric.publish (daemon/publish.h), or NULL */

	ev_signal sig_int, sig_term, sig_hup, sig_usr1, sig_usr2;
	ev_prepare prepare; /* end of every loop turn: RIB changes -> export */
	ev_idle idle; /* keeps the loop turning while export has work */
	ev_idle prune; /* unlinks the RIB entries big drains left (rib_prune) */
	ev_timer stop_timer; /* bounds the shutdown linger */
	ev_timer startup_timer; /* startup hold-down (daemon/hold.c) */
	ev_timer persist_timer; /* route persistence (daemon/hold.c) */
	bool persisting; /* the fabric keeps its routes, all sessions down */
	bool fabric_feed; /* this drain reaches the fabric */
	uint64_t persist_eor; /* End-of-RIBs counted when persistence began */
	unsigned export_budget; /* prefixes per export_run slice */

	ev_tstamp started; /* ev_now at start */
	time_t started_wall;
	bool have_final_stats;
	struct rib_stats final_stats; /* the RIB as it was when stopping began */
};

/* Setup and teardown (src/daemon/daemon.c). daemon_init needs d->conf
 * and d->log set; events_file (NULL: api.events_file) receives the
 * events; daemon_fini undoes whatever part of it was done. */
int daemon_init(struct daemon *d, const char *events_file);
void daemon_fini(struct daemon *d);
/* Tell systemd (Type=notify) a state such as "READY=1": one datagram to
 * $NOTIFY_SOCKET (sd_notify(3)); nothing when it is not set. */
void daemon_notify_systemd(const char *state);
/* Log the RIB's size and memory per route (at exit). */
void daemon_log_final_stats(struct daemon *d);

/* The loop (src/daemon/loop.c). */
void daemon_watchers_start(struct daemon *d);
/* Make sure pending RIB changes and export work are handled this turn. */
void daemon_kick(struct daemon *d);
/* Drain loc-RIB changes to export and to the fabric (one fabric version
 * per turn, see daemon/fabric_glue.h) and flush. */
void daemon_process_changes(struct daemon *d);
/* Wiring (src/daemon/hooks.c): point d->sess at the daemon's loop, log,
 * events, configuration, RIB and exporter and wire its hooks; fill
 * d->apih likewise (after the fabric and metrics exist). */
void daemon_session_wire(struct daemon *d);
void daemon_api_wire(struct daemon *d);
/* Cease every session and stop the loop once NOTIFICATIONs are out.
 * message NULL: a graceful restart, sessions are closed without a
 * NOTIFICATION so that peers keep our routes (RFC 4724). */
void daemon_shutdown(struct daemon *d, const char *message);

#endif
