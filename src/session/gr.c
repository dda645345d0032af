/*
 * gr.c - graceful restart, helper side (RFC 4724; see gr.h).
 *
 * One stale episode per peer: it starts when a graceful session loss
 * keeps the routes (rib_peer_mark_stale), runs the restart timer (the
 * time the peer advertised) until the peer is back, then the stale-path
 * timer until its End-of-RIB for each family it kept; what is still
 * stale then is withdrawn. The loc-RIB, the fabric and other peers see
 * nothing of the episode but the routes the peer did not send again.
 */
#include "session/gr.h"

#include <string.h>

static uint8_t afi_bit(uint16_t afi)
{
	return afi == AFI_IPV6 ? 2 : afi == AFI_IPV4 ? 1 : 0;
}

static void gr_end(struct peer *p)
{
	ev_timer_stop(p->s->loop, &p->gr_timer);
	p->gr_stale = false;
	p->gr_wait = 0;
}

/* Withdraw what is stale in afi (0: both); end the episode when nothing
 * is left to wait for. */
static size_t gr_sweep(struct peer *p, uint16_t afi, const char *why)
{
	struct session *s = p->s;
	size_t n = rib_peer_sweep_stale(s->rib, p->rib_id, (uint8_t)afi);

	p->gr_swept += n;
	if (afi == 0)
		p->gr_wait = 0;
	else
		p->gr_wait &= (uint8_t)~afi_bit(afi);
	if (!p->gr_wait || !rib_peer_stale_count(s->rib, p->rib_id)) {
		gr_end(p);
		log_info(s->log, p->name,
			 "graceful restart done: %s, %zu stale routes withdrawn",
			 why, n);
		events_emit(s->events, "graceful_restart_done", p->name,
			    "%s; %zu stale routes withdrawn", why, n);
	} else {
		log_info(s->log, p->name, "%s: %zu stale routes withdrawn",
			 why, n);
	}
	if (n)
		session_kick(s);
	return n;
}

static void gr_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct peer *p = w->data;

	(void)loop;
	(void)revents;
	gr_sweep(p, 0, p->est ? "stale timer expired before End-of-RIB"
			      : "restart time expired");
}

static void gr_timer_start(struct peer *p, double secs)
{
	if (!p->gr_timer.data) {
		ev_timer_init(&p->gr_timer, gr_timer_cb, 0, 0);
		p->gr_timer.data = p;
	}
	ev_timer_stop(p->s->loop, &p->gr_timer);
	ev_timer_set(&p->gr_timer, secs, 0);
	ev_timer_start(p->s->loop, &p->gr_timer);
}

bool gr_session_lost(struct peer *p, bool graceful)
{
	struct session *s = p->s;
	if (!graceful || !p->gr_able || !p->gr_afs || p->gr_time == 0 ||
	    p->disabled || s->stopping) {
		if (p->gr_stale)
			gr_flush(p, "session lost again");
		return false;
	}
	/* Lost again before End-of-RIB: routes still stale stay stale,
	 * the fresh ones join them. Only the families the peer listed in
	 * its capability are kept (RFC 4724 4.2). */
	rib_peer_mark_stale(s->rib, p->rib_id);
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++)
		if (!(p->gr_afs & afi_bit(afi)))
			p->gr_swept += rib_peer_sweep_stale(s->rib, p->rib_id,
							    (uint8_t)afi);
	p->gr_restarts++;
	p->gr_stale = true;
	p->gr_wait = 0;
	p->gr_since = ev_now(s->loop);
	gr_timer_start(p, p->gr_time);
	log_info(s->log, p->name,
		 "graceful restart: keeping %zu routes stale for %u s",
		 rib_peer_stale_count(s->rib, p->rib_id), p->gr_time);
	events_emit(s->events, "graceful_restart", p->name,
		    "keeping %zu routes stale for up to %u s",
		    rib_peer_stale_count(s->rib, p->rib_id), p->gr_time);
	return true;
}

/* The F bit for afi in the peer's new OPEN. */
static bool kept_forwarding(const struct bgp_open *o, uint16_t afi)
{
	for (unsigned i = 0; i < o->n_gr_afs; i++)
		if (o->gr_afs[i].afi == afi && o->gr_afs[i].safi == SAFI_UNICAST)
			return o->gr_afs[i].flags & GR_AF_FORWARDING;
	return false;
}

void gr_session_up(struct peer *p, const struct conn *c)
{
	const struct bgp_open *o = &c->open;

	p->gr_able = o->graceful_restart;
	p->gr_time = o->graceful_restart ? o->gr_time : 0;
	p->gr_afs = 0;
	for (unsigned i = 0; o->graceful_restart && i < o->n_gr_afs; i++)
		if (o->gr_afs[i].safi == SAFI_UNICAST)
			p->gr_afs |= afi_bit(o->gr_afs[i].afi);
	if (!p->gr_stale)
		return;
	if (!o->graceful_restart) {
		gr_sweep(p, 0, "back without graceful restart");
		return;
	}
	p->gr_wait = 0;
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		bool nego = afi == AFI_IPV4 ? p->afi_v4 : p->afi_v6;
		if (nego && kept_forwarding(o, afi))
			p->gr_wait |= afi_bit(afi);
	}
	if (!p->gr_wait) {
		gr_sweep(p, 0, "forwarding state not kept");
		return;
	}
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		if (!(p->gr_wait & afi_bit(afi)) && p->gr_stale)
			gr_sweep(p, afi, afi == AFI_IPV4
					     ? "ipv4 forwarding state not kept"
					     : "ipv6 forwarding state not kept");
	}
	if (p->gr_stale) {
		log_info(p->s->log, p->name,
			 "back after %.1f s; waiting for End-of-RIB",
			 ev_now(p->s->loop) - p->gr_since);
		gr_timer_start(p, GR_STALE_TIME);
	}
}

void gr_end_of_rib(struct peer *p, uint16_t afi)
{
	if (!p->gr_stale || !p->est || !(p->gr_wait & afi_bit(afi)))
		return;
	gr_sweep(p, afi, afi == AFI_IPV6 ? "End-of-RIB ipv6"
					 : "End-of-RIB ipv4");
}

void gr_flush(struct peer *p, const char *why)
{
	if (!p->gr_stale)
		return;
	gr_sweep(p, 0, why);
}
