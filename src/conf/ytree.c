/*
 * ytree.c - YAML text to a small position-keeping tree, and diagnostics.
 *
 * libfyaml's event parser does the YAML work; we keep each node's line
 * and column (1-based) so every configuration error can name its spot.
 * Syntax errors come from libfyaml's own diagnostics, collected instead
 * of printed, and are reported in our "FILE:LINE:COL: message" form.
 */
#include "conf/conf_priv.h"

#include <libfyaml.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

char *conf_strdup(const char *s)
{
	char *r = s ? strdup(s) : NULL;
	if (s && !r)
		abort();
	return r;
}

static void *xrealloc(void *p, size_t n)
{
	void *r = realloc(p, n ? n : 1);
	if (!r)
		abort();
	return r;
}

void diag_add(struct conf_diag *d, bool warning, unsigned line, unsigned col,
	      const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (d->n_msgs == d->cap_msgs) {
		d->cap_msgs = d->cap_msgs ? 2 * d->cap_msgs : 16;
		d->msgs = xrealloc(d->msgs, d->cap_msgs * sizeof(*d->msgs));
	}
	d->msgs[d->n_msgs++] = (struct conf_msg){line, col, warning, text};
	if (warning)
		d->n_warnings++;
	else
		d->n_errors++;
}

/* By line, then column, then the order they were added (stable). */
static int msg_cmp(const void *a, const void *b, void *arg)
{
	const struct conf_msg *msgs = arg;
	unsigned i = *(const unsigned *)a, j = *(const unsigned *)b;
	const struct conf_msg *x = &msgs[i], *y = &msgs[j];

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return (i > j) - (i < j);
}

void diag_flush(struct conf_diag *d, FILE *out)
{
	unsigned *order = xrealloc(NULL, (d->n_msgs + 1) * sizeof(*order));

	for (unsigned i = 0; i < d->n_msgs; i++)
		order[i] = i;
	qsort_r(order, d->n_msgs, sizeof(*order), msg_cmp, d->msgs);
	for (unsigned i = 0; i < d->n_msgs; i++) {
		struct conf_msg *m = &d->msgs[order[i]];
		if (out)
			fprintf(out, "%s:%u:%u: %s%s\n", d->file, m->line,
				m->col, m->warning ? "warning: " : "", m->text);
	}
	free(order);
	for (unsigned i = 0; i < d->n_msgs; i++)
		free(d->msgs[i].text);
	free(d->msgs);
	d->msgs = NULL;
	d->n_msgs = d->cap_msgs = 0;
}

/* ------------------------------------------------------------ tree */

void ytree_free(struct ynode *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n->n_items; i++)
		ytree_free(n->items[i]);
	free(n->items);
	free(n->str);
	free(n);
}

struct ynode *ymap_get(const struct ynode *n, const char *key)
{
	if (!n || n->type != Y_MAP)
		return NULL;
	for (unsigned i = 0; i < n->n; i++) {
		struct ynode *k = n->items[2 * i];
		if (k->type == Y_SCALAR && !strcmp(k->str, key))
			return n->items[2 * i + 1];
	}
	return NULL;
}

struct ynode *yseq_item(const struct ynode *seq, unsigned i)
{
	if (!seq || seq->type != Y_SEQ || i >= seq->n)
		return NULL;
	return seq->items[i];
}

bool ynode_is_null(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && n->plain &&
	       (!n->str[0] || !strcmp(n->str, "~") || !strcmp(n->str, "null"));
}

static struct ynode *node_new(enum ynode_type t, struct fy_event *e)
{
	struct ynode *n = calloc(1, sizeof(*n));
	const struct fy_mark *m = fy_event_start_mark(e);
	if (!n)
		abort();
	n->type = t;
	n->line = m ? (unsigned)m->line + 1 : 1;
	n->col = m ? (unsigned)m->column + 1 : 1;
	return n;
}

static void node_append(struct ynode *parent, struct ynode *child)
{
	unsigned used = parent->n_items++;
	parent->items = xrealloc(parent->items,
				 (used + 1) * sizeof(*parent->items));
	parent->items[used] = child;
	/* A mapping counts pairs: n grows once both halves are in. */
	parent->n = parent->type == Y_MAP ? parent->n_items / 2 : parent->n_items;
}

/* Report duplicate keys of a finished mapping. */
static void map_check_dups(const struct ynode *m, struct conf_diag *d)
{
	for (unsigned i = 1; i < m->n; i++) {
		const struct ynode *k = m->items[2 * i];
		if (k->type != Y_SCALAR)
			continue;
		for (unsigned j = 0; j < i; j++) {
			const struct ynode *o = m->items[2 * j];
			if (o->type == Y_SCALAR && !strcmp(o->str, k->str)) {
				diag_err(d, k, "duplicate key '%s' (first at line %u)",
					 k->str, o->line);
				break;
			}
		}
	}
}

static struct ynode *scalar_node(struct fy_event *e)
{
	struct ynode *n = node_new(Y_SCALAR, e);
	size_t len = 0;
	const char *s = fy_token_get_text(e->scalar.value, &len);
	n->str = malloc(len + 1);
	if (!n->str)
		abort();
	if (len)
		memcpy(n->str, s, len);
	n->str[len] = 0;
	n->plain = fy_token_scalar_style(e->scalar.value) == FYSS_PLAIN;
	/* The token starts inside the quotes; point at the opening one. */
	enum fy_scalar_style st = fy_token_scalar_style(e->scalar.value);
	if ((st == FYSS_SINGLE_QUOTED || st == FYSS_DOUBLE_QUOTED) && n->col > 1)
		n->col--;
	return n;
}

#define YTREE_MAX_DEPTH 64

struct ybuild {
	struct ynode *stack[YTREE_MAX_DEPTH];
	unsigned depth;
	struct ynode *root;
	unsigned n_docs;
	struct conf_diag *d;
};

/* Take one parser event; returns false when the tree can't go on. */
static bool build_event(struct ybuild *b, struct fy_event *e)
{
	struct ynode *n = NULL;

	switch (e->type) {
	case FYET_DOCUMENT_START:
		if (++b->n_docs > 1) {
			const struct fy_mark *m = fy_event_start_mark(e);
			diag_add(b->d, false, m ? (unsigned)m->line + 1 : 1, 1,
				 "only one YAML document is allowed");
			return false;
		}
		return true;
	case FYET_SCALAR:
		n = scalar_node(e);
		break;
	case FYET_ALIAS:
		n = node_new(Y_SCALAR, e);
		n->str = conf_strdup("");
		n->plain = true;
		diag_err(b->d, n, "aliases are not supported");
		break;
	case FYET_MAPPING_START:
	case FYET_SEQUENCE_START:
		n = node_new(e->type == FYET_MAPPING_START ? Y_MAP : Y_SEQ, e);
		break;
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		if (!b->depth)
			return false;
		n = b->stack[--b->depth];
		if (n->type == Y_MAP)
			map_check_dups(n, b->d);
		return true;
	default:
		return true;
	}
	if (b->depth)
		node_append(b->stack[b->depth - 1], n);
	else if (!b->root)
		b->root = n;
	else
		ytree_free(n);
	if (n->type != Y_SCALAR) {
		if (b->depth == YTREE_MAX_DEPTH) {
			diag_err(b->d, n, "nesting too deep");
			return false;
		}
		b->stack[b->depth++] = n;
	}
	return true;
}

static void add_parser_diags(struct fy_diag *fd, struct conf_diag *d)
{
	void *it = NULL;
	struct fy_diag_error *de;
	while ((de = fy_diag_errors_iterate(fd, &it))) {
		if (de->type < FYET_WARNING)
			continue;
		diag_add(d, de->type == FYET_WARNING,
			 de->line > 0 ? (unsigned)de->line : 1,
			 de->column > 0 ? (unsigned)de->column : 1,
			 "YAML syntax error: %s", de->msg);
	}
}

/*
 * Offset of the first byte that is not well-formed UTF-8 (or a NUL), or
 * len. YAML text is Unicode; libfyaml 0.7 can also loop forever on some
 * invalid bytes (a directive line followed by 0xFF), so the reader
 * refuses them before parsing.
 */
static size_t utf8_bad(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = s[i];

		if (c == 0)
			return i;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3;
		else
			return i;
		if (i + n >= len)
			return i;
		/* No overlong forms, no surrogates, nothing past U+10FFFF
		 * (RFC 3629 section 4): libfyaml also loops on those. */
		if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
		    (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
			return i;
		for (size_t k = 1; k <= n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		i += n + 1;
	}
	return len;
}

/* Refuse text that is not UTF-8, with the line and column of the byte. */
static bool utf8_check(const char *text, size_t len, struct conf_diag *d)
{
	size_t bad = utf8_bad((const unsigned char *)text, len);
	unsigned line = 1, col = 1;

	if (bad == len)
		return true;
	for (size_t i = 0; i < bad; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			col++;
		}
	}
	diag_add(d, false, line, col, "not valid UTF-8 text (byte 0x%02x)",
		 (unsigned char)text[bad]);
	return false;
}

struct ynode *ytree_parse(const char *text, size_t len, struct conf_diag *d,
			  bool *empty)
{
	struct fy_diag_cfg dc;
	struct fy_diag *fd;
	struct fy_parser *p;
	struct fy_event *e;
	struct ybuild b = {.d = d};
	unsigned before = d->n_errors;
	bool ok = true;

	*empty = false;
	if (!utf8_check(text, len, d))
		return NULL;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	fd = fy_diag_create(&dc);
	if (!fd)
		abort();
	fy_diag_set_collect_errors(fd, true);
	struct fy_parse_cfg pc = {.flags = FYPCF_QUIET, .diag = fd};
	p = fy_parser_create(&pc);
	if (!p || fy_parser_set_string(p, text, len) < 0)
		abort();
	while ((e = fy_parser_parse(p))) {
		if (ok)
			ok = build_event(&b, e);
		fy_parser_event_free(p, e);
	}
	if (fy_parser_get_stream_error(p)) {
		add_parser_diags(fd, d);
		if (d->n_errors == before)
			diag_add(d, false, 1, 1, "YAML syntax error");
	}
	fy_parser_destroy(p);
	fy_diag_destroy(fd);
	if (d->n_errors != before || !ok) {
		ytree_free(b.root);
		return NULL;
	}
	*empty = !b.root || ynode_is_null(b.root);
	return b.root;
}
