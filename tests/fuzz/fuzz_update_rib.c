/*
 * fuzz_update_rib.c - libFuzzer target for the whole UPDATE-to-RIB path,
 * without sockets: every BGP message of the input is decoded as an UPDATE
 * (RFC 7606 actions), then goes through the route-server import guards
 * (AS_PATH loop, first AS, default route), the import policy of a small
 * configuration, rattr_intern, rib_announce/rib_withdraw (or, on
 * treat-as-withdraw, the withdrawal of every NLRI), and the change set is
 * drained after each message, as the daemon does once per loop turn. At
 * the end every peer is flushed and the RIB must be empty again, with no
 * interned attribute left: a leak or a refcount error shows up there.
 *
 * A first input byte other than 0xff picks the session kind (4-octet AS,
 * extended messages, ADD-PATH path ids in the NLRI: then each path id is
 * a path of its own in the RIB) and is skipped; each message's sending peer is taken from its marker's first
 * byte, so the corpora of raw messages work unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"
#include "conf/conf.h"
#include "policy/policy.h"
#include "rib/rib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_PEERS 3
#define LOCAL_ASN 65515

static const char conf_yaml[] =
	"route_server:\n"
	"  asn: 65515\n"
	"  router_id: 198.18.0.1\n"
	"  listen: [198.18.0.1]\n"
	"  peers:\n"
	"    - {name: p0, kind: nva, address: 198.18.1.1, asn: 65001}\n"
	"    - name: p1\n"
	"      kind: vpn_gateway\n"
	"      address: 198.18.1.2\n"
	"      asn: 65002\n"
	"      accept_default: true\n"
	"      import:\n"
	"        - match: {prefix: [\"198.18.0.0/15 le 32\"], community: [no-export]}\n"
	"          action: allow\n"
	"          set: {local_pref: 200, add_communities: [\"65515:1\"], remove_communities: [no-export]}\n"
	"        - {match: {as_path_contains: 64666}, action: deny}\n"
	"        - {match: {prefix: [\"::/0 le 64\"]}, action: allow, set: {med: 5}}\n"
	"    - {name: p2, kind: expressroute_gateway, address: \"2001:db8::2\", asn: 65003}\n";

struct harness {
	const struct conf *conf;
	struct rib *rib;
	uint32_t ids[N_PEERS];
	struct bgp_attrs work;
	uint8_t scratch[POL_SCRATCH_LEN];
	size_t changes;
	uint32_t path_id; /* of the NLRI being imported */
};

/* The configuration is read-only after loading: load it once. */
static const struct conf *harness_conf(void)
{
	static struct conf *c;

	if (!c) {
		c = conf_load_string("fuzz.yaml", conf_yaml, stderr);
		if (!c)
			__builtin_trap();
	}
	return c;
}

static const char *guard(const struct conf_peer *cf, const struct bgp_attrs *a)
{
	struct aspath_iter it;
	uint32_t first = 0;

	if (policy_aspath_loop(a, LOCAL_ASN))
		return "loop";
	aspath_iter_init(&it, a);
	if (!aspath_iter_next(&it, &first) || it.seg_type != AS_SEQUENCE ||
	    first != cf->asn)
		return "first-as";
	return NULL;
}

static void announce(struct harness *h, unsigned pi, const struct bgp_update *u,
		     const struct prefix *pfx, bool mp)
{
	const struct conf_peer *cf = &h->conf->rs.peers[pi];
	const struct bgp_attrs *a = &u->attrs;
	struct rattr *ra;

	if (guard(cf, a) || (policy_is_default(pfx) && !cf->accept_default)) {
		rib_withdraw_id(h->rib, h->ids[pi], h->path_id, pfx);
		return;
	}
	if (cf->n_import) {
		memcpy(&h->work, a, sizeof(h->work));
		if (policy_eval(cf->import, cf->n_import, pfx, &h->work,
				h->scratch, sizeof(h->scratch)) != POL_ALLOW) {
			rib_withdraw_id(h->rib, h->ids[pi], h->path_id, pfx);
			return;
		}
		a = &h->work;
	}
	if (mp)
		ra = rattr_intern_nh(h->rib, a, &u->attrs.mp_next_hop,
				     u->attrs.mp_next_hop_ll.afi
					     ? &u->attrs.mp_next_hop_ll : NULL);
	else
		ra = rattr_intern_nh(h->rib, a, &u->attrs.next_hop, NULL);
	if (!ra)
		return;
	if (rib_announce_id(h->rib, h->ids[pi], h->path_id, pfx, ra) < 0)
		__builtin_trap(); /* a decoded prefix must always be valid */
	rattr_unref(h->rib, ra);
}

static void block(struct harness *h, unsigned pi, const struct bgp_update *u,
		  const struct bgp_nlri_block *b, bool add, bool mp)
{
	struct prefix pfx;
	size_t off = 0;

	if (!b->p)
		return;
	while (bgp_nlri_next_id(b, &off, &pfx, &h->path_id) == 1) {
		if (add)
			announce(h, pi, u, &pfx, mp);
		else
			rib_withdraw_id(h->rib, h->ids[pi], h->path_id, &pfx);
	}
	h->path_id = 0;
}

static void change_cb(const struct rentry *e, uint32_t id, void *arg)
{
	struct harness *h = arg;

	if (e->n_paths && !(e->paths->flags & RPATH_BEST))
		__builtin_trap(); /* the first path is the best */
	if (e->n_ecmp > e->n_paths)
		__builtin_trap();
	h->changes++;
}

static void one_update(struct harness *h, unsigned pi, const uint8_t *body,
		       size_t len, const struct bgp_session_caps *caps)
{
	struct bgp_update *u = malloc(sizeof(*u));
	struct bgp_notify err;
	int act;

	if (!u)
		return;
	act = bgp_update_decode(body, len, caps, u, &err);
	if (act == UPD_SESSION_RESET) {
		rib_peer_flush(h->rib, h->ids[pi]); /* session down */
	} else if (!u->end_of_rib) {
		bool taw = act == UPD_TREAT_AS_WITHDRAW;
		block(h, pi, u, &u->withdrawn, false, false);
		if (u->has_mp_unreach)
			block(h, pi, u, &u->mp_unreach, false, true);
		block(h, pi, u, &u->nlri, !taw, false);
		if (u->has_mp_reach)
			block(h, pi, u, &u->mp_reach, !taw, true);
	}
	free(u);
	rib_changes_drain(h->rib, change_cb, h);
}

static void setup(struct harness *h)
{
	struct rib_config rc = { .local_asn = LOCAL_ASN, .max_paths = 4,
				 .routing_pref = PREF_EXPRESSROUTE };

	h->conf = harness_conf();
	h->rib = rib_new(&rc);
	if (!h->rib)
		__builtin_trap();
	for (unsigned i = 0; i < N_PEERS; i++) {
		const struct conf_peer *cf = &h->conf->rs.peers[i];
		struct rib_peer rp = { .addr = cf->address, .asn = cf->asn,
				       .kind = cf->kind };
		h->ids[i] = rib_peer_add(h->rib, &rp);
	}
}

static void teardown(struct harness *h)
{
	struct rib_stats st;

	for (unsigned i = 0; i < N_PEERS; i++)
		rib_peer_flush(h->rib, h->ids[i]);
	rib_changes_drain(h->rib, change_cb, h);
	rib_stats(h->rib, &st);
	if (st.paths || st.prefixes[AFI_IPV4] || st.prefixes[AFI_IPV6] ||
	    st.attrs)
		__builtin_trap(); /* every route and attribute set released */
	rib_free(h->rib);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h; /* big scratch: not on the stack */
	struct bgp_session_caps caps = { .ebgp = true };
	size_t off = 0, start, max;

	if (size < 1)
		return 0;
	/* Raw messages (marker first) run on a 4-octet session; otherwise
	 * the first byte picks the session kind. */
	caps.as4 = data[0] == 0xff || !(data[0] & 1);
	caps.ext_message = data[0] != 0xff && (data[0] & 2);
	caps.addpath_rx[AFI_IPV4] = caps.addpath_rx[AFI_IPV6] =
		data[0] != 0xff && (data[0] & 4);
	max = caps.ext_message ? BGP_EXT_MAX_LEN : BGP_MAX_LEN;
	memset(&h, 0, offsetof(struct harness, work));
	setup(&h);
	start = off = data[0] == 0xff ? 0 : 1;
	while (size - off >= BGP_HDR_LEN) {
		struct bgp_hdr hd;
		struct bgp_notify err;
		unsigned pi = data[off] % N_PEERS;
		uint8_t msg[BGP_HDR_LEN];

		/* any marker byte picks the peer; the marker is then fixed */
		memset(msg, 0xff, BGP_MARKER_LEN);
		memcpy(msg + BGP_MARKER_LEN, data + off + BGP_MARKER_LEN, 3);
		if (bgp_hdr_decode(msg, sizeof(msg), max, &hd, &err) < 0 ||
		    hd.len > size - off)
			break;
		if (hd.type == BGP_UPDATE)
			one_update(&h, pi, data + off + BGP_HDR_LEN,
				   hd.len - BGP_HDR_LEN, &caps);
		off += hd.len;
	}
	if (off == start) /* no whole message: the input is one UPDATE body */
		one_update(&h, 0, data + start, size - start, &caps);
	teardown(&h);
	return 0;
}
