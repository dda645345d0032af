/*
 * conf_load.c - from the YAML tree to struct conf, key by key.
 *
 * Each mapping of the file is described by a table of fields (key, type,
 * where it goes, range); one generic walker applies a table, so unknown
 * keys, wrong types, bad addresses and out-of-range numbers are reported
 * the same way everywhere. Lists of peers, rules, VNets... are filled one
 * element per YAML item, in order, so conf_check.c can find the tree node
 * of any element by its index. Defaults are set before the walk.
 */
#include "conf/conf_priv.h"

#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


struct loader {
	struct conf_diag *d;
	const struct ynode *groups; /* route_server.peer_groups, or NULL */
};

enum ftype { F_U16, F_U32, F_UINT, F_BOOL, F_STR, F_ADDR, F_ENUM, F_FUNC };

typedef void (*field_fn)(struct loader *L, const struct ynode *v, void *base);

struct field {
	const char *key;
	enum ftype type;
	size_t off;
	uint32_t min, max;
	const char *const *names; /* F_ENUM: NULL terminated */
	field_fn fn; /* F_FUNC */
	bool required;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static const char *type_name(enum ynode_type t)
{
	return t == Y_MAP ? "a mapping" : t == Y_SEQ ? "a list" : "a scalar";
}

/* Check v's type; reports "'key' must be ..." on a mismatch. */
static bool want(struct loader *L, const struct ynode *v, const char *key,
		 enum ynode_type t)
{
	if (v->type == t)
		return true;
	diag_err(L->d, v, "'%s' must be %s, not %s", key, type_name(t),
		 type_name(v->type));
	return false;
}

/* Unsigned decimal scalar. 0 ok, -1 not a number, -2 too big. */
static int parse_uint(const struct ynode *v, uint64_t *out)
{
	const char *s = v->str;
	uint64_t x = 0;

	if (v->type != Y_SCALAR || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > 0xffffffffull)
			return -2;
	}
	*out = x;
	return 0;
}

static bool load_number(struct loader *L, const struct field *f,
			const struct ynode *v, uint32_t *out)
{
	uint64_t x = 0;
	int rc = parse_uint(v, &x);
	uint32_t max = f->max ? f->max : 0xffffffffu;

	if (rc == -1) {
		diag_err(L->d, v, "'%s' must be a number", f->key);
		return false;
	}
	if (rc == -2 || x < f->min || x > max) {
		diag_err(L->d, v, "%s %s is out of range (%u..%u)", f->key,
			 v->str, f->min, max);
		return false;
	}
	*out = (uint32_t)x;
	return true;
}

static void load_enum(struct loader *L, const struct field *f,
		      const struct ynode *v, uint8_t *out)
{
	char list[256] = "";
	size_t used = 0;

	if (!want(L, v, f->key, Y_SCALAR))
		return;
	for (unsigned i = 0; f->names[i]; i++) {
		if (!strcasecmp(v->str, f->names[i])) {
			*out = (uint8_t)i;
			return;
		}
		used += (size_t)snprintf(list + used, sizeof(list) - used,
					 "%s%s", i ? ", " : "", f->names[i]);
		if (used >= sizeof(list))
			used = sizeof(list) - 1;
	}
	diag_err(L->d, v, "unknown %s '%s' (expected %s)", f->key, v->str, list);
}

static void load_field(struct loader *L, const struct field *f,
		       const struct ynode *v, void *base)
{
	char *p = (char *)base + f->off;
	uint32_t x;

	switch (f->type) {
	case F_U16:
	case F_U32:
	case F_UINT:
		if (!load_number(L, f, v, &x))
			return;
		if (f->type == F_U16)
			*(uint16_t *)p = (uint16_t)x;
		else if (f->type == F_U32)
			*(uint32_t *)p = x;
		else
			*(unsigned *)p = x;
		return;
	case F_BOOL:
		if (v->type == Y_SCALAR && !strcmp(v->str, "true"))
			*(bool *)p = true;
		else if (v->type == Y_SCALAR && !strcmp(v->str, "false"))
			*(bool *)p = false;
		else
			diag_err(L->d, v, "'%s' must be true or false", f->key);
		return;
	case F_STR:
		if (!want(L, v, f->key, Y_SCALAR))
			return;
		free(*(char **)p);
		*(char **)p = ynode_is_null(v) ? NULL : conf_strdup(v->str);
		return;
	case F_ADDR:
		if (want(L, v, f->key, Y_SCALAR) &&
		    addr_parse(v->str, (struct addr *)p) < 0)
			diag_err(L->d, v, "bad address '%s' for '%s'", v->str,
				 f->key);
		return;
	case F_ENUM:
		load_enum(L, f, v, (uint8_t *)p);
		return;
	case F_FUNC:
		f->fn(L, v, base);
		return;
	}
}

/* Edit distance (insert, delete, substitute, swap of neighbours) of two
 * short keys, capped at 9. */
static unsigned key_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[33][33];

	if (la > 32 || lb > 32)
		return 9;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	}
	return d[la][lb] > 9 ? 9 : d[la][lb];
}

/* The known key closest to an unknown one, if close enough to be a typo
 * (at most a third of its length, at least one edit). */
static const char *did_you_mean(const struct field *fields, const char *key)
{
	const char *best = NULL;
	unsigned bd = 9, limit = (unsigned)(strlen(key) / 3);

	if (limit < 1)
		limit = 1;
	for (const struct field *f = fields; f->key; f++) {
		unsigned dist = key_distance(key, f->key);

		if (dist < bd) {
			bd = dist;
			best = f->key;
		}
	}
	return bd <= limit ? best : NULL;
}

/* Apply a field table to mapping m; what names m in messages. */
static void load_map(struct loader *L, const struct ynode *m,
		     const struct field *fields, void *base, const char *what)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
		const struct field *f;
		if (k->type != Y_SCALAR) {
			diag_err(L->d, k, "keys must be plain strings");
			continue;
		}
		for (f = fields; f->key && strcmp(f->key, k->str); f++)
			;
		if (!f->key) {
			const char *near = did_you_mean(fields, k->str);

			if (near)
				diag_err(L->d, k, "unknown key '%s' in %s (did you "
					 "mean '%s'?)", k->str, what, near);
			else
				diag_err(L->d, k, "unknown key '%s' in %s", k->str,
					 what);
			continue;
		}
		/* A duplicate key was reported by the tree; use the first. */
		if (ymap_get(m, k->str) != v)
			continue;
		load_field(L, f, v, base);
	}
	for (const struct field *f = fields; f->key; f++)
		if (f->required && !ymap_get(m, f->key))
			diag_err(L->d, m, "%s is missing required key '%s'",
				 what, f->key);
}

/* ------------------------------------------------------ list helpers */

/* A list node (a single scalar counts as a list of one). Returns the
 * number of items (0 after a type error); list_at() gives item i. */
static unsigned list_of(struct loader *L, const struct ynode *v,
			const char *key)
{
	if (ynode_is_null(v))
		return 0;
	if (v->type == Y_SCALAR)
		return 1;
	if (!want(L, v, key, Y_SEQ))
		return 0;
	return v->n;
}

static const struct ynode *list_at(const struct ynode *v, unsigned i)
{
	return v->type == Y_SEQ ? v->items[i] : v;
}

static void load_prefix_node(struct loader *L, const struct ynode *v,
			     const char *key, struct prefix *p)
{
	int rc;
	if (!want(L, v, key, Y_SCALAR))
		return;
	rc = prefix_parse(v->str, p);
	if (rc == -2)
		diag_err(L->d, v, "bad prefix '%s': host bits are set", v->str);
	else if (rc < 0 || !strchr(v->str, '/'))
		diag_err(L->d, v, "bad prefix '%s'", v->str);
}

static unsigned load_prefixes(struct loader *L, const struct ynode *v,
			      const char *key, struct prefix **out)
{
	unsigned n = list_of(L, v, key);

	*out = xcalloc(n, sizeof(**out));
	for (unsigned i = 0; i < n; i++)
		load_prefix_node(L, list_at(v, i), key, &(*out)[i]);
	return n;
}

static unsigned load_communities(struct loader *L, const struct ynode *v,
				 const char *key, uint32_t **out)
{
	unsigned n = list_of(L, v, key);

	*out = n ? xcalloc(n, sizeof(**out)) : NULL;
	for (unsigned i = 0; i < n; i++) {
		if (want(L, list_at(v, i), key, Y_SCALAR) &&
		    community_parse(list_at(v, i)->str, &(*out)[i]) < 0)
			diag_err(L->d, list_at(v, i),
				 "bad community '%s' (expected A:B with A and B in 0..65535, no-export, no-advertise or no-export-subconfed)",
				 list_at(v, i)->str);
	}
	return n;
}

/* Allocate one element per item of sequence v and load each mapping. */
static void *load_seq(struct loader *L, const struct ynode *v,
		      const char *key, size_t size, unsigned *n,
		      void (*one)(struct loader *, const struct ynode *, void *))
{
	char *arr;
	*n = 0;
	if (ynode_is_null(v) || !want(L, v, key, Y_SEQ))
		return NULL;
	*n = v->n;
	arr = xcalloc(v->n, size);
	for (unsigned i = 0; i < v->n; i++)
		one(L, v->items[i], arr + i * size);
	return arr;
}

/* Set line/col of an element from its node. */
#define AT(obj, node) ((obj)->line = (node)->line, (obj)->col = (node)->col)

/* ------------------------------------------------------------ rules */

static void f_match_prefix(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;
	unsigned n = list_of(L, v, "prefix");
	char err[160];

	r->prefixes = n ? xcalloc(n, sizeof(*r->prefixes)) : NULL;
	r->n_prefixes = n;
	for (unsigned i = 0; i < n; i++)
		if (want(L, list_at(v, i), "prefix", Y_SCALAR) &&
		    pol_prefix_parse(list_at(v, i)->str, &r->prefixes[i], err,
				     sizeof(err)) < 0)
			diag_err(L->d, list_at(v, i), "%s", err);
}

static void f_match_comm(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;
	r->n_communities = load_communities(L, v, "community", &r->communities);
}

/* A list of large communities "A:B:C" (RFC 8092). */
static unsigned load_lcomms(struct loader *L, const struct ynode *v,
			    const char *key, struct lcomm **out)
{
	unsigned n = list_of(L, v, key);

	*out = n ? xcalloc(n, sizeof(**out)) : NULL;
	for (unsigned i = 0; i < n; i++)
		if (want(L, list_at(v, i), key, Y_SCALAR) &&
		    lcomm_parse(list_at(v, i)->str, &(*out)[i]) < 0)
			diag_err(L->d, list_at(v, i),
				 "bad large community '%s' (expected A:B:C with each part in 0..4294967295)",
				 list_at(v, i)->str);
	return n;
}

static void f_match_large(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;
	r->n_large = load_lcomms(L, v, "large_community", &r->large);
}

static void f_match_rpki(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;

	if (!want(L, v, "rpki", Y_SCALAR))
		return;
	r->match_rpki = rpki_state_parse(v->str);
	if (!r->match_rpki)
		diag_err(L->d, v, "unknown rpki '%s' (expected valid, invalid, not_found)",
			 v->str);
}

static const struct field match_fields[] = {
	{"prefix", F_FUNC, 0, 0, 0, NULL, f_match_prefix, false},
	{"as_path_contains", F_U32, offsetof(struct pol_rule, as_path_contains), 1, 0, NULL, NULL, false},
	{"origin_as", F_U32, offsetof(struct pol_rule, origin_as), 1, 0, NULL, NULL, false},
	{"community", F_FUNC, 0, 0, 0, NULL, f_match_comm, false},
	{"large_community", F_FUNC, 0, 0, 0, NULL, f_match_large, false},
	{"rpki", F_FUNC, 0, 0, 0, NULL, f_match_rpki, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void f_set_lp(struct loader *L, const struct ynode *v, void *b)
{
	static const struct field f = {"local_pref", F_U32, 0, 0, 0, NULL, NULL, false};
	struct pol_rule *r = b;
	r->set_local_pref = load_number(L, &f, v, &r->local_pref);
}

static void f_set_med(struct loader *L, const struct ynode *v, void *b)
{
	static const struct field f = {"med", F_U32, 0, 0, 0, NULL, NULL, false};
	struct pol_rule *r = b;
	r->set_med = load_number(L, &f, v, &r->med);
}

static void f_set_add(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;
	r->n_add_communities =
		load_communities(L, v, "add_communities", &r->add_communities);
}

static void f_set_remove(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;
	r->n_remove_communities = load_communities(L, v, "remove_communities",
						   &r->remove_communities);
}

static void f_set_add_large(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;
	r->n_add_large = load_lcomms(L, v, "add_large_communities", &r->add_large);
}

static void f_set_remove_large(struct loader *L, const struct ynode *v,
			       void *b)
{
	struct pol_rule *r = b;
	r->n_remove_large = load_lcomms(L, v, "remove_large_communities",
					&r->remove_large);
}

static void f_set_large(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;
	r->n_set_large = load_lcomms(L, v, "large_communities", &r->set_large);
	r->replace_large = true;
}

/* as_path_prepend: N (the route server's ASN) or {asn: X, count: N}. */
static void f_set_prepend(struct loader *L, const struct ynode *v, void *b)
{
	static const struct field fc = {"as_path_prepend", F_U32, 0, 1, 16, NULL, NULL, false};
	static const struct field pf[] = {
		{"asn", F_U32, offsetof(struct pol_rule, prepend_asn), 1, 0, NULL, NULL, false},
		{"count", F_U32, offsetof(struct pol_rule, prepend_count), 1, 16, NULL, NULL, true},
		{NULL, 0, 0, 0, 0, NULL, NULL, false},
	};
	struct pol_rule *r = b;

	if (v->type == Y_MAP)
		load_map(L, v, pf, r, "as_path_prepend");
	else
		load_number(L, &fc, v, &r->prepend_count);
}

static const struct field set_fields[] = {
	{"local_pref", F_FUNC, 0, 0, 0, NULL, f_set_lp, false},
	{"med", F_FUNC, 0, 0, 0, NULL, f_set_med, false},
	{"add_communities", F_FUNC, 0, 0, 0, NULL, f_set_add, false},
	{"remove_communities", F_FUNC, 0, 0, 0, NULL, f_set_remove, false},
	{"add_large_communities", F_FUNC, 0, 0, 0, NULL, f_set_add_large, false},
	{"remove_large_communities", F_FUNC, 0, 0, 0, NULL, f_set_remove_large, false},
	{"large_communities", F_FUNC, 0, 0, 0, NULL, f_set_large, false},
	{"as_path_prepend", F_FUNC, 0, 0, 0, NULL, f_set_prepend, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void f_match(struct loader *L, const struct ynode *v, void *b)
{
	if (!ynode_is_null(v) && want(L, v, "match", Y_MAP))
		load_map(L, v, match_fields, b, "match");
}

static void f_set(struct loader *L, const struct ynode *v, void *b)
{
	if (!ynode_is_null(v) && want(L, v, "set", Y_MAP))
		load_map(L, v, set_fields, b, "set");
}

static const char *const action_names[] = {"allow", "deny", NULL};

static const struct field rule_fields[] = {
	{"match", F_FUNC, 0, 0, 0, NULL, f_match, false},
	{"action", F_ENUM, offsetof(struct pol_rule, action), 0, 0, action_names, NULL, false},
	{"set", F_FUNC, 0, 0, 0, NULL, f_set, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_rule(struct loader *L, const struct ynode *v, void *b)
{
	struct pol_rule *r = b;
	AT(r, v);
	r->action = POL_ALLOW;
	if (want(L, v, "rule", Y_MAP))
		load_map(L, v, rule_fields, r, "policy rule");
}

static void f_import(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_peer *p = b;

	pol_rules_free(p->import, p->n_import); /* a group's, replaced */
	p->import = load_seq(L, v, "import", sizeof(struct pol_rule),
			     &p->n_import, load_rule);
}

static void f_export(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_peer *p = b;

	pol_rules_free(p->export, p->n_export); /* a group's, replaced */
	p->export = load_seq(L, v, "export", sizeof(struct pol_rule),
			     &p->n_export, load_rule);
}

/* ------------------------------------------------------------ peers */

static const char *const kind_names[] = {"nva", "vpn_gateway",
					 "expressroute_gateway", NULL};
static const char *const pref_names[] = {"expressroute", "vpn", "aspath",
					 NULL};

#define BF(k, t, m, lo, hi) {k, t, offsetof(struct conf_bfd, m), lo, hi, NULL, NULL, false}
static const char *const bfd_hop_names[] = {"false", "true", "auto", NULL};
static const char *const bfd_auth_names[] = {"none", "keyed-sha1",
					     "meticulous-keyed-sha1", NULL};
static const struct field bfd_fields[] = {
	BF("min_rx_ms", F_U32, min_rx_ms, 10, 60000),
	BF("min_tx_ms", F_U32, min_tx_ms, 10, 60000),
	BF("multiplier", F_U32, multiplier, 1, 255),
	{"multihop", F_ENUM, offsetof(struct conf_bfd, multihop), 0, 0, bfd_hop_names, NULL, false},
	{"auth", F_ENUM, offsetof(struct conf_bfd, auth), 0, 0, bfd_auth_names, NULL, false},
	BF("key_id", F_U32, key_id, 0, 255),
	BF("password_file", F_STR, password_file, 0, 0),
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

/* bfd: true | false | {min_rx_ms, min_tx_ms, multiplier, multihop} */
static void f_bfd(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_bfd *c = &((struct conf_peer *)b)->bfd;

	if (v->type == Y_SCALAR) {
		static const struct field fb = {"bfd", F_BOOL, 0, 0, 0, NULL, NULL, false};
		load_field(L, &fb, v, &c->enabled);
		return;
	}
	if (!want(L, v, "bfd", Y_MAP))
		return;
	c->enabled = true;
	load_map(L, v, bfd_fields, c, "bfd");
}

/* ADD-PATH modes, indexed by the capability's send/receive value. */
static const char *const add_path_names[] = {"none", "receive", "send",
					     "both", NULL};

#define PF(k, t, m, lo, hi) {k, t, offsetof(struct conf_peer, m), lo, hi, NULL, NULL, false}

/* The settings a peer and a peer group share (everything but a peer's
 * name, address, asn and group). */
#define PEER_SETTINGS \
	{"kind", F_ENUM, offsetof(struct conf_peer, kind), 0, 0, kind_names, NULL, false}, \
	PF("password_file", F_STR, password_file, 0, 0), \
	PF("max_prefixes", F_U32, max_prefixes, 1, 0), \
	PF("accept_default", F_BOOL, accept_default, 0, 0), \
	PF("passive", F_BOOL, passive, 0, 0), \
	PF("disabled", F_BOOL, disabled, 0, 0), \
	PF("description", F_STR, description, 0, 0), \
	PF("keep_refused", F_BOOL, keep_refused, 0, 0), \
	PF("stateful", F_BOOL, stateful, 0, 0), \
	PF("sticky", F_BOOL, sticky, 0, 0), \
	PF("port", F_U16, port, 1, 65535), \
	PF("multihop", F_UINT, multihop, 1, 255), \
	PF("hold_time", F_U16, hold_time, 0, 65535), \
	PF("keepalive", F_U16, keepalive, 0, 65535), \
	{"bfd", F_FUNC, 0, 0, 0, NULL, f_bfd, false}, \
	{"add_path", F_ENUM, offsetof(struct conf_peer, add_path), 0, 0, add_path_names, NULL, false}, \
	PF("add_path_max", F_U16, add_path_max, 1, 64), \
	{"import", F_FUNC, 0, 0, 0, NULL, f_import, false}, \
	{"export", F_FUNC, 0, 0, 0, NULL, f_export, false}

/* A peer group (route_server.peer_groups): the settings its peers share.
 * The first entry, the group's name, is not applied to a peer. */
static const struct field group_fields[] = {
	{"name", F_STR, offsetof(struct conf_peer, name), 0, 0, NULL, NULL, true},
	PEER_SETTINGS,
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

/* The group node named name, or NULL. */
static const struct ynode *group_find(const struct loader *L, const char *name)
{
	const struct ynode *g = L->groups;

	for (unsigned i = 0; g && g->type == Y_SEQ && i < g->n; i++) {
		const struct ynode *n = ymap_get(g->items[i], "name");

		if (g->items[i]->type == Y_MAP && n && n->type == Y_SCALAR &&
		    !strcmp(n->str, name))
			return g->items[i];
	}
	return NULL;
}

/* peer key "group": checked here, applied first by load_peer. */
static void f_group(struct loader *L, const struct ynode *v, void *b)
{
	if (want(L, v, "group", Y_SCALAR) && !group_find(L, v->str))
		diag_err(L->d, v, "unknown peer group '%s'", v->str);
}

/* Lay a group's settings on p (its own errors were reported once, at
 * the group: here they are dropped). */
static void group_apply(struct loader *L, const struct ynode *g,
			struct conf_peer *p)
{
	struct conf_diag quiet = {.file = L->d->file}, *d = L->d;

	L->d = &quiet;
	load_map(L, g, group_fields + 1, p, "peer group");
	L->d = d;
	diag_flush(&quiet, NULL);
}

static void load_group(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_peer *p = b;

	if (want(L, v, "peer_groups item", Y_MAP))
		load_map(L, v, group_fields, p, "peer group");
}

/* route_server.peer_groups: each group checked on its own (the peers
 * take its settings when they are loaded); names must be unique. */
static void f_peer_groups(struct loader *L, const struct ynode *v, void *b)
{
	unsigned n = 0;
	struct conf_peer *g = load_seq(L, v, "peer_groups",
				       sizeof(struct conf_peer), &n, load_group);

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < i; j++)
			if (g[i].name && g[j].name && !strcmp(g[i].name, g[j].name))
				diag_err(L->d, v->items[i],
					 "duplicate peer group '%s'", g[i].name);
	for (unsigned i = 0; i < n; i++) {
		free(g[i].name);
		free(g[i].password_file);
		free(g[i].description);
		free(g[i].bfd.password_file);
		free(g[i].bfd.password);
		pol_rules_free(g[i].import, g[i].n_import);
		pol_rules_free(g[i].export, g[i].n_export);
	}
	free(g);
}

static const struct field peer_fields[] = {
	{"name", F_STR, offsetof(struct conf_peer, name), 0, 0, NULL, NULL, true},
	{"address", F_ADDR, offsetof(struct conf_peer, address), 0, 0, NULL, NULL, true},
	{"asn", F_U32, offsetof(struct conf_peer, asn), 1, 0, NULL, NULL, true},
	PEER_SETTINGS,
	{"group", F_FUNC, 0, 0, 0, NULL, f_group, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_peer(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_peer *p = b;
	AT(p, v);
	p->kind = PEER_NVA;
	p->keep_refused = true;
	p->max_prefixes = 1000;
	p->port = 179;
	p->multihop = 255;
	p->bfd.min_rx_ms = p->bfd.min_tx_ms = 300;
	p->bfd.multiplier = 3;
	p->bfd.multihop = 2;
	if (want(L, v, "peers item", Y_MAP)) {
		const struct ynode *gn = ymap_get(v, "group"), *g;

		if (gn && gn->type == Y_SCALAR && (g = group_find(L, gn->str))) {
			group_apply(L, g, p); /* then the peer's own keys */
			p->group = conf_strdup(gn->str);
		}
		load_map(L, v, peer_fields, p, "peer");
	}
}

static void f_peers(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rs *rs = b;
	rs->peers = load_seq(L, v, "peers", sizeof(struct conf_peer),
			     &rs->n_peers, load_peer);
}

static void f_listen(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rs *rs = b;
	unsigned n = list_of(L, v, "listen");

	rs->listen = xcalloc(n, sizeof(*rs->listen));
	rs->n_listen = n;
	for (unsigned i = 0; i < n; i++)
		if (want(L, list_at(v, i), "listen", Y_SCALAR) &&
		    addr_parse(list_at(v, i)->str, &rs->listen[i]) < 0)
			diag_err(L->d, list_at(v, i), "bad address '%s' for 'listen'",
				 list_at(v, i)->str);
}

static void f_martians(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rs *rs = b;
	rs->n_martians = load_prefixes(L, v, "martians", &rs->martians);
	rs->martians_set = true;
}

#define BMPF(k, t, m, lo, hi, req) {k, t, offsetof(struct conf_bmp, m), lo, hi, NULL, NULL, req}
static const struct field bmp_fields[] = {
	BMPF("address", F_ADDR, address, 0, 0, true),
	BMPF("port", F_U16, port, 1, 65535, true),
	BMPF("stats_s", F_U32, stats_s, 0, 86400, false),
	BMPF("max_queue_kb", F_U32, max_queue_kb, 64, 4194304, false),
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_bmp(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_bmp *m = b;
	AT(m, v);
	m->stats_s = 60;
	m->max_queue_kb = 16384;
	if (want(L, v, "bmp item", Y_MAP))
		load_map(L, v, bmp_fields, m, "bmp collector");
}

/* route_server.bmp: the collectors; one address and port once. */
static void f_bmp(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rs *rs = b;

	rs->bmp = load_seq(L, v, "bmp", sizeof(struct conf_bmp), &rs->n_bmp,
			   load_bmp);
	for (unsigned i = 0; i < rs->n_bmp; i++)
		for (unsigned j = 0; j < i; j++)
			if (rs->bmp[i].port && rs->bmp[i].port == rs->bmp[j].port &&
			    addr_eq(&rs->bmp[i].address, &rs->bmp[j].address))
				diag_err(L->d, v->items[i],
					 "duplicate BMP collector (same address and port as line %u)",
					 rs->bmp[j].line);
}

/* route_server.drills: scheduled drills (checked in conf_check). */
static const char *const drill_kind_names[] = {"peer-down", "nva-silent", NULL};

/* window: "HH:MM-HH:MM" (UTC; the end may be before the start: the window
 * spans midnight). */
static void f_drill_window(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_drill *dr = b;
	unsigned h1, m1, h2, m2;
	char end;

	if (!want(L, v, "window", Y_SCALAR))
		return;
	if (sscanf(v->str, "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &end) != 4 ||
	    h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59 || h1 * 60 + m1 == h2 * 60 + m2) {
		diag_err(L->d, v, "bad window '%s' (expected \"HH:MM-HH:MM\", UTC, "
			 "start and end different)", v->str);
		return;
	}
	dr->has_window = true;
	dr->win_start = (uint16_t)(h1 * 60 + m1);
	dr->win_end = (uint16_t)(h2 * 60 + m2);
}

#define DF(k, t, m, lo, hi) {k, t, offsetof(struct conf_drill, m), lo, hi, NULL, NULL, false}
static const struct field drill_fields[] = {
	{"name", F_STR, offsetof(struct conf_drill, name), 0, 0, NULL, NULL, true},
	{"kind", F_ENUM, offsetof(struct conf_drill, kind), 0, 0, drill_kind_names, NULL, true},
	{"target", F_STR, offsetof(struct conf_drill, target), 0, 0, NULL, NULL, true},
	DF("every_s", F_U32, every_s, 5, 31536000),
	{"window", F_FUNC, 0, 0, 0, NULL, f_drill_window, false},
	DF("restore_after_s", F_U32, restore_after_s, 1, 3600),
	DF("expect", F_STR, expect, 0, 0),
	DF("pass", F_U32, pass, 0, 100),
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_drill(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_drill *dr = b;

	AT(dr, v);
	dr->restore_after_s = 10;
	dr->pass = 100;
	if (want(L, v, "drills item", Y_MAP))
		load_map(L, v, drill_fields, dr, "drill");
}

static void f_drills(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rs *rs = b;
	rs->drills = load_seq(L, v, "drills", sizeof(struct conf_drill),
			      &rs->n_drills, load_drill);
}

/* route_server.rpki (conf_rpki): caches as ADDR:PORT ([V6]:PORT). */
static void load_cache(struct loader *L, const struct ynode *v,
		       struct conf_rpki_cache *c)
{
	const char *s = v->str, *colon;
	char host[64];
	struct addr a;
	size_t n;
	uint64_t port = 0;

	AT(c, v);
	colon = strrchr(s, ':');
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		colon = rb && rb[1] == ':' ? rb + 1 : NULL;
		s++;
		n = colon ? (size_t)(colon - 1 - s) : 0;
	} else {
		n = colon ? (size_t)(colon - s) : 0;
	}
	struct ynode pv = {.type = Y_SCALAR, .str = (char *)(colon ? colon + 1 : "")};
	if (!colon || n == 0 || n >= sizeof(host) ||
	    parse_uint(&pv, &port) < 0 || port == 0 || port > 65535) {
		diag_err(L->d, v, "bad cache '%s' (expected ADDRESS:PORT)", v->str);
		return;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	if (addr_parse(host, &a) < 0) {
		diag_err(L->d, v, "bad cache address '%s'", host);
		return;
	}
	c->host = conf_strdup(host);
	c->port = (uint16_t)port;
}

static void f_rpki_caches(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rpki *r = b;
	unsigned n = list_of(L, v, "caches");

	r->caches = xcalloc(n, sizeof(*r->caches));
	r->n_caches = n;
	for (unsigned i = 0; i < n; i++)
		if (want(L, list_at(v, i), "caches", Y_SCALAR))
			load_cache(L, list_at(v, i), &r->caches[i]);
}

static void f_rpki_tag(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rpki *r = b;

	if (!want(L, v, "tag_community", Y_SCALAR))
		return;
	r->tag_is_large = lcomm_parse(v->str, &r->tag_large) == 0;
	if (!r->tag_is_large && community_parse(v->str, &r->tag_std) < 0)
		diag_err(L->d, v, "bad tag_community '%s' (expected A:B or A:B:C)",
			 v->str);
}

static const char *const rpki_invalid_names[] = {"deny", "tag", "accept", NULL};
#define KF(k, t, m, lo, hi) {k, t, offsetof(struct conf_rpki, m), lo, hi, NULL, NULL, false}
static const struct field rpki_fields[] = {
	{"caches", F_FUNC, 0, 0, 0, NULL, f_rpki_caches, true},
	{"invalid", F_ENUM, offsetof(struct conf_rpki, invalid), 0, 0, rpki_invalid_names, NULL, false},
	KF("refresh_s", F_U32, refresh_s, 1, 86400),
	KF("retry_s", F_U32, retry_s, 1, 7200),
	KF("expire_s", F_U32, expire_s, 600, 172800),
	{"tag_community", F_FUNC, 0, 0, 0, NULL, f_rpki_tag, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void f_rpki(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rs *rs = b;

	if (!ynode_is_null(v) && want(L, v, "rpki", Y_MAP))
		load_map(L, v, rpki_fields, &rs->rpki, "rpki");
}

/* route_server.aggregates and route_server.originate (conf_aggregate,
 * conf_originate). */
static void f_aggr_prefix(struct loader *L, const struct ynode *v, void *b)
{
	load_prefix_node(L, v, "prefix", &((struct conf_aggregate *)b)->prefix);
}

static const struct field aggr_fields[] = {
	{"prefix", F_FUNC, 0, 0, 0, NULL, f_aggr_prefix, true},
	{"summary_only", F_BOOL, offsetof(struct conf_aggregate, summary_only), 0, 0, NULL, NULL, false},
	{"as_set", F_BOOL, offsetof(struct conf_aggregate, as_set), 0, 0, NULL, NULL, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_aggr(struct loader *L, const struct ynode *v, void *b)
{
	AT((struct conf_aggregate *)b, v);
	if (want(L, v, "aggregate", Y_MAP))
		load_map(L, v, aggr_fields, b, "aggregate");
}

static void f_aggregates(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rs *rs = b;
	rs->aggregates = load_seq(L, v, "aggregates", sizeof(struct conf_aggregate),
				  &rs->n_aggregates, load_aggr);
}

static void f_orig_prefix(struct loader *L, const struct ynode *v, void *b)
{
	load_prefix_node(L, v, "prefix", &((struct conf_originate *)b)->prefix);
}

static void f_orig_comms(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_originate *o = b;
	o->n_communities = load_communities(L, v, "communities", &o->communities);
}

static void f_orig_large(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_originate *o = b;
	o->n_large = load_lcomms(L, v, "large_communities", &o->large);
}

static void f_orig_to(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_originate *o = b;
	unsigned n = list_of(L, v, "to");

	o->to = xcalloc(n, sizeof(*o->to));
	o->n_to = n;
	for (unsigned i = 0; i < n; i++)
		if (want(L, list_at(v, i), "to", Y_SCALAR))
			o->to[i] = conf_strdup(list_at(v, i)->str);
}

static const struct field orig_fields[] = {
	{"prefix", F_FUNC, 0, 0, 0, NULL, f_orig_prefix, true},
	{"next_hop", F_ADDR, offsetof(struct conf_originate, next_hop), 0, 0, NULL, NULL, false},
	{"communities", F_FUNC, 0, 0, 0, NULL, f_orig_comms, false},
	{"large_communities", F_FUNC, 0, 0, 0, NULL, f_orig_large, false},
	{"to", F_FUNC, 0, 0, 0, NULL, f_orig_to, true},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_orig(struct loader *L, const struct ynode *v, void *b)
{
	AT((struct conf_originate *)b, v);
	if (want(L, v, "originate", Y_MAP))
		load_map(L, v, orig_fields, b, "originate");
}

static void f_originate(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_rs *rs = b;
	rs->originate = load_seq(L, v, "originate", sizeof(struct conf_originate),
				 &rs->n_originate, load_orig);
}

#define RF(k, t, m, lo, hi) {k, t, offsetof(struct conf_rs, m), lo, hi, NULL, NULL, false}
static const struct field rs_fields[] = {
	RF("asn", F_U32, asn, 1, 0),
	RF("router_id", F_ADDR, router_id, 0, 0),
	{"listen", F_FUNC, 0, 0, 0, NULL, f_listen, false},
	RF("port", F_U16, port, 1, 65535),
	RF("hold_time", F_U16, hold_time, 0, 65535),
	RF("keepalive", F_U16, keepalive, 0, 65535),
	RF("branch_to_branch", F_BOOL, branch_to_branch, 0, 0),
	{"routing_preference", F_ENUM, offsetof(struct conf_rs, routing_pref), 0, 0, pref_names, NULL, false},
	RF("transparent_as", F_BOOL, transparent_as, 0, 0),
	RF("compare_med", F_BOOL, compare_med, 0, 0),
	RF("max_paths", F_U16, max_paths, 1, 64),
	RF("restart_delay", F_U32, restart_delay, 1, 86400),
	RF("persist_routes_s", F_U32, persist_routes_s, 0, 86400),
	RF("startup_hold_s", F_U32, startup_hold_s, 0, 3600),
	{"peers", F_FUNC, 0, 0, 0, NULL, f_peers, false},
	{"peer_groups", F_FUNC, 0, 0, 0, NULL, f_peer_groups, false},
	{"martians", F_FUNC, 0, 0, 0, NULL, f_martians, false},
	{"bmp", F_FUNC, 0, 0, 0, NULL, f_bmp, false},
	RF("state_dir", F_STR, state_dir, 0, 0),
	{"drills", F_FUNC, 0, 0, 0, NULL, f_drills, false},
	{"rpki", F_FUNC, 0, 0, 0, NULL, f_rpki, false},
	{"aggregates", F_FUNC, 0, 0, 0, NULL, f_aggregates, false},
	{"originate", F_FUNC, 0, 0, 0, NULL, f_originate, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

#define AF(k, t, m, lo, hi) {k, t, offsetof(struct conf_api, m), lo, hi, NULL, NULL, false}
static const struct field api_fields[] = {
	AF("listen", F_STR, listen, 0, 0),
	AF("token_file", F_STR, token_file, 0, 0),
	AF("agent_token_file", F_STR, agent_token_file, 0, 0),
	AF("tls_cert", F_STR, tls_cert, 0, 0),
	AF("tls_key", F_STR, tls_key, 0, 0),
	AF("events_file", F_STR, events_file, 0, 0),
	AF("mrt_dir", F_STR, mrt_dir, 0, 0),
	AF("mrt_interval", F_U32, mrt_interval, 0, 0),
	AF("mrt_updates", F_BOOL, mrt_updates, 0, 0),
	AF("route_jump_threshold", F_U32, route_jump_threshold, 0, 0),
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

/* ----------------------------------------------------------- fabric */

static void f_subnet_prefix(struct loader *L, const struct ynode *v, void *b)
{
	load_prefix_node(L, v, "prefix", &((struct conf_subnet *)b)->prefix);
}

static const struct field subnet_fields[] = {
	{"name", F_STR, offsetof(struct conf_subnet, name), 0, 0, NULL, NULL, true},
	{"prefix", F_FUNC, 0, 0, 0, NULL, f_subnet_prefix, true},
	{"route_table", F_STR, offsetof(struct conf_subnet, route_table), 0, 0, NULL, NULL, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_subnet(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_subnet *s = b;
	AT(s, v);
	if (want(L, v, "subnets item", Y_MAP))
		load_map(L, v, subnet_fields, s, "subnet");
}

static const struct field nic_fields[] = {
	{"name", F_STR, offsetof(struct conf_nic, name), 0, 0, NULL, NULL, true},
	{"subnet", F_STR, offsetof(struct conf_nic, subnet), 0, 0, NULL, NULL, true},
	{"ip", F_ADDR, offsetof(struct conf_nic, ip), 0, 0, NULL, NULL, true},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_nic(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_nic *n = b;
	AT(n, v);
	if (want(L, v, "nics item", Y_MAP))
		load_map(L, v, nic_fields, n, "nic");
}

static const struct field peering_fields[] = {
	{"remote", F_STR, offsetof(struct conf_peering, remote), 0, 0, NULL, NULL, true},
	{"use_remote_gateways", F_BOOL, offsetof(struct conf_peering, use_remote_gateways), 0, 0, NULL, NULL, false},
	{"allow_gateway_transit", F_BOOL, offsetof(struct conf_peering, allow_gateway_transit), 0, 0, NULL, NULL, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_peering(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_peering *p = b;
	AT(p, v);
	if (want(L, v, "peerings item", Y_MAP))
		load_map(L, v, peering_fields, p, "peering");
}

static void f_aspace(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_vnet *vn = b;
	vn->n_address_space =
		load_prefixes(L, v, "address_space", &vn->address_space);
}

static void f_subnets(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_vnet *vn = b;
	vn->subnets = load_seq(L, v, "subnets", sizeof(struct conf_subnet),
			       &vn->n_subnets, load_subnet);
}

static void f_nics(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_vnet *vn = b;
	vn->nics = load_seq(L, v, "nics", sizeof(struct conf_nic), &vn->n_nics,
			    load_nic);
}

static void f_peerings(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_vnet *vn = b;
	vn->peerings = load_seq(L, v, "peerings", sizeof(struct conf_peering),
				&vn->n_peerings, load_peering);
}

static const struct field vnet_fields[] = {
	{"name", F_STR, offsetof(struct conf_vnet, name), 0, 0, NULL, NULL, true},
	{"region", F_STR, offsetof(struct conf_vnet, region), 0, 0, NULL, NULL, false},
	{"hub", F_BOOL, offsetof(struct conf_vnet, hub), 0, 0, NULL, NULL, false},
	{"address_space", F_FUNC, 0, 0, 0, NULL, f_aspace, true},
	{"subnets", F_FUNC, 0, 0, 0, NULL, f_subnets, false},
	{"nics", F_FUNC, 0, 0, 0, NULL, f_nics, false},
	{"peerings", F_FUNC, 0, 0, 0, NULL, f_peerings, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_vnet(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_vnet *vn = b;
	AT(vn, v);
	if (want(L, v, "vnets item", Y_MAP))
		load_map(L, v, vnet_fields, vn, "vnet");
}

static void f_udr_prefix(struct loader *L, const struct ynode *v, void *b)
{
	load_prefix_node(L, v, "prefix", &((struct conf_udr *)b)->prefix);
}

static const char *const nh_names[] = {
	"VirtualAppliance", "VnetLocal", "Internet", "None",
	"VirtualNetworkGateway", "VNetPeering", NULL};

static const struct field udr_fields[] = {
	{"prefix", F_FUNC, 0, 0, 0, NULL, f_udr_prefix, true},
	{"next_hop_type", F_ENUM, offsetof(struct conf_udr, next_hop_type), 0, 0, nh_names, NULL, true},
	{"next_hop_ip", F_ADDR, offsetof(struct conf_udr, next_hop_ip), 0, 0, NULL, NULL, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_udr(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_udr *u = b;
	AT(u, v);
	u->next_hop_type = 0xff; /* not set yet: conf_check skips it */
	if (want(L, v, "routes item", Y_MAP))
		load_map(L, v, udr_fields, u, "route");
}

static void f_routes(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_route_table *rt = b;
	rt->routes = load_seq(L, v, "routes", sizeof(struct conf_udr),
			      &rt->n_routes, load_udr);
}

static const struct field rt_fields[] = {
	{"propagate_gateway_routes", F_BOOL, offsetof(struct conf_route_table, propagate_gateway_routes), 0, 0, NULL, NULL, false},
	{"routes", F_FUNC, 0, 0, 0, NULL, f_routes, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

/* route_tables is a mapping: table name -> table. */
static void f_route_tables(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_fabric *fab = b;
	if (ynode_is_null(v) || !want(L, v, "route_tables", Y_MAP))
		return;
	fab->route_tables = xcalloc(v->n, sizeof(*fab->route_tables));
	fab->n_route_tables = v->n;
	for (unsigned i = 0; i < v->n; i++) {
		const struct ynode *k = v->items[2 * i], *t = v->items[2 * i + 1];
		struct conf_route_table *rt = &fab->route_tables[i];
		AT(rt, k);
		rt->propagate_gateway_routes = true;
		if (k->type != Y_SCALAR) {
			diag_err(L->d, k, "keys must be plain strings");
			continue;
		}
		rt->name = conf_strdup(k->str);
		if (!ynode_is_null(t) && want(L, t, k->str, Y_MAP))
			load_map(L, t, rt_fields, rt, "route table");
	}
}

static void f_vnets(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_fabric *fab = b;
	fab->vnets = load_seq(L, v, "vnets", sizeof(struct conf_vnet),
			      &fab->n_vnets, load_vnet);
}

static const struct field region_fields[] = {
	{"name", F_STR, offsetof(struct conf_region, name), 0, 0, NULL, NULL, true},
	{"api", F_STR, offsetof(struct conf_region, api), 0, 0, NULL, NULL, true},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_region(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_region *r = b;
	AT(r, v);
	if (want(L, v, "regions item", Y_MAP))
		load_map(L, v, region_fields, r, "region");
}

static void f_regions(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_fabric *fab = b;
	fab->regions = load_seq(L, v, "regions", sizeof(struct conf_region),
				&fab->n_regions, load_region);
}

/* fabric.load_balancers (third-party next hops, conf_nexthop.c) */
static void f_lb_backends(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_lb *lb = b;
	unsigned n = list_of(L, v, "backends");

	lb->backends = xcalloc(n, sizeof(*lb->backends));
	lb->n_backends = n;
	for (unsigned i = 0; i < n; i++) {
		const struct ynode *x = list_at(v, i);
		if (want(L, x, "backends", Y_SCALAR) &&
		    addr_parse(x->str, &lb->backends[i]) < 0)
			diag_err(L->d, x, "bad address '%s' for 'backends'",
				 x->str);
	}
}

static const char *const lb_health_names[] = {"up", "down", NULL};

static const struct field lb_fields[] = {
	{"name", F_STR, offsetof(struct conf_lb, name), 0, 0, NULL, NULL, true},
	{"vnet", F_STR, offsetof(struct conf_lb, vnet), 0, 0, NULL, NULL, true},
	{"frontend_ip", F_ADDR, offsetof(struct conf_lb, frontend_ip), 0, 0, NULL, NULL, true},
	{"backends", F_FUNC, 0, 0, 0, NULL, f_lb_backends, true},
	{"health", F_ENUM, offsetof(struct conf_lb, health), 0, 0, lb_health_names, NULL, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_lb(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_lb *lb = b;
	AT(lb, v);
	if (want(L, v, "load_balancers item", Y_MAP))
		load_map(L, v, lb_fields, lb, "load balancer");
}

static void f_load_balancers(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_fabric *fab = b;
	fab->load_balancers = load_seq(L, v, "load_balancers",
				       sizeof(struct conf_lb),
				       &fab->n_load_balancers, load_lb);
}

/* fabric.stateful: next-hop addresses of stateful appliances, each an
 * address or {ip, sticky}. */
static const struct field stateful_fields[] = {
	{"ip", F_ADDR, offsetof(struct conf_stateful, ip), 0, 0, NULL, NULL, true},
	{"sticky", F_BOOL, offsetof(struct conf_stateful, sticky), 0, 0, NULL, NULL, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void load_stateful(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_stateful *s = b;

	AT(s, v);
	if (v->type == Y_SCALAR) {
		if (addr_parse(v->str, &s->ip) < 0)
			diag_err(L->d, v, "bad address '%s' for 'stateful'", v->str);
		return;
	}
	if (want(L, v, "stateful item", Y_MAP))
		load_map(L, v, stateful_fields, s, "stateful entry");
}

static void f_stateful(struct loader *L, const struct ynode *v, void *b)
{
	struct conf_fabric *fab = b;
	fab->stateful = load_seq(L, v, "stateful", sizeof(struct conf_stateful),
				 &fab->n_stateful, load_stateful);
}

/* fabric.publish is loaded with the checks (conf_publish.c). */
static void f_publish(struct loader *L, const struct ynode *v, void *b)
{
}

static const struct field fabric_fields[] = {
	{"vnets", F_FUNC, 0, 0, 0, NULL, f_vnets, false},
	{"route_tables", F_FUNC, 0, 0, 0, NULL, f_route_tables, false},
	{"regions", F_FUNC, 0, 0, 0, NULL, f_regions, false},
	{"allow_external_next_hops", F_BOOL, offsetof(struct conf_fabric, allow_external_next_hops), 0, 0, NULL, NULL, false},
	{"load_balancers", F_FUNC, 0, 0, 0, NULL, f_load_balancers, false},
	{"stateful", F_FUNC, 0, 0, 0, NULL, f_stateful, false},
	{"publish", F_FUNC, 0, 0, 0, NULL, f_publish, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

/* ------------------------------------------------------------- top */

static void f_rs(struct loader *L, const struct ynode *v, void *b)
{
	struct conf *c = b;
	if (!ynode_is_null(v) && want(L, v, "route_server", Y_MAP)) {
		L->groups = ymap_get(v, "peer_groups");
		load_map(L, v, rs_fields, &c->rs, "route_server");
	}
}

static void f_api(struct loader *L, const struct ynode *v, void *b)
{
	struct conf *c = b;
	if (!ynode_is_null(v) && want(L, v, "api", Y_MAP))
		load_map(L, v, api_fields, &c->api, "api");
}

static void f_fabric(struct loader *L, const struct ynode *v, void *b)
{
	struct conf *c = b;
	if (!ynode_is_null(v) && want(L, v, "fabric", Y_MAP))
		load_map(L, v, fabric_fields, &c->fabric, "fabric");
}

static const struct field top_fields[] = {
	{"route_server", F_FUNC, 0, 0, 0, NULL, f_rs, false},
	{"api", F_FUNC, 0, 0, 0, NULL, f_api, false},
	{"fabric", F_FUNC, 0, 0, 0, NULL, f_fabric, false},
	{NULL, 0, 0, 0, 0, NULL, NULL, false},
};

static void set_defaults(struct conf *c)
{
	c->rs.asn = 65515;
	c->rs.port = 179;
	c->rs.hold_time = 180;
	c->rs.keepalive = 60;
	c->rs.routing_pref = PREF_EXPRESSROUTE;
	c->rs.max_paths = 8;
	c->rs.restart_delay = 30;
	c->rs.startup_hold_s = 10;
	c->rs.rpki.refresh_s = 300;
	c->rs.rpki.retry_s = 60;
	c->rs.rpki.expire_s = 7200;
	c->api.listen = conf_strdup("127.0.0.1:8179");
}

static struct conf *load_text(const char *name, const char *text, size_t len,
			      const char *basedir, FILE *errs, bool no_files)
{
	struct conf_diag d = {.file = name, .no_files = no_files};
	struct loader L = {.d = &d};
	struct conf *c = xcalloc(1, sizeof(*c));
	bool empty;
	struct ynode *root = ytree_parse(text, len, &d, &empty);

	c->path = conf_strdup(name);
	set_defaults(c);
	if (root && !empty && want(&L, root, "the configuration", Y_MAP))
		load_map(&L, root, top_fields, c, "the configuration");
	/* Cross-checks run even after field errors, so one pass reports as
	 * much as possible; only a file that is not YAML stops here. */
	if (root || empty)
		conf_check(c, empty ? NULL : root, basedir, &d);
	ytree_free(root);
	diag_flush(&d, errs ? errs : stderr);
	if (d.n_errors) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *conf_load_string(const char *name, const char *yaml, FILE *errs)
{
	return load_text(name, yaml, strlen(yaml), NULL, errs, false);
}

struct conf *conf_load_text_only(const char *name, const char *yaml, FILE *errs)
{
	return load_text(name, yaml, strlen(yaml), NULL, errs, true);
}

struct conf *conf_load(const char *path, FILE *errs)
{
	FILE *f = fopen(path, "r");
	char *text = NULL, *dir, *tmp;
	size_t len = 0;
	struct conf *c;

	if (!f) {
		fprintf(errs ? errs : stderr, "%s:1:1: cannot open: %s\n", path,
			strerror(errno));
		return NULL;
	}
	FILE *mem = open_memstream(&text, &len);
	char buf[8192];
	size_t n;
	while (mem && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(f);
	if (!mem)
		abort();
	fclose(mem);
	tmp = conf_strdup(path);
	dir = dirname(tmp);
	c = load_text(path, text, len, dir, errs, false);
	free(tmp);
	free(text);
	return c;
}
