/*
 * pharosd.c - the route server daemon: command line, setup of the one
 * daemon context (configuration, RIB, exporter, peers, listeners, API),
 * signals, the event loop, and an orderly shutdown that says goodbye to
 * every peer and logs the RIB size and memory per route. Under systemd
 * (Type=notify) it reports readiness, reloads and stopping on
 * $NOTIFY_SOCKET.
 */
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "bgp/fsm.h"
#include "bgp/peer.h"
#include "core/daemon.h"
#include "core/fabric_glue.h"
#include "core/drill.h"
#include "core/reload.h"
#include "core/mrt_glue.h"
#include "api/metrics.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pharosd -c FILE [-n] [-p] [-d] [-L TARGET] [-e FILE]\n"
		"  -c, --config FILE       configuration (YAML)\n"
		"  -n, --check             check the configuration and exit\n"
		"  -p, --print             print the parsed configuration and exit\n"
		"  -d, --debug             debug logging\n"
		"  -L, --log TARGET        auto (default), stderr, journal or syslog\n"
		"  -e, --events-file FILE  events as JSON lines into FILE\n"
		"                          (instead of api.events_file)\n"
		"  -V, --version           print the version and exit\n"
		"  -h, --help              print this text\n");
}

/* Tell systemd (Type=notify) about a state change: one datagram to
 * $NOTIFY_SOCKET (sd_notify(3) protocol); nothing when it is not set. */
static void notify_systemd(const char *state)
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
	notify_systemd("STOPPING=1");
	daemon_shutdown(d, "pharosd shutting down");
}

static void sig_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	int status;

	notify_systemd("RELOADING=1");
	reopen_files(d);
	json_decref(daemon_reload(d, &status)); /* logged and an event */
	notify_systemd("READY=1");
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

static int daemon_init(struct daemon *d, const char *events_file)
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
	ev_signal_init(&d->sig_usr1, sig_usr1_cb, SIGUSR1);
	d->sig_int.data = d->sig_term.data = d->sig_hup.data = d;
	d->sig_usr1.data = d;
	ev_signal_start(d->loop, &d->sig_int);
	ev_signal_start(d->loop, &d->sig_term);
	ev_signal_start(d->loop, &d->sig_hup);
	ev_signal_start(d->loop, &d->sig_usr1);
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

struct opts {
	const char *path, *events_file;
	bool check, print, debug;
	int log_target; /* -1: auto */
};

static int run(struct conf *conf, const struct opts *o)
{
	struct daemon d;
	int rc = 0;

	memset(&d, 0, sizeof(d));
	d.conf = conf;
	log_init(&d.log, o->debug ? PLOG_DEBUG : PLOG_INFO, stderr);
	log_set_target(&d.log, o->log_target >= 0 ? o->log_target :
		       log_stderr_is_journal() ? PLOG_JOURNAL : PLOG_TEXT,
		       "pharosd");
	signal(SIGPIPE, SIG_IGN);
	if (geteuid() == 0)
		log_warn(&d.log, NULL, "running as root: pharosd needs only "
			 "CAP_NET_BIND_SERVICE (see pharosd@.service)");
	if (daemon_init(&d, o->events_file) < 0) {
		log_err(&d.log, NULL, "startup failed");
		rc = 1;
	} else {
		log_info(&d.log, NULL, "pharosd %s started: AS %u, %u peers, "
			 "port %u", PHAROS_VERSION, conf->rs.asn, d.n_peers,
			 conf->rs.port);
		for (unsigned i = 0; i < d.n_peers; i++)
			fsm_start(d.peers[i]);
		notify_systemd("READY=1");
		ev_run(d.loop, 0);
		log_final_stats(&d);
	}
	daemon_fini(&d);
	log_set_target(&d.log, PLOG_TEXT, NULL);
	return rc;
}

static int log_target_arg(const char *s)
{
	static const char *names[] = {"stderr", "journal", "syslog"};

	if (!strcmp(s, "auto"))
		return -1;
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i]))
			return i; /* PLOG_TEXT, PLOG_JOURNAL, PLOG_SYSLOG */
	return -2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'n'},
		{"print", no_argument, NULL, 'p'},
		{"debug", no_argument, NULL, 'd'},
		{"log", required_argument, NULL, 'L'},
		{"events-file", required_argument, NULL, 'e'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct opts o = {.log_target = -1};
	struct conf *conf;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:npdL:e:Vh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c': o.path = optarg; break;
		case 'n': o.check = true; break;
		case 'p': o.print = true; break;
		case 'd': o.debug = true; break;
		case 'e': o.events_file = optarg; break;
		case 'L':
			o.log_target = log_target_arg(optarg);
			if (o.log_target == -2) {
				fprintf(stderr, "pharosd: bad --log %s\n", optarg);
				return 1;
			}
			break;
		case 'V': printf("pharosd %s\n", PHAROS_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (!o.path || optind != argc) {
		usage(stderr);
		return 1;
	}
	conf = conf_load(o.path, stderr);
	if (!conf)
		return 1;
	if (o.check || o.print) {
		if (o.print)
			conf_print(conf, stdout);
		else
			printf("%s: configuration ok\n", o.path);
		conf_free(conf);
		return 0;
	}
	rc = run(conf, &o);
	conf_free(conf);
	return rc;
}
