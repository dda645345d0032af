/*
 * main.c - pharos-agent: follow one subnet's routes, install them locally.
 *
 * The agent keeps, per route server, the subnet's effective routes (table,
 * then long-polled deltas) and installs the union of their answers into a
 * kernel table over netlink: the routes it owns carry its own protocol
 * number, every other route is left alone. After each change it dumps the
 * table, diffs and sends one batch, then acknowledges the version to the
 * server. A server that stops answering keeps its routes for the stale
 * time (graceful restart); when no server answers for that long, the
 * agent's routes are removed. Events are JSON lines on stdout, logs go to
 * stderr; SIGUSR1 prints counters, SIGHUP reconciles at once.
 *
 * With --nats the tables come from the NATS bus instead (bus.c): every
 * route server publishing for the subnet is one more server in the union,
 * up while its heartbeats arrive; the acks go back on the bus.
 *
 * All state hangs off one struct agent; the loop is single-threaded
 * (libcurl multi + a signalfd, and the bus's eventfd).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "base/bus.h"
#include "base/jsonfmt.h"
#include "agent.h"
#include "base/log.h"
#include "base/version.h"

#define AG_MAXSRV 8
#define AG_RESYNC_S 30.0 /* periodic re-dump and reconcile */
#define AG_RETRY_S 5.0 /* after a failed apply */
#define AG_RESYNC_TRIES 3 /* fresh socket, dump and diff after ENOBUFS */
#define AG_GUARD_EVENTS 64 /* route-refused events per reconcile */
#define AG_BUS_ACK_S 5.0 /* acks on the bus double as heartbeats */
#define AG_BUS_MISSED 3.0 /* heartbeat intervals before a server is lost */

struct agent_stats {
	uint64_t applies, versions_applied, routes_added, routes_replaced,
		routes_removed, conflicts, failures, acks_ok, acks_failed,
		guard_refused, nl_resyncs;
	double last_latency_ms, max_latency_ms;
	size_t routes_owned;
};

struct agent {
	/* options */
	const char *vnet, *subnet, *name, *metrics_file;
	char vnet_buf[256], name_buf[256], token[512];
	struct ag_nlparams p;
	struct ag_tls tls;
	struct ag_guard guard;
	double stale_s;
	int wait_s;
	bool once, verbose;
	int nl_rcvbuf; /* --netlink-rcvbuf (0: 4 MiB) */
	size_t nl_batch; /* --netlink-batch, first socket only (0: sized) */
	/* state */
	struct ag_server srv[AG_MAXSRV];
	size_t n_srv;
	CURLM *multi;
	struct ag_nl *nl;
	int sigfd;
	bool quit, dirty, changed, flushed;
	long last_failed; /* routes the last reconcile could not install */
	char last_error[256]; /* its first problem, for the ack */
	size_t guard_shown; /* route-refused events this reconcile */
	double next_resync;
	struct agent_stats st;
	/* --nats */
	struct ag_bus_opts bo;
	char bus_token_buf[512];
	struct ag_bus *bus;
	double started, next_bus_ack;
	unsigned bus_events; /* ag_bus_conn_events() last seen */
	bool bus_ack_due;
	unsigned bus_sub_fails; /* subscription attempts that failed */
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void logmsg(const struct agent *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pharos-agent[%s]: ", a->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Print one event line: {"ts":..., "event":NAME, ...fields of o}. */
static void event(const struct agent *a, const char *name, json_t *o)
{
	char ts[40];
	json_t *e = json_pack("{s:s, s:s, s:s}", "ts",
			      log_time_iso(ts, sizeof(ts)),
			      "event", name, "agent", a->name);
	if (o)
		json_object_update(e, o);
	char *s = json_dumps(e, PHAROS_JSON_DUMP);
	if (s)
		printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(e);
	json_decref(o);
}

/* ------------------------------------------------------------- metrics */

static void stats_text(const struct agent *a, FILE *f)
{
	const struct agent_stats *s = &a->st;
	fprintf(f, "pharos_agent_applies_total %llu\n",
		(unsigned long long)s->applies);
	fprintf(f, "pharos_agent_versions_applied_total %llu\n",
		(unsigned long long)s->versions_applied);
	fprintf(f, "pharos_agent_routes_added_total %llu\n",
		(unsigned long long)s->routes_added);
	fprintf(f, "pharos_agent_routes_replaced_total %llu\n",
		(unsigned long long)s->routes_replaced);
	fprintf(f, "pharos_agent_routes_removed_total %llu\n",
		(unsigned long long)s->routes_removed);
	fprintf(f, "pharos_agent_route_conflicts_total %llu\n",
		(unsigned long long)s->conflicts);
	fprintf(f, "pharos_agent_route_failures_total %llu\n",
		(unsigned long long)s->failures);
	fprintf(f, "pharos_agent_routes_refused_total %llu\n",
		(unsigned long long)s->guard_refused);
	fprintf(f, "pharos_agent_netlink_resyncs_total %llu\n",
		(unsigned long long)s->nl_resyncs);
	fprintf(f, "pharos_agent_acks_total{result=\"ok\"} %llu\n",
		(unsigned long long)s->acks_ok);
	fprintf(f, "pharos_agent_acks_total{result=\"failed\"} %llu\n",
		(unsigned long long)s->acks_failed);
	fprintf(f, "pharos_agent_apply_latency_ms %.3f\n", s->last_latency_ms);
	fprintf(f, "pharos_agent_apply_latency_max_ms %.3f\n",
		s->max_latency_ms);
	fprintf(f, "pharos_agent_routes_owned %zu\n", s->routes_owned);
	for (size_t i = 0; i < a->n_srv; i++) {
		const struct ag_server *v = &a->srv[i];
		fprintf(f, "pharos_agent_server_up{server=\"%s\"} %d\n", v->url,
			v->up);
		fprintf(f, "pharos_agent_server_stale{server=\"%s\"} %d\n",
			v->url, v->stale);
		fprintf(f, "pharos_agent_server_version{server=\"%s\"} %llu\n",
			v->url, (unsigned long long)v->version);
	}
}

static void write_metrics(const struct agent *a)
{
	char tmp[4096];
	if (!a->metrics_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->metrics_file);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		logmsg(a, "cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	stats_text(a, f);
	if (fclose(f) != 0 || rename(tmp, a->metrics_file) != 0)
		logmsg(a, "cannot write %s: %s", a->metrics_file,
		       strerror(errno));
}

/* ----------------------------------------------------------- reconcile */

static void op_failed(const struct ag_op *op, int err, void *arg)
{
	struct agent *a = arg;
	char buf[1024];
	static const char *const names[] = { "add", "replace", "remove" };
	logmsg(a, "kernel refused to %s %s: %s", names[op->op],
	       ag_route_fmt(&op->r, buf, sizeof(buf)), strerror(err));
	if (!a->last_error[0])
		snprintf(a->last_error, sizeof(a->last_error),
			 "kernel refused to %s %.160s: %s", names[op->op], buf,
			 strerror(err));
	event(a, "route-failed", json_pack("{s:s, s:s, s:s}", "op", names[op->op],
					   "route", buf, "error",
					   strerror(err)));
}

/* The guard kept a route out: say so (the first few of each pass). */
static void guard_refused(const struct ag_route *r, const char *why,
			  void *arg)
{
	struct agent *a = arg;
	char buf[1024];
	a->st.guard_refused++;
	if (a->guard_shown++ >= AG_GUARD_EVENTS)
		return;
	ag_route_fmt(r, buf, sizeof(buf));
	logmsg(a, "not installing %s: %s", buf, why);
	event(a, "route-refused", json_pack("{s:s, s:s}", "route", buf,
					    "reason", why));
}

/* What the guard must know now: the servers' addresses and the host's. */
static void guard_refresh(struct agent *a)
{
	a->guard.n_srv = 0;
	for (size_t i = 0; i < a->n_srv; i++)
		if (a->srv[i].has_ip)
			ag_guard_add_server(&a->guard, &a->srv[i].ip);
	if (ag_guard_host(&a->guard) != 0)
		logmsg(a, "cannot read the host's addresses: %s",
		       strerror(errno));
}

/* Dump, diff and apply once. Returns the failed count, -1 when the
 * netlink socket failed (errno kept). */
static int apply_once(struct agent *a, const struct ag_rset *want,
		      struct ag_rset *kernel, struct ag_ops *ops)
{
	char err[256];
	ag_ops_free(ops);
	if (ag_nl_dump(a->nl, &a->p, kernel, err, sizeof(err)) != 0) {
		logmsg(a, "%s", err);
		return -1;
	}
	ag_diff(want, kernel, a->p.proto, a->p.metric, ops);
	if (ops->n > ops->conflicts)
		return ag_nl_apply(a->nl, &a->p, ops, op_failed, a);
	return 0;
}

/* A failed socket (ENOBUFS: answers lost) is out of step with the
 * kernel: open a fresh one, and dump and diff again. */
static int apply_resync(struct agent *a, const struct ag_rset *want,
			struct ag_rset *kernel, struct ag_ops *ops)
{
	char err[256];
	int failed = apply_once(a, want, kernel, ops);
	for (int t = 1; failed < 0 && t < AG_RESYNC_TRIES; t++) {
		int e = errno;
		logmsg(a, "netlink: %s: new socket, fresh dump and resync",
		       strerror(e));
		event(a, "netlink-resync", json_pack("{s:s, s:i}", "error",
						      strerror(e), "try", t));
		a->st.nl_resyncs++;
		ag_nl_close(a->nl);
		/* batches sized to the new socket's buffer, whatever
		 * --netlink-batch said */
		a->nl = ag_nl_open_tuned(a->nl_rcvbuf, 0, err, sizeof(err));
		if (!a->nl) {
			logmsg(a, "%s", err);
			return -1;
		}
		failed = apply_once(a, want, kernel, ops);
	}
	return failed;
}

/* The union of every server holding a table: reachable servers first,
 * then stale ones, each group in command-line order. */
static size_t union_order(struct agent *a, const struct ag_rset **sets)
{
	size_t n = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < a->n_srv; i++) {
			const struct ag_server *s = &a->srv[i];
			if (s->has_table && s->stale == (pass == 1))
				sets[n++] = &s->desired;
		}
	return n;
}

static void report_ops(struct agent *a, const struct ag_ops *ops)
{
	static const char *const names[] = { "add", "replace", "remove",
					     "conflict" };
	char buf[1024];
	size_t shown = 0;
	for (size_t i = 0; i < ops->n && shown < 256; i++, shown++)
		event(a, "route", json_pack("{s:s, s:s}", "op",
					    names[ops->v[i].op], "route",
					    ag_route_fmt(&ops->v[i].r, buf,
							 sizeof(buf))));
	if (ops->n > shown)
		event(a, "route", json_pack("{s:s, s:I}", "op", "more", "count",
					    (json_int_t)(ops->n - shown)));
}

static json_t *versions_json(const struct agent *a)
{
	json_t *v = json_object();
	for (size_t i = 0; i < a->n_srv; i++)
		if (a->srv[i].has_table)
			json_object_set_new(v, a->srv[i].url,
					    json_integer((json_int_t)a->srv[i].version));
	return v;
}

static void account(struct agent *a, const struct ag_ops *ops, size_t want,
		    int failed, double ms, bool changed)
{
	struct agent_stats *s = &a->st;
	s->applies++;
	if (changed)
		s->versions_applied++;
	s->routes_added += ops->adds;
	s->routes_replaced += ops->replaces;
	s->routes_removed += ops->dels;
	s->conflicts += ops->conflicts;
	s->failures += (uint64_t)failed;
	s->last_latency_ms = ms;
	if (ms > s->max_latency_ms)
		s->max_latency_ms = ms;
	size_t bad = ops->conflicts + (size_t)failed;
	s->routes_owned = want > bad ? want - bad : 0;
}

/* Make the kernel table hold the union. changed: a server's version moved
 * (an "applied" event is printed even when the kernel was already right). */
static int reconcile(struct agent *a, bool changed)
{
	const struct ag_rset *sets[AG_MAXSRV];
	struct ag_rset want = { 0 }, kernel = { 0 };
	struct ag_ops ops = { 0 };
	double t0 = mono();
	int failed = 0;
	ag_union(sets, union_order(a, sets), &want);
	guard_refresh(a);
	a->guard_shown = 0;
	a->last_error[0] = 0;
	ag_guard_filter(&a->guard, &want, guard_refused, a);
	failed = apply_resync(a, &want, &kernel, &ops);
	if (failed < 0) {
		int e = errno;
		logmsg(a, "netlink batch failed: %s", strerror(e));
		snprintf(a->last_error, sizeof(a->last_error),
			 "netlink: %s", strerror(e));
		a->last_failed = (long)(want.n ? want.n : 1);
		a->st.failures++;
		event(a, "apply-failed", json_pack("{s:s}", "error",
						   a->last_error));
		goto out;
	}
	a->last_failed = failed;
	double ms = (mono() - t0) * 1000.0;
	account(a, &ops, want.n, failed, ms, changed);
	if (changed || ops.n) {
		report_ops(a, &ops);
		event(a, "applied",
		      json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
				"versions", versions_json(a), "routes",
				(json_int_t)want.n, "added", (json_int_t)ops.adds,
				"replaced", (json_int_t)ops.replaces, "removed",
				(json_int_t)ops.dels, "conflicts",
				(json_int_t)ops.conflicts, "failed",
				(json_int_t)failed, "latency_ms", ms));
	}
	write_metrics(a);
out:
	ag_rset_free(&want);
	ag_rset_free(&kernel);
	ag_ops_free(&ops);
	return failed;
}

/* ------------------------------------------------------------ the loop */

/* May the agent decide what to install? Yes when a server holds a table,
 * or when every server's grace (since start or since lost) has passed
 * with no table: then the answer is "nothing" (flush). */
static int decision(const struct agent *a, double now)
{
	bool grace = a->bus && now - a->started < a->stale_s;
	for (size_t i = 0; i < a->n_srv; i++) {
		const struct ag_server *s = &a->srv[i];
		if (s->has_table)
			return 1;
		if (s->up || now - s->lost_at < a->stale_s)
			grace = true;
	}
	return grace ? 0 : -1;
}

static void expire_stale(struct agent *a, double now)
{
	for (size_t i = 0; i < a->n_srv; i++) {
		struct ag_server *s = &a->srv[i];
		if (!s->has_table || s->up || now - s->lost_at < a->stale_s)
			continue;
		s->has_table = s->stale = false;
		s->entries.n = s->desired.n = 0;
		a->dirty = true;
		logmsg(a, "%s unreachable for %.0f s: its routes expire", s->url,
		       now - s->lost_at);
		event(a, "stale-expired", json_pack("{s:s}", "server", s->url));
	}
	if (decision(a, now) < 0 && !a->flushed) {
		a->flushed = true;
		a->dirty = true;
		logmsg(a, "no route server answered for %.0f s: removing routes",
		       a->stale_s);
		event(a, "flushed", json_pack("{s:s, s:f}", "reason",
					      "no route server reachable",
					      "stale_time", a->stale_s));
	}
}

static void server_event(struct agent *a, struct ag_server *s,
			 const struct ag_srv_result *r)
{
	if (r->went_up) {
		logmsg(a, "%s answers", s->url);
		event(a, "server-up", json_pack("{s:s}", "server", s->url));
	}
	if (r->went_down) {
		logmsg(a, "%s lost: %s%s", s->url, r->err,
		       s->stale ? " (routes kept while stale)" : "");
		event(a, "server-down",
		      json_pack("{s:s, s:s, s:b, s:f}", "server", s->url, "error",
				r->err, "stale", s->stale, "stale_time",
				a->stale_s));
	} else if (r->outcome == AG_SRV_FAILED &&
		   (a->verbose || !(s->failures & (s->failures - 1)))) {
		/* not answering yet: log the 1st, 2nd, 4th, 8th... failure */
		logmsg(a, "%s: %s", s->url, r->err);
	}
	if (r->resync) {
		logmsg(a, "%s: version %llu unknown to the server, resyncing",
		       s->url, (unsigned long long)s->version);
		event(a, "resync", json_pack("{s:s}", "server", s->url));
	}
	if (r->outcome == AG_SRV_CHANGED && r->err[0])
		logmsg(a, "%s: %s", s->url, r->err);
}

static void handle_result(struct agent *a, struct ag_server *s,
			  const struct ag_srv_result *r)
{
	if (r->ack_done) {
		if (r->ack_ok) {
			a->st.acks_ok++;
		} else {
			a->st.acks_failed++;
			logmsg(a, "%s: ack of version %llu failed (HTTP %ld): %s",
			       s->url, (unsigned long long)r->ack_version,
			       r->status, r->err);
		}
		return;
	}
	server_event(a, s, r);
	if (r->outcome == AG_SRV_CHANGED) {
		a->dirty = a->changed = true;
		a->flushed = false;
		if (a->verbose)
			logmsg(a, "%s: %s, version %llu (%zu items)", s->url,
			       r->table ? "table" : "deltas",
			       (unsigned long long)s->version, r->items);
	}
	write_metrics(a);
}

static void drain_curl(struct agent *a, double now)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(a->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *h = m->easy_handle;
		int code = m->data.result;
		for (size_t i = 0; i < a->n_srv; i++) {
			struct ag_srv_result r;
			if (ag_srv_done(&a->srv[i], a->multi, h, code, now, &r)) {
				handle_result(a, &a->srv[i], &r);
				break;
			}
		}
	}
}

static void read_signals(struct agent *a)
{
	struct signalfd_siginfo si;
	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			stats_text(a, stderr);
		else if (si.ssi_signo == SIGHUP)
			a->dirty = true;
		else
			a->quit = true;
	}
}

/* --once: every server answered or failed once. */
static bool once_done(const struct agent *a)
{
	for (size_t i = 0; i < a->n_srv; i++)
		if (!a->srv[i].has_table && !a->srv[i].failures)
			return false;
	return true;
}

static bool acks_in_flight(const struct agent *a)
{
	for (size_t i = 0; i < a->n_srv; i++)
		if (a->srv[i].ack)
			return true;
	return false;
}

/* ------------------------------------------------------------- the bus */

/* The slot of route server rs on the bus (added on first sight). */
static struct ag_server *bus_server(struct agent *a, const char *rs)
{
	char url[300];
	snprintf(url, sizeof(url), "nats:%s", rs);
	for (size_t i = 0; i < a->n_srv; i++)
		if (!strcmp(a->srv[i].url, url))
			return &a->srv[i];
	if (a->n_srv == AG_MAXSRV)
		return NULL;
	struct ag_server *s = &a->srv[a->n_srv];
	memset(s, 0, sizeof(*s));
	s->url = strdup(url);
	if (!s->url)
		return NULL;
	s->index = (int)a->n_srv++;
	s->lost_at = a->started; /* not heard yet: stale since start */
	s->hb_interval = 5;
	logmsg(a, "route server %s publishes for %s/%s", rs, a->vnet,
	       a->subnet);
	return s;
}

/* A table from the bus. It may come twice (live and from the catch-up)
 * or after a newer one: only a newer (boot, version) of that route server
 * replaces what the agent holds (versions restart with the route server,
 * its boot time does not go back). */
static void bus_state(struct agent *a, struct ag_server *s, const char *text)
{
	struct ag_entries t = { 0 };
	uint64_t version = 0;
	char err[256];
	json_t *o = json_loads(text, 0, NULL);
	json_int_t fmt = json_integer_value(json_object_get(o, "format"));
	uint64_t boot = (uint64_t)json_integer_value(json_object_get(o, "boot"));
	uint64_t ver = (uint64_t)json_integer_value(json_object_get(o, "version"));
	json_decref(o);
	if (s->has_table && (boot < s->boot ||
			     (boot == s->boot && ver <= s->version)))
		return; /* not newer than what we hold */
	if (fmt != BUS_FORMAT) {
		logmsg(a, "%s: table of format %lld ignored (want %d)", s->url,
		       (long long)fmt, BUS_FORMAT);
		return;
	}
	if (ag_parse_table(text, strlen(text), &t, &version, err,
			   sizeof(err)) != 0) {
		logmsg(a, "%s: bad table: %s", s->url, err);
		s->failures++;
		ag_entries_free(&t);
		return;
	}
	ag_entries_free(&s->entries);
	s->entries = t;
	ag_desired(&s->entries, &s->desired);
	s->has_table = true;
	s->stale = !s->up;
	s->version = version;
	s->boot = boot;
	s->tables++;
	a->dirty = a->changed = true;
	a->flushed = false;
	if (a->verbose)
		logmsg(a, "%s: table, version %llu (%zu entries)", s->url,
		       (unsigned long long)version, t.n);
}

static void bus_heartbeat(struct agent *a, struct ag_server *s,
			  const char *text, double now)
{
	json_t *o = json_loads(text, 0, NULL);
	json_t *iv = json_object_get(o, "interval_s");
	if (json_is_integer(iv) && json_integer_value(iv) > 0 &&
	    json_integer_value(iv) <= 3600)
		s->hb_interval = (double)json_integer_value(iv);
	json_decref(o);
	s->heard_at = now;
	if (!s->up) {
		s->up = s->was_up = true;
		s->stale = false;
		a->dirty = true; /* its table moves ahead of stale ones */
		logmsg(a, "%s answers", s->url);
		event(a, "server-up", json_pack("{s:s}", "server", s->url));
	}
}

/* Servers whose heartbeats stopped: stale, then expired (expire_stale). */
static void bus_silence(struct agent *a, double now)
{
	for (size_t i = 0; i < a->n_srv; i++) {
		struct ag_server *s = &a->srv[i];
		double window = AG_BUS_MISSED * s->hb_interval;
		if (!s->up || now - s->heard_at <= window)
			continue;
		s->up = false;
		s->stale = s->has_table;
		s->lost_at = s->heard_at;
		a->dirty = true;
		logmsg(a, "%s lost: no heartbeat for %.0f s%s", s->url,
		       now - s->heard_at,
		       s->stale ? " (routes kept while stale)" : "");
		event(a, "server-down",
		      json_pack("{s:s, s:s, s:b, s:f}", "server", s->url, "error",
				"heartbeats stopped", "stale", s->stale,
				"stale_time", a->stale_s));
	}
}

static void bus_connection(struct agent *a)
{
	unsigned ev = ag_bus_conn_events(a->bus);
	if (ev == a->bus_events)
		return;
	a->bus_events = ev;
	bool up = ag_bus_connected(a->bus);
	logmsg(a, "bus %s", up ? "connected" : "connection lost (reconnecting)");
	event(a, up ? "bus-up" : "bus-down", NULL);
	if (up)
		a->bus_ack_due = true;
}

static void bus_step(struct agent *a, double now)
{
	char err[512];
	struct ag_bus_msg *v = NULL;
	int rc = ag_bus_poll(a->bus, now, err, sizeof(err));
	if (rc < 0 && (a->verbose || !(a->bus_sub_fails++ & 7)))
		logmsg(a, "bus: %s", err);
	else if (rc == 1)
		logmsg(a, "bus: following %s/%s, catching up on stored tables",
		       a->vnet, a->subnet);
	else if (rc == 2 && a->verbose)
		logmsg(a, "bus: caught up");
	bus_connection(a);
	size_t n = ag_bus_take(a->bus, &v);
	for (size_t i = 0; i < n; i++) {
		struct ag_server *s = bus_server(a, v[i].rs);
		if (a->verbose)
			logmsg(a, "bus: %s from %s", v[i].kind == AG_BUS_STATE ?
			       "table" : "heartbeat", v[i].rs);
		if (!s)
			continue;
		if (v[i].kind == AG_BUS_STATE)
			bus_state(a, s, v[i].data);
		else
			bus_heartbeat(a, s, v[i].data, now);
	}
	ag_bus_msgs_free(v, n);
	bus_silence(a, now);
	if (n)
		write_metrics(a);
}

/* The agent's ack on the bus: after each reconcile and every few
 * seconds, so route servers list it among their agents. */
static void bus_ack(struct agent *a, double now)
{
	if (!a->bus_ack_due && now < a->next_bus_ack)
		return;
	json_t *vers = json_object();
	for (size_t i = 0; i < a->n_srv; i++)
		if (a->srv[i].has_table)
			json_object_set_new(vers, a->srv[i].url + 5, /* "nats:" */
					    json_integer((json_int_t)a->srv[i].version));
	json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:o, s:I, s:I}", "format",
			      BUS_FORMAT, "agent", a->name, "vnet", a->vnet,
			      "subnet", a->subnet, "versions", vers, "routes",
			      (json_int_t)a->st.routes_owned, "failed",
			      (json_int_t)a->last_failed);
	if (a->last_failed && a->last_error[0])
		json_object_set_new(o, "error", json_string(a->last_error));
	char *text = json_dumps(o, PHAROS_JSON_DUMP);
	json_decref(o);
	if (text && ag_bus_ack(a->bus, text) == 0) {
		a->st.acks_ok++;
		a->bus_ack_due = false;
		a->next_bus_ack = now + AG_BUS_ACK_S;
	}
	free(text);
}

static void step(struct agent *a, double now)
{
	int running, d;
	if (a->bus)
		bus_step(a, now);
	if (!a->bus && (!a->once || !once_done(a)))
		for (size_t i = 0; i < a->n_srv; i++)
			ag_srv_kick(&a->srv[i], a->multi, now, a->wait_s);
	curl_multi_perform(a->multi, &running);
	drain_curl(a, now);
	expire_stale(a, now);
	if (now >= a->next_resync)
		a->dirty = true;
	d = decision(a, now);
	if (a->dirty && d != 0) {
		bool changed = a->changed;
		a->dirty = a->changed = false;
		a->next_resync = now + AG_RESYNC_S;
		int failed = reconcile(a, changed);
		if (failed != 0)
			a->next_resync = now + AG_RETRY_S;
		/* acknowledge the version, with what did not reach the
		 * kernel (refused routes are reported as events and
		 * retried, they do not hold acks) */
		for (size_t i = 0; i < a->n_srv && !a->bus; i++)
			ag_srv_ack(&a->srv[i], a->multi, a->name,
				   a->last_failed, a->last_error);
		a->bus_ack_due = true;
	}
	if (a->bus)
		bus_ack(a, now);
}

static int run(struct agent *a)
{
	struct curl_waitfd wfd[2] = {
		{ .fd = a->sigfd, .events = CURL_WAIT_POLLIN },
		{ .fd = a->bus ? ag_bus_fd(a->bus) : -1,
		  .events = CURL_WAIT_POLLIN },
	};
	double once_end = 0;
	int numfds;
	while (!a->quit) {
		double now = mono();
		step(a, now);
		if (a->once && once_done(a) && !a->dirty) {
			if (!once_end)
				once_end = now + 5.0; /* let the acks finish */
			if (!acks_in_flight(a) || now > once_end)
				break;
		}
		curl_multi_poll(a->multi, wfd, a->bus ? 2 : 1, 200, &numfds);
		if (wfd[0].revents)
			read_signals(a);
		wfd[0].revents = wfd[1].revents = 0;
	}
	if (a->once && a->last_failed)
		return 1; /* --once: the kernel does not hold what it should */
	for (size_t i = 0; i < a->n_srv; i++)
		if (a->srv[i].has_table)
			return 0;
	return a->once ? 1 : 0;
}

/* ------------------------------------------------------------- options */

static const char usage_text[] =
	"usage: pharos-agent -s URL [-s URL2 ...] --subnet VNET/SUBNET [OPTIONS]\n"
	"       pharos-agent --nats URL [--nats URL2 ...] --subnet VNET/SUBNET [OPTIONS]\n"
	"\n"
	"Follows one subnet's effective routes from one or more pharos route\n"
	"servers and installs the union of their answers into a kernel routing\n"
	"table, touching only the routes it owns (its protocol number).\n"
	"\n"
	"  -s, --server URL        route server API, e.g. http://198.18.0.1:8179\n"
	"                          (repeatable, up to 8; earlier ones win when\n"
	"                          servers disagree on a prefix)\n"
	"  -N, --nats URL          follow the subnet on a NATS JetStream bus\n"
	"                          instead (nats:// or tls://; repeatable for\n"
	"                          a cluster): every route server publishing\n"
	"                          for the subnet joins the union\n"
	"      --nats-creds FILE   NATS credentials (JWT and NKey seed)\n"
	"      --nats-token-file FILE  NATS authentication token\n"
	"      --nats-ca FILE      verify the NATS server against these CAs\n"
	"      --nats-cert FILE, --nats-key FILE  TLS client certificate\n"
	"  -S, --subnet VNET/SUBNET  the subnet to follow (required)\n"
	"  -T, --table ID          kernel routing table (default 254, main)\n"
	"  -p, --protocol N        protocol number of our routes (default 200)\n"
	"  -m, --metric N          metric (priority) of our routes (default 0)\n"
	"  -x, --stale-time S      keep routes S seconds after losing every\n"
	"                          route server (default 120)\n"
	"  -w, --wait S            long-poll wait (default 30, max 60)\n"
	"  -t, --token-file FILE   the agent token for acks (api.agent_token_file;\n"
	"                          or $PHAROS_TOKEN); never the admin token\n"
	"  -C, --cacert FILE       verify an https:// server against these CAs\n"
	"  -P, --pin KEY           pin the server's public key: sha256//BASE64\n"
	"                          or a PEM/DER public key file\n"
	"  -H, --https-only        refuse plain http:// servers\n"
	"  -D, --allow-default     install a default route (and prefixes shorter\n"
	"                          than /8, /16 for IPv6) when a server sends one\n"
	"      --netlink-rcvbuf B  netlink receive buffer (default 4 MiB)\n"
	"      --netlink-batch N   requests per batch on the first socket\n"
	"                          (default: what the buffer holds; more makes\n"
	"                          the kernel drop answers: tests the resync)\n"
	"  -n, --name NAME         agent name in acks and events (default: host\n"
	"                          name)\n"
	"  -M, --metrics FILE      write counters in Prometheus text format\n"
	"  -1, --once              fetch, install, acknowledge, exit\n"
	"  -F, --flush             remove every route we own from the table, exit\n"
	"  -v, --verbose           log every poll answer\n"
	"  -h, --help              print this text\n"
	"  -V, --version           print the version\n";

static const struct option long_opts[] = {
	{ "version", no_argument, NULL, 'V' },
	{ "server", required_argument, NULL, 's' },
	{ "nats", required_argument, NULL, 'N' },
	{ "nats-creds", required_argument, NULL, 1001 },
	{ "nats-token-file", required_argument, NULL, 1002 },
	{ "nats-ca", required_argument, NULL, 1003 },
	{ "nats-cert", required_argument, NULL, 1004 },
	{ "nats-key", required_argument, NULL, 1005 },
	{ "subnet", required_argument, NULL, 'S' },
	{ "table", required_argument, NULL, 'T' },
	{ "protocol", required_argument, NULL, 'p' },
	{ "metric", required_argument, NULL, 'm' },
	{ "stale-time", required_argument, NULL, 'x' },
	{ "wait", required_argument, NULL, 'w' },
	{ "token-file", required_argument, NULL, 't' },
	{ "cacert", required_argument, NULL, 'C' },
	{ "pin", required_argument, NULL, 'P' },
	{ "https-only", no_argument, NULL, 'H' },
	{ "allow-default", no_argument, NULL, 'D' },
	{ "netlink-rcvbuf", required_argument, NULL, 'R' },
	{ "netlink-batch", required_argument, NULL, 'B' },
	{ "name", required_argument, NULL, 'n' },
	{ "metrics", required_argument, NULL, 'M' },
	{ "once", no_argument, NULL, '1' },
	{ "flush", no_argument, NULL, 'F' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int usage(const char *why, const char *arg)
{
	if (!why) {
		fputs(usage_text, stdout);
		return 0;
	}
	fprintf(stderr, "pharos-agent: %s%s%s (see pharos-agent --help)\n", why,
		arg ? ": " : "", arg ? arg : "");
	return 2;
}

static int num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int read_token(struct agent *a, const char *file)
{
	const char *env = getenv("PHAROS_TOKEN");
	size_t n = 0;
	a->token[0] = 0;
	if (file) {
		FILE *f = fopen(file, "r");
		if (!f) {
			fprintf(stderr, "pharos-agent: cannot read %s: %s\n", file,
				strerror(errno));
			return -1;
		}
		n = fread(a->token, 1, sizeof(a->token) - 1, f);
		fclose(f);
		a->token[n] = 0;
	} else if (env) {
		snprintf(a->token, sizeof(a->token), "%s", env);
	}
	n = strlen(a->token);
	while (n && strchr(" \t\r\n", a->token[n - 1]))
		a->token[--n] = 0;
	return 0;
}

struct cli {
	const char *servers[AG_MAXSRV];
	size_t n_servers;
	const char *token_file;
	const char *nats_token_file;
	bool flush;
};

static int parse_opt(struct agent *a, struct cli *c, int o, const char *arg)
{
	unsigned long v;
	switch (o) {
	case 's':
		if (c->n_servers == AG_MAXSRV)
			return usage("too many servers", arg);
		c->servers[c->n_servers++] = arg;
		return 0;
	case 'S': {
		const char *sl = strchr(arg, '/');
		if (!sl || sl == arg || !sl[1] || strchr(sl + 1, '/') ||
		    (size_t)(sl - arg) >= sizeof(a->vnet_buf))
			return usage("--subnet wants VNET/SUBNET", arg);
		snprintf(a->vnet_buf, sizeof(a->vnet_buf), "%.*s",
			 (int)(sl - arg), arg);
		a->vnet = a->vnet_buf;
		a->subnet = sl + 1;
		return 0;
	}
	case 'T':
		if (num(arg, 0xffffffffUL, &v) || v == 0)
			return usage("bad --table", arg);
		a->p.table = (uint32_t)v;
		return 0;
	case 'p':
		if (num(arg, 255, &v) || v < 1)
			return usage("bad --protocol (1..255)", arg);
		a->p.proto = (uint8_t)v;
		return 0;
	case 'm':
		if (num(arg, 0xffffffffUL, &v))
			return usage("bad --metric", arg);
		a->p.metric = (uint32_t)v;
		return 0;
	case 'x':
		if (num(arg, 86400 * 365, &v))
			return usage("bad --stale-time", arg);
		a->stale_s = (double)v;
		return 0;
	case 'w':
		if (num(arg, 60, &v) || v < 1)
			return usage("bad --wait (1..60)", arg);
		a->wait_s = (int)v;
		return 0;
	case 'N':
		if (a->bo.n_urls == 8)
			return usage("too many --nats URLs", arg);
		a->bo.urls[a->bo.n_urls++] = arg;
		return 0;
	case 1001: a->bo.creds = arg; return 0;
	case 1002: c->nats_token_file = arg; return 0;
	case 1003: a->bo.ca = arg; return 0;
	case 1004: a->bo.cert = arg; return 0;
	case 1005: a->bo.key = arg; return 0;
	case 't': c->token_file = arg; return 0;
	case 'C': a->tls.cacert = arg; return 0;
	case 'P': a->tls.pin = arg; return 0;
	case 'H': a->tls.https_only = true; return 0;
	case 'D': a->guard.allow_default = true; return 0;
	case 'R':
		if (num(arg, 1u << 30, &v) || v < 4096)
			return usage("bad --netlink-rcvbuf (4096..2^30)", arg);
		a->nl_rcvbuf = (int)v;
		return 0;
	case 'B':
		if (num(arg, 1000000, &v) || v < 1)
			return usage("bad --netlink-batch (1..1000000)", arg);
		a->nl_batch = (size_t)v;
		return 0;
	case 'n': a->name = arg; return 0;
	case 'M': a->metrics_file = arg; return 0;
	case '1': a->once = true; return 0;
	case 'F': c->flush = true; return 0;
	case 'v': a->verbose = true; return 0;
	case 'h': return usage(NULL, NULL) - 1; /* -1: exit 0 */
	case 'V': printf("pharos-agent %s\n", PHAROS_VERSION); return -1;
	default: return usage("unknown option", NULL);
	}
}

static int parse_args(struct agent *a, struct cli *c, int argc, char **argv)
{
	int o, rc;
	a->p.table = 254;
	a->p.proto = 200;
	a->stale_s = 120;
	a->wait_s = 30;
	while ((o = getopt_long(argc, argv, "s:N:S:T:p:m:x:w:t:C:P:HDR:B:n:M:1FvhV",
				long_opts, NULL)) != -1)
		if ((rc = parse_opt(a, c, o, optarg)) != 0)
			return rc;
	if (optind < argc)
		return usage("unexpected argument", argv[optind]);
	if (!c->flush && ((!c->n_servers && !a->bo.n_urls) || !a->vnet))
		return usage("-s URL (or --nats URL) and --subnet VNET/SUBNET "
			     "are required", NULL);
	if (c->n_servers && a->bo.n_urls)
		return usage("give -s URL or --nats URL, not both", NULL);
	if (a->bo.n_urls && a->once)
		return usage("--once follows HTTP servers only", NULL);
	if ((a->bo.cert != NULL) != (a->bo.key != NULL))
		return usage("--nats-cert and --nats-key go together", NULL);
	if (!a->name) {
		if (gethostname(a->name_buf, sizeof(a->name_buf) - 1) != 0)
			snprintf(a->name_buf, sizeof(a->name_buf), "agent");
		a->name = a->name_buf;
	}
	if (c->nats_token_file) {
		FILE *f = fopen(c->nats_token_file, "r");
		size_t n = f ? fread(a->bus_token_buf, 1,
				     sizeof(a->bus_token_buf) - 1, f) : 0;
		if (!f) {
			fprintf(stderr, "pharos-agent: cannot read %s: %s\n",
				c->nats_token_file, strerror(errno));
			return 1;
		}
		fclose(f);
		a->bus_token_buf[n] = 0;
		a->bus_token_buf[strcspn(a->bus_token_buf, "\r\n")] = 0;
		a->bo.token = a->bus_token_buf;
	}
	return read_token(a, c->token_file) ? 1 : 0;
}

static int setup_signals(struct agent *a)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	return a->sigfd < 0 ? -1 : 0;
}

static int flush_all(struct agent *a)
{
	a->flushed = true;
	int rc = reconcile(a, false);
	event(a, "flushed", json_pack("{s:I}", "removed",
				      (json_int_t)a->st.routes_removed));
	return rc == 0 ? 0 : 1;
}

static int start(struct agent *a, const struct cli *c)
{
	char err[256];
	double now = mono();
	a->nl = ag_nl_open_tuned(a->nl_rcvbuf, a->nl_batch, err, sizeof(err));
	if (!a->nl) {
		logmsg(a, "%s", err);
		return 1;
	}
	if (c->flush)
		return flush_all(a);
	if (setup_signals(a) != 0) {
		logmsg(a, "signals: %s", strerror(errno));
		return 1;
	}
	a->multi = curl_multi_init();
	a->started = now;
	if (a->bo.n_urls) {
		a->bo.vnet = a->vnet;
		a->bo.subnet = a->subnet;
		a->bo.agent = a->name;
		a->bus = ag_bus_open(&a->bo, err, sizeof(err));
		if (!a->bus) {
			logmsg(a, "%s", err);
			return 1;
		}
	}
	for (size_t i = 0; i < c->n_servers; i++) {
		if (ag_srv_init(&a->srv[i], (int)i, c->servers[i], a->vnet,
				a->subnet, a->token, now) != 0) {
			logmsg(a, "bad server URL %s", c->servers[i]);
			return 1;
		}
		a->n_srv++;
		a->srv[i].tls = &a->tls;
		if (a->tls.https_only && strncasecmp(c->servers[i], "https://", 8)) {
			logmsg(a, "%s: --https-only refuses plain HTTP",
			       c->servers[i]);
			return 2;
		}
	}
	a->next_resync = now + AG_RESYNC_S;
	event(a, "start", json_pack("{s:s, s:s, s:I, s:I, s:f}", "vnet",
				    a->vnet, "subnet", a->subnet, "table",
				    (json_int_t)a->p.table, "protocol",
				    (json_int_t)a->p.proto, "stale_time",
				    a->stale_s));
	int rc = run(a);
	event(a, "stop", json_pack("{s:b}", "routes_kept", true));
	return rc;
}

int main(int argc, char **argv)
{
	struct agent *a = calloc(1, sizeof(*a));
	struct cli c = { 0 };
	if (!a)
		return 1;
	a->sigfd = -1;
	int rc = parse_args(a, &c, argc, argv);
	if (rc == 0) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = start(a, &c);
		ag_bus_close(a->bus);
		for (size_t i = 0; i < a->n_srv; i++)
			ag_srv_free(&a->srv[i], a->multi);
		if (a->multi)
			curl_multi_cleanup(a->multi);
		curl_global_cleanup();
	} else if (rc < 0) {
		rc = 0;
	}
	ag_nl_close(a->nl);
	if (a->sigfd >= 0)
		close(a->sigfd);
	free(a);
	return rc;
}
