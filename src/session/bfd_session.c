/*
 * bfd_session.c - BFD sessions of pharosd's peers (see bfd_session.h).
 *
 * One transmit socket per session (source port 49152-65535, TTL 255,
 * RFC 5881 4 / RFC 5883 2); receive sockets are shared, one per family
 * and kind (3784 single hop, 4784 multihop), and packets find their
 * session by Your Discriminator, or by source address while that is
 * still zero. The state machine and timers follow RFC 5880 6.8: a slow
 * 1 s transmit interval until Up, then the configured one (announced
 * with a Poll Sequence); the detection time is the neighbour's
 * multiplier times the slower of our receive and its transmit interval.
 */
#include "session/bfd_session.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "session/fsm.h"

static void bfd_send(struct bfd_sess *b);

static double us2s(uint32_t us)
{
	return us / 1e6;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

double bfd_tx_ms(const struct bfd_sess *b)
{
	return max32(b->des_min_tx, b->remote_min_rx) / 1e3;
}

double bfd_detect_ms(const struct bfd_sess *b)
{
	return b->remote_mult *
	       max32(b->cf.min_rx_ms * 1000u, b->remote_min_tx) / 1e3;
}

/* ------------------------------------------------------ state changes */

static void set_state(struct bfd_sess *b, uint8_t st, uint8_t diag)
{
	struct peer *p = b->p;
	uint8_t old = b->state;

	if (st == old)
		return;
	b->state = st;
	b->local_diag = diag;
	b->changed = ev_now(p->s->loop);
	if (st == BFD_UP) {
		b->ups++;
		b->local_diag = BFD_DIAG_NONE;
		b->des_min_tx = b->cf.min_tx_ms * 1000u;
		b->poll = true; /* announce the faster interval */
		log_info(p->s->log, p->name, "BFD up (%s hop, tx %.0f ms, "
			 "detect %.0f ms)", b->multihop ? "multi" : "single",
			 bfd_tx_ms(b), bfd_detect_ms(b));
		events_emit(p->s->events, "bfd_up", p->name,
			    "tx %.0f ms, detect %.0f ms", bfd_tx_ms(b),
			    bfd_detect_ms(b));
	} else if (st == BFD_DOWN) {
		b->des_min_tx = BFD_SLOW_TX_US;
		b->poll = false;
		if (old == BFD_UP) {
			/* RFC 5882 3.2: a neighbour that goes AdminDown is
			 * no failure of the path; BGP carries on. */
			bool admin = b->remote_state == BFD_ADMIN_DOWN;
			b->downs++;
			log_warn(p->s->log, p->name, "BFD down: %s%s",
				 bfd_diag_name(diag),
				 admin ? " (administratively)" : "");
			events_emit(p->s->events, "bfd_down", p->name, "%s%s",
				    bfd_diag_name(diag),
				    admin ? " (administratively)" : "");
			if (!admin)
				fsm_bfd_down(p, bfd_diag_name(diag));
			if (!p->bfd)
				return;
		}
	}
	bfd_send(b);
}

static void detect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct bfd_sess *b = w->data;

	b->your_disc = 0;
	b->remote_min_rx = 1;
	b->remote_state = BFD_DOWN;
	b->rcv_seq_known = false;
	if (b->state == BFD_INIT || b->state == BFD_UP)
		set_state(b, BFD_DOWN, BFD_DIAG_EXPIRED);
}

/* ------------------------------------------------------ transmit */

static void tx_schedule(struct bfd_sess *b)
{
	struct ev_loop *loop = b->p->s->loop;
	uint32_t iv = max32(b->des_min_tx, b->remote_min_rx);
	/* RFC 5880 6.8.7: jitter of 0-25 % (10-25 % with multiplier 1). */
	double j = (rand() % 1000) / 1000.0 * (b->cf.multiplier == 1 ? 0.15 : 0.25);

	ev_timer_stop(loop, &b->tx);
	if (b->remote_min_rx == 0 && b->state == BFD_UP)
		return; /* the neighbour asked for no periodic packets */
	if (b->cf.multiplier == 1)
		j += 0.10;
	ev_timer_set(&b->tx, us2s(iv) * (1.0 - j), 0);
	ev_timer_start(loop, &b->tx);
}

static void bfd_send(struct bfd_sess *b)
{
	struct bfd_pkt k;
	struct sockaddr_storage ss;
	uint8_t buf[BFD_MAX_LEN];
	socklen_t sl;
	int n;

	memset(&k, 0, sizeof(k));
	k.state = b->state;
	k.diag = b->local_diag;
	k.flags = b->final ? BFD_F_FINAL : b->poll ? BFD_F_POLL : 0;
	k.detect_mult = (uint8_t)b->cf.multiplier;
	k.my_disc = b->my_disc;
	k.your_disc = b->your_disc;
	k.desired_min_tx = b->des_min_tx;
	k.required_min_rx = b->cf.min_rx_ms * 1000u;
	b->final = false;
	if (b->cf.auth) {
		b->xmit_seq++; /* every packet: meticulous needs it, keyed may */
		n = bfd_encode_sha1(&k, b->cf.auth == 1 ? BFD_AUTH_KEYED_SHA1
							: BFD_AUTH_METICULOUS_SHA1,
				    (uint8_t)b->cf.key_id, b->xmit_seq,
				    (const uint8_t *)b->key, strlen(b->key),
				    buf, sizeof(buf));
	} else {
		n = bfd_encode(&k, buf, sizeof(buf));
	}
	sl = addr_to_sockaddr(&b->p->cf->address,
		   b->multihop ? BFD_PORT_MULTI : BFD_PORT_SINGLE, &ss);
	if (n > 0 && b->fd >= 0 &&
	    sendto(b->fd, buf, (size_t)n, 0, (struct sockaddr *)&ss, sl) == n)
		b->pkts_out++;
	tx_schedule(b);
}

static void tx_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	bfd_send(w->data);
}

/* ------------------------------------------------------ receive */

static struct bfd_sess *find_sess(struct session *s, const struct bfd_pkt *k,
				  const struct addr *src, bool multihop)
{
	for (unsigned i = 0; i < s->n_peers; i++) {
		struct bfd_sess *b = s->peers[i]->bfd;
		if (!b || b->multihop != multihop)
			continue;
		if (k->your_disc ? b->my_disc == k->your_disc
				 : addr_eq(&s->peers[i]->cf->address, src))
			return b;
	}
	return NULL;
}

/* RFC 5880 6.8.6, after the checks the codec made. */
static void bfd_input(struct bfd_sess *b, const struct bfd_pkt *k)
{
	struct ev_loop *loop = b->p->s->loop;
	uint8_t st = b->state;

	b->pkts_in++;
	b->your_disc = k->my_disc;
	b->remote_state = k->state;
	b->remote_diag = k->diag;
	b->remote_mult = k->detect_mult;
	b->remote_min_tx = k->desired_min_tx;
	b->remote_min_rx = k->required_min_rx;
	if ((k->flags & BFD_F_FINAL) && b->poll)
		b->poll = false;
	ev_timer_stop(loop, &b->detect);
	ev_timer_set(&b->detect, bfd_detect_ms(b) / 1e3, 0);
	ev_timer_start(loop, &b->detect);
	if (k->flags & BFD_F_POLL)
		b->final = true;
	if (k->state == BFD_ADMIN_DOWN) {
		if (st != BFD_DOWN)
			set_state(b, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN);
	} else if (st == BFD_DOWN) {
		if (k->state == BFD_DOWN)
			set_state(b, BFD_INIT, BFD_DIAG_NONE);
		else if (k->state == BFD_INIT)
			set_state(b, BFD_UP, BFD_DIAG_NONE);
	} else if (st == BFD_INIT) {
		if (k->state == BFD_INIT || k->state == BFD_UP)
			set_state(b, BFD_UP, BFD_DIAG_NONE);
	} else if (st == BFD_UP && k->state == BFD_DOWN) {
		set_state(b, BFD_DOWN, BFD_DIAG_NEIGHBOR_DOWN);
	}
	if (b->p->bfd == b && b->final)
		bfd_send(b); /* answer a Poll at once */
}

/* Keyed SHA1: the section, then the sequence number within the window
 * of RFC 5880 6.7.4 (meticulous: strictly greater). */
static bool auth_ok(struct bfd_sess *b, const uint8_t *buf, size_t len,
		    const struct bfd_pkt *k)
{
	uint32_t seq, lo, span = 3u * b->cf.multiplier;
	bool meticulous = b->cf.auth == 2;
	char err[96];

	if (!b->cf.auth)
		return !(k->flags & BFD_F_AUTH);
	if (bfd_check_sha1(buf, len, k, meticulous ? BFD_AUTH_METICULOUS_SHA1
						   : BFD_AUTH_KEYED_SHA1,
			   (uint8_t)b->cf.key_id,
			   (const uint8_t *)b->key, strlen(b->key), &seq, err,
			   sizeof(err)) < 0) {
		log_debug(b->p->s->log, b->p->name, "BFD packet refused: %s", err);
		return false;
	}
	if (b->rcv_seq_known) {
		lo = b->rcv_seq + (meticulous ? 1 : 0);
		if (seq - lo > span - (meticulous ? 1 : 0))
			return false; /* outside [lo, rcv_seq + 3 * mult] */
	}
	b->rcv_seq = seq;
	b->rcv_seq_known = true;
	return true;
}

/* The source address and TTL (hop limit) of a datagram. */
static ssize_t rx_read(int fd, uint8_t *buf, size_t len, struct addr *src,
		       int *ttl)
{
	struct sockaddr_storage ss;
	uint8_t cbuf[256];
	struct iovec iov = {buf, len};
	struct msghdr m = {.msg_name = &ss, .msg_namelen = sizeof(ss),
			   .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(fd, &m, 0);

	*ttl = -1;
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
		    (c->cmsg_level == IPPROTO_IPV6 &&
		     c->cmsg_type == IPV6_HOPLIMIT))
			memcpy(ttl, CMSG_DATA(c), sizeof(int));
	addr_from_sockaddr(&ss, src);
	return n;
}

static void rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct bfd_rx *r = w->data;
	uint8_t buf[256];
	char err[96];
	struct bfd_pkt k;
	struct bfd_sess *b;
	struct addr src;
	int ttl;
	ssize_t n = rx_read(r->fd, buf, sizeof(buf), &src, &ttl);

	if (n < 0)
		return;
	if (bfd_decode(buf, (size_t)n, &k, err, sizeof(err)) < 0) {
		if ((b = find_sess(r->s, &(struct bfd_pkt){0}, &src, r->multihop)))
			b->pkts_bad++;
		return;
	}
	b = find_sess(r->s, &k, &src, r->multihop);
	if (!b)
		return;
	/* RFC 5881 5: single hop packets must arrive with TTL 255; the
	 * authentication must be the configured one (none: no section). */
	if ((!r->multihop && ttl != 255) || !auth_ok(b, buf, (size_t)n, &k)) {
		b->pkts_bad++;
		return;
	}
	bfd_input(b, &k);
}

static int rx_open(struct session *s, int afi, bool multihop)
{
	struct bfd_rx *r = &s->bfd_rx[multihop][afi == AFI_IPV6];
	struct addr any = {.afi = (uint8_t)afi};
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&any, multihop ? BFD_PORT_MULTI : BFD_PORT_SINGLE, &ss);
	int one = 1, fd;

	if (r->io.data)
		return 0;
	fd = socket(afi == AFI_IPV6 ? AF_INET6 : AF_INET,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (afi == AFI_IPV6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		log_err(s->log, NULL, "BFD: cannot bind UDP port %u: %s",
			multihop ? BFD_PORT_MULTI : BFD_PORT_SINGLE,
			strerror(errno));
		close(fd);
		return -1;
	}
	r->fd = fd;
	r->s = s;
	r->multihop = multihop;
	ev_io_init(&r->io, rx_cb, fd, EV_READ);
	r->io.data = r;
	ev_io_start(s->loop, &r->io);
	return 0;
}

void bfd_rx_close(struct session *s)
{
	for (int m = 0; m < 2; m++)
		for (int v = 0; v < 2; v++) {
			struct bfd_rx *r = &s->bfd_rx[m][v];
			if (!r->io.data)
				continue;
			ev_io_stop(s->loop, &r->io);
			close(r->fd);
			r->io.data = NULL;
		}
}

/* ------------------------------------------------------ lifecycle */

/* A socket to send from: TTL 255, source port in 49152-65535, bound to
 * the first listen address of the family when there is one. */
static int tx_open(struct peer *p)
{
	const struct conf_rs *rs = &p->s->conf->rs;
	int afi = p->cf->address.afi, ttl = 255, fd;
	struct addr src = {.afi = (uint8_t)afi};
	static const uint8_t zero[16];

	for (unsigned i = 0; i < rs->n_listen; i++)
		if (rs->listen[i].afi == afi && memcmp(rs->listen[i].b, zero, 16)) {
			src = rs->listen[i];
			break;
		}
	fd = socket(afi == AFI_IPV6 ? AF_INET6 : AF_INET,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (afi == AFI_IPV6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
	else
		setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	for (unsigned port = 49152 + (p->rib_id * 97) % 16000, k = 0; k < 16384;
	     k++, port = port >= 65535 ? 49152 : port + 1) {
		struct sockaddr_storage ss;
		socklen_t sl = addr_to_sockaddr(&src, (uint16_t)port, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) == 0)
			return fd;
		if (errno != EADDRINUSE)
			break;
	}
	close(fd);
	return -1;
}

static void bfd_start(struct peer *p)
{
	struct session *s = p->s;
	struct bfd_sess *b = calloc(1, sizeof(*b));

	if (!b)
		return;
	b->p = p;
	b->cf = p->cf->bfd;
	/* Own copy of the key: the configuration may be replaced (reload). */
	snprintf(b->key, sizeof(b->key), "%s",
		 b->cf.password ? b->cf.password : "");
	b->cf.password = b->cf.password_file = NULL;
	b->multihop = b->cf.multihop == 2 ? p->cf->multihop != 1
					   : b->cf.multihop == 1;
	if (rx_open(s, p->cf->address.afi, b->multihop) < 0 ||
	    (b->fd = tx_open(p)) < 0) {
		log_err(s->log, p->name, "BFD: no socket: %s", strerror(errno));
		free(b);
		return;
	}
	if (!s->bfd_disc_next)
		s->bfd_disc_next = ((uint32_t)s->started_wall * 2654435761u) | 1;
	b->my_disc = s->bfd_disc_next++;
	if (!b->my_disc)
		b->my_disc = s->bfd_disc_next++;
	b->state = BFD_DOWN;
	b->remote_state = BFD_DOWN;
	b->des_min_tx = BFD_SLOW_TX_US;
	b->remote_min_rx = 1;
	b->remote_mult = (uint8_t)b->cf.multiplier;
	b->xmit_seq = (uint32_t)rand();
	b->changed = ev_now(s->loop);
	ev_timer_init(&b->tx, tx_cb, 0, 0);
	ev_timer_init(&b->detect, detect_cb, 0, 0);
	b->tx.data = b->detect.data = b;
	p->bfd = b;
	log_info(s->log, p->name, "BFD session started (%s hop, rx %u ms, "
		 "tx %u ms, multiplier %u)", b->multihop ? "multi" : "single",
		 b->cf.min_rx_ms, b->cf.min_tx_ms, b->cf.multiplier);
	bfd_send(b);
}

void bfd_peer_stop(struct peer *p)
{
	struct bfd_sess *b = p->bfd;

	if (!b)
		return;
	b->state = BFD_ADMIN_DOWN;
	b->local_diag = BFD_DIAG_ADMIN_DOWN;
	bfd_send(b);
	ev_timer_stop(p->s->loop, &b->tx);
	ev_timer_stop(p->s->loop, &b->detect);
	close(b->fd);
	free(b);
	p->bfd = NULL;
}

void bfd_peer_sync(struct peer *p)
{
	const struct conf_bfd *c = &p->cf->bfd;
	bool want = c->enabled && !p->disabled && !p->s->stopping;

	if (p->bfd && (!want || p->bfd->cf.auth != c->auth ||
		       p->bfd->cf.key_id != c->key_id ||
		       strcmp(p->bfd->key, c->password ? c->password : "") ||
		       p->bfd->cf.min_rx_ms != c->min_rx_ms ||
		       p->bfd->cf.min_tx_ms != c->min_tx_ms ||
		       p->bfd->cf.multiplier != c->multiplier ||
		       p->bfd->cf.multihop != c->multihop))
		bfd_peer_stop(p);
	if (want && !p->bfd)
		bfd_start(p);
}
