/*
 * api_json.c - the JSON documents of the control API (DESIGN 4): status,
 * peers, routes with their paths (best and ECMP flags), adj-RIB-in and
 * adj-RIB-out. Pure readers of daemon state. The large ones (the
 * loc-RIB, a peer's adj-RIB-in and adj-RIB-out) are streamed: a cursor
 * resumes where the last chunk stopped (api_stream.h).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonfmt.h"
#include "api/api.h"
#include "api/api_int.h"
#include "api/api_stream.h"
#include "base/version.h"
#include "api/api_parse.h"
#include "session/peer.h"
#include "session/bfd_session.h"

static const char *origin_name(uint8_t o)
{
	return o == ORIGIN_IGP ? "igp" : o == ORIGIN_EGP ? "egp" : "incomplete";
}

static json_t *jaddr(const struct addr *a)
{
	char buf[ADDR_STRLEN];

	if (!a->afi)
		return json_null();
	return json_string(addr_fmt(a, buf, sizeof(buf)));
}

/* Attributes of a route as the API shows them. */
static void attrs_json(json_t *o, const struct rattr *ra, struct bgp_attrs *tmp)
{
	json_t *path = json_array(), *comms = json_array(), *large = json_array();
	struct aspath_iter it;
	char buf[1024];
	uint32_t asn;

	rattr_to_bgp(ra, tmp);
	json_object_set_new(o, "next_hop", jaddr(&ra->next_hop));
	if (ra->next_hop_ll.afi)
		json_object_set_new(o, "next_hop_ll", jaddr(&ra->next_hop_ll));
	aspath_iter_init(&it, tmp);
	while (aspath_iter_next(&it, &asn) == 1)
		json_array_append_new(path, json_integer(asn));
	json_object_set_new(o, "as_path", path);
	if (aspath_fmt(tmp, buf, sizeof(buf)) >= 0)
		json_object_set_new(o, "as_path_text", json_string(buf));
	for (unsigned i = 0; i < tmp->n_communities; i++) {
		const uint8_t *c = tmp->communities + 4 * i;
		uint32_t v = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
			     (uint32_t)c[2] << 8 | c[3];
		snprintf(buf, sizeof(buf), "%u:%u", v >> 16, v & 0xffff);
		json_array_append_new(comms, json_string(buf));
	}
	for (unsigned i = 0; i < tmp->n_large_communities; i++) {
		const uint8_t *c = tmp->large_communities + 12 * i;
		uint32_t v[3];
		memcpy(v, c, 12);
		snprintf(buf, sizeof(buf), "%u:%u:%u", ntohl(v[0]),
			 ntohl(v[1]), ntohl(v[2]));
		json_array_append_new(large, json_string(buf));
	}
	json_object_set_new(o, "communities", comms);
	json_object_set_new(o, "large_communities", large);
	json_object_set_new(o, "origin", json_string(origin_name(ra->origin)));
	json_object_set_new(o, "med", ra->has_med ? json_integer(ra->med)
						   : json_null());
	json_object_set_new(o, "local_pref",
			    json_integer(ra->has_local_pref ? ra->local_pref : 100));
	json_object_set_new(o, "atomic_aggregate",
			    json_boolean(ra->atomic_aggregate));
	if (ra->has_aggregator) {
		struct addr ag = { .afi = AFI_IPV4 };
		memcpy(ag.b, &ra->aggregator_addr, 4);
		addr_fmt(&ag, buf, sizeof(buf));
		json_object_set_new(o, "aggregator",
				    json_pack("{s:I, s:s}", "asn",
					      (json_int_t)ra->aggregator_as,
					      "address", buf));
	} else {
		json_object_set_new(o, "aggregator", json_null());
	}
}

static const char *rib_peer_name(struct api_host *d, uint32_t idx)
{
	struct peer *p = session_peer_by_rib(d->sess, idx);

	return p ? p->name : "local";
}

static json_t *path_json(struct api_host *d, const struct rpath *rp,
			 struct bgp_attrs *tmp)
{
	json_t *o = json_object();

	json_object_set_new(o, "peer", json_string(rib_peer_name(d, rp->peer)));
	attrs_json(o, rp->attr, tmp);
	json_object_set_new(o, "best", json_boolean(rp->flags & RPATH_BEST));
	json_object_set_new(o, "ecmp", json_boolean(rp->flags & RPATH_ECMP));
	if (rp->path_id) /* received with ADD-PATH */
		json_object_set_new(o, "path_id", json_integer(rp->path_id));
	if (rp->stale)
		json_object_set_new(o, "stale", json_true());
	if (rp->rpki) /* validation is on (route_server.rpki) */
		json_object_set_new(o, "rpki",
				    json_string(rpki_state_name(rp->rpki)));
	return o;
}

struct routes_walk {
	struct api_host *d;
	json_t *routes;
	const struct peer *only;
	struct bgp_attrs *tmp;
	size_t limit;
};

/* The decision step a path that is neither best nor ECMP lost at,
 * against the best path (DESIGN 1.2's numbered steps). Tied on every
 * step, it lost because the ECMP set was full (max_paths). */
static const char *lost_reason(const struct rib *rib, const struct rpath *best,
			       const struct rpath *rp)
{
	static const char *names[] = {"", "local_pref", "routing_preference",
				      "as_path_length", "med"};
	int step = 0;

	if (!best || rib_path_cmp(rib, best, rp, &step) == 0)
		return "max_paths";
	return step >= 1 && step <= 4 ? names[step] : "max_paths";
}

static json_t *entry_json(struct routes_walk *w, const struct rentry *e)
{
	json_t *o = json_object(), *paths = json_array();
	const struct rpath *best = NULL;
	char buf[PREFIX_STRLEN];

	for (const struct rpath *rp = e->paths; rp && !best; rp = rp->next)
		if (rp->flags & RPATH_BEST)
			best = rp;
	for (const struct rpath *rp = e->paths; rp; rp = rp->next) {
		json_t *pj;

		if (w->only && rp->peer != w->only->rib_id)
			continue;
		pj = path_json(w->d, rp, w->tmp);
		if (!(rp->flags & (RPATH_BEST | RPATH_ECMP)))
			json_object_set_new(pj, "reason",
					    json_string(lost_reason(w->d->rib,
								    best, rp)));
		json_array_append_new(paths, pj);
	}
	json_object_set_new(o, "prefix",
			    json_string(prefix_fmt(&e->prefix, buf, sizeof(buf))));
	json_object_set_new(o, "paths", paths);
	json_object_set_new(o, "ecmp_paths", json_integer(e->n_ecmp));
	return o;
}

static int routes_cb(const struct rentry *e, void *arg)
{
	struct routes_walk *w = arg;
	json_t *o;

	if (w->limit && json_array_size(w->routes) >= w->limit)
		return 1;
	o = entry_json(w, e);
	if (json_array_size(json_object_get(o, "paths")))
		json_array_append_new(w->routes, o);
	else
		json_decref(o);
	return 0;
}

static const struct rentry *routes_lookup(struct api_host *d, const char *prefix,
					  const char *match, char *err,
					  size_t errlen, int *bad)
{
	struct api_route_query q;

	*bad = api_parse_route_query(prefix, match, &q, err, errlen) < 0;
	if (*bad)
		return NULL;
	return q.longest ? rib_match(d->rib, &q.addr)
			 : rib_lookup(d->rib, &q.prefix);
}

json_t *api_routes_json(struct api_host *d, const char *prefix,
			const char *match, const char *peer, size_t limit,
			char *err, size_t errlen)
{
	struct routes_walk w = {.d = d, .limit = limit};
	json_t *o;

	if (peer && !(w.only = session_peer_by_name(d->sess, peer))) {
		snprintf(err, errlen, "no such peer: %s", peer);
		return NULL;
	}
	w.tmp = malloc(sizeof(*w.tmp));
	if (!w.tmp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w.routes = json_array();
	if (prefix) {
		int bad;
		const struct rentry *e =
			routes_lookup(d, prefix, match, err, errlen, &bad);
		if (bad) {
			json_decref(w.routes);
			free(w.tmp);
			return NULL;
		}
		if (e)
			routes_cb(e, &w);
	} else {
		rib_walk(d->rib, 0, routes_cb, &w);
	}
	free(w.tmp);
	o = json_object();
	json_object_set_new(o, "routes", w.routes);
	return o;
}

/* ------------------------------------------------------ streamed */

/* A streamed walk of the loc-RIB (all routes, or one peer's: its
 * adj-RIB-in), resuming after the last prefix it looked at. */
struct rib_cursor {
	struct api_host *d;
	struct bgp_attrs tmp;
	bool have_cursor, adj_in;
	struct prefix cursor;
	char *peer; /* only this peer's paths (by name and RIB index) */
	uint32_t rib_id;
	size_t limit, emitted;
	unsigned looked;
	struct api_stream *st;
	int err;
};

static void rib_cursor_free(void *ctx)
{
	struct rib_cursor *c = ctx;

	free(c->peer);
	free(c);
}

/* The peer of a filtered walk, NULL once a reload removed it. */
static const struct peer *cursor_peer(struct rib_cursor *c)
{
	const struct peer *p = session_peer_by_name(c->d->sess, c->peer);

	return p && p->rib_id == c->rib_id ? p : NULL;
}

static int rib_cursor_cb(const struct rentry *e, void *arg)
{
	struct rib_cursor *c = arg;
	struct routes_walk w = {.d = c->d, .tmp = &c->tmp};
	json_t *o = NULL;

	c->cursor = e->prefix;
	c->have_cursor = true;
	if (c->peer && !(w.only = cursor_peer(c)))
		return 2; /* the peer is gone: the reply ends here */
	if (c->adj_in) {
		const struct rpath *rp = e->paths;
		while (rp && rp->peer != c->rib_id)
			rp = rp->next;
		if (rp) {
			char buf[PREFIX_STRLEN];
			o = json_pack("{s:s, s:[o]}", "prefix",
				      prefix_fmt(&e->prefix, buf, sizeof(buf)),
				      "paths", path_json(c->d, rp, &c->tmp));
		}
	} else {
		o = entry_json(&w, e);
		if (!json_array_size(json_object_get(o, "paths"))) {
			json_decref(o);
			o = NULL;
		}
	}
	if (o && api_stream_item(c->st, o) < 0) {
		c->err = 1;
		return 2;
	}
	if (o && c->limit && ++c->emitted >= c->limit)
		return 2;
	if (++c->looked >= API_STREAM_STEP || api_stream_full(c->st))
		return 1;
	return 0;
}

static int rib_cursor_fill(struct api_stream *st, void *ctx)
{
	struct rib_cursor *c = ctx;
	int rc;

	c->st = st;
	c->looked = 0;
	rc = rib_walk_after(c->d->rib, c->have_cursor ? &c->cursor : NULL,
			    rib_cursor_cb, c);
	return c->err ? -1 : rc == 1;
}

static enum MHD_Result rib_stream(struct api *api, struct MHD_Connection *con,
				  struct rib_cursor *c, json_t *head)
{
	char *h = api_stream_head(head, "routes");
	enum MHD_Result ret;

	if (!h) {
		rib_cursor_free(c);
		return reply_error(con, 500, "out of memory");
	}
	ret = api_stream_reply(api, con, h, "]}", rib_cursor_fill,
			       rib_cursor_free, c, sizeof(*c));
	free(h);
	return ret;
}

static struct rib_cursor *rib_cursor_new(struct api_host *d,
					 const struct peer *p)
{
	struct rib_cursor *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->d = d;
	if (p) {
		c->rib_id = p->rib_id;
		if (!(c->peer = strdup(p->name))) {
			free(c);
			return NULL;
		}
	}
	return c;
}

enum MHD_Result api_routes_reply(struct api *api, struct MHD_Connection *con,
				 const struct peer *p, size_t limit)
{
	struct rib_cursor *c = rib_cursor_new(api->d, p);

	if (!c)
		return reply_error(con, 500, "out of memory");
	c->limit = limit;
	return rib_stream(api, con, c, json_object());
}

enum MHD_Result api_adj_in_reply(struct api *api, struct MHD_Connection *con,
				 const struct peer *p)
{
	struct rib_cursor *c = rib_cursor_new(api->d, p);

	if (!c)
		return reply_error(con, 500, "out of memory");
	c->adj_in = true;
	return rib_stream(api, con, c, json_pack("{s:s}", "peer", p->name));
}

/* A streamed walk of one peer's adj-RIB-out, by position. */
struct out_cursor {
	struct api_host *d;
	struct bgp_attrs tmp;
	char *peer;
	uint32_t rib_id;
	uint64_t pos;
	struct api_stream *st;
	int err;
};

static void out_cursor_free(void *ctx)
{
	struct out_cursor *c = ctx;

	free(c->peer);
	free(c);
}

static int out_cursor_cb(const struct prefix *pfx, const struct rattr *a,
			 void *arg)
{
	struct out_cursor *c = arg;
	json_t *o = json_object();
	char buf[PREFIX_STRLEN];

	json_object_set_new(o, "prefix",
			    json_string(prefix_fmt(pfx, buf, sizeof(buf))));
	if (a)
		attrs_json(o, a, &c->tmp);
	if (api_stream_item(c->st, o) < 0)
		c->err = 1;
	return 0;
}

static int out_cursor_fill(struct api_stream *st, void *ctx)
{
	struct out_cursor *c = ctx;
	const struct peer *p = session_peer_by_name(c->d->sess, c->peer);
	int rc;

	if (!p || p->rib_id != c->rib_id || !p->export_up)
		return 0; /* gone or down since: the reply ends here */
	c->st = st;
	rc = export_walk_peer_from(c->d->ex, c->rib_id, &c->pos,
				   API_STREAM_STEP / 2, out_cursor_cb, c);
	return c->err ? -1 : rc;
}

enum MHD_Result api_adj_out_reply(struct api *api, struct MHD_Connection *con,
				  const struct peer *p)
{
	struct out_cursor *c = calloc(1, sizeof(*c));
	enum MHD_Result ret;
	char *h;

	if (!c || !(c->peer = strdup(p->name))) {
		free(c);
		return reply_error(con, 500, "out of memory");
	}
	c->d = api->d;
	c->rib_id = p->rib_id;
	h = api_stream_head(json_pack("{s:s}", "peer", p->name), "routes");
	if (!h) {
		out_cursor_free(c);
		return reply_error(con, 500, "out of memory");
	}
	ret = api_stream_reply(api, con, h, "]}", out_cursor_fill,
			       out_cursor_free, c, sizeof(*c));
	free(h);
	return ret;
}

static json_t *caps_json(const struct peer *p)
{
	json_t *a = json_array();
	const char *names[12];
	size_t n = peer_caps_names(p, names, 12);

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

/* The peer's BFD session, or null when it has none. */
static json_t *bfd_json(struct api_host *d, const struct peer *p)
{
	const struct bfd_sess *b = p->bfd;
	json_t *o;

	if (!b)
		return json_null();
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I}",
		      "state", bfd_state_name(b->state),
		      "remote_state", bfd_state_name(b->remote_state),
		      "diagnostic", bfd_diag_name(b->local_diag),
		      "remote_diagnostic", bfd_diag_name(b->remote_diag),
		      "multihop", b->multihop,
		      "min_rx_ms", (json_int_t)b->cf.min_rx_ms,
		      "min_tx_ms", (json_int_t)b->cf.min_tx_ms,
		      "multiplier", (json_int_t)b->cf.multiplier);
	json_object_set_new(o, "auth", json_string(b->cf.auth == 1 ? "keyed-sha1"
		: b->cf.auth == 2 ? "meticulous-keyed-sha1" : "none"));
	json_object_set_new(o, "tx_interval_ms", json_real(bfd_tx_ms(b)));
	json_object_set_new(o, "detect_time_ms", json_real(bfd_detect_ms(b)));
	json_object_set_new(o, "since_s", json_secs(ev_now(d->loop) - b->changed));
	json_object_set_new(o, "ups", json_integer((json_int_t)b->ups));
	json_object_set_new(o, "downs", json_integer((json_int_t)b->downs));
	json_object_set_new(o, "packets_in", json_integer((json_int_t)b->pkts_in));
	json_object_set_new(o, "packets_out", json_integer((json_int_t)b->pkts_out));
	json_object_set_new(o, "packets_bad", json_integer((json_int_t)b->pkts_bad));
	return o;
}

json_t *api_peer_json(struct api_host *d, const struct peer *p)
{
	const struct conn *c = p->est;
	double up = c ? ev_now(d->loop) - p->up_since : 0;
	char id[ADDR_STRLEN];
	json_t *o;

	o = json_pack("{s:s, s:o, s:I, s:s, s:s, s:I, s:s, s:I, s:I, s:I}",
		      "name", p->name, "address", jaddr(&p->cf->address),
		      "asn", (json_int_t)p->cf->asn,
		      "kind", peer_kind_name(p->cf->kind),
		      "state", peer_state_name(p->state),
		      "uptime_s", (json_int_t)up,
		      "last_error", p->last_error,
		      "prefixes_received", (json_int_t)peer_prefixes_received(p),
		      "prefixes_accepted", (json_int_t)peer_prefixes_accepted(p),
		      "prefixes_advertised",
		      (json_int_t)(p->export_up ? export_peer_advertised(d->ex, p->rib_id) : 0));
	json_object_set_new(o, "last_error_time",
			    p->last_error_time[0] ? json_string(p->last_error_time)
						  : json_null());
	json_object_set_new(o, "last_error_old", json_boolean(p->last_error_old));
	json_object_set_new(o, "flaps", json_integer((json_int_t)p->flaps));
	json_object_set_new(o, "hold_time", json_integer(c ? c->hold_time
		: (p->cf->hold_time ? p->cf->hold_time : d->conf->rs.hold_time)));
	json_object_set_new(o, "keepalive", json_integer(c ? c->keepalive_time : 0));
	json_object_set_new(o, "capabilities", caps_json(p));
	json_object_set_new(o, "max_prefixes", json_integer(p->cf->max_prefixes));
	json_object_set_new(o, "max_prefix_hits", json_integer((json_int_t)p->max_prefix_hits));
	json_object_set_new(o, "default_routes_refused", json_integer((json_int_t)p->default_refused));
	json_object_set_new(o, "routes_refused_loop", json_integer((json_int_t)p->loop_refused));
	json_object_set_new(o, "martians_refused", json_integer((json_int_t)p->martian_refused));
	json_object_set_new(o, "routes_too_large", json_integer((json_int_t)p->oversize_withdrawn));
	json_object_set_new(o, "routes_refused_first_as", json_integer((json_int_t)p->first_as_refused));
	json_object_set_new(o, "routes_refused_policy", json_integer((json_int_t)p->policy_refused));
	json_object_set_new(o, "treat_as_withdraw", json_integer((json_int_t)p->treat_as_withdraw));
	json_object_set_new(o, "messages_in", json_integer((json_int_t)p->msgs_in));
	json_object_set_new(o, "messages_out", json_integer((json_int_t)p->msgs_out));
	json_object_set_new(o, "updates_in", json_integer((json_int_t)p->updates_in));
	json_object_set_new(o, "notifications_in", json_integer((json_int_t)p->notifications_in));
	json_object_set_new(o, "notifications_out", json_integer((json_int_t)p->notifications_out));
	json_object_set_new(o, "passive", json_boolean(p->cf->passive));
	json_object_set_new(o, "disabled", json_boolean(p->disabled));
	json_object_set_new(o, "admin_state",
			    json_string(p->disabled ? "disabled" : "enabled"));
	json_object_set_new(o, "description",
			    p->cf->description ? json_string(p->cf->description)
					       : json_null());
	json_object_set_new(o, "bfd", bfd_json(d, p));
	json_object_set_new(o, "graceful_restart", json_pack(
		"{s:b, s:b, s:I, s:I, s:I, s:I}", "negotiated", p->gr_able,
		"helping", p->gr_stale,
		"restart_time", (json_int_t)p->gr_time,
		"stale_routes", (json_int_t)rib_peer_stale_count(d->rib, p->rib_id),
		"restarts", (json_int_t)p->gr_restarts,
		"stale_withdrawn", (json_int_t)p->gr_swept));
	if (c) {
		uint32_t rid = htonl(c->open.bgp_id);
		inet_ntop(AF_INET, &rid, id, sizeof(id));
		json_object_set_new(o, "router_id", json_string(id));
		json_object_set_new(o, "local_address", jaddr(&c->local));
	}
	return o;
}

json_t *api_peers_json(struct api_host *d)
{
	json_t *a = json_array(), *o = json_object();

	for (unsigned i = 0; i < d->sess->n_peers; i++)
		json_array_append_new(a, api_peer_json(d, d->sess->peers[i]));
	json_object_set_new(o, "peers", a);
	return o;
}

json_t *api_status_json(struct api_host *d)
{
	struct rib_stats st;
	unsigned est = 0;
	size_t routes;
	json_t *o, *rib;

	for (unsigned i = 0; i < d->sess->n_peers; i++)
		est += d->sess->peers[i]->state == PS_ESTABLISHED;
	rib_stats(d->rib, &st);
	routes = st.paths;
	rib = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}",
			"prefixes_v4", (json_int_t)st.prefixes[AFI_IPV4],
			"prefixes_v6", (json_int_t)st.prefixes[AFI_IPV6],
			"paths", (json_int_t)st.paths,
			"attrs", (json_int_t)st.attrs,
			"bytes", (json_int_t)st.bytes,
			"bytes_per_route", routes ? (double)st.bytes / routes : 0.0);
	o = json_pack("{s:s, s:I, s:o, s:I, s:{s:I, s:I}, s:o}",
		      "version", PHAROS_VERSION,
		      "asn", (json_int_t)d->conf->rs.asn,
		      "router_id", jaddr(&d->conf->rs.router_id),
		      "uptime_s", (json_int_t)(ev_now(d->loop) - d->started),
		      "peers", "configured", (json_int_t)d->sess->n_peers,
		      "established", (json_int_t)est,
		      "rib", rib);
	json_object_set_new(o, "export", json_pack("{s:I, s:I}",
		"groups", (json_int_t)export_groups(d->ex),
		"bytes", (json_int_t)export_bytes(d->ex)));
	json_object_set_new(o, "refused_connections",
			    json_integer((json_int_t)d->sess->refused_connections));
	json_object_set_new(o, "events", json_integer((json_int_t)events_total(d->events)));
	return o;
}

/* ------------------------------------------------------ refused routes */

struct refused_walk {
	const struct peer *p;
	json_t *routes;
	struct bgp_attrs *tmp;
	size_t limit, total;
};

static int refused_cb(const struct refused_route *rr, void *arg)
{
	struct refused_walk *w = arg;
	json_t *o, *path;
	char buf[PREFIX_STRLEN];

	w->total++;
	if (json_array_size(w->routes) >= w->limit)
		return 0; /* counted, not listed */
	path = json_object();
	json_object_set_new(path, "peer", json_string(w->p->name));
	if (rr->attr)
		attrs_json(path, rr->attr, w->tmp);
	json_object_set_new(path, "refused_by",
			    json_string(refused_why_name(rr->why)));
	if (rr->why == REFUSED_RULE && rr->rule >= 0)
		json_object_set_new(path, "rule", json_integer(rr->rule + 1));
	o = json_pack("{s:s, s:[o]}", "prefix",
		      prefix_fmt(&rr->pfx, buf, sizeof(buf)), "paths", path);
	json_array_append_new(w->routes, o);
	return 0;
}

static int route_prefix_cmp(const void *a, const void *b)
{
	struct prefix x, y;
	json_t *const *ja = a, *const *jb = b;

	if (prefix_parse(json_string_value(json_object_get(*ja, "prefix")), &x) < 0 ||
	    prefix_parse(json_string_value(json_object_get(*jb, "prefix")), &y) < 0)
		return 0;
	return prefix_cmp(&x, &y);
}

json_t *api_refused_json(struct api_host *d, const char *peer, size_t limit,
			 char *err, size_t errlen)
{
	struct refused_walk w = {.limit = limit ? limit : 1000};
	json_t *sorted, **v;
	size_t n;

	if (peer && !session_peer_by_name(d->sess, peer)) {
		snprintf(err, errlen, "no such peer: %s", peer);
		return NULL;
	}
	if (!(w.tmp = malloc(sizeof(*w.tmp)))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w.routes = json_array();
	for (unsigned i = 0; i < d->sess->n_peers; i++) {
		w.p = d->sess->peers[i];
		if (!peer || !strcmp(w.p->name, peer))
			refused_walk(w.p->refused, refused_cb, &w);
	}
	free(w.tmp);
	/* In address order, as every other list of routes. */
	n = json_array_size(w.routes);
	v = calloc(n ? n : 1, sizeof(*v));
	sorted = json_array();
	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(w.routes, i);
	if (v)
		qsort(v, n, sizeof(*v), route_prefix_cmp);
	for (size_t i = 0; v && i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(w.routes);
	return json_pack("{s:o, s:I, s:b}", "routes", sorted, "total",
			 (json_int_t)w.total, "truncated", w.total > n);
}
