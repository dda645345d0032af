/*
 * metrics.c - Prometheus text exposition (version 0.0.4) of pharosd at
 * GET /metrics: per-peer session state, flaps, route counts, default
 * routes, max-prefix hits, messages and queues; RIB and export size and
 * memory; convergence and fabric programming histograms; API replies,
 * events, refused connections, MRT output and process memory.
 *
 * Most numbers are read from where they are kept (peers, RIB, exporter,
 * fabric glue, MRT glue) when scraped. What nobody else keeps is measured
 * here (see metrics.h): a prepare watcher at the lowest priority runs
 * after the daemon's own each loop turn, to time convergence and to
 * count new events by type.
 */
#include "api/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/api_fabric.h"
#include "base/version.h"
#include "api/api_int.h"
#include "api/api_stream.h"
#include "session/peer.h"
#include "session/bfd_session.h"
#include "fabric/fabric.h"
#include "session/rpki_reval.h"
#include "fabric/live.h"
#include "mrt/mrt_dump.h"

#define MAX_CODES 24
#define MAX_EVENT_TYPES 48

struct metrics {
	struct api_host *d;
	ev_prepare after_turn;
	ev_tstamp conv_start; /* ev_now of the first UPDATE not yet flushed */
	struct histogram convergence;
	struct {
		unsigned code;
		uint64_t n;
	} codes[MAX_CODES];
	unsigned n_codes;
	uint64_t events_seen;
	struct {
		char *type;
		uint64_t n;
	} events[MAX_EVENT_TYPES];
	unsigned n_events;
	uint64_t events_lost; /* fell out of the ring before being counted */
};

const double metrics_buckets[METRICS_NBUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5, 10,
};

void histogram_observe(struct histogram *h, double v)
{
	for (unsigned i = 0; i < METRICS_NBUCKETS; i++) {
		if (v <= metrics_buckets[i]) {
			h->counts[i]++;
			break;
		}
	}
	h->count++;
	h->sum += v;
}

/* ------------------------------------------------------------ measuring */

static void count_event_type(struct metrics *m, const char *type)
{
	unsigned i;

	if (!type)
		type = "unknown";
	for (i = 0; i < m->n_events; i++)
		if (!strcmp(m->events[i].type, type))
			break;
	if (i == m->n_events) {
		if (m->n_events == MAX_EVENT_TYPES ||
		    !(m->events[i].type = strdup(type))) {
			m->events_lost++;
			return;
		}
		m->n_events++;
	}
	m->events[i].n++;
}

/* Count the events emitted since the last turn (they are still in the
 * ring unless more than its size came in one turn). */
static void count_new_events(struct metrics *m)
{
	uint64_t total = events_total(m->d->events), fresh;
	json_t *a, *o;
	size_t i;

	if (total == m->events_seen)
		return;
	fresh = total - m->events_seen;
	m->events_seen = total;
	a = events_json(m->d->events, (size_t)fresh, NULL);
	json_array_foreach(a, i, o)
		count_event_type(m, json_string_value(json_object_get(o, "type")));
	if (json_array_size(a) < fresh)
		m->events_lost += fresh - json_array_size(a);
	json_decref(a);
}

static void after_turn_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct metrics *m = w->data;

	/* The daemon's prepare watcher (higher priority) has drained the
	 * change set and flushed export by now. */
	if (m->conv_start > 0 && rib_changes_pending(m->d->rib) == 0) {
		double dt = ev_time() - m->conv_start;
		histogram_observe(&m->convergence, dt < 0 ? 0 : dt);
		m->conv_start = 0;
	}
	count_new_events(m);
}

struct metrics *metrics_new(struct api_host *d)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->d = d;
	ev_prepare_init(&m->after_turn, after_turn_cb);
	m->after_turn.data = m;
	ev_set_priority(&m->after_turn, EV_MINPRI);
	ev_prepare_start(d->loop, &m->after_turn);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	ev_prepare_stop(m->d->loop, &m->after_turn);
	for (unsigned i = 0; i < m->n_events; i++)
		free(m->events[i].type);
	free(m);
}

void metrics_update_in(struct api_host *d)
{
	struct metrics *m = d->metrics;

	if (m && m->conv_start == 0)
		m->conv_start = ev_now(d->loop);
}

void metrics_api_reply(struct api_host *d, unsigned status)
{
	struct metrics *m = d->metrics;
	unsigned i;

	if (!m)
		return;
	for (i = 0; i < m->n_codes; i++)
		if (m->codes[i].code == status)
			break;
	if (i == m->n_codes) {
		if (m->n_codes == MAX_CODES)
			return;
		m->codes[m->n_codes++].code = status;
	}
	m->codes[i].n++;
}

void metrics_api_completed(struct api *api, struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_HTTP_STATUS);

	if (ci)
		metrics_api_reply(api->d, ci->http_status);
}

/* ------------------------------------------------------------ text */

struct mbuf {
	char *p;
	size_t len, cap;
};

static void mprintf(struct mbuf *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void mprintf(struct mbuf *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(m->p + m->len, m->cap - m->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (m->len + (size_t)n < m->cap) {
			m->len += (size_t)n;
			return;
		}
		size_t ncap = (m->cap + (size_t)n + 1) * 2;
		char *np = realloc(m->p, ncap);
		if (!np)
			return;
		m->p = np;
		m->cap = ncap;
	}
}

static void help(struct mbuf *m, const char *name, const char *type,
		 const char *text)
{
	mprintf(m, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* A label value escaped as the text format wants: \\, \" and \n. */
static void put_label(struct mbuf *m, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			mprintf(m, "\\\\");
		else if (*s == '"')
			mprintf(m, "\\\"");
		else if (*s == '\n')
			mprintf(m, "\\n");
		else
			mprintf(m, "%c", *s);
	}
}

/* {peer="..",address="..",kind=".."[,extra]} */
static void peer_labels(struct mbuf *m, const struct peer *p, const char *extra)
{
	char a[64];

	addr_fmt(&p->cf->address, a, sizeof(a));
	mprintf(m, "{peer=\"");
	put_label(m, p->name);
	mprintf(m, "\",address=\"");
	put_label(m, a);
	mprintf(m, "\",kind=\"%s\"%s%s}", peer_kind_name(p->cf->kind),
		extra ? "," : "", extra ? extra : "");
}

typedef double (*peer_val)(const struct api_host *d, const struct peer *p);

static double v_state(const struct api_host *d, const struct peer *p) { return p->state; }
static double v_up(const struct api_host *d, const struct peer *p) { return p->state == PS_ESTABLISHED; }
static double v_uptime(const struct api_host *d, const struct peer *p)
{
	return p->state == PS_ESTABLISHED ? ev_now(d->loop) - p->up_since : 0;
}
static double v_flaps(const struct api_host *d, const struct peer *p) { return (double)p->flaps; }
static double v_admin(const struct api_host *d, const struct peer *p) { return p->disabled ? 0 : 1; }
static double v_sessions(const struct api_host *d, const struct peer *p) { return (double)p->sessions_up; }
static double v_rcvd(const struct api_host *d, const struct peer *p) { return (double)peer_prefixes_received(p); }
static double v_acc(const struct api_host *d, const struct peer *p) { return (double)peer_prefixes_accepted(p); }
static double v_adv(const struct api_host *d, const struct peer *p)
{
	return p->export_up ? (double)export_peer_advertised(d->ex, p->rib_id) : 0;
}
static double v_maxpfx(const struct api_host *d, const struct peer *p) { return (double)p->max_prefix_hits; }
static double v_default(const struct api_host *d, const struct peer *p)
{
	static const char *dflt[] = {"0.0.0.0/0", "::/0"};
	double n = 0;

	for (int k = 0; k < 2; k++) {
		struct prefix pf;
		const struct rentry *e;
		if (prefix_parse(dflt[k], &pf) < 0 || !(e = rib_lookup(d->rib, &pf)))
			continue;
		for (const struct rpath *rp = e->paths; rp; rp = rp->next)
			if (rp->peer == p->rib_id)
				n++;
	}
	return n;
}
static double v_default_refused(const struct api_host *d, const struct peer *p) { return (double)p->default_refused; }
static double v_martian_refused(const struct api_host *d, const struct peer *p) { return (double)p->martian_refused; }
static double v_oversize(const struct api_host *d, const struct peer *p) { return (double)p->oversize_withdrawn; }
static double v_upd_in(const struct api_host *d, const struct peer *p) { return (double)p->updates_in; }
static double v_upd_out(const struct api_host *d, const struct peer *p) { return (double)p->updates_out; }
static double v_msgs_in(const struct api_host *d, const struct peer *p) { return (double)p->msgs_in; }
static double v_notif_in(const struct api_host *d, const struct peer *p) { return (double)p->notifications_in; }
static double v_notif_out(const struct api_host *d, const struct peer *p) { return (double)p->notifications_out; }
static double v_taw(const struct api_host *d, const struct peer *p) { return (double)p->treat_as_withdraw; }
static double v_stale(const struct api_host *d, const struct peer *p) { return (double)rib_peer_stale_count(d->rib, p->rib_id); }
static double v_bfd_state(const struct api_host *d, const struct peer *p) { return p->bfd ? p->bfd->state : -1; }
static double v_bfd_downs(const struct api_host *d, const struct peer *p) { return p->bfd ? (double)p->bfd->downs : 0; }
static double v_bfd_in(const struct api_host *d, const struct peer *p) { return p->bfd ? (double)p->bfd->pkts_in : 0; }
static double v_bfd_out(const struct api_host *d, const struct peer *p) { return p->bfd ? (double)p->bfd->pkts_out : 0; }
static double v_gr(const struct api_host *d, const struct peer *p) { return (double)p->gr_restarts; }
static double v_gr_swept(const struct api_host *d, const struct peer *p) { return (double)p->gr_swept; }
static double v_outq(const struct api_host *d, const struct peer *p)
{
	size_t n = 0;

	for (int k = 0; k < 2; k++)
		if (p->conn[k])
			n += p->conn[k]->oq_bytes;
	return (double)n;
}

static double v_outq_hwm(const struct api_host *d, const struct peer *p)
{
	return (double)p->outq_hwm;
}

static const struct {
	const char *name, *type, *help;
	peer_val fn;
} peer_metrics[] = {
	{"pharos_peer_state", "gauge", "FSM state: 0 idle, 1 connect, 2 active, 3 opensent, 4 openconfirm, 5 established", v_state},
	{"pharos_peer_up", "gauge", "1 when the session is established", v_up},
	{"pharos_peer_admin_enabled", "gauge", "1 when the peer is administratively enabled, 0 when disabled (API, drill or configuration)", v_admin},
	{"pharos_peer_uptime_seconds", "gauge", "Seconds since the session was established (0 when down)", v_uptime},
	{"pharos_peer_flaps_total", "counter", "Sessions that went down after being established", v_flaps},
	{"pharos_peer_sessions_established_total", "counter", "Sessions that reached Established", v_sessions},
	{"pharos_peer_prefixes_received", "gauge", "Prefixes the peer currently announces", v_rcvd},
	{"pharos_peer_prefixes_accepted", "gauge", "Prefixes of the peer in the RIB", v_acc},
	{"pharos_peer_prefixes_advertised", "gauge", "Prefixes advertised to the peer", v_adv},
	{"pharos_peer_max_prefix_hits_total", "counter", "Sessions dropped for exceeding max_prefixes", v_maxpfx},
	{"pharos_peer_default_routes_learned", "gauge", "Default routes (0.0.0.0/0, ::/0) of the peer accepted into the RIB", v_default},
	{"pharos_peer_default_routes_refused_total", "counter", "Default routes refused (accept_default false)", v_default_refused},
	{"pharos_peer_martians_refused_total", "counter", "Martian routes refused (route_server.martians, or a default in disguise)", v_martian_refused},
	{"pharos_peer_routes_too_large_total", "counter", "Routes withdrawn from the peer because no UPDATE of its size can carry them", v_oversize},
	{"pharos_peer_updates_received_total", "counter", "UPDATE messages received", v_upd_in},
	{"pharos_peer_updates_sent_total", "counter", "UPDATE messages queued to the peer", v_upd_out},
	{"pharos_peer_messages_received_total", "counter", "BGP messages received", v_msgs_in},
	{"pharos_peer_notifications_received_total", "counter", "NOTIFICATION messages received", v_notif_in},
	{"pharos_peer_notifications_sent_total", "counter", "NOTIFICATION messages sent", v_notif_out},
	{"pharos_peer_treat_as_withdraw_total", "counter", "Malformed UPDATEs handled as withdraw (RFC 7606)", v_taw},
	{"pharos_peer_bfd_state", "gauge", "BFD state: -1 not configured, 0 admin down, 1 down, 2 init, 3 up", v_bfd_state},
	{"pharos_peer_bfd_downs_total", "counter", "BFD sessions that went from up to down", v_bfd_downs},
	{"pharos_peer_bfd_packets_received_total", "counter", "BFD control packets accepted", v_bfd_in},
	{"pharos_peer_bfd_packets_sent_total", "counter", "BFD control packets sent", v_bfd_out},
	{"pharos_peer_stale_routes", "gauge", "Routes of the peer kept stale while it restarts gracefully (RFC 4724)", v_stale},
	{"pharos_peer_graceful_restarts_total", "counter", "Session losses after which the peer's routes were kept stale", v_gr},
	{"pharos_peer_stale_routes_withdrawn_total", "counter", "Stale routes withdrawn because the peer did not announce them again", v_gr_swept},
	{"pharos_peer_output_queue_bytes", "gauge", "Bytes queued on the peer's connections, not yet written", v_outq},
	{"pharos_peer_output_queue_bytes_hwm", "gauge", "Largest output queue of one of the peer's connections since pharosd started", v_outq_hwm},
};

static void put_peers(struct mbuf *m, struct api_host *d)
{
	for (size_t k = 0; k < sizeof(peer_metrics) / sizeof(peer_metrics[0]); k++) {
		help(m, peer_metrics[k].name, peer_metrics[k].type, peer_metrics[k].help);
		for (unsigned i = 0; i < d->sess->n_peers; i++) {
			const struct peer *p = d->sess->peers[i];
			mprintf(m, "%s", peer_metrics[k].name);
			peer_labels(m, p, NULL);
			mprintf(m, " %.15g\n", peer_metrics[k].fn(d, p));
		}
	}
	help(m, "pharos_peer_routes_refused_total", "counter",
	     "Routes refused on import, by reason");
	for (unsigned i = 0; i < d->sess->n_peers; i++) {
		const struct peer *p = d->sess->peers[i];
		const struct {
			const char *why;
			uint64_t n;
		} r[] = {{"as_loop", p->loop_refused},
			 {"first_as", p->first_as_refused},
			 {"policy", p->policy_refused},
			 {"default_route", p->default_refused},
			 {"martian", p->martian_refused},
			 {"rpki_invalid", p->rpki_refused}};
		for (unsigned k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
			char extra[48];
			snprintf(extra, sizeof(extra), "reason=\"%s\"", r[k].why);
			mprintf(m, "pharos_peer_routes_refused_total");
			peer_labels(m, p, extra);
			mprintf(m, " %llu\n", (unsigned long long)r[k].n);
		}
	}
}

/* cumulative: counts[] are per bucket (false) or already cumulative. */
static void put_histogram(struct mbuf *m, const char *name, const char *text,
			  const uint64_t *counts, const double *bounds,
			  unsigned n, bool cumulative, uint64_t count,
			  double sum)
{
	uint64_t c = 0;

	help(m, name, "histogram", text);
	for (unsigned i = 0; i < n; i++) {
		c = cumulative ? counts[i] : c + counts[i];
		mprintf(m, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
			(unsigned long long)c);
	}
	mprintf(m, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)count);
	mprintf(m, "%s_sum %.9g\n", name, sum);
	mprintf(m, "%s_count %llu\n", name, (unsigned long long)count);
}

static void put_rib(struct mbuf *m, struct api_host *d)
{
	struct rib_stats st;

	rib_stats(d->rib, &st);
	help(m, "pharos_rib_prefixes", "gauge", "Prefixes in the loc-RIB");
	mprintf(m, "pharos_rib_prefixes{afi=\"ipv4\"} %zu\n", st.prefixes[AFI_IPV4]);
	mprintf(m, "pharos_rib_prefixes{afi=\"ipv6\"} %zu\n", st.prefixes[AFI_IPV6]);
	help(m, "pharos_rib_paths", "gauge", "Paths (routes) in the RIB");
	mprintf(m, "pharos_rib_paths %zu\n", st.paths);
	help(m, "pharos_rib_attribute_sets", "gauge", "Distinct interned attribute sets");
	mprintf(m, "pharos_rib_attribute_sets %zu\n", st.attrs);
	help(m, "pharos_rib_bytes", "gauge", "Memory held by the RIB");
	mprintf(m, "pharos_rib_bytes %zu\n", st.bytes);
	help(m, "pharos_rib_bytes_per_route", "gauge", "RIB memory divided by the number of paths");
	mprintf(m, "pharos_rib_bytes_per_route %.1f\n",
		st.paths ? (double)st.bytes / (double)st.paths : 0.0);
	help(m, "pharos_export_update_groups", "gauge", "Update groups (peers sharing the same output)");
	mprintf(m, "pharos_export_update_groups %zu\n", export_groups(d->ex));
	help(m, "pharos_export_adj_out_bytes", "gauge", "Memory held by the adj-RIBs-out of the update groups");
	mprintf(m, "pharos_export_adj_out_bytes %zu\n", export_bytes(d->ex));
}

/* Large API replies (api_stream.h): in progress, memory, refusals. */
static void put_api_large(struct mbuf *m, struct api_host *d)
{
	size_t n = 0, bytes = 0;

	api_slots_stats(d->api, &n, &bytes);
	help(m, "pharos_api_large_replies", "gauge", "Large API replies (routes, adj-RIB-in/out, tables, MRT) being streamed");
	mprintf(m, "pharos_api_large_replies %zu\n", n);
	help(m, "pharos_api_large_replies_limit", "gauge", "Large API replies streamed at once at most (per client address: half)");
	mprintf(m, "pharos_api_large_replies_limit %u\n", API_LARGE_MAX);
	help(m, "pharos_api_large_reply_bytes", "gauge", "Memory held by the large API replies being streamed");
	mprintf(m, "pharos_api_large_reply_bytes %zu\n", bytes);
	help(m, "pharos_api_large_reply_limit_bytes", "gauge", "Memory the large API replies may hold at most");
	mprintf(m, "pharos_api_large_reply_limit_bytes %u\n", API_LARGE_BYTES);
	help(m, "pharos_api_large_refused_total", "counter", "Large API requests answered 503 (over a limit)");
	mprintf(m, "pharos_api_large_refused_total %llu\n",
		(unsigned long long)(d->api ? d->api->slots_refused : 0));
}

static void put_totals(struct mbuf *m, struct api_host *d)
{
	uint64_t in = 0, out = 0;
	size_t qmax = 0, hwm = 0;

	for (unsigned i = 0; i < d->sess->n_peers; i++) {
		const struct peer *p = d->sess->peers[i];
		size_t q = (size_t)v_outq(d, p);
		in += p->updates_in;
		out += p->updates_out;
		if (q > qmax)
			qmax = q;
		if (p->outq_hwm > hwm)
			hwm = p->outq_hwm;
	}
	help(m, "pharos_updates_received_total", "counter", "UPDATE messages received from all peers");
	mprintf(m, "pharos_updates_received_total %llu\n", (unsigned long long)in);
	help(m, "pharos_updates_sent_total", "counter", "UPDATE messages queued to all peers");
	mprintf(m, "pharos_updates_sent_total %llu\n", (unsigned long long)out);
	help(m, "pharos_output_queue_bytes_max", "gauge", "Largest output queue of any peer");
	mprintf(m, "pharos_output_queue_bytes_max %zu\n", qmax);
	help(m, "pharos_output_queue_bytes_hwm", "gauge", "Largest output queue of any peer since pharosd started");
	mprintf(m, "pharos_output_queue_bytes_hwm %zu\n", hwm);
	/* every queue's limit next to its fill (docs/security.md) */
	help(m, "pharos_output_queue_limit_bytes", "gauge", "Output queue bytes of a peer at which export to it pauses");
	mprintf(m, "pharos_output_queue_limit_bytes %u\n", CONN_OUTQ_BOUND);
	help(m, "pharos_events_held", "gauge", "Events kept in the ring for the API");
	mprintf(m, "pharos_events_held %zu\n", events_held(d->events));
	help(m, "pharos_events_limit", "gauge", "Capacity of the events ring (oldest dropped beyond)");
	mprintf(m, "pharos_events_limit %zu\n", events_capacity(d->events));
	help(m, "pharos_mrt_buffered_limit_bytes", "gauge", "MRT update log bytes held at most before updates are dropped");
	mprintf(m, "pharos_mrt_buffered_limit_bytes %u\n", MRT_GLUE_UPD_BOUND);
	help(m, "pharos_api_body_limit_bytes", "gauge", "Largest API request body accepted");
	mprintf(m, "pharos_api_body_limit_bytes %u\n", API_MAX_BODY);
	help(m, "pharos_refused_connections_total", "counter", "Connections from unconfigured addresses");
	mprintf(m, "pharos_refused_connections_total %llu\n",
		(unsigned long long)d->sess->refused_connections);
	put_api_large(m, d);
}

static void put_measured(struct mbuf *m, struct api_host *d)
{
	struct metrics *x = d->metrics;

	if (!x)
		return;
	put_histogram(m, "pharos_convergence_seconds",
		      "Time from the first UPDATE of a loop turn to the export flush",
		      x->convergence.counts, metrics_buckets, METRICS_NBUCKETS,
		      false, x->convergence.count, x->convergence.sum);
	help(m, "pharos_api_requests_total", "counter", "API requests answered, by HTTP status code");
	for (unsigned i = 0; i < x->n_codes; i++)
		mprintf(m, "pharos_api_requests_total{code=\"%u\"} %llu\n",
			x->codes[i].code, (unsigned long long)x->codes[i].n);
	count_new_events(x);
	help(m, "pharos_events_total", "counter", "Events emitted, by type");
	for (unsigned i = 0; i < x->n_events; i++) {
		mprintf(m, "pharos_events_total{type=\"");
		put_label(m, x->events[i].type);
		mprintf(m, "\"} %llu\n", (unsigned long long)x->events[i].n);
	}
	if (x->events_lost)
		mprintf(m, "pharos_events_total{type=\"uncounted\"} %llu\n",
			(unsigned long long)x->events_lost);
}

static void put_fabric(struct mbuf *m, struct api_host *d)
{
	const struct fabric_prog *fp = fabric_live_prog(d->fglue);
	double bounds[FABRIC_LAT_BUCKETS];
	const struct fabric_agent *ag;
	size_t n = 0, polls, streams;

	if (!fp)
		return;
	help(m, "pharos_fabric_version", "gauge", "Last committed version of the fabric's programming");
	mprintf(m, "pharos_fabric_version %llu\n", (unsigned long long)fp->version);
	for (unsigned i = 0; i < FABRIC_LAT_BUCKETS; i++)
		bounds[i] = fabric_lat_bound(i);
	put_histogram(m, "pharos_fabric_programming_seconds",
		      "Time from the first loc-RIB change of a loop turn to the fabric commit",
		      fp->bucket, bounds, FABRIC_LAT_BUCKETS, true, fp->commits,
		      fp->sum_s);
	uint64_t nh_total = 0;
	size_t nh_now = fab_invalid_next_hops(fabric_live_fabric(d->fglue),
					      &nh_total);
	help(m, "pharos_fabric_invalid_next_hops", "gauge", "BGP routes the fabric holds Invalid because a next hop is outside every VNet or a load balancer that is down");
	mprintf(m, "pharos_fabric_invalid_next_hops %zu\n", nh_now);
	help(m, "pharos_fabric_invalid_next_hops_total", "counter", "BGP routes that became Invalid because of a next hop");
	mprintf(m, "pharos_fabric_invalid_next_hops_total %llu\n", (unsigned long long)nh_total);
	api_fabric_held(d->api, &polls, &streams);
	help(m, "pharos_api_long_polls_held", "gauge", "Fabric delta long polls held, waiting for a newer version");
	mprintf(m, "pharos_api_long_polls_held %zu\n", polls);
	help(m, "pharos_api_streams_open", "gauge", "Fabric delta streams (server-sent events) open");
	mprintf(m, "pharos_api_streams_open %zu\n", streams);
	ag = fabric_agents(d->fglue, &n);
	help(m, "pharos_fabric_agent_version", "gauge", "Last fabric version each host agent acknowledged");
	for (size_t i = 0; ag && i < n; i++) {
		mprintf(m, "pharos_fabric_agent_version{agent=\"");
		put_label(m, ag[i].agent);
		mprintf(m, "\",subnet=\"");
		put_label(m, ag[i].subnet);
		mprintf(m, "\"} %llu\n", (unsigned long long)ag[i].version);
	}
}

static void put_mrt(struct mbuf *m, struct api_host *d)
{
	struct mrt_glue_stats st;

	d->hooks.mrt_stats(d->hooks.ctx, &st);
	help(m, "pharos_mrt_rib_dumps_total", "counter", "Periodic MRT RIB dump files written");
	mprintf(m, "pharos_mrt_rib_dumps_total %llu\n", (unsigned long long)st.rib_dumps);
	help(m, "pharos_mrt_write_errors_total", "counter", "MRT files that could not be opened or written");
	mprintf(m, "pharos_mrt_write_errors_total %llu\n", (unsigned long long)st.write_errors);
	help(m, "pharos_mrt_updates_logged_total", "counter", "UPDATEs logged as BGP4MP records");
	mprintf(m, "pharos_mrt_updates_logged_total %llu\n", (unsigned long long)st.updates_logged);
	help(m, "pharos_mrt_updates_dropped_total", "counter", "UPDATEs not logged because the MRT buffer was full");
	mprintf(m, "pharos_mrt_updates_dropped_total %llu\n", (unsigned long long)st.updates_dropped);
	help(m, "pharos_mrt_buffered_bytes", "gauge", "MRT bytes waiting to be written");
	mprintf(m, "pharos_mrt_buffered_bytes %zu\n", st.buffered);
}

/* One line per BMP collector for each metric. */
static void put_bmp(struct mbuf *m, struct api_host *d)
{
	static const struct {
		const char *name, *type, *text;
	} mt[] = {
		{"pharos_bmp_collector_up", "gauge", "BMP collector connected (1) or not (0)"},
		{"pharos_bmp_messages_total", "counter", "BMP messages queued for the collector"},
		{"pharos_bmp_bytes_total", "counter", "BMP bytes written to the collector"},
		{"pharos_bmp_drops_total", "counter", "BMP connections dropped because the send queue was full"},
		{"pharos_bmp_connects_total", "counter", "BMP connections established"},
		{"pharos_bmp_queue_bytes", "gauge", "BMP bytes waiting to be written"},
		{"pharos_bmp_dumping", "gauge", "BMP table dump in progress (1) or not (0)"},
	};
	unsigned n = bmp_n_collectors(d->bmp);

	if (!n)
		return;
	for (unsigned k = 0; k < sizeof(mt) / sizeof(mt[0]); k++) {
		help(m, mt[k].name, mt[k].type, mt[k].text);
		for (unsigned i = 0; i < n; i++) {
			struct bmp_collector_stats st;
			unsigned long long v[] = {0, 0, 0, 0, 0, 0, 0};

			bmp_collector_stats(d->bmp, i, &st);
			v[0] = st.up;
			v[1] = st.messages;
			v[2] = st.bytes;
			v[3] = st.drops;
			v[4] = st.connects;
			v[5] = st.queued;
			v[6] = st.dumping;
			mprintf(m, "%s{collector=\"", mt[k].name);
			put_label(m, st.name);
			mprintf(m, "\"} %llu\n", v[k]);
		}
	}
}

/* RPKI origin validation (route_server.rpki): nothing when it is off. */
static void put_rpki(struct mbuf *m, struct api_host *d)
{
	static const char *const states[] = {"", "valid", "invalid", "not_found"};
	struct rpki_stats st = {0};
	size_t counts[4];

	if (d->hooks.rpki_stats)
		d->hooks.rpki_stats(d->hooks.ctx, &st);
	if (!st.enabled)
		return;
	rpki_count_states(d->sess, counts);
	help(m, "pharos_rpki_routes", "gauge", "Routes in the RIB by RPKI origin validation state (RFC 6811)");
	for (int i = 1; i < 4; i++)
		mprintf(m, "pharos_rpki_routes{state=\"%s\"} %zu\n", states[i],
			counts[i]);
	help(m, "pharos_rpki_roas", "gauge", "ROAs (validated prefix-origin records) held from the RTR caches");
	mprintf(m, "pharos_rpki_roas{afi=\"ipv4\"} %zu\n", st.roas[AFI_IPV4]);
	mprintf(m, "pharos_rpki_roas{afi=\"ipv6\"} %zu\n", st.roas[AFI_IPV6]);
	help(m, "pharos_rpki_cache_up", "gauge", "1 while the RTR cache is connected and synchronised");
	for (unsigned i = 0; i < st.n_caches; i++) {
		mprintf(m, "pharos_rpki_cache_up{cache=\"");
		put_label(m, st.caches[i].name);
		mprintf(m, "\"} %d\n", st.caches[i].up ? 1 : 0);
	}
	help(m, "pharos_rpki_revalidations_total", "counter", "Revalidations run after the caches' ROAs changed");
	mprintf(m, "pharos_rpki_revalidations_total %llu\n", (unsigned long long)st.revalidations);
	help(m, "pharos_rpki_state_changes_total", "counter", "Routes whose RPKI state a revalidation changed");
	mprintf(m, "pharos_rpki_state_changes_total %llu\n", (unsigned long long)st.changed);
}

/* The NATS publisher's counters, as it writes them (daemon/publish.c). */
static void put_bus(struct mbuf *m, struct api_host *d)
{
	char *text = d->hooks.bus_metrics ? d->hooks.bus_metrics(d->hooks.ctx) :
					    NULL;

	if (text)
		mprintf(m, "%s", text);
	free(text);
}

static void put_process(struct mbuf *m, struct api_host *d)
{
	unsigned long long pages_total = 0, pages_rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%llu %llu", &pages_total, &pages_rss) != 2)
			pages_rss = 0;
		fclose(f);
	}
	help(m, "pharos_process_resident_memory_bytes", "gauge", "Resident memory of pharosd");
	mprintf(m, "pharos_process_resident_memory_bytes %llu\n",
		pages_rss * (unsigned long long)sysconf(_SC_PAGESIZE));
	help(m, "pharos_uptime_seconds", "gauge", "Seconds since pharosd started");
	mprintf(m, "pharos_uptime_seconds %.0f\n", ev_now(d->loop) - d->started);
	help(m, "pharos_build_info", "gauge", "Version of pharosd (value 1)");
	mprintf(m, "pharos_build_info{version=\"%s\"} 1\n", PHAROS_VERSION);
}

/* The scheduled drills' gauges, written by the daemon. */
static void put_drills(struct mbuf *m, struct api_host *d)
{
	char *t = d->hooks.drill_metrics ? d->hooks.drill_metrics(d->hooks.ctx)
					 : NULL;

	if (t)
		mprintf(m, "%s", t);
	free(t);
}

char *api_metrics_text(struct api_host *d)
{
	struct mbuf m = {0};

	m.cap = 16384;
	m.p = malloc(m.cap);
	if (!m.p)
		return NULL;
	m.p[0] = 0;
	put_peers(&m, d);
	put_rib(&m, d);
	put_totals(&m, d);
	put_measured(&m, d);
	put_fabric(&m, d);
	put_mrt(&m, d);
	put_bmp(&m, d);
	put_drills(&m, d);
	put_rpki(&m, d);
	put_bus(&m, d);
	put_process(&m, d);
	return m.p;
}
