/*
 * fsm.c - the RFC 4271 state machine of pharosd's peers (see fsm.h).
 *
 * Connection states live on struct conn (there may be two during a
 * collision); the peer's published state is derived from them. Session
 * up and down are the only places that touch the RIB and the exporter.
 */
#include "session/fsm.h"
#include "session/bfd_session.h"
#include "session/gr.h"
#include "session/import.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fsm_schedule(struct peer *p);

static uint32_t router_id(const struct session *s)
{
	uint32_t id;

	memcpy(&id, s->conf->rs.router_id.b, 4);
	return ntohl(id);
}

static uint16_t conf_hold(const struct peer *p)
{
	return p->cf->hold_time ? p->cf->hold_time : p->s->conf->rs.hold_time;
}

static uint16_t conf_keepalive(const struct peer *p)
{
	return p->cf->keepalive ? p->cf->keepalive : p->s->conf->rs.keepalive;
}

static struct conn *other_conn(struct peer *p, struct conn *c)
{
	return p->conn[0] == c ? p->conn[1] : p->conn[0];
}

void fsm_update_state(struct peer *p)
{
	int st = -1;

	for (int k = 0; k < 2; k++)
		if (p->conn[k] && p->conn[k]->state > st)
			st = p->conn[k]->state;
	if (st < 0)
		st = p->disabled || p->maxpfx_wait || p->s->stopping ? PS_IDLE
								    : PS_ACTIVE;
	p->state = (uint8_t)st;
}

/* "Code/Subcode name: reason", without repeating the name when the
 * codec's reason already starts with it. */
static void notify_text(const struct bgp_notify *n, char *buf, size_t len)
{
	char name[96];
	size_t nl;

	bgp_err_name(n->code, n->subcode, name, sizeof(name));
	nl = strlen(name);
	if (!n->reason[0])
		snprintf(buf, len, "%s", name);
	else if (!strncmp(n->reason, name, nl))
		snprintf(buf, len, "%s", n->reason);
	else
		snprintf(buf, len, "%s: %s", name, n->reason);
}

/* Log a NOTIFICATION we send or receive and keep it as last_error. */
static void note_notify(struct peer *p, const struct bgp_notify *n, bool sent)
{
	char name[256], data[2 * 16 + 16] = "";

	notify_text(n, name, sizeof(name));
	if (n->data_len) {
		size_t off = (size_t)snprintf(data, sizeof(data), " (data ");
		for (unsigned i = 0; i < n->data_len && i < 16; i++)
			off += (size_t)snprintf(data + off, sizeof(data) - off,
						"%02x", n->data[i]);
		snprintf(data + off, sizeof(data) - off, "%s)",
			 n->data_len > 16 ? "..." : "");
	}
	log_warn(p->s->log, p->name, "%s NOTIFICATION %u/%u %s%s",
		 sent ? "sending" : "received", n->code, n->subcode, name, data);
	snprintf(p->last_error, sizeof(p->last_error), "%s: %s",
		 sent ? "sent" : "received", name);
	log_time_iso(p->last_error_time, sizeof(p->last_error_time));
	p->last_error_old = false;
	if (sent)
		p->notifications_out++;
	else
		p->notifications_in++;
}

/* An UPDATE on an established session: import it, then act on what import
 * says. Returns 0, or -1 when the session was reset (stop reading). */
static int fsm_import(struct peer *p, struct conn *c, const uint8_t *body,
		      size_t len)
{
	struct import_result res;

	switch (import_update(p, c, body, len, &res)) {
	case IMPORT_OK:
		return 0;
	case IMPORT_MAX_PREFIX:
		fsm_max_prefix(p, res.afi);
		return -1;
	case IMPORT_RESET:
		fsm_peer_reset(p, &res.notify);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------ session up/down */

bool peer_export_send(void *ctx, struct out_buf *b)
{
	struct peer *p = ctx;
	bool ok;

	if (!p->est)
		return true;
	ok = conn_send(p->est, b);
	if (!ok)
		p->export_paused = true;
	return ok;
}

bool peer_export_fits(void *ctx, size_t len)
{
	struct peer *p = ctx;

	if (!p->est ||
	    p->est->oq_bytes + len <= CONN_OUTQ_BOUND - CONN_OUTQ_RESERVE)
		return true;
	p->export_paused = true; /* resumed when the queue drains */
	return false;
}

/* A route too large for this peer's messages: withdrawn from it. A log
 * line and an event for the first few of a session, then every 1,000th;
 * the counter has them all. */
void peer_export_oversize(void *ctx, const struct prefix *pfx)
{
	struct peer *p = ctx;
	char buf[PREFIX_STRLEN];
	uint64_t n = ++p->oversize_withdrawn;

	if (n > 10 && n % 1000)
		return;
	prefix_fmt(pfx, buf, sizeof(buf));
	log_warn(p->s->log, p->name, "route %s does not fit one UPDATE of %u "
		 "bytes (no extended messages): withdrawn from this peer "
		 "(%llu so far)", buf, p->est && p->est->caps.ext_message ?
		 BGP_EXT_MAX_LEN : BGP_MAX_LEN, (unsigned long long)n);
	events_emit_json(p->s->events, "route_too_large", p->name,
			 json_pack("{s:s, s:I}", "prefix", buf, "count",
				   (json_int_t)n),
			 "route does not fit one UPDATE: withdrawn from the peer");
}

/* Hand an established peer to the exporter (its initial table follows). */
static void export_start(struct peer *p)
{
	struct conn *c = p->est;
	struct export_peer ep;

	memset(&ep, 0, sizeof(ep));
	ep.rib_peer = p->rib_id;
	ep.kind = p->cf->kind;
	ep.asn = p->cf->asn;
	ep.caps = c->caps;
	ep.addpath_max = p->cf->add_path_max ? p->cf->add_path_max
					     : p->s->conf->rs.max_paths;
	ep.afi_v4 = p->afi_v4;
	ep.afi_v6 = p->afi_v6;
	ep.export_rules = p->cf->export;
	ep.n_export_rules = p->cf->n_export;
	ep.local_mask = conf_originate_mask(p->s->conf, p->cf->name);
	ep.send = peer_export_send;
	ep.fits = peer_export_fits;
	ep.oversize = peer_export_oversize;
	ep.ctx = p;
	export_peer_up(p->s->ex, &ep);
	p->export_up = true;
	p->export_deferred = false;
}

void fsm_startup_done(struct session *s)
{
	if (!s->restarting)
		return;
	s->restarting = false;
	for (unsigned i = 0; i < s->n_peers; i++)
		if (s->peers[i]->export_deferred && s->peers[i]->est)
			export_start(s->peers[i]);
	session_kick(s);
}

static void session_up(struct peer *p, struct conn *c)
{
	struct session *s = p->s;
	struct conn *o = other_conn(p, c);
	char caps[256], why[320];
	const char *names[12];
	size_t n_caps;
	json_t *list = json_array();

	p->last_error_old = p->last_error[0] != 0;
	if (o) {
		struct bgp_notify n = {.code = BGP_ERR_CEASE,
				       .subcode = BGP_CEASE_COLLISION};
		snprintf(n.reason, sizeof(n.reason),
			 "connection collision resolution");
		conn_close(o, &n);
	}
	c->state = PS_ESTABLISHED;
	p->est = c;
	p->up_since = ev_now(s->loop);
	p->sessions_up++;
	p->backoff = FSM_RETRY_MIN;
	p->export_paused = false;
	/* After a restart, routes go out once the peers had their chance
	 * to come back (RFC 4724 4.1, deferral: fsm_startup_done). */
	if (s->restarting)
		p->export_deferred = true;
	else
		export_start(p);
	gr_session_up(p, c);
	n_caps = peer_caps_names(p, names, 12);
	caps[0] = 0;
	for (size_t i = 0; i < n_caps; i++) {
		size_t l = strlen(caps);
		snprintf(caps + l, sizeof(caps) - l, " %s", names[i]);
		json_array_append_new(list, json_string(names[i]));
	}
	log_info(s->log, p->name, "session established (hold %u s, "
		 "capabilities%s)", c->hold_time, caps);
	snprintf(why, sizeof(why), "hold %u s, capabilities%s", c->hold_time,
		 caps);
	events_emit_json(s->events, "session_up", p->name,
			 json_pack("{s:I, s:o}", "hold_time",
				   (json_int_t)c->hold_time, "capabilities",
				   list), why);
	fsm_update_state(p);
	if (s->hooks.peer_up)
		s->hooks.peer_up(s->hooks.ctx, p, c);
	session_kick(s);
}

/* graceful: the session ended in a way that lets a peer that negotiated
 * graceful restart keep its routes (RFC 4724: no NOTIFICATION). */
static void session_down(struct peer *p, const char *reason, bool graceful,
			 const struct bgp_notify *notify, bool local)
{
	struct session *s = p->s;
	size_t n = 0;
	struct session_down why = {reason, notify, local};

	if (!p->export_up && !p->export_deferred)
		return;
	if (s->hooks.peer_down)
		s->hooks.peer_down(s->hooks.ctx, p, &why);
	if (p->export_up)
		export_peer_down(s->ex, p->rib_id);
	p->export_up = p->export_deferred = false;
	p->flaps++;
	if (!p->maxpfx_wait)
		p->maxpfx_streak = 0; /* only consecutive max-prefix drops count */
	if (!gr_session_lost(p, graceful))
		n = rib_peer_flush(s->rib, p->rib_id);
	refused_clear(p->refused);
	log_info(s->log, p->name, "session down: %s (%zu routes withdrawn)",
		 reason, n);
	events_emit(s->events, "session_down", p->name, "%s", reason);
	session_kick(s);
}

/* ------------------------------------------------------ timers, start */

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct peer *p = w->data;

	if (p->maxpfx_wait) {
		p->maxpfx_wait = false;
		log_info(p->s->log, p->name,
			 "restarting after max-prefix drop");
	}
	fsm_start(p);
}

void fsm_start(struct peer *p)
{
	struct session *s = p->s;

	if (!p->retry.data) {
		ev_timer_init(&p->retry, retry_cb, 0, 0);
		p->retry.data = p;
		p->rand_seed = p->rib_id * 2654435761u ^ (unsigned)s->started_wall;
	}
	bfd_peer_sync(p);
	if (p->disabled || p->maxpfx_wait || s->stopping) {
		fsm_update_state(p);
		return;
	}
	if (!p->cf->passive && !p->conn[0] && !p->conn[1]) {
		if (conn_connect(p) < 0) {
			fsm_connect_failed(p, strerror(errno));
			return;
		}
	}
	fsm_update_state(p);
}

/* Next step after a session or connection went away. */
static void fsm_schedule(struct peer *p)
{
	struct session *s = p->s;
	double delay;

	fsm_update_state(p);
	if (p->disabled || p->maxpfx_wait || s->stopping || p->cf->passive ||
	    p->conn[0] || p->conn[1] || ev_is_active(&p->retry))
		return;
	delay = p->backoff * (0.75 + 0.5 * (rand_r(&p->rand_seed) / (double)RAND_MAX));
	p->backoff = p->backoff * 2 > FSM_RETRY_MAX ? FSM_RETRY_MAX : p->backoff * 2;
	ev_timer_stop(s->loop, &p->retry);
	ev_timer_set(&p->retry, delay, 0);
	ev_timer_start(s->loop, &p->retry);
	log_debug(s->log, p->name, "connect retry in %.1f s", delay);
}

void fsm_connect_failed(struct peer *p, const char *reason)
{
	log_debug(p->s->log, p->name, "connect failed: %s", reason);
	fsm_schedule(p);
}

void fsm_peer_reset(struct peer *p, const struct bgp_notify *n)
{
	char reason[300];

	if (n) {
		char text[256];
		note_notify(p, n, true);
		notify_text(n, text, sizeof(text));
		snprintf(reason, sizeof(reason), "sent %s", text);
	} else {
		snprintf(reason, sizeof(reason), "reset");
	}
	for (int k = 0; k < 2; k++)
		if (p->conn[k])
			conn_close(p->conn[k], n);
	session_down(p, reason, !n, n, true);
	fsm_schedule(p);
}

void fsm_conn_lost(struct conn *c, const char *reason)
{
	struct peer *p = c->peer;
	bool was_est = p->est == c;

	log_info(p->s->log, p->name, "connection lost: %s", reason);
	if (was_est || !p->last_error[0]) {
		snprintf(p->last_error, sizeof(p->last_error), "%s", reason);
		log_time_iso(p->last_error_time, sizeof(p->last_error_time));
		p->last_error_old = false;
	}
	conn_close(c, NULL);
	if (was_est)
		session_down(p, reason, true, NULL, false);
	fsm_schedule(p);
}

void fsm_send_stalled(struct conn *c)
{
	struct bgp_notify n = {.code = BGP_ERR_HOLD};

	snprintf(n.reason, sizeof(n.reason),
		 "output not drained for the hold time (%u s)", c->hold_time);
	fsm_peer_reset(c->peer, &n);
}

/* ------------------------------------------------------ connections */

/* Keep a copy of an OPEN message (for the peer_up hook). */
static void keep_open(uint8_t **dst, uint16_t *dlen, const uint8_t *msg,
		      size_t len)
{
	free(*dst);
	*dlen = 0;
	*dst = malloc(len);
	if (*dst) {
		memcpy(*dst, msg, len);
		*dlen = (uint16_t)len;
	}
}

static void send_open(struct conn *c)
{
	struct peer *p = c->peer;
	struct bgp_open o;
	uint8_t buf[BGP_MAX_LEN];
	uint32_t asn = p->s->conf->rs.asn;
	int n;

	memset(&o, 0, sizeof(o));
	o.version = BGP_VERSION;
	o.my_as = asn > 0xffff ? AS_TRANS : (uint16_t)asn;
	o.hold_time = conf_hold(p);
	o.bgp_id = router_id(p->s);
	o.as4 = asn;
	o.has_as4 = true;
	o.route_refresh = true;
	o.ext_message = true;
	o.n_afs = 2;
	o.afs[0] = (struct bgp_af){AFI_IPV4, SAFI_UNICAST};
	o.afs[1] = (struct bgp_af){AFI_IPV6, SAFI_UNICAST};
	/* Graceful restart: the restart time, and for each family the
	 * forwarding bit (host agents keep the fabric's routes while
	 * pharosd restarts); the Restart State bit while this daemon is
	 * recovering from a restart (session.restarting). */
	o.graceful_restart = true;
	o.gr_time = FSM_GR_TIME;
	o.gr_flags = p->s->restarting ? GR_FLAG_RESTART : 0;
	o.n_gr_afs = 2;
	o.gr_afs[0] = (struct bgp_gr_af){AFI_IPV4, SAFI_UNICAST, GR_AF_FORWARDING};
	o.gr_afs[1] = (struct bgp_gr_af){AFI_IPV6, SAFI_UNICAST, GR_AF_FORWARDING};
	o.add_path[AFI_IPV4] = o.add_path[AFI_IPV6] = p->cf->add_path;
	n = bgp_open_encode(&o, buf, sizeof(buf));
	if (n <= 0)
		return;
	conn_send_bytes(c, buf, (size_t)n);
	keep_open(&c->open_sent, &c->open_sent_len, buf, (size_t)n);
}

void fsm_conn_up(struct conn *c)
{
	struct peer *p = c->peer;

	send_open(c);
	c->state = PS_OPENSENT;
	ev_timer_set(&c->hold, FSM_OPEN_HOLD, 0);
	ev_timer_start(p->s->loop, &c->hold);
	ev_timer_stop(p->s->loop, &p->retry);
	log_debug(p->s->log, p->name, "TCP up (%s), OPEN sent",
		  c->outgoing ? "outgoing" : "incoming");
	fsm_update_state(p);
}

/* Both connection slots are taken and a new one comes in: an incoming
 * connection that has not sent its OPEN yet (the older one when both
 * have not) gives its slot up, so half-open connections from the peer's
 * address cannot keep the real peer out (its connection sends OPEN at
 * once, so it is never the one dropped). */
static void drop_silent(struct peer *p)
{
	struct conn *v = NULL;
	struct bgp_notify n = {.code = BGP_ERR_CEASE,
			       .subcode = BGP_CEASE_COLLISION};

	for (int k = 0; k < 2; k++) {
		struct conn *c = p->conn[k];
		/* the older one: less left of its OPEN deadline */
		if (c && !c->outgoing && c->state == PS_OPENSENT &&
		    !c->got_open &&
		    (!v || ev_timer_remaining(p->s->loop, &c->hold) <
				   ev_timer_remaining(p->s->loop, &v->hold)))
			v = c;
	}
	if (!v)
		return;
	snprintf(n.reason, sizeof(n.reason),
		 "connection collision resolution: no OPEN received");
	log_info(p->s->log, p->name, "incoming connection without OPEN "
		 "closed for a new one");
	conn_close(v, &n);
}

void fsm_accept(struct peer *p, int fd, const struct addr *local,
		const struct addr *remote)
{
	struct session *s = p->s;
	struct bgp_notify n;
	struct conn *c;
	int slot;

	/* An outgoing connect still in progress yields to the incoming one. */
	for (int k = 0; k < 2; k++)
		if (p->conn[k] && p->conn[k]->state == PS_CONNECT)
			conn_close(p->conn[k], NULL);
	if (p->conn[0] && p->conn[1] && !p->est)
		drop_silent(p);
	slot = !p->conn[0] ? 0 : !p->conn[1] ? 1 : -1;
	c = conn_new(p, fd, false);
	if (!c) {
		close(fd);
		return;
	}
	c->local = *local;
	c->remote = *remote;
	memset(&n, 0, sizeof(n));
	n.code = BGP_ERR_CEASE;
	if (p->disabled || p->maxpfx_wait || s->stopping) {
		n.subcode = BGP_CEASE_CONN_REJECTED;
		snprintf(n.reason, sizeof(n.reason), "%s",
			 p->disabled ? "peer disabled" : "peer in restart delay");
	} else if (p->est || slot < 0) {
		n.subcode = BGP_CEASE_COLLISION;
		snprintf(n.reason, sizeof(n.reason),
			 "connection collision resolution");
	}
	if (n.subcode) {
		log_info(s->log, p->name, "incoming connection rejected: %s",
			 n.reason);
		c->state = PS_OPENSENT; /* so that the NOTIFICATION is sent */
		c->peer = NULL;
		conn_close(c, &n);
		return;
	}
	p->conn[slot] = c;
	ev_io_start(s->loop, &c->rio);
	fsm_conn_up(c);
}

/* ------------------------------------------------------ messages */

static void fsm_error(struct peer *p, uint8_t code, uint8_t sub,
		      const char *reason)
{
	struct bgp_notify n;

	memset(&n, 0, sizeof(n));
	n.code = code;
	n.subcode = sub;
	snprintf(n.reason, sizeof(n.reason), "%s", reason);
	fsm_peer_reset(p, &n);
}

/* RFC 4271 6.8: with both connections past OPEN, the higher BGP
 * identifier's connection survives. Returns false when c was closed. */
static bool resolve_collision(struct peer *p, struct conn *c)
{
	struct conn *o = other_conn(p, c), *loser;
	struct bgp_notify n = {.code = BGP_ERR_CEASE,
			       .subcode = BGP_CEASE_COLLISION};

	if (!o || o->state < PS_OPENCONFIRM)
		return true;
	/* An established session always wins; otherwise keep the
	 * connection opened by the side with the higher BGP identifier. */
	if (o->state == PS_ESTABLISHED)
		loser = c;
	else if (router_id(p->s) > c->open.bgp_id)
		loser = c->outgoing ? o : c;
	else
		loser = c->outgoing ? c : o;
	snprintf(n.reason, sizeof(n.reason), "connection collision resolution");
	log_info(p->s->log, p->name, "collision: closing the %s connection",
		 loser->outgoing ? "outgoing" : "incoming");
	note_notify(p, &n, true);
	conn_close(loser, &n);
	return loser != c;
}

static int open_check(struct peer *p, const struct bgp_open *o,
		      struct bgp_notify *n)
{
	memset(n, 0, sizeof(*n));
	n->code = BGP_ERR_OPEN;
	if (bgp_open_asn(o) != p->cf->asn) {
		n->subcode = BGP_OPEN_BAD_AS;
		n->data_len = 2;
		n->data[0] = (uint8_t)(o->my_as >> 8);
		n->data[1] = (uint8_t)o->my_as;
		snprintf(n->reason, sizeof(n->reason),
			 "peer AS %u, expected %u", bgp_open_asn(o), p->cf->asn);
		return -1;
	}
	if (o->bgp_id == 0 || o->bgp_id == router_id(p->s)) {
		n->subcode = BGP_OPEN_BAD_ID;
		n->data_len = 4;
		for (int i = 0; i < 4; i++)
			n->data[i] = (uint8_t)(o->bgp_id >> (24 - 8 * i));
		snprintf(n->reason, sizeof(n->reason), "BGP identifier %s",
			 o->bgp_id ? "equal to ours" : "zero");
		return -1;
	}
	if (o->hold_time == 1 || o->hold_time == 2) {
		n->subcode = BGP_OPEN_BAD_HOLD;
		n->data_len = 2;
		n->data[0] = 0;
		n->data[1] = (uint8_t)o->hold_time;
		snprintf(n->reason, sizeof(n->reason), "hold time %u",
			 o->hold_time);
		return -1;
	}
	return 0;
}

static int handle_open(struct conn *c, const uint8_t *body, size_t len)
{
	struct peer *p = c->peer;
	struct bgp_notify n;
	uint8_t buf[BGP_HDR_LEN];
	uint16_t hold;
	int k;

	memset(&n, 0, sizeof(n));
	if (bgp_open_decode(body, len, &c->open, &n) < 0 ||
	    open_check(p, &c->open, &n) < 0) {
		events_emit(p->s->events, "open_error", p->name, "%s",
			    n.reason);
		fsm_peer_reset(p, &n);
		return -1;
	}
	c->got_open = true;
	hold = conf_hold(p) < c->open.hold_time ? conf_hold(p) : c->open.hold_time;
	c->hold_time = hold;
	k = conf_keepalive(p);
	c->keepalive_time = (uint16_t)(hold == 0 ? 0 : (k && k < hold / 3 ? k : hold / 3));
	if (hold && !c->keepalive_time)
		c->keepalive_time = 1;
	c->caps.as4 = c->open.has_as4;
	c->caps.ext_message = c->open.ext_message;
	c->caps.ebgp = true;
	for (int afi = AFI_IPV4; afi <= AFI_IPV6; afi++) { /* RFC 7911 */
		uint8_t ap = bgp_addpath_negotiate(p->cf->add_path,
						   c->open.add_path[afi]);
		c->caps.addpath_rx[afi] = ap & ADDPATH_RECEIVE;
		c->caps.addpath_tx[afi] = ap & ADDPATH_SEND;
	}
	p->afi_v4 = c->open.n_afs == 0 ||
		    bgp_open_has_af(&c->open, AFI_IPV4, SAFI_UNICAST);
	p->afi_v6 = bgp_open_has_af(&c->open, AFI_IPV6, SAFI_UNICAST);
	c->state = PS_OPENCONFIRM;
	if (!resolve_collision(p, c)) {
		fsm_update_state(p);
		return -1;
	}
	if (bgp_keepalive_encode(buf, sizeof(buf)) > 0)
		conn_send_bytes(c, buf, BGP_HDR_LEN);
	ev_timer_stop(p->s->loop, &c->hold);
	if (hold) {
		ev_timer_set(&c->hold, hold, hold);
		ev_timer_start(p->s->loop, &c->hold);
		ev_timer_set(&c->keepalive, c->keepalive_time, c->keepalive_time);
		ev_timer_start(p->s->loop, &c->keepalive);
	}
	fsm_update_state(p);
	return 0;
}

static void handle_notification(struct conn *c, const uint8_t *body,
				size_t len)
{
	struct peer *p = c->peer;
	struct bgp_notify n;
	char reason[300], text[256];
	bool was_est = p->est == c;

	memset(&n, 0, sizeof(n));
	bgp_notify_decode(body, len, &n);
	note_notify(p, &n, false);
	notify_text(&n, text, sizeof(text));
	snprintf(reason, sizeof(reason), "received %s", text);
	conn_close(c, NULL);
	if (was_est)
		session_down(p, reason, false, &n, false);
	fsm_schedule(p);
}

static int handle_refresh(struct conn *c, const uint8_t *body, size_t len)
{
	struct peer *p = c->peer;
	struct bgp_route_refresh rr;
	struct bgp_notify n;

	memset(&n, 0, sizeof(n));
	if (bgp_rr_decode(body, len, &rr, &n) < 0) {
		fsm_peer_reset(p, &n);
		return -1;
	}
	if (rr.subtype != 0 || rr.safi != SAFI_UNICAST)
		return 0;
	if ((rr.afi == AFI_IPV4 && p->afi_v4) ||
	    (rr.afi == AFI_IPV6 && p->afi_v6)) {
		log_info(p->s->log, p->name, "route refresh received (%s)",
			 rr.afi == AFI_IPV4 ? "ipv4" : "ipv6");
		export_refresh(p->s->ex, p->rib_id, rr.afi);
		session_kick(p->s);
	}
	return 0;
}

int fsm_message(struct conn *c, uint8_t type, const uint8_t *msg, size_t len)
{
	struct peer *p = c->peer;
	const uint8_t *body = msg + BGP_HDR_LEN;
	size_t blen = len - BGP_HDR_LEN;
	char what[96];

	if (type == BGP_NOTIFICATION) {
		handle_notification(c, body, blen);
		return -1;
	}
	if (c->state >= PS_OPENCONFIRM && c->hold_time)
		ev_timer_again(p->s->loop, &c->hold);
	switch (c->state) {
	case PS_OPENSENT:
		if (type == BGP_OPEN) {
			keep_open(&c->open_recv, &c->open_recv_len, msg, len);
			return handle_open(c, body, blen);
		}
		break;
	case PS_OPENCONFIRM:
		if (type == BGP_KEEPALIVE) {
			session_up(p, c);
			return 0;
		}
		break;
	case PS_ESTABLISHED:
		if (type == BGP_KEEPALIVE)
			return 0;
		if (type == BGP_UPDATE) {
			p->updates_in++;
			if (p->s->hooks.update_in)
				p->s->hooks.update_in(p->s->hooks.ctx, c, msg,
						      len);
			return fsm_import(p, c, body, blen);
		}
		if (type == BGP_ROUTE_REFRESH)
			return handle_refresh(c, body, blen);
		break;
	default:
		break;
	}
	snprintf(what, sizeof(what), "unexpected %s in state %s",
		 bgp_msg_name(type), peer_state_name(c->state));
	fsm_error(p, BGP_ERR_FSM,
		  c->state == PS_OPENSENT ? 1 : c->state == PS_OPENCONFIRM ? 2 : 3,
		  what);
	return -1;
}

/* ------------------------------------------------------ max prefix */

void fsm_max_prefix(struct peer *p, uint16_t afi)
{
	struct session *s = p->s;
	struct bgp_notify n;
	uint32_t limit = p->cf->max_prefixes;
	unsigned mult;
	double delay;

	memset(&n, 0, sizeof(n));
	n.code = BGP_ERR_CEASE;
	n.subcode = BGP_CEASE_MAX_PREFIX;
	n.data_len = 7; /* RFC 4486: AFI, SAFI, upper bound */
	n.data[0] = (uint8_t)(afi >> 8);
	n.data[1] = (uint8_t)afi;
	n.data[2] = SAFI_UNICAST;
	n.data[3] = (uint8_t)(limit >> 24);
	n.data[4] = (uint8_t)(limit >> 16);
	n.data[5] = (uint8_t)(limit >> 8);
	n.data[6] = (uint8_t)limit;
	snprintf(n.reason, sizeof(n.reason), "more than %u prefixes", limit);
	p->max_prefix_hits++;
	p->maxpfx_streak++;
	mult = p->maxpfx_streak >= 4 ? 8 : 1u << (p->maxpfx_streak - 1);
	delay = (double)s->conf->rs.restart_delay * mult;
	if (delay <= 0)
		delay = 1;
	events_emit(s->events, "max_prefix", p->name,
		    "more than %u prefixes; restart in %.0f s", limit, delay);
	p->maxpfx_wait = true;
	fsm_peer_reset(p, &n);
	ev_timer_stop(s->loop, &p->retry);
	ev_timer_set(&p->retry, delay, 0);
	ev_timer_start(s->loop, &p->retry);
}

/* ------------------------------------------------------ BFD */

void fsm_bfd_down(struct peer *p, const char *why)
{
	struct bgp_notify n;

	if (!p->conn[0] && !p->conn[1])
		return;
	memset(&n, 0, sizeof(n));
	n.code = BGP_ERR_CEASE;
	n.subcode = BGP_CEASE_BFD_DOWN;
	snprintf(n.reason, sizeof(n.reason), "BFD down: %s", why);
	fsm_peer_reset(p, &n);
}

/* ------------------------------------------------------ operator */

int peer_disable(struct peer *p, const char *message, char *err, size_t len)
{
	struct bgp_notify n;

	memset(&n, 0, sizeof(n));
	if (!message || !*message)
		message = "disabled by operator";
	p->disabled = true;
	p->maxpfx_wait = false;
	ev_timer_stop(p->s->loop, &p->retry);
	bgp_notify_shutdown(&n, BGP_CEASE_ADMIN_SHUTDOWN, message);
	log_info(p->s->log, p->name, "disabled: %s", message);
	events_emit(p->s->events, "peer_disabled", p->name, "%s", message);
	if (p->conn[0] || p->conn[1])
		fsm_peer_reset(p, &n);
	gr_flush(p, "peer disabled");
	bfd_peer_sync(p);
	fsm_update_state(p);
	return 0;
}

int peer_enable(struct peer *p, char *err, size_t len)
{
	bool was = p->disabled;

	p->disabled = false;
	p->backoff = FSM_RETRY_MIN;
	if (was) {
		log_info(p->s->log, p->name, "enabled");
		events_emit(p->s->events, "peer_enabled", p->name, "enabled by operator");
	}
	fsm_start(p);
	return 0;
}

int peer_refresh(struct peer *p, char *err, size_t len)
{
	struct bgp_route_refresh rr = {.safi = SAFI_UNICAST};
	uint8_t buf[64];
	int n;

	if (!p->est) {
		snprintf(err, len, "peer %s is not established", p->name);
		return -1;
	}
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		if (!(afi == AFI_IPV4 ? p->afi_v4 : p->afi_v6))
			continue;
		export_refresh(p->s->ex, p->rib_id, afi);
		rr.afi = afi;
		if (p->est->open.route_refresh &&
		    (n = bgp_rr_encode(&rr, buf, sizeof(buf))) > 0)
			conn_send_bytes(p->est, buf, (size_t)n);
	}
	log_info(p->s->log, p->name, "route refresh requested by operator");
	session_kick(p->s);
	return 0;
}

int peer_clear(struct peer *p, char *err, size_t len)
{
	struct bgp_notify n;

	if (p->disabled) {
		snprintf(err, len, "peer %s is disabled", p->name);
		return -1;
	}
	if (!p->conn[0] && !p->conn[1]) {
		snprintf(err, len, "peer %s has no session to clear", p->name);
		return -1;
	}
	memset(&n, 0, sizeof(n));
	bgp_notify_shutdown(&n, BGP_CEASE_ADMIN_RESET, "cleared by operator");
	log_info(p->s->log, p->name, "session cleared by operator");
	events_emit(p->s->events, "peer_cleared", p->name,
		    "session cleared by operator");
	p->backoff = FSM_RETRY_MIN;
	fsm_peer_reset(p, &n);
	return 0;
}
