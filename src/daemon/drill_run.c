/*
 * drill_run.c - running failover drills inside pharosd (see drill.h).
 *
 * One drill runs at a time. It disables the peer with the shutdown
 * communication "pharos drill ID" (peer-down), or drops the peer's
 * packets with nftables (nva-silent, drill_silent.c), then a prepare watcher of the lowest
 * priority (so it runs after the daemon's own, once the turn's change set
 * went to export and the fabric) records each phase the first turn its
 * condition holds. A timer re-enables the peer after restore_after
 * seconds; another bounds the whole drill. Finished drills are kept in a
 * bounded list and reported as a "drill" event.
 */
#include "daemon/drill.h"

#include <stdlib.h>
#include <string.h>

#include "session/fsm.h"
#include "session/peer.h"
#include "daemon/daemon.h"
#include "daemon/drill_sched.h"
#include "fabric/live.h"
#include "fabric/fabric.h"

#define DRILLS_KEEP 32
#define DRILL_GRACE 30.0 /* seconds after restore before giving up */

struct drills {
	struct daemon *d;
	struct drill *kept[DRILLS_KEEP]; /* oldest first */
	unsigned n_kept, next_id;
	struct drill *run; /* the running drill (also in kept) */
	ev_tstamp t0;
	size_t count_before; /* the peer's accepted routes at the start */
	uint64_t eor_mark; /* the peer's End-of-RIB count at restore */
	uint64_t fab_v0, fab_v1; /* fabric version at start, at restore */
	ev_prepare prep;
	ev_timer restore, timeout;
	bool silenced; /* an nva-silent drill's nftables table is in place */
};

/* End an nva-silent drill's packet drop, if it is in place. */
static void unsilence(struct drills *ds, unsigned id)
{
	char err[200];

	if (!ds->silenced)
		return;
	ds->silenced = false;
	if (drill_unsilence(id, err, sizeof(err)) < 0)
		log_err(&ds->d->log, NULL, "drill %u: %s", id, err);
}

static int64_t now_ms(const struct drills *ds)
{
	double ms = (ev_time() - ds->t0) * 1000.0;

	return ms < 0 ? 0 : (int64_t)(ms + 0.5);
}

static int64_t at_ms(const struct drills *ds, ev_tstamp t)
{
	double ms = (t - ds->t0) * 1000.0;

	return ms < 0 ? 0 : (int64_t)(ms + 0.5);
}

/* ------------------------------------------------------ lookups */

static unsigned rib_nexthops(void *arg, const struct prefix *p,
			     struct addr *out, unsigned max)
{
	struct daemon *d = arg;
	const struct rentry *e = rib_lookup(d->rib, p);
	unsigned n = 0;

	if (!e)
		return 0;
	for (const struct rpath *rp = e->paths; rp && n < max; rp = rp->next) {
		bool dup = false;
		if (!(rp->flags & (RPATH_ECMP | RPATH_BEST)))
			continue;
		for (unsigned i = 0; i < n && !dup; i++)
			dup = addr_eq(&out[i], &rp->attr->next_hop);
		if (!dup)
			out[n++] = rp->attr->next_hop;
	}
	return n;
}

static bool others_written(const struct daemon *d, const struct peer *self)
{
	for (unsigned i = 0; i < d->sess.n_peers; i++) {
		const struct peer *p = d->sess.peers[i];
		if (p != self && p->est && (p->est->oq_bytes || p->export_paused))
			return false;
	}
	return true;
}

/* Every live agent has applied version. An agent that was already behind
 * the fabric version the drill started from is taken as gone (stopped for
 * good, or a one-off ack) and does not hold the drill back. */
static bool agents_at(const struct daemon *d, uint64_t v0, uint64_t version)
{
	size_t n = 0;
	const struct fabric_agent *a = fabric_agents(d->fglue, &n);

	for (size_t i = 0; i < n; i++)
		if (a[i].version >= v0 && a[i].version < version)
			return false;
	return true;
}

/* How many agents were up to date with version (the live ones). */
static size_t agents_live(const struct daemon *d, uint64_t version)
{
	size_t n = 0, live = 0;
	const struct fabric_agent *a = fabric_agents(d->fglue, &n);

	for (size_t i = 0; i < n; i++)
		live += a[i].version >= version;
	return live;
}

/* ------------------------------------------------------ finishing */

static void drill_finish(struct drills *ds, uint8_t state, const char *error)
{
	struct daemon *d = ds->d;
	struct drill *dr = ds->run;
	char reason[300];

	if (!dr)
		return;
	unsilence(ds, dr->id);
	ev_timer_stop(d->loop, &ds->restore);
	ev_timer_stop(d->loop, &ds->timeout);
	ev_prepare_stop(d->loop, &ds->prep);
	if (error && !dr->error[0])
		snprintf(dr->error, sizeof(dr->error), "%s", error);
	dr->state = state;
	ds->run = NULL;
	snprintf(reason, sizeof(reason), "drill %u %s: score %.0f%%%s%s", dr->id,
		 state == DS_DONE ? "done" : "failed", drill_score(dr),
		 dr->error[0] ? ": " : "", dr->error);
	log_info(&d->log, dr->peer, "%s", reason);
	events_emit_json(d->events, "drill", dr->peer,
			 json_pack("{s:I, s:s, s:f}", "drill", (json_int_t)dr->id,
				   "result", state == DS_DONE ? "done" : "failed",
				   "score", drill_score(dr)),
			 reason);
	drill_sched_finished(d, dr);
}

static void enable_peer(struct drills *ds)
{
	struct peer *p = session_peer_by_name(&ds->d->sess, ds->run->peer);
	char err[128];

	if (!strcmp(ds->run->type, "nva-silent")) {
		unsilence(ds, ds->run->id);
		return;
	}
	if (p)
		peer_enable(p, err, sizeof(err));
}

/* ------------------------------------------------------ phases */

/* Does the condition of phase ph hold now? *when: its time if known. */
static bool phase_holds(struct drills *ds, struct peer *p, int ph,
			int64_t *when)
{
	struct daemon *d = ds->d;
	const struct fabric_prog *fp = fabric_live_prog(d->fglue);
	bool settled = rib_changes_pending(d->rib) == 0;

	switch (ph) {
	case DP_SESSION_DOWN:
		return !p->est;
	case DP_ROUTES_WITHDRAWN:
		return settled && rib_peer_count(d->rib, p->rib_id) == 0;
	case DP_FABRIC_PROGRAMMED:
	case DP_FABRIC_REPROGRAMMED: {
		uint64_t v = ph == DP_FABRIC_PROGRAMMED ? ds->fab_v0 : ds->fab_v1;
		/* committed in the turn that drained the change set; a set
		 * that moved no next hop does not bump the version */
		if (fp && fp->version > v && fp->committed_at > 0)
			*when = at_ms(ds, fp->committed_at);
		return settled;
	}
	case DP_PEERS_UPDATED:
		return others_written(d, p);
	case DP_AGENTS_ACKED:
		return !fp || agents_at(d, ds->fab_v0, fp->version);
	case DP_RESTORED:
		return false; /* the restore timer marks it */
	case DP_SESSION_UP:
		return p->est != NULL;
	case DP_ROUTES_BACK:
		return settled &&
		       rib_peer_count(d->rib, p->rib_id) >= ds->count_before;
	case DP_EOR:
		return p->eor_in > ds->eor_mark;
	default:
		return false;
	}
}

static void advance(struct drills *ds)
{
	struct drill *dr = ds->run;
	struct peer *p = session_peer_by_name(&ds->d->sess, dr->peer);
	int ph;

	if (!p) {
		drill_finish(ds, DS_FAILED, "the peer was removed by a reload");
		return;
	}
	while ((ph = drill_next_phase(dr, 0)) < DP_N) {
		int64_t when = -1;
		if (!phase_holds(ds, p, ph, &when))
			break;
		drill_mark(dr, ph, when >= 0 ? when : now_ms(ds));
	}
	if (ph == DP_RESTORED)
		drill_check_moment(dr, DM_DURING, rib_nexthops, ds->d);
	if (ph == DP_N) {
		drill_check_moment(dr, DM_AFTER, rib_nexthops, ds->d);
		drill_finish(ds, DS_DONE, NULL);
	}
}

static void prep_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct drills *ds = w->data;

	if (ds->run)
		advance(ds);
}

static void restore_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct drills *ds = w->data;
	struct drill *dr = ds->run;
	struct peer *p;
	const struct fabric_prog *fp = fabric_live_prog(ds->d->fglue);
	int ph;

	if (!dr)
		return;
	advance(ds);
	if (!(dr = ds->run))
		return;
	ph = drill_next_phase(dr, 0);
	if (ph < DP_RESTORED) {
		char why[160];
		snprintf(why, sizeof(why), "%s not reached within restore_after",
			 drill_phase_label(ph));
		drill_check_moment(dr, DM_DURING, rib_nexthops, ds->d);
		enable_peer(ds);
		drill_finish(ds, DS_FAILED, why);
		return;
	}
	p = session_peer_by_name(&ds->d->sess, dr->peer);
	ds->eor_mark = p ? p->eor_in : 0;
	ds->fab_v1 = fp ? fp->version : 0;
	drill_mark(dr, DP_RESTORED, now_ms(ds));
	enable_peer(ds);
	daemon_kick(ds->d);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct drills *ds = w->data;
	char why[160];

	if (!ds->run)
		return;
	advance(ds);
	if (!ds->run)
		return;
	snprintf(why, sizeof(why), "timed out waiting for %s",
		 drill_phase_label(drill_next_phase(ds->run, 0)));
	if (ds->run->ms[DP_RESTORED] < 0)
		enable_peer(ds);
	drill_finish(ds, DS_FAILED, why);
}

/* ------------------------------------------------------ API side */

static struct drills *drills_get(struct daemon *d)
{
	struct drills *ds = d->drills;

	if (ds)
		return ds;
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return NULL;
	ds->d = d;
	ds->next_id = 1;
	ev_prepare_init(&ds->prep, prep_cb);
	ev_set_priority(&ds->prep, EV_MINPRI);
	ev_timer_init(&ds->restore, restore_cb, 0, 0);
	ev_timer_init(&ds->timeout, timeout_cb, 0, 0);
	ds->prep.data = ds->restore.data = ds->timeout.data = ds;
	d->drills = ds;
	return ds;
}

void drills_free(struct drills *ds)
{
	if (!ds)
		return;
	ev_prepare_stop(ds->d->loop, &ds->prep);
	ev_timer_stop(ds->d->loop, &ds->restore);
	ev_timer_stop(ds->d->loop, &ds->timeout);
	if (ds->run)
		unsilence(ds, ds->run->id);
	for (unsigned i = 0; i < ds->n_kept; i++) {
		drill_clear(ds->kept[i]);
		free(ds->kept[i]);
	}
	free(ds);
}

static void keep(struct drills *ds, struct drill *dr)
{
	if (ds->n_kept == DRILLS_KEEP) {
		drill_clear(ds->kept[0]);
		free(ds->kept[0]);
		memmove(ds->kept, ds->kept + 1, (DRILLS_KEEP - 1) * sizeof(*ds->kept));
		ds->n_kept--;
	}
	ds->kept[ds->n_kept++] = dr;
}

/* Validate the request into dr; 0 or the HTTP status. */
static int drill_request(struct daemon *d, json_t *req, struct drill *dr,
			 char *err, size_t len)
{
	const char *type = json_string_value(json_object_get(req, "type"));
	const char *name = json_string_value(json_object_get(req, "peer"));
	json_t *ra = json_object_get(req, "restore_after");
	struct peer *p;

	if (!type || (strcmp(type, "peer-down") && strcmp(type, "nva-silent"))) {
		snprintf(err, len, "type must be \"peer-down\" or \"nva-silent\"");
		return 400;
	}
	snprintf(dr->type, sizeof(dr->type), "%s", type);
	if (!name || !(p = session_peer_by_name(&d->sess, name))) {
		snprintf(err, len, "no such peer: %s", name ? name : "(none)");
		return name ? 404 : 400;
	}
	snprintf(dr->peer, sizeof(dr->peer), "%s", name);
	dr->restore_after = ra ? json_number_value(ra) : 10;
	if ((ra && !json_is_number(ra)) || dr->restore_after < 0.1 ||
	    dr->restore_after > 3600) {
		snprintf(err, len, "restore_after must be 0.1 to 3600 seconds");
		return 400;
	}
	if (drill_expect_parse(dr, json_object_get(req, "expect"), err, len) < 0)
		return 400;
	if (!p->est) {
		snprintf(err, len, "peer %s is not established", name);
		return 409;
	}
	return 0;
}

unsigned drill_start(struct daemon *d, json_t *req, int *status, char *err,
		     size_t len)
{
	struct drills *ds = drills_get(d);
	struct drill *dr = calloc(1, sizeof(*dr));
	const struct fabric_prog *fp = fabric_live_prog(d->fglue);
	size_t n_agents = 0;
	char msg[64];
	struct peer *p;

	if (!ds || !dr) {
		free(dr);
		snprintf(err, len, "out of memory");
		*status = 500;
		return 0;
	}
	if (ds->run) {
		free(dr);
		snprintf(err, len, "drill %u is still running", ds->run->id);
		*status = 409;
		return 0;
	}
	if ((*status = drill_request(d, req, dr, err, len))) {
		drill_clear(dr);
		free(dr);
		return 0;
	}
	n_agents = fp ? agents_live(d, fp->version) : 0;
	for (int ph = 0; ph < DP_N; ph++) {
		dr->ms[ph] = -1;
		dr->applies[ph] = true;
	}
	dr->applies[DP_FABRIC_PROGRAMMED] = dr->applies[DP_FABRIC_REPROGRAMMED] =
		fabric_live_fabric(d->fglue) && fab_keeps_bgp(fabric_live_fabric(d->fglue));
	dr->applies[DP_AGENTS_ACKED] = fabric_live_fabric(d->fglue) && n_agents > 0;
	dr->id = ds->next_id++;
	log_time_iso(dr->started, sizeof(dr->started));
	p = session_peer_by_name(&d->sess, dr->peer);
	/* only a peer that sends End-of-RIB is waited for */
	dr->applies[DP_EOR] = p->eor_in > 0;
	daemon_process_changes(d); /* start from a settled RIB */
	ds->count_before = rib_peer_count(d->rib, p->rib_id);
	ds->fab_v0 = fp ? fp->version : 0;
	drill_check_moment(dr, DM_BEFORE, rib_nexthops, d);
	keep(ds, dr);
	ds->run = dr;
	ds->t0 = ev_time();
	snprintf(msg, sizeof(msg), "pharos drill %u", dr->id);
	if (!strcmp(dr->type, "nva-silent")) {
		if (drill_silence(&p->cf->address, dr->id, err, len) < 0) {
			log_err(&d->log, dr->peer, "drill %u: %s", dr->id, err);
			drill_finish(ds, DS_FAILED, err);
			*status = 500;
			return 0;
		}
		ds->silenced = true;
	}
	log_info(&d->log, dr->peer, "drill %u: %s, restore after %.1f s",
		 dr->id, dr->type, dr->restore_after);
	if (strcmp(dr->type, "nva-silent"))
		peer_disable(p, msg, err, len);
	ev_timer_set(&ds->restore, dr->restore_after, 0);
	ev_timer_start(d->loop, &ds->restore);
	ev_timer_set(&ds->timeout, dr->restore_after + DRILL_GRACE, 0);
	ev_timer_start(d->loop, &ds->timeout);
	ev_prepare_start(d->loop, &ds->prep);
	advance(ds);
	daemon_kick(d);
	*status = 201;
	return dr->id;
}

json_t *drills_json(struct daemon *d)
{
	struct drills *ds = d->drills;
	json_t *a = json_array();

	for (unsigned i = ds ? ds->n_kept : 0; i-- > 0;)
		json_array_append_new(a, drill_json(ds->kept[i]));
	return json_pack("{s:o}", "drills", a);
}

unsigned drill_running(struct daemon *d)
{
	struct drills *ds = d->drills;

	return ds && ds->run ? ds->run->id : 0;
}

const struct drill *drill_find(struct daemon *d, unsigned id)
{
	struct drills *ds = d->drills;

	for (unsigned i = 0; ds && i < ds->n_kept; i++)
		if (ds->kept[i]->id == id)
			return ds->kept[i];
	return NULL;
}
