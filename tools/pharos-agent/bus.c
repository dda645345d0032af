/*
 * bus.c - pharos-agent's side of the NATS bus (--nats): the subnet's
 * tables and the route servers' heartbeats in, the agent's acks out.
 *
 * libnats delivers on its own threads; this file only copies what
 * arrives into a queue under a mutex and wakes the agent's loop through
 * an eventfd, so the loop (main.c) stays the only owner of the agent's
 * state. New tables arrive on a plain subscription to
 * pharos.state.VNET.SUBNET.* (cheap for the server however many agents
 * there are). What was published before, or while the connection was
 * down, comes from a catch-up: an ordered JetStream consumer that starts
 * with the last message of every route server on that subject
 * (DeliverLastPerSubject), dropped once it has delivered them, and made
 * again after every reconnection. So an agent that starts while every
 * route server is down still gets their last tables. A table may thus
 * come twice, or an older one after a newer: the loop keeps the newest by
 * the route server's (boot, version).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <nats/nats.h>

#include "agent.h"
#include "base/bus.h"

#define BUS_QUEUE_MAX 4096
#define BUS_SUB_RETRY_S 2.0
#define BUS_CATCHUP_MAX_S 30.0 /* a catch-up that delivers nothing ends */

struct ag_bus {
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *state_sub, *live_sub, *hb_sub;
	double catchup_started;
	atomic_bool catchup_done, need_catchup;
	int efd;
	char state_filter[610]; /* pharos.state.V.S.* */
	char state_prefix[600]; /* pharos.state.V.S. */
	char ack_subject[900];
	double next_sub_try;
	char last_sub_err[200];

	pthread_mutex_t mu;
	struct ag_bus_msg *q; /* under mu */
	size_t n, cap;
	atomic_bool connected;
	atomic_uint conn_events; /* connects and losses, for the loop */
	atomic_ullong dropped;
};

static void poke(struct ag_bus *b)
{
	uint64_t one = 1;
	ssize_t r = write(b->efd, &one, sizeof(one));
	(void)r;
}

static void push(struct ag_bus *b, int kind, const char *rs, const char *data,
		 int len)
{
	bool ok = false;
	pthread_mutex_lock(&b->mu);
	if (b->n < BUS_QUEUE_MAX) {
		if (b->n == b->cap) {
			size_t nc = b->cap ? b->cap * 2 : 16;
			void *nv = realloc(b->q, nc * sizeof(*b->q));
			if (nv) {
				b->q = nv;
				b->cap = nc;
			}
		}
		if (b->n < b->cap) {
			struct ag_bus_msg *m = &b->q[b->n];
			m->kind = kind;
			m->rs = strdup(rs);
			m->data = strndup(data ? data : "", len > 0 ? (size_t)len : 0);
			if (m->rs && m->data) {
				b->n++;
				ok = true;
			} else {
				free(m->rs);
				free(m->data);
			}
		}
	}
	pthread_mutex_unlock(&b->mu);
	if (!ok)
		atomic_fetch_add(&b->dropped, 1);
	poke(b);
}

/* The route server's name: the last token of the subject. */
static bool rs_of(const char *subject, const char *prefix, char *out,
		  size_t len)
{
	size_t pl = strlen(prefix);
	if (strncmp(subject, prefix, pl) || strchr(subject + pl, '.'))
		return false;
	return bus_untoken(out, len, subject + pl);
}

static void live_cb(natsConnection *nc, natsSubscription *sub, natsMsg *m,
		    void *closure)
{
	struct ag_bus *b = closure;
	char rs[256];
	if (rs_of(natsMsg_GetSubject(m), b->state_prefix, rs, sizeof(rs)))
		push(b, AG_BUS_STATE, rs, natsMsg_GetData(m),
		     natsMsg_GetDataLength(m));
	natsMsg_Destroy(m);
}

/* The catch-up consumer: the same, and "done" after the last pending. */
static void catchup_cb(natsConnection *nc, natsSubscription *sub,
		       natsMsg *m, void *closure)
{
	struct ag_bus *b = closure;
	jsMsgMetaData *meta = NULL;
	if (natsMsg_GetMetaData(&meta, m) == NATS_OK && meta->NumPending == 0)
		atomic_store(&b->catchup_done, true);
	jsMsgMetaData_Destroy(meta);
	live_cb(nc, sub, m, closure);
}

static void hb_cb(natsConnection *nc, natsSubscription *sub, natsMsg *m,
		  void *closure)
{
	struct ag_bus *b = closure;
	char rs[256];
	if (rs_of(natsMsg_GetSubject(m), BUS_HB ".", rs, sizeof(rs)))
		push(b, AG_BUS_HEARTBEAT, rs, natsMsg_GetData(m),
		     natsMsg_GetDataLength(m));
	natsMsg_Destroy(m);
}

static void up_cb(natsConnection *nc, void *closure)
{
	struct ag_bus *b = closure;
	atomic_store(&b->need_catchup, true);
	atomic_store(&b->connected, true);
	atomic_fetch_add(&b->conn_events, 1);
	poke(b);
}

static void down_cb(natsConnection *nc, void *closure)
{
	struct ag_bus *b = closure;
	atomic_store(&b->connected, false);
	atomic_fetch_add(&b->conn_events, 1);
	poke(b);
}

static natsStatus set_security(natsOptions *o, const struct ag_bus_opts *bo)
{
	natsStatus s = NATS_OK;
	if (bo->creds)
		s = natsOptions_SetUserCredentialsFromFiles(o, bo->creds, NULL);
	if (s == NATS_OK && bo->token)
		s = natsOptions_SetToken(o, bo->token);
	if (s == NATS_OK && bo->ca)
		s = natsOptions_LoadCATrustedCertificates(o, bo->ca);
	if (s == NATS_OK && bo->cert)
		s = natsOptions_LoadCertificatesChain(o, bo->cert, bo->key);
	if (s == NATS_OK && (bo->ca || bo->cert))
		s = natsOptions_SetSecure(o, true);
	return s;
}

static natsStatus make_options(struct ag_bus *b, const struct ag_bus_opts *bo)
{
	natsStatus s = natsOptions_Create(&b->opts);
	char name[300];
	snprintf(name, sizeof(name), "pharos-agent %s", bo->agent);
	if (s == NATS_OK)
		s = natsOptions_SetServers(b->opts, (const char **)bo->urls, (int)bo->n_urls);
	if (s == NATS_OK)
		s = natsOptions_SetName(b->opts, name);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(b->opts, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(b->opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(b->opts, 1000);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(b->opts, true, up_cb, b);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(b->opts, down_cb, b);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(b->opts, up_cb, b);
	if (s == NATS_OK)
		s = set_security(b->opts, bo);
	return s;
}

static bool subjects(struct ag_bus *b, const struct ag_bus_opts *bo)
{
	char v[BUS_TOKEN_MAX], s[BUS_TOKEN_MAX], a[BUS_TOKEN_MAX];
	if (!bus_token(v, sizeof(v), bo->vnet) ||
	    !bus_token(s, sizeof(s), bo->subnet) ||
	    !bus_token(a, sizeof(a), bo->agent))
		return false;
	snprintf(b->state_prefix, sizeof(b->state_prefix), "%s.%s.%s.",
		 BUS_STATE, v, s);
	snprintf(b->state_filter, sizeof(b->state_filter), "%s*",
		 b->state_prefix);
	snprintf(b->ack_subject, sizeof(b->ack_subject), "%s.%s.%s.%s",
		 BUS_AGENT, v, s, a);
	return true;
}

struct ag_bus *ag_bus_open(const struct ag_bus_opts *bo, char *err,
			   size_t errlen)
{
	struct ag_bus *b = calloc(1, sizeof(*b));
	natsStatus s;
	if (!b)
		return NULL;
	pthread_mutex_init(&b->mu, NULL);
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd < 0 || !subjects(b, bo)) {
		snprintf(err, errlen, "bus: %s", b->efd < 0 ? strerror(errno) :
			 "names too long for a subject");
		ag_bus_close(b);
		return NULL;
	}
	s = make_options(b, bo);
	if (s == NATS_OK) {
		s = natsConnection_Connect(&b->nc, b->opts);
		if (s == NATS_OK)
			up_cb(b->nc, b);
		else if (s == NATS_NOT_YET_CONNECTED)
			s = NATS_OK; /* the client keeps trying */
	}
	if (s == NATS_OK)
		s = natsConnection_JetStream(&b->js, b->nc, NULL);
	if (s == NATS_OK)
		s = natsConnection_Subscribe(&b->hb_sub, b->nc, BUS_HB ".*",
					     hb_cb, b);
	if (s == NATS_OK)
		s = natsConnection_Subscribe(&b->live_sub, b->nc,
					     b->state_filter, live_cb, b);
	if (s != NATS_OK) {
		snprintf(err, errlen, "bus: %s: %s", natsStatus_GetText(s),
			 nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "");
		ag_bus_close(b);
		return NULL;
	}
	return b;
}

void ag_bus_close(struct ag_bus *b)
{
	if (!b)
		return;
	if (b->state_sub)
		natsSubscription_Destroy(b->state_sub);
	if (b->live_sub)
		natsSubscription_Destroy(b->live_sub);
	if (b->hb_sub)
		natsSubscription_Destroy(b->hb_sub);
	if (b->nc)
		natsConnection_Close(b->nc);
	jsCtx_Destroy(b->js);
	natsConnection_Destroy(b->nc);
	natsOptions_Destroy(b->opts);
	nats_CloseAndWait(2000);
	struct ag_bus_msg *v = NULL;
	size_t n = ag_bus_take(b, &v);
	ag_bus_msgs_free(v, n);
	if (b->efd >= 0)
		close(b->efd);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

int ag_bus_fd(const struct ag_bus *b)
{
	return b->efd;
}

bool ag_bus_connected(const struct ag_bus *b)
{
	return atomic_load(&b->connected);
}

unsigned ag_bus_conn_events(const struct ag_bus *b)
{
	return atomic_load(&b->conn_events);
}

unsigned long long ag_bus_dropped(const struct ag_bus *b)
{
	return atomic_load(&b->dropped);
}

static void catchup_end(struct ag_bus *b)
{
	if (!b->state_sub)
		return;
	natsSubscription_Unsubscribe(b->state_sub); /* deletes the consumer */
	natsSubscription_Destroy(b->state_sub);
	b->state_sub = NULL;
}

/* Catch up on the stored tables once connected (a request: bounded by
 * the JetStream wait), and drop that consumer once it delivered them.
 * Returns 1 when a catch-up just started, 2 when one ended, -1 when it
 * could not start (err says why), 0 otherwise. */
int ag_bus_poll(struct ag_bus *b, double now, char *err, size_t errlen)
{
	uint64_t junk;
	ssize_t r = read(b->efd, &junk, sizeof(junk));
	(void)r;
	if (b->state_sub && (atomic_load(&b->catchup_done) ||
			     now - b->catchup_started > BUS_CATCHUP_MAX_S)) {
		catchup_end(b);
		return 2;
	}
	if (!atomic_load(&b->need_catchup) || !atomic_load(&b->connected) ||
	    now < b->next_sub_try)
		return 0;
	catchup_end(b); /* a reconnect during a catch-up: start over */
	atomic_store(&b->need_catchup, false);
	atomic_store(&b->catchup_done, false);
	jsOptions jo;
	jsSubOptions so;
	jsErrCode jerr = 0;
	jsOptions_Init(&jo);
	jo.Wait = 2000;
	jsSubOptions_Init(&so);
	so.Ordered = true;
	so.Config.DeliverPolicy = js_DeliverLastPerSubject;
	natsStatus s = js_Subscribe(&b->state_sub, b->js, b->state_filter,
				    catchup_cb, b, &jo, &so, &jerr);
	if (s == NATS_OK) {
		b->catchup_started = now;
		return 1;
	}
	b->state_sub = NULL;
	atomic_store(&b->need_catchup, true);
	b->next_sub_try = now + BUS_SUB_RETRY_S;
	snprintf(err, errlen, "subscribing to %s: %s%s%s", b->state_filter,
		 natsStatus_GetText(s), nats_GetLastError(NULL) ? ": " : "",
		 nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "");
	return -1;
}

size_t ag_bus_take(struct ag_bus *b, struct ag_bus_msg **out)
{
	pthread_mutex_lock(&b->mu);
	size_t n = b->n;
	*out = b->q;
	b->q = NULL;
	b->n = b->cap = 0;
	pthread_mutex_unlock(&b->mu);
	return n;
}

void ag_bus_msgs_free(struct ag_bus_msg *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].rs);
		free(v[i].data);
	}
	free(v);
}

int ag_bus_ack(struct ag_bus *b, const char *json_text)
{
	if (!atomic_load(&b->connected))
		return -1;
	return natsConnection_PublishString(b->nc, b->ack_subject,
					    json_text) == NATS_OK ? 0 : -1;
}
