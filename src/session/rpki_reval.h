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

/*
 * Revalidate every path under one of roas[0..n) (the prefixes of ROAs
 * added or withdrawn; n == 0 or all true: every path). Refused routes of
 * every peer that were refused as invalid are looked at again. Peers
 * whose import rules match `rpki` are asked for a route refresh, so that
 * the rules see the new state. Kicks the session when the RIB changed.
 */
void rpki_revalidate(struct session *s, const struct prefix *roas, size_t n,
		     bool all, struct rpki_reval_result *res);

/* Paths in the RIB per state [enum rpki_state], for the metrics. */
void rpki_count_states(const struct session *s, size_t counts[4]);

#endif
