/*
 * drill.h - failover drills (DESIGN 1.4): take a peer down on purpose,
 * record how the route server converges (a timeline in milliseconds from
 * the start), bring the peer back and record re-convergence, and score
 * the loc-RIB against an expected route set before, during and after.
 *
 * The timeline, expectations, scoring, JSON and SVG parts are pure and
 * unit-tested; the daemon side (drills_*) watches the loop once per turn,
 * after the RIB change set was handed to export.
 */
#ifndef PHAROS_CORE_DRILL_H
#define PHAROS_CORE_DRILL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/prefix.h"

struct daemon;

/* Timeline phases, in the order they must happen. */
enum drill_phase {
	DP_SESSION_DOWN = 0,
	DP_ROUTES_WITHDRAWN, /* the change set removing its last route processed */
	DP_FABRIC_PROGRAMMED, /* fabric version committed */
	DP_PEERS_UPDATED, /* withdrawals written to every other peer */
	DP_AGENTS_ACKED, /* every agent acknowledged that version */
	DP_RESTORED, /* the peer is enabled again */
	DP_SESSION_UP,
	DP_ROUTES_BACK, /* its routes are back in the loc-RIB */
	DP_EOR, /* End-of-RIB received */
	DP_FABRIC_REPROGRAMMED,
	DP_N
};
/* "session_down", ... and a label for people ("session down"). */
const char *drill_phase_name(int ph);
const char *drill_phase_label(int ph);

/* Moments at which expectations are checked. */
enum drill_moment { DM_BEFORE = 0, DM_DURING = 1, DM_AFTER = 2, DM_N };
const char *drill_moment_name(int m);

#define DRILL_MAX_NH 16

/* One expected route: prefix and its ECMP next hops (none: absent). */
struct drill_expect {
	uint8_t moment; /* enum drill_moment */
	struct prefix prefix;
	unsigned n_nh;
	struct addr nh[DRILL_MAX_NH];
};

/* One check result. */
struct drill_check {
	struct drill_expect want;
	unsigned n_got;
	struct addr got[DRILL_MAX_NH];
	bool ok;
};

enum drill_state { DS_RUNNING = 0, DS_DONE = 1, DS_FAILED = 2 };

struct drill {
	unsigned id;
	char type[16]; /* "peer-down" or "nva-silent" */
	char peer[128];
	char started[40]; /* ISO time */
	double restore_after; /* seconds */
	uint8_t state; /* enum drill_state */
	char error[200]; /* why it failed or what was missing */
	bool applies[DP_N]; /* phases that apply (fabric, agents) */
	int64_t ms[DP_N]; /* -1: not reached */
	unsigned n_expect;
	struct drill_expect *expect;
	unsigned n_checks;
	struct drill_check *checks;
	bool checked[DM_N];
};

/* ------------------------------------------------------ pure logic */

/* Parse {"before":[{"prefix":P,"next_hops":[..]}],"during":..,"after":..}
 * into dr->expect. Returns 0, or -1 with a message in err. */
int drill_expect_parse(struct drill *dr, json_t *expect, char *err,
		       size_t len);
/* Record a phase at ms if its applicable predecessors were recorded (the
 * timeline is in order by construction). Returns true when recorded. */
bool drill_mark(struct drill *dr, int phase, int64_t ms);
/* The phase whose time should come next, or DP_N when all are recorded. */
int drill_next_phase(const struct drill *dr, int from);
/* True when every recorded applicable phase is >= 0 ms and in order. */
bool drill_timeline_ordered(const struct drill *dr);
/* Next hops of a prefix in the loc-RIB (ECMP set); returns how many. */
typedef unsigned (*drill_lookup_fn)(void *arg, const struct prefix *p,
				    struct addr *out, unsigned max);
/* Check every expectation of one moment. */
void drill_check_moment(struct drill *dr, int moment, drill_lookup_fn fn,
			void *arg);
/* Share of the checks met, in percent (100 when there are none). */
double drill_score(const struct drill *dr);
void drill_clear(struct drill *dr);
json_t *drill_json(const struct drill *dr);
/* The SVG timeline chart (caller frees). */
char *drill_svg(const struct drill *dr);

/* ------------------------------------------------------ daemon side */

struct drills;

void drills_free(struct drills *ds);
/* Start a drill from a request body {"type":"peer-down"|"nva-silent",
 * "peer":NAME, "restore_after":S,"expect":{..}}. peer-down disables the
 * peer; nva-silent drops every packet to and from its address with
 * nftables (the `nft` program, CAP_NET_ADMIN) until the restore, so that
 * only BFD or the hold timer can notice. Returns its id, or 0 with the HTTP
 * status in *status and a message in err. */
unsigned drill_start(struct daemon *d, json_t *req, int *status, char *err,
		     size_t len);
/* nva-silent (src/daemon/drill_silent.c): drop every packet to and from
 * addr with an nftables table of the drill's own (`nft -f -`); undo it.
 * Return 0, or -1 with nft's message in err. */
int drill_silence(const struct addr *addr, unsigned id, char *err,
		  size_t len);
int drill_unsilence(unsigned id, char *err, size_t len);
/* Every kept drill, newest first: {"drills":[...]} */
json_t *drills_json(struct daemon *d);
const struct drill *drill_find(struct daemon *d, unsigned id);
/* The id of the running drill, 0 when none runs. */
unsigned drill_running(struct daemon *d);

#endif
