/*
 * rib.h - the routing information base of the route server.
 *
 * One struct rib holds, for IPv4 and IPv6 unicast: interned path
 * attributes, every peer's adj-RIB-in (the routes that passed import), and
 * the loc-RIB (for each prefix its candidate paths in decision order, the
 * ECMP set and the single best). Changes to the loc-RIB are collected in a
 * change set that the caller drains once per event-loop turn and hands to
 * export (peers) and to the fabric.
 *
 * The RIB knows nothing of sockets, the wire or policy: callers decode,
 * filter, then call rib_announce()/rib_withdraw()/rib_peer_flush().
 */
#ifndef PHAROS_RIB_RIB_H
#define PHAROS_RIB_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/prefix.h"
#include "conf/conf.h"
#include "wire/wire.h"

struct rib;

/*
 * An interned, reference-counted set of path attributes. Routes point at
 * one; identical attribute sets from any peer share one copy. Fields are
 * read-only once interned.
 */
struct rattr {
	uint32_t refcnt;
	uint32_t hash;
	struct rattr *hnext; /* intern hash chain */
	uint32_t id; /* rattr_by_id(rib_attr_ids(rib), id) == this; never 0 */
	uint8_t origin;
	uint8_t has_med : 1, has_local_pref : 1, atomic_aggregate : 1,
		no_advertise : 1, no_export : 1, has_aggregator : 1;
	uint16_t aspath_len; /* bytes of normalized 4-octet AS_PATH */
	uint16_t aspath_hops; /* aspath_length() result, cached */
	uint16_t n_communities, n_ext_communities, n_large_communities;
	uint16_t unknown_len; /* bytes of raw unknown transitive attributes */
	uint32_t med, local_pref;
	uint32_t aggregator_as, aggregator_addr;
	struct addr next_hop; /* IPv4 NEXT_HOP or MP global next hop */
	struct addr next_hop_ll; /* IPv6 link-local next hop, afi 0 if none */
	/* Variable part, in this order: aspath, communities (4 bytes each,
	 * network order), ext communities (8), large communities (12),
	 * unknown attributes (wire form, flags|code|len|data). */
	uint8_t data[];
};

/* The interned sets by id, for tables that keep many references and want
 * 4 bytes each instead of a pointer (the adj-RIB-out). Id 0 is none. The
 * array moves as it grows: read it through this struct every time. */
struct rattr_ids {
	struct rattr **v; /* v[id]; a free id's slot holds the free list */
	uint32_t n, cap; /* ids below n were handed out */
	uint32_t free_head; /* a free id below n, 0: none */
};
const struct rattr_ids *rib_attr_ids(const struct rib *rib);
static inline struct rattr *rattr_by_id(const struct rattr_ids *ids,
					uint32_t id)
{
	return id ? ids->v[id] : (struct rattr *)0;
}

/*
 * Convert decoded attributes to/from the interned form. rattr_intern
 * returns a reference owned by the caller (drop it with rattr_unref once
 * the routes that use it are announced: rib_announce takes its own).
 * The next hop is mp_next_hop[_ll] when ATTR_MP_REACH is in a->present,
 * else NEXT_HOP when present, else mp_next_hop[_ll] if set (so that the
 * output of rattr_to_bgp interns back to the same set). Only optional
 * transitive unknown attributes are kept, flagged partial.
 */
struct rattr *rattr_intern(struct rib *rib, const struct bgp_attrs *a);
/* Same with an explicit next hop (nh_ll may be NULL), for an UPDATE that
 * carries both IPv4 NLRI (NEXT_HOP) and MP_REACH (its own next hop). */
struct rattr *rattr_intern_nh(struct rib *rib, const struct bgp_attrs *a,
			      const struct addr *nh, const struct addr *nh_ll);
void rattr_ref(struct rattr *ra);
void rattr_unref(struct rib *rib, struct rattr *ra);
/* Fill a struct bgp_attrs (pointers into ra) for encoding or display. */
void rattr_to_bgp(const struct rattr *ra, struct bgp_attrs *out);
const uint8_t *rattr_aspath(const struct rattr *ra);
const uint8_t *rattr_communities(const struct rattr *ra);
const uint8_t *rattr_ext_communities(const struct rattr *ra);
const uint8_t *rattr_large_communities(const struct rattr *ra);
/* Unknown transitive attributes, wire form (flags|code|len|data). */
const uint8_t *rattr_unknown(const struct rattr *ra);
/* Bytes held by one interned set (struct and variable part). */
size_t rattr_size(const struct rattr *ra);

/* One path to a prefix: one peer's route. Small on purpose (24 bytes:
 * the peer index, flags and stale mark share one word). */
struct rpath {
	struct rpath *next; /* next candidate for the same prefix, best first */
	struct rattr *attr;
	uint32_t peer : 24; /* peer index from rib_peer_add (< RIB_MAX_PEERS) */
	uint32_t flags : 5; /* RPATH_* */
	uint32_t stale : 1; /* kept while its peer restarts (RFC 4724) */
	uint32_t rpki : 2; /* enum rpki_state (conf.h); 0: not validated */
	uint32_t path_id; /* ADD-PATH path identifier from the peer, else 0 */
};
#define RIB_MAX_PEERS (1u << 24)
enum { RPATH_BEST = 1, RPATH_ECMP = 2 };

/* A loc-RIB entry: a prefix and its candidate paths, ordered by the
 * decision process (the first path is the best; paths flagged RPATH_ECMP
 * form the ECMP set, the best included). */
struct rentry {
	struct prefix prefix;
	uint16_t n_paths;
	uint16_t n_ecmp;
	uint8_t pruning; /* internal: queued for rib_prune */
	uint32_t change_gen; /* internal: change-set link */
	uint32_t trie_down; /* internal: trie link to the more specifics */
	struct rpath *paths;
};

/* What the RIB needs to know of a peer for the decision process. */
struct rib_peer {
	struct addr addr;
	uint32_t asn;
	uint8_t kind; /* enum peer_kind */
};

struct rib_config {
	uint32_t local_asn;
	uint8_t routing_pref; /* enum routing_pref */
	bool compare_med;
	uint16_t max_paths; /* ECMP width, >= 1 */
};

struct rib *rib_new(const struct rib_config *cfg);
/* Frees everything, interned attributes still referenced included:
 * release other holders (export) first. */
void rib_free(struct rib *rib);
/* Change decision knobs (reload); every prefix is re-decided and all
 * that changed enter the change set. */
void rib_set_config(struct rib *rib, const struct rib_config *cfg);

/* Register a peer; returns its index (small, dense, reused after remove;
 * below RIB_MAX_PEERS), UINT32_MAX when out of memory or peers. */
uint32_t rib_peer_add(struct rib *rib, const struct rib_peer *p);
/* Withdraw every route of the peer (session down). Returns how many. */
size_t rib_peer_flush(struct rib *rib, uint32_t peer);
/* Flush and forget the peer. */
void rib_peer_remove(struct rib *rib, uint32_t peer);
const struct rib_peer *rib_peer_get(const struct rib *rib, uint32_t peer);

/* Add or replace peer's route to p. The RIB takes its own reference on
 * attr. Returns 1 if it was new, 0 if it replaced one (or was the same
 * route again: then nothing changes), -1 for an unknown peer, a bad prefix
 * or no memory. */
int rib_announce(struct rib *rib, uint32_t peer, const struct prefix *p,
		 struct rattr *attr);
/* The same, with the route's RPKI state (enum rpki_state). */
int rib_announce_rpki(struct rib *rib, uint32_t peer, const struct prefix *p,
		      struct rattr *attr, uint8_t rpki);
/* A hint before a run of rib_withdraw/rib_announce calls for p[0..n):
 * bring the RIB nodes they will read into the cache, all at once. */
void rib_prefetch(const struct rib *rib, const struct prefix *p, size_t n);
/* Remove peer's route to p. Returns 1 if there was one, 0 otherwise. */
int rib_withdraw(struct rib *rib, uint32_t peer, const struct prefix *p);
/* The same for one path of a peer that sends ADD-PATH path identifiers
 * (RFC 7911): (peer, path_id) names a path, so one peer may hold several
 * paths to p. rib_announce/rib_withdraw are these with path id 0. */
int rib_announce_id(struct rib *rib, uint32_t peer, uint32_t path_id,
		    const struct prefix *p, struct rattr *attr);
int rib_withdraw_id(struct rib *rib, uint32_t peer, uint32_t path_id,
		    const struct prefix *p);
/* Both: one path (path id, 0 without ADD-PATH) with its RPKI state. */
int rib_announce_path(struct rib *rib, uint32_t peer, uint32_t path_id,
		      const struct prefix *p, struct rattr *attr, uint8_t rpki);

/* Set the RPKI state of peer's path path_id (0 without ADD-PATH) to p
 * (not a decision input: the loc-RIB does not change). Returns 1 when it
 * changed, 0 when it was the same, -1 when the peer has no such path. */
int rib_set_rpki(struct rib *rib, uint32_t peer, uint32_t path_id,
		 const struct prefix *p, uint8_t state);

/* Number of routes a peer has in the RIB (its accepted prefixes). */
size_t rib_peer_count(const struct rib *rib, uint32_t peer);

/*
 * Graceful restart (RFC 4724): mark every route of the peer stale (the
 * loc-RIB does not change: the routes stay candidates, flagged). A later
 * rib_announce of the same prefix by that peer clears the mark; a sweep
 * withdraws the routes of afi (0: both) still marked. Each returns how
 * many routes it marked or withdrew.
 */
size_t rib_peer_mark_stale(struct rib *rib, uint32_t peer);
size_t rib_peer_sweep_stale(struct rib *rib, uint32_t peer, uint8_t afi);
size_t rib_peer_stale_count(const struct rib *rib, uint32_t peer);

/*
 * Entry ids: every loc-RIB entry has a small number (>= 1) that stays the
 * same while it exists and is reused once it has been freed (after the
 * change-set drain that delivered it empty). Callers can keep per-prefix
 * state in arrays indexed by id, provided they forget an id when the
 * drain delivers its entry empty. rib_entry_id: the id of p's entry,
 * with or without paths, 0 if there is none. rib_entry: the entry of a
 * live id.
 */
uint32_t rib_entry_id(const struct rib *rib, const struct prefix *p);
const struct rentry *rib_entry(const struct rib *rib, uint32_t id);

/* Look up: exact entry, or longest match for an address. NULL if none. */
const struct rentry *rib_lookup(const struct rib *rib, const struct prefix *p);
const struct rentry *rib_match(const struct rib *rib, const struct addr *a);

/* Walk the loc-RIB of afi in prefix order (0 = both, IPv4 first). Stop
 * when cb returns non-zero; returns that value. */
typedef int (*rib_walk_cb)(const struct rentry *e, void *arg);
int rib_walk(const struct rib *rib, uint8_t afi, rib_walk_cb cb, void *arg);
/* Walk every entry of both families in the same order, with its id,
 * including entries left empty that the next drain will deliver and free
 * (readers that follow the drains keep state for those until then), but
 * not the ones a drain delivered empty and left to rib_prune. */
typedef int (*rib_walk_id_cb)(const struct rentry *e, uint32_t id, void *arg);
int rib_walk_ids(const struct rib *rib, rib_walk_id_cb cb, void *arg);
/* Resume a walk of both families: the entries after prefix after (in the
 * order of rib_walk(rib, 0, ...)), from the start when after is NULL.
 * A cursor for readers that go a chunk at a time across loop turns: the
 * cost of resuming is the depth of the trie, and the RIB may change in
 * between (each entry is read as it is when the walk reaches it). */
int rib_walk_after(const struct rib *rib, const struct prefix *after,
		   rib_walk_cb cb, void *arg);
/* Walk the routes of one peer (its adj-RIB-in): entry and that peer's path. */
typedef int (*rib_peer_walk_cb)(const struct rentry *e, const struct rpath *p,
				void *arg);
int rib_walk_peer(const struct rib *rib, uint32_t peer, rib_peer_walk_cb cb,
		  void *arg);

/*
 * Change set: every entry whose best path or ECMP set changed since the
 * last drain (including entries that became empty: n_paths == 0; such an
 * entry stays valid until the callback returns and is then freed). Each
 * entry appears once per drain however often it changed. Entries come in
 * the order they first changed. The callback must not change the RIB.
 * id is the entry's id (see rib_entry_id).
 *
 * A drain of many changes (RIB_PRUNE_DEFER or more: a peer's table
 * withdrawn, a session gone) does not unlink its empty entries from the
 * trie at once: that is half the cost of a withdrawal, and the changes
 * reach export and the fabric sooner without it. They are queued, are
 * no longer found (rib_lookup, rib_entry_id, the walks), keep their id
 * until unlinked, and come back to life if their prefix is announced
 * again first. rib_prune unlinks up to max of them (the daemon calls it
 * when the loop is idle) and returns how many remain queued.
 */
#define RIB_PRUNE_DEFER 4096
typedef void (*rib_change_cb)(const struct rentry *e, uint32_t id, void *arg);
size_t rib_changes_drain(struct rib *rib, rib_change_cb cb, void *arg);
size_t rib_changes_pending(const struct rib *rib);
size_t rib_prune(struct rib *rib, size_t max);

/* Counters and memory, for the API, metrics and the shutdown log line. */
struct rib_stats {
	size_t prefixes[3]; /* [AFI_IPV4], [AFI_IPV6] */
	size_t paths;
	size_t attrs; /* distinct interned attribute sets */
	size_t bytes; /* memory the RIB holds: trie, entries, paths, attrs */
};
void rib_stats(const struct rib *rib, struct rib_stats *st);

/*
 * The decision process of DESIGN 1.2 as one compare function with
 * numbered steps. Returns <0 when a is preferred, >0 when b is, 0 when
 * they tie for ECMP. *step (may be NULL) is set to the step that decided
 * (1..4), or 5 for a tie.
 */
int rib_path_cmp(const struct rib *rib, const struct rpath *a,
		 const struct rpath *b, int *step);
/*
 * The total order of a candidate list: rib_path_cmp, then, among paths
 * tied for ECMP, lowest ORIGIN (*step = RIB_STEP_ORIGIN), lowest peer
 * address (RIB_STEP_PEER_ADDR), lowest peer index (RIB_STEP_PEER_INDEX,
 * only for two peers with one address), lowest path id (RIB_STEP_PATH_ID,
 * two ADD-PATH paths of one peer). 0 only for a path and itself.
 */
enum { RIB_STEP_TIE = 5, RIB_STEP_ORIGIN = 6, RIB_STEP_PEER_ADDR = 7,
       RIB_STEP_PEER_INDEX = 8, RIB_STEP_PATH_ID = 9 };
int rib_path_order(const struct rib *rib, const struct rpath *a,
		   const struct rpath *b, int *step);

#endif
