/*
 * peer.c - peers, listeners and connection I/O for pharosd (see peer.h).
 *
 * Sockets are non-blocking. Reads go into a per-connection buffer and whole
 * messages are framed with the codec's header check; writes drain a ring
 * of shared out_buf references with writev so that queued messages
 * coalesce. Everything the FSM decides happens in fsm.c.
 */
#include "session/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "session/fsm.h"
#include "session/bfd_session.h"

#define LINGER_SECS 2.0
#define MAX_IOV 64

const char *peer_state_name(int s)
{
	static const char *names[] = {"idle", "connect", "active",
				      "opensent", "openconfirm", "established"};
	return s >= 0 && s <= PS_ESTABLISHED ? names[s] : "unknown";
}

/* ------------------------------------------------------ prefix sets */

size_t peer_prefixes_accepted(const struct peer *p)
{
	return rib_peer_count(p->s->rib, p->rib_id);
}

size_t peer_prefixes_received(const struct peer *p)
{
	return peer_prefixes_accepted(p) + refused_count(p->refused);
}

/* ------------------------------------------------------ addresses */

static int set_md5(int fd, const struct addr *peer, const char *password)
{
	struct tcp_md5sig md5;
	size_t len = password ? strlen(password) : 0;

	if (len > TCP_MD5SIG_MAXKEYLEN)
		return -1;
	memset(&md5, 0, sizeof(md5));
	addr_to_sockaddr(peer, 0, &md5.tcpm_addr);
	md5.tcpm_keylen = (uint16_t)len;
	if (len)
		memcpy(md5.tcpm_key, password, len);
	return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5));
}

static void set_ttl(int fd, int afi, unsigned ttl)
{
	int v = ttl ? (int)ttl : 255;

	if (v > 255)
		v = 255;
	if (afi == AFI_IPV6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v));
	else
		setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
}

static void set_sockopts(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* ------------------------------------------------------ peers */

struct peer *session_peer_by_name(const struct session *s, const char *name)
{
	for (unsigned i = 0; i < s->n_peers; i++)
		if (!strcmp(s->peers[i]->name, name))
			return s->peers[i];
	return NULL;
}

struct peer *session_peer_by_addr(const struct session *s, const struct addr *a)
{
	for (unsigned i = 0; i < s->n_peers; i++)
		if (addr_eq(&s->peers[i]->cf->address, a))
			return s->peers[i];
	return NULL;
}

struct peer *session_peer_by_rib(const struct session *s, uint32_t rib_peer)
{
	return rib_peer < s->n_by_rib ? s->by_rib[rib_peer] : NULL;
}

int peers_create(struct session *s)
{
	const struct conf_rs *rs = &s->conf->rs;

	s->peers = calloc(rs->n_peers ? rs->n_peers : 1, sizeof(*s->peers));
	if (!s->peers)
		return -1;
	for (unsigned i = 0; i < rs->n_peers; i++) {
		const struct conf_peer *cf = &rs->peers[i];
		struct rib_peer rp = {.addr = cf->address, .asn = cf->asn,
				      .kind = cf->kind};
		struct peer *p = calloc(1, sizeof(*p));

		if (!p)
			return -1;
		p->s = s;
		p->cf = cf;
		p->name = cf->name;
		p->disabled = cf->disabled; /* disabled: true in the file */
		p->refused = refused_new(s->rib);
		p->backoff = FSM_RETRY_MIN;
		p->rib_id = rib_peer_add(s->rib, &rp);
		if (p->rib_id >= s->n_by_rib) {
			uint32_t n = p->rib_id + 16;
			struct peer **nb = realloc(s->by_rib, n * sizeof(*nb));
			if (!nb) {
				free(p);
				return -1;
			}
			memset(nb + s->n_by_rib, 0,
			       (n - s->n_by_rib) * sizeof(*nb));
			s->by_rib = nb;
			s->n_by_rib = n;
		}
		s->by_rib[p->rib_id] = p;
		s->peers[s->n_peers++] = p;
	}
	return 0;
}

static void conn_free(struct conn *c);

void peers_free(struct session *s)
{
	for (unsigned i = 0; i < s->n_peers; i++) {
		struct peer *p = s->peers[i];

		ev_timer_stop(s->loop, &p->retry);
		ev_timer_stop(s->loop, &p->gr_timer);
		bfd_peer_stop(p);
		for (int k = 0; k < 2; k++)
			if (p->conn[k])
				conn_free(p->conn[k]);
		refused_free(p->refused);
		free(p);
	}
	bfd_rx_close(s);
	free(s->peers);
	free(s->by_rib);
	s->peers = NULL;
	s->by_rib = NULL;
	s->n_peers = 0;
}

/* ------------------------------------------------------ output */

bool conn_send(struct conn *c, struct out_buf *b)
{
	if (c->oq_n == c->oq_cap) {
		size_t ncap = c->oq_cap ? c->oq_cap * 2 : 16;
		struct out_buf **nq = malloc(ncap * sizeof(*nq));

		if (!nq)
			return false;
		for (size_t i = 0; i < c->oq_n; i++)
			nq[i] = c->oq[(c->oq_head + i) % c->oq_cap];
		free(c->oq);
		c->oq = nq;
		c->oq_cap = ncap;
		c->oq_head = 0;
	}
	out_buf_ref(b);
	c->oq[(c->oq_head + c->oq_n) % c->oq_cap] = b;
	c->oq_n++;
	if (c->oq_bytes == 0)
		c->last_drain = ev_now(c->s->loop);
	c->oq_bytes += b->len;
	if (c->peer && c->oq_bytes > c->peer->outq_hwm)
		c->peer->outq_hwm = c->oq_bytes;
	if (c->fd >= 0 && c->state != PS_CONNECT)
		ev_io_start(c->s->loop, &c->wio);
	if (c->peer)
		c->peer->msgs_out++;
	if (c->peer)
		c->peer->updates_out += bgp_count_updates(b->data, b->len);
	return c->oq_bytes <= CONN_OUTQ_BOUND;
}

bool conn_send_bytes(struct conn *c, const void *buf, size_t len)
{
	struct out_buf *b = out_buf_new(len);
	bool ok;

	if (!b)
		return false;
	memcpy(b->data, buf, len);
	b->len = (uint32_t)len;
	ok = conn_send(c, b);
	out_buf_unref(b);
	return ok;
}

static void oq_pop(struct conn *c)
{
	struct out_buf *b = c->oq[c->oq_head];

	c->oq_bytes -= b->len;
	out_buf_unref(b);
	c->oq_head = (c->oq_head + 1) % c->oq_cap;
	c->oq_n--;
	c->oq_off = 0;
}

static void oq_clear(struct conn *c)
{
	while (c->oq_n)
		oq_pop(c);
	free(c->oq);
	c->oq = NULL;
	c->oq_cap = c->oq_head = c->oq_bytes = 0;
}

/* Write what the socket takes. Returns -1 on a socket error. */
static int conn_flush(struct conn *c)
{
	while (c->oq_n) {
		struct iovec iov[MAX_IOV];
		int n = 0;
		ssize_t w;

		for (size_t i = 0; i < c->oq_n && n < MAX_IOV; i++, n++) {
			struct out_buf *b = c->oq[(c->oq_head + i) % c->oq_cap];
			size_t off = i == 0 ? c->oq_off : 0;
			iov[n].iov_base = b->data + off;
			iov[n].iov_len = b->len - off;
		}
		w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		c->last_drain = ev_now(c->s->loop);
		while (w > 0 && c->oq_n) {
			struct out_buf *b = c->oq[c->oq_head];
			size_t left = b->len - c->oq_off;
			if ((size_t)w >= left) {
				w -= (ssize_t)left;
				oq_pop(c);
			} else {
				c->oq_off += (size_t)w;
				w = 0;
			}
		}
		if (c->oq_n)
			return 0; /* socket full */
	}
	return 0;
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	if (conn_flush(c) < 0) {
		ev_io_stop(loop, &c->wio);
		if (c->peer) {
			fsm_conn_lost(c, strerror(errno));
		} else {
			oq_clear(c);
			ev_timer_stop(loop, &c->linger);
			ev_timer_set(&c->linger, 0, 0);
			ev_timer_start(loop, &c->linger);
		}
		return;
	}
	if (c->oq_n)
		return;
	ev_io_stop(loop, &c->wio);
	if (!c->peer) { /* lingering: NOTIFICATION out, half-close */
		shutdown(c->fd, SHUT_WR);
		return;
	}
	if (c->peer->export_paused && c->peer->est == c) {
		c->peer->export_paused = false;
		export_peer_writable(c->s->ex, c->peer->rib_id);
		session_kick(c->s);
	}
}

/* ------------------------------------------------------ input */

static size_t conn_max_len(const struct conn *c)
{
	return c->caps.ext_message ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
}

/* Frame and dispatch whole messages. Returns -1 when c was closed. */
static int conn_frame(struct conn *c)
{
	size_t off = 0;
	int rc = 0;

	while (c->rlen - off >= BGP_HDR_LEN) {
		struct bgp_hdr h;
		struct bgp_notify err;

		memset(&err, 0, sizeof(err));
		if (bgp_hdr_decode(c->rbuf + off, c->rlen - off,
				   conn_max_len(c), &h, &err) < 0) {
			events_emit(c->s->events, "update_error", c->peer->name,
				    "bad message header: %s", err.reason);
			fsm_peer_reset(c->peer, &err);
			return -1;
		}
		if (c->rlen - off < h.len)
			break;
		c->peer->msgs_in++;
		rc = fsm_message(c, h.type, c->rbuf + off, h.len);
		if (rc < 0 || !c->peer)
			return -1;
		off += h.len;
	}
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return 0;
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t n;

	if (!c->peer) { /* lingering: discard until EOF */
		uint8_t junk[4096];
		n = read(c->fd, junk, sizeof(junk));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			ev_timer_stop(loop, &c->linger);
			ev_timer_set(&c->linger, 0, 0);
			ev_timer_start(loop, &c->linger);
			ev_io_stop(loop, &c->rio);
		}
		return;
	}
	/* read at most four messages' worth: with 4 KiB messages the rest of
	 * the buffer (sized for 64 KiB ones) is never touched, so a session
	 * costs 16 KiB of it, not 128; a partial message left over is always
	 * shorter than the limit, so there is room */
	size_t lim = 4 * conn_max_len(c);
	if (lim > CONN_RBUF_SIZE)
		lim = CONN_RBUF_SIZE;
	n = read(c->fd, c->rbuf + c->rlen, lim - c->rlen);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fsm_conn_lost(c, strerror(errno));
		return;
	}
	if (n == 0) {
		fsm_conn_lost(c, "connection closed by peer");
		return;
	}
	c->rlen += (size_t)n;
	conn_frame(c);
}

/* ------------------------------------------------------ lifecycle */

static void conn_linger_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	struct session *s = c->s;
	struct conn **pp;

	for (pp = &s->lingering; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	conn_free(c);
	if (s->stopping && !s->lingering)
		ev_break(loop, EVBREAK_ALL);
}

static void conn_hold_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void conn_ka_cb(struct ev_loop *loop, ev_timer *w, int revents);

struct conn *conn_new(struct peer *p, int fd, bool outgoing)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->rbuf = malloc(CONN_RBUF_SIZE);
	if (!c->rbuf) {
		free(c);
		return NULL;
	}
	c->peer = p;
	c->s = p->s;
	c->fd = fd;
	c->outgoing = outgoing;
	c->state = PS_CONNECT;
	c->caps.ebgp = true;
	ev_io_init(&c->rio, conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, conn_write_cb, fd, EV_WRITE);
	ev_timer_init(&c->hold, conn_hold_cb, 0, 0);
	ev_timer_init(&c->keepalive, conn_ka_cb, 0, 0);
	ev_timer_init(&c->linger, conn_linger_cb, LINGER_SECS, 0);
	c->rio.data = c->wio.data = c->hold.data = c->keepalive.data =
		c->linger.data = c;
	return c;
}

static void conn_free(struct conn *c)
{
	struct ev_loop *loop = c->s->loop;

	ev_io_stop(loop, &c->rio);
	ev_io_stop(loop, &c->wio);
	ev_timer_stop(loop, &c->hold);
	ev_timer_stop(loop, &c->keepalive);
	ev_timer_stop(loop, &c->linger);
	if (c->fd >= 0)
		close(c->fd);
	oq_clear(c);
	free(c->rbuf);
	free(c->open_sent);
	free(c->open_recv);
	free(c);
}

void conns_linger_free(struct session *s)
{
	while (s->lingering) {
		struct conn *c = s->lingering;
		s->lingering = c->next;
		conn_free(c);
	}
}

void conn_close(struct conn *c, const struct bgp_notify *notify)
{
	struct peer *p = c->peer;
	struct ev_loop *loop = c->s->loop;

	if (p) {
		for (int k = 0; k < 2; k++)
			if (p->conn[k] == c)
				p->conn[k] = NULL;
		if (p->est == c)
			p->est = NULL;
	}
	c->peer = NULL;
	ev_timer_stop(loop, &c->hold);
	ev_timer_stop(loop, &c->keepalive);
	/* Keep only a partly written head, then the NOTIFICATION. */
	if (c->oq_n) {
		size_t keep = c->oq_off ? 1 : 0;
		while (c->oq_n > keep) {
			size_t last = (c->oq_head + c->oq_n - 1) % c->oq_cap;
			c->oq_bytes -= c->oq[last]->len;
			out_buf_unref(c->oq[last]);
			c->oq_n--;
		}
	}
	c->next = c->s->lingering;
	c->s->lingering = c;
	if (c->fd < 0 || c->state == PS_CONNECT) {
		ev_io_stop(loop, &c->wio);
		ev_io_stop(loop, &c->rio);
		ev_timer_set(&c->linger, 0, 0);
		ev_timer_start(loop, &c->linger);
		return;
	}
	if (notify) {
		uint8_t buf[BGP_MAX_LEN];
		int n = bgp_notify_encode(notify, buf, sizeof(buf));
		if (n > 0)
			conn_send_bytes(c, buf, (size_t)n);
	}
	ev_io_start(loop, &c->rio);
	ev_timer_set(&c->linger, LINGER_SECS, 0);
	ev_timer_start(loop, &c->linger);
	if (c->oq_n) {
		conn_flush(c);
		ev_io_start(loop, &c->wio);
	}
	if (!c->oq_n) {
		ev_io_stop(loop, &c->wio);
		shutdown(c->fd, SHUT_WR);
	}
}

/* ------------------------------------------------------ timers */

static void conn_hold_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	struct bgp_notify n;

	if (!c->peer)
		return;
	memset(&n, 0, sizeof(n));
	n.code = BGP_ERR_HOLD;
	snprintf(n.reason, sizeof(n.reason), "Hold Timer Expired");
	log_warn(c->s->log, c->peer->name, "hold timer expired (%u s)",
		 c->hold_time);
	fsm_peer_reset(c->peer, &n);
}

static void conn_ka_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	uint8_t buf[BGP_HDR_LEN];
	int n;

	if (!c->peer)
		return;
	if (c->oq_bytes && c->hold_time &&
	    ev_now(loop) - c->last_drain >= c->hold_time) {
		fsm_send_stalled(c);
		return;
	}
	n = bgp_keepalive_encode(buf, sizeof(buf));
	if (n > 0)
		conn_send_bytes(c, buf, (size_t)n);
}

/* ------------------------------------------------------ connect */

static void conn_connect_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct peer *p = c->peer;
	int err = 0;
	socklen_t el = sizeof(err);

	ev_io_stop(loop, &c->wio);
	ev_io_set(&c->wio, c->fd, EV_WRITE);
	ev_set_cb(&c->wio, conn_write_cb);
	if (!p)
		return;
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		conn_close(c, NULL);
		fsm_connect_failed(p, strerror(err));
		return;
	}
	ev_io_start(loop, &c->rio);
	fsm_conn_up(c);
}

static const struct addr *local_for(const struct session *s, int afi)
{
	for (unsigned i = 0; i < s->conf->rs.n_listen; i++) {
		const struct addr *a = &s->conf->rs.listen[i];
		static const uint8_t zero[16];
		if (a->afi == afi && memcmp(a->b, zero, 16))
			return a;
	}
	return NULL;
}

int conn_connect(struct peer *p)
{
	const struct conf_peer *cf = p->cf;
	struct sockaddr_storage ss;
	const struct addr *src = local_for(p->s, cf->address.afi);
	socklen_t sl;
	struct conn *c;
	int fd, slot = !p->conn[0] ? 0 : !p->conn[1] ? 1 : -1;

	if (slot < 0)
		return -1;
	fd = socket(cf->address.afi == AFI_IPV6 ? AF_INET6 : AF_INET,
		    SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	set_sockopts(fd);
	set_ttl(fd, cf->address.afi, cf->multihop);
	if (cf->password && set_md5(fd, &cf->address, cf->password) < 0)
		log_warn(p->s->log, p->name, "TCP MD5: %s", strerror(errno));
	if (src) {
		sl = addr_to_sockaddr(src, 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
			log_debug(p->s->log, p->name, "bind: %s",
				  strerror(errno));
	}
	sl = addr_to_sockaddr(&cf->address, cf->port ? cf->port : 179, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	c = conn_new(p, fd, true);
	if (!c) {
		close(fd);
		return -1;
	}
	c->remote = cf->address;
	if (src)
		c->local = *src;
	p->conn[slot] = c;
	ev_set_cb(&c->wio, conn_connect_cb);
	ev_io_start(p->s->loop, &c->wio);
	return 0;
}

/* ------------------------------------------------------ listeners */

static void listener_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;
	struct session *s = l->s;
	struct sockaddr_storage ss, ls;
	socklen_t sl = sizeof(ss), lsl = sizeof(ls);
	struct addr remote, local;
	char buf[ADDR_STRLEN];
	struct peer *p;
	int fd;

	fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	addr_from_sockaddr(&ss, &remote);
	getsockname(fd, (struct sockaddr *)&ls, &lsl);
	addr_from_sockaddr(&ls, &local);
	addr_fmt(&remote, buf, sizeof(buf));
	p = session_peer_by_addr(s, &remote);
	if (!p) {
		/* Rate-limited: a flood neither fills the log nor pushes
		 * the other events out of the ring (events_limited). */
		s->refused_connections++;
		events_limited(s->events, s->log, "peer_refused", buf,
			       "refused connection from %s: not a configured "
			       "peer", buf);
		close(fd);
		return;
	}
	set_sockopts(fd);
	set_ttl(fd, remote.afi, p->cf->multihop);
	fsm_accept(p, fd, &local, &remote);
}

static int listener_open(struct session *s, const struct addr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(a, port, &ss);
	int one = 1, fd;
	struct listener *l;

	fd = socket(a->afi == AFI_IPV6 ? AF_INET6 : AF_INET,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->afi == AFI_IPV6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	for (unsigned i = 0; i < s->conf->rs.n_peers; i++) {
		const struct conf_peer *cf = &s->conf->rs.peers[i];
		if (cf->password && cf->address.afi == a->afi &&
		    set_md5(fd, &cf->address, cf->password) < 0)
			log_warn(s->log, cf->name, "TCP MD5 on listener: %s",
				 strerror(errno));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		char buf[ADDR_STRLEN];
		log_err(s->log, NULL, "cannot listen on %s port %u: %s",
			addr_fmt(a, buf, sizeof(buf)), port, strerror(errno));
		close(fd);
		return -1;
	}
	l = &s->listeners[s->n_listeners++];
	l->fd = fd;
	l->addr = *a;
	l->s = s;
	ev_io_init(&l->io, listener_accept_cb, fd, EV_READ);
	l->io.data = l;
	ev_io_start(s->loop, &l->io);
	return 0;
}

int listeners_start(struct session *s)
{
	const struct conf_rs *rs = &s->conf->rs;
	struct addr any4 = {.afi = AFI_IPV4}, any6 = {.afi = AFI_IPV6};

	s->listeners = calloc(rs->n_listen + 2, sizeof(*s->listeners));
	if (!s->listeners)
		return -1;
	if (rs->n_listen == 0) {
		int a = listener_open(s, &any4, rs->port);
		int b = listener_open(s, &any6, rs->port);
		return a < 0 && b < 0 ? -1 : 0;
	}
	for (unsigned i = 0; i < rs->n_listen; i++)
		if (listener_open(s, &rs->listen[i], rs->port) < 0)
			return -1;
	return 0;
}

void listeners_stop(struct session *s)
{
	for (unsigned i = 0; i < s->n_listeners; i++) {
		ev_io_stop(s->loop, &s->listeners[i].io);
		close(s->listeners[i].fd);
	}
	free(s->listeners);
	s->listeners = NULL;
	s->n_listeners = 0;
}

size_t peer_caps_names(const struct peer *p, const char **out, size_t max)
{
	const struct conn *c = p->est;
	size_t n = 0;

	if (!c)
		return 0;
#define CAP(cond, name) do { if ((cond) && n < max) out[n++] = (name); } while (0)
	CAP(p->afi_v4, "ipv4-unicast");
	CAP(p->afi_v6, "ipv6-unicast");
	CAP(c->caps.as4, "4-octet-as");
	CAP(c->open.route_refresh, "route-refresh");
	CAP(c->open.graceful_restart, "graceful-restart");
	CAP(c->caps.ext_message, "extended-message");
	CAP(c->caps.addpath_rx[AFI_IPV4], "add-path-receive-ipv4");
	CAP(c->caps.addpath_rx[AFI_IPV6], "add-path-receive-ipv6");
	CAP(c->caps.addpath_tx[AFI_IPV4], "add-path-send-ipv4");
	CAP(c->caps.addpath_tx[AFI_IPV6], "add-path-send-ipv6");
#undef CAP
	return n;
}
