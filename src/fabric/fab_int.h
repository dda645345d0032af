/*
 * fab_int.h - internal structures shared by the fabric sources.
 *
 * fab_model.c builds the topology (names to indexes, per-subnet static
 * routes); fab_store.c keeps the shared BGP table; fab_routes.c versions,
 * the delta log and the effective tables; fab_trace.c walks packets;
 * fab_json.c formats.
 */
#ifndef PHAROS_FABRIC_FAB_INT_H
#define PHAROS_FABRIC_FAB_INT_H

#include <string.h>

#include "fabric/fabric.h"

/* An interned ECMP next-hop set (fab_store.c): next hops sorted and
 * unique, classified once (reason, bad). Reference counted: each route of
 * the store that has it holds one reference, each log item another. */
struct fset {
	uint32_t refcnt;
	uint32_t hash;
	uint16_t n_nh;
	uint8_t reason; /* FAB_R_NH_* when a next hop is not usable, else 0 */
	uint16_t bad; /* index of that next hop */
	struct addr nh[];
};

/* One BGP route as the fabric sees it: a view of a prefix and its set
 * (nh points into the set; valid while the set is referenced). */
struct fbgp {
	struct prefix prefix;
	uint16_t n_nh;
	uint8_t reason;
	uint16_t bad;
	const struct addr *nh;
};

/* A route of the unbound store: prefix and set index (0: empty slot). */
struct froute {
	struct prefix prefix;
	uint32_t set;
};

struct fvnet {
	char *name;
	char *region; /* may be NULL */
	bool hub, remote, receives;
	uint32_t n_space;
	struct prefix *space;
	uint32_t n_peers;
	uint32_t *peers; /* peered VNet indexes, both directions, unique */
	uint32_t n_cover; /* own spaces first, then peered spaces */
	struct prefix *cover;
	uint32_t *cover_vnet; /* which VNet each cover prefix belongs to */
};

struct fsubnet {
	char *name; /* "vnet/subnet" */
	uint32_t vnet;
	bool bgp; /* receives BGP routes */
	struct prefix prefix;
	size_t n_static;
	struct fab_route *statics; /* system + UDR, sorted, states resolved */
	struct addr *static_nh;
};

struct fnic {
	char *name;
	uint32_t subnet;
	struct addr ip;
};

/* One change of one prefix inside a version: set indexes, 0 for none. */
struct fchange {
	struct prefix prefix;
	uint32_t old, new;
};
struct frecord {
	uint64_t version;
	size_t n;
	struct fchange *items;
};

/* A load balancer a next hop may point at (fab_nexthop.c). */
struct flb {
	char *name;
	uint32_t vnet;
	struct addr front;
	uint16_t n_back;
	struct addr *back;
	uint8_t health; /* enum lb_health */
};

struct fwatch {
	fab_watch_cb cb;
	void *arg;
};

struct fabric {
	/* topology */
	size_t n_vnets, n_subnets, n_nics;
	struct fvnet *vnets;
	struct fsubnet *subnets;
	struct fnic *nics;
	uint32_t *vnet_by_name, *subnet_by_name, *nic_by_name, *nic_by_ip;
	const char *local_region;

	/* shared BGP table (fab_store.c); kept only when some subnet
	 * receives BGP routes (bgp_needed) */
	bool bgp_needed;
	struct fset **sets; /* by set index; [0] unused */
	size_t sets_cap, n_set_idx, n_sets;
	uint32_t *set_free, *set_hash; /* free indexes; hash of indexes */
	size_t n_set_free, set_hcap;
	const struct rib *rib; /* bound: routes by the RIB's entry ids */
	uint32_t *by_id;
	size_t id_cap;
	struct froute *routes; /* unbound: hash by prefix, sorted copy */
	size_t cap, n_routes;
	struct froute *sorted;
	size_t n_sorted, sorted_cap;
	bool sorted_dirty;
	size_t n_bgp, n_bgp_nh;
	uint32_t len_count[3][129]; /* [afi][len]: routes of that length */

	/* versions and the delta log (a ring of records) */
	uint64_t version, log_base;
	struct frecord *log;
	size_t log_cap, log_head, log_n, log_items;
	size_t max_versions, max_items;
	struct fchange *pending;
	size_t n_pending, pending_cap;
	bool pending_over; /* more than max_items: commit is a resync point */
	bool in_change;

	struct fwatch *watch;
	size_t n_watch;

	/* next hops of BGP routes (fab_nexthop.c) */
	bool allow_ext_nh;
	size_t n_lbs;
	struct flb *lbs;
	size_t n_invalid_nh; /* BGP routes Invalid for a next hop, now */
	uint64_t invalid_nh_total; /* routes that became so, ever */
	struct fab_nh_event *nh_events;
	size_t n_nh_events, nh_events_lost;

	size_t bytes; /* own accounting of what the fabric holds */
};

/* prefix_cmp() order (family, address, length), inlined for IPv4. */
static inline int fab_prefix_cmp_fast(const struct prefix *a,
				      const struct prefix *b)
{
	if (a->afi != b->afi)
		return a->afi < b->afi ? -1 : 1;
	if (a->afi == AFI_IPV4) {
		uint32_t x = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
			     (uint32_t)a->b[2] << 8 | a->b[3];
		uint32_t y = (uint32_t)b->b[0] << 24 | (uint32_t)b->b[1] << 16 |
			     (uint32_t)b->b[2] << 8 | b->b[3];
		if (x != y)
			return x < y ? -1 : 1;
	} else {
		int c = memcmp(a->b, b->b, 16);
		if (c)
			return c;
	}
	return (int)a->len - (int)b->len;
}

/* fab_model.c */
/* Reason a BGP prefix is not installed in vnet (FAB_R_NONE if it is). */
uint8_t fab_cover_reason(const struct fvnet *v, const struct prefix *p);
/* Index of the first static entry of s with prefix >= p. */
size_t fab_static_lower(const struct fsubnet *s, const struct prefix *p);

/* fab_store.c */
uint32_t fab_set_intern(struct fabric *f, const struct addr *nh, size_t n);
void fab_set_ref(struct fabric *f, uint32_t s);
void fab_set_unref(struct fabric *f, uint32_t s);
/* The route (p, set s) as a view; false when s is 0 (no route). */
bool fab_view(const struct fabric *f, uint32_t s, const struct prefix *p,
	      struct fbgp *out);
/* Bound: the RIB's entry id of p (0: none); unbound: 0. */
uint32_t fab_store_id(const struct fabric *f, const struct prefix *p);
/* The set index of p's route, 0 if none; id: p's entry id when bound and
 * known, else 0. put: store set (taking over the caller's reference; 0
 * removes); the previous set's reference goes back to the caller. */
uint32_t fab_store_get(const struct fabric *f, const struct prefix *p,
		       uint32_t id);
void fab_store_put(struct fabric *f, const struct prefix *p, uint32_t id,
		   uint32_t set);
/* Every route in prefix order (fab_prefix_cmp_fast); stops on non-zero. */
typedef int (*fab_store_cb)(struct fabric *f, const struct prefix *p,
			    uint32_t set, void *arg);
int fab_store_walk(struct fabric *f, fab_store_cb cb, void *arg);
void fab_store_free(struct fabric *f);
size_t fab_store_bytes(const struct fabric *f);

/* fab_routes.c */
/* p's BGP route as a view; false if the fabric has none. */
bool fab_bgp_get(const struct fabric *f, const struct prefix *p,
		 struct fbgp *out);
/* Entries at one prefix: the static group st[0..n_st) (all with prefix p),
 * BGP route b (or NULL), its install reason. Writes at most n_st + 1
 * entries to out, precedence order; returns how many. */
size_t fab_resolve_at(const struct fab_route *st, size_t n_st,
		      const struct fbgp *b, uint8_t bgp_reason,
		      struct fab_route *out);
void fab_bgp_free_all(struct fabric *f);

/* fab_nexthop.c */
int fab_nh_build(struct fabric *f, const struct conf_fabric *cf, char *err,
		 size_t errlen);
void fab_nh_free(struct fabric *f);
/* Why next hop nh is not usable (FAB_R_NH_*), FAB_R_NONE if it is. */
uint8_t fab_nh_reason(const struct fabric *f, const struct addr *nh);
/* Set b->reason and b->bad from its next hops. */
void fab_nh_classify(const struct fabric *f, struct fbgp *b);
/* The table's route for a prefix goes from old to nw (either NULL):
 * keep the gauge and queue an event when nw became Invalid. */
void fab_nh_account(struct fabric *f, const struct fbgp *old,
		    const struct fbgp *nw);
const struct flb *fab_lb_by_ip(const struct fabric *f, const struct addr *a);

#endif
