/*
 * bmp_feed.c - what each collector is sent: on connect an Initiation,
 * the Loc-RIB's Peer Up (RFC 9069: peer type 3, a fabricated OPEN, the
 * VRF/Table Name TLV) and a Peer Up for every established peer, then a
 * dump in slices (each peer's adj-RIB-in, accepted and refused routes,
 * and the Loc-RIB's best paths, re-encoded from the RIB) closed by an
 * End-of-RIB per peer and family; after that, live: each UPDATE as it
 * was received (pre-policy), Peer Up/Down as sessions change, Loc-RIB
 * changes from the change-set drain, and Statistics Reports.
 *
 * The dump reads the RIB as it is when the walk reaches an entry, and a
 * peer's packed dump message is flushed before a live UPDATE of that peer
 * goes out, so the collector always ends with the current state.
 */
#include "bmp/bmp_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/version.h"
#include "session/peer.h"

static const struct bgp_session_caps enc_caps = {.as4 = true,
						 .ext_message = false,
						 .ebgp = true};

static void now_ts(struct bmp_peer *h)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	h->ts_sec = (uint32_t)ts.tv_sec;
	h->ts_usec = (uint32_t)(ts.tv_nsec / 1000);
}

static uint32_t router_id(const struct session *s)
{
	const struct addr *a = &s->conf->rs.router_id;

	return a->afi == AFI_IPV4 ? (uint32_t)a->b[0] << 24 | a->b[1] << 16 |
					    a->b[2] << 8 | a->b[3]
				  : 0;
}

static void peer_hdr(const struct peer *p, uint32_t bgp_id, bool two_octet,
		     struct bmp_peer *h)
{
	memset(h, 0, sizeof(*h));
	h->type = BMP_PEER_GLOBAL;
	h->flags = two_octet ? BMP_PF_A : 0;
	h->addr = p->cf->address;
	h->asn = p->cf->asn;
	h->bgp_id = bgp_id;
	now_ts(h);
}

static void loc_hdr(const struct session *s, struct bmp_peer *h)
{
	memset(h, 0, sizeof(*h));
	h->type = BMP_PEER_LOC_RIB;
	h->asn = s->conf->rs.asn;
	h->bgp_id = router_id(s);
	now_ts(h);
}

/* ---------------------------------------------------------- packing */

static struct bmp_pack *pack_new(void)
{
	return calloc(1, sizeof(struct bmp_pack));
}

/* Send the open message of pk (if any). rib_id: its BGP peer, or
 * UINT32_MAX for the Loc-RIB. Returns false when the collector went down
 * (pk may be gone then). */
static bool pack_flush(struct bmp_coll *c, struct bmp_pack *pk,
		       uint32_t rib_id)
{
	struct bmp *b = c->b;
	struct bmp_peer h;
	size_t len;

	if (!pk || !pk->open)
		return c->state == BC_UP;
	len = bgp_update_finish(&pk->ub);
	pk->open = false;
	if (rib_id == UINT32_MAX) {
		loc_hdr(b->s, &h);
	} else {
		const struct peer *p = session_peer_by_rib(b->s, rib_id);

		if (!p || rib_id >= c->n_peers)
			return true;
		peer_hdr(p, c->peers[rib_id].bgp_id, false, &h);
	}
	return bmp_coll_send(c, b->msg,
			     bmp_route_mon_encode(b->msg, sizeof(b->msg), &h,
						  pk->buf, len));
}

static int pack_begin(struct bmp *b, struct bmp_pack *pk, uint16_t afi,
		      const struct rattr *attr, bool strip_lp)
{
	int rc;

	if (!attr) {
		rc = bgp_update_begin_withdraw(&pk->ub, pk->buf, sizeof(pk->buf),
					       afi);
	} else {
		rattr_to_bgp(attr, &b->scratch);
		/* An eBGP peer's UPDATE carries no LOCAL_PREF: what the
		 * adj-RIB-in holds is import's default or its set. */
		if (strip_lp)
			b->scratch.present &= ~ATTR_BIT(ATTR_LOCAL_PREF);
		rc = bgp_update_begin(&pk->ub, pk->buf, sizeof(pk->buf), afi,
				      &b->scratch, &enc_caps);
	}
	if (rc < 0)
		return -1;
	pk->open = true;
	pk->afi = afi;
	pk->attr = attr;
	pk->withdraw = !attr;
	return 0;
}

/* Add pfx (attr NULL: a withdrawal) to pk. Returns false when the
 * collector went down. */
static bool pack_add(struct bmp_coll *c, struct bmp_pack *pk, uint32_t rib_id,
		     const struct prefix *pfx, const struct rattr *attr)
{
	bool strip = rib_id != UINT32_MAX;

	if (pk->open && (pk->afi != pfx->afi || pk->attr != attr ||
			 pk->withdraw != !attr) &&
	    !pack_flush(c, pk, rib_id))
		return false;
	if (!pk->open && pack_begin(c->b, pk, pfx->afi, attr, strip) < 0)
		return true; /* cannot be encoded (next hop of another family) */
	if (bgp_update_add(&pk->ub, pfx) == 0)
		return true;
	if (!pack_flush(c, pk, rib_id))
		return false;
	if (pack_begin(c->b, pk, pfx->afi, attr, strip) < 0)
		return true;
	(void)bgp_update_add(&pk->ub, pfx);
	return true;
}

static bool send_eor(struct bmp_coll *c, const struct bmp_peer *h,
		     uint16_t afi)
{
	uint8_t eor[64];
	int n = bgp_eor_encode(afi, eor, sizeof(eor));

	if (n <= 0)
		return true;
	return bmp_coll_send(c, c->b->msg,
			     bmp_route_mon_encode(c->b->msg, sizeof(c->b->msg),
						  h, eor, (size_t)n));
}

/* ------------------------------------------------------ peer up/down */

static void sock_ports(int fd, uint16_t *local, uint16_t *remote)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	*local = *remote = 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &l) == 0)
		*local = ntohs(ss.ss_family == AF_INET6 ?
			       ((struct sockaddr_in6 *)&ss)->sin6_port :
			       ((struct sockaddr_in *)&ss)->sin_port);
	l = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &l) == 0)
		*remote = ntohs(ss.ss_family == AF_INET6 ?
				((struct sockaddr_in6 *)&ss)->sin6_port :
				((struct sockaddr_in *)&ss)->sin_port);
}

/* Peer Up for p's established session on conn; marks it up. */
static bool send_peer_up(struct bmp_coll *c, const struct peer *p,
			 const struct conn *conn, bool dump)
{
	struct bmp_cpeer *cp = bmp_cpeer(c, p->rib_id);
	struct bmp_peer h;
	uint16_t lport, rport;
	int n;

	if (!cp || !conn->open_sent || !conn->open_recv)
		return c->state == BC_UP;
	cp->bgp_id = conn->open.bgp_id;
	peer_hdr(p, cp->bgp_id, false, &h);
	sock_ports(conn->fd, &lport, &rport);
	n = bmp_peer_up_encode(c->b->msg, sizeof(c->b->msg), &h, &conn->local,
			       lport, rport, conn->open_sent,
			       conn->open_sent_len, conn->open_recv,
			       conn->open_recv_len, NULL);
	if (!bmp_coll_send(c, c->b->msg, n))
		return false;
	cp->up = n > 0;
	cp->dump = cp->up && dump;
	return true;
}

/* The Loc-RIB's Peer Up: a fabricated OPEN (4-octet AS, both families)
 * as sent and received (RFC 9069 5.3). */
static bool send_loc_up(struct bmp_coll *c)
{
	struct session *s = c->b->s;
	struct bgp_open o;
	uint8_t open[BGP_MAX_LEN];
	struct bmp_peer h;
	struct addr zero = {0};
	int olen, n;

	memset(&o, 0, sizeof(o));
	o.version = 4;
	o.my_as = s->conf->rs.asn > 0xffff ? 23456 : (uint16_t)s->conf->rs.asn;
	o.bgp_id = router_id(s);
	o.as4 = s->conf->rs.asn;
	o.has_as4 = true;
	o.n_afs = 2;
	o.afs[0] = (struct bgp_af){AFI_IPV4, SAFI_UNICAST};
	o.afs[1] = (struct bgp_af){AFI_IPV6, SAFI_UNICAST};
	olen = bgp_open_encode(&o, open, sizeof(open));
	if (olen <= 0)
		return true;
	loc_hdr(s, &h);
	n = bmp_peer_up_encode(c->b->msg, sizeof(c->b->msg), &h, &zero, 0, 0,
			       open, (size_t)olen, open, (size_t)olen,
			       BMP_LOC_RIB_NAME);
	if (!bmp_coll_send(c, c->b->msg, n))
		return false;
	c->loc_up = n > 0;
	if (c->loc_up && !c->loc_pack)
		c->loc_pack = pack_new();
	return true;
}

void bmp_feed_connected(struct bmp_coll *c)
{
	struct session *s = c->b->s;
	char host[256] = "pharosd";
	char descr[128];
	int n;

	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "pharosd");
	snprintf(descr, sizeof(descr), "pharos %s, route server for virtual "
		 "networks", PHAROS_VERSION);
	n = bmp_initiation_encode(c->b->msg, sizeof(c->b->msg), host, descr);
	if (!bmp_coll_send(c, c->b->msg, n) || !send_loc_up(c))
		return;
	for (unsigned i = 0; i < s->n_peers; i++) {
		const struct peer *p = s->peers[i];

		if (p->est && p->state == PS_ESTABLISHED &&
		    !send_peer_up(c, p, p->est, true))
			return;
	}
	c->dumping = true;
	c->dump_walked = false;
	c->dump_has_cursor = false;
	bmp_coll_kick(c);
}

void bmp_peer_up(struct bmp *b, const struct peer *p, const struct conn *conn)
{
	for (unsigned i = 0; b && i < b->n_coll; i++)
		if (b->coll[i]->state == BC_UP && !b->coll[i]->stopping)
			send_peer_up(b->coll[i], p, conn, false);
}

static void down_data(const struct session_down *why, uint8_t *reason,
		      uint8_t *data, size_t cap, size_t *len)
{
	*len = 0;
	if (why->notify) {
		int n = bgp_notify_encode(why->notify, data, cap);

		if (n > 0) {
			*reason = why->local ? BMP_DOWN_LOCAL_NOTIFY
					     : BMP_DOWN_REMOTE_NOTIFY;
			*len = (size_t)n;
			return;
		}
	}
	if (why->local) {
		*reason = BMP_DOWN_LOCAL_NO_NOTIFY;
		data[0] = data[1] = 0; /* no FSM event code fits */
		*len = 2;
	} else {
		*reason = BMP_DOWN_REMOTE_NO_NOTIFY;
	}
}

void bmp_peer_down(struct bmp *b, const struct peer *p,
		   const struct session_down *why)
{
	uint8_t data[512], reason;
	size_t dlen;

	down_data(why, &reason, data, sizeof(data), &dlen);
	for (unsigned i = 0; b && i < b->n_coll; i++) {
		struct bmp_coll *c = b->coll[i];
		struct bmp_cpeer *cp;
		struct bmp_peer h;

		if (c->state != BC_UP || p->rib_id >= c->n_peers ||
		    !c->peers[p->rib_id].up)
			continue;
		cp = &c->peers[p->rib_id];
		free(cp->pack); /* a dump message of a session now gone */
		cp->pack = NULL;
		cp->up = cp->dump = false;
		peer_hdr(p, cp->bgp_id, false, &h);
		bmp_coll_send(c, b->msg,
			      bmp_peer_down_encode(b->msg, sizeof(b->msg), &h,
						   reason, data, dlen));
	}
}

void bmp_update_in(struct bmp *b, const struct conn *conn,
		   const uint8_t *msg, size_t len)
{
	const struct peer *p = conn->peer;

	for (unsigned i = 0; b && p && i < b->n_coll; i++) {
		struct bmp_coll *c = b->coll[i];
		struct bmp_cpeer *cp;
		struct bmp_peer h;

		if (c->state != BC_UP || p->rib_id >= c->n_peers ||
		    !c->peers[p->rib_id].up)
			continue;
		cp = &c->peers[p->rib_id];
		/* What the dump packed of this peer is older: it goes first. */
		if (cp->pack && !pack_flush(c, cp->pack, p->rib_id))
			continue;
		peer_hdr(p, cp->bgp_id, !conn->caps.as4, &h);
		bmp_coll_send(c, b->msg,
			      bmp_route_mon_encode(b->msg, sizeof(b->msg), &h,
						   msg, len));
	}
}

/* ------------------------------------------------------------ Loc-RIB */

void bmp_locrib_change(struct bmp *b, const struct rentry *e)
{
	const struct rattr *best = e->n_paths ? e->paths->attr : NULL;

	for (unsigned i = 0; b && i < b->n_coll; i++) {
		struct bmp_coll *c = b->coll[i];

		if (c->state != BC_UP || !c->loc_up || !c->loc_pack)
			continue;
		if (c->dump_loc && !pack_flush(c, c->dump_loc, UINT32_MAX))
			continue;
		pack_add(c, c->loc_pack, UINT32_MAX, &e->prefix, best);
	}
}

void bmp_locrib_flush(struct bmp *b)
{
	for (unsigned i = 0; b && i < b->n_coll; i++) {
		struct bmp_coll *c = b->coll[i];

		if (c->state == BC_UP && c->loc_pack)
			pack_flush(c, c->loc_pack, UINT32_MAX);
	}
}

/* --------------------------------------------------------------- dump */

struct dump_walk {
	struct bmp_coll *c;
	unsigned left;
	bool down;
};

static int dump_entry(const struct rentry *e, void *arg)
{
	struct dump_walk *w = arg;
	struct bmp_coll *c = w->c;

	/* The collector reads slowly: go on when the queue is shorter. */
	if (c->q_len - c->q_off >= bmp_coll_dump_low(c))
		return 1;
	for (const struct rpath *rp = e->paths; rp; rp = rp->next) {
		struct bmp_cpeer *cp;

		if (rp->peer >= c->n_peers || !c->peers[rp->peer].dump)
			continue;
		cp = &c->peers[rp->peer];
		if (!cp->pack && !(cp->pack = pack_new()))
			continue;
		if (!pack_add(c, cp->pack, rp->peer, &e->prefix, rp->attr)) {
			w->down = true;
			return 1;
		}
	}
	if (e->n_paths && c->dump_loc &&
	    !pack_add(c, c->dump_loc, UINT32_MAX, &e->prefix, e->paths->attr)) {
		w->down = true;
		return 1;
	}
	c->dump_cursor = e->prefix;
	c->dump_has_cursor = true;
	return --w->left == 0;
}

struct refused_walk {
	struct bmp_coll *c;
	uint32_t rib_id;
	bool down;
};

static int dump_refused(const struct refused_route *rr, void *arg)
{
	struct refused_walk *w = arg;
	struct bmp_cpeer *cp = &w->c->peers[w->rib_id];

	if (!rr->attr)
		return 0;
	if (!cp->pack && !(cp->pack = pack_new()))
		return 1;
	if (!pack_add(w->c, cp->pack, w->rib_id, &rr->pfx, rr->attr)) {
		w->down = true;
		return 1;
	}
	return 0;
}

/* The walk is over: each dumped peer's refused routes, the last packed
 * messages, End-of-RIBs. Returns false when the collector went down. */
static bool dump_finish(struct bmp_coll *c)
{
	struct session *s = c->b->s;
	struct bmp_peer h;

	for (uint32_t id = 0; id < c->n_peers; id++) {
		const struct peer *p = session_peer_by_rib(s, id);
		struct bmp_cpeer *cp = &c->peers[id];
		struct refused_walk w = {c, id, false};

		if (!cp->dump || !p)
			continue;
		if (p->refused)
			refused_walk(p->refused, dump_refused, &w);
		if (w.down || !pack_flush(c, cp->pack, id))
			return false;
		free(cp->pack);
		cp->pack = NULL;
		peer_hdr(p, cp->bgp_id, false, &h);
		if ((p->afi_v4 && !send_eor(c, &h, AFI_IPV4)) ||
		    (p->afi_v6 && !send_eor(c, &h, AFI_IPV6)))
			return false;
		cp->dump = false;
	}
	if (!pack_flush(c, c->dump_loc, UINT32_MAX))
		return false;
	free(c->dump_loc);
	c->dump_loc = NULL;
	loc_hdr(s, &h);
	return send_eor(c, &h, AFI_IPV4) && send_eor(c, &h, AFI_IPV6);
}

void bmp_feed_dump_slice(struct bmp_coll *c)
{
	struct dump_walk w = {c, BMP_DUMP_SLICE, false};
	int rc;

	if (!c->dump_loc && !(c->dump_loc = pack_new()))
		return;
	rc = rib_walk_after(c->b->s->rib,
			    c->dump_has_cursor ? &c->dump_cursor : NULL,
			    dump_entry, &w);
	if (w.down || c->state != BC_UP)
		return;
	if (rc == 0 && dump_finish(c)) {
		c->dumping = false;
		log_info(c->b->s->log, NULL, "BMP collector %s: table dump sent",
			 c->name);
	}
}

/* --------------------------------------------------------- statistics */

void bmp_feed_stats(struct bmp_coll *c)
{
	struct session *s = c->b->s;
	struct rib_stats rs;
	struct bmp_peer h;
	struct bmp_stat st[4];

	for (uint32_t id = 0; id < c->n_peers; id++) {
		const struct peer *p = session_peer_by_rib(s, id);

		if (!p || !c->peers[id].up)
			continue;
		st[0] = (struct bmp_stat){.type = BMP_STAT_REJECTED,
					  .value = p->policy_refused +
						   p->default_refused +
						   p->martian_refused +
						   p->first_as_refused};
		st[1] = (struct bmp_stat){.type = BMP_STAT_ASPATH_LOOP,
					  .value = p->loop_refused};
		st[2] = (struct bmp_stat){.type = BMP_STAT_ADJ_RIB_IN,
					  .value = peer_prefixes_received(p)};
		st[3] = (struct bmp_stat){.type = BMP_STAT_TREAT_AS_WITHDRAW,
					  .value = p->treat_as_withdraw};
		peer_hdr(p, c->peers[id].bgp_id, false, &h);
		if (!bmp_coll_send(c, c->b->msg,
				   bmp_stats_encode(c->b->msg, sizeof(c->b->msg),
						    &h, st, 4)))
			return;
	}
	if (!c->loc_up)
		return;
	rib_stats(s->rib, &rs);
	st[0] = (struct bmp_stat){.type = BMP_STAT_LOC_RIB,
				  .value = rs.prefixes[AFI_IPV4] +
					   rs.prefixes[AFI_IPV6]};
	st[1] = (struct bmp_stat){.type = BMP_STAT_LOC_RIB_AF, .afi = AFI_IPV4,
				  .safi = SAFI_UNICAST,
				  .value = rs.prefixes[AFI_IPV4]};
	st[2] = (struct bmp_stat){.type = BMP_STAT_LOC_RIB_AF, .afi = AFI_IPV6,
				  .safi = SAFI_UNICAST,
				  .value = rs.prefixes[AFI_IPV6]};
	loc_hdr(s, &h);
	bmp_coll_send(c, c->b->msg,
		      bmp_stats_encode(c->b->msg, sizeof(c->b->msg), &h, st, 3));
}

void bmp_feed_reset(struct bmp_coll *c)
{
	for (uint32_t id = 0; id < c->n_peers; id++) {
		free(c->peers[id].pack);
		memset(&c->peers[id], 0, sizeof(c->peers[id]));
	}
	free(c->loc_pack);
	free(c->dump_loc);
	c->loc_pack = c->dump_loc = NULL;
	c->loc_up = false;
	c->dumping = c->dump_walked = c->dump_has_cursor = false;
}
