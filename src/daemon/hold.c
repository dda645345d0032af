/*
 * hold.c - the startup hold-down and route persistence (see hold.h).
 *
 * Startup: session.restarting is set (OPENs carry the Restart State bit,
 * export to established peers waits) and the fabric is held (the subnet
 * tables agents follow answer 503, so agents keep what they installed
 * before the restart). Both end together, when every enabled peer has
 * sent End-of-RIB or startup_hold_s has passed.
 *
 * Persistence: when the loc-RIB changes while no session is established
 * (every peer lost at once), the fabric stops taking changes for
 * persist_routes_s; the first End-of-RIB from a returning peer, or the
 * end of the window, rebuilds the fabric from the RIB as it is then.
 */
#include "daemon/hold.h"

#include "daemon/daemon.h"
#include "fabric/live.h"
#include "session/fsm.h"

static void startup_end(struct daemon *d, const char *why)
{
	if (!d->sess.restarting)
		return;
	ev_timer_stop(d->loop, &d->startup_timer);
	fsm_startup_done(&d->sess);
	if (d->fglue)
		d->fglue->held = false;
	log_info(&d->log, NULL, "startup hold-down over: %s", why);
	events_emit(d->events, "startup_done", NULL, "%s", why);
	daemon_kick(d);
}

static void startup_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	startup_end(d, "startup_hold_s passed");
}

void hold_start(struct daemon *d)
{
	double secs = d->conf->rs.startup_hold_s;

	if (secs <= 0 || d->sess.n_peers == 0)
		return;
	d->sess.restarting = true;
	if (d->fglue)
		d->fglue->held = true;
	ev_timer_init(&d->startup_timer, startup_timer_cb, secs, 0);
	d->startup_timer.data = d;
	ev_timer_start(d->loop, &d->startup_timer);
	log_info(&d->log, NULL, "startup hold-down: up to %.0f s for every "
		 "peer's End-of-RIB", secs);
}

void hold_turn(struct daemon *d)
{
	if (!d->sess.restarting)
		return;
	for (unsigned i = 0; i < d->sess.n_peers; i++) {
		const struct peer *p = d->sess.peers[i];
		if (!p->disabled && (!p->est || !p->eor_in))
			return;
	}
	startup_end(d, "every peer sent End-of-RIB");
}

static uint64_t eor_total(const struct daemon *d)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < d->sess.n_peers; i++)
		n += d->sess.peers[i]->eor_in;
	return n;
}

static void persist_end(struct daemon *d, const char *why)
{
	char err[256];

	if (!d->persisting)
		return;
	d->persisting = false;
	ev_timer_stop(d->loop, &d->persist_timer);
	if (fabric_live_rebuild(d->fglue, d->conf, err, sizeof(err)) < 0)
		log_err(&d->log, NULL, "fabric not rebuilt: %s", err);
	log_info(&d->log, NULL, "route persistence over: %s", why);
	events_emit(d->events, "routes_persist_end", NULL, "%s", why);
}

static void persist_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	if (rib_changes_pending(d->rib))
		daemon_process_changes(d); /* drained without the fabric */
	persist_end(d, "persist_routes_s passed");
}

bool hold_fabric_feed(struct daemon *d)
{
	double secs = d->conf->rs.persist_routes_s;

	if (d->persisting)
		return false;
	bool was_up = false;

	if (secs <= 0 || d->sess.n_peers == 0 || d->sess.stopping)
		return true;
	/* Only a loss of every session counts, not a start without any. */
	for (unsigned i = 0; i < d->sess.n_peers; i++) {
		if (d->sess.peers[i]->est)
			return true;
		was_up |= d->sess.peers[i]->sessions_up > 0;
	}
	if (!was_up)
		return true;
	d->persisting = true;
	d->persist_eor = eor_total(d);
	ev_timer_init(&d->persist_timer, persist_timer_cb, secs, 0);
	d->persist_timer.data = d;
	ev_timer_start(d->loop, &d->persist_timer);
	log_warn(&d->log, NULL, "every session is down: the fabric keeps its "
		 "routes for up to %.0f s", secs);
	events_emit(d->events, "routes_persisted", NULL,
		    "every session is down; fabric routes kept for up to %.0f s",
		    secs);
	return false;
}

void hold_after_drain(struct daemon *d)
{
	if (d->persisting && eor_total(d) > d->persist_eor)
		persist_end(d, "a peer is back (End-of-RIB)");
}

void hold_stop(struct daemon *d)
{
	if (!d->loop)
		return;
	ev_timer_stop(d->loop, &d->startup_timer);
	ev_timer_stop(d->loop, &d->persist_timer);
}
