/*
 * metrics.h - what pharosd measures for its Prometheus metrics beyond the
 * counters kept on peers, the RIB and the exporter: the convergence time
 * histogram (first UPDATE of a loop turn to export flush), API replies by
 * status code, events by type. The text itself is api_metrics_text()
 * (api.h).
 */
#ifndef PHAROS_API_METRICS_H
#define PHAROS_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "out/export.h"

#define METRICS_NBUCKETS 13

/* A Prometheus histogram with the fixed buckets METRICS_BUCKETS (s). */
struct histogram {
	uint64_t counts[METRICS_NBUCKETS]; /* per bucket, not cumulative */
	uint64_t count;
	double sum;
};
extern const double metrics_buckets[METRICS_NBUCKETS];
void histogram_observe(struct histogram *h, double v);

struct metrics;

/* Start measuring (a prepare watcher at the lowest priority, after the
 * daemon's own). Returns NULL without memory. */
struct metrics *metrics_new(struct api_host *d);
void metrics_free(struct metrics *m);

/* Hooks: an UPDATE arrived; the API replied with status. */
void metrics_update_in(struct api_host *d);
void metrics_api_reply(struct api_host *d, unsigned status);
/* An API request is over (libmicrohttpd's completion callback): count
 * the status it was answered with. */
struct api;
struct MHD_Connection;
void metrics_api_completed(struct api *api, struct MHD_Connection *con);


#endif
