/*
 * mrt_dump.h - TABLE_DUMP_V2 dumps (RFC 6396) of the route server's RIB:
 * one PEER_INDEX_TABLE of the configured peers, then one RIB record per
 * prefix with each peer's accepted route (its adj-RIB-in after import).
 * Also the limits and counters of pharosd's MRT output (daemon/mrt_glue.c)
 * that the metrics show.
 */
#ifndef PHAROS_MRT_MRT_DUMP_H
#define PHAROS_MRT_MRT_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mrt/mrt.h"
#include "session/session.h"

#define MRT_DUMP_QUEUE 4096 /* prefixes queued by one walk of the RIB */
#define MRT_GLUE_SLICE (1u << 20) /* bytes written per loop turn */
#define MRT_GLUE_DUMP_STEP 4000 /* prefixes encoded per loop turn */
#define MRT_GLUE_UPD_BOUND (8u << 20) /* update log bytes held at most */
#define MRT_GLUE_UPD_DEFAULT_INTERVAL 900 /* update file rotation, s */

/* Counters for metrics. */
struct mrt_glue_stats {
	uint64_t rib_dumps; /* periodic dump files completed */
	uint64_t write_errors; /* failed opens and writes */
	uint64_t updates_logged; /* BGP4MP records queued */
	uint64_t updates_dropped; /* lost: buffer over its bound */
	size_t buffered; /* bytes waiting to be written */
};

/*
 * An incremental TABLE_DUMP_V2 dump, a bounded number of prefixes per
 * step, resuming after the last prefix written (the RIB may change in
 * between: each prefix is written as it is when its step comes). The
 * peer table is the one of the first step; a peer removed since then
 * (reload) has its later routes left out.
 */
struct mrt_dumper;
struct mrt_dumper *mrt_dumper_new(struct session *s, uint32_t ts);
void mrt_dumper_free(struct mrt_dumper *x);
/* Append the next records (the PEER_INDEX_TABLE first) for at most
 * budget prefixes to w. Returns 1 while more remains, 0 when the dump is
 * complete, -1 when memory ran out. */
int mrt_dumper_step(struct mrt_dumper *x, struct mrt_wbuf *w,
		    unsigned budget);
/* Records (RIB entries) written so far. */
uint32_t mrt_dumper_records(const struct mrt_dumper *x);

/* Append the whole TABLE_DUMP_V2 dump (PEER_INDEX_TABLE of every
 * configured peer, then one RIB record per prefix with each peer's
 * accepted route) to w. Returns the number of RIB records, or -1 when
 * memory ran out. */
long mrt_rib_dump(struct session *s, struct mrt_wbuf *w, uint32_t ts);

/* "PREFIX.YYYYMMDD.HHMM" (UTC) of time t into buf. */
void mrt_file_name(char *buf, size_t len, const char *prefix, time_t t);

#endif
