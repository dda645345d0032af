/*
 * conf_check_drills.c - checks of the routing-assurance keys: scheduled
 * drills (route_server.drills: unique names, a target that is a peer,
 * exactly one schedule, an expected route set that is a readable JSON
 * object) and the state directory where their history is kept.
 */
#include "conf/conf_priv.h"

#include <errno.h>
#include <jansson.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read the expect file of dr (relative to basedir) into dr->expect_text. */
static void read_expect(struct conf_drill *dr, const struct ynode *n,
			const char *basedir, struct conf_diag *d)
{
	char path[4096];
	struct fy_document *fyd;
	json_error_t je;
	char *text;
	json_t *o;

	if (dr->expect[0] != '/' && basedir)
		snprintf(path, sizeof(path), "%s/%s", basedir, dr->expect);
	else
		snprintf(path, sizeof(path), "%s", dr->expect);
	/* YAML or JSON (JSON is YAML): libfyaml reads it, emits JSON */
	fyd = access(path, R_OK) == 0 ? fy_document_build_from_file(NULL, path)
				      : NULL;
	text = fyd ? fy_emit_document_to_string(fyd, FYECF_MODE_JSON) : NULL;
	fy_document_destroy(fyd);
	o = text ? json_loads(text, 0, &je) : NULL;
	free(text);
	if (!o) {
		diag_err(d, n, "drill '%s': cannot read expect '%s' as YAML or "
			 "JSON%s%s", dr->name ? dr->name : "?", dr->expect,
			 access(path, R_OK) ? ": " : "",
			 access(path, R_OK) ? strerror(errno) : "");
		return;
	}
	if (!json_is_object(o))
		diag_err(d, n, "drill '%s': expect '%s' must hold a JSON object "
			 "with before, during and after lists",
			 dr->name ? dr->name : "?", dr->expect);
	else
		dr->expect_text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
}

static void check_drill(struct conf *c, unsigned i, const struct ynode *dn,
			const char *basedir, struct conf_diag *d)
{
	struct conf_drill *dr = &c->rs.drills[i];
	struct ynode here = {.type = Y_SCALAR, .line = dr->line, .col = dr->col};
	const struct ynode *n = dn ? dn : &here;

	for (unsigned j = 0; j < i && dr->name; j++)
		if (c->rs.drills[j].name && !strcmp(c->rs.drills[j].name, dr->name))
			diag_err(d, ymap_get(n, "name") ? ymap_get(n, "name") : n,
				 "duplicate drill '%s'", dr->name);
	if (dr->target && !conf_find_peer(c, dr->target))
		diag_err(d, ymap_get(n, "target") ? ymap_get(n, "target") : n,
			 "drill target '%s' is not a peer", dr->target);
	if (!dr->every_s == !dr->has_window && !ymap_get(n, "window"))
		diag_err(d, n, "drill '%s' needs exactly one schedule: every_s "
			 "or window", dr->name ? dr->name : "?");
	if (dr->expect && !d->no_files)
		read_expect(dr, ymap_get(n, "expect") ? ymap_get(n, "expect") : n,
			    basedir, d);
}

void conf_check_drills(struct conf *c, const struct ynode *rsn,
		       const char *basedir, struct conf_diag *d)
{
	const struct ynode *seq = ymap_get(rsn, "drills");
	struct stat st;

	for (unsigned i = 0; i < c->rs.n_drills; i++)
		check_drill(c, i, yseq_item(seq, i), basedir, d);
	if (!c->rs.state_dir || d->no_files)
		return;
	if (stat(c->rs.state_dir, &st) < 0)
		diag_warn(d, ymap_get(rsn, "state_dir"), "state_dir '%s': %s: "
			  "pharosd will try to create it", c->rs.state_dir,
			  strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		diag_err(d, ymap_get(rsn, "state_dir"),
			  "state_dir '%s' is not a directory", c->rs.state_dir);
}
