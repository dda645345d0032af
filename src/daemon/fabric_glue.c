/*
 * fabric_glue.c - the daemon side of the fabric (see fabric_glue.h).
 *
 * The loop turn drains the loc-RIB change set once: every changed entry
 * goes to export and to the fabric, and the fabric commits one version at
 * the end of the drain. The time from the start of that turn (ev_now(),
 * when the UPDATE that caused the change was read) to the commit is the
 * programming latency kept for metrics and drills.
 */
#include "daemon/fabric_glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
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

struct fabric *daemon_fabric(const struct daemon *d)
{
	return d->fglue ? d->fglue->fab : NULL;
}

const struct fabric_prog *daemon_fabric_prog(const struct daemon *d)
{
	return d->fglue ? &d->fglue->prog : NULL;
}

static void notify(struct daemon *d, uint64_t version, bool rebuilt)
{
	struct fabric_glue *g = d->fglue;

	for (unsigned i = 0; i < FABRIC_MAX_LISTENERS; i++)
		if (g->listeners[i].cb)
			g->listeners[i].cb(d, version, rebuilt,
					   g->listeners[i].arg);
}

static void mark_committed(struct fabric_glue *g, uint64_t version)
{
	g->prog.version = version;
	g->prog.committed_at = ev_time();
	g->prog.committed_wall = time(NULL);
}

int fabric_glue_init(struct daemon *d)
{
	char err[256] = "";
	struct fabric_glue *g = calloc(1, sizeof(*g));

	if (!g)
		return -1;
	g->fab = fab_new(&d->conf->fabric, 1, err, sizeof(err));
	if (!g->fab) {
		log_err(&d->log, NULL, "fabric: %s", err);
		free(g);
		return -1;
	}
	d->fglue = g;
	if (rib_changes_pending(d->rib) == 0)
		mark_committed(g, fab_load_rib(g->fab, d->rib));
	else
		mark_committed(g, fab_version(g->fab));
	log_info(&d->log, NULL, "fabric: %zu VNets, %zu subnets, %zu NICs, "
		 "version %llu", fab_n_vnets(g->fab), fab_n_subnets(g->fab),
		 fab_n_nics(g->fab), (unsigned long long)g->prog.version);
	return 0;
}

void fabric_glue_free(struct daemon *d)
{
	struct fabric_glue *g = d->fglue;

	if (!g)
		return;
	for (size_t i = 0; i < g->n_agents; i++) {
		free(g->agents[i].agent);
		free(g->agents[i].subnet);
	}
	free(g->agents);
	fab_free(g->fab);
	free(g);
	d->fglue = NULL;
}

/* ------------------------------------------------------ loop turn */

void fabric_turn_begin(struct daemon *d)
{
	struct fabric_glue *g = d->fglue;

	if (!g || g->in_turn)
		return;
	g->in_turn = true;
	g->turn_start = ev_now(d->loop);
	fab_change_begin(g->fab);
}

void fabric_turn_change(struct daemon *d, const struct rentry *e)
{
	if (d->fglue && d->fglue->in_turn)
		fab_rib_change(e, 0, d->fglue->fab);
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

void fabric_turn_commit(struct daemon *d)
{
	struct fabric_glue *g = d->fglue;
	uint64_t before, after;

	if (!g || !g->in_turn)
		return;
	g->in_turn = false;
	before = fab_version(g->fab);
	after = fab_change_commit(g->fab);
	if (after == before)
		return;
	mark_committed(g, after);
	record_latency(&g->prog, g->prog.committed_at - g->turn_start);
	notify(d, after, false);
}

int fabric_glue_rebuild(struct daemon *d, const struct conf *c, char *err,
			size_t errlen)
{
	struct fabric_glue *g = d->fglue;
	struct fabric *nf;

	if (!g) {
		snprintf(err, errlen, "no fabric");
		return -1;
	}
	if (g->in_turn)
		fabric_turn_commit(d);
	nf = fab_new(&c->fabric, fab_version(g->fab) + 1, err, errlen);
	if (!nf)
		return -1;
	fab_load_rib(nf, d->rib);
	fab_free(g->fab);
	g->fab = nf;
	mark_committed(g, fab_version(nf));
	notify(d, g->prog.version, true);
	return 0;
}

/* ------------------------------------------------------ listeners */

int fabric_listen(struct daemon *d, fabric_listener_cb cb, void *arg)
{
	struct fabric_glue *g = d->fglue;

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

void fabric_unlisten(struct daemon *d, int id)
{
	if (d->fglue && id >= 0 && id < FABRIC_MAX_LISTENERS)
		memset(&d->fglue->listeners[id], 0,
		       sizeof(d->fglue->listeners[id]));
}

/* ------------------------------------------------------ agents */

static struct fabric_agent *agent_slot(struct fabric_glue *g,
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

int fabric_agent_ack(struct daemon *d, const char *agent, const char *subnet,
		     uint64_t version)
{
	struct fabric_agent *a;

	if (!d->fglue || !(a = agent_slot(d->fglue, agent, subnet)))
		return -1;
	a->version = version;
	a->acked_at = time(NULL);
	a->acked_mono = ev_time();
	return 0;
}

const struct fabric_agent *fabric_agents(const struct daemon *d, size_t *n)
{
	*n = d->fglue ? d->fglue->n_agents : 0;
	return d->fglue ? d->fglue->agents : NULL;
}
