/*
 * hooks.c - how the daemon wires the floors below it: struct session
 * (session/session.h) gets the daemon's loop, log, events, RIB and
 * exporter, and hooks for kick and for each UPDATE received (the MRT log,
 * the metrics); struct api_host (api/api.h) gets what the API reads and
 * hooks for reload, drills and the MRT counters. No floor below calls
 * the daemon except through these.
 */
#include "api/api.h"
#include "api/metrics.h"
#include "bmp/bmp.h"
#include "daemon/daemon.h"
#include "daemon/assure.h"
#include "daemon/drill.h"
#include "daemon/drill_sched.h"
#include "daemon/mrt_glue.h"
#include "daemon/publish.h"
#include "daemon/reload.h"
#include "daemon/rpki_mgr.h"

/* ------------------------------------------------- the session's hooks */

static void hook_kick(void *ctx)
{
	daemon_kick(ctx);
}

static void hook_update_in(void *ctx, const struct conn *c,
			   const uint8_t *msg, size_t len)
{
	struct daemon *d = ctx;

	mrt_glue_update(d, c, msg, len);
	metrics_update_in(&d->apih);
	bmp_update_in(d->bmp, c, msg, len);
}

static void hook_peer_up(void *ctx, const struct peer *p, const struct conn *c)
{
	struct daemon *d = ctx;

	bmp_peer_up(d->bmp, p, c);
}

static void hook_peer_down(void *ctx, const struct peer *p,
			   const struct session_down *why)
{
	struct daemon *d = ctx;

	bmp_peer_down(d->bmp, p, why);
}

void daemon_session_wire(struct daemon *d)
{
	struct session *s = &d->sess;

	s->loop = d->loop;
	s->conf = d->conf;
	s->log = &d->log;
	s->events = d->events;
	s->rib = d->rib;
	s->ex = d->ex;
	s->started_wall = d->started_wall;
	s->hooks.kick = hook_kick;
	s->hooks.update_in = hook_update_in;
	s->hooks.peer_up = hook_peer_up;
	s->hooks.peer_down = hook_peer_down;
	s->hooks.ctx = d;
}

/* ----------------------------------------------------- the API's hooks */

static json_t *hook_reload(void *ctx, bool check, int *status)
{
	return daemon_reload(ctx, check, status);
}

static unsigned hook_drill_start(void *ctx, json_t *req, int *status,
				 char *err, size_t errlen)
{
	return drill_start(ctx, req, status, err, errlen);
}

static json_t *hook_drills_json(void *ctx)
{
	return drills_json(ctx);
}

static json_t *hook_drill_json(void *ctx, unsigned id)
{
	const struct drill *dr = drill_find(ctx, id);

	return dr ? drill_json(dr) : NULL;
}

static char *hook_drill_svg(void *ctx, unsigned id)
{
	const struct drill *dr = drill_find(ctx, id);

	return dr ? drill_svg(dr) : NULL;
}

static json_t *hook_drill_schedule(void *ctx)
{
	return drill_sched_json(ctx);
}

static json_t *hook_drill_history(void *ctx, const char *name)
{
	return drill_sched_history(ctx, name);
}

static json_t *hook_whatif(void *ctx, json_t *req, int *status)
{
	return assure_whatif(ctx, req, status);
}

static json_t *hook_symmetry(void *ctx, json_t *query, int *status)
{
	return assure_symmetry(ctx, query, status);
}

static char *hook_drill_metrics(void *ctx)
{
	return drill_sched_metrics(ctx);
}

static void hook_mrt_stats(void *ctx, struct mrt_glue_stats *st)
{
	struct daemon *d = ctx;

	mrt_glue_stats(d->mrt, st);
}

static void hook_rpki_stats(void *ctx, struct rpki_stats *st)
{
	struct daemon *d = ctx;

	rpki_mgr_stats(d->rpki, st);
}

static char *hook_bus_metrics(void *ctx)
{
	struct daemon *d = ctx;

	return publisher_metrics(d->pub);
}

void daemon_api_wire(struct daemon *d)
{
	struct api_host *h = &d->apih;

	h->loop = d->loop;
	h->conf = d->conf;
	h->log = &d->log;
	h->events = d->events;
	h->rib = d->rib;
	h->ex = d->ex;
	h->sess = &d->sess;
	h->fglue = d->fglue;
	h->metrics = d->metrics;
	h->started = d->started;
	h->hooks.reload = hook_reload;
	h->hooks.drill_start = hook_drill_start;
	h->hooks.drills_json = hook_drills_json;
	h->hooks.drill_json = hook_drill_json;
	h->hooks.drill_svg = hook_drill_svg;
	h->hooks.mrt_stats = hook_mrt_stats;
	h->hooks.drill_schedule = hook_drill_schedule;
	h->hooks.drill_history = hook_drill_history;
	h->hooks.whatif = hook_whatif;
	h->hooks.symmetry = hook_symmetry;
	h->hooks.drill_metrics = hook_drill_metrics;
	h->hooks.rpki_stats = hook_rpki_stats;
	h->hooks.bus_metrics = hook_bus_metrics;
	h->hooks.ctx = d;
}
