/*
 * api.h - the control API of pharosd: HTTP/JSON over libmicrohttpd, run
 * inside the daemon's libev loop (no thread of its own), so handlers read
 * daemon state directly through struct api_host, and ask the daemon for
 * reloads and drills through its hooks. Endpoints under /api/v1: status,
 * peers, one
 * peer, its adj-in and adj-out, routes, events; POST disable, enable and
 * refresh on a peer (bearer token from api.token_file).
 */
#ifndef PHAROS_API_API_H
#define PHAROS_API_API_H

#include <jansson.h>
#include <stdbool.h>

#include <ev.h>

#include "base/events.h"
#include "base/log.h"
#include "conf/conf.h"
#include "bmp/bmp.h"
#include "mrt/mrt_dump.h"
#include "out/export.h"
#include "rib/rib.h"
#include "session/session.h"

struct fabric_live;
struct metrics;

/* What the API asks of the daemon above it (src/daemon/ wires them). */
/* RPKI origin validation (route_server.rpki), for the metrics. */
#define RPKI_STATS_CACHES 16
struct rpki_stats {
	bool enabled;
	size_t roas[3]; /* [AFI_IPV4], [AFI_IPV6] */
	unsigned n_caches;
	struct {
		char name[80]; /* "ADDRESS:PORT" */
		bool up; /* synchronised */
	} caches[RPKI_STATS_CACHES];
	uint64_t revalidations; /* runs after ROA changes */
	uint64_t changed; /* paths whose state they changed */
};

struct api_hooks {
	/* Reload the configuration file (check: only say what would change):
	 * the reply and its HTTP status. */
	json_t *(*reload)(void *ctx, bool check, int *status);
	/* Start a drill from the request body: its id, or 0 with the HTTP
	 * status and a message in err. */
	unsigned (*drill_start)(void *ctx, json_t *req, int *status,
				char *err, size_t errlen);
	json_t *(*drills_json)(void *ctx);
	/* One drill as JSON, or as an SVG timeline; NULL: no such drill. */
	json_t *(*drill_json)(void *ctx, unsigned id);
	char *(*drill_svg)(void *ctx, unsigned id);
	/* Routing assurance (src/daemon/assure.c): the drill schedules,
	 * one schedule's history (NULL: no such drill), a what-if (the
	 * request body; the reply and its HTTP status), a symmetry check
	 * (nic NULL: every pair), and the scheduled drills' metrics text. */
	json_t *(*drill_schedule)(void *ctx);
	json_t *(*drill_history)(void *ctx, const char *name);
	json_t *(*whatif)(void *ctx, json_t *req, int *status);
	json_t *(*symmetry)(void *ctx, json_t *query, int *status);
	char *(*drill_metrics)(void *ctx);
	/* The MRT output's counters. */
	void (*mrt_stats)(void *ctx, struct mrt_glue_stats *st);
	/* RPKI validation's counters (NULL or enabled false: not configured). */
	void (*rpki_stats)(void *ctx, struct rpki_stats *st);
	/* Prometheus text of the NATS publisher (malloc'd, may be ""). */
	char *(*bus_metrics)(void *ctx);
	void *ctx;
};

/* The daemon as the API sees it: what the API reads (the daemon keeps
 * these pointers valid while the API runs) and the hooks above. */
struct api_host {
	struct ev_loop *loop;
	struct conf *conf;
	struct log *log;
	struct events *events;
	struct rib *rib;
	struct exporter *ex;
	struct session *sess; /* the peers */
	struct fabric_live *fglue;
	struct metrics *metrics;
	struct bmp *bmp; /* BMP collectors, for metrics */
	struct api *api; /* the server (api_start's result) */
	ev_tstamp started; /* ev_now at start */
	struct api_hooks hooks;
};

struct api;

/* Listen on d->conf->api.listen. Returns NULL (after logging) on error. */
struct api *api_start(struct api_host *d);
void api_stop(struct api *api);

/* JSON builders (api_json.c), also usable by tests. */
struct peer;
json_t *api_status_json(struct api_host *d);
json_t *api_peer_json(struct api_host *d, const struct peer *p);
json_t *api_peers_json(struct api_host *d);
/* routes: prefix/match/peer may be NULL; limit 0 = no limit. Returns NULL
 * with a message in err for a bad argument. */
json_t *api_routes_json(struct api_host *d, const char *prefix,
			const char *match, const char *peer, size_t limit,
			char *err, size_t errlen);
/* Routes received but refused (keep_refused): every peer's, or peer's
 * only; at most limit (0: 1000) listed, in address order, with "total"
 * and "truncated". NULL with a message in err for an unknown peer. */
json_t *api_refused_json(struct api_host *d, const char *peer, size_t limit,
			 char *err, size_t errlen);

/* Prometheus text for GET /metrics (metrics.c); caller frees. */
char *api_metrics_text(struct api_host *d);

#endif
