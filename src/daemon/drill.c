/*
 * drill.c - the pure part of failover drills (see drill.h): expected
 * route sets, the ordered timeline, checks and the score, and the drill
 * as JSON and as an SVG timeline chart. Nothing here touches the daemon,
 * so the scoring and ordering rules are unit-tested on their own.
 */
#include "daemon/drill.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const phase_names[DP_N] = {
	"session_down", "routes_withdrawn", "fabric_programmed",
	"peers_updated", "agents_acked", "restored", "session_up",
	"routes_back", "eor_received", "fabric_reprogrammed",
};
static const char *const phase_labels[DP_N] = {
	"session down", "routes withdrawn", "fabric programmed",
	"peers updated", "agents acknowledged", "peer re-enabled",
	"session up", "routes back", "End-of-RIB received",
	"fabric re-programmed",
};
static const char *const moment_names[DM_N] = {"before", "during", "after"};

const char *drill_phase_name(int ph)
{
	return ph >= 0 && ph < DP_N ? phase_names[ph] : "?";
}

const char *drill_phase_label(int ph)
{
	return ph >= 0 && ph < DP_N ? phase_labels[ph] : "?";
}

const char *drill_moment_name(int m)
{
	return m >= 0 && m < DM_N ? moment_names[m] : "?";
}

/* ------------------------------------------------------ expectations */

static int expect_one(struct drill_expect *x, int moment, json_t *o,
		      char *err, size_t len)
{
	const char *p = json_string_value(json_object_get(o, "prefix"));
	json_t *nhs = json_object_get(o, "next_hops"), *v;
	size_t i;

	memset(x, 0, sizeof(*x));
	x->moment = (uint8_t)moment;
	if (!p || prefix_parse(p, &x->prefix) < 0) {
		snprintf(err, len, "expect.%s: each entry needs a valid \"prefix\"",
			 moment_names[moment]);
		return -1;
	}
	if (nhs && !json_is_array(nhs)) {
		snprintf(err, len, "expect.%s %s: \"next_hops\" must be a list",
			 moment_names[moment], p);
		return -1;
	}
	json_array_foreach(nhs, i, v) {
		const char *a = json_string_value(v);
		if (x->n_nh == DRILL_MAX_NH || !a ||
		    addr_parse(a, &x->nh[x->n_nh]) < 0) {
			snprintf(err, len, "expect.%s %s: bad next hop (at most "
				 "%d addresses)", moment_names[moment], p,
				 DRILL_MAX_NH);
			return -1;
		}
		x->n_nh++;
	}
	return 0;
}

int drill_expect_parse(struct drill *dr, json_t *expect, char *err,
		       size_t len)
{
	size_t total = 0, i;
	json_t *e;

	if (!expect || json_is_null(expect))
		return 0;
	if (!json_is_object(expect)) {
		snprintf(err, len, "expect must be an object with before, "
			 "during and after lists");
		return -1;
	}
	for (int m = 0; m < DM_N; m++) {
		json_t *a = json_object_get(expect, moment_names[m]);
		if (a && !json_is_array(a)) {
			snprintf(err, len, "expect.%s must be a list", moment_names[m]);
			return -1;
		}
		total += json_array_size(a);
	}
	free(dr->expect);
	dr->expect = calloc(total ? total : 1, sizeof(*dr->expect));
	dr->n_expect = 0;
	if (!dr->expect) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	for (int m = 0; m < DM_N; m++) {
		json_array_foreach(json_object_get(expect, moment_names[m]), i, e) {
			if (expect_one(&dr->expect[dr->n_expect], m, e, err, len) < 0)
				return -1;
			dr->n_expect++;
		}
	}
	return 0;
}

/* ------------------------------------------------------ timeline */

int drill_next_phase(const struct drill *dr, int from)
{
	for (int ph = from < 0 ? 0 : from; ph < DP_N; ph++)
		if (dr->applies[ph] && dr->ms[ph] < 0)
			return ph;
	return DP_N;
}

bool drill_mark(struct drill *dr, int phase, int64_t ms)
{
	int64_t floor = 0;

	if (phase < 0 || phase >= DP_N || !dr->applies[phase] ||
	    dr->ms[phase] >= 0)
		return false;
	for (int ph = 0; ph < phase; ph++) {
		if (!dr->applies[ph])
			continue;
		if (dr->ms[ph] < 0)
			return false;
		if (dr->ms[ph] > floor)
			floor = dr->ms[ph];
	}
	dr->ms[phase] = ms < floor ? floor : ms;
	return true;
}

bool drill_timeline_ordered(const struct drill *dr)
{
	int64_t last = 0;
	bool gap = false;

	for (int ph = 0; ph < DP_N; ph++) {
		if (!dr->applies[ph])
			continue;
		if (dr->ms[ph] < 0) {
			gap = true;
			continue;
		}
		if (gap || dr->ms[ph] < last)
			return false;
		last = dr->ms[ph];
	}
	return true;
}

/* ------------------------------------------------------ checks */

static bool nh_set_eq(const struct addr *a, unsigned na, const struct addr *b,
		      unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++) {
		bool found = false;
		for (unsigned k = 0; k < nb && !found; k++)
			found = addr_eq(&a[i], &b[k]);
		if (!found)
			return false;
	}
	return true;
}

void drill_check_moment(struct drill *dr, int moment, drill_lookup_fn fn,
			void *arg)
{
	if (moment < 0 || moment >= DM_N || dr->checked[moment])
		return;
	dr->checked[moment] = true;
	for (unsigned i = 0; i < dr->n_expect; i++) {
		const struct drill_expect *x = &dr->expect[i];
		struct drill_check *c, *nc;

		if (x->moment != moment)
			continue;
		nc = realloc(dr->checks, (dr->n_checks + 1) * sizeof(*nc));
		if (!nc)
			return;
		dr->checks = nc;
		c = &dr->checks[dr->n_checks++];
		memset(c, 0, sizeof(*c));
		c->want = *x;
		c->n_got = fn(arg, &x->prefix, c->got, DRILL_MAX_NH);
		c->ok = nh_set_eq(x->nh, x->n_nh, c->got, c->n_got);
	}
}

double drill_score(const struct drill *dr)
{
	unsigned met = 0, total = dr->n_expect;

	/* The share of expectations met, failed drill or not: an expectation
	 * never checked (the drill stopped before its moment) is not met. */
	for (unsigned i = 0; i < dr->n_checks; i++)
		met += dr->checks[i].ok;
	return total ? 100.0 * met / total : 100.0;
}

void drill_clear(struct drill *dr)
{
	free(dr->expect);
	free(dr->checks);
	dr->expect = NULL;
	dr->checks = NULL;
	dr->n_expect = dr->n_checks = 0;
}

/* ------------------------------------------------------ JSON */

static json_t *addrs_json(const struct addr *a, unsigned n)
{
	json_t *arr = json_array();
	char buf[ADDR_STRLEN];

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(arr, json_string(addr_fmt(&a[i], buf,
								sizeof(buf))));
	return arr;
}

static void mismatch_text(const struct drill_check *c, char *buf, size_t len)
{
	char p[PREFIX_STRLEN], w[256] = "", g[256] = "";
	size_t off = 0;

	prefix_fmt(&c->want.prefix, p, sizeof(p));
	for (unsigned i = 0; i < c->want.n_nh && off < sizeof(w); i++) {
		char a[ADDR_STRLEN];
		off += (size_t)snprintf(w + off, sizeof(w) - off, "%s%s",
					i ? ", " : "",
					addr_fmt(&c->want.nh[i], a, sizeof(a)));
	}
	off = 0;
	for (unsigned i = 0; i < c->n_got && off < sizeof(g); i++) {
		char a[ADDR_STRLEN];
		off += (size_t)snprintf(g + off, sizeof(g) - off, "%s%s",
					i ? ", " : "",
					addr_fmt(&c->got[i], a, sizeof(a)));
	}
	snprintf(buf, len, "%s %s: expected next hops [%s], got [%s]",
		 moment_names[c->want.moment], p, w, g);
}

static json_t *timeline_json(const struct drill *dr)
{
	json_t *a = json_array();

	for (int ph = 0; ph < DP_N; ph++) {
		if (!dr->applies[ph])
			continue;
		json_array_append_new(a, json_pack(
			"{s:s, s:s, s:o, s:b}", "phase", phase_names[ph],
			"label", phase_labels[ph],
			"ms", dr->ms[ph] >= 0 ? json_integer(dr->ms[ph]) : json_null(),
			"reached", dr->ms[ph] >= 0));
	}
	return a;
}

json_t *drill_json(const struct drill *dr)
{
	static const char *const states[] = {"running", "done", "failed"};
	json_t *checks = json_array(), *mism = json_array();
	char p[PREFIX_STRLEN], text[600];

	for (unsigned i = 0; i < dr->n_checks; i++) {
		const struct drill_check *c = &dr->checks[i];
		json_array_append_new(checks, json_pack(
			"{s:s, s:s, s:o, s:o, s:b}", "moment",
			moment_names[c->want.moment], "prefix",
			prefix_fmt(&c->want.prefix, p, sizeof(p)), "expected",
			addrs_json(c->want.nh, c->want.n_nh), "got",
			addrs_json(c->got, c->n_got), "ok", c->ok));
		if (!c->ok) {
			mismatch_text(c, text, sizeof(text));
			json_array_append_new(mism, json_string(text));
		}
	}
	return json_pack("{s:I, s:s, s:s, s:s, s:f, s:s, s:s, s:o, s:o, s:o, "
			 "s:f, s:I, s:I, s:b}",
			 "id", (json_int_t)dr->id, "type",
			 dr->type[0] ? dr->type : "peer-down", "peer",
			 dr->peer, "started", dr->started, "restore_after",
			 dr->restore_after, "state", states[dr->state % 3],
			 "error", dr->error, "timeline", timeline_json(dr),
			 "checks", checks, "mismatches", mism, "score",
			 drill_score(dr), "expectations", (json_int_t)dr->n_expect,
			 "checked", (json_int_t)dr->n_checks, "ordered",
			 drill_timeline_ordered(dr));
}

/* ------------------------------------------------------ SVG */

/* The time axis is logarithmic (log10(1 + ms)), so that phases of a few
 * milliseconds stay visible beside a restore wait of seconds. */
static int svg_x(double ms, double max_ms, int x0, int w)
{
	return x0 + (int)(log10(1.0 + (ms > 0 ? ms : 0)) /
			  log10(1.0 + max_ms) * w);
}

static void svg_axis(FILE *f, double max_ms, int x0, int w, int y)
{
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"stroke=\"#333\"/>\n", x0, y, x0 + w, y);
	for (double t = 0; t <= max_ms + 1e-9; t = t ? t * 10 : 1) {
		int x = svg_x(t, max_ms, x0, w);
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#333\"/><text x=\"%d\" y=\"%d\" "
			"font-size=\"10\" text-anchor=\"middle\">%.0f</text>\n",
			x, y, x, y + 4, x, y + 16, t);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
		"text-anchor=\"end\">ms (logarithmic)</text>\n", x0 + w,
		y + 30);
}

/* s with &, <, >, " and ' as XML entities (caller frees); NULL without
 * memory. */
static char *xml_escape(const char *s)
{
	size_t n = 1;
	char *o, *q;

	for (const char *p = s; *p; p++)
		n += strchr("&<>\"'", *p) ? 6 : 1;
	o = q = malloc(n);
	if (!o)
		return NULL;
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&': q = stpcpy(q, "&amp;"); break;
		case '<': q = stpcpy(q, "&lt;"); break;
		case '>': q = stpcpy(q, "&gt;"); break;
		case '"': q = stpcpy(q, "&quot;"); break;
		case '\'': q = stpcpy(q, "&apos;"); break;
		default: *q++ = *p;
		}
	}
	*q = 0;
	return o;
}

char *drill_svg(const struct drill *dr)
{
	const int x0 = 170, w = 560, row = 24, top = 40;
	int n = 0, y;
	double max_ms = 1;
	int64_t prev = 0;
	char *out = NULL, *peer = xml_escape(dr->peer);
	size_t len = 0;
	FILE *f = peer ? open_memstream(&out, &len) : NULL;

	if (!f) {
		free(peer);
		return NULL;
	}
	for (int ph = 0; ph < DP_N; ph++) {
		n += dr->applies[ph];
		if (dr->applies[ph] && dr->ms[ph] > max_ms)
			max_ms = (double)dr->ms[ph];
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" font-family=\"sans-serif\">\n"
		"<title>pharos drill %u: %s %s</title>\n"
		"<text x=\"10\" y=\"20\" font-size=\"14\">drill %u: %s "
		"%s, score %.0f%%</text>\n",
		x0 + w + 90, top + n * row + 50, dr->id,
		dr->type[0] ? dr->type : "peer-down", peer, dr->id,
		dr->type[0] ? dr->type : "peer-down", peer, drill_score(dr));
	free(peer);
	y = top;
	for (int ph = 0; ph < DP_N; ph++) {
		int64_t t = dr->ms[ph];
		int bx, bw;

		if (!dr->applies[ph])
			continue;
		bx = svg_x((double)prev, max_ms, x0, w);
		bw = t >= 0 ? svg_x((double)t, max_ms, x0, w) - bx : 0;
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
			"text-anchor=\"end\">%s</text>\n", x0 - 8, y + 15,
			phase_labels[ph]);
		if (t >= 0) {
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"16\" fill=\"%s\"/><text x=\"%d\" "
				"y=\"%d\" font-size=\"11\">%lld ms</text>\n",
				bx, y + 3, bw < 2 ? 2 : bw,
				ph < DP_RESTORED ? "#c0392b" : "#27ae60",
				bx + (bw < 2 ? 2 : bw) + 4, y + 15, (long long)t);
			prev = t;
		} else {
			fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" "
				"fill=\"#888\">not reached</text>\n", bx + 4,
				y + 15);
		}
		y += row;
	}
	svg_axis(f, max_ms, x0, w, y + 4);
	fprintf(f, "</svg>\n");
	fclose(f);
	return out;
}
