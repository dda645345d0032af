/*
 * recv.c - what pharos-peer does with each message it receives: the OPEN
 * exchange, UPDATE accounting (a hash set of the prefixes held, no
 * allocation per prefix, so a monitor keeps pace with a million-prefix
 * feed), and printing in text or JSON lines.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "peer.h"

/* ------------------------------------------------------ prefix set */

#define HUGE_PAGE (2ul << 20)

/* Zeroed memory for the big tables, in huge pages where the kernel
 * allows: first-touch page faults otherwise dominate a million inserts. */
static void *big_zalloc(size_t n)
{
	void *p;

	n = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, n, MADV_HUGEPAGE);
	return p;
}

static void big_free(void *p, size_t n)
{
	if (p)
		munmap(p, (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static void pkey(const struct prefix *pfx, struct pslot *k)
{
	memcpy(&k->a, pfx->b, 8);
	memcpy(&k->b, pfx->b + 8, 8);
	k->afi = pfx->afi;
	k->len = pfx->len;
}

static size_t phash(const struct pslot *k)
{
	return (size_t)mix64(k->a ^ mix64(k->b ^ ((uint64_t)k->afi << 8 | k->len)));
}

static bool same(const struct pslot *s, const struct pslot *k)
{
	return s->a == k->a && s->b == k->b && s->afi == k->afi &&
	       s->len == k->len;
}

static int pset_grow(struct pset *s)
{
	size_t ncap = s->cap ? (s->hheld * 2 > s->cap / 2 ? s->cap * 2 : s->cap)
			     : 1u << 16;
	struct pslot *ns = big_zalloc(ncap * sizeof(*ns)), *old = s->s;

	if (!ns)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (old[i].state != 1)
			continue;
		j = phash(&old[i]) & (ncap - 1);
		while (ns[j].state)
			j = (j + 1) & (ncap - 1);
		ns[j] = old[i];
	}
	big_free(old, s->cap * sizeof(*old));
	s->s = ns;
	s->cap = ncap;
	s->used = s->hheld;
	return 0;
}

#define V4BITS_LEN 24
#define V4BITS_BYTES ((1ul << (V4BITS_LEN + 1)) / 8)

/* Bit index of a short IPv4 prefix, or -1 when it goes to the hash. */
static long v4bit(const struct prefix *pfx)
{
	uint32_t a;

	if (pfx->afi != AFI_IPV4 || pfx->len > V4BITS_LEN)
		return -1;
	a = (uint32_t)pfx->b[0] << 24 | (uint32_t)pfx->b[1] << 16 |
	    (uint32_t)pfx->b[2] << 8 | pfx->b[3];
	return (1L << pfx->len) + (pfx->len ? (long)(a >> (32 - pfx->len)) : 0);
}

/* Set (add) or clear a bit; returns 1 when the held state changed. */
static int v4bit_change(struct pset *s, long bit, bool add)
{
	uint64_t m = 1ull << (bit & 63), *w;

	if (!s->v4bits) {
		if (!add)
			return 0;
		s->v4bits = big_zalloc(V4BITS_BYTES);
		if (!s->v4bits)
			return -1;
	}
	w = &s->v4bits[bit >> 6];
	if (!(*w & m) == !add)
		return 0;
	*w ^= m;
	if (add)
		s->held++;
	else
		s->held--;
	return 1;
}

/* Returns 1 when newly held, 0 when already held, -1 on no memory. */
int pset_add(struct pset *s, const struct prefix *pfx)
{
	struct pslot k;
	size_t i, tomb = SIZE_MAX;
	long bit = v4bit(pfx);

	if (bit >= 0)
		return v4bit_change(s, bit, true);

	if ((s->used + 1) * 2 > s->cap && pset_grow(s) < 0)
		return -1;
	pkey(pfx, &k);
	for (i = phash(&k) & (s->cap - 1); s->s[i].state;
	     i = (i + 1) & (s->cap - 1)) {
		if (s->s[i].state == 1 && same(&s->s[i], &k))
			return 0;
		if (s->s[i].state == 2 && tomb == SIZE_MAX)
			tomb = i;
	}
	if (tomb != SIZE_MAX)
		i = tomb;
	else
		s->used++;
	k.state = 1;
	s->s[i] = k;
	s->hheld++;
	s->held++;
	return 1;
}

/* Returns 1 when it was held, 0 when not. */
int pset_del(struct pset *s, const struct prefix *pfx)
{
	struct pslot k;
	long bit = v4bit(pfx);

	if (bit >= 0)
		return v4bit_change(s, bit, false);

	if (!s->cap)
		return 0;
	pkey(pfx, &k);
	for (size_t i = phash(&k) & (s->cap - 1); s->s[i].state;
	     i = (i + 1) & (s->cap - 1)) {
		if (s->s[i].state == 1 && same(&s->s[i], &k)) {
			s->s[i].state = 2;
			s->hheld--;
			s->held--;
			return 1;
		}
	}
	return 0;
}

/* The prefix of a bitmap bit (the inverse of v4bit). */
static void v4bit_prefix(size_t bit, struct prefix *out)
{
	uint8_t len = (uint8_t)(63 - __builtin_clzll((unsigned long long)bit));
	uint32_t a;

	a = len ? (uint32_t)(bit - ((size_t)1 << len)) << (32 - len) : 0;
	memset(out, 0, sizeof(*out));
	out->afi = AFI_IPV4;
	out->len = len;
	out->b[0] = (uint8_t)(a >> 24);
	out->b[1] = (uint8_t)(a >> 16);
	out->b[2] = (uint8_t)(a >> 8);
	out->b[3] = (uint8_t)a;
}

/* Cursor: bitmap bits 0..2^25-1 first, then hash slots. */
int pset_next(const struct pset *s, size_t *cursor, uint16_t afi,
	      struct prefix *out)
{
	const size_t nbits = (size_t)1 << (V4BITS_LEN + 1);
	size_t i = *cursor;

	for (; afi == AFI_IPV4 && s->v4bits && i < nbits; i++) {
		uint64_t w = s->v4bits[i >> 6] >> (i & 63);

		if (!w) { /* skip the rest of this word */
			i |= 63;
			continue;
		}
		i += (size_t)__builtin_ctzll(w);
		v4bit_prefix(i, out);
		*cursor = i + 1;
		return 1;
	}
	if (i < nbits)
		i = nbits;
	for (; i - nbits < s->cap; i++) {
		const struct pslot *k = &s->s[i - nbits];

		if (k->state != 1 || k->afi != afi)
			continue;
		memset(out, 0, sizeof(*out));
		out->afi = k->afi;
		out->len = k->len;
		memcpy(out->b, &k->a, 8);
		memcpy(out->b + 8, &k->b, 8);
		*cursor = i + 1;
		return 1;
	}
	*cursor = i;
	return 0;
}

void pset_free(struct pset *s)
{
	big_free(s->v4bits, V4BITS_BYTES);
	big_free(s->s, s->cap * sizeof(*s->s));
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------ printing */

void print_state(struct peer *p)
{
	if (p->mode == OUT_JSON)
		fprintf(p->o, "{\"type\":\"state\",\"state\":\"established\","
			"\"peer_as\":%u,\"hold\":%u}\n", p->remote_as, p->hold_neg);
	else if (p->mode == OUT_TEXT)
		fprintf(p->o, "state established peer_as %u hold %u\n",
			p->remote_as, p->hold_neg);
	fflush(p->o);
}

static void print_open(struct peer *p, const struct bgp_open *o)
{
	const char *caps[16];
	unsigned n = 0;
	char id[ADDR_STRLEN];
	struct addr a = { .afi = AFI_IPV4 };

	for (unsigned i = 0; i < o->n_afs && n < 4; i++)
		if (o->afs[i].safi == SAFI_UNICAST)
			caps[n++] = o->afs[i].afi == AFI_IPV4 ? "ipv4-unicast"
				    : o->afs[i].afi == AFI_IPV6 ? "ipv6-unicast"
								: "mp-other";
	if (o->has_as4)
		caps[n++] = "4-octet-as";
	if (o->route_refresh)
		caps[n++] = "route-refresh";
	if (o->enhanced_rr)
		caps[n++] = "enhanced-route-refresh";
	if (o->ext_message)
		caps[n++] = "extended-message";
	if (o->graceful_restart)
		caps[n++] = "graceful-restart";
	a.b[0] = (uint8_t)(o->bgp_id >> 24);
	a.b[1] = (uint8_t)(o->bgp_id >> 16);
	a.b[2] = (uint8_t)(o->bgp_id >> 8);
	a.b[3] = (uint8_t)o->bgp_id;
	addr_fmt(&a, id, sizeof(id));
	if (p->mode == OUT_JSON) {
		fprintf(p->o, "{\"type\":\"open\",\"asn\":%u,\"router_id\":\"%s\","
			"\"hold_time\":%u,\"capabilities\":[", bgp_open_asn(o), id,
			o->hold_time);
		for (unsigned i = 0; i < n; i++)
			fprintf(p->o, "%s\"%s\"", i ? "," : "", caps[i]);
		fputs("]}\n", p->o);
	} else if (p->mode == OUT_TEXT) {
		fprintf(p->o, "open asn %u router_id %s hold_time %u capabilities",
			bgp_open_asn(o), id, o->hold_time);
		for (unsigned i = 0; i < n; i++)
			fprintf(p->o, "%s%s", i ? "," : " ", caps[i]);
		fputc('\n', p->o);
	}
}

static const char *origin_name(uint8_t o)
{
	return o == ORIGIN_IGP ? "igp" : o == ORIGIN_EGP ? "egp" : "incomplete";
}

/* The attributes of one announced prefix, as JSON members or text. */
static void print_attrs(struct peer *p, const struct bgp_attrs *a, uint16_t afi)
{
	bool json = p->mode == OUT_JSON;
	char nh[ADDR_STRLEN] = "";
	struct aspath_iter it;
	uint32_t asn;
	bool first = true;
	const struct addr *na = afi == AFI_IPV6 ? &a->mp_next_hop : &a->next_hop;

	if (afi == AFI_IPV6 || (a->present & ATTR_BIT(ATTR_NEXT_HOP)))
		addr_fmt(na, nh, sizeof(nh));
	else if (a->mp_afi)
		addr_fmt(&a->mp_next_hop, nh, sizeof(nh));
	fprintf(p->o, json ? ",\"next_hop\":\"%s\",\"as_path\":[" : " nh %s path", nh);
	aspath_iter_init(&it, a);
	while (aspath_iter_next(&it, &asn) == 1) {
		fprintf(p->o, json && !first ? ",%u" : json ? "%u" : " %u", asn);
		first = false;
	}
	fprintf(p->o, json ? "],\"origin\":\"%s\"" : " origin %s",
		origin_name(a->origin));
	if (a->present & ATTR_BIT(ATTR_MED))
		fprintf(p->o, json ? ",\"med\":%u" : " med %u", a->med);
	if (a->present & ATTR_BIT(ATTR_LOCAL_PREF))
		fprintf(p->o, json ? ",\"local_pref\":%u" : " lp %u", a->local_pref);
	if (a->n_communities)
		fputs(json ? ",\"communities\":[" : " community", p->o);
	for (unsigned i = 0; i < a->n_communities; i++) {
		const uint8_t *c = a->communities + 4 * i;

		fprintf(p->o, json ? "%s\"%u:%u\"" : "%s%u:%u", json && i ? "," : json ? "" : " ",
			c[0] << 8 | c[1], c[2] << 8 | c[3]);
	}
	if (a->n_communities && json)
		fputc(']', p->o);
	if (a->n_large_communities)
		fputs(json ? ",\"large_communities\":[" : " large", p->o);
	for (unsigned i = 0; i < a->n_large_communities; i++) {
		const uint8_t *c = a->large_communities + 12 * i;
		uint32_t x = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | c[2] << 8 | c[3];
		uint32_t y = (uint32_t)c[4] << 24 | (uint32_t)c[5] << 16 | c[6] << 8 | c[7];
		uint32_t z = (uint32_t)c[8] << 24 | (uint32_t)c[9] << 16 | c[10] << 8 | c[11];

		fprintf(p->o, json ? "%s\"%u:%u:%u\"" : "%s%u:%u:%u",
			json && i ? "," : json ? "" : " ", x, y, z);
	}
	if (a->n_large_communities && json)
		fputc(']', p->o);
}

/* Count (and print) the prefixes of one NLRI block. */
static void walk_nlri(struct peer *p, const struct bgp_nlri_block *b,
		      bool announce, const struct bgp_attrs *a, bool *first)
{
	size_t off = 0;
	struct prefix pfx;
	uint32_t id;
	char s[PREFIX_STRLEN];

	while (bgp_nlri_next_id(b, &off, &pfx, &id) == 1) {
		if (announce) {
			p->st.pfx_recv++;
			pset_add(&p->held, &pfx);
		} else {
			p->st.wd_recv++;
			pset_del(&p->held, &pfx);
		}
		if (p->mode == OUT_NONE)
			continue;
		prefix_fmt(&pfx, s, sizeof(s));
		if (p->mode == OUT_JSON && b->addpath) { /* objects, with the id */
			fprintf(p->o, "%s{\"prefix\":\"%s\",\"path_id\":%u",
				*first ? "" : ",", s, id);
			if (announce)
				print_attrs(p, a, pfx.afi);
			fputc('}', p->o);
		} else if (p->mode == OUT_JSON) {
			fprintf(p->o, announce ? "%s{\"prefix\":\"%s\"" : "%s\"%s\"",
				*first ? "" : ",", s);
			if (announce) {
				print_attrs(p, a, pfx.afi);
				fputc('}', p->o);
			}
		} else {
			fprintf(p->o, "%s %s", announce ? "announce" : "withdraw", s);
			if (b->addpath)
				fprintf(p->o, " path-id %u", id);
			if (announce)
				print_attrs(p, a, pfx.afi);
			fputc('\n', p->o);
		}
		*first = false;
	}
}

static void print_eor(struct peer *p, uint16_t afi)
{
	const char *f = afi == AFI_IPV6 ? "ipv6" : "ipv4";

	p->st.eor_recv++;
	if (p->mode == OUT_JSON)
		fprintf(p->o, "{\"type\":\"eor\",\"afi\":\"%s\"}\n", f);
	else if (p->mode == OUT_TEXT)
		fprintf(p->o, "eor %s\n", f);
}

/* --wait-prefixes and --wait-empty, after each UPDATE: note the
 * moments, and leave (exit 0) when the wait is over. */
static void check_done(struct peer *p)
{
	size_t held = p->held.held;

	if (held)
		p->had_prefixes = true;
	if (p->wait_prefixes && !p->full_reached && held >= p->wait_prefixes) {
		p->full_reached = true;
		p->st.t.full = p->st.t.last_rx;
		if (!p->wait_empty) {
			p->exit_code = 0;
			peer_leave(p, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN,
				   "pharos-peer has the prefixes it waited for");
			return;
		}
		if (p->stats_on) { /* the moment is known now, not only at exit */
			print_stats(p);
			fflush(p->o);
		}
	}
	if (p->wait_empty && !held && p->had_prefixes &&
	    (!p->wait_prefixes || p->full_reached)) {
		p->st.t.empty = p->st.t.last_rx;
		p->exit_code = 0;
		peer_leave(p, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN,
			   "pharos-peer saw every prefix withdrawn");
	}
}

static void recv_update(struct peer *p, const uint8_t *body, size_t len)
{
	struct bgp_update *u = &p->u;
	struct bgp_notify err;
	int act = bgp_update_decode(body, len, &p->caps, u, &err);
	bool json = p->mode == OUT_JSON, first = true, ok = act == UPD_OK;
	double now = now_s();

	if (act == UPD_SESSION_RESET) {
		fprintf(stderr, "pharos-peer: malformed UPDATE: %s\n", err.reason);
		p->exit_code = 1;
		peer_leave(p, err.code, err.subcode, NULL);
		return;
	}
	if (act == UPD_TREAT_AS_WITHDRAW)
		fprintf(stderr, "pharos-peer: UPDATE treated as withdraw: %s\n",
			err.reason);
	p->st.upd_recv++;
	if (len + BGP_HDR_LEN > p->st.largest_upd_recv)
		p->st.largest_upd_recv = len + BGP_HDR_LEN;
	if (!p->st.first_upd_recv)
		p->st.first_upd_recv = now;
	p->st.last_upd_recv = now;
	p->st.t.last_rx = realtime_ns();
	if (!p->st.t.first_rx)
		p->st.t.first_rx = p->st.t.last_rx;
	if (u->end_of_rib) {
		print_eor(p, u->eor_afi ? u->eor_afi : AFI_IPV4);
		return;
	}
	if (json)
		fputs("{\"type\":\"update\",\"announce\":[", p->o);
	walk_nlri(p, &u->nlri, ok, &u->attrs, &first);
	if (u->has_mp_reach)
		walk_nlri(p, &u->mp_reach, ok, &u->attrs, &first);
	if (json) {
		fputs("],\"withdraw\":[", p->o);
		first = true;
	}
	walk_nlri(p, &u->withdrawn, false, NULL, &first);
	if (u->has_mp_unreach)
		walk_nlri(p, &u->mp_unreach, false, NULL, &first);
	if (json)
		fputs("]}\n", p->o);
	check_done(p);
}

bool af_negotiated(const struct peer *p, uint16_t afi)
{
	return afi == AFI_IPV4 ? p->af_v4 : afi == AFI_IPV6 ? p->af_v6 : false;
}

/* The unicast families of the session: ours are IPv4 and IPv6; a peer
 * that offers no multiprotocol capability speaks IPv4 only. */
static void note_families(struct peer *p, const struct bgp_open *o)
{
	p->af_v4 = !o->n_afs;
	p->af_v6 = false;
	for (unsigned i = 0; i < o->n_afs; i++) {
		if (o->afs[i].safi != SAFI_UNICAST)
			continue;
		if (o->afs[i].afi == AFI_IPV4)
			p->af_v4 = true;
		else if (o->afs[i].afi == AFI_IPV6)
			p->af_v6 = true;
	}
}

static void recv_open(struct peer *p, const uint8_t *body, size_t len)
{
	struct bgp_open o;
	struct bgp_notify err;

	if (p->state != S_OPENSENT) {
		p->exit_code = 1;
		peer_leave(p, BGP_ERR_FSM, 0, NULL);
		return;
	}
	if (bgp_open_decode(body, len, &o, &err) < 0) {
		fprintf(stderr, "pharos-peer: bad OPEN: %s\n", err.reason);
		p->exit_code = 1;
		peer_leave(p, err.code, err.subcode, NULL);
		return;
	}
	print_open(p, &o);
	if (p->has_remote_as && bgp_open_asn(&o) != p->remote_as) {
		fprintf(stderr, "pharos-peer: peer AS %u, expected %u\n",
			bgp_open_asn(&o), p->remote_as);
		p->exit_code = 1;
		peer_leave(p, BGP_ERR_OPEN, BGP_OPEN_BAD_AS, NULL);
		return;
	}
	p->remote_as = bgp_open_asn(&o);
	note_families(p, &o);
	p->caps.as4 = !p->as2 && o.has_as4;
	/* RFC 8654: large messages only when both sides offered them */
	p->caps.ext_message = !p->no_ext_msg && o.ext_message;
	for (int afi = AFI_IPV4; afi <= AFI_IPV6; afi++)
		p->caps.addpath_rx[afi] =
			bgp_addpath_negotiate(p->add_path_rx ? ADDPATH_RECEIVE : 0,
					      o.add_path[afi]) & ADDPATH_RECEIVE;
	p->max_len = p->caps.ext_message ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
	p->hold_neg = o.hold_time < p->hold ? o.hold_time : p->hold;
	{
		uint8_t ka[BGP_HDR_LEN];
		int n = bgp_keepalive_encode(ka, sizeof(ka));

		memcpy(out_reserve(p, (size_t)n), ka, (size_t)n);
		out_queued(p, (size_t)n, false);
		p->last_ka_sent = now_s();
	}
	p->state = S_OPENCONFIRM;
}

void recv_message(struct peer *p, const uint8_t *msg, size_t len)
{
	const uint8_t *body = msg + BGP_HDR_LEN;
	size_t blen = len - BGP_HDR_LEN;
	struct bgp_notify n;

	switch (msg[18]) {
	case BGP_OPEN:
		recv_open(p, body, blen);
		break;
	case BGP_KEEPALIVE:
		if (p->state == S_OPENCONFIRM) {
			p->state = S_ESTABLISHED;
			p->ever_established = true;
			print_state(p);
		}
		break;
	case BGP_UPDATE:
		if (p->state != S_ESTABLISHED) {
			p->exit_code = 1;
			peer_leave(p, BGP_ERR_FSM, 0, NULL);
			break;
		}
		recv_update(p, body, blen);
		break;
	case BGP_NOTIFICATION:
		memset(&n, 0, sizeof(n));
		bgp_notify_decode(body, blen, &n);
		print_notify(p, &n, false);
		p->exit_code = 2;
		p->state = S_CLOSING;
		p->done = true;
		break;
	case BGP_ROUTE_REFRESH:
		if (p->mode == OUT_TEXT)
			fprintf(p->o, "route-refresh\n");
		break;
	default:
		break;
	}
}

/* A moment as JSON: seconds.nanoseconds, or null. */
static void print_moment(FILE *o, const char *name, int64_t ns)
{
	if (ns)
		fprintf(o, ",\"%s\":%lld.%09lld", name, (long long)(ns / 1000000000),
			(long long)(ns % 1000000000));
	else
		fprintf(o, ",\"%s\":null", name);
}

void print_stats(struct peer *p)
{
	const struct stats *s = &p->st;

	fprintf(p->o, "{\"type\":\"stats\",\"messages_sent\":%llu,"
		"\"messages_received\":%llu,\"updates_sent\":%llu,"
		"\"updates_received\":%llu,\"prefixes_sent\":%llu,"
		"\"prefixes_received\":%llu,\"withdrawn_sent\":%llu,"
		"\"withdrawn_received\":%llu,\"prefixes_held\":%zu,"
		"\"eor_received\":%llu,\"send_seconds\":%.6f,"
		"\"receive_seconds\":%.6f,\"max_message\":%zu,"
		"\"largest_update_received\":%zu",
		(unsigned long long)s->msgs_sent, (unsigned long long)s->msgs_recv,
		(unsigned long long)s->upd_sent, (unsigned long long)s->upd_recv,
		(unsigned long long)s->pfx_sent, (unsigned long long)s->pfx_recv,
		(unsigned long long)s->wd_sent, (unsigned long long)s->wd_recv,
		p->held.held, (unsigned long long)s->eor_recv,
		s->last_upd_sent - s->first_upd_sent,
		s->last_upd_recv - s->first_upd_recv, p->max_len,
		s->largest_upd_recv);
	print_moment(p->o, "t_first_tx", s->t.first_tx);
	print_moment(p->o, "t_last_tx", s->t.last_tx);
	print_moment(p->o, "t_first_rx", s->t.first_rx);
	print_moment(p->o, "t_full", s->t.full);
	print_moment(p->o, "t_empty", s->t.empty);
	print_moment(p->o, "t_last_rx", s->t.last_rx);
	fputs("}\n", p->o);
}
