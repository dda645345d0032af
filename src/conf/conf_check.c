/*
 * conf_check.c - the checks that need more than one key at a time.
 *
 * After conf_load.c filled the structs, this file checks relations:
 * timers, duplicate peers, eBGP-only, secrets that must be readable, the
 * fabric's names, address spaces, subnets, NICs, peerings and route
 * tables. It finds the YAML node of each element through the tree (one
 * struct per YAML item, same index) so every message points at the key
 * at fault. Elements that failed to load (a NULL name, a zero prefix)
 * are skipped so one mistake is reported once.
 */
#include "conf/conf_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define TCP_MD5_MAXKEY 80

struct checker {
	struct conf *c;
	struct conf_diag *d;
	const char *basedir;
};

static const struct ynode top_of_file = {.type = Y_SCALAR, .line = 1, .col = 1};

/* The node of key inside n, else n itself, else the top of the file. */
static const struct ynode *at(const struct ynode *n, const char *key)
{
	const struct ynode *v = ymap_get(n, key);
	return v ? v : n ? n : &top_of_file;
}

/* --------------------------------------------------------- secrets */

/* Open a secret file: a regular file (a FIFO or a device is refused at
 * once, without blocking on it); a warning when group or others may
 * read or write it. Returns a stream, or NULL after reporting at n. */
static FILE *open_secret(struct checker *k, const struct ynode *n,
			 const char *key, const char *file, const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	FILE *f;

	if (fd < 0 || fstat(fd, &st) < 0) {
		diag_err(k->d, n, "cannot read %s '%s': %s", key, file,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_err(k->d, n, "%s '%s' is not a regular file", key, file);
		close(fd);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		diag_warn(k->d, n, "%s '%s' is open to group or others (mode "
			  "%04o): it holds a secret, make it 0600 (chmod "
			  "600)", key, file, (unsigned)(st.st_mode & 07777));
	f = fdopen(fd, "r");
	if (!f) {
		diag_err(k->d, n, "cannot read %s '%s': %s", key, file,
			 strerror(errno));
		close(fd);
	}
	return f;
}

/* Read a small secret file, trailing newline/space removed. Returns
 * the text, or NULL after reporting at node n. */
static char *read_secret(struct checker *k, const struct ynode *n,
			 const char *key, const char *file)
{
	char path[4096], buf[4097];
	size_t len;
	FILE *f;

	if (k->d->no_files)
		return conf_strdup("(not read)");
	if (file[0] != '/' && k->basedir)
		snprintf(path, sizeof(path), "%s/%s", k->basedir, file);
	else
		snprintf(path, sizeof(path), "%s", file);
	f = open_secret(k, n, key, file, path);
	if (!f)
		return NULL;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	if (ferror(f)) {
		diag_err(k->d, n, "cannot read %s '%s': %s", key, file,
			 strerror(errno));
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = 0;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		       buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = 0;
	if (!len) {
		diag_err(k->d, n, "%s '%s' is empty", key, file);
		return NULL;
	}
	return conf_strdup(buf);
}

/* ---------------------------------------------------------- timers */

static void check_timers(struct checker *k, const struct ynode *hold_n,
			 const struct ynode *ka_n, unsigned hold, unsigned ka)
{
	if (hold == 1 || hold == 2) {
		diag_err(k->d, hold_n,
			 "hold_time %u is invalid (must be 0 or 3..65535)", hold);
		return;
	}
	if (!hold)
		return;
	if (!ka || ka >= hold)
		diag_err(k->d, ka_n,
			 "keepalive %u must be between 1 and hold_time %u - 1",
			 ka, hold);
	else if (ka > hold / 3)
		diag_warn(k->d, ka_n,
			  "keepalive %u is more than a third of hold_time %u",
			  ka, hold);
}

/* ----------------------------------------------------------- rules */

static void check_rules(struct checker *k, const struct conf_peer *p,
			const struct pol_rule *rules, unsigned n,
			const struct ynode *seq, bool import)
{
	for (unsigned i = 0; i < n; i++) {
		const struct pol_rule *r = &rules[i];
		const struct ynode *rn = yseq_item(seq, i);
		const struct ynode *pl = ymap_get(ymap_get(rn, "match"), "prefix");
		bool has_set = r->set_local_pref || r->set_med ||
			       r->n_add_communities || r->n_remove_communities ||
			       r->n_add_large || r->n_remove_large ||
			       r->replace_large || r->prepend_count;
		const struct ynode *mr = ymap_get(ymap_get(rn, "match"), "rpki");

		if (r->action == POL_DENY && has_set)
			diag_warn(k->d, at(rn, "set"),
				  "'set' has no effect in a rule that denies");
		if (r->match_rpki && !import)
			diag_err(k->d, mr ? mr : rn,
				 "rpki can be matched in import rules only (the state is decided on import)");
		else if (r->match_rpki && !k->c->rs.rpki.n_caches)
			diag_err(k->d, mr ? mr : rn,
				 "match rpki needs route_server.rpki (no cache is configured)");
		if (!r->n_prefixes && !r->as_path_contains && !r->origin_as &&
		    !r->n_communities && !r->n_large && !r->match_rpki &&
		    i + 1 < n)
			diag_warn(k->d, at(rn, "action"),
				  "rule matches every route: the %u rule(s) after it are never used",
				  n - i - 1);
		if (!import || p->accept_default || r->action != POL_ALLOW)
			continue;
		for (unsigned j = 0; j < r->n_prefixes; j++) {
			const struct pol_prefix *pp = &r->prefixes[j];
			const struct ynode *pn = pl && pl->type == Y_SEQ ?
							 yseq_item(pl, j) : pl;
			if (pp->prefix.afi && pp->prefix.len == 0 && !pp->ge &&
			    !pp->le)
				diag_warn(k->d, pn ? pn : at(rn, "match"),
					  "rule allows the default route, but peer '%s' has accept_default false: it is refused before policy",
					  p->name ? p->name : "?");
		}
	}
}

/* as_path_prepend without an ASN prepends the route server's. */
static void fill_prepend(const struct conf_rs *rs, struct pol_rule *r,
			 unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].prepend_count && !r[i].prepend_asn)
			r[i].prepend_asn = rs->asn;
}

/* route_server.rpki: the default tag is the large community ASN:6811:2
 * (6811 for the RFC, 2 for "invalid" as RFC 8097 numbers the states). */
static void check_rpki(struct checker *k, const struct ynode *rsn)
{
	struct conf_rpki *r = &k->c->rs.rpki;
	const struct ynode *rn = ymap_get(rsn, "rpki");

	if (!r->tag_is_large && !r->tag_std) {
		r->tag_is_large = true;
		r->tag_large = (struct lcomm){k->c->rs.asn, 6811, 2};
	}
	for (unsigned i = 0; i < r->n_caches; i++)
		for (unsigned j = 0; j < i; j++)
			if (r->caches[i].host && r->caches[j].host &&
			    !strcmp(r->caches[i].host, r->caches[j].host) &&
			    r->caches[i].port == r->caches[j].port)
				diag_err(k->d, yseq_item(ymap_get(rn, "caches"), i) ?
						 yseq_item(ymap_get(rn, "caches"), i) : rn,
					 "duplicate cache %s:%u", r->caches[i].host,
					 r->caches[i].port);
	if (rn && !r->n_caches && ymap_get(rn, "caches"))
		diag_err(k->d, at(rn, "caches"), "rpki needs at least one cache");
}

/* ------------------------------------------------------------ peers */

/* Duplicate names and addresses, found by sorting indices (so that
 * checking N peers costs N log N, not N squared): for each peer, the
 * first earlier peer with its name (dup_name) or address (dup_addr), or
 * UINT32_MAX. */
struct dup_index {
	const struct conf_peer *peers;
	uint32_t *dup_name, *dup_addr;
	bool names; /* the key of the sort under way */
};

static bool same_key(const struct conf_peer *x, const struct conf_peer *y,
		     bool names)
{
	return names ? !strcmp(x->name, y->name)
		     : addr_eq(&x->address, &y->address);
}

/* Order of indices by key (name or address), then by index. */
static int by_key(const void *a, const void *b, void *arg)
{
	const struct dup_index *dx = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	const struct conf_peer *x = &dx->peers[i], *y = &dx->peers[j];
	int c;

	if (dx->names)
		c = strcmp(x->name, y->name);
	else if (!(c = x->address.afi - y->address.afi))
		c = memcmp(x->address.b, y->address.b, sizeof(x->address.b));
	return c ? c : (i > j) - (i < j);
}

/* Sort the indices of the peers that have a name (or an address): in
 * each run of one key, every peer after the first points at the first. */
static void dup_pass(struct dup_index *dx, unsigned n, bool names,
		     uint32_t *idx, uint32_t *dup)
{
	const struct conf_peer *peers = dx->peers;
	unsigned m = 0;

	for (unsigned i = 0; i < n; i++) {
		dup[i] = UINT32_MAX;
		if (names ? peers[i].name != NULL : peers[i].address.afi != 0)
			idx[m++] = i;
	}
	dx->names = names;
	qsort_r(idx, m, sizeof(*idx), by_key, dx);
	for (unsigned j = 1, first = 0; j < m; j++) {
		if (same_key(&peers[idx[first]], &peers[idx[j]], names))
			dup[idx[j]] = idx[first];
		else
			first = j;
	}
}

static void check_peer_dups(struct checker *k, const struct ynode *seq,
			    unsigned i, const struct dup_index *dx)
{
	const struct conf_peer *p = &k->c->rs.peers[i];
	const struct ynode *pn = yseq_item(seq, i);

	if (dx->dup_name[i] != UINT32_MAX)
		diag_err(k->d, at(pn, "name"),
			 "duplicate peer name '%s' (first at line %u)",
			 p->name, k->c->rs.peers[dx->dup_name[i]].line);
	if (dx->dup_addr[i] != UINT32_MAX) {
		const struct conf_peer *o = &k->c->rs.peers[dx->dup_addr[i]];
		char a[ADDR_STRLEN];
		diag_err(k->d, at(pn, "address"),
			 "duplicate peer address %s (peer '%s' at line %u)",
			 addr_fmt(&p->address, a, sizeof(a)),
			 o->name ? o->name : "?", o->line);
	}
}

/* BFD authentication (RFC 5880 6.7.4): keyed SHA1 needs a key of 1 to
 * 20 bytes from password_file; a key without auth is an error too. */
static void check_bfd_auth(struct checker *k, struct conf_peer *p,
			   const struct ynode *bn)
{
	struct conf_bfd *b = &p->bfd;

	if (!b->auth && !b->password_file)
		return;
	if (!b->password_file) {
		diag_err(k->d, at(bn, "auth"),
			 "bfd auth %s needs a password_file",
			 b->auth == 1 ? "keyed-sha1" : "meticulous-keyed-sha1");
		return;
	}
	if (!b->auth) {
		diag_err(k->d, at(bn, "password_file"),
			 "bfd password_file without auth (keyed-sha1 or "
			 "meticulous-keyed-sha1)");
		return;
	}
	b->password = read_secret(k, at(bn, "password_file"), "password_file",
				  b->password_file);
	if (b->password && strlen(b->password) > 20)
		diag_err(k->d, at(bn, "password_file"),
			 "password in '%s' is longer than 20 bytes (the keyed "
			 "SHA1 limit)", b->password_file);
}

static void check_peer(struct checker *k, const struct ynode *seq, unsigned i,
		       const struct dup_index *dx)
{
	struct conf_rs *rs = &k->c->rs;
	struct conf_peer *p = &rs->peers[i];
	const struct ynode *pn = yseq_item(seq, i);

	check_peer_dups(k, seq, i, dx);
	if (p->asn && p->asn == rs->asn)
		diag_err(k->d, at(pn, "asn"),
			 "peer asn %u equals the local ASN: only eBGP peers are supported",
			 p->asn);
	if (p->password_file) {
		p->password = read_secret(k, at(pn, "password_file"),
					  "password_file", p->password_file);
		if (p->password && strlen(p->password) > TCP_MD5_MAXKEY)
			diag_err(k->d, at(pn, "password_file"),
				 "password in '%s' is longer than %u bytes (the TCP MD5 limit)",
				 p->password_file, TCP_MD5_MAXKEY);
	}
	check_bfd_auth(k, p, ymap_get(pn, "bfd"));
	/* A hold time given without a keepalive gets a third of it. */
	if (p->hold_time && !p->keepalive && !ymap_get(pn, "keepalive"))
		p->keepalive = p->hold_time / 3;
	if (p->hold_time || p->keepalive)
		check_timers(k, at(pn, "hold_time"), at(pn, "keepalive"),
			     p->hold_time ? p->hold_time : rs->hold_time,
			     p->keepalive ? p->keepalive : rs->keepalive);
	fill_prepend(&k->c->rs, p->import, p->n_import);
	fill_prepend(&k->c->rs, p->export, p->n_export);
	check_rules(k, p, p->import, p->n_import, ymap_get(pn, "import"), true);
	check_rules(k, p, p->export, p->n_export, ymap_get(pn, "export"),
		    false);
}

static void check_rs(struct checker *k, const struct ynode *rsn)
{
	struct conf_rs *rs = &k->c->rs;
	const struct ynode *peers = ymap_get(rsn, "peers");
	unsigned n = rs->n_peers;
	struct dup_index dx;
	uint32_t *idx;

	if (!rs->router_id.afi) {
		for (unsigned i = 0; i < rs->n_listen; i++) {
			if (rs->listen[i].afi == AFI_IPV4) {
				rs->router_id = rs->listen[i];
				break;
			}
		}
		if (!rs->router_id.afi && !ymap_get(rsn, "router_id"))
			diag_err(k->d, rsn ? rsn : &top_of_file,
				 "route_server needs a router_id (or an IPv4 listen address to take it from)");
	} else if (rs->router_id.afi != AFI_IPV4) {
		diag_err(k->d, at(rsn, "router_id"),
			 "router_id must be an IPv4 address");
	}
	if (rs->router_id.afi == AFI_IPV4 &&
	    !memcmp(rs->router_id.b, "\0\0\0\0", 4))
		diag_err(k->d, ymap_get(rsn, "router_id") ? at(rsn, "router_id") : rsn,
			 "router_id 0.0.0.0 is not a valid BGP identifier");
	/* A hold time given without a keepalive gets a third of it. */
	if (ymap_get(rsn, "hold_time") && !ymap_get(rsn, "keepalive"))
		rs->keepalive = rs->hold_time / 3;
	check_timers(k, at(rsn, "hold_time"), at(rsn, "keepalive"),
		     rs->hold_time, rs->keepalive);
	check_rpki(k, rsn);
	dx.peers = rs->peers;
	dx.dup_name = calloc(n ? n : 1, sizeof(uint32_t));
	dx.dup_addr = calloc(n ? n : 1, sizeof(uint32_t));
	idx = calloc(n ? n : 1, sizeof(uint32_t));
	if (!dx.dup_name || !dx.dup_addr || !idx)
		abort(); /* as conf's other allocations */
	dup_pass(&dx, n, true, idx, dx.dup_name);
	dup_pass(&dx, n, false, idx, dx.dup_addr);
	for (unsigned i = 0; i < n; i++)
		check_peer(k, peers, i, &dx);
	free(idx);
	free(dx.dup_name);
	free(dx.dup_addr);
}

/* -------------------------------------------------------------- api */

/* A path pharosd will write to: the directory of a file (file) or the
 * directory itself must exist, else a warning says what will be lost.
 * Paths are taken as pharosd will open them (relative to its working
 * directory). */
static void check_dir(struct checker *k, const struct ynode *n,
		      const char *key, const char *path, bool file)
{
	char dir[4096];
	struct stat st;

	if (!path || !*path || k->d->no_files)
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	if (file) {
		char *slash = strrchr(dir, '/');

		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			dir[1] = 0;
		else
			*slash = 0;
	}
	if (stat(dir, &st) < 0)
		diag_warn(k->d, n, "%s '%s': directory '%s' does not exist (%s): "
			  "nothing will be written there", key, path, dir,
			  strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		diag_warn(k->d, n, "%s '%s': '%s' is not a directory: nothing "
			  "will be written there", key, path, dir);
}

/* A PEM file (certificate chain or key), whole. NULL after reporting. */
static char *read_pem(struct checker *k, const struct ynode *n,
		      const char *key, const char *file)
{
	char path[4096], *text = NULL;
	size_t len = 0, got;
	char buf[8192];
	FILE *f, *mem;

	if (k->d->no_files)
		return conf_strdup("-----BEGIN (not read)-----");
	if (file[0] != '/' && k->basedir)
		snprintf(path, sizeof(path), "%s/%s", k->basedir, file);
	else
		snprintf(path, sizeof(path), "%s", file);
	f = fopen(path, "r");
	if (!f) {
		diag_err(k->d, n, "cannot read %s '%s': %s", key, file,
			 strerror(errno));
		return NULL;
	}
	mem = open_memstream(&text, &len);
	while (mem && len < (1u << 20) && (got = fread(buf, 1, sizeof(buf), f)))
		fwrite(buf, 1, got, mem);
	fclose(f);
	if (!mem)
		abort();
	fclose(mem);
	if (!strstr(text, "-----BEGIN ")) {
		diag_err(k->d, n, "%s '%s' is not a PEM file", key, file);
		free(text);
		return NULL;
	}
	return text;
}

/* api.tls_cert and api.tls_key go together; api.agent_token_file must
 * differ from the admin token. */
static void check_api_tls(struct checker *k, const struct ynode *an)
{
	struct conf_api *api = &k->c->api;

	if (!api->tls_cert != !api->tls_key)
		diag_err(k->d, at(an, api->tls_cert ? "tls_cert" : "tls_key"),
			 "api.tls_cert and api.tls_key go together");
	if (api->tls_cert && api->tls_key) {
		api->tls_cert_pem = read_pem(k, at(an, "tls_cert"), "tls_cert",
					     api->tls_cert);
		api->tls_key_pem = read_pem(k, at(an, "tls_key"), "tls_key",
					    api->tls_key);
	}
	if (api->agent_token_file)
		api->agent_token = read_secret(k, at(an, "agent_token_file"),
					       "agent_token_file",
					       api->agent_token_file);
	if (api->agent_token && api->token &&
	    !strcmp(api->agent_token, api->token))
		diag_err(k->d, at(an, "agent_token_file"),
			 "agent_token_file holds the admin token: agents need a token of their own");
}

static void check_api(struct checker *k, const struct ynode *an)
{
	struct conf_api *api = &k->c->api;
	const char *l = api->listen;
	const char *colon = l ? strrchr(l, ':') : NULL;
	char host[64];
	struct addr a;
	bool ok = false;

	if (colon && colon > l && (size_t)(colon - l) < sizeof(host)) {
		char *end;
		unsigned long port = strtoul(colon + 1, &end, 10);
		memcpy(host, l, (size_t)(colon - l));
		host[colon - l] = 0;
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = 0;
		} else if (strchr(host, ':')) {
			host[0] = 0; /* IPv6 needs brackets */
		}
		ok = colon[1] && !*end && port >= 1 && port <= 65535 &&
		     addr_parse(host, &a) == 0;
	}
	if (!ok)
		diag_err(k->d, at(an, "listen"),
			 "bad listen address '%s' for the api (expected ADDRESS:PORT, [IPv6]:PORT)",
			 l ? l : "");
	if (api->token_file)
		api->token = read_secret(k, at(an, "token_file"), "token_file",
					 api->token_file);
	check_dir(k, at(an, "events_file"), "events_file", api->events_file,
		  true);
	check_dir(k, at(an, "mrt_dir"), "mrt_dir", api->mrt_dir, false);
	check_api_tls(k, an);
}

/* ----------------------------------------------------------- entry */

void conf_check(struct conf *c, const struct ynode *root, const char *basedir,
		struct conf_diag *d)
{
	struct checker k = {.c = c, .d = d, .basedir = basedir};

	check_rs(&k, ymap_get(root, "route_server"));
	check_api(&k, ymap_get(root, "api"));
	conf_check_fabric(c, ymap_get(root, "fabric"), d);
	conf_martians(c, ymap_get(root, "route_server"), d);
	conf_check_drills(c, ymap_get(root, "route_server"), basedir, d);
	conf_check_local(c, ymap_get(root, "route_server"), d);
	conf_publish(c, ymap_get(ymap_get(root, "fabric"), "publish"), basedir,
		     d);
}
