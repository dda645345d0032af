/*
 * pharosd.c - the route server daemon's main: the command line, the
 * configuration, then the one daemon context (src/daemon/daemon.c sets it
 * up and wires the floors' hooks), the peers started and the loop run.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "daemon/daemon.h"
#include "session/fsm.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pharosd -c FILE [-n] [-p] [-d]\n"
		"  -c FILE  configuration (YAML)\n"
		"  -n       check the configuration and exit\n"
		"  -p       print the parsed configuration and exit\n"
		"  -d       debug logging\n");
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
			 "port %u", PHAROS_VERSION, conf->rs.asn, d.sess.n_peers,
			 conf->rs.port);
		for (unsigned i = 0; i < d.sess.n_peers; i++)
			fsm_start(d.sess.peers[i]);
		ev_run(d.loop, 0);
		daemon_log_final_stats(&d);
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
