/*
 * pharosd.c - the route server daemon: command line, setup of the one
 * daemon context (configuration, RIB, exporter, peers, listeners, API),
 * signals, the event loop, and an orderly shutdown that says goodbye to
 * every peer and logs the RIB size and memory per route.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "session/fsm.h"
#include "session/peer.h"
#include "daemon/daemon.h"
#include "daemon/fabric_glue.h"
#include "daemon/drill.h"
#include "daemon/reload.h"
#include "daemon/mrt_glue.h"
#include "api/metrics.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pharosd -c FILE [-n] [-p] [-d]\n"
		"  -c FILE  configuration (YAML)\n"
		"  -n       check the configuration and exit\n"
		"  -p       print the parsed configuration and exit\n"
		"  -d       debug logging\n");
}

static void sig_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	log_info(&d->log, NULL, "signal %d: shutting down", w->signum);
	daemon_shutdown(d, "pharosd shutting down");
}

static void sig_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	int status;

	json_decref(daemon_reload(d, &status)); /* logged and an event */
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

static int daemon_init(struct daemon *d)
{
	const struct conf_rs *rs = &d->conf->rs;
	struct rib_config rc = {.local_asn = rs->asn,
				.routing_pref = rs->routing_pref,
				.compare_med = rs->compare_med,
				.max_paths = rs->max_paths ? rs->max_paths : 8};

	d->loop = ev_default_loop(EVFLAG_AUTO);
	d->started = ev_now(d->loop);
	d->started_wall = time(NULL);
	d->events = events_new(1000, d->conf->api.events_file, stderr);
	d->rib = rib_new(&rc);
	if (!d->events || !d->rib || originated_init(d) < 0)
		return -1;
	export_config_init(d);
	d->ex = export_new(d->rib, &d->excfg);
	if (!d->ex || peers_create(d) < 0)
		return -1;
	if (listeners_start(d) < 0)
		return -1;
	if (fabric_glue_init(d) < 0)
		return -1;
	d->api = api_start(d);
	if (!d->api)
		return -1;
	d->metrics = metrics_new(d);
	d->mrt = mrt_glue_new(d);
	if (!d->metrics || !d->mrt)
		return -1;
	daemon_watchers_start(d);
	ev_signal_init(&d->sig_int, sig_stop_cb, SIGINT);
	ev_signal_init(&d->sig_term, sig_stop_cb, SIGTERM);
	ev_signal_init(&d->sig_hup, sig_hup_cb, SIGHUP);
	d->sig_int.data = d->sig_term.data = d->sig_hup.data = d;
	ev_signal_start(d->loop, &d->sig_int);
	ev_signal_start(d->loop, &d->sig_term);
	ev_signal_start(d->loop, &d->sig_hup);
	return 0;
}

static void log_final_stats(struct daemon *d)
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

static void daemon_fini(struct daemon *d)
{
	api_stop(d->api);
	drills_free(d->drills);
	mrt_glue_free(d->mrt);
	metrics_free(d->metrics);
	if (!d->stopping)
		listeners_stop(d);
	if (d->ex) {
		for (unsigned i = 0; i < d->n_peers; i++)
			if (d->peers[i]->export_up)
				export_peer_down(d->ex, d->peers[i]->rib_id);
	}
	peers_free(d);
	if (d->loop)
		conns_linger_free(d);
	if (d->ex)
		export_free(d->ex);
	fabric_glue_free(d);
	if (d->rib)
		rib_free(d->rib);
	events_free(d->events);
	free(d->originated);
	if (d->loop) {
		ev_idle_stop(d->loop, &d->idle);
		ev_prepare_stop(d->loop, &d->prepare);
		ev_loop_destroy(d->loop);
	}
}

static int run(struct conf *conf, bool debug)
{
	struct daemon d;
	int rc = 0;

	memset(&d, 0, sizeof(d));
	d.conf = conf;
	log_init(&d.log, debug ? PLOG_DEBUG : PLOG_INFO, stderr);
	signal(SIGPIPE, SIG_IGN);
	if (daemon_init(&d) < 0) {
		log_err(&d.log, NULL, "startup failed");
		rc = 1;
	} else {
		log_info(&d.log, NULL, "pharosd %s started: AS %u, %u peers, "
			 "port %u", PHAROS_VERSION, conf->rs.asn, d.n_peers,
			 conf->rs.port);
		for (unsigned i = 0; i < d.n_peers; i++)
			fsm_start(d.peers[i]);
		ev_run(d.loop, 0);
		log_final_stats(&d);
	}
	daemon_fini(&d);
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	bool check = false, print = false, debug = false;
	struct conf *conf;
	int c, rc;

	while ((c = getopt(argc, argv, "c:npdh")) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'n': check = true; break;
		case 'p': print = true; break;
		case 'd': debug = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 1;
	}
	conf = conf_load(path, stderr);
	if (!conf)
		return 1;
	if (check || print) {
		if (print)
			conf_print(conf, stdout);
		else
			printf("%s: configuration ok\n", path);
		conf_free(conf);
		return 0;
	}
	rc = run(conf, debug);
	conf_free(conf);
	return rc;
}
