/*
 * rpki_reval.h - revalidation of learned routes when the RPKI cache's
 * ROAs change (RFC 6811 section 6 / RFC 8210): the routes under the
 * changed ROA prefixes get their new state, and what the state means
 * under route_server.rpki.invalid follows (refused, tagged, accepted
 * again).
 */
#ifndef PHAROS_SESSION_RPKI_REVAL_H
#define PHAROS_SESSION_RPKI_REVAL_H

#include <stddef.h>

#include "session/session.h"

struct rpki_reval_result {
	size_t checked; /* paths looked at */
	size_t changed; /* paths whose state changed */
	size_t refused; /* became invalid and were refused (deny) */
	size_t accepted; /* refused routes accepted again */
	size_t refreshed; /* peers asked for a route refresh */
};

/* Where a revalidation is: the paths under region (a changed ROA's
 * prefix), or every path (all); the walk pauses after a budget of paths
 * and resumes from cursor, so that a big change costs many short loop
 * turns instead of one long one. Start with started and done false. */
struct rpki_walk {
	struct prefix region;
	bool all;
	bool started, done;
	struct prefix cursor; /* the last entry looked at */
};

/*
 * Revalidate at most about budget paths of w (RFC 6811), and apply what
 * the new states mean under route_server.rpki.invalid: refused (deny),
 * tagged or untagged (tag), or only the state (accept). Adds to res;
 * kicks the session when the RIB changed. Returns true when w is done.
 */
bool rpki_revalidate_step(struct session *s, struct rpki_walk *w,
			  size_t budget, struct rpki_reval_result *res);
/*
 * After the steps of a batch of ROA changes: routes refused as invalid
 * go through import's checks again (accepted when no longer invalid),
 * and peers whose import rules match `rpki`, or whose refused routes
 * were not kept, are asked for a route refresh.
 */
void rpki_revalidate_finish(struct session *s, struct rpki_reval_result *res);

/* Paths in the RIB per state [enum rpki_state], for the metrics. */
void rpki_count_states(const struct session *s, size_t counts[4]);

#endif
