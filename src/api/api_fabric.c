/*
 * api_fabric.c - the fabric endpoints of the control API (api_fabric.h).
 *
 *   GET  /api/v1/fabric                               topology, version
 *   GET  /api/v1/fabric/nics/NIC/effective-routes     a NIC's table
 *   GET  /api/v1/fabric/trace?nic=NIC&dst=IP          packet walk
 *   GET  /api/v1/fabric/trace?from_ip=IP&dst=IP       walk from a NIC's IP
 *   GET  /api/v1/fabric/subnets/V/S/table             a subnet's table
 *   GET  /api/v1/fabric/subnets/V/S/deltas?after=N[&wait=S]   long poll
 *   GET  /api/v1/fabric/subnets/V/S/stream?after=N    server-sent events
 *   POST /api/v1/fabric/subnets/V/S/ack               {"agent","version"}
 *   GET  /api/v1/fabric/agents                        last acks
 *
 * A long poll with nothing newer is a suspended connection with a timer;
 * the commit listener resumes the ones whose subnet changed, the timer
 * the ones that waited long enough; the handler runs again for them and
 * answers. SSE streams suspend in their content reader when they have
 * nothing to send and are resumed the same way. The daemon's loop runs it
 * all; there is no thread.
 */
#include "base/jsonfmt.h"
#include "api/api_fabric.h"

#include <jansson.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/api_stream.h"
#include "fabric/live.h"
#include "fabric/fabric.h"

/* A subnet's changes are listed (deltas, stream events) up to this many
 * route changes; beyond, the follower is told to fetch the table, which
 * is streamed in pieces, instead of being handed one answer of tens of
 * megabytes built in one loop turn (100,000 changes: about 18 MB of
 * JSON, half a second of the loop, 200 MB at peak). */
#define DELTAS_MAX 10000

struct waiter {
	struct api_fabric *af;
	struct MHD_Connection *con;
	char subnet[256]; /* "vnet/subnet" */
	uint64_t after;
	ev_timer timer;
	bool resumed;
	struct waiter *next;
};

struct stream {
	struct api_fabric *af; /* NULL once the API is shutting down */
	struct MHD_Connection *con;
	char subnet[256];
	uint64_t after; /* last version sent */
	char *buf;
	size_t len, off, cap;
	bool suspended, done;
	struct stream *next;
};

struct api_fabric {
	struct api *api;
	int listen_id;
	struct waiter *waiters;
	size_t n_waiters;
	struct stream *streams;
	size_t n_streams;
	ev_timer keepalive;
};

static struct api_host *D(struct api_fabric *af) { return af->api->d; }

static const char *arg(struct MHD_Connection *con, const char *key)
{
	return MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, key);
}

/* Parse a decimal u64; false when s is not one. */
static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	v = strtoull(s, &end, 10);
	if (*end)
		return false;
	*out = v;
	return true;
}

static enum MHD_Result reply_410(struct MHD_Connection *con, uint64_t cur,
				 bool too_many)
{
	return reply_json(con, 410, json_pack("{s:s, s:I}", "error",
					      too_many ? "too many changes: "
					      "fetch the table"
					      : "version too old", "version",
					      (json_int_t)cur));
}

/* ------------------------------------------------------ topology */

static json_t *vnet_json(struct api_fabric *af, const struct conf_vnet *v)
{
	struct fabric *f = fabric_live_fabric(D(af)->fglue);
	char buf[PREFIX_STRLEN];
	json_t *o, *sp = json_array(), *sn = json_array(), *ni = json_array(),
		   *pe = json_array();
	int vi = fab_vnet_find(f, v->name);

	for (unsigned i = 0; i < v->n_address_space; i++)
		json_array_append_new(sp, json_string(prefix_fmt(
			&v->address_space[i], buf, sizeof(buf))));
	for (unsigned i = 0; i < v->n_subnets; i++) {
		const struct conf_subnet *s = &v->subnets[i];
		char full[512];
		snprintf(full, sizeof(full), "%s/%s", v->name, s->name);
		int si = fab_subnet_find(f, full);
		json_array_append_new(sn, json_pack(
			"{s:s, s:s, s:o, s:b}", "name", s->name, "prefix",
			prefix_fmt(&s->prefix, buf, sizeof(buf)), "route_table",
			s->route_table ? json_string(s->route_table) : json_null(),
			"receives_bgp",
			si >= 0 && fab_subnet_receives_bgp(f, (uint32_t)si)));
	}
	for (unsigned i = 0; i < v->n_nics; i++)
		json_array_append_new(ni, json_pack(
			"{s:s, s:s, s:s}", "name", v->nics[i].name, "subnet",
			v->nics[i].subnet,
			"ip", addr_fmt(&v->nics[i].ip, buf, sizeof(buf))));
	for (unsigned i = 0; i < v->n_peerings; i++)
		json_array_append_new(pe, json_pack(
			"{s:s, s:b, s:b}", "remote", v->peerings[i].remote,
			"use_remote_gateways", v->peerings[i].use_remote_gateways,
			"allow_gateway_transit",
			v->peerings[i].allow_gateway_transit));
	o = json_pack("{s:s, s:o, s:b, s:b, s:b, s:o, s:o, s:o, s:o}", "name",
		      v->name, "region",
		      v->region ? json_string(v->region) : json_null(), "hub",
		      v->hub, "remote",
		      vi >= 0 && fab_vnet_remote(f, (uint32_t)vi),
		      "receives_bgp",
		      vi >= 0 && fab_vnet_receives_bgp(f, (uint32_t)vi),
		      "address_space", sp, "subnets", sn, "nics", ni,
		      "peerings", pe);
	return o;
}

/* The region of the hub VNet (this route server's region), or NULL. */
static const char *local_region(const struct conf_fabric *cf)
{
	for (unsigned i = 0; i < cf->n_vnets; i++)
		if (cf->vnets[i].hub && cf->vnets[i].region)
			return cf->vnets[i].region;
	return NULL;
}

static json_t *regions_json(const struct conf_fabric *cf)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < cf->n_regions; i++)
		json_array_append_new(a, json_pack(
			"{s:s, s:s}", "name", cf->regions[i].name, "api",
			cf->regions[i].api));
	return a;
}

static enum MHD_Result get_fabric(struct api_fabric *af,
				  struct MHD_Connection *con)
{
	const struct conf_fabric *cf = &D(af)->conf->fabric;
	const char *reg = local_region(cf);
	json_t *vn = json_array();

	for (unsigned i = 0; i < cf->n_vnets; i++)
		json_array_append_new(vn, vnet_json(af, &cf->vnets[i]));
	return reply_json(con, 200, json_pack(
		"{s:I, s:o, s:o, s:o}", "version",
		(json_int_t)fab_version(fabric_live_fabric(D(af)->fglue)), "region",
		reg ? json_string(reg) : json_null(), "vnets", vn, "regions",
		regions_json(cf)));
}

/* ------------------------------------------------------ tables */

/* A table reply streamed from its own snapshot of the table, taken
 * when the request came: the routes go out a step at a time. */
struct table_cursor {
	struct fab_table t;
	size_t i;
};

static void table_cursor_free(void *ctx)
{
	struct table_cursor *c = ctx;

	fab_table_free(&c->t);
	free(c);
}

static int table_cursor_fill(struct api_stream *st, void *ctx)
{
	struct table_cursor *c = ctx;

	for (unsigned k = 0; c->i < c->t.n && k < API_STREAM_STEP &&
			     !api_stream_full(st); k++, c->i++)
		if (api_stream_item(st, fab_route_json(&c->t.routes[c->i])) < 0)
			return -1;
	return c->i < c->t.n;
}

static size_t table_bytes(const struct fab_table *t)
{
	return sizeof(*t) + t->cap * sizeof(*t->routes) +
	       t->pool_cap * sizeof(*t->nh_pool);
}

/* Split "vnet/subnet" after the first slash into buffers. */
static void split_subnet(const char *full, char *vnet, size_t vl,
			 const char **sub)
{
	const char *sl = strchr(full, '/');
	size_t n = sl ? (size_t)(sl - full) : strlen(full);

	snprintf(vnet, vl, "%.*s", (int)n, full);
	*sub = sl ? sl + 1 : "";
}

static enum MHD_Result reply_table(struct api_fabric *af,
				   struct MHD_Connection *con, uint32_t si,
				   const char *nic)
{
	struct fabric *f = fabric_live_fabric(D(af)->fglue);
	const char *full = fab_subnet_name(f, si), *sub;
	struct table_cursor *c = calloc(1, sizeof(*c));
	enum MHD_Result ret;
	char vnet[256], *h;
	json_t *o;

	if (!c)
		return reply_error(con, 500, "out of memory");
	if (fab_subnet_table_into(f, si, &c->t) != FAB_OK) {
		table_cursor_free(c);
		return reply_error(con, 404, "no such subnet");
	}
	split_subnet(full, vnet, sizeof(vnet), &sub);
	o = json_object();
	if (nic)
		json_object_set_new(o, "nic", json_string(nic));
	json_object_set_new(o, "vnet", json_string(vnet));
	json_object_set_new(o, "subnet", json_string(sub));
	json_object_set_new(o, "version", json_integer((json_int_t)c->t.version));
	h = api_stream_head(o, "routes");
	if (!h) {
		table_cursor_free(c);
		return reply_error(con, 500, "out of memory");
	}
	ret = api_stream_reply(af->api, con, h, "]}", table_cursor_fill,
			       table_cursor_free, c, table_bytes(&c->t));
	free(h);
	return ret;
}

static enum MHD_Result get_nic(struct api_fabric *af,
			       struct MHD_Connection *con, const char *rest)
{
	struct fabric *f = fabric_live_fabric(D(af)->fglue);
	const char *sl = strchr(rest, '/');
	char name[256], msg[320];
	int ni;

	if (!sl || strcmp(sl, "/effective-routes") ||
	    (size_t)(sl - rest) >= sizeof(name))
		return reply_error(con, 404, "unknown fabric path");
	snprintf(name, sizeof(name), "%.*s", (int)(sl - rest), rest);
	ni = fab_nic_find(f, name);
	if (ni < 0) {
		snprintf(msg, sizeof(msg), "no such NIC: %s", name);
		return reply_error(con, 404, msg);
	}
	return reply_table(af, con, fab_nic_subnet(f, (uint32_t)ni), name);
}

/* ------------------------------------------------------ trace */

/* A walk from an address starts where another walk arrived (an NVA, a
 * trace continued from another region), not at a source VM. */
static void mark_entry(json_t *hop)
{
	const char *note = json_string_value(json_object_get(hop, "note"));
	char buf[300];

	if (!note || strncmp(note, "source VM", 9))
		return;
	snprintf(buf, sizeof(buf), "walk starts here (from_ip)%s", note + 9);
	json_object_set_new(hop, "note", json_string(buf));
}

static enum MHD_Result get_trace(struct api_fabric *af,
				 struct MHD_Connection *con)
{
	struct fabric *f = fabric_live_fabric(D(af)->fglue);
	const char *nic = arg(con, "nic"), *from = arg(con, "from_ip"),
		   *dst = arg(con, "dst");
	const char *reg = local_region(&D(af)->conf->fabric);
	struct addr da, fa;
	struct fab_trace *t;
	char msg[320];
	int ni;
	json_t *o;

	if (!dst || (!nic == !from))
		return reply_error(con, 400, "give dst=IP and one of nic=NIC "
				   "or from_ip=IP");
	if (addr_parse(dst, &da) < 0)
		return reply_error(con, 400, "dst: not an IP address");
	if (from && addr_parse(from, &fa) < 0)
		return reply_error(con, 400, "from_ip: not an IP address");
	ni = nic ? fab_nic_find(f, nic) : fab_nic_by_ip(f, &fa);
	if (ni < 0) {
		snprintf(msg, sizeof(msg), nic ? "no such NIC: %s"
					       : "no NIC has the address %s",
			 nic ? nic : from);
		return reply_error(con, 404, msg);
	}
	t = malloc(sizeof(*t));
	if (!t)
		return reply_error(con, 500, "out of memory");
	fab_trace(f, (uint32_t)ni, &da, t);
	o = fab_trace_json(t);
	free(t);
	if (from)
		mark_entry(json_array_get(json_object_get(o, "hops"), 0));
	json_object_set_new(o, "nic", json_string(fab_nic_name(f, (uint32_t)ni)));
	if (from)
		json_object_set_new(o, "from_ip", json_string(from));
	json_object_set_new(o, "dst", json_string(dst));
	json_object_set_new(o, "region", reg ? json_string(reg) : json_null());
	json_object_set_new(o, "version", json_integer((json_int_t)fab_version(f)));
	return reply_json(con, 200, o);
}

/* ------------------------------------------------------ deltas */

/* {"version":M,"deltas":[...]} for items [from, to) of d. */
static json_t *deltas_json(const struct fab_delta *d, size_t from, size_t to,
			   uint64_t version)
{
	json_t *a = json_array();

	for (size_t i = from; i < to; i++)
		json_array_append_new(a, json_pack(
			"{s:I, s:s, s:o}", "version",
			(json_int_t)d->items[i].version, "op",
			fab_op_name(d->items[i].op), "route",
			fab_route_json(&d->items[i].route)));
	return json_pack("{s:I, s:o}", "version", (json_int_t)version,
			 "deltas", a);
}

/* Answer a deltas request now (also for a resumed long poll). */
static enum MHD_Result reply_deltas(struct api_fabric *af,
				    struct MHD_Connection *con,
				    const char *subnet, uint64_t after)
{
	struct fabric *f = fabric_live_fabric(D(af)->fglue);
	struct fab_delta d;
	int si = fab_subnet_find(f, subnet), rc;
	json_t *o;

	if (si < 0)
		return reply_error(con, 404, "no such subnet");
	rc = fab_subnet_deltas_upto(f, (uint32_t)si, after, DELTAS_MAX, &d);
	if (rc == FAB_ERESYNC)
		return reply_410(con, fab_version(f), false);
	if (rc != FAB_OK)
		return reply_error(con, 404, "no such subnet");
	if (d.n > DELTAS_MAX) {
		fab_delta_free(&d);
		return reply_410(con, fab_version(f), true);
	}
	o = deltas_json(&d, 0, d.n, d.version);
	fab_delta_free(&d);
	return reply_json(con, 200, o);
}

/* Does the subnet have something newer than after (or need a resync)? */
static bool has_news(struct fabric *f, const char *subnet, uint64_t after)
{
	struct fab_delta d;
	int si = fab_subnet_find(f, subnet), rc;
	bool news;

	if (si < 0)
		return true; /* gone on reload: answer 404 */
	rc = fab_subnet_deltas(f, (uint32_t)si, after, &d);
	news = rc != FAB_OK || d.n > 0;
	fab_delta_free(&d);
	return news;
}

static void waiter_resume(struct waiter *w)
{
	if (w->resumed)
		return;
	w->resumed = true;
	ev_timer_stop(D(w->af)->loop, &w->timer);
	MHD_resume_connection(w->con);
	api_kick(w->af->api);
}

static void waiter_timeout_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	waiter_resume(t->data);
}

static void waiter_unlink(struct api_fabric *af, struct waiter *w)
{
	for (struct waiter **pp = &af->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			af->n_waiters--;
			break;
		}
	ev_timer_stop(D(af)->loop, &w->timer);
	free(w);
}

static struct waiter *waiter_find(struct api_fabric *af,
				  struct MHD_Connection *con)
{
	for (struct waiter *w = af->waiters; w; w = w->next)
		if (w->con == con)
			return w;
	return NULL;
}

static enum MHD_Result hold(struct api_fabric *af, struct MHD_Connection *con,
			    const char *subnet, uint64_t after, double wait)
{
	struct waiter *w;

	if (af->n_waiters >= API_FABRIC_MAX_WAITERS)
		return reply_error(con, 503, "too many waiting requests");
	w = calloc(1, sizeof(*w));
	if (!w)
		return reply_error(con, 500, "out of memory");
	w->af = af;
	w->con = con;
	w->after = after;
	snprintf(w->subnet, sizeof(w->subnet), "%s", subnet);
	ev_timer_init(&w->timer, waiter_timeout_cb, wait, 0.);
	w->timer.data = w;
	ev_timer_start(D(af)->loop, &w->timer);
	w->next = af->waiters;
	af->waiters = w;
	af->n_waiters++;
	MHD_suspend_connection(con);
	return MHD_YES;
}

static enum MHD_Result get_deltas(struct api_fabric *af,
				  struct MHD_Connection *con,
				  const char *subnet)
{
	uint64_t after, wait = 0;
	const char *ws = arg(con, "wait");

	if (!parse_u64(arg(con, "after"), &after))
		return reply_error(con, 400, "after=VERSION is required");
	if (ws && !parse_u64(ws, &wait))
		return reply_error(con, 400, "wait: seconds expected");
	if (wait > API_FABRIC_MAX_WAIT)
		wait = API_FABRIC_MAX_WAIT;
	if (fab_subnet_find(fabric_live_fabric(D(af)->fglue), subnet) < 0)
		return reply_error(con, 404, "no such subnet");
	if (wait == 0 || has_news(fabric_live_fabric(D(af)->fglue), subnet, after))
		return reply_deltas(af, con, subnet, after);
	return hold(af, con, subnet, after, (double)wait);
}

/* ------------------------------------------------------ SSE stream */

static int stream_append(struct stream *s, const char *text)
{
	size_t n = strlen(text);

	if (s->off == s->len)
		s->off = s->len = 0;
	if (s->len + n > s->cap) {
		size_t nc = (s->len + n) * 2;
		char *nb = realloc(s->buf, nc);
		if (!nb)
			return -1;
		s->buf = nb;
		s->cap = nc;
	}
	memcpy(s->buf + s->len, text, n);
	s->len += n;
	return 0;
}

static int stream_event(struct stream *s, const char *ev, json_t *o)
{
	char *js = json_dumps(o, PHAROS_JSON_DUMP);
	int rc = -1;

	json_decref(o);
	if (js && stream_append(s, "event: ") == 0 && stream_append(s, ev) == 0 &&
	    stream_append(s, "\ndata: ") == 0 && stream_append(s, js) == 0 &&
	    stream_append(s, "\n\n") == 0)
		rc = 0;
	free(js);
	return rc;
}

/* Queue one event per version newer than s->after. */
static void stream_fill(struct stream *s)
{
	struct fabric *f = fabric_live_fabric(D(s->af)->fglue);
	struct fab_delta d;
	int si = fab_subnet_find(f, s->subnet), rc;

	rc = si < 0 ? FAB_ENOENT
		    : fab_subnet_deltas_upto(f, (uint32_t)si, s->after,
					     DELTAS_MAX, &d);
	if (rc == FAB_OK && d.n > DELTAS_MAX) {
		fab_delta_free(&d);
		rc = FAB_ERESYNC; /* too much to list: the table instead */
	}
	if (rc != FAB_OK) {
		stream_event(s, "resync", json_pack("{s:I}", "version",
						   (json_int_t)fab_version(f)));
		s->done = true;
		return;
	}
	for (size_t i = 0; i < d.n;) {
		size_t j = i;
		while (j < d.n && d.items[j].version == d.items[i].version)
			j++;
		stream_event(s, "delta", deltas_json(&d, i, j, d.items[i].version));
		i = j;
	}
	s->after = d.version;
	fab_delta_free(&d);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	if (!s->af)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (s->off == s->len && !s->done)
		stream_fill(s);
	if (s->off == s->len) {
		if (s->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		s->suspended = true;
		MHD_suspend_connection(s->con);
		return 0;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	if (s->af) {
		for (struct stream **pp = &s->af->streams; *pp; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				s->af->n_streams--;
				break;
			}
	}
	free(s->buf);
	free(s);
}

static void stream_resume(struct stream *s)
{
	if (!s->suspended)
		return;
	s->suspended = false;
	MHD_resume_connection(s->con);
	api_kick(s->af->api);
}

static enum MHD_Result get_stream(struct api_fabric *af,
				  struct MHD_Connection *con,
				  const char *subnet)
{
	struct MHD_Response *r;
	struct stream *s;
	enum MHD_Result ret;
	uint64_t after;

	if (!parse_u64(arg(con, "after"), &after))
		return reply_error(con, 400, "after=VERSION is required");
	if (fab_subnet_find(fabric_live_fabric(D(af)->fglue), subnet) < 0)
		return reply_error(con, 404, "no such subnet");
	if (af->n_streams >= API_FABRIC_MAX_STREAMS)
		return reply_error(con, 503, "too many streams");
	s = calloc(1, sizeof(*s));
	if (!s)
		return reply_error(con, 500, "out of memory");
	s->af = af;
	s->con = con;
	s->after = after;
	snprintf(s->subnet, sizeof(s->subnet), "%s", subnet);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
					      stream_read, s, stream_free);
	if (!r) {
		free(s);
		return reply_error(con, 500, "out of memory");
	}
	s->next = af->streams;
	af->streams = s;
	af->n_streams++;
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	ret = MHD_queue_response(con, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void keepalive_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct api_fabric *af = t->data;

	for (struct stream *s = af->streams; s; s = s->next)
		if (s->suspended && !s->done) {
			stream_append(s, ": keepalive\n\n");
			stream_resume(s);
		}
}

/* ------------------------------------------------------ ack, agents */

/* An agent that could not install everything says so in its ack
 * ("failed": N, "error": the first problem): a log line and an
 * agent_failed event, so the operator sees it where the rest is. */
static void ack_failures(struct api_fabric *af, json_t *b, const char *agent,
			 const char *subnet)
{
	json_int_t failed = json_integer_value(json_object_get(b, "failed"));
	const char *err = json_string_value(json_object_get(b, "error"));
	char safe[200];
	size_t k = 0;

	if (failed <= 0)
		return;
	/* the text is the agent's: keep printable ASCII only */
	for (const char *p = err ? err : ""; *p && k + 1 < sizeof(safe); p++)
		safe[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	safe[k] = 0;
	log_warn(D(af)->log, NULL, "agent %.64s (%.64s): %lld routes not "
		 "installed: %s", agent, subnet, (long long)failed, safe);
	events_emit_json(D(af)->events, "agent_failed", NULL,
			 json_pack("{s:s, s:s, s:I, s:s}", "agent", agent,
				   "subnet", subnet, "failed", failed, "error",
				   safe),
			 "an agent could not install every route");
}

static enum MHD_Result post_ack(struct api_fabric *af,
				struct MHD_Connection *con, const char *subnet,
				struct req *rq)
{
	enum MHD_Result ret;
	json_t *b, *ver;
	const char *agent;
	int rc;

	if (check_auth_agent(af->api, con, &ret))
		return ret;
	if (rq && rq->too_big)
		return reply_error(con, 413, "request body too large");
	if (fab_subnet_find(fabric_live_fabric(D(af)->fglue), subnet) < 0)
		return reply_error(con, 404, "no such subnet");
	b = rq && rq->len ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
	agent = json_string_value(json_object_get(b, "agent"));
	ver = json_object_get(b, "version");
	if (!agent || !*agent || strlen(agent) > 128 || !json_is_integer(ver) ||
	    json_integer_value(ver) < 0) {
		json_decref(b);
		return reply_error(con, 400, "body must be {\"agent\":NAME, "
				   "\"version\":N}");
	}
	rc = fabric_agent_ack(D(af)->fglue, agent, subnet,
			      (uint64_t)json_integer_value(ver),
			      json_integer_value(json_object_get(b, "failed")) > 0
				      ? (uint64_t)json_integer_value(json_object_get(b, "failed"))
				      : 0,
			      json_string_value(json_object_get(b, "error")));
	ack_failures(af, b, agent, subnet);
	json_decref(b);
	if (rc < 0)
		return reply_error(con, 500, "out of memory");
	return reply_json(con, 200, json_object());
}

static enum MHD_Result get_agents(struct api_fabric *af,
				  struct MHD_Connection *con)
{
	size_t n;
	const struct fabric_agent *ag = fabric_agents(D(af)->fglue, &n);
	uint64_t cur = fab_version(fabric_live_fabric(D(af)->fglue));
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		char vnet[256], when[64], secs[32];
		const char *sub;
		struct tm tm;
		time_t t = (time_t)ag[i].acked_wall;
		long ms = (long)((ag[i].acked_wall - (double)t) * 1000);

		split_subnet(ag[i].subnet, vnet, sizeof(vnet), &sub);
		gmtime_r(&t, &tm);
		strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when, sizeof(when), "%s.%03ldZ", secs,
			 ms < 0 ? 0 : ms > 999 ? 999 : ms);
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:s, s:I, s:s, s:I, s:o, s:I, s:s*, s:b}",
			"agent", ag[i].agent, "vnet", vnet, "subnet", sub,
			"version", (json_int_t)ag[i].version, "acked_at", when,
			"behind",
			(json_int_t)(cur > ag[i].version ? cur - ag[i].version : 0),
			"age_s",
			json_secs(ev_time() - ag[i].acked_mono),
			"failed", (json_int_t)ag[i].failed, "error",
			ag[i].failed ? ag[i].error : NULL, "healthy",
			ag[i].failed == 0));
	}
	return reply_json(con, 200, json_pack("{s:o}", "agents", a));
}

/* ------------------------------------------------------ routing */

/* rest: "VNET/SUBNET/ACTION" */
static enum MHD_Result subnet_path(struct api_fabric *af,
				   struct MHD_Connection *con,
				   const char *rest, bool post, struct req *rq)
{
	const char *last = strrchr(rest, '/');
	char subnet[256];
	struct fabric *f = fabric_live_fabric(D(af)->fglue);
	int si;

	if (!last || last == rest || (size_t)(last - rest) >= sizeof(subnet))
		return reply_error(con, 404, "unknown fabric path");
	snprintf(subnet, sizeof(subnet), "%.*s", (int)(last - rest), rest);
	last++;
	if (!strcmp(last, "ack")) {
		if (!post)
			return reply_error(con, 405, "use POST to acknowledge");
		return post_ack(af, con, subnet, rq);
	}
	if (post)
		return reply_error(con, 405, "method not allowed");
	if (D(af)->fglue->held)
		return reply_error(con, 503, "starting: waiting for the peers' "
				   "End-of-RIB (route_server.startup_hold_s)");
	if (!strcmp(last, "table")) {
		si = fab_subnet_find(f, subnet);
		if (si < 0)
			return reply_error(con, 404, "no such subnet");
		return reply_table(af, con, (uint32_t)si, NULL);
	}
	if (!strcmp(last, "deltas"))
		return get_deltas(af, con, subnet);
	if (!strcmp(last, "stream"))
		return get_stream(af, con, subnet);
	return reply_error(con, 404, "unknown fabric path");
}

enum MHD_Result api_fabric_route(struct api *api, struct MHD_Connection *con,
				 const char *rest, bool post, struct req *rq)
{
	struct api_fabric *af = api->fabric;
	struct waiter *w;

	if (!af || !fabric_live_fabric(api->d->fglue))
		return reply_error(con, 503, "no fabric");
	if ((w = waiter_find(af, con))) { /* a resumed long poll */
		char subnet[256];
		uint64_t after = w->after;
		if (!w->resumed)
			return MHD_YES;
		memcpy(subnet, w->subnet, sizeof(subnet));
		waiter_unlink(af, w);
		return reply_deltas(af, con, subnet, after);
	}
	if (!strncmp(rest, "/subnets/", 9))
		return subnet_path(af, con, rest + 9, post, rq);
	if (post)
		return reply_error(con, 405, "method not allowed");
	if (!*rest || !strcmp(rest, "/"))
		return get_fabric(af, con);
	if (!strncmp(rest, "/nics/", 6))
		return get_nic(af, con, rest + 6);
	if (!strcmp(rest, "/trace"))
		return get_trace(af, con);
	if (!strcmp(rest, "/agents"))
		return get_agents(af, con);
	return reply_error(con, 404, "unknown fabric path");
}

/* ------------------------------------------------------ life cycle */

static void on_commit(void *arg, uint64_t version, bool rebuilt)
{
	struct api_fabric *af = arg;
	struct fabric *f = fabric_live_fabric(D(af)->fglue);

	for (struct waiter *w = af->waiters; w; w = w->next)
		if (!w->resumed && (rebuilt || has_news(f, w->subnet, w->after)))
			waiter_resume(w);
	for (struct stream *s = af->streams; s; s = s->next)
		stream_resume(s);
}

struct api_fabric *api_fabric_new(struct api *api)
{
	struct api_fabric *af = calloc(1, sizeof(*af));

	if (!af)
		return NULL;
	af->api = api;
	af->listen_id = fabric_listen(api->d->fglue, on_commit, af);
	ev_timer_init(&af->keepalive, keepalive_cb, API_FABRIC_KEEPALIVE,
		      API_FABRIC_KEEPALIVE);
	af->keepalive.data = af;
	ev_timer_start(api->d->loop, &af->keepalive);
	return af;
}

void api_fabric_held(const struct api *api, size_t *polls, size_t *streams)
{
	const struct api_fabric *af = api ? api->fabric : NULL;

	*polls = af ? af->n_waiters : 0;
	*streams = af ? af->n_streams : 0;
}

void api_fabric_free(struct api *api)
{
	struct api_fabric *af = api ? api->fabric : NULL;

	if (!af)
		return;
	api->fabric = NULL;
	fabric_unlisten(api->d->fglue, af->listen_id);
	ev_timer_stop(api->d->loop, &af->keepalive);
	while (af->waiters) {
		struct waiter *w = af->waiters;
		if (!w->resumed)
			MHD_resume_connection(w->con);
		af->waiters = w->next;
		ev_timer_stop(api->d->loop, &w->timer);
		free(w);
	}
	for (struct stream *s = af->streams; s; s = s->next) {
		if (s->suspended)
			MHD_resume_connection(s->con);
		s->suspended = false;
		s->af = NULL; /* stream_free() frees it alone */
	}
	free(af);
}

void api_fabric_completed(struct api *api, struct MHD_Connection *con)
{
	struct api_fabric *af = api->fabric;
	struct waiter *w;

	if (af && (w = waiter_find(af, con)))
		waiter_unlink(af, w);
}
