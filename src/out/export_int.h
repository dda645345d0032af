/*
 * export_int.h - what the files of out/ share inside the exporter: the
 * exporter, its update groups, members and pending changes, and the
 * functions one file of out/ calls in another. Not for use outside out/.
 *
 *   export.c   the API, pending changes, scheduling of dumps and flushes
 *   ex_group.c update groups: membership, the export decision per group,
 *              adj-RIB-out updates
 *   rewrite.c  the eBGP rewrite of a route's attributes and its cache,
 *              the route server's own (originated) prefixes
 *   pack.c     packing a group's operations into UPDATE blocks and
 *              delivering them under each member's queue bound
 *   ex_addpath.c  ADD-PATH send (RFC 7911): the paths of each prefix a
 *              group sends, with their path ids
 */
#ifndef PHAROS_OUT_EXPORT_INT_H
#define PHAROS_OUT_EXPORT_INT_H

#include <stdlib.h>
#include <string.h>

#include "out/adj_out.h"
#include "out/export.h"
#include "policy/policy.h"

#include "out/adj_out.h"
#include "out/export.h"

#define EX_BLOCK 65536u /* bytes of one out_buf */
#define EX_CHUNK 16384u /* pending prefixes handled per flush pass */

/* One message to send: to every group member except peer (only = 0) or to
 * peer alone (only = 1). attr NULL means withdraw. */
struct ex_op {
	struct prefix pfx;
	uint8_t only;
	uint32_t peer;
	uint32_t path_id; /* ADD-PATH groups: the path id sent, else 0 */
	struct rattr *attr;
};

/* ADD-PATH send (ex_addpath.c): what a group sent of one loc-RIB entry,
 * one element per path, each under a path id of its own (1..max). */
struct ex_ap_path {
	uint32_t src; /* rib peer the path came from */
	uint32_t rx_id; /* its path id from that peer */
	uint32_t tx_id; /* the path id we send it with */
	struct rattr *attr; /* the attributes sent */
};
struct ex_ap_set {
	uint16_t n, cap;
	struct ex_ap_path p[];
};
struct ex_ap_tab {
	struct ex_ap_set **s; /* by loc-RIB entry id, NULL: nothing sent */
	uint32_t cap;
	size_t n_paths, bytes;
};

/* A prefix waiting for export_flush. For a loc-RIB change the best path is
 * taken at export_change time (the entry may be gone by the flush): best
 * holds a reference on its attributes (NULL: no path) and known is set;
 * otherwise the prefix is read from the RIB at flush time. */
struct ex_pend {
	struct prefix pfx;
	bool known;
	uint32_t id; /* loc-RIB entry id when known */
	uint32_t src;
	struct rattr *best;
};

struct ex_group {
	struct ex_group *next;
	bool dst_nva; /* receiver class: NVAs take every route */
	uint64_t local_mask; /* export_peer.local_mask of its members */
	struct bgp_session_caps caps;
	bool v4, v6;
	struct pol_rule *rules; /* deep copy, owned */
	unsigned n_rules;
	size_t max_msg;
	bool collected; /* todo holds the prefixes to compute the adj-out */
	bool populated; /* adj-out computed from the loc-RIB: dumps may run */
	struct prefix *todo;
	size_t n_todo, cap_todo, todo_pos;
	struct adj_tab tab; /* by loc-RIB entry id */
	struct adj_out ao; /* originated prefixes (and none else once
			    * flushed), by prefix */
	uint32_t *members;
	size_t n_members, cap_members;
	struct ex_op *ops;
	size_t n_ops, cap_ops;
	struct rattr *fit_attr; /* last attributes checked against max_msg */
	bool fit_ok; /* ... and whether a one-prefix UPDATE fits */
	/* ADD-PATH send negotiated by the members (same for all): learned
	 * prefixes are kept in ap, not tab, up to ap_max paths each (one for
	 * a family without path ids); originated ones in ao, path id 0. */
	bool ap;
	uint16_t ap_max;
	struct ex_ap_tab apt;
};

/* A set of prefixes (open addressing, afi 0 = empty slot), walked in
 * slices by pos. */
struct ex_pfxset {
	struct prefix *s;
	size_t n, mask, pos;
};

struct ex_peer {
	bool up;
	bool dumping, paused;
	struct ex_pfxset missed; /* held back by the bound, not yet resent */
	struct ex_pfxset resync; /* being resent (taken from missed) */
	uint16_t dump_afi; /* 0: both families */
	uint32_t hcursor; /* next slot of the group's ao in the dump */
	uint32_t cursor; /* then next entry id of the group's tab */
	uint32_t excluded; /* group adj-out entries this peer is source of */
	struct ex_group *g;
	struct export_peer p;
};

struct ex_cache_ent {
	struct rattr *src, *out; /* out NULL: not exportable */
};

/* A route of the route server's own (export_local) and what it sends. */
struct ex_local {
	struct export_local l;
	struct rattr *attr; /* NULL: withdrawn */
};

struct exporter {
	struct rib *rib;
	struct export_config cfg;
	struct ex_local *local;
	unsigned n_local;
	bool any_summary; /* some local entry is summary_only */
	struct prefix *orig; /* sorted copy of cfg.originated */
	struct rattr *orig_attr[3]; /* [AFI_IPV4], [AFI_IPV6] */
	struct ex_peer *peers;
	uint32_t n_peers;
	struct ex_group *groups;
	size_t n_groups;
	struct ex_pend *pending;
	size_t n_pending, cap_pending;
	struct ex_cache_ent *cache;
	uint32_t cache_mask, cache_n, cache_sweep_at;
	size_t churn; /* adj-out replacements and removals since the last
		       * cache sweep */
	bool sweep_later; /* export_flush leaves the sweep to export_sweep */
	/* ordering ops by key (ops_order) */
	struct ex_key *keys;
	size_t n_keys, cap_keys;
	uint32_t *khash, khash_mask;
	struct ex_op *sorted;
	size_t cap_sorted;
	uint32_t *kidx;
	size_t cap_kidx;
	struct bgp_attrs *tmp; /* scratch attrs (too big for the stack) */
	uint8_t *scratch; /* policy community scratch */
};

/* One distinct (attributes, recipients) run when ordering ops (pack.c). */
struct ex_key {
	struct rattr *attr;
	uint32_t peer;
	uint8_t only, afi;
	uint32_t id, count;
};

/* Recipients and block being filled while encoding. */
struct ex_sender {
	struct exporter *ex;
	struct ex_group *g;
	uint8_t only;
	uint32_t peer;
	struct out_buf *b;
	const struct ex_op *first, *end; /* ops encoded in b */
};

/* update groups and the export decision (ex_group.c) */
struct rattr *ex_adj_state(const struct ex_group *g, const struct prefix *p,
	uint32_t id, uint32_t *src);
struct rattr *ex_best_base(struct exporter *ex, struct rattr *best,
	uint32_t best_src, uint32_t *src);
struct rattr *ex_group_attr(struct exporter *ex, struct ex_group *g,
	const struct prefix *p, struct rattr *base, bool orig);
bool ex_group_fits(const struct ex_group *g, const struct export_peer *p);
void ex_group_free(struct exporter *ex, struct ex_group *g);
struct ex_group *ex_group_new(struct exporter *ex, const struct export_peer *p);
size_t ex_group_populate(struct exporter *ex, struct ex_group *g,
	size_t budget);
void ex_group_update(struct exporter *ex, struct ex_group *g,
	const struct prefix *p, uint32_t id, bool orig, struct rattr *na,
	uint32_t nsrc);
void ex_op_add(struct ex_group *g, const struct prefix *p, struct rattr *attr,
	uint8_t only, uint32_t peer);
struct rattr *ex_prefix_base(struct exporter *ex, const struct prefix *p,
	uint32_t *src, bool *orig, uint32_t *id);

/* small helpers (ex_group.c) */
void ex_excl_adjust(struct exporter *ex, struct ex_group *g, uint32_t src,
	int d);
bool ex_grow(void **arr, size_t *cap, size_t need, size_t size);
bool ex_is_member(const struct exporter *ex, const struct ex_group *g,
	uint32_t peer);
uint64_t ex_mix_ptr(const void *p);

/* ADD-PATH send (ex_addpath.c) */
void ex_ap_update(struct exporter *ex, struct ex_group *g,
	const struct prefix *p, uint32_t id, bool none);
void ex_ap_dump(struct exporter *ex, struct ex_group *g, uint32_t peer,
	uint32_t id, uint16_t afi);
void ex_ap_resync(struct exporter *ex, struct ex_group *g, uint32_t peer,
	const struct prefix *p);
void ex_ap_free(struct exporter *ex, struct ex_group *g);
uint32_t ex_ap_excluded(const struct ex_group *g, uint32_t peer);
int ex_ap_walk(const struct exporter *ex, const struct ex_group *g,
	uint32_t peer, uint32_t id, export_walk_cb cb, void *arg);
void ex_op_add_id(struct ex_group *g, const struct prefix *p,
	struct rattr *attr, uint8_t only, uint32_t peer, uint32_t path_id);

/* the eBGP rewrite, its cache, originated prefixes (rewrite.c) */
void ex_cache_clear(struct exporter *ex);
struct rattr *ex_cache_get(struct exporter *ex, struct rattr *src);
void ex_cache_sweep(struct exporter *ex);
bool ex_cache_sweep_due(const struct exporter *ex);
void ex_config_copy(struct exporter *ex, const struct export_config *cfg);
void ex_orig_attrs_build(struct exporter *ex);
bool ex_orig_has(const struct exporter *ex, const struct prefix *p);
void ex_set_next_hop(struct bgp_attrs *a, const struct addr *nh);

/* the route server's own routes (local.c) */
bool ex_own_has(const struct exporter *ex, const struct prefix *p);
struct rattr *ex_own_attr(const struct exporter *ex, const struct prefix *p);
bool ex_own_to(const struct exporter *ex, const struct ex_group *g,
	const struct prefix *p);
bool ex_suppressed(const struct exporter *ex, const struct prefix *p);
void ex_local_free(struct exporter *ex);

/* packing and delivery (pack.c) */
void ex_ops_emit(struct exporter *ex, struct ex_group *g);
void ex_pfxset_drop(struct ex_pfxset *d);
bool ex_send_eor(struct exporter *ex, struct ex_peer *pp, uint32_t peer);

#endif
