/*
 * metrics.c - Prometheus text exposition (version 0.0.4) of pharosd's
 * counters at GET /metrics: session state, flaps, per-peer route counts,
 * refused routes, max-prefix hits, RIB size and memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "bgp/peer.h"

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

typedef uint64_t (*peer_val)(const struct daemon *d, const struct peer *p);

static uint64_t v_state(const struct daemon *d, const struct peer *p) { return p->state; }
static uint64_t v_up(const struct daemon *d, const struct peer *p) { return p->state == PS_ESTABLISHED; }
static uint64_t v_flaps(const struct daemon *d, const struct peer *p) { return p->flaps; }
static uint64_t v_rcvd(const struct daemon *d, const struct peer *p) { return peer_prefixes_received(p); }
static uint64_t v_acc(const struct daemon *d, const struct peer *p) { return peer_prefixes_accepted(p); }
static uint64_t v_adv(const struct daemon *d, const struct peer *p)
{
	return p->export_up ? export_peer_advertised(d->ex, p->rib_id) : 0;
}
static uint64_t v_maxpfx(const struct daemon *d, const struct peer *p) { return p->max_prefix_hits; }
static uint64_t v_default(const struct daemon *d, const struct peer *p) { return p->default_refused; }
static uint64_t v_updates(const struct daemon *d, const struct peer *p) { return p->updates_in; }
static uint64_t v_taw(const struct daemon *d, const struct peer *p) { return p->treat_as_withdraw; }

static const struct {
	const char *name, *type, *help;
	peer_val fn;
} peer_metrics[] = {
	{"pharos_peer_state", "gauge", "FSM state: 0 idle, 1 connect, 2 active, 3 opensent, 4 openconfirm, 5 established", v_state},
	{"pharos_peer_up", "gauge", "1 when the session is established", v_up},
	{"pharos_peer_flaps_total", "counter", "Sessions that went down after being established", v_flaps},
	{"pharos_peer_prefixes_received", "gauge", "Prefixes the peer currently announces", v_rcvd},
	{"pharos_peer_prefixes_accepted", "gauge", "Prefixes of the peer in the RIB", v_acc},
	{"pharos_peer_prefixes_advertised", "gauge", "Prefixes advertised to the peer", v_adv},
	{"pharos_peer_max_prefix_hits_total", "counter", "Sessions dropped for exceeding max_prefixes", v_maxpfx},
	{"pharos_peer_default_routes_refused_total", "counter", "Default routes refused (accept_default false)", v_default},
	{"pharos_peer_updates_received_total", "counter", "UPDATE messages received", v_updates},
	{"pharos_peer_treat_as_withdraw_total", "counter", "Malformed UPDATEs handled as withdraw (RFC 7606)", v_taw},
};

char *api_metrics_text(struct daemon *d)
{
	struct mbuf m = {0};
	struct rib_stats st;

	m.cap = 4096;
	m.p = malloc(m.cap);
	if (!m.p)
		return NULL;
	m.p[0] = 0;
	for (size_t k = 0; k < sizeof(peer_metrics) / sizeof(peer_metrics[0]); k++) {
		help(&m, peer_metrics[k].name, peer_metrics[k].type, peer_metrics[k].help);
		for (unsigned i = 0; i < d->n_peers; i++) {
			const struct peer *p = d->peers[i];
			mprintf(&m, "%s{peer=\"%s\",kind=\"%s\"} %llu\n",
				peer_metrics[k].name, p->name,
				peer_kind_name(p->cf->kind),
				(unsigned long long)peer_metrics[k].fn(d, p));
		}
	}
	rib_stats(d->rib, &st);
	help(&m, "pharos_rib_prefixes", "gauge", "Prefixes in the loc-RIB");
	mprintf(&m, "pharos_rib_prefixes{afi=\"ipv4\"} %zu\n", st.prefixes[AFI_IPV4]);
	mprintf(&m, "pharos_rib_prefixes{afi=\"ipv6\"} %zu\n", st.prefixes[AFI_IPV6]);
	help(&m, "pharos_rib_paths", "gauge", "Paths (routes) in the RIB");
	mprintf(&m, "pharos_rib_paths %zu\n", st.paths);
	help(&m, "pharos_rib_bytes", "gauge", "Memory held by the RIB");
	mprintf(&m, "pharos_rib_bytes %zu\n", st.bytes);
	help(&m, "pharos_refused_connections_total", "counter", "Connections from unconfigured addresses");
	mprintf(&m, "pharos_refused_connections_total %llu\n",
		(unsigned long long)d->refused_connections);
	help(&m, "pharos_uptime_seconds", "gauge", "Seconds since pharosd started");
	mprintf(&m, "pharos_uptime_seconds %.0f\n", ev_now(d->loop) - d->started);
	return m.p;
}
