/*
 * conf.h - the configuration of pharosd as plain structs.
 *
 * conf_load() reads the one YAML file (DESIGN 4) with libfyaml, fills these
 * structs and validates them; every error names FILE:LINE:COL and the
 * problem. conf_print() writes a config back as YAML that conf_load() reads
 * into equal structs (conf_equal()). Nothing here starts anything: the
 * daemon compares the old and new struct conf on reload.
 */
#ifndef PHAROS_CONF_CONF_H
#define PHAROS_CONF_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/prefix.h"

/* Peer kinds of DESIGN 1.2. */
enum peer_kind {
	PEER_NVA = 0,
	PEER_VPN_GATEWAY = 1,
	PEER_EXPRESSROUTE_GATEWAY = 2,
};
/* Routing preference between peer kinds (decision step 2). */
enum routing_pref {
	PREF_EXPRESSROUTE = 0,
	PREF_VPN = 1,
	PREF_ASPATH = 2,
};

/* ----------------------------------------------------------- policy */

enum pol_action {
	POL_ALLOW = 0, /* accept (and stop evaluating) */
	POL_DENY = 1,
};

/* RPKI route origin validation states (RFC 6811); RPKI_NONE: the route
 * was not validated (route_server.rpki is not configured). */
enum rpki_state {
	RPKI_NONE = 0,
	RPKI_VALID = 1,
	RPKI_INVALID = 2,
	RPKI_NOT_FOUND = 3,
};
/* What import does with an origin-invalid route (route_server.rpki.invalid). */
enum rpki_invalid {
	RPKI_INVALID_DENY = 0, /* refused (kept in the refused list) */
	RPKI_INVALID_TAG = 1, /* kept, with tag_community added */
	RPKI_INVALID_ACCEPT = 2, /* kept as it is */
};
/* A large community (RFC 8092): global administrator, two local parts. */
struct lcomm {
	uint32_t ga, l1, l2;
};

/* A prefix match: prefix with optional ge/le (0 = not set). */
struct pol_prefix {
	struct prefix prefix;
	uint8_t ge, le;
};

/*
 * One import/export rule; first match wins. Every match that is set must
 * hold (AND); within a list (prefixes, communities) any element may match
 * (OR). Actions run on the matching route, then allow or deny it.
 *
 * YAML form:
 *   - match: {prefix: [198.18.0.0/15 le 24, ...], as_path_contains: 65010,
 *             origin_as: 65020, community: ["65000:100", no-export]}
 *     action: allow | deny
 *     set: {local_pref: 200, med: 10, add_communities: ["65515:1"],
 *           remove_communities: ["65000:100"]}
 */
struct pol_rule {
	unsigned n_prefixes;
	struct pol_prefix *prefixes;
	uint32_t as_path_contains; /* 0 = not set */
	uint32_t origin_as; /* 0 = not set */
	unsigned n_communities;
	uint32_t *communities; /* standard communities, host order */
	uint8_t action; /* enum pol_action */
	bool set_local_pref, set_med;
	uint32_t local_pref, med;
	unsigned n_add_communities, n_remove_communities;
	uint32_t *add_communities, *remove_communities;
	/* RFC 6811 state to match (enum rpki_state, 0: not set; import only) */
	uint8_t match_rpki;
	/* large communities (RFC 8092): match any of, add, remove, or
	 * replace the whole list (set_large) */
	unsigned n_large, n_add_large, n_remove_large, n_set_large;
	struct lcomm *large, *add_large, *remove_large, *set_large;
	bool replace_large; /* set_large given (an empty list clears) */
	/* as_path_prepend: prepend_asn (0 until conf_check fills in the
	 * route server's ASN) prepend_count times */
	uint32_t prepend_asn, prepend_count;
	unsigned line, col; /* where the rule starts, for messages */
};

/* ------------------------------------------------------ route server */

/* BFD for a peer (RFC 5880): `bfd: true` or `bfd: {min_rx_ms, min_tx_ms,
 * multiplier, multihop}`. */
struct conf_bfd {
	bool enabled;
	uint32_t min_rx_ms, min_tx_ms; /* default 300 each */
	uint32_t multiplier; /* default 3 */
	uint8_t multihop; /* 0 single hop (RFC 5881), 1 multihop (RFC 5883),
			   * 2 (default): multihop unless the peer's multihop is 1 */
	uint8_t auth; /* 0 none, 1 keyed-sha1, 2 meticulous-keyed-sha1 */
	uint32_t key_id; /* 0..255 */
	char *password_file; /* the key (1..20 bytes), read at load time */
	char *password;
};

struct conf_peer {
	char *name;
	uint8_t kind; /* enum peer_kind (rib/rib.h) */
	struct addr address;
	uint32_t asn;
	char *password_file; /* NULL: no TCP MD5 */
	char *password; /* read from password_file at load time */
	uint32_t max_prefixes; /* default 1000 */
	bool accept_default;
	bool passive; /* default false: pharosd also connects */
	bool disabled; /* kept down (admin state) until enabled */
	bool keep_refused; /* keep refused routes' attributes, default true */
	char *description; /* free text for operators, NULL: none */
	char *group; /* the peer group it takes settings from, NULL: none */
	bool stateful; /* a firewall: its next hops are stateful hops */
	bool sticky; /* its ECMP group keeps flows on one member */
	uint16_t port; /* remote port for active connects, default 179 */
	unsigned multihop; /* TTL for eBGP multihop, default 255 */
	uint16_t hold_time, keepalive; /* 0 = route_server's values */
	struct conf_bfd bfd;
	/* ADD-PATH (RFC 7911) for IPv4 and IPv6 unicast: 0 none, else
	 * ADDPATH_RECEIVE (1) | ADDPATH_SEND (2) as in the capability. */
	uint8_t add_path;
	uint16_t add_path_max; /* paths sent per prefix, 0: max_paths */
	unsigned n_import, n_export;
	struct pol_rule *import, *export;
	unsigned line, col;
};

/* A BMP collector (route_server.bmp): pharosd connects to it. */
struct conf_bmp {
	struct addr address;
	uint16_t port;
	uint32_t stats_s; /* Statistics Report interval, default 60; 0: none */
	uint32_t max_queue_kb; /* send queue bound, default 16384 */
	unsigned line, col;
};

/* A scheduled drill (route_server.drills, DESIGN 4.1). */
enum drill_kind { DRILL_PEER_DOWN = 0, DRILL_NVA_SILENT = 1 };
struct conf_drill {
	char *name;
	uint8_t kind; /* enum drill_kind */
	char *target; /* a peer's name */
	uint32_t every_s; /* 0: use the window */
	bool has_window;
	uint16_t win_start, win_end; /* minutes after midnight UTC */
	uint32_t restore_after_s; /* default 10 */
	char *expect; /* path of the expected route set (JSON), NULL: none */
	char *expect_text; /* its contents, read at load time */
	uint32_t pass; /* percent, default 100 */
	unsigned line, col;
};

/* route_server.rpki: origin validation against RTR caches (RFC 8210). */
struct conf_rpki_cache {
	char *host; /* address as written */
	uint16_t port;
	unsigned line, col;
};
struct conf_rpki {
	unsigned n_caches; /* 0: validation off */
	struct conf_rpki_cache *caches;
	uint8_t invalid; /* enum rpki_invalid, default deny */
	uint32_t refresh_s; /* RTR refresh interval, default 300 */
	uint32_t retry_s; /* default 60 */
	uint32_t expire_s; /* ROAs kept this long without a cache, default 7200 */
	bool tag_is_large; /* tag_community is a large community */
	uint32_t tag_std;
	struct lcomm tag_large; /* default ASN:6811:2 */
};

/* route_server.aggregates: one summary prefix. */
struct conf_aggregate {
	struct prefix prefix;
	bool summary_only; /* the more-specifics are not advertised */
	bool as_set; /* AS_SET of the contributors' ASNs instead of
		      * ATOMIC_AGGREGATE (RFC 4271 9.2.2.2) */
	unsigned line, col;
};

/* route_server.originate: a prefix the route server announces itself
 * to the peers named in `to`. */
struct conf_originate {
	struct prefix prefix;
	struct addr next_hop; /* afi 0: the route server's own address */
	unsigned n_communities, n_large;
	uint32_t *communities;
	struct lcomm *large;
	unsigned n_to;
	char **to; /* peer names */
	unsigned line, col;
};

struct conf_rs {
	uint32_t asn; /* default 65515 */
	struct addr router_id;
	unsigned n_listen;
	struct addr *listen; /* addresses that accept BGP */
	uint16_t port; /* default 179 */
	uint16_t hold_time; /* default 180 */
	uint16_t keepalive; /* default 60 */
	bool branch_to_branch;
	uint8_t routing_pref; /* enum routing_pref (rib/rib.h) */
	bool transparent_as;
	bool compare_med;
	uint16_t max_paths; /* default 8 */
	uint32_t restart_delay; /* seconds before a max-prefix drop comes back, default 30 */
	/* Martians (DESIGN 4.1 `martians`): a route inside one of these is
	 * refused on import. Given, the list replaces the defaults; not
	 * given, conf_check fills the defaults (conf_martians.c). */
	unsigned n_martians;
	struct prefix *martians;
	bool martians_set; /* the file gave the list */
	/* First address bytes that some martian of the family [afi - 1]
	 * covers, a bit each (conf_martians fills it and sets the flag):
	 * a prefix whose first byte is not here is no martian. */
	bool martian_index;
	uint8_t martian_first[2][32];
	uint32_t startup_hold_s; /* after start, agents and peers get routes
				  * once every peer sent End-of-RIB or after
				  * this long; default 10, 0: off */
	uint32_t persist_routes_s; /* fabric keeps its routes this long when
				    * every session is down at once; 0: off */
	unsigned n_peers;
	struct conf_peer *peers;
	unsigned n_bmp;
	struct conf_bmp *bmp; /* BMP collectors (RFC 7854) */
	char *state_dir; /* drill history; NULL: $STATE_DIRECTORY or
			  * /var/lib/pharos */
	unsigned n_drills;
	struct conf_drill *drills;
	struct conf_rpki rpki;
	unsigned n_aggregates;
	struct conf_aggregate *aggregates;
	unsigned n_originate;
	struct conf_originate *originate;
};

struct conf_api {
	char *listen; /* "127.0.0.1:8179" */
	char *tls_cert, *tls_key; /* PEM files: the API serves HTTPS */
	char *agent_token_file; /* token that may only ack (host agents) */
	char *agent_token;
	char *tls_cert_pem, *tls_key_pem; /* read from tls_cert, tls_key */
	char *token_file; /* NULL: changes over the API are refused */
	char *token; /* read from token_file at load time */
	char *events_file; /* NULL: events go to stderr only */
	char *mrt_dir; /* where periodic MRT dumps go, NULL: none */
	uint32_t mrt_interval; /* seconds, 0 = none */
	bool mrt_updates; /* log every received UPDATE (BGP4MP) in mrt_dir */
	uint32_t route_jump_threshold; /* event when a peer's count jumps by this; 0 = never */
};

/* ----------------------------------------------------------- fabric */

struct conf_subnet {
	char *name;
	struct prefix prefix;
	char *route_table; /* NULL: none */
	unsigned line, col;
};

struct conf_nic {
	char *name;
	char *subnet;
	struct addr ip;
	unsigned line, col;
};

struct conf_peering {
	char *remote;
	bool use_remote_gateways;
	bool allow_gateway_transit;
	unsigned line, col;
};

struct conf_vnet {
	char *name;
	char *region; /* optional label */
	bool hub; /* the VNet that hosts this route server */
	unsigned n_address_space;
	struct prefix *address_space;
	unsigned n_subnets, n_nics, n_peerings;
	struct conf_subnet *subnets;
	struct conf_nic *nics;
	struct conf_peering *peerings;
	unsigned line, col;
};

enum nh_type {
	NH_VIRTUAL_APPLIANCE = 0,
	NH_VNET_LOCAL = 1, /* VnetLocal */
	NH_INTERNET = 2,
	NH_NONE = 3,
	NH_VNET_GATEWAY = 4, /* VirtualNetworkGateway */
	NH_VNET_PEERING = 5, /* VNetPeering */
};

struct conf_udr {
	struct prefix prefix;
	uint8_t next_hop_type; /* enum nh_type */
	struct addr next_hop_ip; /* VirtualAppliance only */
	unsigned line, col;
};

struct conf_route_table {
	char *name;
	bool propagate_gateway_routes; /* default true */
	unsigned n_routes;
	struct conf_udr *routes;
	unsigned line, col;
};

/* Another region's route server, for traces that leave this region. */
struct conf_region {
	char *name; /* the region label used by VNets */
	char *api; /* its control API base URL, "http://HOST:PORT" */
	unsigned line, col;
};

/* A load balancer a BGP next hop may point at (third-party next hop):
 * its frontend address inside a VNet, its backends, and a health state
 * that decides whether routes through it are Active or Invalid. */
enum lb_health { LB_UP = 0, LB_DOWN = 1 };
struct conf_lb {
	char *name;
	char *vnet; /* the VNet whose address space holds frontend_ip */
	struct addr frontend_ip;
	unsigned n_backends;
	struct addr *backends;
	uint8_t health; /* enum lb_health, default up */
	unsigned line, col;
};

/* A next-hop address marked stateful (fabric.stateful). */
struct conf_stateful {
	struct addr ip;
	bool sticky;
	unsigned line, col;
};

/* fabric.publish: route distribution through NATS JetStream
 * (src/daemon/publish.c; subjects and messages in docs/agent.md). */
struct conf_publish {
	unsigned n_urls; /* 0: not publishing */
	char **urls; /* nats://HOST:PORT (or tls://), a cluster's servers */
	char *name; /* this route server's subject token (default: router
		     * id with '-' for '.') */
	char *creds_file, *token_file, *user, *password_file; /* absolute */
	char *ca_file, *cert_file, *key_file; /* TLS (absolute paths) */
	uint32_t heartbeat_s; /* default 5 */
	uint32_t max_pending; /* publishes awaiting JetStream's ack */
	uint32_t state_interval_ms; /* least time between two tables of a
				     * subnet (default 250; 0: every change) */
	unsigned line, col;
};

struct conf_fabric {
	unsigned n_stateful;
	struct conf_stateful *stateful;
	struct conf_publish publish;
	unsigned n_vnets, n_route_tables;
	struct conf_vnet *vnets;
	struct conf_route_table *route_tables;
	unsigned n_regions;
	struct conf_region *regions;
	/* BGP next hops (conf_nexthop.c): a next hop outside every VNet makes
	 * the route Invalid unless allow_external_next_hops is set. */
	bool allow_external_next_hops;
	unsigned n_load_balancers;
	struct conf_lb *load_balancers;
};

struct conf {
	char *path;
	struct conf_rs rs;
	struct conf_api api;
	struct conf_fabric fabric;
};

/*
 * Load and validate path. Returns a conf, or NULL after writing every
 * error as "FILE:LINE:COL: message\n" to errs (stderr if NULL), sorted by
 * position. Warnings ("FILE:LINE:COL: warning: message") are written too
 * but do not fail the load. Relative password_file/token_file paths are
 * relative to the directory of path (to the cwd for conf_load_string).
 * A missing router_id is taken from the first IPv4 listen address.
 */
struct conf *conf_load(const char *path, FILE *errs);
/* Same, from a string (name is used in messages). */
struct conf *conf_load_string(const char *name, const char *yaml, FILE *errs);
/* Same, checking the text only: no file it names (password, token, TLS,
 * drill expectations, directories) is opened or looked at; secrets read
 * "(not read)". For a configuration sent over the API (what-if). */
struct conf *conf_load_text_only(const char *name, const char *yaml,
				 FILE *errs);
void conf_free(struct conf *c);
/* fabric.publish (conf_publish.c): print, compare, free. */
void conf_publish_print(FILE *out, const struct conf_publish *p);
bool conf_publish_equal(const struct conf_publish *a,
			const struct conf_publish *b);
void conf_publish_free(struct conf_publish *p);
/* Write c as YAML that conf_load reads back into an equal conf. */
void conf_print(const struct conf *c, FILE *out);
/* Deep equality (ignores path, line and column fields). */
bool conf_equal(const struct conf *a, const struct conf *b);
/* Equal in everything that needs a session reset when it changes: name,
 * kind, address, asn, password (file and contents), passive, port,
 * multihop, hold_time, keepalive. Limits, accept_default and policy may
 * change without a reset (apply them with a route refresh / re-export).
 * Route-server-wide values (asn, router_id, timers) are the caller's to
 * compare. */
bool conf_peer_equal(const struct conf_peer *a, const struct conf_peer *b);

/* Bit i set when route_server.originate[i] goes to peer (i < 64). */
uint64_t conf_originate_mask(const struct conf *c, const char *peer);
/* Equal aggregates and originate lists. */
bool conf_local_equal(const struct conf_rs *a, const struct conf_rs *b);
/* Equal RPKI settings (caches in order, modes, timers, tag). */
bool conf_rpki_equal(const struct conf_rpki *a, const struct conf_rpki *b);

const struct conf_peer *conf_find_peer(const struct conf *c, const char *name);
/* Whether v's address spaces are originated by this route server: the
 * hub's and its spokes' that use its gateways, in the local region. */
bool conf_vnet_originated(const struct conf *c, const struct conf_vnet *v);
/* Those address spaces (caller frees); *n gets the count. NULL when out
 * of memory. */
struct prefix *conf_originated(const struct conf *c, unsigned *n);
const char *nh_type_name(uint8_t t); /* "VirtualAppliance", ... */
const char *peer_kind_name(uint8_t k); /* "nva", "vpn_gateway", ... */
/* The api.listen address, 0 when it is not ADDRESS:PORT. */
int conf_api_addr(const char *listen, struct addr *a);

/* Policy rules as data (src/conf/conf_rules.c). */

/*
 * Parse "198.18.0.0/15 le 24" (PREFIX [ge N] [le N]). Returns 0, or -1
 * with a message in err (host bits set, len <= ge <= le <= max broken...).
 */
int pol_prefix_parse(const char *s, struct pol_prefix *pp, char *err,
		     size_t errlen);
/* Format back, e.g. "198.18.0.0/15 le 24". */
char *pol_prefix_fmt(const struct pol_prefix *pp, char *buf, size_t len);

/* "65000:100", "no-export", "no-advertise", "no-export-subconfed".
 * Returns 0, or -1 when not a standard community. */
int community_parse(const char *s, uint32_t *c);
/* Well-known names for the well-known values, "A:B" otherwise. buf needs
 * at least 24 bytes. */
char *community_fmt(uint32_t c, char *buf, size_t len);
/* "A:B:C" with each part 0..4294967295. Returns 0 or -1. */
int lcomm_parse(const char *s, struct lcomm *c);
char *lcomm_fmt(const struct lcomm *c, char *buf, size_t len);
/* "valid", "invalid", "not_found" (NULL for RPKI_NONE); parse: the state,
 * 0 when unknown. */
const char *rpki_state_name(uint8_t st);
uint8_t rpki_state_parse(const char *s);

/* Deep equality of two rule lists (ignores line/col), e.g. to tell
 * whether two peers may share an export group. */
bool pol_rules_equal(const struct pol_rule *a, unsigned na,
		     const struct pol_rule *b, unsigned nb);
/* Free the arrays inside n rules, then the rules array itself. */
void pol_rules_free(struct pol_rule *rules, unsigned n);

#endif
