/*
 * export.h - from loc-RIB changes to UPDATE messages, once per group.
 *
 * Export applies the route-server rules of DESIGN 1.2 (who may receive a
 * route from whom, NO_ADVERTISE/NO_EXPORT, never back to the source, local
 * ASN prepended unless transparent, NEXT_HOP unchanged, per-peer export
 * filters) and keeps each peer's adj-RIB-out. Peers that would receive the
 * same bytes form an update group: the group's UPDATEs are encoded once and
 * the same reference-counted buffer is queued on every member's socket.
 *
 * The exporter owns no sockets: it hands finished messages to the caller's
 * send callback and is driven in bounded slices (export_run) so that a big
 * initial dump never starves keepalives.
 *
 * Only the best path of a prefix is ever exported (no add-path). When the
 * best may not go to a peer (the peer is its source, or the kind rules
 * forbid it) the peer gets nothing for that prefix - there is no fallback
 * to another candidate - and a prefix it had is withdrawn. LOCAL_PREF is
 * never sent; MED is passed on only with transparent_as (RFC 7947),
 * otherwise removed (RFC 4271 5.1.4) unless an export rule sets it.
 *
 * Update groups: peers of the same receiver class (NVA or gateway), same
 * export rules, same as4/extended-message capabilities and families share
 * one adj-RIB-out and every message. Peers configured alike but of another
 * class sit in separate groups even when branch_to_branch makes their
 * output equal.
 *
 * Callbacks (send) must not call back into the exporter.
 */
#ifndef PHAROS_OUT_EXPORT_H
#define PHAROS_OUT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/outbuf.h"
#include "conf/conf.h"
#include "rib/rib.h"
#include "wire/wire.h"


struct export_config {
	uint32_t local_asn;
	bool branch_to_branch;
	bool transparent_as;
	/* Prefixes originated by the route server itself (the fabric's
	 * address spaces), sent to every peer with ORIGIN IGP, AS_PATH of the
	 * local ASN (empty when transparent) and the router's own next hop. */
	unsigned n_originated;
	const struct prefix *originated;
	struct addr next_hop_v4, next_hop_v6; /* for originated routes */
};

/* What the exporter needs to know of an established peer. */
struct export_peer {
	uint32_t rib_peer; /* index from rib_peer_add */
	uint8_t kind; /* enum peer_kind */
	uint32_t asn;
	struct bgp_session_caps caps;
	/* With ADD-PATH send negotiated (caps.addpath_tx): at most this many
	 * paths of a prefix are sent (>= 1). */
	uint16_t addpath_max;
	bool afi_v4, afi_v6; /* negotiated unicast families */
	const struct pol_rule *export_rules;
	unsigned n_export_rules;
	/* Which of the route server's own routes with a peer list
	 * (export_local.mask) this peer receives. */
	uint64_t local_mask;
	/* Called with each finished message block for this peer; the callee
	 * takes a reference if it keeps b. Returns false when the peer's
	 * output queue is over its bound (the exporter then pauses that
	 * peer's initial dump until export_peer_writable()). */
	bool (*send)(void *ctx, struct out_buf *b);
	void *ctx;
	/* Optional hard bound: false when a block of len bytes would take
	 * the peer's output queue over its bound. The exporter then does not
	 * send it: the peer is paused, the prefixes of every block held back
	 * are remembered (each once), and after export_peer_writable() their
	 * current state is sent (announce or withdraw), then the dump goes
	 * on from where it stopped; End-of-RIB waits for both. NULL: no such
	 * check (only send()'s answer pauses the dump). */
	bool (*fits)(void *ctx, size_t len);
	/* Optional: the route for p cannot be sent to this peer, not even
	 * alone in one UPDATE (its attributes, an AS_PATH of a thousand
	 * ASNs, exceed the peer's message size: 4,096 bytes without
	 * extended messages). The peer gets a withdrawal for p instead (or
	 * nothing if it never had p), and its adj-RIB-out says so. */
	void (*oversize)(void *ctx, const struct prefix *p);
};

/*
 * The route server's own routes besides cfg.originated: custom prefixes
 * for chosen peers (route_server.originate) and aggregates. Each entry
 * is withdrawn until export_local_set() gives it attributes; while it has
 * some it is sent instead of any learned route to the same prefix (as
 * cfg.originated are). mask: the peers that receive it are those whose
 * local_mask shares a bit with it (0: every peer). summary_only: the
 * prefixes strictly inside it are never exported.
 */
struct export_local {
	struct prefix prefix;
	uint64_t mask;
	bool summary_only;
};

struct exporter;

struct exporter *export_new(struct rib *rib, const struct export_config *cfg);
void export_free(struct exporter *ex);
void export_set_config(struct exporter *ex, const struct export_config *cfg);

/* Set the local entries (once, before any peer is up; a copy is kept). */
int export_local_init(struct exporter *ex, const struct export_local *l,
		      unsigned n);
/* Announce local entry i with attributes a, exactly as sent (AS_PATH and
 * next hop included; export rules still apply), or withdraw it (a NULL).
 * The change goes out with the next export_flush(). */
void export_local_set(struct exporter *ex, unsigned i,
		      const struct bgp_attrs *a);

/* A session came up: join or form its update group, then queue the
 * initial table dump (run by export_run) followed by End-of-RIB. */
void export_peer_up(struct exporter *ex, const struct export_peer *p);
/* The session went down: forget its adj-RIB-out, leave its group. */
void export_peer_down(struct exporter *ex, uint32_t rib_peer);
/* The peer's socket drained below its bound again. */
void export_peer_writable(struct exporter *ex, uint32_t rib_peer);
/* ROUTE-REFRESH received: send the peer's adj-RIB-out for afi again. */
void export_refresh(struct exporter *ex, uint32_t rib_peer, uint16_t afi);

/* One loc-RIB change (the rib_changes_drain callback calls this; e and
 * every entry delivered before it in the same drain must still exist:
 * a long change set is exported in chunks while it is drained). */
void export_change(struct exporter *ex, const struct rentry *e, uint32_t id);
/* Encode and send what export_change accumulated, one pass per group. */
void export_flush(struct exporter *ex);
/* The attribute sets export rewrote are cached (source set -> sent set);
 * after many routes went, a sweep forgets the sets nobody uses any more
 * (a walk of the cache, freeing them). export_flush does it when due;
 * with export_sweep_later(ex, true) it leaves it to export_sweep, which
 * the daemon calls when its loop is idle (so that a burst of withdrawals
 * is sent first), unless the dead sets grow to several times the live
 * ones. export_sweep_due: there is such work. */
void export_sweep_later(struct exporter *ex, bool on);
bool export_sweep_due(const struct exporter *ex);
void export_sweep(struct exporter *ex);
/* Continue initial dumps and refreshes (and a new group's computation
 * from the loc-RIB, which comes first) for at most about budget prefixes.
 * Returns true while work remains (call again next loop turn); false
 * when nothing can progress, including when every remaining dump is
 * paused: call it again after export_peer_writable(). */
bool export_run(struct exporter *ex, unsigned budget);

/* Counters for the API and metrics. Advertised = the prefixes of the
 * peer's group adj-RIB-out minus those whose route came from the peer
 * itself (during an initial dump: what it has or is about to get). */
size_t export_peer_advertised(const struct exporter *ex, uint32_t rib_peer);
/* Walk one peer's adj-RIB-out: prefix and the attributes sent (in
 * storage order, not prefix order). */
typedef int (*export_walk_cb)(const struct prefix *p, const struct rattr *a,
			      void *arg);
int export_walk_peer(const struct exporter *ex, uint32_t rib_peer,
		     export_walk_cb cb, void *arg);
/* The same walk a bounded step at a time, for readers that go a chunk
 * per loop turn: *pos (0 to start) is where the last step stopped; at
 * most budget slots are looked at. Returns 1 while more remains, 0 when
 * the walk is over (or the peer has no adj-RIB-out any more). Changes in
 * between are seen where the walk has not been yet (adj_out.h). */
int export_walk_peer_from(const struct exporter *ex, uint32_t rib_peer,
			  uint64_t *pos, unsigned budget, export_walk_cb cb,
			  void *arg);
size_t export_groups(const struct exporter *ex);
size_t export_bytes(const struct exporter *ex);

#endif
