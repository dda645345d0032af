/*
 * agent.h - pharos-agent: types shared by its parts.
 *
 * The agent follows one subnet's effective routes from one or more route
 * servers and installs the ones a host must know into a kernel routing
 * table. Its parts:
 *   routes.c   pure logic: effective-route JSON (table and deltas) into
 *              per-server entry lists, the installable route set of one
 *              server, the union of several servers, the diff between the
 *              desired set and what the kernel holds;
 *   netlink.c  route messages (build and parse, pure) and the socket side
 *              (dump a table, send one batch of changes);
 *   guard.c    the martian guard: routes no server may make it install;
 *   server.c   one route server: HTTP requests over libcurl's multi
 *              interface, table fetch, long-poll deltas, ack, backoff;
 *   bus.c      the NATS bus (--nats): route servers' tables and
 *              heartbeats in, the agent's acks out;
 *   main.c     options, the loop, stale handling, events and metrics.
 */
#ifndef PHAROS_AGENT_H
#define PHAROS_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/prefix.h"

#define AG_MAXNH 32 /* next hops kept per route (more are dropped) */

/* Route sources and next-hop types as the fabric API names them. */
enum ag_source { AG_SRC_USER = 0, AG_SRC_GATEWAY = 1, AG_SRC_DEFAULT = 2 };
enum ag_nhtype {
	AG_NH_VIRTUAL_APPLIANCE = 0,
	AG_NH_VNET_LOCAL,
	AG_NH_INTERNET,
	AG_NH_NONE,
	AG_NH_VNET_GATEWAY,
	AG_NH_VNET_PEERING,
};

/* One effective route as a route server lists it. */
struct ag_entry {
	struct prefix pfx;
	uint8_t source; /* enum ag_source */
	uint8_t nh_type; /* enum ag_nhtype */
	bool active; /* state "Active" */
	uint16_t n_nh;
	struct addr nh[AG_MAXNH]; /* sorted, no duplicates */
};

/* A server's effective-route list (the subnet table at one version). */
struct ag_entries {
	struct ag_entry *v;
	size_t n, cap;
};

/* A route as installed in the kernel (or to be installed). */
enum ag_kind { AG_GATEWAY = 0, AG_BLACKHOLE = 1, AG_OTHER = 2 };
struct ag_route {
	struct prefix pfx;
	uint8_t kind; /* enum ag_kind */
	uint8_t proto; /* rtm_protocol (kernel routes; 0 in desired sets) */
	uint16_t n_nh;
	uint32_t metric; /* RTA_PRIORITY */
	struct addr nh[AG_MAXNH]; /* sorted, no duplicates */
};

/* A set of routes, sorted by prefix (prefix_cmp), one per prefix for
 * desired sets; a kernel dump may hold several per prefix. */
struct ag_rset {
	struct ag_route *v;
	size_t n, cap;
};

enum ag_opcode {
	AG_OP_ADD = 0, /* new route, fails if the prefix is taken */
	AG_OP_REPLACE = 1, /* our route on the prefix differs: replace it */
	AG_OP_DEL = 2, /* our route that is no longer desired */
	AG_OP_CONFLICT = 3, /* desired, but a foreign route holds the key */
};
struct ag_op {
	uint8_t op; /* enum ag_opcode */
	struct ag_route r; /* ADD/REPLACE: the desired route; DEL: the kernel's */
};
struct ag_ops {
	struct ag_op *v;
	size_t n, cap;
	size_t adds, replaces, dels, conflicts;
};

/* Delta items, as parsed from a deltas answer. */
enum ag_dop { AG_D_ADD = 0, AG_D_CHANGE = 1, AG_D_REMOVE = 2 };
struct ag_delta_item {
	uint64_t version;
	uint8_t op; /* enum ag_dop */
	struct ag_entry e;
};
struct ag_deltas {
	uint64_t version; /* the server's current version */
	struct ag_delta_item *v;
	size_t n, cap;
};

/* ------------------------------------------------------------ routes.c */

void ag_entries_free(struct ag_entries *t);
void ag_rset_free(struct ag_rset *s);
void ag_ops_free(struct ag_ops *o);
void ag_deltas_free(struct ag_deltas *d);

/* Parse one effective-route object. 0, or -1 with a message in err. */
int ag_entry_from_json(const void *json_obj, struct ag_entry *e, char *err,
		       size_t errlen);
/* Parse a table answer {"version","routes":[..]} into t (replaced). */
int ag_parse_table(const char *text, size_t len, struct ag_entries *t,
		   uint64_t *version, char *err, size_t errlen);
/* Parse a deltas answer {"version","deltas":[..]} into d (replaced). */
int ag_parse_deltas(const char *text, size_t len, struct ag_deltas *d,
		    char *err, size_t errlen);
/* The "version" of a 410 answer {"error","version"}; 0 when absent. */
uint64_t ag_parse_version(const char *text, size_t len);
/* Apply delta items in order to t. An entry is keyed by (prefix, source,
 * next_hop_type); a change or remove of an unknown key is counted in
 * *misses (t stays usable; the caller may resync). */
void ag_entries_apply(struct ag_entries *t, const struct ag_deltas *d,
		      size_t *misses);

/* The routes a host installs from one entry list: Active entries with next
 * hop VirtualNetworkGateway or VirtualAppliance (gateway via the next-hop
 * IPs) or None (blackhole); one per prefix, precedence User, Gateway,
 * Default. */
void ag_desired(const struct ag_entries *t, struct ag_rset *out);
/* Union: for every prefix found in any set, the route of the first set (in
 * the order given) that has it. sets[i] may be NULL (skipped). */
void ag_union(const struct ag_rset *const *sets, size_t n,
	      struct ag_rset *out);
/* Diff a desired set against a kernel table dump. Only kernel routes with
 * protocol proto are ours: ours that are not desired (or carry another
 * metric than metric) are deleted, desired ones missing are added,
 * differing ones replaced. A foreign route with the same prefix and
 * metric blocks an add (AG_OP_CONFLICT); foreign routes are never in a
 * DEL or REPLACE. */
void ag_diff(const struct ag_rset *desired, const struct ag_rset *kernel,
	     uint8_t proto, uint32_t metric, struct ag_ops *out);

/* The metric the kernel gives a route of family afi asked with metric
 * (IPv6 turns 0 into 1024). */
uint32_t ag_metric(uint8_t afi, uint32_t metric);

/* Set helpers. */
void ag_rset_add(struct ag_rset *s, const struct ag_route *r); /* append */
void ag_rset_sort(struct ag_rset *s);
const struct ag_route *ag_rset_find(const struct ag_rset *s,
				    const struct prefix *p);
/* Same destination (kind and next hops). */
bool ag_route_same(const struct ag_route *a, const struct ag_route *b);
/* Sort and deduplicate a next-hop list; returns the new count. */
size_t ag_nh_normalize(struct addr *nh, size_t n);
/* "198.19.0.0/24 via 198.18.1.2,198.18.1.3" or "... blackhole". */
char *ag_route_fmt(const struct ag_route *r, char *buf, size_t len);

const char *ag_nhtype_name(uint8_t t);
const char *ag_source_name(uint8_t s);

/* ----------------------------------------------------------- netlink.c */

struct ag_nl; /* an open rtnetlink socket */

struct ag_nlparams {
	uint32_t table; /* routing table id */
	uint8_t proto; /* our rtm_protocol */
	uint32_t metric; /* RTA_PRIORITY of our routes */
};

/* Build one route request for op into buf (at least 8 KiB); returns the
 * message length, 0 when it does not fit. */
size_t ag_nl_build(void *buf, size_t len, const struct ag_op *op,
		   const struct ag_nlparams *p, uint32_t seq);
/* Parse an RTM_NEWROUTE message. Returns 1 and fills r when it is a route
 * of table (cloned and non-unicast/blackhole kinds are AG_OTHER), 0 when
 * it is not in that table or not a route, -1 when malformed. */
int ag_nl_parse(const void *nlh, uint32_t table, struct ag_route *r);

struct ag_nl *ag_nl_open(char *err, size_t errlen);
/* The same with a receive buffer of rcvbuf bytes (0: 4 MiB) and batch
 * requests per sendmsg (0: what the buffer holds). A batch larger than
 * the buffer holds makes the kernel drop answers (ENOBUFS): for tests of
 * the resync. */
struct ag_nl *ag_nl_open_tuned(int rcvbuf, size_t batch, char *err,
			       size_t errlen);
void ag_nl_close(struct ag_nl *nl);
/* Requests per batch on this socket. */
size_t ag_nl_batch(const struct ag_nl *nl);
/* Dump every IPv4 and IPv6 route of p->table into out (sorted). */
int ag_nl_dump(struct ag_nl *nl, const struct ag_nlparams *p,
	       struct ag_rset *out, char *err, size_t errlen);
/* Send ops in batches (one sendmsg per batch, then its acks are read;
 * a batch's answers fit the socket's receive buffer). CONFLICT ops are
 * skipped. Returns the number of failed requests; for each failure
 * fail(op, errno, arg) is called. -1 (errno set) when the socket failed,
 * ENOBUFS included: the socket is then out of step, close it, open a new
 * one and resync. */
typedef void (*ag_nl_fail_cb)(const struct ag_op *op, int err, void *arg);
int ag_nl_apply(struct ag_nl *nl, const struct ag_nlparams *p,
		const struct ag_ops *ops, ag_nl_fail_cb fail, void *arg);

/* ------------------------------------------------------------- guard.c */

#define AG_GUARD_MAXSRV 32
#define AG_GUARD_MAXOWN 256
struct ag_own {
	struct addr a;
	uint8_t plen; /* its interface prefix length */
};
struct ag_guard {
	bool allow_default; /* --allow-default */
	struct addr srv[AG_GUARD_MAXSRV]; /* the route servers' addresses */
	size_t n_srv;
	struct ag_own own[AG_GUARD_MAXOWN]; /* the host's addresses */
	size_t n_own;
};
/* Why the host must not install a route for p, or NULL: a default (or
 * shorter than /8, /16 for IPv6) unless allow_default; inside loopback,
 * this-network, link-local, multicast or class E; covering a route
 * server's address (unless shorter than the host's on-link prefix that
 * reaches it); covering one of the host's addresses at least as
 * specifically as its interface prefix. */
const char *ag_guard_check(const struct ag_guard *g, const struct prefix *p);
typedef void (*ag_guard_cb)(const struct ag_route *r, const char *why,
			    void *arg);
/* Drop the refused routes from set (order kept), calling refused. */
void ag_guard_filter(const struct ag_guard *g, struct ag_rset *set,
		     ag_guard_cb refused, void *arg);
void ag_guard_add_server(struct ag_guard *g, const struct addr *a);
/* Read the host's addresses (getifaddrs) into g->own. */
int ag_guard_host(struct ag_guard *g);

/* ------------------------------------------------------------ server.c */

/* How the agent talks TLS to its servers (options, shared). */
struct ag_tls {
	const char *cacert; /* --cacert FILE: CAs to verify the server */
	const char *pin; /* --pin: "sha256//BASE64" or a public key file */
	bool https_only; /* --https-only: refuse plain http:// */
};

/* One route server followed over HTTP. */
struct ag_server {
	const struct ag_tls *tls; /* NULL: libcurl's defaults */
	struct addr ip; /* its address (URL literal or last connection) */
	bool has_ip;
	int index; /* order on the command line (rank in the union) */
	char *url; /* as given, for messages */
	char *base; /* ".../api/v1/fabric/subnets/VNET/SUBNET" */
	char *auth; /* "Authorization: Bearer ..." or NULL */
	bool up; /* the last request got an answer */
	bool was_up; /* ever answered */
	bool need_table; /* next request fetches the full table */
	bool has_table; /* entries/desired hold an answer (maybe stale) */
	bool stale; /* has_table, but the server is unreachable */
	uint64_t version; /* version of entries */
	uint64_t acked; /* last version acknowledged */
	uint64_t ack_pending; /* version of the ack in flight (0: none) */
	double lost_at; /* when it became unreachable (or agent start) */
	double next_try; /* earliest start of the next request */
	double backoff; /* seconds, doubles up to AG_BACKOFF_MAX */
	struct ag_entries entries;
	struct ag_rset desired;
	void *req; /* CURL easy handle of the request in flight */
	bool req_table; /* that request is a table fetch */
	char *body;
	size_t blen, bcap;
	void *ack; /* CURL easy handle of the ack in flight */
	char *ack_body;
	void *hdrs; /* struct curl_slist * for the ack */
	uint64_t tables, deltas_polls, failures; /* counters */
	/* --nats: a route server known from the bus */
	double heard_at; /* its last heartbeat (0: none yet) */
	double hb_interval; /* the interval its heartbeats announce */
	uint64_t boot; /* its "boot" (start, ms) of the table held */
};

#define AG_BACKOFF_MIN 0.5
#define AG_BACKOFF_MAX 30.0

/* What a finished request means for the agent. */
enum ag_srv_outcome {
	AG_SRV_NONE = 0, /* not this server's handle, or nothing new */
	AG_SRV_CHANGED, /* entries changed (table or deltas): reconcile */
	AG_SRV_FAILED, /* no answer or a bad one; err says why */
};
struct ag_srv_result {
	int outcome; /* enum ag_srv_outcome */
	bool went_up, went_down, resync, table;
	bool ack_done, ack_ok; /* an ack finished (outcome NONE) */
	uint64_t ack_version;
	long status; /* HTTP status, 0 when none */
	size_t items; /* delta items applied */
	char err[256];
};

int ag_srv_init(struct ag_server *s, int index, const char *url,
		const char *vnet, const char *subnet, const char *token,
		double now);
void ag_srv_free(struct ag_server *s, void *multi);
/* Start the next request when none is in flight and the backoff allows.
 * wait_s is the long-poll wait. */
void ag_srv_kick(struct ag_server *s, void *multi, double now, int wait_s);
/* A transfer finished: handle it when it is one of s's. Returns true when
 * the handle was s's (res filled), false otherwise. */
bool ag_srv_done(struct ag_server *s, void *multi, void *easy, int code,
		 double now, struct ag_srv_result *res);
/* POST .../ack for version unless one is in flight or it was acked;
 * failed: routes the kernel refused or the guard kept out, error: the
 * first such problem (or NULL). */
void ag_srv_ack(struct ag_server *s, void *multi, const char *agent,
		long failed, const char *error);
/* The server stops answering: mark it down (keeps entries, stale). */
void ag_srv_lost(struct ag_server *s, double now);

/* --------------------------------------------------------------- bus.c */

enum { AG_BUS_STATE = 0, AG_BUS_HEARTBEAT = 1 };
struct ag_bus_msg {
	int kind; /* AG_BUS_STATE or AG_BUS_HEARTBEAT */
	char *rs; /* the route server's name (from the subject) */
	char *data; /* the message (JSON text) */
};
struct ag_bus_opts {
	const char *urls[8];
	size_t n_urls;
	const char *vnet, *subnet, *agent;
	const char *creds, *token, *ca, *cert, *key; /* NULL: not used */
};
struct ag_bus;

/* Connect in the background (the client retries for ever). NULL with a
 * message in err when the options are bad. */
struct ag_bus *ag_bus_open(const struct ag_bus_opts *o, char *err,
			   size_t errlen);
void ag_bus_close(struct ag_bus *b);
/* Readable when messages or connection changes wait for the loop. */
int ag_bus_fd(const struct ag_bus *b);
bool ag_bus_connected(const struct ag_bus *b);
/* A counter bumped by every connect and loss. */
unsigned ag_bus_conn_events(const struct ag_bus *b);
unsigned long long ag_bus_dropped(const struct ag_bus *b);
/* Clear the fd; subscribe to the tables when connected and not yet:
 * 1 just subscribed, -1 failed (err), 0 nothing done. */
int ag_bus_poll(struct ag_bus *b, double now, char *err, size_t errlen);
/* Take the messages that arrived (caller frees with ag_bus_msgs_free). */
size_t ag_bus_take(struct ag_bus *b, struct ag_bus_msg **out);
void ag_bus_msgs_free(struct ag_bus_msg *v, size_t n);
/* Publish the agent's ack; -1 when not connected or refused. */
int ag_bus_ack(struct ag_bus *b, const char *json_text);

#endif
