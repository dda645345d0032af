/*
 * daemon.c - setting up and tearing down the one daemon context: the
 * loop, events, RIB, exporter, the session floor (with its hooks wired to
 * the daemon), listeners, fabric, API, metrics, MRT output and signals
 * (SIGHUP reloads and reopens the log files, SIGUSR1 only reopens them,
 * SIGUSR2 stops for a graceful restart: sessions closed without a
 * NOTIFICATION, so that peers keep pharosd's routes (RFC 4724);
 * systemd is told of reloads and stopping on $NOTIFY_SOCKET);
 * an orderly teardown; the RIB size and memory per route logged at exit.
 */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/metrics.h"
#include "bmp/bmp.h"
#include "daemon/daemon.h"
#include "daemon/drill.h"
#include "daemon/drill_sched.h"
#include "daemon/hold.h"
#include "fabric/live.h"
#include "daemon/mrt_glue.h"
#include "daemon/rpki_mgr.h"
#include "daemon/local_routes.h"
#include "daemon/publish.h"
#include "daemon/reload.h"
#include "session/peer.h"

/* Tell systemd (Type=notify) about a state change: one datagram to
 * $NOTIFY_SOCKET (sd_notify(3) protocol); nothing when it is not set. */
void daemon_notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = 0; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		     (struct sockaddr *)&sa,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	close(fd);
}

/* Log rotation: the events file and the MRT update log are reopened. */
static void reopen_files(struct daemon *d)
{
	int rc = events_reopen(d->events);

	mrt_glue_reopen(d->mrt);
	log_info(&d->log, NULL, "log files reopened%s",
		 rc < 0 ? " (events file failed)" : "");
}

static void sig_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	log_info(&d->log, NULL, "signal %d: shutting down", w->signum);
	daemon_notify_systemd("STOPPING=1");
	daemon_shutdown(d, "pharosd shutting down");
}

static void sig_gr_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	log_info(&d->log, NULL, "signal %d: stopping for a graceful restart",
		 w->signum);
	daemon_notify_systemd("STOPPING=1");
	daemon_shutdown(d, NULL);
}

static void sig_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	int status;

	daemon_notify_systemd("RELOADING=1");
	reopen_files(d);
	json_decref(daemon_reload(d, false, &status)); /* logged and an event */
	daemon_notify_systemd("READY=1");
}

static void sig_usr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	reopen_files(w->data);
}

/* The fabric's address spaces are originated to every peer. */
static int originated_init(struct daemon *d)
{
	d->originated = conf_originated(d->conf, &d->n_originated);
	return d->originated ? 0 : -1;
}

static void export_config_init(struct daemon *d)
{
	const struct conf_rs *rs = &d->conf->rs;
	struct export_config *x = &d->excfg;

	memset(x, 0, sizeof(*x));
	x->local_asn = rs->asn;
	x->branch_to_branch = rs->branch_to_branch;
	x->transparent_as = rs->transparent_as;
	x->n_originated = d->n_originated;
	x->originated = d->originated;
	x->next_hop_v4 = rs->router_id;
	for (unsigned i = 0; i < rs->n_listen; i++) {
		const struct addr *a = &rs->listen[i];
		static const uint8_t zero[16];
		if (!memcmp(a->b, zero, 16))
			continue;
		if (a->afi == AFI_IPV4 && x->next_hop_v4.afi != AFI_IPV4)
			x->next_hop_v4 = *a;
		if (a->afi == AFI_IPV6 && !x->next_hop_v6.afi)
			x->next_hop_v6 = *a;
	}
}

int daemon_init(struct daemon *d, const char *events_file)
{
	const struct conf_rs *rs = &d->conf->rs;
	struct rib_config rc = {.local_asn = rs->asn,
				.routing_pref = rs->routing_pref,
				.compare_med = rs->compare_med,
				.max_paths = rs->max_paths ? rs->max_paths : 8};

	d->loop = ev_default_loop(EVFLAG_AUTO);
	d->started = ev_now(d->loop);
	d->started_wall = time(NULL);
	if (!events_file)
		events_file = d->conf->api.events_file;
	/* Events are echoed on stderr only into a text log without a file. */
	d->events = events_new(1000, events_file,
			       events_file || d->log.target != PLOG_TEXT ?
			       NULL : stderr);
	d->rib = rib_new(&rc);
	if (!d->events || !d->rib || originated_init(d) < 0)
		return -1;
	export_config_init(d);
	d->ex = export_new(d->rib, &d->excfg);
	if (!d->ex || local_routes_init(d) < 0)
		return -1;
	export_sweep_later(d->ex, true); /* swept when the loop is idle */
	daemon_session_wire(d);
	/* Before the first session: routes are validated from the start
	 * (not_found until the cache's ROAs arrive, then revalidated). */
	d->rpki = rpki_mgr_start(d);
	if (peers_create(&d->sess) < 0)
		return -1;
	if (listeners_start(&d->sess) < 0)
		return -1;
	d->bmp = bmp_new(&d->sess);
	if (!d->bmp)
		return -1;
	d->fglue = fabric_live_new(&d->conf->fabric, d->rib, d->loop, &d->log);
	if (!d->fglue)
		return -1;
	d->fglue->events = d->events;
	daemon_api_wire(d);
	d->api = api_start(&d->apih);
	if (!d->api)
		return -1;
	d->apih.api = d->api;
	d->apih.bmp = d->bmp;
	d->metrics = metrics_new(&d->apih);
	d->apih.metrics = d->metrics;
	d->mrt = mrt_glue_new(d);
	if (!d->metrics || !d->mrt)
		return -1;
	d->pub = publisher_new(d);
	if (d->conf->fabric.publish.n_urls && !d->pub)
		return -1;
	daemon_watchers_start(d);
	hold_start(d);
	if (drill_sched_apply(d) < 0)
		return -1;
	ev_signal_init(&d->sig_int, sig_stop_cb, SIGINT);
	ev_signal_init(&d->sig_term, sig_stop_cb, SIGTERM);
	ev_signal_init(&d->sig_hup, sig_hup_cb, SIGHUP);
	ev_signal_init(&d->sig_usr1, sig_usr1_cb, SIGUSR1);
	ev_signal_init(&d->sig_usr2, sig_gr_stop_cb, SIGUSR2);
	d->sig_int.data = d->sig_term.data = d->sig_hup.data = d;
	d->sig_usr1.data = d->sig_usr2.data = d;
	ev_signal_start(d->loop, &d->sig_int);
	ev_signal_start(d->loop, &d->sig_term);
	ev_signal_start(d->loop, &d->sig_hup);
	ev_signal_start(d->loop, &d->sig_usr1);
	ev_signal_start(d->loop, &d->sig_usr2);
	return 0;
}

void daemon_log_final_stats(struct daemon *d)
{
	struct rib_stats st;

	if (d->have_final_stats)
		st = d->final_stats;
	else
		rib_stats(d->rib, &st);
	log_info(&d->log, NULL,
		 "stopped: RIB %zu prefixes (%zu IPv4, %zu IPv6), %zu routes, "
		 "%zu attribute sets, %zu bytes, %.1f bytes per route",
		 st.prefixes[AFI_IPV4] + st.prefixes[AFI_IPV6],
		 st.prefixes[AFI_IPV4], st.prefixes[AFI_IPV6], st.paths,
		 st.attrs, st.bytes,
		 st.paths ? (double)st.bytes / (double)st.paths : 0.0);
}

void daemon_fini(struct daemon *d)
{
	hold_stop(d);
	api_stop(d->api);
	drill_sched_free(d);
	drills_free(d->drills);
	rpki_mgr_stop(d->rpki);
	d->rpki = NULL;
	publisher_free(d->pub);
	mrt_glue_free(d->mrt);
	metrics_free(d->metrics);
	if (!d->sess.stopping)
		listeners_stop(&d->sess);
	if (d->ex) {
		for (unsigned i = 0; i < d->sess.n_peers; i++)
			if (d->sess.peers[i]->export_up)
				export_peer_down(d->ex, d->sess.peers[i]->rib_id);
	}
	bmp_free(d->bmp);
	peers_free(&d->sess);
	if (d->loop)
		conns_linger_free(&d->sess);
	if (d->ex)
		export_free(d->ex);
	local_routes_free(d);
	fabric_live_free(d->fglue);
	if (d->rib)
		rib_free(d->rib);
	events_free(d->events);
	free(d->originated);
	if (d->loop) {
		ev_idle_stop(d->loop, &d->idle);
		ev_idle_stop(d->loop, &d->prune);
		ev_prepare_stop(d->loop, &d->prepare);
		ev_loop_destroy(d->loop);
	}
}
