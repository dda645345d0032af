/*
 * live.h - the live fabric inside pharosd: built from the configuration
 * at start, fed every loc-RIB change set in the same loop turn as export,
 * committed once per turn. It also keeps what the rest of the daemon wants
 * to know about programming: the latency from the first change of a turn
 * to the fabric commit (for metrics and drills), the agents' acks, and a
 * short list of listeners told about each new version (the API's long
 * polls and streams).
 */
#ifndef PHAROS_FABRIC_LIVE_H
#define PHAROS_FABRIC_LIVE_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct conf;
struct conf_fabric;
struct log;
struct rib;
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
	double acked_wall; /* wall clock with its fraction, for display */
	ev_tstamp acked_mono; /* ev_time() */
	uint64_t failed; /* routes its last ack says it could not install */
	char error[200]; /* the first problem it gave, printable ASCII */
};

/* Called after each commit that bumped the version, and after a rebuild
 * (rebuilt = true: subnet indexes may have changed). */
typedef void (*fabric_listener_cb)(void *arg, uint64_t version,
				   bool rebuilt);
#define FABRIC_MAX_LISTENERS 8

struct events;

struct fabric_live {
	struct fabric *fab;
	struct events *events; /* next_hop_invalid events (may be NULL) */
	struct rib *rib; /* read at each rebuild */
	struct ev_loop *loop;
	struct log *log;
	struct fabric_prog prog;
	ev_tstamp turn_start; /* ev_now() of the turn being drained */
	bool in_turn;
	struct fabric_agent *agents;
	size_t n_agents, cap_agents;
	/* Startup hold-down (src/daemon/hold.c): the subnet tables and
	 * deltas agents follow answer 503 until the peers had their chance
	 * to come back, so agents keep the routes they have. */
	bool held;
	struct {
		fabric_listener_cb cb;
		void *arg;
	} listeners[FABRIC_MAX_LISTENERS];
};

/* Build the fabric of cf and load rib's routes into it (fab_new +
 * fab_load_rib). NULL on error (logged). */
struct fabric_live *fabric_live_new(const struct conf_fabric *cf,
				    struct rib *rib, struct ev_loop *loop,
				    struct log *log);
void fabric_live_free(struct fabric_live *g);
/* The current fabric (NULL when g is). */
struct fabric *fabric_live_fabric(const struct fabric_live *g);
/* Latency and version numbers for metrics and drills (NULL when g is). */
const struct fabric_prog *fabric_live_prog(const struct fabric_live *g);

/* One turn's change set (see daemon_process_changes() in src/daemon/loop.c). */
void fabric_turn_begin(struct fabric_live *g);
void fabric_turn_change(struct fabric_live *g, const struct rentry *e,
			uint32_t id);
/* The next drain does not reach the fabric (it keeps its routes while
 * held or stopping): the fabric stops reading the loc-RIB and keeps its
 * own copy of its routes until the next rebuild (fab_unbind_rib). */
void fabric_turn_skip(struct fabric_live *g);
void fabric_turn_commit(struct fabric_live *g);

/* Replace the fabric with one built from c (on reload). The new fabric
 * starts after the old version, so followers resync. Pending RIB changes
 * must have been drained. 0, or -1 with a message in err (old kept). */
int fabric_live_rebuild(struct fabric_live *g, const struct conf *c, char *err,
			size_t errlen);

int fabric_listen(struct fabric_live *g, fabric_listener_cb cb, void *arg);
void fabric_unlisten(struct fabric_live *g, int id);

/* Record an agent's ack: the version it applied, and how many routes it
 * could not install (failed, with the first error; 0 and NULL when it
 * installed everything). 0, or -1 when out of memory. */
int fabric_agent_ack(struct fabric_live *g, const char *agent, const char *subnet,
		     uint64_t version, uint64_t failed, const char *error);
const struct fabric_agent *fabric_agents(const struct fabric_live *g, size_t *n);

#endif
