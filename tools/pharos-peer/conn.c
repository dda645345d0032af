/*
 * conn.c - pharos-peer's session: the TCP connection (active or passive,
 * TCP MD5), the OPEN exchange, keepalive and hold timers, and the poll()
 * loop that interleaves reading and writing on one non-blocking socket.
 *
 * Output is queued in one big buffer and written in large chunks whenever
 * the socket accepts it; input is read in large chunks and split into
 * messages. Reading is never postponed because of pending output.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"

#define IN_CHUNK (1u << 20)
#define WRITE_CHUNK (1u << 20)
#define CONNECT_TIMEOUT 30 /* seconds */

static void queue_keepalive(struct peer *p)
{
	uint8_t b[BGP_HDR_LEN];
	int n = bgp_keepalive_encode(b, sizeof(b));

	if (n > 0)
		out_bytes(p, b, (size_t)n);
	p->last_ka_sent = now_s();
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Write what the socket takes now. Returns -1 on a broken connection. */
static int flush_out(struct peer *p)
{
	while (out_pending(p)) {
		size_t n = out_pending(p);
		ssize_t w = send(p->fd, p->out.p + p->out.head,
				 n > WRITE_CHUNK ? WRITE_CHUNK : n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			fprintf(stderr, "pharos-peer: send: %s\n", strerror(errno));
			return -1;
		}
		if (p->st.upd_unflushed && !p->st.first_upd_sent) {
			p->st.first_upd_sent = now_s();
			p->st.t.first_tx = realtime_ns();
		}
		p->out.head += (size_t)w;
	}
	if (p->st.upd_unflushed) {
		p->st.last_upd_sent = now_s();
		p->st.t.last_tx = realtime_ns();
		p->st.upd_unflushed = false;
	}
	return 0;
}

static int load_password(const char *path, char *pw, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f || !fgets(pw, (int)cap, f)) {
		fprintf(stderr, "pharos-peer: %s: cannot read password\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	n = strcspn(pw, "\r\n");
	pw[n] = 0;
	return n ? 0 : -1;
}

/* TCP MD5 (RFC 2385) for the peer address sa (any address when NULL). */
static int set_md5(struct peer *p, int fd, const struct sockaddr_storage *sa,
		   int family)
{
	struct tcp_md5sig sig;
	char pw[TCP_MD5SIG_MAXKEYLEN + 2];

	if (!p->password_file)
		return 0;
	if (load_password(p->password_file, pw, sizeof(pw)) < 0)
		return -1;
	memset(&sig, 0, sizeof(sig));
	if (sa) {
		memcpy(&sig.tcpm_addr, sa, sizeof(*sa));
	} else {
		/* listening: accept any peer address with this key */
		sig.tcpm_addr.ss_family = (sa_family_t)family;
		sig.tcpm_flags = TCP_MD5SIG_FLAG_PREFIX;
		sig.tcpm_prefixlen = 0;
	}
	sig.tcpm_keylen = (uint16_t)strlen(pw);
	memcpy(sig.tcpm_key, pw, sig.tcpm_keylen);
	if (setsockopt(fd, IPPROTO_TCP, sa ? TCP_MD5SIG : TCP_MD5SIG_EXT, &sig,
		       sizeof(sig)) < 0) {
		fprintf(stderr, "pharos-peer: TCP_MD5SIG: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void sa_to_addr(const struct sockaddr_storage *ss, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->afi = AFI_IPV4;
		memcpy(a->b, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->afi = AFI_IPV6;
		memcpy(a->b, &s6->sin6_addr, 16);
		/* a v4-mapped peer is an IPv4 peer */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			a->afi = AFI_IPV4;
			memmove(a->b, a->b + 12, 4);
			memset(a->b + 4, 0, 12);
		}
	}
}

static int resolve(const char *host, const char *port, bool passive,
		   struct sockaddr_storage *ss, socklen_t *sl)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST |
					      (passive ? AI_PASSIVE : 0) };
	struct addrinfo *ai;
	int rc = getaddrinfo(host, port, &hints, &ai);

	if (rc) {
		fprintf(stderr, "pharos-peer: %s port %s: %s\n", host, port,
			gai_strerror(rc));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int open_passive(struct peer *p, struct sockaddr_storage *ss, socklen_t sl)
{
	int one = 1, lfd, fd = -1;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);

	lfd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (set_md5(p, lfd, NULL, ss->ss_family) < 0 ||
	    bind(lfd, (struct sockaddr *)ss, sl) < 0 || listen(lfd, 1) < 0) {
		fprintf(stderr, "pharos-peer: listen on %s port %s: %s\n",
			p->host, p->port, strerror(errno));
		close(lfd);
		return -1;
	}
	for (;;) {
		struct pollfd pf[2] = { { lfd, POLLIN, 0 }, { p->sigfd, POLLIN, 0 } };

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents && read_signal(p)) {
			close(lfd);
			return -1;
		}
		if (!pf[0].revents)
			continue;
		fd = accept4(lfd, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
	}
	close(lfd);
	return fd;
}

/* Connect within CONNECT_TIMEOUT seconds; SIGINT/SIGTERM give up. */
static int connect_wait(struct peer *p, int fd, struct sockaddr_storage *ss,
			socklen_t sl)
{
	struct pollfd pf[2] = { { fd, POLLOUT, 0 }, { p->sigfd, POLLIN, 0 } };
	double end = now_s() + CONNECT_TIMEOUT;
	int err = 0, n = 0;
	socklen_t el = sizeof(err);

	set_nonblock(fd);
	if (connect(fd, (struct sockaddr *)ss, sl) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		err = errno;
	} else {
		/* SIGUSR1 meanwhile is counted; SIGINT/SIGTERM give up */
		do {
			pf[0].revents = pf[1].revents = 0;
			n = poll(pf, 2, (int)((end - now_s()) * 1000) + 1);
		} while ((n > 0 || (n < 0 && errno == EINTR)) && !pf[0].revents &&
			 !(pf[1].revents && read_signal(p)) && now_s() < end);
		if (!pf[0].revents)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
	}
	if (!err)
		return 0;
	fprintf(stderr, "pharos-peer: connect %s port %s: %s\n", p->host, p->port,
		strerror(err));
	return -1;
}

static int open_active(struct peer *p, struct sockaddr_storage *ss, socklen_t sl)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int small = 4096;

	if (fd < 0)
		return -1;
	/* --no-read: a small receive window, so that what we do not read
	 * stays queued at the speaker rather than in our kernel */
	if (p->no_read)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	if (p->bind) {
		struct sockaddr_storage bs;
		socklen_t bl;

		if (resolve(p->bind, "0", true, &bs, &bl) < 0 ||
		    bind(fd, (struct sockaddr *)&bs, bl) < 0) {
			fprintf(stderr, "pharos-peer: bind %s: %s\n", p->bind,
				strerror(errno));
			close(fd);
			return -1;
		}
	}
	if (set_md5(p, fd, ss, 0) < 0 || connect_wait(p, fd, ss, sl) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int open_conn(struct peer *p)
{
	struct sockaddr_storage ss, ls;
	socklen_t sl, ll = sizeof(ls);
	int one = 1, big = 4 << 20;

	if (resolve(p->host, p->port, p->listen, &ss, &sl) < 0)
		return -1;
	p->fd = p->listen ? open_passive(p, &ss, sl) : open_active(p, &ss, sl);
	if (p->fd < 0)
		return -1;
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (!p->no_read) /* --no-read keeps its small window */
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	set_nonblock(p->fd);
	sl = sizeof(ss);
	getpeername(p->fd, (struct sockaddr *)&ss, &sl);
	getsockname(p->fd, (struct sockaddr *)&ls, &ll);
	sa_to_addr(&ss, &p->remote);
	sa_to_addr(&ls, &p->local);
	return 0;
}

static uint32_t derive_router_id(const struct peer *p)
{
	const uint8_t *b = p->local.afi == AFI_IPV4 ? p->local.b : p->local.b + 12;
	uint32_t id = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		      (uint32_t)b[2] << 8 | b[3];

	return id ? id : p->asn ? p->asn : 1;
}

static void queue_open(struct peer *p)
{
	struct bgp_open o;
	uint8_t buf[BGP_MAX_LEN];
	int n;

	if (p->raw_open) {
		out_bytes(p, p->raw_open, p->raw_open_len);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.version = BGP_VERSION;
	o.my_as = p->asn > 65535 ? AS_TRANS : (uint16_t)p->asn;
	o.hold_time = p->hold;
	o.bgp_id = p->router_id ? p->router_id : derive_router_id(p);
	o.has_as4 = !p->as2;
	o.as4 = p->asn;
	o.route_refresh = true;
	o.ext_message = !p->no_ext_msg;
	o.n_afs = 2;
	o.afs[0] = (struct bgp_af){ AFI_IPV4, SAFI_UNICAST };
	o.afs[1] = (struct bgp_af){ AFI_IPV6, SAFI_UNICAST };
	if (p->add_path_rx)
		o.add_path[AFI_IPV4] = o.add_path[AFI_IPV6] = ADDPATH_RECEIVE;
	n = bgp_open_encode(&o, buf, sizeof(buf));
	if (n > 0)
		out_bytes(p, buf, (size_t)n);
}

/* Split the input into messages and hand them on. */
static void process_input(struct peer *p)
{
	size_t off = 0;

	while (!p->done && p->in_len - off >= BGP_HDR_LEN) {
		struct bgp_hdr h;
		struct bgp_notify err;

		if (bgp_hdr_decode(p->in + off, p->in_len - off, p->max_len, &h,
				   &err) < 0) {
			fprintf(stderr, "pharos-peer: bad message header: %s\n",
				err.reason);
			p->exit_code = 1;
			peer_leave(p, err.code, err.subcode, NULL);
			break;
		}
		if (p->in_len - off < h.len)
			break;
		p->last_recv = now_s();
		p->st.msgs_recv++;
		recv_message(p, p->in + off, h.len);
		off += h.len;
	}
	memmove(p->in, p->in + off, p->in_len - off);
	p->in_len -= off;
	if (p->mode != OUT_NONE)
		fflush(p->o); /* whoever watches our output sees it now */
}

static int read_input(struct peer *p)
{
	for (int rounds = 0; rounds < 8; rounds++) {
		ssize_t r;

		if (p->in_cap - p->in_len < IN_CHUNK / 2) {
			uint8_t *nb = realloc(p->in, p->in_cap + IN_CHUNK);

			if (!nb)
				return -1;
			p->in = nb;
			p->in_cap += IN_CHUNK;
		}
		r = recv(p->fd, p->in + p->in_len, p->in_cap - p->in_len, 0);
		if (r == 0) {
			p->peer_closed = true;
			return 0;
		}
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		p->in_len += (size_t)r;
		process_input(p);
		if (p->done)
			return 0;
	}
	return 0;
}

/* Timers: keepalives, hold timer, the time to stay after the script. */
static int timers(struct peer *p, double now)
{
	double t_hold = p->state == S_ESTABLISHED ? p->hold_neg : 240;
	double next = -1;

	if (p->state == S_ESTABLISHED && p->hold_neg) {
		double ka = p->last_ka_sent + p->hold_neg / 3.0;

		if (now >= ka) {
			queue_keepalive(p);
			ka = now + p->hold_neg / 3.0;
		}
		next = ka;
	}
	if (p->no_read && p->state == S_ESTABLISHED)
		t_hold = 0; /* --no-read: we do not look at what arrives */
	if (t_hold > 0 && p->state != S_CLOSING) {
		double h = p->last_recv + t_hold;

		if (now >= h) {
			fprintf(stderr, "pharos-peer: hold timer expired\n");
			p->exit_code = 1;
			peer_leave(p, BGP_ERR_HOLD, 0, NULL);
			return 0;
		}
		next = next < 0 || h < next ? h : next;
	}
	if (p->script_done_at > 0 && p->time_after >= 0) {
		double end = p->script_done_at + p->time_after;

		if (now >= end && !out_pending(p)) {
			peer_leave(p, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN,
				   "pharos-peer script finished");
			return 0;
		}
		if (now < end)
			next = next < 0 || end < next ? end : next;
	}
	return next < 0 ? -1 : (int)((next - now) * 1000) + 1;
}

static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* After leaving: flush, close the write side, read until the peer closes
 * (at most 3 s), so nothing in flight is lost. */
static void drain_and_close(struct peer *p)
{
	double until = now_s() + 3;

	while (out_pending(p) && now_s() < until) {
		struct pollfd pf = { p->fd, POLLOUT | POLLIN, 0 };
		char junk[65536];

		poll(&pf, 1, 100);
		if (flush_out(p) < 0)
			break;
		if ((pf.revents & POLLIN) && recv(p->fd, junk, sizeof(junk), 0) == 0)
			break;
	}
	shutdown(p->fd, SHUT_WR);
	while (now_s() < until) {
		struct pollfd pf = { p->fd, POLLIN, 0 };
		char junk[65536];
		ssize_t r;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		r = recv(p->fd, junk, sizeof(junk), 0);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
	close(p->fd);
	p->fd = -1;
}

bool read_signal(struct peer *p)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			p->signals++;
		else
			stop = true;
	}
	return stop;
}

static int setup_signals(struct peer *p)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	p->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return p->sigfd < 0 ? -1 : 0;
}

/* One turn of the loop; returns false when the session is over. */
static bool loop_once(struct peer *p)
{
	struct pollfd pf[2];
	int timeout;
	double now = now_s();

	timeout = script_run(p);
	if (!p->done)
		timeout = min_timeout(timeout, timers(p, now));
	if (p->done)
		return false;
	bool stalled = p->no_read && p->state == S_ESTABLISHED;

	pf[0] = (struct pollfd){ p->fd, (stalled ? 0 : POLLIN) |
				 (out_pending(p) ? POLLOUT : 0), 0 };
	pf[1] = (struct pollfd){ p->sigfd, POLLIN, 0 };
	if (poll(pf, 2, timeout) < 0 && errno != EINTR)
		return false;
	if (pf[1].revents && read_signal(p)) {
		peer_leave(p, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN,
			   "pharos-peer stopped");
		return false;
	}
	if (stalled && (pf[0].revents & (POLLHUP | POLLERR))) {
		fprintf(stderr, "pharos-peer: connection lost (not reading)\n");
		p->exit_code = 1;
		return false;
	}
	if (!stalled && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
		if (read_input(p) < 0) {
			fprintf(stderr, "pharos-peer: connection lost: %s\n",
				strerror(errno));
			p->exit_code = 1;
			return false;
		}
		if (p->peer_closed) {
			if (!p->done)
				fprintf(stderr, "pharos-peer: peer closed the session\n");
			if (!p->ever_established && !p->exit_code)
				p->exit_code = 1;
			return false;
		}
	}
	if (out_pending(p) && flush_out(p) < 0) {
		p->exit_code = 1;
		return false;
	}
	return !p->done;
}

int peer_run(struct peer *p)
{
	if (setup_signals(p) < 0 || open_conn(p) < 0)
		return 1;
	p->max_len = BGP_MAX_LEN;
	p->caps = (struct bgp_session_caps){ .as4 = !p->as2, .ebgp = true };
	p->last_recv = p->last_ka_sent = now_s();
	queue_open(p);
	p->state = S_OPENSENT;
	while (loop_once(p))
		;
	if (p->fd >= 0 && !p->peer_closed) {
		drain_and_close(p);
	} else if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	close(p->sigfd);
	return p->exit_code;
}
