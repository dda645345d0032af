/*
 * drill_sched.h - drills on a schedule (route_server.drills, DESIGN 4.1):
 * each configured drill runs every every_s seconds or once a day in its
 * window, through the same drill_start() as an API drill, unless another
 * drill, a reload or a real failure of the target's peer group is in
 * progress, or the drill would take the last path of a prefix away: then
 * it is skipped with the reason. Every run and skip is kept in the state
 * directory (one JSON line per event in drills/NAME.jsonl), so the
 * history survives restarts; the last score and run time feed /metrics.
 */
#ifndef PHAROS_DAEMON_DRILL_SCHED_H
#define PHAROS_DAEMON_DRILL_SCHED_H

#include <jansson.h>
#include <stddef.h>

struct daemon;
struct drill;

/* Start (or, after a reload, reconcile) the schedules of d->conf. */
int drill_sched_apply(struct daemon *d);
void drill_sched_free(struct daemon *d);
/* A drill finished (called by drill_run.c for every drill). */
void drill_sched_finished(struct daemon *d, const struct drill *dr);
/* Why a drill of target would be skipped now, or NULL: another drill, a
 * recent reload, a real failure in the target's peer group, or the last
 * path of a prefix. buf receives the text. */
const char *drill_sched_skip_reason(struct daemon *d, const char *target,
				    char *buf, size_t len);
/* {"drills":[{name, kind, target, schedule, next_run, last_run, last_score,
 * last_result, runs, skips}]} */
json_t *drill_sched_json(struct daemon *d);
/* {"name", "history":[run or skip, oldest first]}; NULL: no such drill. */
json_t *drill_sched_history(struct daemon *d, const char *name);
/* Prometheus lines: pharos_drill_score, pharos_drill_last_run, ... */
char *drill_sched_metrics(struct daemon *d);
/* The state directory to use, into buf: route_server.state_dir,
 * $STATE_DIRECTORY (systemd's StateDirectory=), or /var/lib/pharos. */
void drill_sched_state_dir(const struct daemon *d, char *buf, size_t len);

#endif
