/*
 * rpki_mgr.c - librtr's RTR manager for route_server.rpki, and the hand
 * over from its threads to the event loop.
 *
 * librtr calls back from its socket threads: pfx_update() for every ROA
 * added or withdrawn and status() when a cache group changes state. Both
 * only append to a queue under the mutex and ev_async_send() (which is
 * safe from any thread); on_async(), in the loop, takes the queue and
 * revalidates. librtr's pfx_update_fp carries no user pointer, so the
 * one running manager is found through a registry keyed by the ROA table
 * it owns (a pointer and a lock, nothing else global).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rtrlib/rtrlib.h>

#include "policy/rtr_dl.h"

#include "daemon/daemon.h"
#include "daemon/rpki_mgr.h"
#include "session/rpki_reval.h"

#define QUEUE_MAX 65536 /* changed ROAs queued before "revalidate all" */
#define STEP_PATHS 20000 /* paths revalidated per step (loop turn) */
#define SETTLE_S 0.2 /* quiet time after ROA updates before revalidating */
enum { SEEN_UP = 1, SEEN_DOWN = 2 };

struct rpki_mgr {
	struct daemon *d;
	struct rtr_mgr_config *cfg;
	unsigned n;
	struct rtr_mgr_group *groups;
	struct rtr_socket *socks;
	struct rtr_socket **sockp;
	struct tr_socket *trs;
	struct tr_tcp_config *tcp;
	char (*ports)[8];
	ev_async async;

	pthread_mutex_t mu; /* guards what librtr's threads touch: */
	struct prefix *q;
	size_t qn, qcap;
	bool q_all;
	int64_t roas[3]; /* [AFI_IPV4], [AFI_IPV6] */
	uint8_t *sock_state; /* enum rtr_mgr_status per cache, as reported */
	uint8_t *seen; /* per cache since the loop last looked: SEEN_* */

	/* loop side only */
	uint8_t *up; /* last state logged per cache: 0 down, 1 up, 2 not yet */
	struct prefix *lq; /* ROA prefixes still to revalidate under */
	size_t lqn, lqcap, lqpos;
	bool lall; /* revalidate every path (too many changes queued) */
	bool busy; /* walk holds a region in progress */
	struct rpki_walk walk;
	ev_idle idle; /* runs the steps while there is work */
	ev_timer settle; /* a revalidation starts once ROA updates pause */
	struct rpki_reval_result acc; /* of the batch under way */
	size_t batch_roas;
	ev_tstamp batch_t0;
	uint64_t revalidations;
	uint64_t changed_total;
};

/* ------------------------------------------ librtr's threads (under mu) */

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rpki_mgr *reg_mgr; /* the running manager */

static void pfx_update(struct pfx_table *t, const struct pfx_record rec,
		       const bool added)
{
	struct rpki_mgr *m;
	struct prefix p = {0};

	pthread_mutex_lock(&reg_mu);
	m = reg_mgr;
	if (!m || m->cfg == NULL || m->cfg->pfx_table != t) {
		pthread_mutex_unlock(&reg_mu);
		return;
	}
	p.len = rec.min_len; /* the ROA's prefix length */
	if (rec.prefix.ver == LRTR_IPV4) {
		uint32_t a = rec.prefix.u.addr4.addr;
		p.afi = AFI_IPV4;
		p.b[0] = (uint8_t)(a >> 24);
		p.b[1] = (uint8_t)(a >> 16);
		p.b[2] = (uint8_t)(a >> 8);
		p.b[3] = (uint8_t)a;
	} else {
		p.afi = AFI_IPV6;
		for (int i = 0; i < 4; i++) {
			uint32_t a = rec.prefix.u.addr6.addr[i];
			p.b[4 * i] = (uint8_t)(a >> 24);
			p.b[4 * i + 1] = (uint8_t)(a >> 16);
			p.b[4 * i + 2] = (uint8_t)(a >> 8);
			p.b[4 * i + 3] = (uint8_t)a;
		}
	}
	{
		struct prefix raw = p;
		prefix_norm(&p, &raw);
	}
	pthread_mutex_lock(&m->mu);
	m->roas[p.afi] += added ? 1 : -1;
	if (!m->q_all) {
		if (m->qn == m->qcap && m->qcap < QUEUE_MAX) {
			size_t nc = m->qcap ? 2 * m->qcap : 256;
			struct prefix *nq = realloc(m->q, nc * sizeof(*nq));
			if (nq) {
				m->q = nq;
				m->qcap = nc;
			}
		}
		if (m->qn < m->qcap)
			m->q[m->qn++] = p;
		else
			m->q_all = true;
	}
	pthread_mutex_unlock(&m->mu);
	ev_async_send(m->d->loop, &m->async);
	pthread_mutex_unlock(&reg_mu);
}

static void status(const struct rtr_mgr_group *g, enum rtr_mgr_status st,
		   const struct rtr_socket *sock, void *data)
{
	struct rpki_mgr *m = data;

	pthread_mutex_lock(&m->mu);
	for (unsigned i = 0; i < m->n; i++) {
		if (sock ? sock != &m->socks[i] : g->preference != i + 1)
			continue;
		m->sock_state[i] = (uint8_t)st;
		/* states may pass faster than the loop looks: remember both */
		if (st == RTR_MGR_ESTABLISHED)
			m->seen[i] |= SEEN_UP;
		else if (st == RTR_MGR_ERROR || st == RTR_MGR_CLOSED)
			m->seen[i] |= SEEN_DOWN;
	}
	pthread_mutex_unlock(&m->mu);
	ev_async_send(m->d->loop, &m->async);
}

/* ------------------------------------------------------ the event loop */

static const char *cache_name(const struct rpki_mgr *m, unsigned i, char *buf,
			      size_t len)
{
	const struct conf_rpki_cache *c = &m->d->conf->rs.rpki.caches[i];
	bool v6 = strchr(c->host, ':') != NULL;

	snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", c->host, v6 ? "]" : "",
		 c->port);
	return buf;
}

static void cache_up(struct rpki_mgr *m, unsigned i)
{
	char name[80];

	m->up[i] = 1;
	cache_name(m, i, name, sizeof(name));
	log_info(&m->d->log, NULL, "rpki cache %s is up", name);
	events_emit_json(m->d->events, "rpki_cache_up", NULL,
			 json_pack("{s:s}", "cache", name), "rpki cache up");
}

static void cache_down(struct rpki_mgr *m, unsigned i, uint8_t st)
{
	struct daemon *d = m->d;
	char name[80];
	const char *why = rtr_mgr_status_to_str(st);

	m->up[i] = 0;
	cache_name(m, i, name, sizeof(name));
	log_warn(&d->log, NULL, "rpki cache %s went away (%s): its ROAs are "
		 "kept for %u s", name, why ? why : "?",
		 d->conf->rs.rpki.expire_s);
	events_emit_json(d->events, "rpki_cache_down", NULL,
			 json_pack("{s:s, s:s, s:I}", "cache", name, "status",
				   why ? why : "?", "expire_s",
				   (json_int_t)d->conf->rs.rpki.expire_s),
			 "rpki cache down: ROAs kept until they expire");
}

/* What the caches went through since the last look: a flap seen only in
 * passing still gives its down and up events, in order. */
static void cache_events(struct rpki_mgr *m, const uint8_t *st,
			 const uint8_t *seen)
{
	for (unsigned i = 0; i < m->n; i++) {
		bool now_up = st[i] == RTR_MGR_ESTABLISHED;
		bool now_down = st[i] == RTR_MGR_ERROR || st[i] == RTR_MGR_CLOSED;

		if (m->up[i] == 1 && (seen[i] & SEEN_DOWN) && !now_down)
			cache_down(m, i, RTR_MGR_ERROR);
		if (m->up[i] != 1 && ((seen[i] & SEEN_UP) || now_up))
			cache_up(m, i);
		if (m->up[i] != 0 && now_down)
			cache_down(m, i, st[i]);
	}
}

/* Take the ROA prefixes librtr's threads queued into the loop's list;
 * too many (all): walk every path, from the start. */
static void take_queue(struct rpki_mgr *m, struct prefix *q, size_t qn,
		       bool all)
{
	m->batch_roas += qn;
	if (!all && m->lqn + qn > m->lqcap) {
		size_t nc = m->lqcap ? m->lqcap : 256;
		while (nc < m->lqn + qn)
			nc *= 2;
		struct prefix *nq = realloc(m->lq, nc * sizeof(*nq));
		if (nq) {
			m->lq = nq;
			m->lqcap = nc;
		} else {
			all = true;
		}
	}
	if (all) {
		if (m->busy && m->walk.all)
			m->busy = false; /* an all-walk under way starts over */
		m->lall = true;
		return;
	}
	memcpy(m->lq + m->lqn, q, qn * sizeof(*q));
	m->lqn += qn;
}

static void batch_done(struct rpki_mgr *m)
{
	struct rpki_reval_result *res = &m->acc;

	rpki_revalidate_finish(&m->d->sess, res);
	m->revalidations++;
	m->changed_total += res->changed;
	if (res->changed || res->accepted)
		log_info(&m->d->log, NULL, "rpki: %zu ROA change%s, %zu route%s "
			 "checked, %zu changed state (%zu refused, %zu accepted "
			 "again) in %.3f s", m->batch_roas,
			 m->batch_roas == 1 ? "" : "s", res->checked,
			 res->checked == 1 ? "" : "s", res->changed,
			 res->refused, res->accepted, ev_time() - m->batch_t0);
	memset(res, 0, sizeof(*res));
	m->batch_roas = 0;
	m->lqn = m->lqpos = 0;
	m->lall = false;
}

/* Revalidation in steps of about STEP_PATHS paths, one per idle turn,
 * so that sessions are served in between. */
static void on_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct rpki_mgr *m = w->data;

	(void)revents;
	if (!m->busy) {
		memset(&m->walk, 0, sizeof(m->walk));
		if (m->lall) { /* covers every ROA queued so far */
			m->walk.all = true;
			m->lall = false;
			m->lqn = m->lqpos = 0;
		} else if (m->lqpos < m->lqn) {
			m->walk.region = m->lq[m->lqpos++];
		} else {
			ev_idle_stop(loop, w);
			batch_done(m);
			return;
		}
		m->busy = true;
	}
	if (rpki_revalidate_step(&m->d->sess, &m->walk, STEP_PATHS, &m->acc))
		m->busy = false;
}

static void on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	struct rpki_mgr *m = w->data;
	struct prefix *q;
	size_t qn;
	bool all;
	uint8_t st[16], seen[16];

	(void)revents;
	pthread_mutex_lock(&m->mu);
	q = m->q;
	qn = m->qn;
	all = m->q_all;
	m->q = NULL;
	m->qn = m->qcap = 0;
	m->q_all = false;
	memcpy(st, m->sock_state, m->n);
	memcpy(seen, m->seen, m->n);
	memset(m->seen, 0, m->n);
	pthread_mutex_unlock(&m->mu);
	cache_events(m, st, seen);
	if (qn || all) {
		if (!ev_is_active(&m->idle) && !ev_is_active(&m->settle))
			m->batch_t0 = ev_time();
		take_queue(m, q, qn, all);
		/* librtr reports each record of a cache's update as it goes: wait
		 * until the update has paused, so that the walk validates against
		 * the whole of it, not a table caught half-way */
		ev_timer_again(loop, &m->settle);
	}
	free(q);
}

static void on_settle(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rpki_mgr *m = w->data;

	(void)revents;
	ev_timer_stop(loop, w);
	ev_idle_start(loop, &m->idle);
}

/* ------------------------------------------------------ start and stop */

static int sockets_init(struct rpki_mgr *m, const struct conf_rpki *r)
{
	m->n = r->n_caches < 16 ? r->n_caches : 16;
	m->groups = calloc(m->n, sizeof(*m->groups));
	m->socks = calloc(m->n, sizeof(*m->socks));
	m->sockp = calloc(m->n, sizeof(*m->sockp));
	m->trs = calloc(m->n, sizeof(*m->trs));
	m->tcp = calloc(m->n, sizeof(*m->tcp));
	m->ports = calloc(m->n, sizeof(*m->ports));
	m->sock_state = calloc(m->n, 1);
	m->seen = calloc(m->n, 1);
	m->up = calloc(m->n, sizeof(*m->up));
	if (!m->groups || !m->socks || !m->sockp || !m->trs || !m->tcp ||
	    !m->ports || !m->sock_state || !m->seen || !m->up)
		return -1;
	for (unsigned i = 0; i < m->n; i++) {
		snprintf(m->ports[i], sizeof(m->ports[i]), "%u",
			 r->caches[i].port);
		m->tcp[i].host = r->caches[i].host;
		m->tcp[i].port = m->ports[i];
		m->tcp[i].connect_timeout = 10;
		if (tr_tcp_init(&m->tcp[i], &m->trs[i]) != TR_SUCCESS)
			return -1;
		m->socks[i].tr_socket = &m->trs[i];
		m->sockp[i] = &m->socks[i];
		m->groups[i].sockets = &m->sockp[i];
		m->groups[i].sockets_len = 1;
		m->groups[i].preference = (uint8_t)(i + 1);
		m->sock_state[i] = RTR_MGR_CONNECTING;
		m->up[i] = 2;
	}
	return 0;
}

static void mgr_free(struct rpki_mgr *m)
{
	for (unsigned i = 0; m->trs && i < m->n; i++)
		if (m->trs[i].socket && m->trs[i].free_fp)
			m->trs[i].free_fp(&m->trs[i]);
	free(m->groups);
	free(m->socks);
	free(m->sockp);
	free(m->trs);
	free(m->tcp);
	free(m->ports);
	free(m->sock_state);
	free(m->seen);
	free(m->up);
	free(m->q);
	free(m->lq);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

struct rpki_mgr *rpki_mgr_start(struct daemon *d)
{
	const struct conf_rpki *r = &d->conf->rs.rpki;
	struct rpki_mgr *m;
	int rc;

	if (!r->n_caches)
		return NULL;
	{
		char err[256];
		if (rtr_dl_load(err, sizeof(err)) < 0) {
			log_err(&d->log, NULL,
				"rpki: %s: routes are not validated", err);
			return NULL;
		}
	}
	if (!(m = calloc(1, sizeof(*m))))
		return NULL;
	m->d = d;
	pthread_mutex_init(&m->mu, NULL);
	if (sockets_init(m, r) < 0) {
		log_warn(&d->log, NULL, "rpki: cannot set up the caches");
		mgr_free(m);
		return NULL;
	}
	ev_async_init(&m->async, on_async);
	m->async.data = m;
	ev_async_start(d->loop, &m->async);
	ev_idle_init(&m->idle, on_idle);
	m->idle.data = m;
	ev_init(&m->settle, on_settle);
	m->settle.repeat = SETTLE_S;
	m->settle.data = m;
	pthread_mutex_lock(&reg_mu);
	reg_mgr = m;
	rc = rtr_mgr_init(&m->cfg, m->groups, m->n, r->refresh_s, r->expire_s,
			  r->retry_s, pfx_update, NULL, status, m);
	pthread_mutex_unlock(&reg_mu);
	if (rc != RTR_SUCCESS || rtr_mgr_start(m->cfg) != RTR_SUCCESS) {
		log_warn(&d->log, NULL, "rpki: librtr could not start (%d)", rc);
		rpki_mgr_stop(m);
		return NULL;
	}
	d->sess.rpki_table = m->cfg->pfx_table;
	log_info(&d->log, NULL, "rpki: validating against %u cache%s "
		 "(invalid routes: %s)", m->n, m->n == 1 ? "" : "s",
		 r->invalid == RPKI_INVALID_DENY  ? "deny"
		 : r->invalid == RPKI_INVALID_TAG ? "tag" : "accept");
	return m;
}

void rpki_mgr_stop(struct rpki_mgr *m)
{
	if (!m)
		return;
	if (m->cfg)
		rtr_mgr_stop(m->cfg);
	pthread_mutex_lock(&reg_mu);
	reg_mgr = NULL;
	pthread_mutex_unlock(&reg_mu);
	ev_async_stop(m->d->loop, &m->async);
	ev_idle_stop(m->d->loop, &m->idle);
	ev_timer_stop(m->d->loop, &m->settle);
	if (m->d->sess.rpki_table == (m->cfg ? m->cfg->pfx_table : NULL))
		m->d->sess.rpki_table = NULL;
	if (m->cfg)
		rtr_mgr_free(m->cfg);
	mgr_free(m);
}

void rpki_mgr_stats(struct rpki_mgr *m, struct rpki_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!m)
		return;
	st->enabled = true;
	pthread_mutex_lock(&m->mu);
	st->roas[AFI_IPV4] = m->roas[AFI_IPV4] > 0 ? (size_t)m->roas[AFI_IPV4] : 0;
	st->roas[AFI_IPV6] = m->roas[AFI_IPV6] > 0 ? (size_t)m->roas[AFI_IPV6] : 0;
	pthread_mutex_unlock(&m->mu);
	st->n_caches = m->n < RPKI_STATS_CACHES ? m->n : RPKI_STATS_CACHES;
	for (unsigned i = 0; i < st->n_caches; i++) {
		cache_name(m, i, st->caches[i].name, sizeof(st->caches[i].name));
		st->caches[i].up = m->up[i] == 1;
	}
	st->revalidations = m->revalidations;
	st->changed = m->changed_total;
}
