/*
 * bmp.c - the collectors of route_server.bmp: one outgoing TCP connection
 * each, non-blocking, with a bounded send queue, a reconnect timer that
 * backs off exponentially (1 s doubling to 60 s, reset once connected),
 * events and log lines when a collector comes up or goes down, and the
 * Termination message on shutdown. What is sent is bmp_feed.c's part.
 */
#include "bmp/bmp_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "base/events.h"
#include "base/log.h"
#include "session/peer.h"

static void coll_schedule(struct bmp_coll *c);

/* ------------------------------------------------------------- queue */

static void q_compact(struct bmp_coll *c)
{
	if (c->q_off == 0)
		return;
	memmove(c->q, c->q + c->q_off, c->q_len - c->q_off);
	c->q_len -= c->q_off;
	c->q_off = 0;
}

/* Close the socket and forget the connection's state. */
static void coll_close(struct bmp_coll *c)
{
	struct ev_loop *loop = c->b->s->loop;

	ev_io_stop(loop, &c->rio);
	ev_io_stop(loop, &c->wio);
	ev_timer_stop(loop, &c->stats);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->q_off = c->q_len = 0;
	bmp_feed_reset(c);
	c->state = BC_IDLE;
}

/* The connection failed or was dropped: an event if it was up, then a
 * reconnect later. */
static void coll_down(struct bmp_coll *c, const char *why)
{
	struct session *s = c->b->s;
	bool was_up = c->state == BC_UP;

	coll_close(c);
	if (was_up) {
		log_warn(s->log, NULL, "BMP collector %s down: %s", c->name, why);
		events_emit_json(s->events, "bmp_down", NULL,
				 json_pack("{s:s}", "collector", c->name), why);
	} else {
		log_debug(s->log, NULL, "BMP collector %s: %s", c->name, why);
	}
	coll_schedule(c);
}

bool bmp_coll_send(struct bmp_coll *c, const uint8_t *msg, int len)
{
	size_t n = len > 0 ? (size_t)len : 0;

	if (c->state != BC_UP || !n)
		return c->state == BC_UP;
	if (c->q_len - c->q_off + n > c->max_queue) {
		char why[160];

		snprintf(why, sizeof(why), "send queue full (%zu bytes waiting, "
			 "max_queue_kb %zu): the collector does not keep up, a "
			 "full resync follows the reconnect", c->q_len - c->q_off,
			 c->max_queue >> 10);
		c->drops++;
		coll_down(c, why);
		return false;
	}
	if (c->q_len + n > c->q_cap) {
		size_t cap;
		uint8_t *nq;

		q_compact(c);
		cap = c->q_cap ? c->q_cap : 65536;
		while (cap < c->q_len + n)
			cap *= 2;
		if (cap != c->q_cap) {
			nq = realloc(c->q, cap);
			if (!nq) {
				c->drops++;
				coll_down(c, "out of memory for the send queue");
				return false;
			}
			c->q = nq;
			c->q_cap = cap;
		}
	}
	memcpy(c->q + c->q_len, msg, n);
	c->q_len += n;
	c->messages++;
	bmp_coll_kick(c);
	return true;
}

size_t bmp_coll_dump_low(const struct bmp_coll *c)
{
	return c->max_queue / 4 < BMP_DUMP_LOW ? c->max_queue / 4 : BMP_DUMP_LOW;
}

void bmp_coll_kick(struct bmp_coll *c)
{
	if (c->state == BC_UP && c->fd >= 0)
		ev_io_start(c->b->s->loop, &c->wio);
}

/* Write what the socket takes. 0, or -1 after a write error. */
static int q_write(struct bmp_coll *c)
{
	while (c->q_off < c->q_len) {
		ssize_t w = send(c->fd, c->q + c->q_off, c->q_len - c->q_off,
				 MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->q_off += (size_t)w;
		c->bytes += (uint64_t)w;
	}
	c->q_off = c->q_len = 0;
	return 0;
}

/* ------------------------------------------------------- connection */

static void connected(struct bmp_coll *c)
{
	struct session *s = c->b->s;

	c->state = BC_UP;
	c->backoff = BMP_RETRY_MIN;
	c->connects++;
	ev_io_start(s->loop, &c->rio);
	log_info(s->log, NULL, "BMP collector %s up", c->name);
	events_emit_json(s->events, "bmp_up", NULL,
			 json_pack("{s:s}", "collector", c->name),
			 "BMP collector connected");
	if (c->stats_s) {
		ev_timer_set(&c->stats, c->stats_s, c->stats_s);
		ev_timer_start(s->loop, &c->stats);
	}
	bmp_feed_connected(c);
}

static void wio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct bmp_coll *c = w->data;

	if (c->state == BC_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		if (err) {
			coll_down(c, strerror(err));
			return;
		}
		ev_io_stop(loop, w);
		connected(c);
		return;
	}
	if (q_write(c) < 0) {
		coll_down(c, strerror(errno));
		return;
	}
	if (c->dumping && c->q_len - c->q_off < bmp_coll_dump_low(c))
		bmp_feed_dump_slice(c);
	if (c->state != BC_UP)
		return;
	if (c->q_off == c->q_len && !c->dumping) {
		ev_io_stop(loop, w);
		if (c->stopping)
			coll_close(c);
	}
}

/* A collector sends nothing (RFC 7854 3.2): read and discard, and notice
 * when it closes. */
static void rio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct bmp_coll *c = w->data;
	uint8_t buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	coll_down(c, n == 0 ? "closed by the collector" : strerror(errno));
}

static void coll_connect(struct bmp_coll *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&c->addr, c->port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		coll_down(c, strerror(errno));
		return;
	}
	c->fd = fd;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		coll_down(c, strerror(errno));
		return;
	}
	c->state = BC_CONNECTING;
	ev_io_set(&c->rio, fd, EV_READ);
	ev_io_set(&c->wio, fd, EV_WRITE);
	ev_io_start(c->b->s->loop, &c->wio);
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct bmp_coll *c = w->data;

	if (c->state == BC_IDLE && !c->stopping && !c->b->s->stopping)
		coll_connect(c);
}

static void coll_schedule(struct bmp_coll *c)
{
	struct ev_loop *loop = c->b->s->loop;

	if (c->stopping || c->b->s->stopping)
		return;
	ev_timer_stop(loop, &c->retry);
	ev_timer_set(&c->retry, c->backoff, 0);
	ev_timer_start(loop, &c->retry);
	c->backoff = c->backoff * 2 > BMP_RETRY_MAX ? BMP_RETRY_MAX : c->backoff * 2;
}

static void stats_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct bmp_coll *c = w->data;

	if (c->state == BC_UP)
		bmp_feed_stats(c);
}

/* ------------------------------------------------------ collectors */

static void coll_settings(struct bmp_coll *c, const struct conf_bmp *cf)
{
	c->stats_s = cf->stats_s;
	c->max_queue = (size_t)cf->max_queue_kb << 10;
}

static struct bmp_coll *coll_new(struct bmp *b, const struct conf_bmp *cf)
{
	struct bmp_coll *c = calloc(1, sizeof(*c));
	char a[ADDR_STRLEN];

	if (!c)
		return NULL;
	c->b = b;
	c->addr = cf->address;
	c->port = cf->port;
	coll_settings(c, cf);
	addr_fmt(&c->addr, a, sizeof(a));
	snprintf(c->name, sizeof(c->name),
		 c->addr.afi == AFI_IPV6 ? "[%s]:%u" : "%s:%u", a, c->port);
	c->fd = -1;
	c->backoff = BMP_RETRY_MIN;
	ev_io_init(&c->rio, rio_cb, -1, EV_READ);
	ev_io_init(&c->wio, wio_cb, -1, EV_WRITE);
	ev_timer_init(&c->retry, retry_cb, 0, 0);
	ev_timer_init(&c->stats, stats_cb, 0, 0);
	c->rio.data = c->wio.data = c->retry.data = c->stats.data = c;
	return c;
}

static void coll_free(struct bmp_coll *c)
{
	coll_close(c);
	ev_timer_stop(c->b->s->loop, &c->retry);
	free(c->peers);
	free(c->q);
	free(c);
}

/* Queue a Termination (reason, text). */
static void coll_terminate(struct bmp_coll *c, uint16_t reason,
			   const char *text)
{
	bmp_coll_send(c, c->b->msg,
		      bmp_termination_encode(c->b->msg, sizeof(c->b->msg),
					     reason, text));
}

struct bmp *bmp_new(struct session *s)
{
	struct bmp *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->s = s;
	bmp_configure(b);
	return b;
}

static bool coll_matches(const struct bmp_coll *c, const struct conf_bmp *cf)
{
	return addr_eq(&c->addr, &cf->address) && c->port == cf->port;
}

void bmp_configure(struct bmp *b)
{
	const struct conf_rs *rs = &b->s->conf->rs;
	struct bmp_coll **nc = calloc(rs->n_bmp ? rs->n_bmp : 1, sizeof(*nc));

	if (!nc)
		return;
	for (unsigned i = 0; i < rs->n_bmp; i++) {
		for (unsigned j = 0; j < b->n_coll && !nc[i]; j++) {
			if (b->coll[j] && coll_matches(b->coll[j], &rs->bmp[i])) {
				nc[i] = b->coll[j];
				b->coll[j] = NULL;
				coll_settings(nc[i], &rs->bmp[i]);
			}
		}
		if (!nc[i] && (nc[i] = coll_new(b, &rs->bmp[i])))
			coll_connect(nc[i]);
	}
	for (unsigned j = 0; j < b->n_coll; j++) {
		struct bmp_coll *c = b->coll[j];

		if (!c)
			continue;
		log_info(b->s->log, NULL, "BMP collector %s removed", c->name);
		if (c->state == BC_UP)
			coll_terminate(c, BMP_TERM_ADMIN_CLOSE,
				       "collector removed from the configuration");
		if (c->state == BC_UP && c->q_off < c->q_len)
			(void)q_write(c);
		coll_free(c);
	}
	free(b->coll);
	b->coll = nc;
	b->n_coll = rs->n_bmp;
	for (unsigned i = 0; i < b->n_coll; i++)
		if (!b->coll[i]) { /* out of memory: keep the array dense */
			memmove(&b->coll[i], &b->coll[i + 1],
				(b->n_coll - i - 1) * sizeof(*b->coll));
			b->n_coll--;
			i--;
		}
}

/* Write the queue out, waiting for the socket at most until deadline
 * (monotonic ms). */
static void flush_blocking(struct bmp_coll *c, int64_t deadline_ms)
{
	struct timespec ts;

	while (c->state == BC_UP && c->q_off < c->q_len) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
		int64_t now;

		if (q_write(c) < 0)
			return;
		if (c->q_off >= c->q_len)
			return;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now >= deadline_ms)
			return;
		if (poll(&pfd, 1, (int)(deadline_ms - now)) <= 0)
			return;
	}
}

void bmp_stop(struct bmp *b, const char *why)
{
	struct timespec ts;
	int64_t deadline;

	if (!b)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1000;
	for (unsigned i = 0; i < b->n_coll; i++) {
		struct bmp_coll *c = b->coll[i];

		c->stopping = true;
		c->dumping = false;
		ev_timer_stop(b->s->loop, &c->retry);
		if (c->state != BC_UP) {
			coll_close(c);
			continue;
		}
		coll_terminate(c, BMP_TERM_ADMIN_CLOSE, why);
		flush_blocking(c, deadline);
		log_info(b->s->log, NULL, "BMP collector %s: terminated",
			 c->name);
		coll_close(c);
	}
}

void bmp_free(struct bmp *b)
{
	if (!b)
		return;
	for (unsigned i = 0; i < b->n_coll; i++)
		coll_free(b->coll[i]);
	free(b->coll);
	free(b);
}

struct bmp_cpeer *bmp_cpeer(struct bmp_coll *c, uint32_t rib_id)
{
	if (rib_id >= c->n_peers) {
		uint32_t n = rib_id + 16;
		struct bmp_cpeer *np = realloc(c->peers, n * sizeof(*np));

		if (!np)
			return NULL;
		memset(np + c->n_peers, 0, (n - c->n_peers) * sizeof(*np));
		c->peers = np;
		c->n_peers = n;
	}
	return &c->peers[rib_id];
}

unsigned bmp_n_collectors(const struct bmp *b)
{
	return b ? b->n_coll : 0;
}

void bmp_collector_stats(const struct bmp *b, unsigned i,
			 struct bmp_collector_stats *st)
{
	const struct bmp_coll *c = b->coll[i];

	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", c->name);
	st->up = c->state == BC_UP;
	st->messages = c->messages;
	st->bytes = c->bytes;
	st->drops = c->drops;
	st->connects = c->connects;
	st->queued = c->q_len - c->q_off;
	st->dumping = c->dumping;
}
