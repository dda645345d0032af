/*
 * api.h - the control API of pharosd: HTTP/JSON over libmicrohttpd, run
 * inside the daemon's libev loop (no thread of its own), so handlers read
 * daemon state directly. Endpoints under /api/v1: status, peers, one
 * peer, its adj-in and adj-out, routes, events; POST disable, enable and
 * refresh on a peer (bearer token from api.token_file).
 */
#ifndef PHAROS_API_API_H
#define PHAROS_API_API_H

#include <jansson.h>
#include <stdbool.h>

#include "daemon/daemon.h"

struct api;

/* Listen on d->conf->api.listen. Returns NULL (after logging) on error. */
struct api *api_start(struct daemon *d);
void api_stop(struct api *api);

/* JSON builders (api_json.c), also usable by tests. */
struct peer;
json_t *api_status_json(struct daemon *d);
json_t *api_peer_json(struct daemon *d, const struct peer *p);
json_t *api_peers_json(struct daemon *d);
/* routes: prefix/match/peer may be NULL; limit 0 = no limit. Returns NULL
 * with a message in err for a bad argument. */
json_t *api_routes_json(struct daemon *d, const char *prefix,
			const char *match, const char *peer, size_t limit,
			char *err, size_t errlen);
json_t *api_adj_in_json(struct daemon *d, const struct peer *p);
json_t *api_adj_out_json(struct daemon *d, const struct peer *p);
/* Prometheus text for GET /metrics (metrics.c); caller frees. */
char *api_metrics_text(struct daemon *d);

#endif
