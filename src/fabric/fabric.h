/*
 * fabric.h - the virtual-network fabric model (DESIGN 1.3).
 *
 * A struct fabric is built once from the fabric part of the configuration
 * (VNets, subnets, NICs, peerings, route tables) with every name resolved to
 * an index. It then follows the loc-RIB: each change set (the entries that
 * rib_changes_drain() delivers) bumps one global version and is kept in a
 * bounded log, so that every subnet's effective routes can be given either
 * in full (at the current version) or as deltas after a version.
 *
 * Effective routes are per subnet (NICs share their subnet's table). BGP
 * routes are stored once and shared by every subnet that receives them; a
 * subnet only adds its own static part (system routes and UDRs), so memory
 * grows with subnets plus routes, never with NICs x routes.
 *
 * Rules (DESIGN 1.3), as implemented here:
 *  - system routes: each address space of the VNet (VnetLocal), each
 *    address space of a directly peered VNet (VNetPeering), 0.0.0.0/0 (and
 *    ::/0 when the VNet has IPv6 space) to Internet, and 10/8, 172.16/12,
 *    192.168/16, 100.64/10 to None. When such a reserved range lies inside
 *    (or equals) an address space of the VNet or of a peered VNet, the None
 *    route is kept but shown Invalid with that reason, so the table tells
 *    why the range is reachable.
 *  - BGP routes (source VirtualNetworkGateway) reach the subnets of the hub
 *    VNet(s) and of spokes peered to a hub with use_remote_gateways, unless
 *    the subnet's route table has propagate_gateway_routes: false. A BGP
 *    route equal to or more specific than an address space of the VNet or
 *    of a peered VNet is shown Invalid (not installed).
 *  - longest prefix wins; on one prefix User beats VirtualNetworkGateway
 *    beats Default; every loser is listed Invalid with the reason.
 *  - VNets whose `region` differs from the hub's region get their routes
 *    from another region's route server: they receive no BGP routes here,
 *    and a trace that reaches them stops with result "left-region".
 *
 * Lifetimes: routes returned by fab_lookup() and the items of a struct
 * fab_delta point into the fabric and stay valid until the next
 * fab_change_commit(); a struct fab_table owns its memory.
 * Single-threaded: call from the event loop only.
 */
#ifndef PHAROS_FABRIC_FABRIC_H
#define PHAROS_FABRIC_FABRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "base/prefix.h"

struct fabric;
struct rentry;
struct rib;
typedef struct json_t json_t;

/* Route sources, in precedence order on one prefix (lower wins). */
enum fab_source {
	FAB_SRC_USER = 0, /* "User" */
	FAB_SRC_GATEWAY = 1, /* "VirtualNetworkGateway" (BGP) */
	FAB_SRC_DEFAULT = 2, /* "Default" (system) */
};
enum fab_state { FAB_ACTIVE = 0, FAB_INVALID = 1 };

/* Fixed reasons for an Invalid entry (see fab_reason_text()). */
enum fab_reason {
	FAB_R_NONE = 0,
	FAB_R_BY_USER, /* overridden by a User route on the same prefix */
	FAB_R_BY_GATEWAY, /* overridden by a VirtualNetworkGateway route */
	FAB_R_BGP_IN_VNET, /* BGP route inside this VNet's address space */
	FAB_R_BGP_IN_PEER, /* BGP route inside a peered VNet's space */
	FAB_R_RESERVED_IN_VNET, /* reserved range inside this VNet's space */
	FAB_R_RESERVED_IN_PEER, /* reserved range inside a peered space */
	FAB_R_DUPLICATE, /* same prefix and source listed twice */
	FAB_R_NH_OUTSIDE, /* a BGP next hop is outside every VNet */
	FAB_R_NH_LB_DOWN, /* a BGP next hop is a load balancer that is down */
	FAB_R_MAX
};

/* One effective route: JSON-ready (see fab_route_json()). */
struct fab_route {
	struct prefix prefix;
	uint8_t source; /* enum fab_source */
	uint8_t state; /* enum fab_state */
	uint8_t nh_type; /* enum nh_type (conf/conf.h) */
	uint8_t reason; /* enum fab_reason, FAB_R_NONE when Active */
	uint16_t n_nh;
	const struct addr *nh; /* n_nh next-hop IPs, sorted */
};

/* A subnet's full table at one version. Owns its memory. */
struct fab_table {
	uint64_t version;
	size_t n;
	struct fab_route *routes; /* prefix order, winner first per prefix */
	struct addr *nh_pool;
	size_t cap, pool_cap; /* allocated sizes, for reuse */
};

/* Deltas. An entry is identified by (prefix, source, next_hop_type). */
enum fab_op { FAB_OP_ADD = 0, FAB_OP_CHANGE = 1, FAB_OP_REMOVE = 2 };
struct fab_delta_item {
	uint64_t version;
	uint8_t op; /* enum fab_op */
	struct fab_route route; /* for REMOVE: the entry as it was */
};
struct fab_delta {
	uint64_t from_version; /* the caller's version */
	uint64_t version; /* apply the items in order to reach this one */
	size_t n, cap;
	struct fab_delta_item *items;
};
enum {
	FAB_OK = 0,
	FAB_ENOENT = -1, /* unknown subnet or NIC */
	FAB_ERESYNC = -2, /* version too old (or unknown): fetch full table */
};

struct fab_stats {
	size_t vnets, subnets, nics, bgp_routes, bgp_next_hops;
	size_t log_versions, log_items;
	size_t static_routes; /* system + UDR entries over all subnets */
	size_t bytes; /* memory the fabric holds, by its own accounting */
};

/* ------------------------------------------------------------ model */

/* Build from the config. Versions start at first_version (use 1, or the
 * previous fabric's version + 1 on reload so followers resync). Returns
 * NULL and writes a message into err when a name does not resolve. */
struct fabric *fab_new(const struct conf_fabric *cf, uint64_t first_version,
		       char *err, size_t errlen);
void fab_free(struct fabric *f);

size_t fab_n_vnets(const struct fabric *f);
size_t fab_n_subnets(const struct fabric *f);
size_t fab_n_nics(const struct fabric *f);
/* Index lookups; -1 when unknown. Subnets are named "vnet/subnet". */
int fab_vnet_find(const struct fabric *f, const char *name);
int fab_subnet_find(const struct fabric *f, const char *vnet_slash_subnet);
int fab_nic_find(const struct fabric *f, const char *name);
int fab_nic_by_ip(const struct fabric *f, const struct addr *ip);
const char *fab_vnet_name(const struct fabric *f, uint32_t vnet);
const char *fab_subnet_name(const struct fabric *f, uint32_t subnet);
const char *fab_nic_name(const struct fabric *f, uint32_t nic);
uint32_t fab_nic_subnet(const struct fabric *f, uint32_t nic);
uint32_t fab_subnet_vnet(const struct fabric *f, uint32_t subnet);
/* Does the VNet get this route server's routes (hub, or spoke with
 * use_remote_gateways)? Is it served by another region's route server? */
bool fab_vnet_receives_bgp(const struct fabric *f, uint32_t vnet);
bool fab_vnet_remote(const struct fabric *f, uint32_t vnet);
/* Receives BGP routes: its VNet does and propagate_gateway_routes holds. */
bool fab_subnet_receives_bgp(const struct fabric *f, uint32_t subnet);

/* ------------------------------------------------ loc-RIB following */

uint64_t fab_version(const struct fabric *f);
/* One change set: begin, feed each changed loc-RIB entry, commit.
 * fab_rib_change() has the rib_change_cb signature (arg = the fabric; the
 * entry id is used in bound mode, see fab_bind_rib), so
 * rib_changes_drain(rib, fab_rib_change, f) feeds it directly. Commit
 * returns the new version; a change set that changes no next hop (an
 * attribute-only change) does not bump the version. */
void fab_change_begin(struct fabric *f);
/* Whether any subnet receives BGP routes. When none does, the fabric keeps
 * no copy of the BGP table: changes are ignored and never bump the
 * version (a plain route server with no topology programs nothing). */
bool fab_keeps_bgp(const struct fabric *f);
void fab_rib_change(const struct rentry *e, uint32_t id, void *fabric);
/* Same, without a RIB: set (n_nh > 0) or remove (n_nh == 0) a prefix. */
void fab_change_route(struct fabric *f, const struct prefix *p,
		      const struct addr *nh, size_t n_nh);
uint64_t fab_change_commit(struct fabric *f);
/* Make the fabric hold exactly the loc-RIB's routes, as one change set
 * (at start-up and after building a new fabric on reload). Returns the
 * new version. Pending changes of the RIB should be drained first. */
uint64_t fab_load_rib(struct fabric *f, const struct rib *rib);
/*
 * Bound mode: the fabric keeps no copy of the routes' prefixes but a set
 * index per loc-RIB entry id (4 bytes a route) and reads prefixes, order
 * and lookups from rib. Bind a new, empty fabric, then fab_load_rib; from
 * then on every drain of rib must reach fab_rib_change with the entry id
 * (a drain the fabric does not see could free an entry it still holds):
 * before draining without the fabric, fab_unbind_rib copies the routes
 * into the fabric's own store (the unbound mode of fabrics fed by
 * fab_change_route, or by fab_rib_change with id 0).
 */
void fab_bind_rib(struct fabric *f, const struct rib *rib);
void fab_unbind_rib(struct fabric *f);
bool fab_bound(const struct fabric *f);

/* Watchers: called after each commit that bumped the version. */
typedef void (*fab_watch_cb)(struct fabric *f, uint64_t version, void *arg);
int fab_watch(struct fabric *f, fab_watch_cb cb, void *arg); /* id >= 0 */
void fab_unwatch(struct fabric *f, int id);
/* Bound the delta log (defaults: 1024 versions, 262144 prefix changes).
 * A change set of more than `items` prefix changes keeps none: its
 * version is a resync point (fab_log_base jumps to it, so followers of
 * an older version get FAB_ERESYNC and fetch the full table). */
void fab_set_log_limits(struct fabric *f, size_t versions, size_t items);
/* Oldest version a follower may still ask deltas after. */
uint64_t fab_log_base(const struct fabric *f);

/* ---------------------------------------------------- effective routes */

int fab_subnet_table(struct fabric *f, uint32_t subnet, struct fab_table *t);
/* Same, reusing the memory of t, which must be zeroed or hold a table
 * from an earlier call (for callers that build many tables in a row). */
int fab_subnet_table_into(struct fabric *f, uint32_t subnet,
			  struct fab_table *t);
int fab_nic_table(struct fabric *f, const char *nic, struct fab_table *t);
void fab_table_free(struct fab_table *t);
/* The active route a subnet uses for dst (longest match, precedence).
 * Returns 0, or FAB_ENOENT when no route matches. */
int fab_lookup(const struct fabric *f, uint32_t subnet, const struct addr *dst,
	       struct fab_route *out);
/* Deltas of a subnet after version since (FAB_OK, FAB_ENOENT or
 * FAB_ERESYNC). Items for all versions in (since, current] in order. */
int fab_subnet_deltas(struct fabric *f, uint32_t subnet, uint64_t since,
		      struct fab_delta *d);
void fab_delta_free(struct fab_delta *d);
/* Same, but building no more than needed to tell that the delta holds
 * more than max items (then d->n > max; max 0: is anything changed?). */
int fab_subnet_deltas_upto(struct fabric *f, uint32_t subnet, uint64_t since,
			   size_t max, struct fab_delta *d);

void fab_stats(const struct fabric *f, struct fab_stats *st);

const char *fab_source_name(uint8_t s); /* "User", ... */
const char *fab_state_name(uint8_t s); /* "Active", "Invalid" */
const char *fab_nh_type_name(uint8_t t); /* "VirtualAppliance", ... */
const char *fab_reason_text(uint8_t r);
const char *fab_op_name(uint8_t op); /* "add", "change", "remove" */

/* ------------------------------------------- next hops (fab_nexthop.c) */

/* A BGP route that became Invalid because of a next hop. */
struct fab_nh_event {
	struct prefix prefix;
	struct addr next_hop; /* the first next hop that is not usable */
	uint8_t reason; /* FAB_R_NH_OUTSIDE or FAB_R_NH_LB_DOWN */
};
/* BGP routes Invalid now because of a next hop; *total (may be NULL):
 * how many became so since the fabric was built. 0 for a NULL f. */
size_t fab_invalid_next_hops(const struct fabric *f, uint64_t *total);
/* Hand the queued events to cb and forget them (call after each commit);
 * *lost (may be NULL): events not queued because the queue was full. */
typedef void (*fab_nh_event_cb)(void *arg, const struct fab_nh_event *e);
size_t fab_nh_events_take(struct fabric *f, fab_nh_event_cb cb, void *arg,
			  size_t *lost);
/* The name of the load balancer with this frontend, or NULL. */
const char *fab_lb_name(const struct fabric *f, const struct addr *frontend);
/* Is ip a backend of the load balancer whose frontend is frontend? */
bool fab_lb_has_backend(const struct fabric *f, const struct addr *frontend,
			const struct addr *ip);
/* If *via is a load balancer's frontend: replace it by the backend the
 * flow hash of (src, dst) picks, append a note, return true. */
bool fab_lb_follow(const struct fabric *f, const struct addr *src,
		   const struct addr *dst, struct addr *via, char *note,
		   size_t len);

/* -------------------------------------------------------------- trace */

#define FAB_TRACE_MAX_HOPS 32
#define FAB_TRACE_MAX_NH 16

enum fab_result {
	FAB_DELIVERED = 0, /* "delivered": reached a NIC with that IP */
	FAB_DROPPED = 1, /* "dropped": None, no route, loop, no such NIC */
	FAB_LEFT_FABRIC = 2, /* "left-fabric": on-premises or Internet */
	FAB_LEFT_REGION = 3, /* "left-region": continues at another region */
};

struct fab_hop {
	const char *at; /* NIC name, or NULL for a next hop outside the fabric */
	struct addr ip;
	bool has_route;
	struct fab_route route; /* nh points at ecmp[] */
	uint16_t n_ecmp;
	struct addr ecmp[FAB_TRACE_MAX_NH];
	bool has_chosen;
	struct addr chosen;
	char note[192];
};

struct fab_trace {
	size_t n_hops;
	struct fab_hop hops[FAB_TRACE_MAX_HOPS];
	uint8_t result; /* enum fab_result */
	char reason[192];
	const char *next_region; /* FAB_LEFT_REGION: where it continues */
	struct addr exit_ip; /* LEFT_*: the last next hop used (afi 0: none) */
};

/* Walk from NIC nic to dst. Returns 0, or FAB_ENOENT for an unknown NIC. */
int fab_trace(const struct fabric *f, uint32_t nic, const struct addr *dst,
	      struct fab_trace *t);
/* The flow hash used for ECMP choices: index in [0, n). */
unsigned fab_flow_pick(const struct addr *src, const struct addr *dst,
		       unsigned n);
const char *fab_result_name(uint8_t r);

/* --------------------------------------------------------------- JSON */

/* {"source","state","prefix","next_hop_type","next_hop_ips":[..],"reason"} */
json_t *fab_route_json(const struct fab_route *r);
/* {"subnet","version","routes":[...]} */
json_t *fab_table_json(const struct fabric *f, uint32_t subnet,
		       const struct fab_table *t);
/* {"subnet","from_version","version","changes":[{"version","op","route"}]} */
json_t *fab_delta_json(const struct fabric *f, uint32_t subnet,
		       const struct fab_delta *d);
/* {"hops":[{"at","ip","route","ecmp","chosen","note"}],"result","reason"} */
json_t *fab_trace_json(const struct fab_trace *t);

#endif
