/*
 * kwatch.c - counts the IPv4 routes of one kernel table, protocol and
 * prefix length as they come and go, for bench/e2e.sh.
 *
 *   kwatch -t TABLE -p PROTO -l LEN -n N
 *
 * It listens to the kernel's route notifications (RTNLGRP_IPV4_ROUTE, the
 * multicast group `ip monitor route` reads) instead of dumping the table
 * over and over: the set of matching prefixes is a bitmap (LEN <= 24), so
 * a replace counts once and a remove of an absent route not at all. Each
 * notification is handled when it arrives, so the moments printed are
 * those of the kernel's changes plus this process's wake-up (micro- to
 * milliseconds), not a polling interval. Lines on stdout, times in
 * CLOCK_REALTIME seconds (as pharos-peer --stats prints them):
 *
 *   ready COUNT          subscribed, and a dump found COUNT routes
 *   first T              the count left 0
 *   full T DUMP          the count reached N; DUMP: a fresh dump's count
 *   drop T               the count left N
 *   empty T DUMP         the count reached 0; DUMP as above
 *   resync COUNT         notifications were lost (ENOBUFS): counted again
 *                        by a dump
 *
 * SIGTERM or SIGINT end it.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#define RCVBUF (256 << 20) /* room for a burst of 100,000s of notifications */

struct watch {
	uint32_t table, proto, len, n;
	uint8_t *bits;
	uint64_t count;
	int in_group; /* 1 while handling notifications (not a dump) */
};

static volatile sig_atomic_t quit;
static void on_signal(int s) { (void)s; quit = 1; }

static double now_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct attrs {
	const struct nlattr *dst, *table;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *t = data;
	if (mnl_attr_get_type(a) == RTA_DST)
		t->dst = a;
	else if (mnl_attr_get_type(a) == RTA_TABLE)
		t->table = a;
	return MNL_CB_OK;
}

/* A route message: set or clear its bit when it matches. Returns the
 * count change (-1, 0, 1). */
static int route_msg(struct watch *w, const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct attrs t = { 0 };
	uint32_t table, dst, key;
	uint8_t mask;

	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != w->len ||
	    rtm->rtm_protocol != w->proto)
		return 0;
	mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, &t);
	table = t.table ? mnl_attr_get_u32(t.table) : rtm->rtm_table;
	if (table != w->table || !t.dst || mnl_attr_get_payload_len(t.dst) != 4)
		return 0;
	memcpy(&dst, mnl_attr_get_payload(t.dst), 4);
	key = w->len ? ntohl(dst) >> (32 - w->len) : 0;
	mask = (uint8_t)(1u << (key & 7));
	if (nlh->nlmsg_type == RTM_NEWROUTE && !(w->bits[key >> 3] & mask)) {
		w->bits[key >> 3] |= mask;
		w->count++;
		return 1;
	}
	if (nlh->nlmsg_type == RTM_DELROUTE && (w->bits[key >> 3] & mask)) {
		w->bits[key >> 3] &= (uint8_t)~mask;
		w->count--;
		return -1;
	}
	return 0;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	route_msg(data, nlh);
	return MNL_CB_OK;
}

/* Count the table afresh by a dump (on a socket of its own). Returns the
 * count, or -1. The bitmap is rebuilt when rebuild is set. */
static long dump(struct watch *w, int rebuild)
{
	static char buf[1 << 16];
	struct watch tmp = *w;
	struct mnl_socket *s = mnl_socket_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint32_t seq = (uint32_t)time(NULL), portid;
	long ret = -1;
	int rc;

	if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	portid = mnl_socket_get_portid(s);
	tmp.count = 0;
	tmp.bits = calloc(1, ((size_t)1 << w->len) / 8 + 1);
	if (!tmp.bits)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		goto out;
	do {
		ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n <= 0)
			goto out;
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, dump_cb, &tmp);
	} while (rc > MNL_CB_STOP);
	if (rc < 0)
		goto out;
	ret = (long)tmp.count;
	if (rebuild) {
		free(w->bits);
		w->bits = tmp.bits;
		w->count = tmp.count;
		tmp.bits = NULL;
	}
out:
	free(tmp.bits);
	if (s)
		mnl_socket_close(s);
	return ret;
}

static void transition(struct watch *w, uint64_t before)
{
	double t = now_real();
	if (before == 0 && w->count > 0)
		printf("first %.6f\n", t);
	if (before == w->n && w->count < w->n)
		printf("drop %.6f\n", t);
	if (w->count == w->n && before != w->n)
		printf("full %.6f %ld\n", t, dump(w, 0));
	if (w->count == 0 && before > 0)
		printf("empty %.6f %ld\n", t, dump(w, 0));
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr, "usage: kwatch -t TABLE -p PROTO -l LEN(<=24) -n N\n");
	return 2;
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	struct watch w = { .table = 254, .proto = 200, .len = 24 };
	struct mnl_socket *s;
	int o, size = RCVBUF;

	while ((o = getopt(argc, argv, "t:p:l:n:")) != -1) {
		unsigned long v = strtoul(optarg, NULL, 10);
		switch (o) {
		case 't': w.table = (uint32_t)v; break;
		case 'p': w.proto = (uint32_t)v; break;
		case 'l': w.len = (uint32_t)v; break;
		case 'n': w.n = (uint32_t)v; break;
		default: return usage();
		}
	}
	if (w.len > 24 || w.n == 0)
		return usage();
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	s = mnl_socket_open(NETLINK_ROUTE);
	if (!s || mnl_socket_bind(s, RTMGRP_IPV4_ROUTE, MNL_SOCKET_AUTOPID) < 0) {
		perror("kwatch: netlink");
		return 1;
	}
	if (setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVBUF, &size,
			   sizeof(size));
	/* subscribed first, then counted: a change in between is in both,
	 * which the bitmap absorbs */
	if (dump(&w, 1) < 0) {
		perror("kwatch: dump");
		return 1;
	}
	printf("ready %llu\n", (unsigned long long)w.count);
	fflush(stdout);
	while (!quit) {
		ssize_t n = mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS) {
				perror("kwatch: recv");
				return 1;
			}
			uint64_t before = w.count;
			printf("resync %ld\n", dump(&w, 1));
			transition(&w, before);
			continue;
		}
		int len = (int)n;
		for (const struct nlmsghdr *h = (const void *)buf;
		     mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE)
				continue;
			uint64_t before = w.count;
			if (route_msg(&w, h))
				transition(&w, before);
		}
	}
	free(w.bits);
	mnl_socket_close(s);
	return 0;
}
