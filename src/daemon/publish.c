/*
 * publish.c - the subnets' effective routes on NATS JetStream (see
 * publish.h and docs/agent.md).
 *
 * Threads: the loop owns everything but a few atomics and a small inbox.
 * libnats calls back on its own threads: connection state changes set
 * flags, JetStream acks count down the publishes in flight, agents'
 * messages are copied into the inbox; each wakes the loop (ev_async). A
 * helper thread makes sure the streams exist after every (re)connect,
 * since that is a request that waits for an answer; the loop never waits.
 *
 * The loop, on each fabric commit (and on each wake and 1 s tick):
 * publishes, per subnet whose routes changed, one delta from its
 * previous delta (unless it holds more than DELTA_MAX_ITEMS changes:
 * then consumers take the table) and marks the subnet. Tables are
 * coalesced: a marked subnet's table goes out at once if its last one is
 * older than state_interval_ms, else when that time is up (state_timer),
 * so a burst of commits costs a table per interval, and the last table
 * always follows the burst. A table is a snapshot of the subnet's routes
 * encoded TURN_ROUTES routes a loop turn (a pub_job), so BGP input is
 * not held up behind a large table. Publishes wait while max_pending are
 * in flight. After a (re)connect every subnet is sent again, so the bus
 * always ends up holding each subnet's newest table. Nothing is sent while the startup
 * hold-down lasts (the bus keeps the tables of before the restart) nor
 * once pharosd is stopping.
 */
#include "daemon/publish.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <jansson.h>
#include <nats/nats.h>

#include "daemon/nats_dl.h"

#include "base/bus.h"
#include "base/jsonfmt.h"
#include "daemon/daemon.h"
#include "fabric/fabric.h"
#include "fabric/live.h"

#define INBOX_MAX 65536 /* agents' messages waiting for the loop */
#define PUB_WAIT_MS 5000 /* JetStream ack timeout of one publish */
#define DELTA_MAX_AGE_S 3600 /* deltas kept in their stream */
#define DELTA_PER_SUBJECT 256
#define PUB_MAX_BYTES (1 << 20) /* bytes awaiting JetStream's ack */
#define WRITE_DEADLINE_MS 1000 /* the most a write to NATS may wait */
#define DELTA_MAX_ITEMS 8192 /* a larger delta is not published */
#define TURN_ROUTES 1024 /* routes of tables encoded per loop turn */

/* A table being encoded over several loop turns: a snapshot of the
 * subnet's table and the JSON text so far. */
struct pub_job {
	bool active;
	uint32_t subnet;
	struct fab_table t;
	size_t next; /* the next route to encode */
	FILE *f; /* open_memstream over text */
	char *text;
	size_t len;
	char subj[1024];
};

struct inbox_msg {
	char *subject;
	char *data;
};

struct publisher {
	struct daemon *d;
	char *name; /* this route server's token */
	char token[BUS_TOKEN_MAX];
	uint32_t hb_s, max_pending;
	uint64_t boot; /* start of this pharosd, ms since the epoch */
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *agents_sub;
	ev_async wake;
	ev_timer tick;
	ev_timer state_timer; /* tables due now, or at the earliest due time */
	double state_iv; /* s: least time between two tables of a subnet */
	struct pub_job job;
	double next_hb;
	int listener;
	bool stopped;

	/* shared with libnats' threads */
	pthread_t setup_thr;
	bool thr_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit, need_setup; /* under mu */
	struct inbox_msg *inbox; /* under mu */
	size_t n_inbox, cap_inbox;
	atomic_bool connected, ready;
	atomic_uint ready_gen; /* bumped by every completed setup */
	atomic_int pending;
	atomic_llong pending_bytes;
	atomic_ullong acked, pub_errors, inbox_dropped, disconnects,
		reconnects, setup_errors;

	/* the loop's own */
	bool was_connected;
	unsigned seen_gen; /* ready_gen the loop last acted on */
	size_t n_subnets;
	uint64_t *delta_version; /* per subnet: where its next delta starts */
	double *state_at; /* per subnet: when its last table was sent */
	uint8_t *dirty; /* per subnet: its table is to be sent */
	uint64_t states, deltas, heartbeats, agent_msgs, agent_bad, skipped_full;
	uint64_t deltas_large; /* deltas over DELTA_MAX_ITEMS: not published */
	uint64_t too_large; /* messages over the server's max_payload */
};

/* ------------------------------------------------ libnats' threads */

static void wake(struct publisher *p)
{
	ev_async_send(p->d->loop, &p->wake);
}

static void conn_up_cb(natsConnection *nc, void *closure)
{
	struct publisher *p = closure;

	atomic_store(&p->connected, true);
	pthread_mutex_lock(&p->mu);
	p->need_setup = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	wake(p);
}

static void reconnected_cb(natsConnection *nc, void *closure)
{
	struct publisher *p = closure;

	atomic_fetch_add(&p->reconnects, 1);
	conn_up_cb(nc, closure);
}

static void disconnected_cb(natsConnection *nc, void *closure)
{
	struct publisher *p = closure;

	atomic_store(&p->connected, false);
	atomic_store(&p->ready, false);
	atomic_fetch_add(&p->disconnects, 1);
	wake(p);
}

static void ack_cb(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
		   void *closure)
{
	struct publisher *p = closure;

	if (pae)
		atomic_fetch_add(&p->pub_errors, 1);
	else
		atomic_fetch_add(&p->acked, 1);
	atomic_fetch_sub(&p->pending_bytes, natsMsg_GetDataLength(msg));
	atomic_fetch_sub(&p->pending, 1);
	natsMsg_Destroy(msg);
	wake(p);
}

static void agent_msg_cb(natsConnection *nc, natsSubscription *sub,
			 natsMsg *m, void *closure)
{
	struct publisher *p = closure;
	int len = natsMsg_GetDataLength(m);
	bool queued = false;

	pthread_mutex_lock(&p->mu);
	if (p->n_inbox < INBOX_MAX && len > 0 && len < 65536) {
		if (p->n_inbox == p->cap_inbox) {
			size_t nc2 = p->cap_inbox ? p->cap_inbox * 2 : 64;
			void *nv = realloc(p->inbox, nc2 * sizeof(*p->inbox));
			if (nv) {
				p->inbox = nv;
				p->cap_inbox = nc2;
			}
		}
		if (p->n_inbox < p->cap_inbox) {
			struct inbox_msg *im = &p->inbox[p->n_inbox];
			im->subject = strdup(natsMsg_GetSubject(m));
			im->data = strndup(natsMsg_GetData(m), (size_t)len);
			if (im->subject && im->data) {
				p->n_inbox++;
				queued = true;
			} else {
				free(im->subject);
				free(im->data);
			}
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (!queued)
		atomic_fetch_add(&p->inbox_dropped, 1);
	natsMsg_Destroy(m);
	wake(p);
}

static natsStatus add_stream(jsCtx *js, const char *name, const char *subj,
			     int64_t per_subject, int64_t max_age_ns)
{
	jsStreamConfig sc;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	const char *subjects[1] = { subj };
	natsStatus s;

	jsStreamConfig_Init(&sc);
	sc.Name = name;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	sc.MaxMsgsPerSubject = per_subject;
	sc.MaxAge = max_age_ns;
	s = js_AddStream(&si, js, &sc, NULL, &jerr);
	if (s != NATS_OK && jerr == JSStreamNameExistErr)
		s = js_GetStreamInfo(&si, js, name, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	return s;
}

/* The helper thread: after each (re)connect, make sure both streams
 * exist, then tell the loop it may publish. */
static void *setup_main(void *arg)
{
	struct publisher *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		if (!p->need_setup || !atomic_load(&p->connected)) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		p->need_setup = false;
		pthread_mutex_unlock(&p->mu);
		natsStatus s = add_stream(p->js, BUS_STATE_STREAM,
					  BUS_STATE ".>", 1, 0);
		if (s == NATS_OK)
			s = add_stream(p->js, BUS_DELTA_STREAM, BUS_DELTA ".>",
				       DELTA_PER_SUBJECT,
				       (int64_t)DELTA_MAX_AGE_S * 1000000000LL);
		pthread_mutex_lock(&p->mu);
		if (s == NATS_OK && atomic_load(&p->connected)) {
			atomic_store(&p->ready, true);
			atomic_fetch_add(&p->ready_gen, 1);
		} else if (s != NATS_OK) {
			struct timespec ts;
			atomic_fetch_add(&p->setup_errors, 1);
			p->need_setup = true; /* try again in 2 s */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 2;
			pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		}
		wake(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* ------------------------------------------------ the loop's side */

static struct fabric *FAB(const struct publisher *p)
{
	return fabric_live_fabric(p->d->fglue);
}

static void subnet_names(const struct publisher *p, uint32_t i,
			 const char **vnet, const char **sub)
{
	struct fabric *f = FAB(p);
	const char *full = fab_subnet_name(f, i);

	*vnet = fab_vnet_name(f, fab_subnet_vnet(f, i));
	*sub = full + strlen(*vnet) + (full[strlen(*vnet)] == '/');
}

static bool subject(char *out, size_t len, const char *kind,
		    const struct publisher *p, uint32_t i)
{
	char v[BUS_TOKEN_MAX], s[BUS_TOKEN_MAX];
	const char *vn, *sn;

	subnet_names(p, i, &vn, &sn);
	if (!bus_token(v, sizeof(v), vn) || !bus_token(s, sizeof(s), sn))
		return false;
	return snprintf(out, len, "%s.%s.%s.%s", kind, v, s, p->token) <
	       (int)len;
}

static void head(json_t *o, const struct publisher *p, uint32_t i)
{
	const char *vn, *sn;
	char ts[40];

	subnet_names(p, i, &vn, &sn);
	json_object_set_new(o, "format", json_integer(BUS_FORMAT));
	json_object_set_new(o, "route_server", json_string(p->name));
	json_object_set_new(o, "vnet", json_string(vn));
	json_object_set_new(o, "subnet", json_string(sn));
	json_object_set_new(o, "ts", json_string(log_time_iso(ts, sizeof(ts))));
	json_object_set_new(o, "boot", json_integer((json_int_t)p->boot));
}

/* Publish o (consumed) on subj, asynchronously: SENT, or RETRY_LATER
 * (not connected, out of memory), or TOO_LARGE (over the server's
 * max_payload: it never will fit; logged and counted). */
enum { SENT = 0, RETRY_LATER = -1, TOO_LARGE = -2 };
static int send_text(struct publisher *p, const char *subj, char *text);
static int send_json(struct publisher *p, const char *subj, json_t *o)
{
	char *text = json_dumps(o, PHAROS_JSON_DUMP);

	json_decref(o);
	return send_text(p, subj, text);
}

/* Publish text (consumed, may be NULL: out of memory) on subj. */
static int send_text(struct publisher *p, const char *subj, char *text)
{
	int64_t max = natsConnection_GetMaxPayload(p->nc);
	jsPubOptions po;
	natsStatus s = NATS_NO_MEMORY;

	if (!text)
		return RETRY_LATER;
	if (max > 0 && (int64_t)strlen(text) > max) {
		if (!(p->too_large & (p->too_large + 1)))
			log_err(&p->d->log, NULL, "bus: %s is %zu bytes, over the "
				"NATS server's max_payload of %lld: not published "
				"(raise max_payload in nats-server)", subj,
				strlen(text), (long long)max);
		p->too_large++;
		free(text);
		return TOO_LARGE;
	}
	jsPubOptions_Init(&po);
	po.MaxWait = PUB_WAIT_MS;
	long long len = (long long)strlen(text);
	atomic_fetch_add(&p->pending, 1);
	atomic_fetch_add(&p->pending_bytes, len);
	s = js_PublishAsync(p->js, subj, text, (int)len, &po);
	free(text);
	if (s != NATS_OK) {
		unsigned long long n = atomic_fetch_add(&p->pub_errors, 1);
		atomic_fetch_sub(&p->pending_bytes, len);
		atomic_fetch_sub(&p->pending, 1);
		if (!(n & (n + 1)) || !(n % 1000)) /* 1st, 2nd, 4th... */
			log_warn(&p->d->log, NULL, "bus: publish on %s failed: "
				 "%s (%s)", subj, natsStatus_GetText(s),
				 nats_GetLastError(NULL) ?
				 nats_GetLastError(NULL) : "");
		return RETRY_LATER;
	}
	return SENT;
}

/* One subnet's delta dl (its changes since its previous delta), unless
 * too large or the bus is full: consumers then take the next table. */
static void send_delta(struct publisher *p, uint32_t i,
		       const struct fab_delta *dl)
{
	char subj[1024];
	json_t *o, *arr;

	if (dl->n > DELTA_MAX_ITEMS) {
		p->deltas_large++;
		return;
	}
	if (atomic_load(&p->pending) >= (int)p->max_pending ||
	    atomic_load(&p->pending_bytes) >= PUB_MAX_BYTES) {
		p->skipped_full++;
		return;
	}
	if (!subject(subj, sizeof(subj), BUS_DELTA, p, i))
		return;
	o = json_object();
	arr = json_array();
	head(o, p, i);
	json_object_set_new(o, "from_version",
			    json_integer((json_int_t)dl->from_version));
	json_object_set_new(o, "version", json_integer((json_int_t)dl->version));
	for (size_t k = 0; k < dl->n; k++)
		json_array_append_new(arr, json_pack(
			"{s:I, s:s, s:o}", "version",
			(json_int_t)dl->items[k].version, "op",
			fab_op_name(dl->items[k].op), "route",
			fab_route_json(&dl->items[k].route)));
	json_object_set_new(o, "deltas", arr);
	if (send_json(p, subj, o) == SENT)
		p->deltas++;
}

static void job_drop(struct publisher *p)
{
	struct pub_job *j = &p->job;

	if (j->f)
		fclose(j->f);
	free(j->text);
	fab_table_free(&j->t);
	memset(j, 0, sizeof(*j));
}

/* Start subnet i's table: its routes as they are now, and the message's
 * head up to the routes. False when it cannot be named or built (it
 * never will be). */
static bool job_start(struct publisher *p, uint32_t i)
{
	struct pub_job *j = &p->job;
	json_t *o;
	char *head_text;

	job_drop(p);
	if (!subject(j->subj, sizeof(j->subj), BUS_STATE, p, i) ||
	    fab_subnet_table(FAB(p), i, &j->t) != FAB_OK) {
		job_drop(p);
		return false;
	}
	o = json_object();
	head(o, p, i);
	json_object_set_new(o, "version", json_integer((json_int_t)j->t.version));
	head_text = json_dumps(o, PHAROS_JSON_DUMP);
	json_decref(o);
	j->f = open_memstream(&j->text, &j->len);
	if (!head_text || !j->f) {
		free(head_text);
		job_drop(p);
		return false;
	}
	/* {"format":1,...,"version":V} -> {"format":1,...,"version":V,"routes":[ */
	head_text[strlen(head_text) - 1] = 0;
	fprintf(j->f, "%s,\"routes\":[", head_text);
	free(head_text);
	j->subnet = i;
	j->active = true;
	return true;
}

/* Encode up to budget more routes of the job's table (*done counts
 * them); once all are, publish it. True when the job is over. */
static bool job_run(struct publisher *p, size_t budget, size_t *done)
{
	struct pub_job *j = &p->job;
	size_t start = j->next;
	size_t end = start + budget < j->t.n ? start + budget : j->t.n;

	for (; j->next < end; j->next++) {
		json_t *r = fab_route_json(&j->t.routes[j->next]);
		if (j->next)
			fputc(',', j->f);
		json_dumpf(r, j->f, PHAROS_JSON_DUMP);
		json_decref(r);
	}
	*done += end - start + 1;
	if (j->next < j->t.n)
		return false;
	fputs("]}", j->f);
	bool ok = !ferror(j->f);
	fclose(j->f);
	j->f = NULL;
	if (!ok) {
		free(j->text);
		j->text = NULL;
	}
	int rc = send_text(p, j->subj, j->text);
	j->text = NULL;
	if (rc == RETRY_LATER)
		p->dirty[j->subnet] = 1; /* a newer table, when it can be */
	p->states += rc == SENT;
	job_drop(p);
	return true;
}

static void resize(struct publisher *p)
{
	size_t n = fab_n_subnets(FAB(p));

	job_drop(p); /* the subnets are renumbered */
	free(p->delta_version);
	free(p->state_at);
	free(p->dirty);
	p->n_subnets = n;
	p->delta_version = calloc(n ? n : 1, sizeof(*p->delta_version));
	p->state_at = calloc(n ? n : 1, sizeof(*p->state_at));
	p->dirty = malloc(n ? n : 1);
	if (!p->delta_version || !p->state_at || !p->dirty)
		abort();
	memset(p->dirty, 1, n);
}

static bool can_publish(const struct publisher *p)
{
	return !p->stopped && atomic_load(&p->ready) && !p->d->sess.stopping &&
	       p->d->fglue && !p->d->fglue->held;
}

/* Each subnet's changes since its previous delta: published as one
 * delta, and its table marked. fab_subnet_deltas_upto builds no more
 * than it needs: nothing for a subnet without BGP routes, the first
 * item when only a change matters, DELTA_MAX_ITEMS + 1 at most. */
static void track(struct publisher *p)
{
	uint64_t cur = fab_version(FAB(p));

	for (uint32_t i = 0; i < p->n_subnets; i++) {
		struct fab_delta dl = { 0 };
		uint64_t from = p->delta_version[i];
		if (from >= cur)
			continue;
		/* no base to start from (nothing was sent yet): only
		 * whether anything changed */
		int rc = fab_subnet_deltas_upto(FAB(p), i, from,
						from ? DELTA_MAX_ITEMS : 0, &dl);
		if (rc != FAB_OK || dl.n) {
			p->dirty[i] = 1;
			if (rc == FAB_OK && from)
				send_delta(p, i, &dl);
		}
		fab_delta_free(&dl);
		p->delta_version[i] = cur;
	}
}

/* Arm state_timer for the earliest table due (now: on the next turn). */
static void schedule(struct publisher *p, double now)
{
	double due = -1;

	for (uint32_t i = 0; i < p->n_subnets; i++) {
		if (!p->dirty[i])
			continue;
		double t = p->state_at[i] + p->state_iv;
		if (due < 0 || t < due)
			due = t;
	}
	ev_timer_stop(p->d->loop, &p->state_timer);
	if (due < 0)
		return;
	ev_timer_set(&p->state_timer, due > now ? due - now : 0, 0);
	ev_timer_start(p->d->loop, &p->state_timer);
}

static bool bus_full(struct publisher *p)
{
	if (atomic_load(&p->pending) < (int)p->max_pending &&
	    atomic_load(&p->pending_bytes) < PUB_MAX_BYTES)
		return false;
	p->skipped_full++;
	return true; /* the rest when acks make room */
}

/* Deltas of what changed, then the tables that are due, while the bus
 * has room: about TURN_ROUTES routes encoded a turn, a large table over
 * several turns (state_timer at 0 brings the next), so that BGP input is
 * never held up long behind the tables. */
static void pump(struct publisher *p)
{
	size_t done = 0;
	double now;

	if (!can_publish(p))
		return;
	track(p);
	if (p->job.active) {
		if (bus_full(p))
			return;
		if (!job_run(p, TURN_ROUTES, &done))
			goto next_turn;
	}
	now = ev_time();
	for (uint32_t i = 0; i < p->n_subnets; i++) {
		if (!p->dirty[i] || now < p->state_at[i] + p->state_iv)
			continue;
		if (bus_full(p))
			return;
		if (done >= TURN_ROUTES)
			goto next_turn;
		p->dirty[i] = 0; /* changes from now on mark it again */
		p->state_at[i] = now;
		if (job_start(p, i) &&
		    !job_run(p, TURN_ROUTES - done, &done))
			goto next_turn;
		now = ev_time();
	}
	schedule(p, now);
	return;
next_turn:
	ev_timer_stop(p->d->loop, &p->state_timer);
	ev_timer_set(&p->state_timer, 0, 0);
	ev_timer_start(p->d->loop, &p->state_timer);
}

static void heartbeat(struct publisher *p)
{
	char subj[256], ts[40], *text;
	json_t *o;

	if (p->stopped || !atomic_load(&p->connected) || p->d->sess.stopping)
		return;
	o = json_pack("{s:i, s:s, s:s, s:I, s:i, s:I, s:b}", "format",
		      BUS_FORMAT, "route_server", p->name, "ts",
		      log_time_iso(ts, sizeof(ts)), "boot", (json_int_t)p->boot,
		      "interval_s", (int)p->hb_s, "version",
		      (json_int_t)fab_version(FAB(p)), "held",
		      p->d->fglue && p->d->fglue->held);
	text = json_dumps(o, PHAROS_JSON_DUMP);
	json_decref(o);
	snprintf(subj, sizeof(subj), "%s.%s", BUS_HB, p->token);
	if (text && natsConnection_PublishString(p->nc, subj, text) == NATS_OK)
		p->heartbeats++;
	free(text);
}

/* An agent's ack: pharos.agent.VNET.SUBNET.AGENT {"agent","versions":
 * {RS: version},"failed","error"}; the version it holds of our table. */
static void agent_msg(struct publisher *p, const struct inbox_msg *m)
{
	char vnet[256], sub[256], full[520];
	const char *t[3];
	char *tok = m->subject + strlen(BUS_AGENT) + 1, *save = NULL, *x;
	json_t *o = json_loads(m->data, 0, NULL);
	const char *agent = json_string_value(json_object_get(o, "agent"));
	json_t *ver = json_object_get(json_object_get(o, "versions"), p->name);
	json_int_t failed = json_integer_value(json_object_get(o, "failed"));
	int n = 0;

	while (n < 3 && (x = strtok_r(n ? NULL : tok, ".", &save)))
		t[n++] = x;
	if (n != 3 || !o || !agent || !*agent || strlen(agent) > 128 ||
	    !bus_untoken(vnet, sizeof(vnet), t[0]) ||
	    !bus_untoken(sub, sizeof(sub), t[1])) {
		p->agent_bad++;
		json_decref(o);
		return;
	}
	snprintf(full, sizeof(full), "%s/%s", vnet, sub);
	if (fab_subnet_find(FAB(p), full) >= 0) {
		fabric_agent_ack(p->d->fglue, agent, full,
				 json_is_integer(ver) ?
				 (uint64_t)json_integer_value(ver) : 0,
				 failed > 0 ? (uint64_t)failed : 0,
				 json_string_value(json_object_get(o, "error")));
		p->agent_msgs++;
	}
	json_decref(o);
}

static void drain_inbox(struct publisher *p)
{
	struct inbox_msg *v;
	size_t n;

	pthread_mutex_lock(&p->mu);
	v = p->inbox;
	n = p->n_inbox;
	p->inbox = NULL;
	p->n_inbox = p->cap_inbox = 0;
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < n; i++) {
		if (!p->stopped)
			agent_msg(p, &v[i]);
		free(v[i].subject);
		free(v[i].data);
	}
	free(v);
}

static void state_changes(struct publisher *p)
{
	bool c = atomic_load(&p->connected), r = atomic_load(&p->ready);
	unsigned gen = atomic_load(&p->ready_gen);
	struct daemon *d = p->d;

	if (c != p->was_connected) {
		p->was_connected = c;
		if (c) {
			log_info(&d->log, NULL, "bus: connected to NATS");
		} else {
			log_warn(&d->log, NULL, "bus: NATS connection lost, "
				 "the client reconnects");
			events_emit(d->events, "bus_down", NULL,
				    "NATS connection lost");
		}
	}
	/* each new connection's setup, even one the loop did not see
	 * coming: the bus may hold less than we sent before */
	if (r && gen != p->seen_gen) {
		p->seen_gen = gen;
		memset(p->dirty, 1, p->n_subnets);
		memset(p->state_at, 0, p->n_subnets * sizeof(*p->state_at));
		job_drop(p); /* everything is sent again anyway */
		log_info(&d->log, NULL, "bus: streams ready, publishing %zu "
			 "subnets as %s", p->n_subnets, p->name);
		events_emit(d->events, "bus_up", NULL,
			    "publishing to NATS JetStream as %s", p->name);
		heartbeat(p);
	}
}

static void wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct publisher *p = w->data;

	state_changes(p);
	drain_inbox(p);
	pump(p);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct publisher *p = w->data;
	double now = ev_now(loop);

	state_changes(p);
	if (now >= p->next_hb) {
		heartbeat(p);
		p->next_hb = now + p->hb_s;
	}
	pump(p);
}

static void state_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	pump(w->data);
}

static void fabric_cb(void *arg, uint64_t version, bool rebuilt)
{
	struct publisher *p = arg;

	if (rebuilt)
		resize(p);
	pump(p);
}

/* ------------------------------------------------ setup */

static char *read_first_line(const char *path)
{
	char buf[4096] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	return strdup(buf);
}

static natsStatus set_auth(natsOptions *o, const struct conf_publish *c)
{
	natsStatus s = NATS_OK;
	char *secret = NULL;

	if (c->creds_file)
		s = natsOptions_SetUserCredentialsFromFiles(o, c->creds_file,
							    NULL);
	if (s == NATS_OK && c->token_file) {
		secret = read_first_line(c->token_file);
		s = secret ? natsOptions_SetToken(o, secret) : NATS_ERR;
	}
	if (s == NATS_OK && c->user) {
		secret = read_first_line(c->password_file);
		s = secret ? natsOptions_SetUserInfo(o, c->user, secret) :
			     NATS_ERR;
	}
	free(secret);
	if (s == NATS_OK && c->ca_file)
		s = natsOptions_LoadCATrustedCertificates(o, c->ca_file);
	if (s == NATS_OK && c->cert_file)
		s = natsOptions_LoadCertificatesChain(o, c->cert_file,
						      c->key_file);
	if (s == NATS_OK && (c->ca_file || c->cert_file))
		s = natsOptions_SetSecure(o, true);
	return s;
}

static natsStatus make_options(struct publisher *p, const struct conf_publish *c)
{
	natsStatus s = natsOptions_Create(&p->opts);
	char cname[128];

	snprintf(cname, sizeof(cname), "pharosd %s", p->name);
	if (s == NATS_OK)
		s = natsOptions_SetServers(p->opts, (const char **)c->urls,
					   (int)c->n_urls);
	if (s == NATS_OK)
		s = natsOptions_SetName(p->opts, cname);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(p->opts, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(p->opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(p->opts, 1000);
	/* a server that stops reading must not hold the loop: a write
	 * that cannot finish in time fails, and the client reconnects */
	if (s == NATS_OK)
		s = natsOptions_SetWriteDeadline(p->opts, WRITE_DEADLINE_MS);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(p->opts, true,
							conn_up_cb, p);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(p->opts, disconnected_cb, p);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(p->opts, reconnected_cb, p);
	if (s == NATS_OK)
		s = set_auth(p->opts, c);
	return s;
}

static natsStatus connect_bus(struct publisher *p)
{
	jsOptions jo;
	natsStatus s = natsConnection_Connect(&p->nc, p->opts);

	if (s == NATS_OK) {
		atomic_store(&p->connected, true);
		p->need_setup = true;
	} else if (s == NATS_NOT_YET_CONNECTED) {
		s = NATS_OK; /* the client keeps trying; conn_up_cb follows */
	}
	if (s != NATS_OK)
		return s;
	jsOptions_Init(&jo);
	jo.Wait = 5000;
	jo.PublishAsync.MaxPending = (int64_t)p->max_pending + 16;
	jo.PublishAsync.StallWait = 1;
	jo.PublishAsync.AckHandler = ack_cb;
	jo.PublishAsync.AckHandlerClosure = p;
	s = natsConnection_JetStream(&p->js, p->nc, &jo);
	if (s == NATS_OK)
		s = natsConnection_Subscribe(&p->agents_sub, p->nc,
					     BUS_AGENT ".>", agent_msg_cb, p);
	return s;
}

struct publisher *publisher_new(struct daemon *d)
{
	const struct conf_publish *c = &d->conf->fabric.publish;
	struct publisher *p;
	natsStatus s;

	if (!c->n_urls || !d->fglue)
		return NULL;
	{
		char err[256];
		if (nats_dl_load(err, sizeof(err)) < 0) {
			log_err(&d->log, NULL, "bus: %s: not publishing", err);
			return NULL;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->d = d;
	p->boot = (uint64_t)(ev_time() * 1000.0);
	p->name = strdup(c->name);
	p->hb_s = c->heartbeat_s ? c->heartbeat_s : 5;
	p->max_pending = c->max_pending ? c->max_pending : 1024;
	p->state_iv = c->state_interval_ms / 1000.0;
	p->listener = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (!p->name || !bus_token(p->token, sizeof(p->token), p->name))
		goto fail;
	resize(p);
	ev_async_init(&p->wake, wake_cb);
	p->wake.data = p;
	ev_async_start(d->loop, &p->wake);
	s = make_options(p, c);
	if (s == NATS_OK)
		s = connect_bus(p);
	if (s != NATS_OK) {
		log_err(&d->log, NULL, "bus: cannot set up the NATS client: %s",
			natsStatus_GetText(s));
		goto fail;
	}
	if (pthread_create(&p->setup_thr, NULL, setup_main, p) != 0)
		goto fail;
	p->thr_started = true;
	p->listener = fabric_listen(d->fglue, fabric_cb, p);
	ev_timer_init(&p->tick, tick_cb, 1.0, 1.0);
	p->tick.data = p;
	ev_timer_start(d->loop, &p->tick);
	ev_timer_init(&p->state_timer, state_timer_cb, 0, 0);
	p->state_timer.data = p;
	log_info(&d->log, NULL, "bus: publishing to %s%s as %s", c->urls[0],
		 c->n_urls > 1 ? " (and more)" : "", p->name);
	return p;
fail:
	publisher_free(p);
	return NULL;
}

void publisher_stop(struct publisher *p)
{
	if (p)
		p->stopped = true;
}

void publisher_free(struct publisher *p)
{
	if (!p)
		return;
	p->stopped = true;
	if (p->listener >= 0)
		fabric_unlisten(p->d->fglue, p->listener);
	ev_timer_stop(p->d->loop, &p->tick);
	ev_timer_stop(p->d->loop, &p->state_timer);
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (p->thr_started)
		pthread_join(p->setup_thr, NULL);
	if (p->agents_sub) {
		natsSubscription_Unsubscribe(p->agents_sub);
		natsSubscription_Destroy(p->agents_sub);
	}
	if (p->nc)
		natsConnection_Close(p->nc);
	jsCtx_Destroy(p->js);
	natsConnection_Destroy(p->nc);
	natsOptions_Destroy(p->opts);
	nats_CloseAndWait(2000);
	ev_async_stop(p->d->loop, &p->wake);
	drain_inbox(p);
	job_drop(p);
	free(p->delta_version);
	free(p->state_at);
	free(p->dirty);
	free(p->name);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

char *publisher_metrics(const struct publisher *p)
{
	char *text = NULL;
	size_t len = 0, dirty = 0;
	FILE *f;

	if (!p)
		return strdup("");
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < p->n_subnets; i++)
		dirty += p->dirty[i];
	fprintf(f, "# HELP pharos_bus_connected Whether the NATS connection is up\n"
		"# TYPE pharos_bus_connected gauge\npharos_bus_connected %d\n",
		atomic_load(&p->connected) ? 1 : 0);
	fprintf(f, "# HELP pharos_bus_ready Whether the JetStream streams are set up\n"
		"# TYPE pharos_bus_ready gauge\npharos_bus_ready %d\n",
		atomic_load(&p->ready) ? 1 : 0);
	fprintf(f, "# HELP pharos_bus_published_total Messages published, by kind\n"
		"# TYPE pharos_bus_published_total counter\n"
		"pharos_bus_published_total{kind=\"state\"} %llu\n"
		"pharos_bus_published_total{kind=\"delta\"} %llu\n"
		"pharos_bus_published_total{kind=\"heartbeat\"} %llu\n",
		(unsigned long long)p->states, (unsigned long long)p->deltas,
		(unsigned long long)p->heartbeats);
	fprintf(f, "# HELP pharos_bus_too_large_total Messages not published: over the NATS server's max_payload\n"
		"# TYPE pharos_bus_too_large_total counter\npharos_bus_too_large_total %llu\n",
		(unsigned long long)p->too_large);
	fprintf(f, "# HELP pharos_bus_delta_too_large_total Deltas not published: more than %d route changes (consumers take the next table)\n"
		"# TYPE pharos_bus_delta_too_large_total counter\npharos_bus_delta_too_large_total %llu\n",
		DELTA_MAX_ITEMS, (unsigned long long)p->deltas_large);
	fprintf(f, "# HELP pharos_bus_acked_total Publishes JetStream acknowledged\n"
		"# TYPE pharos_bus_acked_total counter\npharos_bus_acked_total %llu\n",
		(unsigned long long)atomic_load(&p->acked));
	fprintf(f, "# HELP pharos_bus_publish_errors_total Publishes refused or not acknowledged in time\n"
		"# TYPE pharos_bus_publish_errors_total counter\npharos_bus_publish_errors_total %llu\n",
		(unsigned long long)atomic_load(&p->pub_errors));
	fprintf(f, "# HELP pharos_bus_pending Publishes awaiting JetStream's ack\n"
		"# TYPE pharos_bus_pending gauge\npharos_bus_pending %d\n",
		atomic_load(&p->pending));
	fprintf(f, "# HELP pharos_bus_pending_bytes Bytes of the publishes awaiting JetStream's ack\n"
		"# TYPE pharos_bus_pending_bytes gauge\npharos_bus_pending_bytes %lld\n",
		(long long)atomic_load(&p->pending_bytes));
	fprintf(f, "# HELP pharos_bus_subnets_waiting Subnets whose newest table is not sent yet\n"
		"# TYPE pharos_bus_subnets_waiting gauge\npharos_bus_subnets_waiting %zu\n",
		dirty);
	fprintf(f, "# HELP pharos_bus_disconnects_total NATS connection losses\n"
		"# TYPE pharos_bus_disconnects_total counter\npharos_bus_disconnects_total %llu\n",
		(unsigned long long)atomic_load(&p->disconnects));
	fprintf(f, "# HELP pharos_bus_agent_messages_total Agents' acks read from the bus\n"
		"# TYPE pharos_bus_agent_messages_total counter\n"
		"pharos_bus_agent_messages_total{result=\"ok\"} %llu\n"
		"pharos_bus_agent_messages_total{result=\"bad\"} %llu\n"
		"pharos_bus_agent_messages_total{result=\"dropped\"} %llu\n",
		(unsigned long long)p->agent_msgs,
		(unsigned long long)p->agent_bad,
		(unsigned long long)atomic_load(&p->inbox_dropped));
	fclose(f);
	return text;
}
