/*
 * import.c - from a received UPDATE to the RIB: decode (RFC 7606 actions),
 * the route-server guards of DESIGN 1.2 (default route, AS_PATH loop,
 * first AS must be the peer's), import policy, interning, announce and
 * withdraw, prefix counters and the max-prefix limit.
 *
 * A peer's "received" count is what it currently announces (accepted or
 * not): the accepted ones live in the RIB, the refused ones in a small
 * per-peer set, so both counts stay exact across re-announcements.
 *
 * A next hop that cannot be one (RFC 4271 6.3, RFC 7606 7.3: unspecified,
 * loopback, multicast, class E, broadcast, or our own address on the
 * session) makes the routes it carries treat-as-withdraw; the codec still
 * decodes such attributes as they are.
 *
 * The decoded UPDATE and the policy buffers live in the daemon
 * (struct import_buf), so importing a message allocates nothing.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "session/import.h"
#include "session/gr.h"
#include "policy/policy.h"
#include "policy/rpki.h"

/* Why a whole UPDATE's announcements are refused, or NULL. */
static const char *update_guard(const struct peer *p, const struct bgp_attrs *a)
{
	struct aspath_iter it;
	uint32_t first = 0;

	if (policy_aspath_loop(a, p->s->conf->rs.asn))
		return "AS_PATH holds the local ASN";
	aspath_iter_init(&it, a);
	if (!aspath_iter_next(&it, &first) || it.seg_type != AS_SEQUENCE ||
	    first != p->cf->asn)
		return "first AS is not the peer's ASN";
	return NULL;
}

struct import_ctx {
	struct peer *p;
	const struct bgp_update *u;
	const char *guard; /* refusal for every announcement, or NULL */
	struct rattr *ra_v4, *ra_mp; /* interned once when no policy */
	struct bgp_attrs *work; /* policy copy */
	uint8_t *scratch;
	size_t n_announced, n_refused;
	size_t n_martians; /* refused as martians in this UPDATE */
	struct prefix martian; /* the first of them */
	int martian_why; /* its policy_martian() answer */
	uint16_t maxpfx_afi; /* set when max_prefixes was passed */
	uint32_t path_id; /* ADD-PATH id of the NLRI being imported, or 0 */
	uint32_t origin; /* RFC 6811 origin AS of the UPDATE's path */
};

static void withdraw_one(struct peer *p, const struct prefix *pfx,
			 uint32_t path_id)
{
	/* refused routes are kept by prefix: with path ids another path of
	 * the prefix may still be in the RIB */
	if (!refused_del(p->refused, pfx) || path_id)
		rib_withdraw_id(p->s->rib, p->rib_id, path_id, pfx);
}

static struct rattr *intern_for(struct import_ctx *x, const struct bgp_attrs *a,
				bool mp)
{
	const struct bgp_attrs *u = &x->u->attrs;

	if (mp)
		return rattr_intern_nh(x->p->s->rib, a, &u->mp_next_hop,
				       u->mp_next_hop_ll.afi ? &u->mp_next_hop_ll
							     : NULL);
	return rattr_intern_nh(x->p->s->rib, a, &u->next_hop, NULL);
}

/* The UPDATE's attributes as received, interned once per UPDATE and
 * family (the cache a policy-free import uses too). */
static struct rattr *received_attr(struct import_ctx *x, bool mp)
{
	struct rattr **cache = mp ? &x->ra_mp : &x->ra_v4;

	if (!*cache)
		*cache = intern_for(x, &x->u->attrs, mp);
	return *cache;
}

/* Keep pfx as refused: why, and with keep_refused the attributes as
 * received (so that it can be listed and accepted again later). */
static void refuse_one(struct import_ctx *x, const struct prefix *pfx,
		       bool mp, uint8_t why, int16_t rule)
{
	struct peer *p = x->p;

	rib_withdraw_id(p->s->rib, p->rib_id, x->path_id, pfx);
	refused_put(p->refused, pfx,
		    p->cf->keep_refused ? received_attr(x, mp) : NULL, why,
		    rule);
	x->n_refused++;
}

/* Announce one prefix. Returns -1 when the peer went over max_prefixes
 * (x->maxpfx_afi says in which family): stop importing. */
static int announce_one(struct import_ctx *x, const struct prefix *pfx, bool mp)
{
	struct peer *p = x->p;
	struct session *s = p->s;
	const struct conf_peer *cf = p->cf;
	struct rattr *ra;
	char buf[PREFIX_STRLEN];

	if (x->guard) {
		p->loop_refused += !strncmp(x->guard, "AS_PATH", 7);
		p->first_as_refused += !strncmp(x->guard, "first", 5);
		log_debug(s->log, p->name, "%s refused: %s",
			  prefix_fmt(pfx, buf, sizeof(buf)), x->guard);
		refuse_one(x, pfx, mp,
			   !strncmp(x->guard, "AS_PATH", 7) ? REFUSED_LOOP
							    : REFUSED_FIRST_AS,
			   -1);
		return 0;
	}
	int m = policy_martian(&s->conf->rs, pfx, cf->accept_default);
	if (m != -1) {
		p->martian_refused++;
		if (!x->n_martians++) {
			x->martian = *pfx;
			x->martian_why = m;
		}
		refuse_one(x, pfx, mp, REFUSED_MARTIAN, -1);
		return 0;
	}
	if (policy_is_default(pfx) && !cf->accept_default) {
		p->default_refused++;
		prefix_fmt(pfx, buf, sizeof(buf));
		log_warn(s->log, p->name, "default route %s refused "
			 "(accept_default is false)", buf);
		events_emit(s->events, "default_refused", p->name,
			    "default route refused: %s", buf);
		refuse_one(x, pfx, mp, REFUSED_DEFAULT, -1);
		return 0;
	}
	uint8_t st = s->rpki_table ? rpki_validate(s->rpki_table, pfx, x->origin)
				   : RPKI_NONE;
	bool tag = st == RPKI_INVALID &&
		   s->conf->rs.rpki.invalid == RPKI_INVALID_TAG;
	if (st == RPKI_INVALID &&
	    s->conf->rs.rpki.invalid == RPKI_INVALID_DENY) {
		p->rpki_refused++;
		log_debug(s->log, p->name, "%s refused: rpki invalid",
			  prefix_fmt(pfx, buf, sizeof(buf)));
		refuse_one(x, pfx, mp, REFUSED_RPKI, -1);
		return 0;
	}
	if (cf->n_import || tag) {
		memcpy(x->work, &x->u->attrs, sizeof(*x->work));
		x->work->rpki = st;
		if (cf->n_import &&
		    policy_eval(cf->import, cf->n_import, pfx, x->work,
				x->scratch, POL_SCRATCH_LEN) != POL_ALLOW) {
			p->policy_refused++;
			log_debug(s->log, p->name, "%s denied by import policy",
				  prefix_fmt(pfx, buf, sizeof(buf)));
			refuse_one(x, pfx, mp, REFUSED_RULE,
				   (int16_t)policy_match(cf->import, cf->n_import,
							 pfx, x->work));
			return 0;
		}
		if (tag && rpki_tag(x->work, &s->conf->rs.rpki, true,
				    x->scratch) < 0)
			return 0;
		ra = intern_for(x, x->work, mp);
	} else {
		ra = received_attr(x, mp);
		if (ra)
			rattr_ref(ra);
	}
	if (!ra)
		return 0;
	refused_del(p->refused, pfx);
	if (rib_announce_path(s->rib, p->rib_id, x->path_id, pfx, ra, st) == 1 &&
	    policy_is_default(pfx)) {
		p->defaults_learned++;
		prefix_fmt(pfx, buf, sizeof(buf));
		log_info(s->log, p->name, "new default route %s", buf);
		events_emit(s->events, "default_route", p->name,
			    "new default route %s", buf);
	}
	rattr_unref(s->rib, ra);
	x->n_announced++;
	if (cf->max_prefixes &&
	    rib_peer_count(s->rib, p->rib_id) > cf->max_prefixes) {
		x->maxpfx_afi = pfx->afi;
		return -1;
	}
	return 0;
}

#define IMPORT_WD_TOUCH 256 /* prefixes whose RIB nodes are loaded at once */

static int wd_cmp(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

/* Withdraw the prefixes of block b, in runs of up to IMPORT_WD_RUN put in
 * address order first: the withdrawals of one UPDATE are a set, and in
 * order each RIB search (and the drain's delete) starts from the last
 * one's path instead of walking the trie from its root at random. */
static void withdraw_block(struct peer *p, const struct bgp_nlri_block *b)
{
	struct prefix *run = p->s->import.wd;
	size_t off = 0, n;
	bool more = b->p != NULL;
	uint32_t id;

	if (more && b->addpath) { /* (prefix, path id) pairs, as they come */
		struct prefix pfx;
		while (bgp_nlri_next_id(b, &off, &pfx, &id) == 1)
			withdraw_one(p, &pfx, id);
		return;
	}
	while (more) {
		bool sorted = true;
		for (n = 0; n < IMPORT_WD_RUN; n++) {
			if (bgp_nlri_next(b, &off, &run[n]) != 1) {
				more = false;
				break;
			}
			if (n && sorted && prefix_cmp(&run[n - 1], &run[n]) > 0)
				sorted = false;
		}
		if (!sorted)
			qsort(run, n, sizeof(*run), wd_cmp);
		for (size_t i = 0; i < n; i += IMPORT_WD_TOUCH) {
			size_t m = n - i < IMPORT_WD_TOUCH ? n - i
							   : IMPORT_WD_TOUCH;
			rib_prefetch(p->s->rib, run + i, m);
			for (size_t j = i; j < i + m; j++)
				withdraw_one(p, &run[j], 0);
		}
	}
}

static int announce_block(struct import_ctx *x, const struct bgp_nlri_block *b,
			  bool mp)
{
	struct prefix pfx;
	size_t off = 0;

	if (!b->p)
		return 0;
	while (bgp_nlri_next_id(b, &off, &pfx, &x->path_id) == 1)
		if (announce_one(x, &pfx, mp) < 0)
			return -1;
	x->path_id = 0;
	return 0;
}

static void treat_as_withdraw(struct peer *p, const struct bgp_update *u,
			      const struct bgp_notify *err)
{
	char name[96];

	p->treat_as_withdraw++;
	bgp_err_name(err->code, err->subcode, name, sizeof(name));
	log_warn(p->s->log, p->name, "malformed UPDATE (%s: %s): "
		 "treat-as-withdraw", name, err->reason);
	events_emit(p->s->events, "update_error", p->name,
		    "treat-as-withdraw: %s: %s", name, err->reason);
	withdraw_block(p, &u->withdrawn);
	withdraw_block(p, &u->nlri);
	if (u->has_mp_reach)
		withdraw_block(p, &u->mp_reach);
	if (u->has_mp_unreach)
		withdraw_block(p, &u->mp_unreach);
}

/* RFC 7606 attribute discard: log and event name each attribute. */
static void report_discard(struct peer *p, const struct bgp_update *u,
			   const struct bgp_notify *err)
{
	char names[160] = "";
	size_t n = 0;

	for (unsigned i = 0; i < u->n_discarded && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
				      i ? ", " : "",
				      bgp_attr_name(u->discarded[i]));
	log_info(p->s->log, p->name, "attribute discarded (%s)%s%s", names,
		 err->reason[0] ? ": " : "", err->reason);
	events_emit(p->s->events, "update_error", p->name,
		    "attribute discard (%s)%s%s", names,
		    err->reason[0] ? ": " : "", err->reason);
}

static bool is_loopback(const struct addr *a)
{
	static const uint8_t lo6[16] = {[15] = 1};

	if (a->afi == AFI_IPV4)
		return a->b[0] == 127;
	return a->afi == AFI_IPV6 && !memcmp(a->b, lo6, 16);
}

/* On a session over the loopback (both ends on this host) loopback next
 * hops are the peer's real addresses, and ::1 is both ends' address: the
 * loopback and own-address checks apply to other sessions only. */
const char *import_nexthop_invalid(const struct addr *nh,
				   const struct addr *local)
{
	static const uint8_t zero[16];
	const uint8_t *b = nh->b;
	bool same_host = local && is_loopback(local);

	if (local && !same_host && addr_eq(nh, local))
		return "the route server's own address";
	if (is_loopback(nh) && !same_host)
		return nh->afi == AFI_IPV4 ? "loopback (127.0.0.0/8)"
					   : "loopback (::1)";
	if (nh->afi == AFI_IPV4) {
		if (b[0] == 0)
			return "unspecified (0.0.0.0/8)";
		if ((b[0] & 0xf0) == 224)
			return "multicast (224.0.0.0/4)";
		if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			return "broadcast (255.255.255.255)";
		if ((b[0] & 0xf0) == 240)
			return "reserved (240.0.0.0/4)";
		return NULL;
	}
	if (nh->afi == AFI_IPV6) {
		if (!memcmp(b, zero, 16))
			return "unspecified (::)";
		if (b[0] == 0xff)
			return "multicast (ff00::/8)";
		return NULL;
	}
	return "no address";
}

/* The local address of the session, learnt from the socket the first
 * time when the connection did not bind one itself. */
static const struct addr *session_local(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (c->local.afi || c->fd < 0)
		return c->local.afi ? &c->local : NULL;
	if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) < 0)
		return NULL;
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&ss;
		const uint8_t *a6 = s6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			c->local.afi = AFI_IPV4;
			memcpy(c->local.b, a6 + 12, 4);
		} else {
			c->local.afi = AFI_IPV6;
			memcpy(c->local.b, a6, 16);
		}
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)&ss;
		c->local.afi = AFI_IPV4;
		memcpy(c->local.b, &s4->sin_addr, 4);
	}
	return c->local.afi ? &c->local : NULL;
}

/* Check the next hop of block b (RFC 7606 7.3). A bad one withdraws the
 * block's routes like any treat-as-withdraw, with a log line and an
 * update_error event naming it. Returns true when the routes may go on. */
static bool nexthop_check(struct peer *p, struct conn *c, const char *what,
			  const struct addr *nh, const struct bgp_nlri_block *b,
			  bool *counted)
{
	const char *why;
	char buf[ADDR_STRLEN];

	if (!b->p || !b->len)
		return true;
	why = import_nexthop_invalid(nh, session_local(c));
	if (!why)
		return true;
	if (nh->afi)
		addr_fmt(nh, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "none");
	if (!*counted)
		p->treat_as_withdraw++;
	*counted = true;
	log_warn(p->s->log, p->name, "invalid %s %s (%s): treat-as-withdraw",
		 what, buf, why);
	events_emit(p->s->events, "update_error", p->name,
		    "treat-as-withdraw: invalid %s %s (%s)", what, buf, why);
	withdraw_block(p, b);
	return false;
}

/* One log line and one event per UPDATE that carried martians: for the
 * first ten such UPDATEs of a peer, then every 100th (the counter has
 * them all), so a peer sending nothing else cannot flood the log or push
 * other events out of the ring. */
static void report_martians(struct import_ctx *x)
{
	struct peer *p = x->p;
	const struct conf_rs *rs = &p->s->conf->rs;
	char pfx[PREFIX_STRLEN], why[PREFIX_STRLEN + 48];

	if (++p->martian_updates > 10 && p->martian_updates % 100)
		return;

	prefix_fmt(&x->martian, pfx, sizeof(pfx));
	if (x->martian_why >= 0 && (unsigned)x->martian_why < rs->n_martians) {
		char m[PREFIX_STRLEN];
		snprintf(why, sizeof(why), "inside martian range %s",
			 prefix_fmt(&rs->martians[x->martian_why], m, sizeof(m)));
	} else {
		snprintf(why, sizeof(why), "shorter than /%u: a default route "
			 "in disguise", x->martian.afi == AFI_IPV4 ? 8 : 16);
	}
	log_warn(p->s->log, p->name, "%zu martian route%s refused, first %s "
		 "(%s)", x->n_martians, x->n_martians == 1 ? "" : "s", pfx, why);
	events_emit_json(p->s->events, "martian_refused", p->name,
			 json_pack("{s:s, s:s, s:I}", "prefix", pfx, "reason", why,
				   "count", (json_int_t)x->n_martians),
			 "martian route refused");
}

static enum import_outcome import_routes(struct peer *p, struct conn *c,
					 const struct bgp_update *u,
					 struct import_result *res)
{
	struct import_ctx x;
	bool v4_ok, mp_ok, counted = false;
	int rc = 0;

	memset(&x, 0, sizeof(x));
	x.p = p;
	x.u = u;
	withdraw_block(p, &u->withdrawn);
	if (u->has_mp_unreach)
		withdraw_block(p, &u->mp_unreach);
	if (!u->nlri.len && !(u->has_mp_reach && u->mp_reach.len))
		return IMPORT_OK;
	v4_ok = nexthop_check(p, c, "NEXT_HOP", &u->attrs.next_hop, &u->nlri,
			      &counted);
	mp_ok = !u->has_mp_reach ||
		nexthop_check(p, c, "MP_REACH next hop", &u->attrs.mp_next_hop,
			      &u->mp_reach, &counted);
	if (!v4_ok && !mp_ok)
		return IMPORT_OK;
	x.guard = update_guard(p, &u->attrs);
	if (p->s->rpki_table)
		x.origin = rpki_origin_as(&u->attrs);
	x.work = &p->s->import.work;
	x.scratch = p->s->import.scratch;
	if (x.guard)
		log_info(p->s->log, p->name, "UPDATE refused: %s", x.guard);
	if (v4_ok)
		rc = announce_block(&x, &u->nlri, false);
	if (rc == 0 && u->has_mp_reach && mp_ok)
		rc = announce_block(&x, &u->mp_reach, true);
	if (x.ra_v4)
		rattr_unref(p->s->rib, x.ra_v4);
	if (x.ra_mp)
		rattr_unref(p->s->rib, x.ra_mp);
	if (x.n_martians)
		report_martians(&x);
	if (rc < 0) {
		res->afi = x.maxpfx_afi;
		return IMPORT_MAX_PREFIX;
	}
	return IMPORT_OK;
}

#define JUMP_WINDOW 10.0 /* seconds over which a jump is measured */

/* An event when the peer's accepted count moved by at least
 * api.route_jump_threshold within about JUMP_WINDOW seconds. */
static void count_watch(struct peer *p)
{
	uint32_t th = p->s->conf->api.route_jump_threshold;
	ev_tstamp now = ev_now(p->s->loop);
	size_t n = rib_peer_count(p->s->rib, p->rib_id);
	size_t diff = n > p->jump_base ? n - p->jump_base : p->jump_base - n;

	if (!th)
		return;
	/* The initial table of a new session is no jump. */
	if (now - p->up_since < JUMP_WINDOW)
		diff = 0;
	if (diff >= th) {
		log_warn(p->s->log, p->name, "route count jumped from %zu to %zu",
			 p->jump_base, n);
		events_emit_json(p->s->events, "route_count_jump", p->name,
				 json_pack("{s:I, s:I}", "from",
					   (json_int_t)p->jump_base, "to",
					   (json_int_t)n),
				 "route count jumped");
	}
	if (diff >= th || now - p->jump_at >= JUMP_WINDOW) {
		p->jump_base = n;
		p->jump_at = now;
	}
}

enum import_outcome import_update(struct peer *p, struct conn *c,
				  const uint8_t *body, size_t len,
				  struct import_result *res)
{
	struct bgp_update *u = &p->s->import.upd;
	struct bgp_notify *err = &res->notify;
	enum import_outcome rc = IMPORT_OK;
	int action;

	memset(res, 0, sizeof(*res));
	action = bgp_update_decode(body, len, &c->caps, u, err);
	if (action == UPD_SESSION_RESET) {
		events_emit(p->s->events, "update_error", p->name,
			    "session reset: %s", err->reason);
		rc = IMPORT_RESET;
	} else if (action == UPD_TREAT_AS_WITHDRAW) {
		treat_as_withdraw(p, u, err);
	} else if (u->end_of_rib) {
		p->eor_in++;
		log_info(p->s->log, p->name, "End-of-RIB received (%s)",
			 u->eor_afi == AFI_IPV6 ? "ipv6" : "ipv4");
		gr_end_of_rib(p, u->eor_afi);
	} else {
		if (u->n_discarded)
			report_discard(p, u, err);
		rc = import_routes(p, c, u, res);
	}
	if (rc == IMPORT_OK)
		count_watch(p);
	return rc;
}

/* ------------------------------------------------ refused routes again */

struct reconsider {
	struct refused_route *v; /* copies; attr referenced */
	size_t n, cap;
};

static int collect_cb(const struct refused_route *rr, void *arg)
{
	struct reconsider *c = arg;

	if (!rr->attr || rr->why == REFUSED_LOOP || rr->why == REFUSED_FIRST_AS)
		return 0; /* nothing kept, or the guards' verdict stands */
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		struct refused_route *nv = realloc(c->v, nc * sizeof(*nv));

		if (!nv)
			return 1;
		c->v = nv;
		c->cap = nc;
	}
	c->v[c->n] = *rr;
	rattr_ref(rr->attr);
	c->n++;
	return 0;
}

/* One kept route through the checks import makes after the guards;
 * into the RIB when it passes now, else kept with the new reason. */
static bool reconsider_one(struct peer *p, const struct conf_rs *rs,
			   const struct refused_route *rr)
{
	struct session *s = p->s;
	const struct conf_peer *cf = p->cf;
	struct bgp_attrs *work = &s->import.work;
	struct rattr *ra;
	int k;

	if (policy_martian(rs, &rr->pfx, cf->accept_default) != -1) {
		refused_put(p->refused, &rr->pfx, rr->attr, REFUSED_MARTIAN, -1);
		return false;
	}
	if (policy_is_default(&rr->pfx) && !cf->accept_default) {
		refused_put(p->refused, &rr->pfx, rr->attr, REFUSED_DEFAULT, -1);
		return false;
	}
	uint8_t st = RPKI_NONE;
	if (s->rpki_table) {
		rattr_to_bgp(rr->attr, work);
		st = rpki_validate(s->rpki_table, &rr->pfx,
				   rpki_origin_as(work));
	}
	if (st == RPKI_INVALID && rs->rpki.invalid == RPKI_INVALID_DENY) {
		refused_put(p->refused, &rr->pfx, rr->attr, REFUSED_RPKI, -1);
		return false;
	}
	bool tag = st == RPKI_INVALID && rs->rpki.invalid == RPKI_INVALID_TAG;
	if (!cf->n_import && !tag) {
		ra = rr->attr;
		rattr_ref(ra);
	} else {
		rattr_to_bgp(rr->attr, work);
		work->rpki = st;
		k = policy_match(cf->import, cf->n_import, &rr->pfx, work);
		if (policy_eval(cf->import, cf->n_import, &rr->pfx, work,
				s->import.scratch, POL_SCRATCH_LEN) != POL_ALLOW) {
			refused_put(p->refused, &rr->pfx, rr->attr, REFUSED_RULE,
				    (int16_t)k);
			return false;
		}
		if (tag && rpki_tag(work, &rs->rpki, true, s->import.scratch) < 0)
			return false;
		ra = rattr_intern_nh(s->rib, work, &rr->attr->next_hop,
				     rr->attr->next_hop_ll.afi
					     ? &rr->attr->next_hop_ll : NULL);
		if (!ra)
			return false;
	}
	refused_del(p->refused, &rr->pfx);
	rib_announce_rpki(s->rib, p->rib_id, &rr->pfx, ra, st);
	rattr_unref(s->rib, ra);
	return true;
}

size_t import_reconsider(struct peer *p, const struct conf_rs *rs)
{
	struct reconsider c = {0};
	size_t accepted = 0;

	refused_walk(p->refused, collect_cb, &c);
	for (size_t i = 0; i < c.n; i++) {
		if (!p->cf->max_prefixes ||
		    rib_peer_count(p->s->rib, p->rib_id) < p->cf->max_prefixes)
			accepted += reconsider_one(p, rs, &c.v[i]);
		rattr_unref(p->s->rib, c.v[i].attr);
	}
	free(c.v);
	if (accepted)
		session_kick(p->s);
	return accepted;
}
