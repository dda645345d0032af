/*
 * fabric_glue.c - the daemon side of the fabric (see fabric_glue.h).
 *
 * The loop turn drains the loc-RIB change set once: every changed entry
 * goes to export and to the fabric, and the fabric commits one version at
 * the end of the drain. The time from the start of that turn (ev_now(),
 * when the UPDATE that caused the change was read) to the commit is the
 * programming latency kept for metrics and drills.
 */
#include "fabric/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/events.h"
#include "base/log.h"
#include "rib/rib.h"
#include "fabric/fabric.h"

#define MAX_AGENTS 4096

static const double lat_bounds[FABRIC_LAT_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025,	0.05,	 0.1,	 0.25,	0.5,	1.0,   10.0,
};

double fabric_lat_bound(unsigned i)
{
	return i < FABRIC_LAT_BUCKETS ? lat_bounds[i] : 0;
}

struct fabric *fabric_live_fabric(const struct fabric_live *g)
{
	return g ? g->fab : NULL;
}

const struct fabric_prog *fabric_live_prog(const struct fabric_live *g)
{
	return g ? &g->prog : NULL;
}

static void notify(struct fabric_live *g, uint64_t version, bool rebuilt)
{
	for (unsigned i = 0; i < FABRIC_MAX_LISTENERS; i++)
		if (g->listeners[i].cb)
			g->listeners[i].cb(g->listeners[i].arg, version,
					   rebuilt);
}

static void mark_committed(struct fabric_live *g, uint64_t version)
{
	g->prog.version = version;
	g->prog.committed_at = ev_time();
	g->prog.committed_wall = time(NULL);
}

static void nh_events(struct fabric_live *g);

struct fabric_live *fabric_live_new(const struct conf_fabric *cf,
				    struct rib *rib, struct ev_loop *loop,
				    struct log *log)
{
	char err[256] = "";
	struct fabric_live *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->rib = rib;
	g->loop = loop;
	g->log = log;
	g->fab = fab_new(cf, 1, err, sizeof(err));
	if (!g->fab) {
		log_err(log, NULL, "fabric: %s", err);
		free(g);
		return NULL;
	}
	fab_bind_rib(g->fab, rib);
	if (rib_changes_pending(rib) == 0) {
		mark_committed(g, fab_load_rib(g->fab, rib));
		nh_events(g);
	} else
		mark_committed(g, fab_version(g->fab));
	log_info(log, NULL, "fabric: %zu VNets, %zu subnets, %zu NICs, "
		 "version %llu", fab_n_vnets(g->fab), fab_n_subnets(g->fab),
		 fab_n_nics(g->fab), (unsigned long long)g->prog.version);
	return g;
}

void fabric_live_free(struct fabric_live *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_agents; i++) {
		free(g->agents[i].agent);
		free(g->agents[i].subnet);
	}
	free(g->agents);
	fab_free(g->fab);
	free(g);
}

/* ------------------------------------------------------ loop turn */

void fabric_turn_begin(struct fabric_live *g)
{
	if (!g || g->in_turn)
		return;
	g->in_turn = true;
	g->turn_start = ev_now(g->loop);
	fab_change_begin(g->fab);
}

void fabric_turn_change(struct fabric_live *g, const struct rentry *e,
			uint32_t id)
{
	if (g && g->in_turn)
		fab_rib_change(e, id, g->fab);
}

void fabric_turn_skip(struct fabric_live *g)
{
	if (g)
		fab_unbind_rib(g->fab);
}

static void record_latency(struct fabric_prog *p, double s)
{
	if (s < 0)
		s = 0;
	p->commits++;
	p->last_s = s;
	p->sum_s += s;
	if (s > p->max_s)
		p->max_s = s;
	for (unsigned i = 0; i < FABRIC_LAT_BUCKETS; i++)
		if (s <= lat_bounds[i])
			p->bucket[i]++;
}

static void nh_event(void *arg, const struct fab_nh_event *e)
{
	struct fabric_live *g = arg;
	char p[PREFIX_STRLEN], a[ADDR_STRLEN];
	json_t *x = json_object();

	prefix_fmt(&e->prefix, p, sizeof(p));
	addr_fmt(&e->next_hop, a, sizeof(a));
	json_object_set_new(x, "prefix", json_string(p));
	json_object_set_new(x, "next_hop", json_string(a));
	log_warn(g->log, NULL, "fabric: route %s is Invalid: next hop %s: %s",
		 p, a, fab_reason_text(e->reason));
	if (g->events)
		events_emit_json(g->events, "next_hop_invalid", NULL, x,
				 fab_reason_text(e->reason));
	else
		json_decref(x);
}

/* Events for the routes the last commit made Invalid by a next hop. */
static void nh_events(struct fabric_live *g)
{
	size_t lost = 0;

	fab_nh_events_take(g->fab, nh_event, g, &lost);
	if (lost && g->events)
		events_emit(g->events, "next_hop_invalid", NULL,
			    "%zu more routes became Invalid by a next hop",
			    lost);
}

void fabric_turn_commit(struct fabric_live *g)
{
	uint64_t before, after;

	if (!g || !g->in_turn)
		return;
	g->in_turn = false;
	before = fab_version(g->fab);
	after = fab_change_commit(g->fab);
	nh_events(g);
	if (after == before)
		return;
	mark_committed(g, after);
	record_latency(&g->prog, g->prog.committed_at - g->turn_start);
	notify(g, after, false);
}

int fabric_live_rebuild(struct fabric_live *g, const struct conf *c, char *err,
			size_t errlen)
{
	struct fabric *nf;

	if (!g) {
		snprintf(err, errlen, "no fabric");
		return -1;
	}
	if (g->in_turn)
		fabric_turn_commit(g);
	nf = fab_new(&c->fabric, fab_version(g->fab) + 1, err, errlen);
	if (!nf)
		return -1;
	fab_bind_rib(nf, g->rib);
	fab_load_rib(nf, g->rib);
	fab_free(g->fab);
	g->fab = nf;
	nh_events(g);
	mark_committed(g, fab_version(nf));
	notify(g, g->prog.version, true);
	return 0;
}

/* ------------------------------------------------------ listeners */

int fabric_listen(struct fabric_live *g, fabric_listener_cb cb, void *arg)
{
	if (!g)
		return -1;
	for (int i = 0; i < FABRIC_MAX_LISTENERS; i++)
		if (!g->listeners[i].cb) {
			g->listeners[i].cb = cb;
			g->listeners[i].arg = arg;
			return i;
		}
	return -1;
}

void fabric_unlisten(struct fabric_live *g, int id)
{
	if (g && id >= 0 && id < FABRIC_MAX_LISTENERS)
		memset(&g->listeners[id], 0,
		       sizeof(g->listeners[id]));
}

/* ------------------------------------------------------ agents */

static struct fabric_agent *agent_slot(struct fabric_live *g,
				       const char *agent, const char *subnet)
{
	size_t oldest = 0;

	for (size_t i = 0; i < g->n_agents; i++) {
		if (!strcmp(g->agents[i].agent, agent) &&
		    !strcmp(g->agents[i].subnet, subnet))
			return &g->agents[i];
		if (g->agents[i].acked_mono < g->agents[oldest].acked_mono)
			oldest = i;
	}
	if (g->n_agents == MAX_AGENTS) { /* forget the longest silent one */
		free(g->agents[oldest].agent);
		free(g->agents[oldest].subnet);
		g->agents[oldest] = g->agents[--g->n_agents];
	}
	if (g->n_agents == g->cap_agents) {
		size_t nc = g->cap_agents ? g->cap_agents * 2 : 16;
		struct fabric_agent *na = realloc(g->agents, nc * sizeof(*na));
		if (!na)
			return NULL;
		g->agents = na;
		g->cap_agents = nc;
	}
	struct fabric_agent *a = &g->agents[g->n_agents];
	memset(a, 0, sizeof(*a));
	a->agent = strdup(agent);
	a->subnet = strdup(subnet);
	if (!a->agent || !a->subnet) {
		free(a->agent);
		free(a->subnet);
		return NULL;
	}
	g->n_agents++;
	return a;
}

int fabric_agent_ack(struct fabric_live *g, const char *agent, const char *subnet,
		     uint64_t version, uint64_t failed, const char *error)
{
	struct fabric_agent *a;
	size_t k = 0;

	if (!g || !(a = agent_slot(g, agent, subnet)))
		return -1;
	a->version = version;
	a->acked_at = time(NULL);
	a->acked_wall = ev_time();
	a->acked_mono = ev_time();
	a->failed = failed;
	/* the text is the agent's: printable ASCII only */
	for (const char *p = failed && error ? error : ""; *p &&
	     k + 1 < sizeof(a->error); p++)
		a->error[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	a->error[k] = 0;
	return 0;
}

const struct fabric_agent *fabric_agents(const struct fabric_live *g, size_t *n)
{
	*n = g ? g->n_agents : 0;
	return g ? g->agents : NULL;
}
