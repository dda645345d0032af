/*
 * refused.h - the routes a peer sent that import did not accept, kept
 * per peer by prefix: why each was refused (an import rule, a guard, a
 * martian, a default route) and, with the peer's keep_refused (the
 * default), the attributes as received, interned in the RIB's table, so
 * that `show routes --refused` can list them and a changed import policy
 * can accept them again without a route refresh.
 */
#ifndef PHAROS_SESSION_REFUSED_H
#define PHAROS_SESSION_REFUSED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/prefix.h"
#include "rib/rib.h"

enum refused_why {
	REFUSED_RULE = 1, /* an import rule denied it (rule: its index) */
	REFUSED_LOOP, /* the AS_PATH holds the local AS */
	REFUSED_FIRST_AS, /* the first AS is not the peer's */
	REFUSED_MARTIAN, /* inside route_server.martians */
	REFUSED_DEFAULT, /* a default route without accept_default */
	REFUSED_RPKI, /* origin invalid (RFC 6811) with rpki.invalid deny */
};
/* "import rule", "as-path loop", "first AS not the peer's", "martian",
 * "default route (accept_default false)", "rpki invalid". */
const char *refused_why_name(int why);

struct refused_route {
	struct refused_route *next;
	struct prefix pfx;
	struct rattr *attr; /* as received; NULL without keep_refused */
	uint8_t why; /* enum refused_why */
	int16_t rule; /* REFUSED_RULE: the rule's index, else -1 */
};

struct refused;

struct refused *refused_new(struct rib *rib);
void refused_free(struct refused *r);
/* Keep pfx as refused (replacing what was kept for it); attr may be NULL
 * and gets a reference of its own. */
void refused_put(struct refused *r, const struct prefix *pfx,
		 struct rattr *attr, uint8_t why, int16_t rule);
/* Forget pfx; true when it was kept. */
bool refused_del(struct refused *r, const struct prefix *pfx);
void refused_clear(struct refused *r);
size_t refused_count(const struct refused *r);
/* Call fn for each kept route (in no order) until it returns non-zero.
 * fn must not change r; collect first, then change. */
int refused_walk(const struct refused *r,
		 int (*fn)(const struct refused_route *rr, void *arg),
		 void *arg);
/* Bytes held by the table (not the interned attributes it shares). */
size_t refused_bytes(const struct refused *r);

#endif
