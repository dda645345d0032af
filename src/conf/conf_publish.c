/*
 * conf_publish.c - fabric.publish: where pharosd publishes the subnets'
 * effective routes (NATS JetStream, src/daemon/publish.c).
 *
 *   publish:
 *     nats: "nats://198.18.0.9:4222"     # or a list of a cluster's URLs
 *     name: rs-a                         # subject token of this server
 *     heartbeat_s: 5
 *     max_pending: 1024
 *     state_interval_ms: 250             # least ms between a subnet's tables
 *     creds_file | token_file | user + password_file   # authentication
 *     ca_file, cert_file, key_file                     # TLS
 *
 * Loaded after the rest of the file (it needs route_server.router_id for
 * its default name), with every problem at its FILE:LINE:COL.
 */
#include "conf/conf_priv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const str_keys[] = {
	"name",	   "creds_file", "token_file", "user", "password_file",
	"ca_file", "cert_file",	 "key_file",   NULL,
};

static char **str_slot(struct conf_publish *p, const char *key)
{
	char **slots[] = { &p->name,	&p->creds_file, &p->token_file,
			   &p->user,	&p->password_file, &p->ca_file,
			   &p->cert_file, &p->key_file };
	for (unsigned i = 0; str_keys[i]; i++)
		if (!strcmp(key, str_keys[i]))
			return slots[i];
	return NULL;
}

/* A subject token: letters, digits, '-' and '_' only. */
static bool token_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static void add_url(struct conf_publish *p, const struct ynode *v,
		    struct conf_diag *d)
{
	if (v->type != Y_SCALAR) {
		diag_err(d, v, "'nats' must be a URL or a list of URLs");
		return;
	}
	if (strncasecmp(v->str, "nats://", 7) && strncasecmp(v->str, "tls://", 6)) {
		diag_err(d, v, "'nats' wants nats://HOST:PORT or tls://HOST:PORT, "
			 "not '%s'", v->str);
		return;
	}
	if (strpbrk(v->str, " ,\t")) {
		diag_err(d, v, "one URL per list item: '%s'", v->str);
		return;
	}
	char **nu = realloc(p->urls, (p->n_urls + 1) * sizeof(*nu));
	if (!nu)
		abort();
	p->urls = nu;
	p->urls[p->n_urls++] = conf_strdup(v->str);
}

static void load_urls(struct conf_publish *p, const struct ynode *v,
		      struct conf_diag *d)
{
	if (v->type != Y_SEQ) {
		add_url(p, v, d);
		return;
	}
	if (!v->n)
		diag_err(d, v, "'nats' lists no URL");
	for (unsigned i = 0; i < v->n; i++)
		add_url(p, v->items[i], d);
}

static void load_num(const struct ynode *v, const char *key, uint32_t min,
		     uint32_t max, uint32_t *out, struct conf_diag *d)
{
	char *end;
	unsigned long x;

	if (v->type != Y_SCALAR || !*v->str || *v->str == '-') {
		diag_err(d, v, "'%s' must be a number", key);
		return;
	}
	x = strtoul(v->str, &end, 10);
	if (*end) {
		diag_err(d, v, "'%s' must be a number", key);
		return;
	}
	if (x < min || x > max) {
		diag_err(d, v, "%s %s is out of range (%u..%u)", key, v->str, min,
			 max);
		return;
	}
	*out = (uint32_t)x;
}

/* A file the publisher reads at start: made absolute, must be readable. */
static void load_file(char **slot, const struct ynode *v, const char *key,
		      const char *basedir, struct conf_diag *d)
{
	char path[4096];

	if (v->str[0] != '/' && basedir)
		snprintf(path, sizeof(path), "%s/%s", basedir, v->str);
	else
		snprintf(path, sizeof(path), "%s", v->str);
	if (access(path, R_OK) != 0) {
		diag_err(d, v, "%s %s cannot be read", key, path);
		return;
	}
	free(*slot);
	*slot = conf_strdup(path);
}

static void load_key(struct conf_publish *p, const char *key,
		     const struct ynode *v, const char *basedir,
		     struct conf_diag *d)
{
	char **slot = str_slot(p, key);

	if (!strcmp(key, "nats"))
		load_urls(p, v, d);
	else if (!strcmp(key, "heartbeat_s"))
		load_num(v, key, 1, 3600, &p->heartbeat_s, d);
	else if (!strcmp(key, "max_pending"))
		load_num(v, key, 16, 1000000, &p->max_pending, d);
	else if (!strcmp(key, "state_interval_ms"))
		load_num(v, key, 0, 60000, &p->state_interval_ms, d);
	else if (!slot)
		diag_err(d, v, "unknown key '%s' in publish", key);
	else if (v->type != Y_SCALAR || !*v->str)
		diag_err(d, v, "'%s' must be a string", key);
	else if (!strcmp(key, "name") && !token_ok(v->str))
		diag_err(d, v, "publish name '%s' must be 1 to 64 letters, "
			 "digits, '-' or '_' (it is a subject token)", v->str);
	else if (strstr(key, "_file"))
		load_file(slot, v, key, basedir, d);
	else
		*slot = conf_strdup(v->str);
}

static void check_combination(struct conf_publish *p, const struct ynode *n,
			      struct conf_diag *d)
{
	if (!p->n_urls)
		diag_err(d, n, "publish needs 'nats' (the server URL)");
	if ((p->creds_file != NULL) + (p->token_file != NULL) +
	    (p->user != NULL) > 1)
		diag_err(d, n, "publish: give one of creds_file, token_file or "
			 "user");
	if ((p->user != NULL) != (p->password_file != NULL))
		diag_err(d, n, "publish: user and password_file go together");
	if ((p->cert_file != NULL) != (p->key_file != NULL))
		diag_err(d, n, "publish: cert_file and key_file go together");
}

void conf_publish(struct conf *c, const struct ynode *node,
		  const char *basedir, struct conf_diag *d)
{
	struct conf_publish *p = &c->fabric.publish;

	if (!node || ynode_is_null(node))
		return;
	if (node->type != Y_MAP) {
		diag_err(d, node, "'publish' must be a mapping");
		return;
	}
	p->line = node->line;
	p->col = node->col;
	p->heartbeat_s = 5;
	p->max_pending = 1024;
	p->state_interval_ms = 250;
	for (unsigned i = 0; i < node->n; i++)
		load_key(p, node->items[2 * i]->str, node->items[2 * i + 1],
			 basedir, d);
	check_combination(p, node, d);
	if (!p->name && c->rs.router_id.afi) {
		char buf[ADDR_STRLEN];
		addr_fmt(&c->rs.router_id, buf, sizeof(buf));
		for (char *s = buf; *s; s++)
			if (*s == '.' || *s == ':')
				*s = '-';
		p->name = conf_strdup(buf);
	} else if (!p->name) {
		p->name = conf_strdup("pharos");
	}
}

/* ------------------------------------------------ print, equal, free */

static void put_qs(FILE *o, const char *v)
{
	fputc('"', o);
	for (const char *s = v; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', o);
		fputc(*s, o);
	}
	fputs("\"\n", o);
}

static void put_q(FILE *o, const char *key, const char *v)
{
	if (!v)
		return;
	fprintf(o, "    %s: ", key);
	put_qs(o, v);
}

void conf_publish_print(FILE *o, const struct conf_publish *p)
{
	if (!p->n_urls)
		return;
	fputs("  publish:\n    nats:\n", o);
	for (unsigned i = 0; i < p->n_urls; i++) {
		fputs("      - ", o);
		put_qs(o, p->urls[i]);
	}
	for (unsigned i = 0; str_keys[i]; i++)
		put_q(o, str_keys[i], *str_slot((struct conf_publish *)p,
						 str_keys[i]));
	fprintf(o, "    heartbeat_s: %u\n    max_pending: %u\n"
		"    state_interval_ms: %u\n", p->heartbeat_s, p->max_pending,
		p->state_interval_ms);
}

static bool s_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool conf_publish_equal(const struct conf_publish *a,
			const struct conf_publish *b)
{
	if (a->n_urls != b->n_urls || a->heartbeat_s != b->heartbeat_s ||
	    a->max_pending != b->max_pending ||
	    a->state_interval_ms != b->state_interval_ms)
		return false;
	for (unsigned i = 0; i < a->n_urls; i++)
		if (strcmp(a->urls[i], b->urls[i]))
			return false;
	for (unsigned i = 0; str_keys[i]; i++)
		if (!s_eq(*str_slot((struct conf_publish *)a, str_keys[i]),
			  *str_slot((struct conf_publish *)b, str_keys[i])))
			return false;
	return true;
}

void conf_publish_free(struct conf_publish *p)
{
	for (unsigned i = 0; i < p->n_urls; i++)
		free(p->urls[i]);
	free(p->urls);
	for (unsigned i = 0; str_keys[i]; i++)
		free(*str_slot(p, str_keys[i]));
	memset(p, 0, sizeof(*p));
}
