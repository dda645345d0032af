/*
 * netlink.c - pharos-agent's kernel side: rtnetlink over libmnl.
 *
 * ag_nl_build() and ag_nl_parse() turn one route into a request and one
 * RTM_NEWROUTE message back into a route; they touch no socket, so the
 * unit tests check multipath construction by a round trip. The socket
 * side dumps a table (IPv4 and IPv6) and sends a set of changes in
 * batches sized to the socket's receive buffer: the kernel answers every
 * request of one sendmsg() before we read, and each answer takes about
 * AG_NL_ACK_COST bytes of that buffer (an skb, whatever its length), so a
 * batch holds no more requests than their answers fit. Should the kernel
 * still drop answers (ENOBUFS), the socket is out of step: the caller
 * reopens it and resyncs (a fresh dump, a fresh diff).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "agent.h"

#define AG_NL_MSGMAX 4096 /* one route request is at most ~1.2 KiB */
#define AG_NL_BATCH 32768 /* bytes of requests per sendmsg */
#define AG_NL_RCVBUF 65536 /* read buffer (dump parts, acks) */
#define AG_NL_SOCKBUF (4u << 20) /* asked socket receive buffer */
#define AG_NL_ACK_COST 1024 /* receive-buffer bytes one answer may take */

struct ag_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	size_t per_batch; /* requests per sendmsg (answers fit the buffer) */
};

/* ---------------------------------------------------------------- build */

static void put_dst(struct nlmsghdr *nlh, const struct prefix *p)
{
	if (p->len > 0)
		mnl_attr_put(nlh, RTA_DST, p->afi == AFI_IPV4 ? 4 : 16, p->b);
}

static void put_nexthops(struct nlmsghdr *nlh, const struct ag_route *r)
{
	size_t alen = r->pfx.afi == AFI_IPV4 ? 4 : 16;
	if (r->n_nh == 1) {
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->nh[0].b);
		return;
	}
	struct nlattr *nest = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	for (size_t i = 0; i < r->n_nh; i++) {
		struct rtnexthop *rtnh = mnl_nlmsg_get_payload_tail(nlh);
		memset(rtnh, 0, sizeof(*rtnh));
		nlh->nlmsg_len += MNL_ALIGN(sizeof(*rtnh));
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->nh[i].b);
		rtnh->rtnh_len = (unsigned short)((char *)mnl_nlmsg_get_payload_tail(nlh) -
						  (char *)rtnh);
	}
	mnl_attr_nest_end(nlh, nest);
}

size_t ag_nl_build(void *buf, size_t len, const struct ag_op *op,
		   const struct ag_nlparams *p, uint32_t seq)
{
	const struct ag_route *r = &op->r;
	if (len < AG_NL_MSGMAX || op->op == AG_OP_CONFLICT ||
	    (r->pfx.afi != AFI_IPV4 && r->pfx.afi != AFI_IPV6))
		return 0;
	memset(buf, 0, AG_NL_MSGMAX);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->pfx.afi == AFI_IPV4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = r->pfx.len;
	rtm->rtm_table = p->table < 256 ? (uint8_t)p->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = p->proto;
	if (op->op == AG_OP_DEL) {
		nlh->nlmsg_type = RTM_DELROUTE;
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* any scope, any type */
		rtm->rtm_type = RTN_UNSPEC;
	} else {
		nlh->nlmsg_type = RTM_NEWROUTE;
		nlh->nlmsg_flags |= NLM_F_CREATE |
				    (op->op == AG_OP_ADD ? NLM_F_EXCL : NLM_F_REPLACE);
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;
		rtm->rtm_type = r->kind == AG_BLACKHOLE ? RTN_BLACKHOLE : RTN_UNICAST;
	}
	mnl_attr_put_u32(nlh, RTA_TABLE, p->table);
	put_dst(nlh, &r->pfx);
	mnl_attr_put_u32(nlh, RTA_PRIORITY,
			 op->op == AG_OP_DEL ? r->metric
					      : ag_metric(r->pfx.afi, p->metric));
	if (op->op != AG_OP_DEL && r->kind == AG_GATEWAY && r->n_nh > 0)
		put_nexthops(nlh, r);
	return nlh->nlmsg_len;
}

/* ---------------------------------------------------------------- parse */

struct parse_state {
	const struct nlattr *tb[RTA_MAX + 1];
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct parse_state *st = data;
	unsigned t = mnl_attr_get_type(a);
	if (t <= RTA_MAX)
		st->tb[t] = a;
	return MNL_CB_OK;
}

static int add_gateway(struct ag_route *r, const struct nlattr *a)
{
	size_t alen = r->pfx.afi == AFI_IPV4 ? 4 : 16;
	if (mnl_attr_get_payload_len(a) != alen)
		return -1;
	if (r->n_nh >= AG_MAXNH)
		return 0;
	struct addr *n = &r->nh[r->n_nh++];
	memset(n, 0, sizeof(*n));
	n->afi = r->pfx.afi;
	memcpy(n->b, mnl_attr_get_payload(a), alen);
	return 0;
}

static int parse_multipath(struct ag_route *r, const struct nlattr *mp)
{
	const char *p = mnl_attr_get_payload(mp);
	size_t left = mnl_attr_get_payload_len(mp);
	while (left >= sizeof(struct rtnexthop)) {
		const struct rtnexthop *rtnh = (const void *)p;
		if (rtnh->rtnh_len < sizeof(*rtnh) || rtnh->rtnh_len > left)
			return -1;
		struct parse_state st;
		memset(&st, 0, sizeof(st));
		size_t hdr = MNL_ALIGN(sizeof(*rtnh));
		if (rtnh->rtnh_len > hdr &&
		    mnl_attr_parse_payload(p + hdr, rtnh->rtnh_len - hdr,
					   attr_cb, &st) < 0)
			return -1;
		if (st.tb[RTA_GATEWAY] && add_gateway(r, st.tb[RTA_GATEWAY]))
			return -1;
		size_t step = MNL_ALIGN(rtnh->rtnh_len);
		if (step >= left)
			break;
		p += step;
		left -= step;
	}
	return 0;
}

int ag_nl_parse(const void *msg, uint32_t table, struct ag_route *r)
{
	const struct nlmsghdr *nlh = msg;
	struct parse_state st;
	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct rtmsg)))
		return 0;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	memset(&st, 0, sizeof(st));
	if (mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, &st) < 0)
		return -1;
	uint32_t id = st.tb[RTA_TABLE] ? mnl_attr_get_u32(st.tb[RTA_TABLE])
				       : rtm->rtm_table;
	if (id != table || (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	memset(r, 0, sizeof(*r));
	r->pfx.afi = rtm->rtm_family == AF_INET ? AFI_IPV4 : AFI_IPV6;
	size_t alen = r->pfx.afi == AFI_IPV4 ? 4 : 16;
	if (rtm->rtm_dst_len > alen * 8)
		return -1;
	r->pfx.len = rtm->rtm_dst_len;
	if (st.tb[RTA_DST]) {
		if (mnl_attr_get_payload_len(st.tb[RTA_DST]) != alen)
			return -1;
		struct addr a = { .afi = r->pfx.afi };
		memcpy(a.b, mnl_attr_get_payload(st.tb[RTA_DST]), alen);
		prefix_from_addr(&r->pfx, &a, r->pfx.len);
	}
	r->proto = rtm->rtm_protocol;
	if (st.tb[RTA_PRIORITY])
		r->metric = mnl_attr_get_u32(st.tb[RTA_PRIORITY]);
	if (st.tb[RTA_GATEWAY] && add_gateway(r, st.tb[RTA_GATEWAY]))
		return -1;
	if (st.tb[RTA_MULTIPATH] && parse_multipath(r, st.tb[RTA_MULTIPATH]))
		return -1;
	r->n_nh = (uint16_t)ag_nh_normalize(r->nh, r->n_nh);
	if (rtm->rtm_type == RTN_BLACKHOLE)
		r->kind = AG_BLACKHOLE;
	else if (rtm->rtm_type == RTN_UNICAST && r->n_nh > 0)
		r->kind = AG_GATEWAY;
	else
		r->kind = AG_OTHER;
	return 1;
}

/* ---------------------------------------------------------------- socket */

/* Ask for a large receive buffer (beyond rmem_max when privileged; or
 * rcvbuf bytes when given) and size batches to what the kernel granted:
 * half of it, in answers. */
static size_t batch_size(int fd, int rcvbuf)
{
	int want = rcvbuf > 0 ? rcvbuf : (int)AG_NL_SOCKBUF, got = 0;
	socklen_t sl = sizeof(got);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &sl) != 0 || got <= 0)
		got = 212992; /* the usual default */
	size_t n = (size_t)got / 2 / AG_NL_ACK_COST;
	return n < 16 ? 16 : n;
}

size_t ag_nl_batch(const struct ag_nl *nl)
{
	return nl->per_batch;
}

struct ag_nl *ag_nl_open(char *err, size_t errlen)
{
	return ag_nl_open_tuned(0, 0, err, errlen);
}

struct ag_nl *ag_nl_open_tuned(int rcvbuf, size_t batch, char *err,
			       size_t errlen)
{
	struct ag_nl *nl = calloc(1, sizeof(*nl));
	int one = 1;
	if (!nl)
		abort();
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		ag_nl_close(nl);
		return NULL;
	}
	/* acks without the request copied back; errors with a message */
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	nl->per_batch = batch_size(mnl_socket_get_fd(nl->sock), rcvbuf);
	if (batch)
		nl->per_batch = batch;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return nl;
}

void ag_nl_close(struct ag_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

struct dump_ctx {
	uint32_t table;
	struct ag_rset *out;
	int bad;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	struct ag_route r;
	int rc = ag_nl_parse(nlh, c->table, &r);
	if (rc < 0)
		c->bad++;
	else if (rc > 0)
		ag_rset_add(c->out, &r);
	return MNL_CB_OK;
}

static int dump_family(struct ag_nl *nl, int family, struct dump_ctx *c,
		       char *err, size_t errlen)
{
	char buf[AG_NL_RCVBUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++nl->seq;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		goto bad;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			goto bad;
		int rc = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid,
				    dump_cb, c);
		if (rc < 0)
			goto bad;
		if (rc == MNL_CB_STOP)
			return 0;
	}
bad:
	snprintf(err, errlen, "route dump: %s", strerror(errno));
	return -1;
}

int ag_nl_dump(struct ag_nl *nl, const struct ag_nlparams *p,
	       struct ag_rset *out, char *err, size_t errlen)
{
	struct dump_ctx c = { .table = p->table, .out = out };
	out->n = 0;
	if (dump_family(nl, AF_INET, &c, err, errlen) ||
	    dump_family(nl, AF_INET6, &c, err, errlen))
		return -1;
	ag_rset_sort(out);
	return 0;
}

/* Read acks for requests seq first..first+count-1 (ops[i] has seq
 * first+i). Returns the number of failures, -1 on a socket error. */
static int read_acks(struct ag_nl *nl, const struct ag_op *const *sent,
		     uint32_t first, size_t count, ag_nl_fail_cb on_fail,
		     void *arg)
{
	char buf[AG_NL_RCVBUF];
	size_t got = 0;
	int failed = 0;
	while (got < count) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -1;
		const struct nlmsghdr *h = (const void *)buf;
		int left = (int)n;
		for (; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_type != NLMSG_ERROR ||
			    h->nlmsg_seq - first >= count)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			got++;
			if (e->error) {
				failed++;
				if (on_fail)
					on_fail(sent[h->nlmsg_seq - first],
					     -e->error, arg);
			}
		}
	}
	return failed;
}

/* Send one chunk of built messages and read their acks. */
static int flush_chunk(struct ag_nl *nl, char *buf, size_t used,
		       const struct ag_op *const *sent, uint32_t first,
		       size_t count, ag_nl_fail_cb on_fail, void *arg)
{
	if (count == 0)
		return 0;
	if (mnl_socket_sendto(nl->sock, buf, used) < 0)
		return -1;
	return read_acks(nl, sent, first, count, on_fail, arg);
}

int ag_nl_apply(struct ag_nl *nl, const struct ag_nlparams *p,
		const struct ag_ops *ops, ag_nl_fail_cb on_fail, void *arg)
{
	char *buf = malloc(AG_NL_BATCH + AG_NL_MSGMAX);
	const struct ag_op **sent = calloc(ops->n ? ops->n : 1, sizeof(*sent));
	size_t used = 0, count = 0;
	uint32_t first = nl->seq + 1;
	int failed = 0, rc;
	if (!buf || !sent)
		abort();
	for (size_t i = 0; i < ops->n; i++) {
		size_t len = ag_nl_build(buf + used, AG_NL_MSGMAX, &ops->v[i],
					 p, first + (uint32_t)count);
		if (len == 0)
			continue;
		sent[count++] = &ops->v[i];
		used += MNL_ALIGN(len);
		if (used < AG_NL_BATCH && count < nl->per_batch)
			continue;
		rc = flush_chunk(nl, buf, used, sent, first, count, on_fail, arg);
		if (rc < 0)
			goto out;
		failed += rc;
		first += (uint32_t)count;
		used = count = 0;
	}
	rc = flush_chunk(nl, buf, used, sent, first, count, on_fail, arg);
	if (rc >= 0)
		failed += rc;
	first += (uint32_t)count;
out:
	nl->seq = first;
	free(buf);
	free(sent);
	return rc < 0 ? -1 : failed;
}
