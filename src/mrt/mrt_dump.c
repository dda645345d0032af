/*
 * mrt_dump.c - the TABLE_DUMP_V2 RIB dump built from the loc-RIB (see
 * mrt_dump.h), incrementally: each step looks up its own prefixes, so a
 * step costs only what it writes, and the RIB may change in between.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrt/mrt_dump.h"
#include "session/peer.h"

void mrt_file_name(char *buf, size_t len, const char *prefix, time_t t)
{
	struct tm tm;
	char stamp[32];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d.%H%M", &tm);
	snprintf(buf, len, "%s.%s", prefix, stamp);
}

/* ------------------------------------------------------------ RIB dump */

/* One peer of the table written at the start of a dump. Peers are found
 * again by RIB index and name on each step: a reload may remove one. */
struct snap_peer {
	uint32_t rib_id;
	char *name;
};


struct mrt_dumper {
	struct session *s;
	uint32_t ts, seq;
	bool started, have_cursor;
	struct prefix cursor; /* the last prefix handled */
	struct snap_peer *snap;
	unsigned n_snap;
	/* Prefixes to dump next, in order, from one walk of the RIB: each
	 * step looks them up, so that a step costs its own prefixes only. */
	struct prefix *queue;
	size_t qn, qi;
	bool more; /* the last walk stopped with the queue full */
	bool walked_all; /* the queue holds the last prefixes */
	/* Per step. */
	struct mrt_wbuf *w;
	uint16_t *index_of; /* rib peer id -> index in the peer table */
	uint32_t n_index;
	struct bgp_attrs *attrs; /* scratch, one per path */
	struct mrt_rib_out *out;
	unsigned cap;
	bool oom;
};

static uint32_t peer_originated(const struct peer *p, uint32_t ts)
{
	/* A peer removed by a reload while a dump runs is gone: NULL. */
	return p && p->state == PS_ESTABLISHED && p->up_since > 0
		       ? (uint32_t)p->up_since : ts;
}

static int dump_grow(struct mrt_dumper *x, unsigned n)
{
	struct bgp_attrs *na;
	struct mrt_rib_out *no;

	if (n <= x->cap)
		return 0;
	na = realloc(x->attrs, n * sizeof(*na));
	if (!na)
		return -1;
	x->attrs = na;
	no = realloc(x->out, n * sizeof(*no));
	if (!no)
		return -1;
	x->out = no;
	x->cap = n;
	return 0;
}

/* Queue the prefixes after the cursor, up to MRT_DUMP_QUEUE of them. */
static int queue_entry(const struct rentry *e, void *arg)
{
	struct mrt_dumper *x = arg;

	if (x->qn == MRT_DUMP_QUEUE) {
		x->more = true;
		return 1;
	}
	if (!e->n_paths)
		return 0;
	x->queue[x->qn++] = e->prefix;
	return 0;
}

/* Refill the queue; false when there is nothing after the cursor. */
static bool queue_refill(struct mrt_dumper *x)
{
	x->qn = x->qi = 0;
	x->more = false;
	if (!x->queue && !(x->queue = malloc(MRT_DUMP_QUEUE * sizeof(*x->queue)))) {
		x->oom = true;
		return false;
	}
	/* Resume after the cursor: the walk skips what lies before it. */
	rib_walk_after(x->s->rib, x->have_cursor ? &x->cursor : NULL,
		       queue_entry, x);
	if (x->qn) {
		x->cursor = x->queue[x->qn - 1];
		x->have_cursor = true;
	}
	return x->qn > 0;
}

static int dump_entry(const struct rentry *e, struct mrt_dumper *x)
{
	unsigned n = 0;

	if (!e || !e->n_paths)
		return 0; /* gone since it was queued */
	if (dump_grow(x, e->n_paths) < 0) {
		x->oom = true;
		return 1;
	}
	for (const struct rpath *rp = e->paths; rp; rp = rp->next) {
		uint16_t i = rp->peer < x->n_index ? x->index_of[rp->peer] : UINT16_MAX;

		if (i == UINT16_MAX)
			continue;
		rattr_to_bgp(rp->attr, &x->attrs[n]);
		x->out[n].peer_index = i;
		x->out[n].originated =
			peer_originated(session_peer_by_rib(x->s, rp->peer), x->ts);
		x->out[n].attrs = &x->attrs[n];
		n++;
	}
	if (!n)
		return 0;
	if (mrt_write_rib(x->w, x->ts, x->seq, &e->prefix, x->out, n) < 0) {
		x->oom = true;
		return 1;
	}
	x->seq++;
	return 0;
}

static int write_peer_index(struct mrt_dumper *x)
{
	struct session *s = x->s;
	struct mrt_peer *pt = calloc(s->n_peers ? s->n_peers : 1, sizeof(*pt));
	uint32_t collector;
	bool fail = false;
	int rc;

	x->snap = calloc(s->n_peers ? s->n_peers : 1, sizeof(*x->snap));
	if (!pt || !x->snap) {
		free(pt);
		return -1;
	}
	for (unsigned i = 0; i < s->n_peers && i < UINT16_MAX; i++) {
		const struct peer *p = s->peers[i];

		pt[i].bgp_id = htonl(p->est ? p->est->open.bgp_id : 0);
		pt[i].addr = p->cf->address;
		pt[i].asn = p->cf->asn;
		x->snap[i].rib_id = p->rib_id;
		x->snap[i].name = strdup(p->name);
		x->n_snap = i + 1;
		if (!x->snap[i].name)
			fail = true;
	}
	memcpy(&collector, s->conf->rs.router_id.b, 4);
	rc = mrt_write_peer_index(x->w, x->ts, collector, "pharos", pt, x->n_snap);
	free(pt);
	return fail ? -1 : rc;
}

/* Map RIB peer ids to the peer table, for the peers still there. */
static int map_peers(struct mrt_dumper *x)
{
	x->n_index = 0;
	for (unsigned i = 0; i < x->n_snap; i++)
		if (x->snap[i].rib_id + 1 > x->n_index)
			x->n_index = x->snap[i].rib_id + 1;
	free(x->index_of);
	x->index_of = malloc((x->n_index ? x->n_index : 1) * sizeof(*x->index_of));
	if (!x->index_of)
		return -1;
	for (uint32_t k = 0; k < x->n_index; k++)
		x->index_of[k] = UINT16_MAX;
	for (unsigned i = 0; i < x->n_snap; i++) {
		const struct peer *p = session_peer_by_rib(x->s, x->snap[i].rib_id);

		if (p && x->snap[i].name && !strcmp(p->name, x->snap[i].name))
			x->index_of[x->snap[i].rib_id] = (uint16_t)i;
	}
	return 0;
}

struct mrt_dumper *mrt_dumper_new(struct session *s, uint32_t ts)
{
	struct mrt_dumper *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->s = s;
	x->ts = ts;
	return x;
}

void mrt_dumper_free(struct mrt_dumper *x)
{
	if (!x)
		return;
	for (unsigned i = 0; i < x->n_snap; i++)
		free(x->snap[i].name);
	free(x->snap);
	free(x->index_of);
	free(x->queue);
	free(x->attrs);
	free(x->out);
	free(x);
}

int mrt_dumper_step(struct mrt_dumper *x, struct mrt_wbuf *w, unsigned budget)
{
	x->w = w;
	if (!x->started) {
		x->started = true;
		if (write_peer_index(x) < 0 || w->oom)
			return -1;
	}
	if (map_peers(x) < 0)
		return -1;
	if (!budget)
		budget = 1;
	for (unsigned k = 0; k < budget; k++) {
		if (x->qi == x->qn) {
			if (x->walked_all || !queue_refill(x)) {
				x->walked_all = true;
				break;
			}
			if (!x->more)
				x->walked_all = true; /* this walk reached the end */
		}
		dump_entry(rib_lookup(x->s->rib, &x->queue[x->qi++]), x);
		if (x->oom)
			break;
	}
	if (x->oom || w->oom)
		return -1;
	return x->qi == x->qn && x->walked_all ? 0 : 1;
}

long mrt_rib_dump(struct session *s, struct mrt_wbuf *w, uint32_t ts)
{
	struct mrt_dumper *x = mrt_dumper_new(s, ts);
	long n;
	int rc;

	if (!x)
		return -1;
	while ((rc = mrt_dumper_step(x, w, UINT32_MAX)) == 1)
		;
	n = rc < 0 ? -1 : (long)x->seq;
	mrt_dumper_free(x);
	return n;
}

/* ------------------------------------------------------------ files */


uint32_t mrt_dumper_records(const struct mrt_dumper *x)
{
	return x->seq;
}
