/*
 * fab_assure.h - routing assurance over the fabric model: what-if (the
 * differences between the effective routes of two fabrics, e.g. the one
 * in force and one built from a hypothetical loc-RIB or configuration:
 * fab_whatif.c) and the symmetry check (the stateful hops a flow crosses
 * each way and a verdict: fab_symmetry.c). Both use the fabric engine
 * itself (fab_subnet_table, fab_trace); nothing here changes a fabric.
 */
#ifndef PHAROS_FABRIC_FAB_ASSURE_H
#define PHAROS_FABRIC_FAB_ASSURE_H

#include <stdbool.h>
#include <stddef.h>

#include "fabric/fabric.h"

/* The address of NIC nic (an index below fab_n_nics). */
const struct addr *fab_nic_addr(const struct fabric *f, uint32_t nic);

/* ------------------------------------------------------------ what-if */

/* Per-subnet differences of the active effective routes from fabric now
 * to fabric then, subnets matched by name: a JSON array of
 * {"subnet","added":[route],"removed":[route],"changed":[{"prefix",
 * "before":route,"after":route}],"added_count","removed_count",
 * "changed_count"} for the subnets that differ (a subnet only in then is
 * "new": true, only in now "gone": true); each list holds at most
 * FAB_WHATIF_MAX_LIST entries, the counts are complete. *n_same gets the
 * number of subnets with no difference. */
#define FAB_WHATIF_MAX_LIST 1000
json_t *fab_whatif_diff(struct fabric *now, struct fabric *then,
			size_t *n_same);

/* ----------------------------------------------------------- symmetry */

/* One place where a flow crosses a stateful appliance: the hop that
 * chose it, the stateful members of that hop's ECMP set, the chosen one
 * (by the flow hash), and whether the set keeps flows sticky. */
struct fab_crossing {
	char at[64]; /* NIC that made the choice ("" outside the fabric) */
	struct addr chosen;
	uint16_t n_cand;
	struct addr cand[FAB_TRACE_MAX_NH];
	bool sticky;
};

#define FAB_MAX_CROSSINGS 32
struct fab_sym_side {
	size_t n;
	struct fab_crossing c[FAB_MAX_CROSSINGS];
};

/* Is ip (a next hop chosen at hop h) a stateful appliance? *sticky: its
 * group keeps flows on one member. */
typedef bool (*fab_stateful_fn)(void *arg, const struct fab_hop *h,
				const struct addr *ip, bool *sticky);

/* Append the stateful crossings of trace t to side. */
void fab_trace_crossings(const struct fab_trace *t, fab_stateful_fn fn,
			 void *arg, struct fab_sym_side *side);

enum fab_verdict { FAB_SYMMETRIC = 0, FAB_AT_RISK = 1, FAB_ASYMMETRIC = 2 };
const char *fab_verdict_name(int v); /* "symmetric", "at_risk", "asymmetric" */
/* The verdict for a flow that crosses fwd one way and ret on its return,
 * and why (in reason). */
int fab_symmetry_verdict(const struct fab_sym_side *fwd,
			 const struct fab_sym_side *ret, char *reason,
			 size_t len);
/* [{"at","chosen","candidates":[..],"sticky"}] and back (0, or -1 for a
 * malformed list). */
json_t *fab_crossings_json(const struct fab_sym_side *s);
int fab_crossings_parse(json_t *a, struct fab_sym_side *s);

#endif
