/*
 * fabric_glue.h - the fabric inside pharosd: built from the configuration
 * at start, fed every loc-RIB change set in the same loop turn as export,
 * committed once per turn. It also keeps what the rest of the daemon wants
 * to know about programming: the latency from the first change of a turn
 * to the fabric commit (for metrics and drills), the agents' acks, and a
 * short list of listeners told about each new version (the API's long
 * polls and streams).
 */
#ifndef PHAROS_CORE_FABRIC_GLUE_H
#define PHAROS_CORE_FABRIC_GLUE_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct daemon;
struct conf;
struct fabric;
struct rentry;

/* Programming latency histogram: bucket[i] counts commits that took at
 * most fabric_lat_bound(i) seconds (cumulative, Prometheus style); the
 * +Inf bucket is `commits`. */
#define FABRIC_LAT_BUCKETS 14
struct fabric_prog {
	uint64_t commits; /* commits that bumped the version */
	double last_s, max_s, sum_s;
	uint64_t bucket[FABRIC_LAT_BUCKETS];
	uint64_t version; /* the last committed version */
	ev_tstamp committed_at; /* ev_time() of that commit, 0: none yet */
	time_t committed_wall;
};
double fabric_lat_bound(unsigned i);

/* One agent's last acknowledged version of one subnet. */
struct fabric_agent {
	char *agent;
	char *subnet; /* "vnet/subnet" */
	uint64_t version;
	time_t acked_at; /* wall clock */
	ev_tstamp acked_mono; /* ev_time() */
};

/* Called after each commit that bumped the version, and after a rebuild
 * (rebuilt = true: subnet indexes may have changed). */
typedef void (*fabric_listener_cb)(struct daemon *d, uint64_t version,
				   bool rebuilt, void *arg);
#define FABRIC_MAX_LISTENERS 8

struct fabric_glue {
	struct fabric *fab;
	struct fabric_prog prog;
	ev_tstamp turn_start; /* ev_now() of the turn being drained */
	bool in_turn;
	struct fabric_agent *agents;
	size_t n_agents, cap_agents;
	struct {
		fabric_listener_cb cb;
		void *arg;
	} listeners[FABRIC_MAX_LISTENERS];
};

/* Build d->fglue from d->conf (fab_new + fab_load_rib). 0 or -1 (logged). */
int fabric_glue_init(struct daemon *d);
void fabric_glue_free(struct daemon *d);
/* The daemon's fabric (NULL before init). */
struct fabric *daemon_fabric(const struct daemon *d);
/* Latency and version numbers for metrics and drills (NULL before init). */
const struct fabric_prog *daemon_fabric_prog(const struct daemon *d);

/* One turn's change set (see daemon_process_changes() in src/bgp/fsm.c). */
void fabric_turn_begin(struct daemon *d);
void fabric_turn_change(struct daemon *d, const struct rentry *e);
void fabric_turn_commit(struct daemon *d);

/* Replace the fabric with one built from c (on reload). The new fabric
 * starts after the old version, so followers resync. Pending RIB changes
 * must have been drained. 0, or -1 with a message in err (old kept). */
int fabric_glue_rebuild(struct daemon *d, const struct conf *c, char *err,
			size_t errlen);

int fabric_listen(struct daemon *d, fabric_listener_cb cb, void *arg);
void fabric_unlisten(struct daemon *d, int id);

/* Record an agent's ack; 0, or -1 when out of memory. */
int fabric_agent_ack(struct daemon *d, const char *agent, const char *subnet,
		     uint64_t version);
const struct fabric_agent *fabric_agents(const struct daemon *d, size_t *n);

#endif
