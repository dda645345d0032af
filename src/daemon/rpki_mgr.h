/*
 * rpki_mgr.h - the RTR client (RFC 8210) of route_server.rpki: librtr's
 * manager, started with the daemon, one group per cache in the order
 * given (the first is preferred, the others are fallbacks).
 *
 * librtr runs its own threads. Nothing here touches the RIB from them:
 * their callbacks only queue the prefixes of changed ROAs and the caches'
 * state changes under a mutex and wake the event loop (ev_async); the
 * loop then revalidates the routes under those prefixes
 * (session/rpki_reval.c), and turns state changes into log lines and
 * events (rpki_cache_up, rpki_cache_down). A cache that goes away keeps
 * its ROAs until expire_s (librtr's expire interval), then they go.
 */
#ifndef PHAROS_DAEMON_RPKI_MGR_H
#define PHAROS_DAEMON_RPKI_MGR_H

#include "api/api.h"

struct daemon;
struct rpki_mgr;

/* Start the client when d->conf->rs.rpki has caches (NULL otherwise, or
 * after logging why it could not start); sets d->sess.rpki_table. */
struct rpki_mgr *rpki_mgr_start(struct daemon *d);
void rpki_mgr_stop(struct rpki_mgr *m);
/* Counters for the API and metrics (api/api.h). */
void rpki_mgr_stats(struct rpki_mgr *m, struct rpki_stats *st);

#endif
