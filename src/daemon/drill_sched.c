/*
 * drill_sched.c - drills on a schedule (see drill_sched.h).
 *
 * One ev_timer per configured drill. A schedule is kept by name, so a
 * reload that keeps a drill keeps its timer and history; its settings are
 * read from the configuration in force at each run. A run goes through
 * drill_start() like an API drill; drill_run.c calls
 * drill_sched_finished() when any drill ends, and the schedule that
 * started it records the run: in memory (the last HIST_KEEP entries), as
 * one JSON line appended to STATE_DIR/drills/NAME.jsonl, and as an event.
 */
#include "daemon/drill_sched.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon/daemon.h"
#include "daemon/drill.h"
#include "session/peer.h"

#define HIST_KEEP 200
#define RELOAD_SETTLE_S 30.0 /* a reload this recent is still in progress */
#define WINDOW_RETRY_S 60.0 /* a skipped run inside its window retries */

struct sched {
	struct drill_scheds *s;
	char name[128];
	ev_timer t;
	double next; /* wall time of the next run */
	double scheduled; /* wall time the running run was due */
	unsigned running; /* id of the drill this schedule started, 0: none */
	json_t *hist; /* runs and skips, oldest first */
	double last_run, last_score;
	bool last_passed, has_run;
	unsigned runs, passes, skips;
	bool seen;
};

struct drill_scheds {
	struct daemon *d;
	unsigned n;
	struct sched **v;
	char dir[4200]; /* STATE_DIR/drills, "" when it cannot be used */
	char state[4096];
};

static const struct conf_drill *conf_of(const struct daemon *d,
					const char *name)
{
	for (unsigned i = 0; i < d->conf->rs.n_drills; i++)
		if (d->conf->rs.drills[i].name &&
		    !strcmp(d->conf->rs.drills[i].name, name))
			return &d->conf->rs.drills[i];
	return NULL;
}

static char *iso(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100,
		 tm.tm_min % 100, tm.tm_sec % 100, (int)((t - floor(t)) * 1000) % 1000);
	return buf;
}

/* ------------------------------------------------------ state directory */

void drill_sched_state_dir(const struct daemon *d, char *buf, size_t len)
{
	const char *env = getenv("STATE_DIRECTORY");

	if (d->conf->rs.state_dir)
		snprintf(buf, len, "%s", d->conf->rs.state_dir);
	else if (env && *env) /* systemd's StateDirectory=; the first of several */
		snprintf(buf, len, "%.*s", (int)strcspn(env, ":"), env);
	else
		snprintf(buf, len, "/var/lib/pharos");
}

static void dir_init(struct drill_scheds *s)
{
	drill_sched_state_dir(s->d, s->state, sizeof(s->state));
	snprintf(s->dir, sizeof(s->dir), "%s/drills", s->state);
	if ((mkdir(s->state, 0750) < 0 && errno != EEXIST) ||
	    (mkdir(s->dir, 0750) < 0 && errno != EEXIST)) {
		log_err(&s->d->log, NULL, "drills: cannot use state directory "
			"%s: %s; the history is kept in memory only", s->dir,
			strerror(errno));
		s->dir[0] = 0;
	}
}

/* The history file of a schedule: its name with only safe characters. */
static void hist_path(const struct sched *sc, char *buf, size_t len)
{
	char safe[128];
	size_t i;

	for (i = 0; sc->name[i] && i + 1 < sizeof(safe); i++) {
		char c = sc->name[i];
		safe[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				  (c >= '0' && c <= '9') || c == '-' || c == '_'
			  ? c : '_';
	}
	safe[i] = 0;
	snprintf(buf, len, "%s/%s.jsonl", sc->s->dir, safe);
}

/* Take an entry into the schedule's counters. */
static void account(struct sched *sc, json_t *e)
{
	const char *res = json_string_value(json_object_get(e, "result"));

	if (!res)
		return;
	if (!strcmp(res, "skipped")) {
		sc->skips++;
		return;
	}
	sc->runs++;
	sc->has_run = true;
	sc->last_passed = !strcmp(res, "pass");
	sc->passes += sc->last_passed;
	sc->last_score = json_number_value(json_object_get(e, "score"));
	sc->last_run = json_number_value(json_object_get(e, "finished_unix"));
}

static void hist_push(struct sched *sc, json_t *e)
{
	account(sc, e);
	json_array_append_new(sc->hist, e);
	while (json_array_size(sc->hist) > HIST_KEEP)
		json_array_remove(sc->hist, 0);
}

static void hist_load(struct sched *sc)
{
	char path[4400], *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (!sc->s->dir[0])
		return;
	hist_path(sc, path, sizeof(path));
	if (!(f = fopen(path, "r")))
		return;
	while (getline(&line, &cap, f) > 0) {
		json_t *e = json_loads(line, 0, NULL);
		if (json_is_object(e))
			hist_push(sc, e);
		else
			json_decref(e);
	}
	free(line);
	fclose(f);
}

static void hist_add(struct sched *sc, json_t *e)
{
	char path[4400], *text;
	FILE *f;

	if (sc->s->dir[0] && (text = json_dumps(e, JSON_COMPACT))) {
		hist_path(sc, path, sizeof(path));
		f = fopen(path, "a");
		if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0)
			log_err(&sc->s->d->log, NULL, "drill %s: cannot write %s: %s",
				sc->name, path, strerror(errno));
		free(text);
	}
	hist_push(sc, e);
}

/* ------------------------------------------------------ skip reasons */

struct last_path {
	uint32_t peer;
	unsigned n;
	struct prefix first;
};

static int last_path_cb(const struct rentry *e, const struct rpath *p,
			void *arg)
{
	struct last_path *lp = arg;

	for (const struct rpath *o = e->paths; o; o = o->next)
		if (o->peer != lp->peer && !o->stale)
			return 0;
	if (!lp->n++)
		lp->first = e->prefix;
	return 0;
}

/* The target's group: the peers of its peer group (route_server.
 * peer_groups), or without one the peers of its kind. */
static bool same_group(const struct conf_peer *t, const struct conf_peer *o)
{
	if (t->group)
		return o->group && !strcmp(t->group, o->group);
	return o->kind == t->kind;
}

const char *drill_sched_skip_reason(struct daemon *d, const char *target,
				    char *buf, size_t len)
{
	struct peer *p = session_peer_by_name(&d->sess, target);
	double since = ev_now(d->loop) - d->last_reload;
	struct last_path lp = {0};
	unsigned run = drill_running(d);
	char pfx[PREFIX_STRLEN];

	if (run)
		snprintf(buf, len, "drill %u is running", run);
	else if (d->last_reload > 0 && since < RELOAD_SETTLE_S)
		snprintf(buf, len, "a reload %.0f s ago is still settling", since);
	else if (!p)
		snprintf(buf, len, "no such peer: %s", target);
	else if (!p->est)
		snprintf(buf, len, "peer %s is not established: a real failure "
			 "is in progress", target);
	else {
		for (unsigned i = 0; i < d->sess.n_peers; i++) {
			const struct peer *o = d->sess.peers[i];
			if (o == p || !same_group(p->cf, o->cf) || o->disabled ||
			    o->est)
				continue;
			snprintf(buf, len, "peer %s of the same group (%s) is down: "
				 "a real failure is in progress", o->cf->name,
				 p->cf->group ? p->cf->group
					      : peer_kind_name(o->cf->kind));
			return buf;
		}
		lp.peer = p->rib_id;
		rib_walk_peer(d->rib, p->rib_id, last_path_cb, &lp);
		if (!lp.n)
			return NULL;
		snprintf(buf, len, "it would remove the last path of %s%s",
			 prefix_fmt(&lp.first, pfx, sizeof(pfx)),
			 lp.n > 1 ? " and more" : "");
		if (lp.n > 1) {
			size_t o = strlen(buf);
			snprintf(buf + o, len - o, " (%u prefixes)", lp.n);
		}
	}
	return buf;
}

/* ------------------------------------------------------ runs */

static void arm(struct sched *sc, double at)
{
	struct daemon *d = sc->s->d;
	double delay = at - ev_time();

	sc->next = at;
	ev_timer_stop(d->loop, &sc->t);
	ev_timer_set(&sc->t, delay > 0.01 ? delay : 0.01, 0);
	ev_timer_start(d->loop, &sc->t);
}

/* Wall time of the next start of a daily window after now. */
static double window_next(const struct conf_drill *cf, double now)
{
	double day = floor(now / 86400.0) * 86400.0;
	double at = day + cf->win_start * 60.0;

	return at > now ? at : at + 86400.0;
}

static bool in_window(const struct conf_drill *cf, double now)
{
	unsigned m = (unsigned)(fmod(now, 86400.0) / 60.0);

	return cf->win_start < cf->win_end
		       ? m >= cf->win_start && m < cf->win_end
		       : m >= cf->win_start || m < cf->win_end;
}

/* Arm the next run: after a tick (ticked) the one after the run just
 * due, even when the timer fired a little before its time. */
static void plan(struct sched *sc, const struct conf_drill *cf, bool retry,
		 bool ticked)
{
	double now = ev_time();

	if (!cf->has_window) {
		double at = sc->next > 0 ? sc->next : now;
		if (ticked)
			at += cf->every_s;
		while (at <= now + 0.001)
			at += cf->every_s;
		arm(sc, at);
	} else if (retry && in_window(cf, now + WINDOW_RETRY_S))
		arm(sc, now + WINDOW_RETRY_S);
	else
		arm(sc, window_next(cf, (ticked && sc->next > now ? sc->next : now) + 1.0));
}

static void record_skip(struct sched *sc, const char *reason)
{
	struct daemon *d = sc->s->d;
	char at[64];

	log_info(&d->log, NULL, "drill %s skipped: %s", sc->name, reason);
	hist_add(sc, json_pack("{s:s, s:s, s:s, s:s}", "name", sc->name,
			       "result", "skipped", "scheduled",
			       iso(sc->next, at, sizeof(at)), "reason", reason));
	events_emit_json(d->events, "drill_skipped", NULL,
			 json_pack("{s:s, s:s}", "drill_name", sc->name,
				   "skip_reason", reason), reason);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sched *sc = w->data;
	struct daemon *d = sc->s->d;
	const struct conf_drill *cf = conf_of(d, sc->name);
	char why[300] = "", err[256] = "";
	const char *reason;
	int status = 0;
	json_t *req;

	if (!cf)
		return;
	reason = drill_sched_skip_reason(d, cf->target, why, sizeof(why));
	if (!reason) {
		req = json_pack("{s:s, s:s, s:i}", "type",
				cf->kind == DRILL_NVA_SILENT ? "nva-silent"
							     : "peer-down",
				"peer", cf->target, "restore_after",
				(int)cf->restore_after_s);
		if (cf->expect_text)
			json_object_set_new(req, "expect",
					    json_loads(cf->expect_text, 0, NULL));
		sc->scheduled = sc->next;
		sc->running = drill_start(d, req, &status, err, sizeof(err));
		json_decref(req);
		if (!sc->running)
			reason = err;
	}
	if (reason)
		record_skip(sc, reason);
	plan(sc, cf, reason != NULL, true);
}

void drill_sched_finished(struct daemon *d, const struct drill *dr)
{
	struct drill_scheds *s = d->dsched;
	const struct conf_drill *cf;
	struct sched *sc = NULL;
	double score = drill_score(dr), now = ev_time();
	char at[64], text[300];
	bool passed;
	json_t *e;

	for (unsigned i = 0; s && i < s->n && !sc; i++)
		if (s->v[i]->running == dr->id)
			sc = s->v[i];
	if (!sc)
		return;
	sc->running = 0;
	cf = conf_of(d, sc->name);
	passed = dr->state == DS_DONE && score + 1e-9 >= (cf ? cf->pass : 100);
	e = drill_json(dr);
	json_object_set_new(e, "name", json_string(sc->name));
	json_object_set_new(e, "scheduled", json_string(iso(sc->scheduled, at,
							    sizeof(at))));
	json_object_set_new(e, "pass", json_integer(cf ? cf->pass : 100));
	json_object_set_new(e, "result", json_string(passed ? "pass" : "fail"));
	json_object_set_new(e, "finished_unix", json_real(now));
	hist_add(sc, e);
	snprintf(text, sizeof(text), "scheduled drill %s (drill %u): %s, score "
		 "%.0f%% (pass %u%%)", sc->name, dr->id, passed ? "pass" : "fail",
		 score, cf ? cf->pass : 100);
	events_emit_json(d->events, "drill_run", dr->peer,
			 json_pack("{s:s, s:I, s:s, s:f, s:i}", "drill_name",
				   sc->name, "drill", (json_int_t)dr->id,
				   "result", passed ? "pass" : "fail", "score",
				   score, "pass", cf ? (int)cf->pass : 100),
			 text);
}

/* ------------------------------------------------------ setup */

static struct sched *sched_new(struct drill_scheds *s, const char *name)
{
	struct sched *sc = calloc(1, sizeof(*sc));
	struct sched **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));

	if (!sc || !nv) {
		free(sc);
		if (nv)
			s->v = nv;
		return NULL;
	}
	s->v = nv;
	sc->s = s;
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	sc->hist = json_array();
	ev_init(&sc->t, tick_cb);
	sc->t.data = sc;
	hist_load(sc);
	s->v[s->n++] = sc;
	return sc;
}

static void sched_free(struct drill_scheds *s, struct sched *sc)
{
	ev_timer_stop(s->d->loop, &sc->t);
	json_decref(sc->hist);
	free(sc);
}

int drill_sched_apply(struct daemon *d)
{
	struct drill_scheds *s = d->dsched;
	const struct conf_rs *rs = &d->conf->rs;
	unsigned k = 0;

	if (!s && !rs->n_drills)
		return 0;
	if (!s) {
		if (!(s = calloc(1, sizeof(*s))))
			return -1;
		s->d = d;
		d->dsched = s;
		dir_init(s);
	}
	for (unsigned i = 0; i < s->n; i++)
		s->v[i]->seen = false;
	for (unsigned i = 0; i < rs->n_drills; i++) {
		const struct conf_drill *cf = &rs->drills[i];
		struct sched *sc = NULL;

		for (unsigned j = 0; j < s->n && !sc; j++)
			if (!strcmp(s->v[j]->name, cf->name))
				sc = s->v[j];
		if (!sc && !(sc = sched_new(s, cf->name)))
			return -1;
		sc->seen = true;
		sc->next = 0;
		plan(sc, cf, false, false);
	}
	for (unsigned i = 0; i < s->n; i++) {
		if (s->v[i]->seen)
			s->v[k++] = s->v[i];
		else
			sched_free(s, s->v[i]);
	}
	s->n = k;
	return 0;
}

void drill_sched_free(struct daemon *d)
{
	struct drill_scheds *s = d->dsched;

	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		sched_free(s, s->v[i]);
	free(s->v);
	free(s);
	d->dsched = NULL;
}

/* ------------------------------------------------------ views */

static json_t *sched_json(const struct sched *sc, const struct conf_drill *cf)
{
	char at[64], sched[64], b[64];
	json_t *o;

	if (cf->has_window)
		snprintf(sched, sizeof(sched), "window %02u:%02u-%02u:%02u UTC",
			 cf->win_start / 60, cf->win_start % 60,
			 cf->win_end / 60, cf->win_end % 60);
	else
		snprintf(sched, sizeof(sched), "every %u s", cf->every_s);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i}",
		      "name", sc->name, "kind",
		      cf->kind == DRILL_NVA_SILENT ? "nva-silent" : "peer-down",
		      "target", cf->target, "schedule", sched, "next_run",
		      iso(sc->next, at, sizeof(at)), "pass", (int)cf->pass,
		      "runs", (int)sc->runs, "passes", (int)sc->passes,
		      "skips", (int)sc->skips, "running", (int)sc->running);
	json_object_set_new(o, "last_run", sc->has_run
		? json_string(iso(sc->last_run, b, sizeof(b))) : json_null());
	json_object_set_new(o, "last_score", sc->has_run
		? json_real(sc->last_score) : json_null());
	json_object_set_new(o, "last_result", sc->has_run
		? json_string(sc->last_passed ? "pass" : "fail") : json_null());
	return o;
}

json_t *drill_sched_json(struct daemon *d)
{
	struct drill_scheds *s = d->dsched;
	json_t *a = json_array();
	char dir[4096];

	if (s)
		snprintf(dir, sizeof(dir), "%s", s->state);
	else
		drill_sched_state_dir(d, dir, sizeof(dir));
	for (unsigned i = 0; s && i < s->n; i++) {
		const struct conf_drill *cf = conf_of(d, s->v[i]->name);
		if (cf)
			json_array_append_new(a, sched_json(s->v[i], cf));
	}
	return json_pack("{s:o, s:s}", "drills", a, "state_dir", dir);
}

json_t *drill_sched_history(struct daemon *d, const char *name)
{
	struct drill_scheds *s = d->dsched;

	for (unsigned i = 0; s && i < s->n; i++)
		if (!strcmp(s->v[i]->name, name))
			return json_pack("{s:s, s:O}", "name", name, "history",
					 s->v[i]->hist);
	return NULL;
}

static void put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

char *drill_sched_metrics(struct daemon *d)
{
	struct drill_scheds *s = d->dsched;
	static const char *const names[4][3] = {
		{"pharos_drill_score", "gauge", "score of the last run of a scheduled drill, percent"},
		{"pharos_drill_last_run", "gauge", "end of the last run of a scheduled drill, Unix seconds (0: never)"},
		{"pharos_drill_passed", "gauge", "1 when the last run of a scheduled drill met its pass threshold"},
		{"pharos_drill_skips_total", "counter", "runs of a scheduled drill skipped (another drill, a reload, a real failure, a last path)"},
	};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (int m = 0; m < 4 && s && s->n; m++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", names[m][0],
			names[m][2], names[m][0], names[m][1]);
		for (unsigned i = 0; i < s->n; i++) {
			const struct sched *sc = s->v[i];
			double v = m == 0 ? sc->last_score
				 : m == 1 ? sc->last_run
				 : m == 2 ? sc->last_passed : sc->skips;
			fprintf(f, "%s{drill=\"", names[m][0]);
			put_label(f, sc->name);
			fprintf(f, "\"} %.3f\n", v);
		}
	}
	fclose(f);
	return out;
}
