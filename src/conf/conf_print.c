/*
 * conf_print.c - writing a conf back as YAML, comparing and freeing confs.
 *
 * conf_print() writes every value explicitly, in the order of DESIGN 4,
 * so `pharosd -p` shows what the daemon really runs with and the output
 * loads back into an equal conf (conf_equal). conf_peer_equal() tells the
 * daemon on reload whether a peer's session must be reset.
 */
#include "conf/conf_priv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>


static const char *const nh_names[] = {
	"VirtualAppliance", "VnetLocal", "Internet", "None",
	"VirtualNetworkGateway", "VNetPeering"};
static const char *const kind_names[] = {"nva", "vpn_gateway",
					 "expressroute_gateway"};
static const char *const pref_names[] = {"expressroute", "vpn", "aspath"};

const char *nh_type_name(uint8_t t)
{
	return t < sizeof(nh_names) / sizeof(nh_names[0]) ? nh_names[t] : "?";
}

const char *peer_kind_name(uint8_t k)
{
	return k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] :
								 "?";
}

const struct conf_peer *conf_find_peer(const struct conf *c, const char *name)
{
	for (unsigned i = 0; i < c->rs.n_peers; i++)
		if (c->rs.peers[i].name && !strcmp(c->rs.peers[i].name, name))
			return &c->rs.peers[i];
	return NULL;
}

/* ------------------------------------------------------------ print */

static bool plain_ok(const char *s)
{
	static const char *const reserved[] = {"true", "false", "null", "yes",
					       "no", "on", "off", "~", NULL};
	if (!*s || *s == '-')
		return false;
	for (unsigned i = 0; reserved[i]; i++)
		if (!strcasecmp(s, reserved[i]))
			return false;
	for (const char *p = s; *p; p++) {
		char ch = *p;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		      ch == '/' || ch == '-'))
			return false;
	}
	return true;
}

/* A string scalar: plain when safe, else double-quoted; NULL is null. */
static void put_str(FILE *o, const char *s)
{
	if (!s) {
		fputs("null", o);
		return;
	}
	if (plain_ok(s)) {
		fputs(s, o);
		return;
	}
	fputc('"', o);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(o, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(o, "\\x%02x", *p);
		else
			fputc(*p, o);
	}
	fputc('"', o);
}

static void put_addr(FILE *o, const struct addr *a)
{
	char buf[ADDR_STRLEN];
	put_str(o, addr_fmt(a, buf, sizeof(buf)));
}

static void put_prefix(FILE *o, const struct prefix *p)
{
	char buf[PREFIX_STRLEN];
	put_str(o, prefix_fmt(p, buf, sizeof(buf)));
}

static const char *b2s(bool b)
{
	return b ? "true" : "false";
}

static void put_comms(FILE *o, const char *key, const uint32_t *c, unsigned n,
		      bool *first)
{
	char buf[32];
	fprintf(o, "%s%s: [", *first ? "" : ", ", key);
	for (unsigned i = 0; i < n; i++) {
		fputs(i ? ", " : "", o);
		put_str(o, community_fmt(c[i], buf, sizeof(buf)));
	}
	fputc(']', o);
	*first = false;
}

static void put_lcomms(FILE *o, const char *key, const struct lcomm *c,
		       unsigned n, bool *first)
{
	char buf[40];
	fprintf(o, "%s%s: [", *first ? "" : ", ", key);
	for (unsigned i = 0; i < n; i++) {
		fputs(i ? ", " : "", o);
		put_str(o, lcomm_fmt(&c[i], buf, sizeof(buf)));
	}
	fputc(']', o);
	*first = false;
}

/* The match and set keys of large communities, RPKI and prepending. */
static void print_rule_match2(FILE *o, const struct pol_rule *r, bool *first)
{
	if (r->n_large)
		put_lcomms(o, "large_community", r->large, r->n_large, first);
	if (r->match_rpki) {
		fprintf(o, "%srpki: %s", *first ? "" : ", ",
			rpki_state_name(r->match_rpki));
		*first = false;
	}
}

static void print_rule_set2(FILE *o, const struct pol_rule *r, bool *first)
{
	if (r->n_add_large)
		put_lcomms(o, "add_large_communities", r->add_large,
			   r->n_add_large, first);
	if (r->n_remove_large)
		put_lcomms(o, "remove_large_communities", r->remove_large,
			   r->n_remove_large, first);
	if (r->replace_large)
		put_lcomms(o, "large_communities", r->set_large, r->n_set_large,
			   first);
	if (r->prepend_count) {
		fprintf(o, "%sas_path_prepend: {asn: %u, count: %u}",
			*first ? "" : ", ", r->prepend_asn, r->prepend_count);
		*first = false;
	}
}

static void print_rule(FILE *o, const struct pol_rule *r, const char *ind)
{
	char buf[128];
	bool first = true;

	fprintf(o, "%s- match: {", ind);
	if (r->n_prefixes) {
		fputs("prefix: [", o);
		for (unsigned i = 0; i < r->n_prefixes; i++) {
			fputs(i ? ", " : "", o);
			put_str(o, pol_prefix_fmt(&r->prefixes[i], buf, sizeof(buf)));
		}
		fputc(']', o);
		first = false;
	}
	if (r->as_path_contains) {
		fprintf(o, "%sas_path_contains: %u", first ? "" : ", ",
			r->as_path_contains);
		first = false;
	}
	if (r->origin_as) {
		fprintf(o, "%sorigin_as: %u", first ? "" : ", ", r->origin_as);
		first = false;
	}
	if (r->n_communities)
		put_comms(o, "community", r->communities, r->n_communities, &first);
	print_rule_match2(o, r, &first);
	fprintf(o, "}\n%s  action: %s\n%s  set: {", ind,
		r->action == POL_DENY ? "deny" : "allow", ind);
	first = true;
	if (r->set_local_pref) {
		fprintf(o, "local_pref: %u", r->local_pref);
		first = false;
	}
	if (r->set_med) {
		fprintf(o, "%smed: %u", first ? "" : ", ", r->med);
		first = false;
	}
	if (r->n_add_communities)
		put_comms(o, "add_communities", r->add_communities,
			  r->n_add_communities, &first);
	if (r->n_remove_communities)
		put_comms(o, "remove_communities", r->remove_communities,
			  r->n_remove_communities, &first);
	print_rule_set2(o, r, &first);
	fputs("}\n", o);
}

static void print_rules(FILE *o, const char *key, const struct pol_rule *r,
			unsigned n)
{
	fprintf(o, "      %s:%s\n", key, n ? "" : " []");
	for (unsigned i = 0; i < n; i++)
		print_rule(o, &r[i], "        ");
}

static void print_peer(FILE *o, const struct conf_peer *p)
{
	fputs("    - name: ", o);
	put_str(o, p->name);
	fprintf(o, "\n      kind: %s\n      address: ", peer_kind_name(p->kind));
	put_addr(o, &p->address);
	fprintf(o, "\n      asn: %u\n      description: ", p->asn);
	put_str(o, p->description);
	fprintf(o, "\n      disabled: %s\n      keep_refused: %s\n"
		   "      password_file: ", b2s(p->disabled),
		b2s(p->keep_refused));
	put_str(o, p->password_file);
	fprintf(o, "\n      max_prefixes: %u\n      accept_default: %s\n"
		   "      passive: %s\n      port: %u\n      multihop: %u\n"
		   "      hold_time: %u%s\n      keepalive: %u%s\n",
		p->max_prefixes, b2s(p->accept_default), b2s(p->passive),
		p->port, p->multihop, p->hold_time,
		p->hold_time ? "" : "  # 0: the route_server's value",
		p->keepalive, p->keepalive ? "" : "  # 0: the route_server's value");
	if (p->bfd.enabled) {
		fprintf(o, "      bfd: {min_rx_ms: %u, min_tx_ms: %u, multiplier: %u, "
			   "multihop: %s", p->bfd.min_rx_ms, p->bfd.min_tx_ms,
			p->bfd.multiplier, p->bfd.multihop == 2 ? "auto"
					   : b2s(p->bfd.multihop == 1));
		if (p->bfd.auth) {
			fprintf(o, ", auth: %s, key_id: %u, password_file: ",
				p->bfd.auth == 1 ? "keyed-sha1"
						 : "meticulous-keyed-sha1",
				p->bfd.key_id);
			put_str(o, p->bfd.password_file);
		}
		fputs("}\n", o);
	} else
		fputs("      bfd: false\n", o);
	if (p->add_path) {
		static const char *const ap[] = {"none", "receive", "send",
						 "both"};
		fprintf(o, "      add_path: %s\n", ap[p->add_path & 3]);
	}
	if (p->add_path_max)
		fprintf(o, "      add_path_max: %u\n", p->add_path_max);
	if (p->stateful)
		fputs("      stateful: true\n", o);
	if (p->sticky)
		fputs("      sticky: true\n", o);
	print_rules(o, "import", p->import, p->n_import);
	print_rules(o, "export", p->export, p->n_export);
}

static void print_drills(FILE *o, const struct conf_rs *rs)
{
	static const char *const kinds[] = {"peer-down", "nva-silent"};

	if (rs->state_dir) {
		fputs("  state_dir: ", o);
		put_str(o, rs->state_dir);
		fputs("\n", o);
	}
	if (rs->n_drills)
		fputs("  drills:\n", o);
	for (unsigned i = 0; i < rs->n_drills; i++) {
		const struct conf_drill *dr = &rs->drills[i];
		fputs("    - name: ", o);
		put_str(o, dr->name);
		fprintf(o, "\n      kind: %s\n      target: ", kinds[dr->kind % 2]);
		put_str(o, dr->target);
		if (dr->has_window)
			fprintf(o, "\n      window: \"%02u:%02u-%02u:%02u\"",
				dr->win_start / 60, dr->win_start % 60,
				dr->win_end / 60, dr->win_end % 60);
		else
			fprintf(o, "\n      every_s: %u", dr->every_s);
		fprintf(o, "\n      restore_after_s: %u\n", dr->restore_after_s);
		if (dr->expect) {
			fputs("      expect: ", o);
			put_str(o, dr->expect);
			fputs("\n", o);
		}
		fprintf(o, "      pass: %u\n", dr->pass);
	}
}

static void print_rpki(FILE *o, const struct conf_rpki *r)
{
	static const char *const inv[] = {"deny", "tag", "accept"};
	char buf[40];

	if (!r->n_caches)
		return;
	fputs("  rpki:\n    caches: [", o);
	for (unsigned i = 0; i < r->n_caches; i++) {
		bool v6 = r->caches[i].host && strchr(r->caches[i].host, ':');
		fprintf(o, "%s\"%s%s%s:%u\"", i ? ", " : "", v6 ? "[" : "",
			r->caches[i].host ? r->caches[i].host : "", v6 ? "]" : "",
			r->caches[i].port);
	}
	fprintf(o, "]\n    invalid: %s\n    refresh_s: %u\n    retry_s: %u\n"
		   "    expire_s: %u\n    tag_community: \"%s\"\n",
		r->invalid < 3 ? inv[r->invalid] : "?", r->refresh_s, r->retry_s,
		r->expire_s,
		r->tag_is_large ? lcomm_fmt(&r->tag_large, buf, sizeof(buf))
				: community_fmt(r->tag_std, buf, sizeof(buf)));
}

static void print_local(FILE *o, const struct conf_rs *rs)
{
	char buf[PREFIX_STRLEN];
	bool first;

	if (rs->n_aggregates)
		fputs("  aggregates:\n", o);
	for (unsigned i = 0; i < rs->n_aggregates; i++)
		fprintf(o, "    - {prefix: %s, summary_only: %s, as_set: %s}\n",
			prefix_fmt(&rs->aggregates[i].prefix, buf, sizeof(buf)),
			b2s(rs->aggregates[i].summary_only),
			b2s(rs->aggregates[i].as_set));
	if (rs->n_originate)
		fputs("  originate:\n", o);
	for (unsigned i = 0; i < rs->n_originate; i++) {
		const struct conf_originate *g = &rs->originate[i];
		fprintf(o, "    - prefix: %s\n",
			prefix_fmt(&g->prefix, buf, sizeof(buf)));
		if (g->next_hop.afi) {
			fputs("      next_hop: ", o);
			put_addr(o, &g->next_hop);
			fputc('\n', o);
		}
		if (g->n_communities) {
			first = true;
			fputs("      ", o);
			put_comms(o, "communities", g->communities,
				  g->n_communities, &first);
			fputc('\n', o);
		}
		if (g->n_large) {
			first = true;
			fputs("      ", o);
			put_lcomms(o, "large_communities", g->large, g->n_large,
				   &first);
			fputc('\n', o);
		}
		fputs("      to: [", o);
		for (unsigned j = 0; j < g->n_to; j++) {
			fputs(j ? ", " : "", o);
			put_str(o, g->to[j]);
		}
		fputs("]\n", o);
	}
}

static void print_rs(FILE *o, const struct conf_rs *rs)
{
	fprintf(o, "route_server:\n  asn: %u\n  router_id: ", rs->asn);
	put_addr(o, &rs->router_id);
	fputs("\n  listen: [", o);
	for (unsigned i = 0; i < rs->n_listen; i++) {
		fputs(i ? ", " : "", o);
		put_addr(o, &rs->listen[i]);
	}
	fprintf(o, "]\n  port: %u\n  hold_time: %u\n  keepalive: %u\n"
		   "  branch_to_branch: %s\n  routing_preference: %s\n"
		   "  transparent_as: %s\n  compare_med: %s\n  max_paths: %u\n"
		   "  restart_delay: %u\n  startup_hold_s: %u%s\n"
		   "  persist_routes_s: %u%s\n  peers:%s\n",
		rs->port, rs->hold_time, rs->keepalive,
		b2s(rs->branch_to_branch),
		rs->routing_pref < 3 ? pref_names[rs->routing_pref] : "?",
		b2s(rs->transparent_as), b2s(rs->compare_med), rs->max_paths,
		rs->restart_delay, rs->startup_hold_s,
		rs->startup_hold_s ? "" : "  # 0: off", rs->persist_routes_s,
		rs->persist_routes_s ? "" : "  # 0: off",
		rs->n_peers ? "" : " []");
	for (unsigned i = 0; i < rs->n_peers; i++)
		print_peer(o, &rs->peers[i]);
	/* the list in force, defaults included: it reads back as given */
	fputs("  martians: [", o);
	for (unsigned i = 0; i < rs->n_martians; i++) {
		char buf[PREFIX_STRLEN];
		fprintf(o, "%s%s", i ? ", " : "",
			prefix_fmt(&rs->martians[i], buf, sizeof(buf)));
	}
	fputs("]\n", o);
	conf_print_bmp(o, rs);
	print_drills(o, rs);
	print_rpki(o, &rs->rpki);
	print_local(o, rs);
}

static void print_api(FILE *o, const struct conf_api *a)
{
	fputs("api:\n  listen: ", o);
	put_str(o, a->listen);
	fputs("\n  token_file: ", o);
	put_str(o, a->token_file);
	fputs("\n  agent_token_file: ", o);
	put_str(o, a->agent_token_file);
	fputs("\n  tls_cert: ", o);
	put_str(o, a->tls_cert);
	fputs("\n  tls_key: ", o);
	put_str(o, a->tls_key);
	fputs("\n  events_file: ", o);
	put_str(o, a->events_file);
	fputs("\n  mrt_dir: ", o);
	put_str(o, a->mrt_dir);
	fprintf(o, "\n  mrt_interval: %u\n  mrt_updates: %s\n  route_jump_threshold: %u\n",
		a->mrt_interval, a->mrt_updates ? "true" : "false",
		a->route_jump_threshold);
}

static void print_vnet(FILE *o, const struct conf_vnet *v)
{
	fputs("    - name: ", o);
	put_str(o, v->name);
	fputs("\n      region: ", o);
	put_str(o, v->region);
	fprintf(o, "\n      hub: %s\n      address_space: [", b2s(v->hub));
	for (unsigned i = 0; i < v->n_address_space; i++) {
		fputs(i ? ", " : "", o);
		put_prefix(o, &v->address_space[i]);
	}
	fprintf(o, "]\n      subnets:%s\n", v->n_subnets ? "" : " []");
	for (unsigned i = 0; i < v->n_subnets; i++) {
		fputs("        - {name: ", o);
		put_str(o, v->subnets[i].name);
		fputs(", prefix: ", o);
		put_prefix(o, &v->subnets[i].prefix);
		fputs(", route_table: ", o);
		put_str(o, v->subnets[i].route_table);
		fputs("}\n", o);
	}
	fprintf(o, "      nics:%s\n", v->n_nics ? "" : " []");
	for (unsigned i = 0; i < v->n_nics; i++) {
		fputs("        - {name: ", o);
		put_str(o, v->nics[i].name);
		fputs(", subnet: ", o);
		put_str(o, v->nics[i].subnet);
		fputs(", ip: ", o);
		put_addr(o, &v->nics[i].ip);
		fputs("}\n", o);
	}
	fprintf(o, "      peerings:%s\n", v->n_peerings ? "" : " []");
	for (unsigned i = 0; i < v->n_peerings; i++) {
		const struct conf_peering *p = &v->peerings[i];
		fputs("        - {remote: ", o);
		put_str(o, p->remote);
		fprintf(o, ", use_remote_gateways: %s, allow_gateway_transit: %s}\n",
			b2s(p->use_remote_gateways), b2s(p->allow_gateway_transit));
	}
}

/* fabric.allow_external_next_hops and fabric.load_balancers */
static void print_next_hops(FILE *o, const struct conf_fabric *f)
{
	fprintf(o, "  allow_external_next_hops: %s\n  load_balancers:%s\n",
		b2s(f->allow_external_next_hops),
		f->n_load_balancers ? "" : " []");
	for (unsigned i = 0; i < f->n_load_balancers; i++) {
		const struct conf_lb *lb = &f->load_balancers[i];
		fputs("    - {name: ", o);
		put_str(o, lb->name);
		fputs(", vnet: ", o);
		put_str(o, lb->vnet);
		fputs(", frontend_ip: ", o);
		put_addr(o, &lb->frontend_ip);
		fputs(", backends: [", o);
		for (unsigned j = 0; j < lb->n_backends; j++) {
			fputs(j ? ", " : "", o);
			put_addr(o, &lb->backends[j]);
		}
		fprintf(o, "], health: %s}\n",
			lb->health == LB_DOWN ? "down" : "up");
	}
}

static void print_fabric(FILE *o, const struct conf_fabric *f)
{
	fprintf(o, "fabric:\n  vnets:%s\n", f->n_vnets ? "" : " []");
	for (unsigned i = 0; i < f->n_vnets; i++)
		print_vnet(o, &f->vnets[i]);
	fprintf(o, "  route_tables:%s\n", f->n_route_tables ? "" : " {}");
	for (unsigned i = 0; i < f->n_route_tables; i++) {
		const struct conf_route_table *rt = &f->route_tables[i];
		fputs("    ", o);
		put_str(o, rt->name);
		fprintf(o, ":\n      propagate_gateway_routes: %s\n      routes:%s\n",
			b2s(rt->propagate_gateway_routes),
			rt->n_routes ? "" : " []");
		for (unsigned j = 0; j < rt->n_routes; j++) {
			const struct conf_udr *u = &rt->routes[j];
			fputs("        - {prefix: ", o);
			put_prefix(o, &u->prefix);
			fprintf(o, ", next_hop_type: %s", nh_type_name(u->next_hop_type));
			if (u->next_hop_ip.afi) {
				fputs(", next_hop_ip: ", o);
				put_addr(o, &u->next_hop_ip);
			}
			fputs("}\n", o);
		}
	}
	if (f->n_stateful)
		fputs("  stateful:\n", o);
	for (unsigned i = 0; i < f->n_stateful; i++) {
		fputs("    - {ip: ", o);
		put_addr(o, &f->stateful[i].ip);
		fprintf(o, ", sticky: %s}\n", b2s(f->stateful[i].sticky));
	}
	if (f->n_regions)
		fputs("  regions:\n", o);
	for (unsigned i = 0; i < f->n_regions; i++) {
		fputs("    - {name: ", o);
		put_str(o, f->regions[i].name);
		fputs(", api: ", o);
		put_str(o, f->regions[i].api);
		fputs("}\n", o);
	}
	print_next_hops(o, f);
	conf_publish_print(o, &f->publish);
}

void conf_print(const struct conf *c, FILE *out)
{
	print_rs(out, &c->rs);
	print_api(out, &c->api);
	print_fabric(out, &c->fabric);
}

/* ------------------------------------------------------------ equal */

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool addr_same(const struct addr *a, const struct addr *b)
{
	return a->afi == b->afi && !memcmp(a->b, b->b, 16);
}

bool conf_peer_equal(const struct conf_peer *a, const struct conf_peer *b)
{
	return str_eq(a->name, b->name) && a->kind == b->kind &&
	       addr_same(&a->address, &b->address) && a->asn == b->asn &&
	       str_eq(a->password_file, b->password_file) &&
	       str_eq(a->password, b->password) && a->passive == b->passive &&
	       a->port == b->port && a->multihop == b->multihop &&
	       a->hold_time == b->hold_time && a->keepalive == b->keepalive &&
	       a->bfd.enabled == b->bfd.enabled &&
	       a->bfd.min_rx_ms == b->bfd.min_rx_ms &&
	       a->bfd.min_tx_ms == b->bfd.min_tx_ms &&
	       a->bfd.multiplier == b->bfd.multiplier &&
	       a->bfd.multihop == b->bfd.multihop &&
	       a->bfd.auth == b->bfd.auth && a->bfd.key_id == b->bfd.key_id &&
	       str_eq(a->bfd.password, b->bfd.password) &&
	       a->add_path == b->add_path &&
	       a->add_path_max == b->add_path_max;
}

static bool peer_equal_all(const struct conf_peer *a, const struct conf_peer *b)
{
	return conf_peer_equal(a, b) && a->max_prefixes == b->max_prefixes &&
	       a->accept_default == b->accept_default &&
	       a->stateful == b->stateful && a->sticky == b->sticky &&
	       pol_rules_equal(a->import, a->n_import, b->import, b->n_import) &&
	       pol_rules_equal(a->export, a->n_export, b->export, b->n_export);
}

static bool drill_equal(const struct conf_drill *a, const struct conf_drill *b)
{
	return str_eq(a->name, b->name) && a->kind == b->kind &&
	       str_eq(a->target, b->target) && a->every_s == b->every_s &&
	       a->has_window == b->has_window && a->win_start == b->win_start &&
	       a->win_end == b->win_end &&
	       a->restore_after_s == b->restore_after_s &&
	       str_eq(a->expect, b->expect) &&
	       str_eq(a->expect_text, b->expect_text) && a->pass == b->pass;
}

static bool drills_equal(const struct conf_rs *a, const struct conf_rs *b)
{
	if (!str_eq(a->state_dir, b->state_dir) || a->n_drills != b->n_drills)
		return false;
	for (unsigned i = 0; i < a->n_drills; i++)
		if (!drill_equal(&a->drills[i], &b->drills[i]))
			return false;
	return true;
}

static bool rs_equal(const struct conf_rs *a, const struct conf_rs *b)
{
	if (a->asn != b->asn || !addr_same(&a->router_id, &b->router_id) ||
	    a->n_listen != b->n_listen || a->port != b->port ||
	    a->hold_time != b->hold_time || a->keepalive != b->keepalive ||
	    a->branch_to_branch != b->branch_to_branch ||
	    a->routing_pref != b->routing_pref ||
	    a->transparent_as != b->transparent_as ||
	    a->compare_med != b->compare_med || a->max_paths != b->max_paths ||
	    a->restart_delay != b->restart_delay || a->n_peers != b->n_peers ||
	    !drills_equal(a, b))
		return false;
	for (unsigned i = 0; i < a->n_listen; i++)
		if (!addr_same(&a->listen[i], &b->listen[i]))
			return false;
	if (a->n_martians != b->n_martians)
		return false;
	for (unsigned i = 0; i < a->n_martians; i++)
		if (!prefix_eq(&a->martians[i], &b->martians[i]))
			return false;
	for (unsigned i = 0; i < a->n_peers; i++)
		if (!peer_equal_all(&a->peers[i], &b->peers[i]))
			return false;
	return conf_bmp_equal(a, b) && conf_rpki_equal(&a->rpki, &b->rpki) &&
	       conf_local_equal(a, b);
}

bool conf_rpki_equal(const struct conf_rpki *a, const struct conf_rpki *b)
{
	if (a->n_caches != b->n_caches || a->invalid != b->invalid ||
	    a->refresh_s != b->refresh_s || a->retry_s != b->retry_s ||
	    a->expire_s != b->expire_s || a->tag_is_large != b->tag_is_large ||
	    a->tag_std != b->tag_std ||
	    memcmp(&a->tag_large, &b->tag_large, sizeof(a->tag_large)))
		return false;
	for (unsigned i = 0; i < a->n_caches; i++)
		if (!str_eq(a->caches[i].host, b->caches[i].host) ||
		    a->caches[i].port != b->caches[i].port)
			return false;
	return true;
}

static bool api_equal(const struct conf_api *a, const struct conf_api *b)
{
	return str_eq(a->listen, b->listen) &&
	       str_eq(a->token_file, b->token_file) &&
	       str_eq(a->token, b->token) &&
	       str_eq(a->agent_token_file, b->agent_token_file) &&
	       str_eq(a->agent_token, b->agent_token) &&
	       str_eq(a->tls_cert, b->tls_cert) &&
	       str_eq(a->tls_key, b->tls_key) &&
	       str_eq(a->tls_cert_pem, b->tls_cert_pem) &&
	       str_eq(a->tls_key_pem, b->tls_key_pem) &&
	       str_eq(a->events_file, b->events_file) &&
	       str_eq(a->mrt_dir, b->mrt_dir) &&
	       a->mrt_interval == b->mrt_interval &&
	       a->mrt_updates == b->mrt_updates &&
	       a->route_jump_threshold == b->route_jump_threshold;
}

static bool vnet_equal(const struct conf_vnet *a, const struct conf_vnet *b)
{
	if (!str_eq(a->name, b->name) || !str_eq(a->region, b->region) ||
	    a->hub != b->hub || a->n_address_space != b->n_address_space ||
	    a->n_subnets != b->n_subnets || a->n_nics != b->n_nics ||
	    a->n_peerings != b->n_peerings)
		return false;
	for (unsigned i = 0; i < a->n_address_space; i++)
		if (!prefix_eq(&a->address_space[i], &b->address_space[i]))
			return false;
	for (unsigned i = 0; i < a->n_subnets; i++) {
		const struct conf_subnet *x = &a->subnets[i], *y = &b->subnets[i];
		if (!str_eq(x->name, y->name) || !prefix_eq(&x->prefix, &y->prefix) ||
		    !str_eq(x->route_table, y->route_table))
			return false;
	}
	for (unsigned i = 0; i < a->n_nics; i++) {
		const struct conf_nic *x = &a->nics[i], *y = &b->nics[i];
		if (!str_eq(x->name, y->name) || !str_eq(x->subnet, y->subnet) ||
		    !addr_same(&x->ip, &y->ip))
			return false;
	}
	for (unsigned i = 0; i < a->n_peerings; i++) {
		const struct conf_peering *x = &a->peerings[i], *y = &b->peerings[i];
		if (!str_eq(x->remote, y->remote) ||
		    x->use_remote_gateways != y->use_remote_gateways ||
		    x->allow_gateway_transit != y->allow_gateway_transit)
			return false;
	}
	return true;
}

static bool rt_equal(const struct conf_route_table *a,
		     const struct conf_route_table *b)
{
	if (!str_eq(a->name, b->name) ||
	    a->propagate_gateway_routes != b->propagate_gateway_routes ||
	    a->n_routes != b->n_routes)
		return false;
	for (unsigned i = 0; i < a->n_routes; i++) {
		const struct conf_udr *x = &a->routes[i], *y = &b->routes[i];
		if (!prefix_eq(&x->prefix, &y->prefix) ||
		    x->next_hop_type != y->next_hop_type ||
		    !addr_same(&x->next_hop_ip, &y->next_hop_ip))
			return false;
	}
	return true;
}

static bool lbs_equal(const struct conf_fabric *fa,
		      const struct conf_fabric *fb)
{
	if (fa->allow_external_next_hops != fb->allow_external_next_hops ||
	    fa->n_load_balancers != fb->n_load_balancers)
		return false;
	for (unsigned i = 0; i < fa->n_load_balancers; i++) {
		const struct conf_lb *x = &fa->load_balancers[i],
				     *y = &fb->load_balancers[i];
		if (!str_eq(x->name, y->name) || !str_eq(x->vnet, y->vnet) ||
		    !addr_same(&x->frontend_ip, &y->frontend_ip) ||
		    x->health != y->health || x->n_backends != y->n_backends)
			return false;
		for (unsigned j = 0; j < x->n_backends; j++)
			if (!addr_same(&x->backends[j], &y->backends[j]))
				return false;
	}
	return true;
}

bool conf_equal(const struct conf *a, const struct conf *b)
{
	const struct conf_fabric *fa = &a->fabric, *fb = &b->fabric;

	if (!rs_equal(&a->rs, &b->rs) || !api_equal(&a->api, &b->api) ||
	    fa->n_vnets != fb->n_vnets ||
	    fa->n_route_tables != fb->n_route_tables ||
	    fa->n_regions != fb->n_regions || !lbs_equal(fa, fb) ||
	    fa->n_stateful != fb->n_stateful ||
	    !conf_publish_equal(&fa->publish, &fb->publish))
		return false;
	for (unsigned i = 0; i < fa->n_stateful; i++)
		if (!addr_same(&fa->stateful[i].ip, &fb->stateful[i].ip) ||
		    fa->stateful[i].sticky != fb->stateful[i].sticky)
			return false;
	for (unsigned i = 0; i < fa->n_regions; i++)
		if (!str_eq(fa->regions[i].name, fb->regions[i].name) ||
		    !str_eq(fa->regions[i].api, fb->regions[i].api))
			return false;
	for (unsigned i = 0; i < fa->n_vnets; i++)
		if (!vnet_equal(&fa->vnets[i], &fb->vnets[i]))
			return false;
	for (unsigned i = 0; i < fa->n_route_tables; i++)
		if (!rt_equal(&fa->route_tables[i], &fb->route_tables[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------- free */

static void free_vnet(struct conf_vnet *v)
{
	free(v->name);
	free(v->region);
	free(v->address_space);
	for (unsigned i = 0; i < v->n_subnets; i++) {
		free(v->subnets[i].name);
		free(v->subnets[i].route_table);
	}
	free(v->subnets);
	for (unsigned i = 0; i < v->n_nics; i++) {
		free(v->nics[i].name);
		free(v->nics[i].subnet);
	}
	free(v->nics);
	for (unsigned i = 0; i < v->n_peerings; i++)
		free(v->peerings[i].remote);
	free(v->peerings);
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->rs.n_peers; i++) {
		struct conf_peer *p = &c->rs.peers[i];
		free(p->name);
		free(p->password_file);
		free(p->password);
		free(p->description);
		free(p->group);
		free(p->bfd.password_file);
		free(p->bfd.password);
		pol_rules_free(p->import, p->n_import);
		pol_rules_free(p->export, p->n_export);
	}
	free(c->rs.peers);
	for (unsigned i = 0; i < c->rs.n_drills; i++) {
		free(c->rs.drills[i].name);
		free(c->rs.drills[i].target);
		free(c->rs.drills[i].expect);
		free(c->rs.drills[i].expect_text);
	}
	free(c->rs.drills);
	free(c->rs.state_dir);
	free(c->fabric.stateful);
	free(c->rs.listen);
	free(c->api.listen);
	free(c->api.token_file);
	free(c->api.token);
	free(c->api.agent_token_file);
	free(c->api.agent_token);
	free(c->api.tls_cert);
	free(c->api.tls_key);
	free(c->api.tls_cert_pem);
	free(c->api.tls_key_pem);
	free(c->rs.martians);
	free(c->rs.bmp);
	for (unsigned i = 0; i < c->rs.rpki.n_caches; i++)
		free(c->rs.rpki.caches[i].host);
	free(c->rs.rpki.caches);
	conf_local_free(&c->rs);
	free(c->api.events_file);
	free(c->api.mrt_dir);
	for (unsigned i = 0; i < c->fabric.n_vnets; i++)
		free_vnet(&c->fabric.vnets[i]);
	free(c->fabric.vnets);
	for (unsigned i = 0; i < c->fabric.n_route_tables; i++) {
		free(c->fabric.route_tables[i].name);
		free(c->fabric.route_tables[i].routes);
	}
	free(c->fabric.route_tables);
	for (unsigned i = 0; i < c->fabric.n_regions; i++) {
		free(c->fabric.regions[i].name);
		free(c->fabric.regions[i].api);
	}
	free(c->fabric.regions);
	for (unsigned i = 0; i < c->fabric.n_load_balancers; i++) {
		free(c->fabric.load_balancers[i].name);
		free(c->fabric.load_balancers[i].vnet);
		free(c->fabric.load_balancers[i].backends);
	}
	free(c->fabric.load_balancers);
	conf_publish_free(&c->fabric.publish);
	free(c->path);
	free(c);
}
