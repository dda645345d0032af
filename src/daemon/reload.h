/*
 * reload.h - applying a new configuration file to a running pharosd
 * (SIGHUP and POST /api/v1/reload, DESIGN 1.4).
 *
 * The file is read and validated first; with any error the running
 * configuration stays. Otherwise peers are compared one by one: a changed
 * session setting resets that session, added peers start, removed peers
 * are shut down with Cease/Peer De-configured, and peers whose only changes
 * are limits or policy keep their session (import re-evaluated, export
 * re-sent). Route-server-wide knobs go to the RIB and the exporter.
 * Unchanged sessions are not touched.
 */
#ifndef PHAROS_CORE_RELOAD_H
#define PHAROS_CORE_RELOAD_H

#include <jansson.h>
#include <stdbool.h>

#include "daemon/daemon.h"

/*
 * Reload d->conf->path. Returns the reply as JSON (caller owns it) and
 * the HTTP status in *status: 200 with
 *   {"result":"ok","check":false,"peers":{"reset":[],"added":[],
 *    "removed":[],"unchanged":[],"updated":[],"reset_why":{NAME:WHY}},
 *    "rs_changed":[...],"warnings":[...]}
 * or 400 with {"result":"failed","check":false,"error":"...",
 * "errors":["FILE:LINE:COL: ..."],"warnings":[...]}. A "reload" event
 * says which. With check, the reply is the same but nothing is applied
 * ("check":true) and no event is raised.
 */
json_t *daemon_reload(struct daemon *d, bool check, int *status);

/* What a reload would need a restart for (asn, router_id, listen, port,
 * api.listen); NULL when nothing. Exposed for tests. */
const char *reload_restart_needed(const struct conf *old,
				  const struct conf *nc);

#endif
