/*
 * produce.c - pharos-peer's route producers: UPDATE packing for announce
 * and withdraw commands, the load generator (N /24 or /48 prefixes packed
 * in full UPDATEs) and MRT replay (RIB dumps and BGP4MP update streams).
 *
 * Producers encode straight into the output buffer and stop after a
 * bounded number of bytes, so the poll loop gets back to reading and
 * keepalives between chunks.
 */
#include <stdlib.h>
#include <string.h>

#include "peer.h"

#define CHUNK_BYTES (2u << 20)

/* A source of prefixes: a list, an NLRI block, or the generator. */
struct pfx_src {
	const struct prefix *list;
	unsigned n, i;
	const struct bgp_nlri_block *blk;
	size_t off;
	struct prefix cur;
	bool have, gen;
	uint64_t gen_i, gen_n;
	const struct addr *gen_start;
	const struct pset *set; /* withdraw-all: the prefixes sent */
	size_t cursor;
	uint16_t set_afi;
};

static void gen_prefix(const struct pfx_src *s, struct prefix *pfx)
{
	const uint8_t *b = s->gen_start->b;

	memset(pfx, 0, sizeof(*pfx));
	pfx->afi = s->gen_start->afi;
	if (pfx->afi == AFI_IPV4) {
		uint32_t a = ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
			      (uint32_t)b[2] << 8) + ((uint32_t)s->gen_i << 8);

		pfx->len = 24;
		pfx->b[0] = (uint8_t)(a >> 24);
		pfx->b[1] = (uint8_t)(a >> 16);
		pfx->b[2] = (uint8_t)(a >> 8);
	} else {
		uint64_t a = 0;

		for (int i = 0; i < 6; i++)
			a = a << 8 | b[i];
		a += s->gen_i;
		pfx->len = 48;
		for (int i = 5; i >= 0; i--, a >>= 8)
			pfx->b[i] = (uint8_t)a;
	}
}

static bool src_peek(struct pfx_src *s, struct prefix *pfx)
{
	if (!s->have) {
		if (s->gen) {
			if (s->gen_i >= s->gen_n)
				return false;
			gen_prefix(s, &s->cur);
		} else if (s->set) {
			if (pset_next(s->set, &s->cursor, s->set_afi, &s->cur) != 1)
				return false;
		} else if (s->blk) {
			if (bgp_nlri_next(s->blk, &s->off, &s->cur) != 1)
				return false;
		} else {
			if (s->i >= s->n)
				return false;
			s->cur = s->list[s->i++];
		}
		s->have = true;
	}
	*pfx = s->cur;
	return true;
}

static void src_take(struct pfx_src *s)
{
	s->have = false;
	if (s->gen)
		s->gen_i++;
}

/* Remember what the session announced (and forget what it withdrew)
 * for a later withdraw-all. */
static void track(struct peer *p, const struct prefix *pfx, bool announce)
{
	if (!p->track_sent)
		return;
	if (announce)
		pset_add(&p->sent, pfx);
	else
		pset_del(&p->sent, pfx);
}

/* Encode UPDATEs for the source's prefixes until it is empty or budget
 * bytes are queued. a == NULL withdraws. With distinct, every UPDATE gets
 * its own MED; per_update (0: no limit) caps the prefixes per UPDATE.
 * Returns bytes queued. */
static size_t emit(struct peer *p, uint16_t afi, struct bgp_attrs *a,
		   struct pfx_src *s, size_t budget, bool distinct,
		   unsigned per_update)
{
	size_t queued = 0;
	struct prefix pfx;

	while (queued < budget && src_peek(s, &pfx)) {
		struct bgp_update_builder b;
		uint8_t *buf = out_reserve(p, p->max_len);
		unsigned cnt = 0;
		size_t len;

		if (a && distinct) {
			a->present |= ATTR_BIT(ATTR_MED);
			a->med = (uint32_t)p->st.upd_sent;
		}
		if ((a ? bgp_update_begin(&b, buf, p->max_len, afi, a, &p->caps)
		       : bgp_update_begin_withdraw(&b, buf, p->max_len, afi)) < 0) {
			fprintf(stderr, "pharos-peer: cannot encode an UPDATE\n");
			return queued;
		}
		while (src_peek(s, &pfx) &&
		       (!per_update || cnt < per_update) &&
		       bgp_update_add(&b, &pfx) == 0) {
			if (!s->set)
				track(p, &pfx, a != NULL);
			src_take(s);
			cnt++;
		}
		if (!cnt) { /* this prefix does not fit even alone */
			src_take(s);
			continue;
		}
		len = bgp_update_finish(&b);
		out_queued(p, len, true);
		queued += len;
		if (a)
			p->st.pfx_sent += cnt;
		else
			p->st.wd_sent += cnt;
	}
	return queued;
}

void queue_prefixes(struct peer *p, uint16_t afi, const struct bgp_attrs *a,
		    const struct prefix *list, unsigned n)
{
	struct pfx_src s = { .list = list, .n = n };

	emit(p, afi, (struct bgp_attrs *)a, &s, SIZE_MAX, false, p->per_update);
}

int queue_eor(struct peer *p, uint16_t afi)
{
	uint8_t *buf = out_reserve(p, 64);
	int n = bgp_eor_encode(afi, buf, 64);

	if (n > 0)
		out_queued(p, (size_t)n, true);
	return n;
}

/* The next hop for afi: the given one, the -n one, or the local address
 * (an IPv4 local address becomes ::ffff:a.b.c.d for IPv6 prefixes). */
static void set_next_hop(struct peer *p, struct bgp_attrs *a, uint16_t afi,
			 const struct addr *nh)
{
	struct addr v = { 0 };

	if (afi == AFI_IPV4) {
		if (nh && nh->afi == AFI_IPV4)
			v = *nh;
		else if (p->nh4.afi)
			v = p->nh4;
		else if (p->local.afi == AFI_IPV4)
			v = p->local;
		else
			v.afi = AFI_IPV4, memcpy(v.b, p->local.b + 12, 4);
		a->next_hop = v;
		a->present |= ATTR_BIT(ATTR_NEXT_HOP);
		return;
	}
	if (nh && nh->afi == AFI_IPV6)
		v = *nh;
	else if (!nh && p->nh6.afi)
		v = p->nh6;
	else if (!nh && p->local.afi == AFI_IPV6)
		v = p->local;
	else {
		const struct addr *v4 = nh ? nh : p->nh4.afi ? &p->nh4 : &p->local;

		v.afi = AFI_IPV6;
		v.b[10] = v.b[11] = 0xff;
		memcpy(v.b + 12, v4->b, 4);
	}
	a->mp_next_hop = v;
	memset(&a->mp_next_hop_ll, 0, sizeof(a->mp_next_hop_ll));
	a->mp_afi = AFI_IPV6;
	a->mp_safi = SAFI_UNICAST;
	a->present &= ~ATTR_BIT(ATTR_NEXT_HOP);
}

void fill_base_attrs(struct peer *p, struct bgp_attrs *a, uint16_t afi,
		     const struct addr *nh)
{
	memset(a, 0, sizeof(*a));
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH);
	a->origin = ORIGIN_IGP;
	aspath_set_sequence(a, &p->asn, 1);
	set_next_hop(p, a, afi, nh);
}

/* ---------------------------------------------------------- generator */

bool gen_produce(struct peer *p, const struct step *st)
{
	struct addr start = st->start;
	struct pfx_src s = { .gen = true, .gen_n = st->n,
			     .gen_i = p->gen_next, .gen_start = &start };
	uint16_t afi;

	if (start.afi == AFI_IPV6 && !memcmp(start.b, (uint8_t[16]){ 0 }, 16))
		addr_parse("2001:db8::", &start);
	else if (!start.afi)
		addr_parse("16.0.0.0", &start);
	afi = start.afi;
	fill_base_attrs(p, &p->tmp_attrs, afi, NULL);
	emit(p, afi, &p->tmp_attrs, &s, CHUNK_BYTES, st->distinct,
	     st->per_update);
	p->gen_next = s.gen_i;
	if (p->gen_next < st->n)
		return false;
	p->gen_next = 0;
	queue_eor(p, afi);
	return true;
}

/* ------------------------------------------------------- withdraw-all */

/* Withdraw every prefix the session announced, IPv4 then IPv6, packed
 * into as few UPDATEs as fit (or st->per_update a message). */
bool withdraw_all_produce(struct peer *p, const struct step *st)
{
	struct pfx_src s = { .set = &p->sent, .cursor = p->wd_cursor,
			     .set_afi = p->wd_afi ? p->wd_afi : AFI_IPV4 };

	emit(p, s.set_afi, NULL, &s, CHUNK_BYTES, false, st->per_update);
	if (s.have) { /* budget reached: resume at the peeked prefix */
		p->wd_cursor = s.cursor - 1;
		p->wd_afi = s.set_afi;
		return false;
	}
	if (s.set_afi == AFI_IPV4) {
		p->wd_cursor = 0;
		p->wd_afi = AFI_IPV6;
		return false;
	}
	p->wd_cursor = 0;
	p->wd_afi = 0;
	pset_free(&p->sent); /* nothing announced is left */
	return true;
}

/* ---------------------------------------------------------- MRT replay */

void mrt_replay_free(struct mrt_replay *m)
{
	free(m->buf);
	free(m->scratch);
	free(m->u);
	mrt_reader_free(&m->r);
	memset(m, 0, sizeof(*m));
}

static int mrt_start(struct peer *p)
{
	struct mrt_replay *m = &p->mrt;
	char err[512];

	m->started = true;
	if (mrt_file_load(m->file, &m->buf, &m->len, err, sizeof(err)) < 0) {
		fprintf(stderr, "pharos-peer: %s\n", err);
		return -1;
	}
	m->scratch = malloc(MRT_SCRATCH_LEN);
	m->u = malloc(sizeof(*m->u));
	if (!m->scratch || !m->u)
		return -1;
	mrt_reader_init(&m->r, m->buf, m->len);
	return 0;
}

/* Attributes learned elsewhere, made fit to send to an eBGP peer. A
 * locally originated entry of a dump may have no ORIGIN or AS_PATH: it
 * gets INCOMPLETE and an empty path (then our AS), as a router would. */
static int transform(struct peer *p, struct bgp_attrs *a)
{
	if (!(a->present & ATTR_BIT(ATTR_ORIGIN))) {
		a->origin = ORIGIN_INCOMPLETE;
		a->present |= ATTR_BIT(ATTR_ORIGIN);
	}
	if (!(a->present & ATTR_BIT(ATTR_AS_PATH)))
		a->aspath_len = 0;
	a->present &= ~(ATTR_BIT(ATTR_LOCAL_PREF) | ATTR_BIT(ATTR_ORIGINATOR_ID) |
			ATTR_BIT(ATTR_CLUSTER_LIST) | ATTR_BIT(ATTR_MP_REACH) |
			ATTR_BIT(ATTR_MP_UNREACH) | ATTR_BIT(ATTR_AS4_PATH) |
			ATTR_BIT(ATTR_AS4_AGGREGATOR));
	a->present |= ATTR_BIT(ATTR_AS_PATH);
	return aspath_prepend(a, p->asn);
}

static size_t close_open(struct peer *p)
{
	struct mrt_replay *m = &p->mrt;
	size_t len;

	if (!m->open)
		return 0;
	m->open = false;
	len = bgp_update_finish(&m->b);
	out_queued(p, len, true);
	return len;
}

/* Pick the entry to replay from a RIB record. */
static bool pick_entry(struct peer *p, const struct mrt_record *rec,
		       struct mrt_rib_entry *e)
{
	struct mrt_replay *m = &p->mrt;
	size_t off = 0;

	if (rec->v1) { /* one record per path: keep the first of a prefix */
		if (prefix_eq(&rec->prefix, &m->last_v1))
			return false;
		m->last_v1 = rec->prefix;
		return mrt_rib_entry_next(rec, &off, e) == 1;
	}
	while (mrt_rib_entry_next(rec, &off, e) == 1)
		if (m->peer < 0 || e->peer_index == m->peer)
			return true;
	return false;
}

static size_t replay_rib(struct peer *p, const struct mrt_record *rec)
{
	struct mrt_replay *m = &p->mrt;
	struct mrt_rib_entry e;
	struct bgp_notify err;
	uint16_t afi = rec->prefix.afi;
	size_t q;

	if (!pick_entry(p, rec, &e))
		return 0;
	if (!af_negotiated(p, afi)) { /* the peer did not offer the family */
		m->skipped++;
		return 0;
	}
	if (m->open && m->last_afi == afi && e.attr_len == m->last_attr_len &&
	    !memcmp(e.attrs, m->last_attrs, e.attr_len) &&
	    (!m->per_update || m->b.n_prefixes < m->per_update) &&
	    bgp_update_add(&m->b, &rec->prefix) == 0) {
		track(p, &rec->prefix, true);
		p->st.pfx_sent++;
		m->announced++;
		return 0;
	}
	q = close_open(p);
	if (mrt_attrs_decode(e.attrs, e.attr_len, e.as4, afi, m->scratch,
			     MRT_SCRATCH_LEN, &p->tmp_attrs, &err) != UPD_OK ||
	    transform(p, &p->tmp_attrs) < 0) {
		m->skipped++;
		return q;
	}
	set_next_hop(p, &p->tmp_attrs, afi, NULL);
	if (bgp_update_begin(&m->b, out_reserve(p, p->max_len), p->max_len, afi,
			     &p->tmp_attrs, &p->caps) < 0 ||
	    bgp_update_add(&m->b, &rec->prefix) < 0) {
		m->skipped++;
		return q;
	}
	track(p, &rec->prefix, true);
	m->open = true;
	m->last_afi = afi;
	m->last_attrs = e.attrs;
	m->last_attr_len = e.attr_len;
	p->st.pfx_sent++;
	m->announced++;
	return q;
}

static size_t emit_block(struct peer *p, const struct bgp_nlri_block *blk,
			 struct bgp_attrs *a)
{
	struct pfx_src s = { .blk = blk };
	uint16_t afi = blk->afi ? blk->afi : AFI_IPV4;
	uint64_t before = a ? p->st.pfx_sent : p->st.wd_sent;
	size_t q;

	if (!af_negotiated(p, afi)) /* IPv4 and IPv6, when the peer offered them */
		return 0;
	if (a)
		set_next_hop(p, a, afi, NULL);
	q = emit(p, afi, a, &s, SIZE_MAX, false, p->mrt.per_update);
	if (a)
		p->mrt.announced += p->st.pfx_sent - before;
	else
		p->mrt.withdrawn += p->st.wd_sent - before;
	return q;
}

static size_t replay_msg(struct peer *p, const struct mrt_record *rec)
{
	struct mrt_replay *m = &p->mrt;
	struct bgp_session_caps caps = { .as4 = rec->as4, .ext_message = true,
					 .ebgp = true };
	struct bgp_update *u = m->u;
	struct bgp_notify err;
	struct bgp_hdr h;
	size_t q = close_open(p);
	int act;

	if (rec->msg_addpath) {
		m->skipped++;
		return q;
	}
	if (rec->msg_len < BGP_HDR_LEN ||
	    bgp_hdr_decode(rec->msg, rec->msg_len, BGP_EXT_MAX_LEN, &h, &err) < 0 ||
	    h.type != BGP_UPDATE || h.len > rec->msg_len)
		return q;
	act = bgp_update_decode(rec->msg + BGP_HDR_LEN, h.len - BGP_HDR_LEN,
				&caps, u, &err);
	if (act == UPD_SESSION_RESET) {
		m->skipped++;
		return q;
	}
	q += emit_block(p, &u->withdrawn, NULL);
	if (u->has_mp_unreach)
		q += emit_block(p, &u->mp_unreach, NULL);
	if (act == UPD_TREAT_AS_WITHDRAW || transform(p, &u->attrs) < 0) {
		q += emit_block(p, &u->nlri, NULL);
		if (u->has_mp_reach)
			q += emit_block(p, &u->mp_reach, NULL);
		return q;
	}
	q += emit_block(p, &u->nlri, &u->attrs);
	if (u->has_mp_reach)
		q += emit_block(p, &u->mp_reach, &u->attrs);
	return q;
}

bool mrt_produce(struct peer *p, const struct step *st)
{
	struct mrt_replay *m = &p->mrt;
	size_t queued = 0;
	bool done = false;

	if (!m->started) {
		mrt_replay_free(m); /* a previous replay step's */
		m->file = st->path;
		m->peer = st->mrt_peer;
		m->per_update = st->per_update;
	}
	if (!m->started && mrt_start(p) < 0) {
		p->exit_code = 1;
		peer_leave(p, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN,
			   "pharos-peer cannot read its MRT file");
		return true;
	}
	while (!done && queued < CHUNK_BYTES) {
		struct mrt_record rec;
		int rc = mrt_next(&m->r, &rec);

		if (rc <= 0) {
			if (rc < 0)
				fprintf(stderr, "pharos-peer: %s: %s (not fatal)\n",
					m->file, m->r.err);
			done = true;
		} else if (rec.kind == MRT_REC_RIB) {
			queued += replay_rib(p, &rec);
		} else if (rec.kind == MRT_REC_MESSAGE) {
			queued += replay_msg(p, &rec);
		}
	}
	close_open(p);
	if (!done)
		return false;
	/* End-of-RIB (RFC 4724) only for families the session negotiated:
	 * an MP_UNREACH for another one is an error to the peer (OpenBGPD
	 * answers 3/9, GoBGP resets the session) */
	if (af_negotiated(p, AFI_IPV4))
		queue_eor(p, AFI_IPV4);
	if (af_negotiated(p, AFI_IPV6))
		queue_eor(p, AFI_IPV6);
	fprintf(stderr, "pharos-peer: %s: %llu prefixes announced, %llu "
		"withdrawn, %llu records skipped\n", m->file,
		(unsigned long long)m->announced, (unsigned long long)m->withdrawn,
		(unsigned long long)m->skipped);
	m->started = false; /* a later replay step starts afresh */
	return true;
}
