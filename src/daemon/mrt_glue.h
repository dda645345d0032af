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
#ifndef PHAROS_DAEMON_MRT_GLUE_H
#define PHAROS_DAEMON_MRT_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"
#include "mrt/mrt_dump.h"

struct mrt_glue;


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

#endif
