/*
 * reload.c - apply a new configuration to the running daemon (see
 * reload.h): validate, refuse what needs a restart, then diff peer by
 * peer and route-server-wide, swap the struct conf and free the old one.
 *
 * Everything that pointed into the old struct conf (each peer's cf and
 * name, the originated prefixes of the export config) is re-pointed
 * before the old one is freed; the exporter and the RIB keep copies.
 */
#include "daemon/reload.h"
#include "daemon/drill_sched.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "session/fsm.h"
#include "session/import.h"
#include "session/gr.h"
#include "session/bfd_session.h"
#include "session/peer.h"
#include "fabric/live.h"
#include "bmp/bmp.h"
#include "policy/policy.h"

/* The peers of one reload, by outcome (names, for the reply). */
struct reload_sum {
	json_t *reset, *added, *removed, *unchanged, *updated;
	json_t *why; /* peer name -> why its session is reset */
	const struct conf_rs *nrs; /* the new route_server section */
	bool martians; /* route_server.martians changed */
};

/* ------------------------------------------------------ validation */

static bool addrs_equal(const struct addr *a, unsigned na,
			const struct addr *b, unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if (!addr_eq(&a[i], &b[i]))
			return false;
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

const char *reload_restart_needed(const struct conf *old,
				  const struct conf *nc)
{
	if (old->rs.asn != nc->rs.asn)
		return "route_server.asn changed: restart pharosd to apply it";
	if (!addr_eq(&old->rs.router_id, &nc->rs.router_id))
		return "route_server.router_id changed: restart pharosd to apply it";
	if (!addrs_equal(old->rs.listen, old->rs.n_listen, nc->rs.listen,
			 nc->rs.n_listen))
		return "route_server.listen changed: restart pharosd to apply it";
	if (old->rs.port != nc->rs.port)
		return "route_server.port changed: restart pharosd to apply it";
	if (!str_eq(old->api.listen, nc->api.listen))
		return "api.listen changed: restart pharosd to apply it";
	if (!conf_rpki_equal(&old->rs.rpki, &nc->rs.rpki))
		return "route_server.rpki changed: restart pharosd to apply it";
	if (!conf_local_equal(&old->rs, &nc->rs))
		return "route_server.aggregates or originate changed: restart pharosd to apply it";
	return NULL;
}

/* Load path, collecting error lines (warnings are only logged). */
static struct conf *load_new(struct daemon *d, const char *path, json_t *errs,
			     json_t *warns)
{
	char *text = NULL, *save = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	struct conf *nc;

	if (!mem)
		return NULL;
	nc = conf_load(path, mem);
	fclose(mem);
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, ": warning: ")) {
			log_warn(&d->log, NULL, "reload: %s", line);
			json_array_append_new(warns, json_string(line));
			continue;
		}
		log_err(&d->log, NULL, "reload: %s", line);
		json_array_append_new(errs, json_string(line));
	}
	free(text);
	return nc;
}

/* ------------------------------------------------------ peers */

static uint16_t eff_hold(const struct conf *c, const struct conf_peer *cf)
{
	return cf->hold_time ? cf->hold_time : c->rs.hold_time;
}

static uint16_t eff_keepalive(const struct conf *c, const struct conf_peer *cf)
{
	return cf->keepalive ? cf->keepalive : c->rs.keepalive;
}

/* Why the session of a peer (a as running, b as in the new file) must be
 * reset; NULL when it may stay. */
static const char *reset_reason(const struct conf *old,
				const struct conf_peer *a,
				const struct conf *nc,
				const struct conf_peer *b)
{
	if (!addr_eq(&a->address, &b->address))
		return "address changed";
	if (a->asn != b->asn)
		return "asn changed";
	if (a->kind != b->kind)
		return "kind changed";
	if (!str_eq(a->password_file, b->password_file) ||
	    !str_eq(a->password, b->password))
		return "TCP MD5 password changed";
	if (a->passive != b->passive || a->port != b->port ||
	    a->multihop != b->multihop)
		return "connection settings changed (passive, port or multihop)";
	if (eff_hold(old, a) != eff_hold(nc, b))
		return "hold time changed";
	if (eff_keepalive(old, a) != eff_keepalive(nc, b))
		return "keepalive changed";
	if (!conf_peer_equal(a, b))
		return "session settings changed";
	return NULL;
}

static bool needs_reset(const struct conf *old, const struct conf_peer *a,
			const struct conf *nc, const struct conf_peer *b)
{
	return reset_reason(old, a, nc, b) != NULL;
}

/* TCP MD5 keys on the listeners for a peer address (NULL/empty: delete). */
static void listener_md5(struct daemon *d, const struct addr *a,
			 const char *password)
{
	struct tcp_md5sig md5;
	size_t len = password ? strlen(password) : 0;

	if (len > TCP_MD5SIG_MAXKEYLEN)
		return;
	memset(&md5, 0, sizeof(md5));
	if (a->afi == AFI_IPV6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&md5.tcpm_addr;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->b, 16);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&md5.tcpm_addr;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->b, 4);
	}
	md5.tcpm_keylen = (uint16_t)len;
	memcpy(md5.tcpm_key, password ? password : "", len);
	for (unsigned i = 0; i < d->sess.n_listeners; i++)
		if (d->sess.listeners[i].addr.afi == a->afi)
			setsockopt(d->sess.listeners[i].fd, IPPROTO_TCP, TCP_MD5SIG,
				   &md5, sizeof(md5));
}

static int by_rib_set(struct daemon *d, uint32_t id, struct peer *p)
{
	if (id >= d->sess.n_by_rib) {
		uint32_t n = id + 16;
		struct peer **nb = realloc(d->sess.by_rib, n * sizeof(*nb));
		if (!nb)
			return -1;
		memset(nb + d->sess.n_by_rib, 0, (n - d->sess.n_by_rib) * sizeof(*nb));
		d->sess.by_rib = nb;
		d->sess.n_by_rib = n;
	}
	d->sess.by_rib[id] = p;
	return 0;
}

static int peer_register(struct daemon *d, struct peer *p)
{
	struct rib_peer rp = {.addr = p->cf->address, .asn = p->cf->asn,
			      .kind = p->cf->kind};

	p->rib_id = rib_peer_add(d->rib, &rp);
	return by_rib_set(d, p->rib_id, p);
}

static struct peer *peer_new(struct daemon *d, const struct conf_peer *cf)
{
	struct peer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->s = &d->sess;
	p->cf = cf;
	p->name = cf->name;
	p->disabled = cf->disabled;
	p->refused = refused_new(d->rib);
	p->backoff = FSM_RETRY_MIN;
	if (!p->refused || peer_register(d, p) < 0) {
		refused_free(p->refused);
		free(p);
		return NULL;
	}
	if (cf->password)
		listener_md5(d, &cf->address, cf->password);
	return p;
}

/* Shut a removed peer down and free it. */
static void peer_remove(struct daemon *d, struct peer *p)
{
	struct bgp_notify n;

	memset(&n, 0, sizeof(n));
	p->disabled = true;
	ev_timer_stop(d->loop, &p->retry);
	bgp_notify_shutdown(&n, BGP_CEASE_PEER_DECONFIGURED,
			    "peer removed from the configuration");
	if (p->conn[0] || p->conn[1])
		fsm_peer_reset(p, &n);
	gr_flush(p, "peer removed");
	bfd_peer_stop(p);
	log_info(&d->log, p->name, "removed by reload");
	if (p->cf->password)
		listener_md5(d, &p->cf->address, NULL);
	rib_peer_remove(d->rib, p->rib_id);
	if (p->rib_id < d->sess.n_by_rib)
		d->sess.by_rib[p->rib_id] = NULL;
	ev_timer_stop(d->loop, &p->retry);
	refused_free(p->refused);
	free(p);
}

/* Session settings changed: reset, take the new settings, restart. */
static void peer_reset_to(struct daemon *d, struct peer *p,
			  const struct conf_peer *cf)
{
	bool was_disabled = p->disabled;
	bool rib_changed = !addr_eq(&p->cf->address, &cf->address) ||
			   p->cf->asn != cf->asn || p->cf->kind != cf->kind;
	struct bgp_notify n;

	memset(&n, 0, sizeof(n));
	p->disabled = true; /* no reconnect with the old settings */
	ev_timer_stop(d->loop, &p->retry);
	bgp_notify_shutdown(&n, BGP_CEASE_ADMIN_RESET,
			    "configuration changed: session reset");
	if (p->conn[0] || p->conn[1])
		fsm_peer_reset(p, &n);
	gr_flush(p, "configuration changed");
	if (p->cf->password && (!cf->password ||
				!addr_eq(&p->cf->address, &cf->address)))
		listener_md5(d, &p->cf->address, NULL);
	if (rib_changed) {
		rib_peer_remove(d->rib, p->rib_id);
		if (p->rib_id < d->sess.n_by_rib)
			d->sess.by_rib[p->rib_id] = NULL;
	}
	p->cf = cf;
	p->name = cf->name;
	if (rib_changed && peer_register(d, p) < 0)
		log_err(&d->log, p->name, "reload: out of memory");
	if (cf->password)
		listener_md5(d, &cf->address, cf->password);
	p->disabled = was_disabled;
	p->maxpfx_wait = false;
	p->maxpfx_streak = 0;
	p->backoff = FSM_RETRY_MIN;
	log_info(&d->log, p->name, "session settings changed: reset");
}

/* ------------------------------------------------------ soft changes */

struct reeval {
	const struct conf_peer *cf;
	const struct conf_rs *rs;
	size_t martians;
	struct refused_route *v; /* now refused: prefix, attributes (a
				  * reference), why */
	size_t n, cap;
};

static int reeval_cb(const struct rentry *e, const struct rpath *rp, void *arg)
{
	struct reeval *r = arg;
	struct bgp_attrs a;
	uint8_t why = 0;
	int k = -1;

	rattr_to_bgp(rp->attr, &a);
	if (policy_is_default(&e->prefix) && !r->cf->accept_default) {
		why = REFUSED_DEFAULT;
	} else if (policy_martian(r->rs, &e->prefix, r->cf->accept_default) != -1) {
		why = REFUSED_MARTIAN;
		r->martians++;
	} else if (r->cf->n_import) {
		k = policy_match(r->cf->import, r->cf->n_import, &e->prefix, &a);
		if (k >= 0 && r->cf->import[k].action == POL_DENY)
			why = REFUSED_RULE;
	}
	if (!why)
		return 0;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 64;
		struct refused_route *nv = realloc(r->v, nc * sizeof(*nv));
		if (!nv)
			return 1;
		r->v = nv;
		r->cap = nc;
	}
	/* The RIB holds the attributes after the old policy: they are what
	 * is kept (the ones received are not kept for accepted routes). */
	r->v[r->n] = (struct refused_route){.pfx = e->prefix,
					    .attr = rp->attr, .why = why,
					    .rule = (int16_t)(why == REFUSED_RULE ? k : -1)};
	rattr_ref(rp->attr);
	r->n++;
	return 0;
}

static void import_changed(struct daemon *d, struct peer *p,
			   const struct conf_rs *nrs)
{
	struct reeval r = {.cf = p->cf, .rs = nrs};
	char err[128];
	size_t back;

	rib_walk_peer(d->rib, p->rib_id, reeval_cb, &r);
	/* Routes kept as refused first (those just refused are not yet),
	 * then the accepted ones the new policy refuses. */
	back = import_reconsider(p, nrs);
	for (size_t i = 0; i < r.n; i++) {
		rib_withdraw(d->rib, p->rib_id, &r.v[i].pfx);
		refused_put(p->refused, &r.v[i].pfx,
			    p->cf->keep_refused ? r.v[i].attr : NULL,
			    r.v[i].why, r.v[i].rule);
		rattr_unref(d->rib, r.v[i].attr);
	}
	p->martian_refused += r.martians;
	p->policy_refused += r.n - r.martians;
	free(r.v);
	if (back)
		log_info(&d->log, p->name, "import policy changed: %zu routes "
			 "refused before are accepted now", back);
	if (p->cf->keep_refused && p->est) {
		log_info(&d->log, p->name, "import policy changed: %zu routes "
			 "now refused; the routes kept as refused were checked "
			 "again (keep_refused)", r.n);
	} else if (p->est && p->est->open.route_refresh) {
		peer_refresh(p, err, sizeof(err));
		log_info(&d->log, p->name, "import policy changed: %zu routes "
			 "now refused, route refresh requested", r.n);
	} else if (p->est) {
		log_warn(&d->log, p->name, "import policy changed: %zu routes "
			 "now refused; the peer does not support route refresh, "
			 "routes it sent before stay as they were", r.n);
	}
	daemon_kick(d);
}

struct denied {
	const struct conf_peer *cf;
	struct prefix *pfx;
	size_t n, cap;
};

/* Prefixes the peer has that its new export rules deny. */
static int denied_cb(const struct prefix *pfx, const struct rattr *ra,
		     void *arg)
{
	struct denied *x = arg;
	struct bgp_attrs a;
	int k;

	rattr_to_bgp(ra, &a);
	k = policy_match(x->cf->export, x->cf->n_export, pfx, &a);
	if (k < 0 || x->cf->export[k].action != POL_DENY)
		return 0;
	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 64;
		struct prefix *np = realloc(x->pfx, nc * sizeof(*np));
		if (!np)
			return 1;
		x->pfx = np;
		x->cap = nc;
	}
	x->pfx[x->n++] = *pfx;
	return 0;
}

/* Withdraw those prefixes of afi from the peer, UPDATE by UPDATE. */
static void send_withdrawals(struct peer *p, const struct denied *x,
			     uint16_t afi)
{
	struct bgp_update_builder b;
	uint8_t buf[BGP_MAX_LEN];
	bool open = false;

	for (size_t i = 0; i < x->n; i++) {
		if (x->pfx[i].afi != afi)
			continue;
		if (!open && bgp_update_begin_withdraw(&b, buf, sizeof(buf), afi) < 0)
			return;
		open = true;
		if (bgp_update_add(&b, &x->pfx[i]) < 0) {
			conn_send_bytes(p->est, buf, bgp_update_finish(&b));
			if (bgp_update_begin_withdraw(&b, buf, sizeof(buf), afi) < 0 ||
			    bgp_update_add(&b, &x->pfx[i]) < 0)
				return;
		}
	}
	if (open)
		conn_send_bytes(p->est, buf, bgp_update_finish(&b));
}

/*
 * Export policy changed: prefixes the new rules deny are withdrawn now,
 * then the peer joins the group of its new rules, which sends its new
 * adj-RIB-out again.
 */
static void export_changed(struct daemon *d, struct peer *p)
{
	struct export_peer ep;
	struct denied x = {.cf = p->cf};

	if (!p->export_up || !p->est)
		return;
	export_walk_peer(d->ex, p->rib_id, denied_cb, &x);
	send_withdrawals(p, &x, AFI_IPV4);
	send_withdrawals(p, &x, AFI_IPV6);
	if (x.n)
		log_info(&d->log, p->name, "export policy changed: %zu prefixes "
			 "withdrawn", x.n);
	free(x.pfx);
	memset(&ep, 0, sizeof(ep));
	ep.rib_peer = p->rib_id;
	ep.kind = p->cf->kind;
	ep.asn = p->cf->asn;
	ep.caps = p->est->caps;
	ep.addpath_max = p->cf->add_path_max ? p->cf->add_path_max
					     : d->conf->rs.max_paths;
	ep.afi_v4 = p->afi_v4;
	ep.afi_v6 = p->afi_v6;
	ep.export_rules = p->cf->export;
	ep.n_export_rules = p->cf->n_export;
	ep.local_mask = conf_originate_mask(d->conf, p->cf->name);
	ep.send = peer_export_send;
	ep.fits = peer_export_fits;
	ep.oversize = peer_export_oversize;
	ep.ctx = p;
	p->export_paused = false;
	export_peer_up(d->ex, &ep); /* leaves the old group, dumps again */
	log_info(&d->log, p->name, "export policy changed: adj-RIB-out re-sent");
	daemon_kick(d);
}

/* Same session settings: keep the session, apply limits and policy. */
/* What changed of a peer whose session stays. */
static void soft_changes(const struct conf_peer *old,
			 const struct conf_peer *cf, bool *imp, bool *exp,
			 bool *lim)
{
	*imp = old->accept_default != cf->accept_default ||
	       !pol_rules_equal(old->import, old->n_import, cf->import,
				cf->n_import);
	*exp = !pol_rules_equal(old->export, old->n_export, cf->export,
				cf->n_export);
	*lim = old->max_prefixes != cf->max_prefixes ||
	       old->disabled != cf->disabled ||
	       (old->description == NULL) != (cf->description == NULL) ||
	       (old->description && strcmp(old->description, cf->description));
}

/* disabled: changed in the file: disable or enable the peer as the
 * operator would (an admin state set over the API is left alone while
 * the file does not change it). */
static void admin_apply(struct peer *p, bool was_off,
			const struct conf_peer *cf)
{
	char err[128];

	if (was_off == cf->disabled)
		return;
	if (cf->disabled)
		peer_disable(p, "disabled in the configuration", err,
			     sizeof(err));
	else
		peer_enable(p, err, sizeof(err));
}

static void peer_soft(struct daemon *d, struct peer *p,
		      const struct conf_peer *cf, struct reload_sum *s)
{
	const struct conf_peer *old = p->cf;
	bool imp, exp, lim;

	soft_changes(old, cf, &imp, &exp, &lim);
	imp |= s->martians; /* held routes are checked again */

	p->cf = cf;
	p->name = cf->name;
	if (!imp && !exp && !lim) {
		json_array_append_new(s->unchanged, json_string(cf->name));
		return;
	}
	json_array_append_new(s->updated, json_string(cf->name));
	if (imp)
		import_changed(d, p, s->nrs);
	if (exp)
		export_changed(d, p);
	if (lim && cf->max_prefixes && p->est &&
	    rib_peer_count(d->rib, p->rib_id) > cf->max_prefixes)
		fsm_max_prefix(p, AFI_IPV4);
}

/* Diff the peers; fills the new peer array. Returns -1 on no memory. */
static int peers_apply(struct daemon *d, const struct conf *nc,
		       struct reload_sum *s)
{
	struct peer **np = calloc(nc->rs.n_peers ? nc->rs.n_peers : 1,
				  sizeof(*np));
	struct peer **start = calloc(nc->rs.n_peers ? nc->rs.n_peers : 1,
				     sizeof(*start));
	unsigned n_start = 0;
	bool was_off;

	if (!np || !start) {
		free(np);
		free(start);
		return -1;
	}
	for (unsigned i = 0; i < d->sess.n_peers; i++) {
		struct peer *p = d->sess.peers[i];
		const struct conf_peer *cf = conf_find_peer(nc, p->name);
		unsigned k = cf ? (unsigned)(cf - nc->rs.peers) : 0;

		if (!cf) {
			json_array_append_new(s->removed, json_string(p->name));
			peer_remove(d, p);
			continue;
		}
		np[k] = p;
		was_off = p->cf->disabled;
		if (needs_reset(d->conf, p->cf, nc, cf)) {
			json_array_append_new(s->reset, json_string(cf->name));
			json_object_set_new(s->why, cf->name,
					    json_string(reset_reason(d->conf, p->cf,
								     nc, cf)));
			peer_reset_to(d, p, cf);
			start[n_start++] = p;
		} else {
			peer_soft(d, p, cf, s);
		}
		admin_apply(p, was_off, cf);
	}
	for (unsigned k = 0; k < nc->rs.n_peers; k++) {
		if (np[k])
			continue;
		np[k] = peer_new(d, &nc->rs.peers[k]);
		if (!np[k]) {
			free(start);
			free(np);
			return -1;
		}
		json_array_append_new(s->added, json_string(np[k]->name));
		log_info(&d->log, np[k]->name, "added by reload");
		start[n_start++] = np[k];
	}
	free(d->sess.peers);
	d->sess.peers = np;
	d->sess.n_peers = nc->rs.n_peers;
	for (unsigned i = 0; i < n_start; i++)
		fsm_start(start[i]);
	free(start);
	return 0;
}

/* ------------------------------------------------------ route server */

/* Route-server-wide settings: what changed goes into changed ("decision",
 * "export"); it is applied unless check. */
/* route_server.bmp differs (the collectors are reconfigured after the
 * swap: bmp_configure). */
static bool bmp_changed(const struct conf_rs *o, const struct conf_rs *n)
{
	if (o->n_bmp != n->n_bmp)
		return true;
	for (unsigned i = 0; i < n->n_bmp; i++)
		if (!addr_eq(&o->bmp[i].address, &n->bmp[i].address) ||
		    o->bmp[i].port != n->bmp[i].port ||
		    o->bmp[i].stats_s != n->bmp[i].stats_s ||
		    o->bmp[i].max_queue_kb != n->bmp[i].max_queue_kb)
			return true;
	return false;
}

static void rs_apply(struct daemon *d, const struct conf *nc, json_t *changed,
		     bool check)
{
	const struct conf_rs *o = &d->conf->rs, *n = &nc->rs;
	unsigned n_orig = 0;
	struct prefix *orig = conf_originated(nc, &n_orig);
	bool orig_same = orig && n_orig == d->n_originated;
	bool decision, export;

	for (unsigned i = 0; orig_same && i < n_orig; i++)
		orig_same = prefix_eq(&orig[i], &d->originated[i]);
	decision = o->routing_pref != n->routing_pref ||
		   o->compare_med != n->compare_med || o->max_paths != n->max_paths;
	export = orig && (!orig_same || o->branch_to_branch != n->branch_to_branch ||
			  o->transparent_as != n->transparent_as);
	if (decision)
		json_array_append_new(changed, json_string("decision"));
	if (bmp_changed(o, n))
		json_array_append_new(changed, json_string("bmp"));
	if (export)
		json_array_append_new(changed, json_string("export"));
	if (check) {
		free(orig);
		return;
	}
	if (decision) {
		struct rib_config rc = {.local_asn = n->asn,
					.routing_pref = n->routing_pref,
					.compare_med = n->compare_med,
					.max_paths = n->max_paths ? n->max_paths : 8};
		rib_set_config(d->rib, &rc);
	}
	if (export) {
		free(d->originated);
		d->originated = orig;
		d->n_originated = n_orig;
		d->excfg.branch_to_branch = n->branch_to_branch;
		d->excfg.transparent_as = n->transparent_as;
		d->excfg.originated = d->originated;
		d->excfg.n_originated = n_orig;
		export_set_config(d->ex, &d->excfg);
		orig = NULL;
	}
	free(orig);
	daemon_kick(d);
}

/*
 * Install nc's contents in the daemon's struct conf (whose address the
 * rest of the daemon and main() hold) and free the old contents. Peers
 * already point into nc's arrays, which move over unchanged. The fabric is
 * rebuilt before the old contents go (it may point into them); pending
 * changes are handed to the old fabric first.
 */
static void swap_conf(struct daemon *d, struct conf *nc, json_t *changed)
{
	struct conf tmp, fa = {.fabric = d->conf->fabric},
			 fb = {.fabric = nc->fabric};
	char err[256];
	bool fab = fabric_live_fabric(d->fglue) != NULL && !conf_equal(&fa, &fb);

	if (fab)
		daemon_process_changes(d);
	tmp = *d->conf;
	*d->conf = *nc;
	*nc = tmp;
	if (fab && fabric_live_rebuild(d->fglue, d->conf, err, sizeof(err)) < 0)
		log_err(&d->log, NULL, "reload: fabric not rebuilt: %s", err);
	else if (fab)
		json_array_append_new(changed, json_string("fabric"));
	conf_free(nc);
}

/* ------------------------------------------------------ entry */

static json_t *failed(struct daemon *d, bool check, int *status,
		      const char *error, json_t *errs, json_t *warns)
{
	if (!check) {
		json_t *ev = json_pack("{s:s, s:O}", "result", "failed",
				       "errors", errs);

		events_emit_json(d->events, "reload", NULL, ev, error);
	}
	*status = 400;
	return json_pack("{s:s, s:b, s:s, s:o, s:o}", "result", "failed",
			 "check", check, "error", error, "errors", errs,
			 "warnings", warns);
}

/* ------------------------------------------------------ the plan */

/* What peers_apply would do, without doing it. */
static void peers_plan(struct daemon *d, const struct conf *nc,
		       struct reload_sum *s)
{
	for (unsigned i = 0; i < d->sess.n_peers; i++) {
		const struct peer *p = d->sess.peers[i];
		const struct conf_peer *cf = conf_find_peer(nc, p->name);
		const char *why;
		bool imp, exp, lim;

		if (!cf) {
			json_array_append_new(s->removed, json_string(p->name));
			continue;
		}
		why = reset_reason(d->conf, p->cf, nc, cf);
		if (why) {
			json_array_append_new(s->reset, json_string(cf->name));
			json_object_set_new(s->why, cf->name, json_string(why));
			continue;
		}
		soft_changes(p->cf, cf, &imp, &exp, &lim);
		imp |= s->martians;
		json_array_append_new(imp || exp || lim ? s->updated
							: s->unchanged,
				      json_string(cf->name));
	}
	for (unsigned k = 0; k < nc->rs.n_peers; k++)
		if (!session_peer_by_name(&d->sess, nc->rs.peers[k].name))
			json_array_append_new(s->added,
					      json_string(nc->rs.peers[k].name));
}

static json_t *peers_json(struct reload_sum *s)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "reset", s->reset,
			 "added", s->added, "removed", s->removed, "unchanged",
			 s->unchanged, "updated", s->updated, "reset_why",
			 s->why);
}

json_t *daemon_reload(struct daemon *d, bool check, int *status)
{
	json_t *errs = json_array(), *warns = json_array();
	struct reload_sum s = {json_array(), json_array(), json_array(),
			       json_array(), json_array(), json_object(),
			       NULL, false};
	json_t *changed = json_array(), *peers, *ev;
	struct conf *old = d->conf, *nc;
	const char *why;
	char reason[160];

	log_info(&d->log, NULL, "%s %s", check ? "checking" : "reloading",
		 old->path);
	nc = load_new(d, old->path, errs, warns);
	why = !nc ? "the new configuration has errors; the running one is kept"
		  : reload_restart_needed(old, nc);
	if (!nc || why) {
		/* A file with errors lists them; a valid one that needs a
		 * restart lists that reason. */
		bool restart = nc != NULL;
		conf_free(nc);
		json_decref(changed);
		json_decref(peers_json(&s));
		if (restart)
			json_array_append_new(errs, json_string(why));
		return failed(d, check, status, why, errs, warns);
	}
	json_decref(errs);
	s.nrs = &nc->rs;
	s.martians = d->conf->rs.n_martians != nc->rs.n_martians ||
		     memcmp(d->conf->rs.martians, nc->rs.martians,
			    nc->rs.n_martians * sizeof(*nc->rs.martians));
	if (check) {
		peers_plan(d, nc, &s);
		rs_apply(d, nc, changed, true);
		conf_free(nc);
		*status = 200;
		return json_pack("{s:s, s:b, s:o, s:o, s:o}", "result", "ok",
				 "check", true, "peers", peers_json(&s),
				 "rs_changed", changed, "warnings", warns);
	}
	if (peers_apply(d, nc, &s) < 0)
		log_err(&d->log, NULL, "reload: out of memory applying peers");
	rs_apply(d, nc, changed, false);
	swap_conf(d, nc, changed);
	bmp_configure(d->bmp);
	d->last_reload = ev_now(d->loop);
	if (drill_sched_apply(d) < 0)
		log_err(&d->log, NULL, "reload: out of memory for the drill schedules");
	peers = peers_json(&s);
	snprintf(reason, sizeof(reason),
		 "%zu reset, %zu added, %zu removed, %zu updated, %zu unchanged",
		 json_array_size(s.reset), json_array_size(s.added),
		 json_array_size(s.removed), json_array_size(s.updated),
		 json_array_size(s.unchanged));
	log_info(&d->log, NULL, "reload done: %s", reason);
	ev = json_pack("{s:s, s:O, s:O}", "result", "ok", "peers", peers,
		       "rs_changed", changed);
	events_emit_json(d->events, "reload", NULL, ev, reason);
	*status = 200;
	return json_pack("{s:s, s:b, s:o, s:o, s:o}", "result", "ok", "check",
			 false, "peers", peers, "rs_changed", changed,
			 "warnings", warns);
}
