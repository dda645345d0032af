/*
 * conf_priv.h - internals shared by the configuration files (src/conf).
 *
 * The YAML file is first read into a small tree of our own (ytree.c) that
 * keeps the line and column of every node, so that loading (conf_load.c)
 * and cross-checking (conf_check.c) can point at the exact spot of every
 * problem. Diagnostics are collected in a struct conf_diag, sorted by
 * position and written out at the end as "FILE:LINE:COL: message".
 */
#ifndef PHAROS_CONF_PRIV_H
#define PHAROS_CONF_PRIV_H

#include <stdbool.h>
#include <stdio.h>

#include "conf/conf.h"

enum ynode_type { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_type type;
	unsigned line, col; /* 1-based */
	char *str; /* Y_SCALAR: the text (NUL terminated) */
	bool plain; /* Y_SCALAR: unquoted */
	unsigned n; /* Y_SEQ: items; Y_MAP: pairs */
	unsigned n_items; /* entries used in items[] */
	struct ynode **items; /* Y_SEQ: n items; Y_MAP: 2n (key, value) */
};

/* One diagnostic line, kept until the end so they come out in order. */
struct conf_msg {
	unsigned line, col;
	bool warning;
	char *text;
};

struct conf_diag {
	const char *file;
	unsigned n_msgs, cap_msgs;
	struct conf_msg *msgs;
	unsigned n_errors, n_warnings;
	bool no_files; /* check the text only: open no file it names */
};

void diag_add(struct conf_diag *d, bool warning, unsigned line, unsigned col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define diag_err(d, n, ...) diag_add((d), false, (n)->line, (n)->col, __VA_ARGS__)
#define diag_warn(d, n, ...) diag_add((d), true, (n)->line, (n)->col, __VA_ARGS__)
/* Write every message sorted by position, then forget them. */
void diag_flush(struct conf_diag *d, FILE *out);

/* Parse YAML text into a tree. NULL after adding syntax errors to d (or
 * for an empty document, with *empty set). */
struct ynode *ytree_parse(const char *text, size_t len, struct conf_diag *d,
			  bool *empty);
void ytree_free(struct ynode *n);
/* Value of key in a mapping, NULL when absent (or n is not a mapping). */
struct ynode *ymap_get(const struct ynode *n, const char *key);
/* True for a plain null scalar: "", "~", "null". */
bool ynode_is_null(const struct ynode *n);

/* Cross-checks over a loaded conf (conf_check.c); root is its tree, and
 * relative password/token files are looked up in basedir (NULL: cwd). */
void conf_check(struct conf *c, const struct ynode *root, const char *basedir,
		struct conf_diag *d);

/* The fabric part of conf_check (conf_check_fabric.c). */
void conf_check_fabric(struct conf *c, const struct ynode *fabric,
		       struct conf_diag *d);

/* fabric.load_balancers and next-hop settings (conf_nexthop.c). */
void conf_check_nexthops(struct conf *c, const struct ynode *fabric,
			 struct conf_diag *d);
/* fabric.publish: load, check and default it (conf_publish.c); node is
 * the publish mapping or NULL. Relative files are looked up in basedir. */
void conf_publish(struct conf *c, const struct ynode *node,
		  const char *basedir, struct conf_diag *d);

/* route_server.martians: check the given list, or fill the defaults
 * (conf_martians.c). Runs after the rest of the checks. */
void conf_martians(struct conf *c, const struct ynode *rsn,
		   struct conf_diag *d);

/* route_server.bmp (conf_bmp.c): printed as YAML that loads back, and
 * compared. */
void conf_print_bmp(FILE *o, const struct conf_rs *rs);
bool conf_bmp_equal(const struct conf_rs *a, const struct conf_rs *b);
/* route_server.drills and state_dir (conf_check_drills.c). */
void conf_check_drills(struct conf *c, const struct ynode *rsn,
		       const char *basedir, struct conf_diag *d);
/* route_server.aggregates and originate (conf_local.c). */
void conf_check_local(struct conf *c, const struct ynode *rsn,
		      struct conf_diag *d);
void conf_local_free(struct conf_rs *rs);

/* Tree helpers for conf_check: the node for item i of a sequence under
 * key, or for key inside that item; NULL when absent. */
struct ynode *yseq_item(const struct ynode *seq, unsigned i);

char *conf_strdup(const char *s);

#endif
