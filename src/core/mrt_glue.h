/*
 * mrt_glue.h - MRT (RFC 6396) output of pharosd: the TABLE_DUMP_V2 dump
 * of every peer's accepted routes (for GET /api/v1/mrt/rib and for the
 * periodic rib.YYYYMMDD.HHMM files of api.mrt_dir), and the BGP4MP log of
 * every received UPDATE (api.mrt_updates) in updates.YYYYMMDD.HHMM files.
 *
 * Files are written from a bounded buffer a slice at a time in loop
 * turns, so that a large dump never holds up keepalives for long. A
 * reload that changes api.mrt_dir, mrt_interval or mrt_updates is picked
 * up at the next loop turn.
 */
#ifndef PHAROS_CORE_MRT_GLUE_H
#define PHAROS_CORE_MRT_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/daemon.h"
#include "mrt/mrt.h"

#define MRT_GLUE_SLICE (1u << 20) /* bytes written per loop turn */
#define MRT_GLUE_DUMP_STEP 4000 /* prefixes encoded per loop turn */
#define MRT_GLUE_UPD_BOUND (8u << 20) /* update log bytes held at most */
#define MRT_GLUE_UPD_DEFAULT_INTERVAL 900 /* update file rotation, s */

struct mrt_glue;

/* Counters for metrics. */
struct mrt_glue_stats {
	uint64_t rib_dumps; /* periodic dump files completed */
	uint64_t write_errors; /* failed opens and writes */
	uint64_t updates_logged; /* BGP4MP records queued */
	uint64_t updates_dropped; /* lost: buffer over its bound */
	size_t buffered; /* bytes waiting to be written */
};

/* Start periodic dumps and update logging as configured (api.mrt_dir,
 * api.mrt_interval, api.mrt_updates). Returns NULL only without memory. */
struct mrt_glue *mrt_glue_new(struct daemon *d);
/* Close the update log file; the next record reopens it (logrotate). */
void mrt_glue_reopen(struct mrt_glue *g);
/* Write out what is buffered, then free. */
void mrt_glue_free(struct mrt_glue *g);
void mrt_glue_stats(const struct mrt_glue *g, struct mrt_glue_stats *st);

/* An UPDATE (whole message, header included) received on c. Cheap when
 * update logging is off. */
void mrt_glue_update(struct daemon *d, const struct conn *c,
		     const uint8_t *msg, size_t len);

/*
 * An incremental TABLE_DUMP_V2 dump, a bounded number of prefixes per
 * step, resuming after the last prefix written (the RIB may change in
 * between: each prefix is written as it is when its step comes). The
 * peer table is the one of the first step; a peer removed since then
 * (reload) has its later routes left out.
 */
struct mrt_dumper;
struct mrt_dumper *mrt_dumper_new(struct daemon *d, uint32_t ts);
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
long mrt_rib_dump(struct daemon *d, struct mrt_wbuf *w, uint32_t ts);

/* "PREFIX.YYYYMMDD.HHMM" (UTC) of time t into buf. */
void mrt_file_name(char *buf, size_t len, const char *prefix, time_t t);

#endif
