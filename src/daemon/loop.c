/*
 * loop.c - the daemon's loop turn: at the end of every turn (an
 * ev_prepare watcher) the loc-RIB's change set is drained into export
 * (out/) and into the fabric (one fabric version per turn), then export
 * runs one bounded slice; an idle watcher keeps the loop turning while
 * export has work. Also the orderly shutdown.
 */
#include <string.h>

#include "bmp/bmp.h"
#include "daemon/daemon.h"
#include "daemon/hold.h"
#include "daemon/local_routes.h"
#include "fabric/live.h"
#include "session/fsm.h"

static void change_cb(const struct rentry *e, uint32_t id, void *arg)
{
	struct daemon *d = arg;

	export_change(d->ex, e, id);
	bmp_locrib_change(d->bmp, e); /* BMP Loc-RIB monitoring */
	if (d->local)
		local_routes_note(d, &e->prefix);
	if (d->fabric_feed) /* per-subnet effective-route deltas */
		fabric_turn_change(d->fglue, e, id);
}

void daemon_process_changes(struct daemon *d)
{
	if (rib_changes_pending(d->rib) == 0)
		return;
	/* While stopping, the fabric keeps its last version: sessions closed
	 * by our own shutdown are no failure of the network, and host agents
	 * keep their routes through a restart (DESIGN 1.4). */
	d->fabric_feed = !d->sess.stopping && hold_fabric_feed(d);
	if (d->fabric_feed)
		fabric_turn_begin(d->fglue);
	else
		fabric_turn_skip(d->fglue);
	rib_changes_drain(d->rib, change_cb, d);
	bmp_locrib_flush(d->bmp);
	local_routes_update(d);
	export_flush(d->ex);
	fabric_turn_commit(d->fglue);
	hold_after_drain(d);
}

static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct daemon *d = w->data;

	hold_turn(d);
	daemon_process_changes(d);
	if (rib_prune(d->rib, 0) || export_sweep_due(d->ex))
		ev_idle_start(loop, &d->prune);
	if (export_run(d->ex, d->export_budget))
		ev_idle_start(loop, &d->idle);
	else
		ev_idle_stop(loop, &d->idle);
}

static void idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	/* Nothing: being active keeps the loop from blocking so that the
	 * prepare watcher runs the next export slice. */
}

/* Entries a big drain left empty are unlinked from the trie when nothing
 * else waits (idle watchers run only then), a slice at a time, and then
 * export's cache of rewritten sets is swept: the withdrawals reach the
 * peers and the fabric first. */
static void prune_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct daemon *d = w->data;

	if (rib_prune(d->rib, 4096))
		return;
	export_sweep(d->ex); /* the export cache's dead sets, at once */
	ev_idle_stop(loop, w);
}

void daemon_kick(struct daemon *d)
{
	ev_idle_start(d->loop, &d->idle);
}

void daemon_watchers_start(struct daemon *d)
{
	if (!d->export_budget)
		d->export_budget = 2000;
	ev_prepare_init(&d->prepare, prepare_cb);
	d->prepare.data = d;
	ev_prepare_start(d->loop, &d->prepare);
	ev_idle_init(&d->idle, idle_cb);
	d->idle.data = d;
	ev_idle_init(&d->prune, prune_cb);
	d->prune.data = d;
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

void daemon_shutdown(struct daemon *d, const char *message)
{
	struct bgp_notify n;

	if (d->sess.stopping)
		return;
	d->sess.stopping = true;
	rib_stats(d->rib, &d->final_stats);
	d->have_final_stats = true;
	listeners_stop(&d->sess);
	for (unsigned i = 0; i < d->sess.n_peers; i++) {
		struct peer *p = d->sess.peers[i];

		ev_timer_stop(d->loop, &p->retry);
		if (!p->conn[0] && !p->conn[1])
			continue;
		memset(&n, 0, sizeof(n));
		if (message)
			bgp_notify_shutdown(&n, BGP_CEASE_ADMIN_SHUTDOWN, message);
		fsm_peer_reset(p, message ? &n : NULL);
	}
	daemon_process_changes(d);
	/* Peer Downs and withdrawals are queued: then the Termination. */
	bmp_stop(d->bmp, message ? message : "pharosd stopping for a restart");
	if (!d->sess.lingering) {
		ev_break(d->loop, EVBREAK_ALL);
		return;
	}
	ev_timer_init(&d->stop_timer, stop_cb, 1.5, 0);
	ev_timer_start(d->loop, &d->stop_timer);
}
