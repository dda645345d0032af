/*
 * script.c - pharos-peer's script: parsing announce/withdraw arguments and
 * script files into steps, and running the steps once the session is
 * established (sleeping, waiting for prefixes, closing, and handing bulk
 * work to the route producers in bounded chunks so input keeps flowing).
 */
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bytes.h"
#include "peer.h"

#define PRODUCE_HIGH_WATER (2u << 20) /* bytes queued before we pause */

struct step *step_new(struct peer *p, enum step_kind k)
{
	if (p->n_steps == p->cap_steps) {
		size_t nc = p->cap_steps ? p->cap_steps * 2 : 16;
		struct step *ns = realloc(p->steps, nc * sizeof(*ns));

		if (!ns) {
			fprintf(stderr, "pharos-peer: out of memory\n");
			exit(1);
		}
		p->steps = ns;
		p->cap_steps = nc;
	}
	memset(&p->steps[p->n_steps], 0, sizeof(struct step));
	p->steps[p->n_steps].kind = k;
	p->steps[p->n_steps].mrt_peer = -1;
	if (k == ST_WITHDRAW_ALL)
		p->track_sent = true;
	return &p->steps[p->n_steps++];
}

void steps_free(struct peer *p)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		free(p->steps[i].raw);
		if (p->steps[i].ann)
			free(p->steps[i].ann->pfx);
		free(p->steps[i].ann);
		free(p->steps[i].pfx);
		free(p->steps[i].path);
	}
	free(p->steps);
	p->steps = NULL;
	p->n_steps = p->cap_steps = 0;
}

/* "PFX[,PFX...]" */
int parse_prefixes(const char *s, struct prefix **out, unsigned *n)
{
	char *copy = strdup(s), *save = NULL, *tok;
	struct prefix *v = calloc(strlen(s) / 2 + 2, sizeof(*v));
	unsigned k = 0;

	if (!copy || !v)
		goto fail;
	for (tok = strtok_r(copy, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (prefix_parse(tok, &v[k]) == -1)
			goto fail;
		k++;
	}
	if (!k)
		goto fail;
	free(copy);
	*out = v;
	*n = k;
	return 0;
fail:
	free(copy);
	free(v);
	return -1;
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)*s))
		return -1;
	x = strtoull(s, &end, 10);
	if (*end || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int parse_community(struct announce *a, const char *t)
{
	uint32_t x, y;
	char buf[32], *c;

	if (a->n_comm >= MAX_COMMS)
		return -1;
	if (!strcmp(t, "no-export") || !strcmp(t, "no-advertise")) {
		put32(a->comm + 4 * a->n_comm++, t[3] == 'e' ? COMMUNITY_NO_EXPORT
							     : COMMUNITY_NO_ADVERTISE);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", t);
	c = strchr(buf, ':');
	if (!c)
		return -1;
	*c = 0;
	if (parse_u32(buf, &x) < 0 || parse_u32(c + 1, &y) < 0 || x > 65535 ||
	    y > 65535)
		return -1;
	put32(a->comm + 4 * a->n_comm++, x << 16 | y);
	return 0;
}

static int parse_large(struct announce *a, const char *t)
{
	uint32_t v[3];
	char buf[48], *s = buf, *c;

	if (a->n_large >= MAX_COMMS)
		return -1;
	snprintf(buf, sizeof(buf), "%s", t);
	for (int i = 0; i < 3; i++) {
		c = strchr(s, ':');
		if ((i < 2) != (c != NULL))
			return -1;
		if (c)
			*c = 0;
		if (parse_u32(s, &v[i]) < 0)
			return -1;
		s = c ? c + 1 : s;
	}
	for (int i = 0; i < 3; i++)
		put32(a->large + 12 * a->n_large + 4 * i, v[i]);
	a->n_large++;
	return 0;
}

enum { K_NONE, K_PATH, K_COMM, K_LARGE };

/* One word of an announce after the prefix list; *mode is the list being
 * read (path, community, large). Returns 0 or -1. */
static int announce_word(struct announce *a, char **toks, size_t *i, int *mode)
{
	const char *t = toks[*i], *next = toks[*i + 1];

	if (!strcmp(t, "path") || !strcmp(t, "community") || !strcmp(t, "large")) {
		*mode = t[0] == 'p' ? K_PATH : t[0] == 'c' ? K_COMM : K_LARGE;
		return 0;
	}
	if (!strcmp(t, "nh") || !strcmp(t, "med") || !strcmp(t, "lp") ||
	    !strcmp(t, "origin")) {
		*mode = K_NONE;
		if (!next)
			return -1;
		(*i)++;
		if (t[0] == 'n') {
			a->has_nh = true;
			return addr_parse(next, &a->nh);
		}
		if (t[0] == 'm') {
			a->has_med = true;
			return parse_u32(next, &a->med);
		}
		if (t[0] == 'l') {
			a->has_lp = true;
			return parse_u32(next, &a->lp);
		}
		a->origin = !strcmp(next, "igp") ? ORIGIN_IGP
			    : !strcmp(next, "egp") ? ORIGIN_EGP
			    : !strcmp(next, "incomplete") ? ORIGIN_INCOMPLETE : 255;
		return a->origin == 255 ? -1 : 0;
	}
	if (*mode == K_PATH) {
		if (a->n_path >= MAX_PATH)
			return -1;
		return parse_u32(t, &a->path[a->n_path++]);
	}
	if (*mode == K_COMM)
		return parse_community(a, t);
	if (*mode == K_LARGE)
		return parse_large(a, t);
	return -1;
}

int parse_announce(const char *s, struct announce **out, char *err, size_t elen)
{
	struct announce *a = calloc(1, sizeof(*a));
	char *copy = strdup(s), *save = NULL, *toks[MAX_PATH + 64];
	size_t n = 0;
	int mode = K_NONE;

	if (!a || !copy)
		goto fail;
	for (char *t = strtok_r(copy, " \t", &save); t && n < MAX_PATH + 63;
	     t = strtok_r(NULL, " \t", &save))
		toks[n++] = t;
	toks[n] = NULL;
	if (!n || parse_prefixes(toks[0], &a->pfx, &a->n_pfx) < 0) {
		snprintf(err, elen, "bad prefix list in announce");
		goto fail;
	}
	for (size_t i = 1; i < n; i++) {
		if (announce_word(a, toks, &i, &mode) < 0) {
			snprintf(err, elen, "bad announce word '%s'", toks[i]);
			goto fail;
		}
	}
	free(copy);
	*out = a;
	return 0;
fail:
	if (a)
		free(a->pfx);
	free(a);
	free(copy);
	return -1;
}

enum { W_PER_UPDATE = 1, W_DISTINCT = 2, W_START = 4, W_PEER = 8 };

/* The words after a bulk command (generate, mrt, withdraw-all): the
 * ones allowed (W_* bits) set fields of st. Returns 0 or -1. */
static int bulk_words(struct step *st, char *rest, unsigned allowed)
{
	char *save = NULL, *t;
	uint32_t v;

	for (t = strtok_r(rest, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		char *arg;

		if ((allowed & W_DISTINCT) && !strcmp(t, "distinct-attrs")) {
			st->distinct = true;
			continue;
		}
		if ((allowed & W_START) && !strcmp(t, "v6")) {
			st->start.afi = AFI_IPV6; /* the default IPv6 start */
			continue;
		}
		arg = strtok_r(NULL, " \t", &save);
		if (!arg)
			return -1;
		if ((allowed & W_PER_UPDATE) && !strcmp(t, "per-update")) {
			if (parse_u32(arg, &v) < 0 || !v || v > 65535)
				return -1;
			st->per_update = v;
		} else if ((allowed & W_START) && !strcmp(t, "start")) {
			memset(&st->start, 0, sizeof(st->start));
			if (!strcmp(arg, "v6"))
				st->start.afi = AFI_IPV6;
			else if (addr_parse(arg, &st->start) < 0)
				return -1;
		} else if ((allowed & W_PEER) && !strcmp(t, "peer")) {
			if (parse_u32(arg, &v) < 0 || v > 65535)
				return -1;
			st->mrt_peer = v;
		} else {
			return -1;
		}
	}
	return 0;
}

/* generate, mrt, withdraw-all, wait-signal, wait-file: 1 when cmd is
 * one of them (*rc 0 parsed, -1 bad), 0 otherwise. */
static int bulk_line(struct peer *p, const char *cmd, const char *rest, int *rc)
{
	char all[4096], first[4096], *more;
	struct step *st;
	uint32_t n;
	size_t k;

	snprintf(all, sizeof(all), "%s", rest);
	snprintf(first, sizeof(first), "%s", rest);
	k = strcspn(first, " \t"); /* first = the first word, more = the rest */
	more = first + k + (first[k] ? 1 : 0);
	first[k] = 0;
	*rc = -1;
	if (!strcmp(cmd, "wait-signal")) {
		if (!*first)
			*rc = (step_new(p, ST_WAIT_SIGNAL), 0);
	} else if (!strcmp(cmd, "wait-file")) {
		if (*first && !more[strspn(more, " \t")]) {
			st = step_new(p, ST_WAIT_FILE);
			st->path = strdup(first);
			*rc = st->path ? 0 : -1;
		}
	} else if (!strcmp(cmd, "withdraw-all")) {
		*rc = bulk_words(step_new(p, ST_WITHDRAW_ALL), all, W_PER_UPDATE);
	} else if (!strcmp(cmd, "generate")) {
		if (parse_u32(first, &n) == 0 && n) {
			st = step_new(p, ST_GENERATE);
			st->n = n;
			*rc = bulk_words(st, more, W_PER_UPDATE | W_DISTINCT | W_START);
		}
	} else if (!strcmp(cmd, "mrt")) {
		if (*first) {
			st = step_new(p, ST_MRT);
			st->path = strdup(first);
			*rc = st->path ? bulk_words(st, more, W_PER_UPDATE | W_PEER) : -1;
		}
	} else {
		return 0;
	}
	return 1;
}

/* One script line. Returns 0, or -1 with err set. */
int script_add_line(struct peer *p, const char *line, char *err, size_t elen)
{
	char cmd[32] = "";
	const char *rest;
	struct step *st;
	uint32_t v;
	int rc;

	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == '#')
		return 0;
	rest = line + strcspn(line, " \t");
	snprintf(cmd, sizeof(cmd), "%.*s", (int)(rest - line), line);
	while (isspace((unsigned char)*rest))
		rest++;
	if (!strcmp(cmd, "announce")) {
		st = step_new(p, ST_ANNOUNCE);
		return parse_announce(rest, &st->ann, err, elen);
	}
	if (!strcmp(cmd, "withdraw")) {
		st = step_new(p, ST_WITHDRAW);
		if (parse_prefixes(rest, &st->pfx, &st->n_pfx) == 0)
			return 0;
	} else if (!strcmp(cmd, "sleep") || !strcmp(cmd, "wait-prefixes")) {
		if (parse_u32(rest, &v) == 0) {
			step_new(p, cmd[0] == 's' ? ST_SLEEP : ST_WAIT)->n = v;
			return 0;
		}
	} else if (!strcmp(cmd, "raw")) {
		st = step_new(p, ST_RAW);
		if (parse_hex(rest, &st->raw, &st->raw_len) == 0)
			return 0;
	} else if (!strcmp(cmd, "eor")) {
		if (!*rest || !strcmp(rest, "ipv4") || !strcmp(rest, "ipv6")) {
			step_new(p, ST_EOR)->n = *rest && rest[3] == '6' ? AFI_IPV6
									: AFI_IPV4;
			return 0;
		}
	} else if (!strcmp(cmd, "close") && !*rest) {
		step_new(p, ST_CLOSE);
		return 0;
	} else if (bulk_line(p, cmd, rest, &rc)) {
		if (rc == 0)
			return 0;
	}
	snprintf(err, elen, "bad command '%s'", line);
	return -1;
}

int script_load_file(struct peer *p, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[65536], err[256];
	unsigned no = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		no++;
		line[strcspn(line, "\r\n")] = 0;
		if (script_add_line(p, line, err, sizeof(err)) < 0) {
			fprintf(stderr, "pharos-peer: %s:%u: %s\n", path, no, err);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* Encode an announce command into UPDATEs, one family at a time. */
static void queue_announce(struct peer *p, const struct announce *an)
{
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		struct bgp_attrs *a = &p->tmp_attrs;
		struct prefix *list = malloc(an->n_pfx * sizeof(*list));
		unsigned k = 0;
		uint32_t path[MAX_PATH + 1];

		if (!list)
			return;
		for (unsigned i = 0; i < an->n_pfx; i++)
			if (an->pfx[i].afi == afi)
				list[k++] = an->pfx[i];
		if (k) {
			fill_base_attrs(p, a, afi, an->has_nh ? &an->nh : NULL);
			path[0] = p->asn;
			memcpy(path + 1, an->path, an->n_path * sizeof(uint32_t));
			aspath_set_sequence(a, path, an->n_path + 1);
			a->origin = an->origin;
			if (an->has_med)
				a->present |= ATTR_BIT(ATTR_MED), a->med = an->med;
			if (an->has_lp)
				a->present |= ATTR_BIT(ATTR_LOCAL_PREF),
					a->local_pref = an->lp;
			if (an->n_comm)
				a->present |= ATTR_BIT(ATTR_COMMUNITIES);
			a->n_communities = (uint16_t)an->n_comm;
			a->communities = an->comm;
			if (an->n_large)
				a->present |= ATTR_BIT(ATTR_LARGE_COMMUNITIES);
			a->n_large_communities = (uint16_t)an->n_large;
			a->large_communities = an->large;
			queue_prefixes(p, afi, a, list, k);
		}
		free(list);
	}
}

static void queue_withdraw(struct peer *p, const struct prefix *pfx, unsigned n)
{
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		struct prefix *list = malloc(n * sizeof(*list));
		unsigned k = 0;

		if (!list)
			return;
		for (unsigned i = 0; i < n; i++)
			if (pfx[i].afi == afi)
				list[k++] = pfx[i];
		if (k)
			queue_prefixes(p, afi, NULL, list, k);
		free(list);
	}
}

/* Run one step; returns 1 when it is finished, 0 when it must wait (with
 * *timeout set). */
static int run_step(struct peer *p, struct step *st, int *timeout)
{
	double now;

	switch (st->kind) {
	case ST_RAW:
		memcpy(out_reserve(p, st->raw_len), st->raw, st->raw_len);
		out_queued(p, st->raw_len, st->raw_len > 18 && st->raw[18] == 2);
		return 1;
	case ST_ANNOUNCE:
		queue_announce(p, st->ann);
		return 1;
	case ST_WITHDRAW:
		queue_withdraw(p, st->pfx, st->n_pfx);
		return 1;
	case ST_EOR:
		queue_eor(p, (uint16_t)st->n);
		return 1;
	case ST_SLEEP:
		now = now_s();
		if (!p->sleep_until)
			p->sleep_until = now + st->n / 1000.0;
		if (now < p->sleep_until) {
			*timeout = (int)((p->sleep_until - now) * 1000) + 1;
			return 0;
		}
		p->sleep_until = 0;
		return 1;
	case ST_WAIT:
		return p->held.held >= st->n;
	case ST_CLOSE:
		peer_leave(p, BGP_ERR_CEASE, BGP_CEASE_ADMIN_SHUTDOWN,
			   "pharos-peer script closed the session");
		return 0;
	case ST_MRT:
	case ST_GENERATE:
	case ST_WITHDRAW_ALL:
		if (out_pending(p) > PRODUCE_HIGH_WATER)
			return 0; /* POLLOUT wakes us */
		if (st->kind == ST_MRT ? mrt_produce(p, st)
		    : st->kind == ST_GENERATE ? gen_produce(p, st)
					      : withdraw_all_produce(p, st))
			return 1;
		*timeout = 0; /* more to do: poll without waiting */
		return 0;
	case ST_WAIT_SIGNAL: /* one SIGUSR1 each; keepalives go on */
		if (p->signals_used < p->signals) {
			p->signals_used++;
			return 1;
		}
		return 0;
	case ST_WAIT_FILE:
		if (access(st->path, F_OK) == 0)
			return 1;
		*timeout = 50;
		return 0;
	}
	return 1;
}

int script_run(struct peer *p)
{
	int timeout = -1;

	if (p->state != S_ESTABLISHED)
		return -1;
	while (p->step_i < p->n_steps && !p->done) {
		if (!run_step(p, &p->steps[p->step_i], &timeout))
			return timeout;
		p->step_i++;
	}
	if (!p->script_done_at && !p->done)
		p->script_done_at = now_s();
	return -1;
}
