/*
 * pharosd.c - the route server daemon's main: the command line, the
 * configuration and the log target, then the one daemon context
 * (src/daemon/daemon.c sets it up and wires the floors' hooks), the peers
 * started, readiness told to systemd (Type=notify), and the loop run.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "daemon/daemon.h"
#include "session/fsm.h"

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
			 "port %u", PHAROS_VERSION, conf->rs.asn, d.sess.n_peers,
			 conf->rs.port);
		for (unsigned i = 0; i < d.sess.n_peers; i++)
			fsm_start(d.sess.peers[i]);
		daemon_notify_systemd("READY=1");
		ev_run(d.loop, 0);
		daemon_log_final_stats(&d);
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
