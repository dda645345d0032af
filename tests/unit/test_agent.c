/*
 * test_agent.c - pharos-agent's pure logic: the fabric API's table and
 * delta JSON, deltas applied to a server's table, the routes a host
 * installs, the union of two route servers' answers, the diff between the
 * desired set and a kernel dump (foreign routes untouched), and route
 * messages built and parsed back (multipath, blackhole, delete).
 *
 * The agent is a program, not part of libpharos, so its pure files are
 * compiled into this test directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "../../tools/pharos-agent/netlink.c"
#include "../../tools/pharos-agent/routes.c"
#include "../../tools/pharos-agent/guard.c"

static struct prefix P(const char *s)
{
	struct prefix p;
	assert_int_equal(prefix_parse(s, &p), 0);
	return p;
}

static struct addr A(const char *s)
{
	struct addr a;
	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* A route: "gw" with next hops, "bh" blackhole. */
static struct ag_route R(const char *pfx, const char *kind, int n, ...)
{
	struct ag_route r;
	va_list ap;
	memset(&r, 0, sizeof(r));
	r.pfx = P(pfx);
	r.kind = strcmp(kind, "bh") == 0 ? AG_BLACKHOLE : AG_GATEWAY;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		r.nh[r.n_nh++] = A(va_arg(ap, const char *));
	va_end(ap);
	r.n_nh = (uint16_t)ag_nh_normalize(r.nh, r.n_nh);
	return r;
}

static const char *fmt(const struct ag_route *r)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	return ag_route_fmt(r, buf[k], sizeof(buf[k]));
}

static const char TABLE[] =
	"{\"vnet\":\"spoke-a\",\"subnet\":\"app\",\"version\":7,\"routes\":["
	"{\"source\":\"Default\",\"state\":\"Active\",\"prefix\":\"198.19.1.0/24\","
	" \"next_hop_type\":\"VnetLocal\",\"next_hop_ips\":[]},"
	"{\"source\":\"Default\",\"state\":\"Active\",\"prefix\":\"0.0.0.0/0\","
	" \"next_hop_type\":\"Internet\",\"next_hop_ips\":[]},"
	"{\"source\":\"Default\",\"state\":\"Active\",\"prefix\":\"10.0.0.0/8\","
	" \"next_hop_type\":\"None\",\"next_hop_ips\":[]},"
	"{\"source\":\"VirtualNetworkGateway\",\"state\":\"Active\","
	" \"prefix\":\"198.19.250.0/24\",\"next_hop_type\":\"VirtualNetworkGateway\","
	" \"next_hop_ips\":[\"198.18.1.3\",\"198.18.1.2\",\"198.18.1.3\"]},"
	"{\"source\":\"User\",\"state\":\"Active\",\"prefix\":\"198.19.7.0/24\","
	" \"next_hop_type\":\"VirtualAppliance\",\"next_hop_ips\":[\"198.18.0.10\"]},"
	"{\"source\":\"VirtualNetworkGateway\",\"state\":\"Invalid\","
	" \"prefix\":\"198.19.7.0/24\",\"next_hop_type\":\"VirtualNetworkGateway\","
	" \"next_hop_ips\":[\"198.18.1.2\"],\"reason\":\"overridden by a User route\"},"
	"{\"source\":\"VirtualNetworkGateway\",\"state\":\"Invalid\","
	" \"prefix\":\"198.19.1.128/25\",\"next_hop_type\":\"VirtualNetworkGateway\","
	" \"next_hop_ips\":[\"198.18.1.2\"],\"reason\":\"inside the VNet\"},"
	"{\"source\":\"VirtualNetworkGateway\",\"state\":\"Active\","
	" \"prefix\":\"2001:db8:100::/48\",\"next_hop_type\":\"VirtualNetworkGateway\","
	" \"next_hop_ips\":[\"2001:db8:1::2\"]},"
	"{\"source\":\"Default\",\"state\":\"Active\",\"prefix\":\"198.18.0.0/24\","
	" \"next_hop_type\":\"VNetPeering\",\"next_hop_ips\":[]}"
	"]}";

static void load_table(struct ag_entries *t, uint64_t *v)
{
	char err[256] = "";
	assert_int_equal(ag_parse_table(TABLE, strlen(TABLE), t, v, err,
					sizeof(err)), 0);
}

/* The entry of t on prefix pfx from source src (must exist). */
static const struct ag_entry *E(const struct ag_entries *t, const char *pfx,
				uint8_t src)
{
	struct prefix p = P(pfx);
	for (size_t i = 0; i < t->n; i++)
		if (prefix_eq(&t->v[i].pfx, &p) && t->v[i].source == src)
			return &t->v[i];
	fail_msg("no entry %s from source %d", pfx, src);
	return NULL;
}

static void test_parse_table(void **state)
{
	struct ag_entries t = { 0 };
	uint64_t v = 0;
	load_table(&t, &v);
	assert_int_equal(v, 7);
	assert_int_equal(t.n, 9);
	/* kept sorted by prefix */
	for (size_t i = 1; i < t.n; i++)
		assert_true(prefix_cmp(&t.v[i - 1].pfx, &t.v[i].pfx) <= 0);
	const struct ag_entry *e = E(&t, "198.19.250.0/24", AG_SRC_GATEWAY);
	assert_int_equal(e->nh_type, AG_NH_VNET_GATEWAY);
	assert_true(e->active);
	/* next hops sorted, the duplicate dropped */
	assert_int_equal(e->n_nh, 2);
	struct addr a2 = A("198.18.1.2"), a3 = A("198.18.1.3");
	assert_true(addr_eq(&e->nh[0], &a2));
	assert_true(addr_eq(&e->nh[1], &a3));
	assert_false(E(&t, "198.19.7.0/24", AG_SRC_GATEWAY)->active);
	assert_true(E(&t, "198.19.7.0/24", AG_SRC_USER)->active);
	assert_int_equal(E(&t, "198.19.7.0/24", AG_SRC_USER)->nh_type,
			 AG_NH_VIRTUAL_APPLIANCE);
	assert_int_equal(E(&t, "10.0.0.0/8", AG_SRC_DEFAULT)->nh_type, AG_NH_NONE);
	assert_int_equal(E(&t, "2001:db8:100::/48", AG_SRC_GATEWAY)->pfx.afi,
			 AFI_IPV6);
	ag_entries_free(&t);
}

static void expect_bad(const char *json, const char *msg_part)
{
	struct ag_entries t = { 0 };
	uint64_t v;
	char err[256] = "";
	assert_int_equal(ag_parse_table(json, strlen(json), &t, &v, err,
					sizeof(err)), -1);
	if (!strstr(err, msg_part))
		fail_msg("error '%s' lacks '%s'", err, msg_part);
	ag_entries_free(&t);
}

static void test_parse_errors(void **state)
{
	expect_bad("not json", "JSON");
	expect_bad("[1,2]", "not an object");
	expect_bad("{\"routes\":[]}", "lacks version");
	expect_bad("{\"version\":1,\"routes\":[{\"prefix\":\"198.19.0.0/24\"}]}",
		   "lacks prefix");
	expect_bad("{\"version\":1,\"routes\":[{\"source\":\"User\",\"state\":"
		   "\"Active\",\"prefix\":\"198.19.0.0/33\",\"next_hop_type\":"
		   "\"None\"}]}", "bad prefix");
	expect_bad("{\"version\":1,\"routes\":[{\"source\":\"Elsewhere\","
		   "\"state\":\"Active\",\"prefix\":\"198.19.0.0/24\","
		   "\"next_hop_type\":\"None\"}]}", "unknown source");
	expect_bad("{\"version\":1,\"routes\":[{\"source\":\"User\",\"state\":"
		   "\"Active\",\"prefix\":\"198.19.0.0/24\",\"next_hop_type\":"
		   "\"Teleport\"}]}", "unknown next_hop_type");
	expect_bad("{\"version\":1,\"routes\":[{\"source\":\"User\",\"state\":"
		   "\"Active\",\"prefix\":\"198.19.0.0/24\",\"next_hop_type\":"
		   "\"VirtualAppliance\",\"next_hop_ips\":[\"2001:db8::1\"]}]}",
		   "another family");
	expect_bad("{\"version\":1,\"routes\":[{\"source\":\"User\",\"state\":"
		   "\"Active\",\"prefix\":\"198.19.0.0/24\",\"next_hop_type\":"
		   "\"VirtualAppliance\",\"next_hop_ips\":[\"x\"]}]}",
		   "bad next hop");
	const char *gone = "{\"error\":\"version too old\",\"version\":42}";
	assert_int_equal(ag_parse_version(gone, strlen(gone)), 42);
	assert_int_equal(ag_parse_version("junk", 4), 0);
}

static void test_desired(void **state)
{
	struct ag_entries t = { 0 };
	struct ag_rset d = { 0 };
	uint64_t v;
	load_table(&t, &v);
	ag_desired(&t, &d);
	/* VnetLocal, Internet, VNetPeering and Invalid entries are left out */
	assert_int_equal(d.n, 4);
	assert_string_equal(fmt(&d.v[0]), "10.0.0.0/8 blackhole");
	assert_string_equal(fmt(&d.v[1]), "198.19.7.0/24 via 198.18.0.10");
	assert_string_equal(fmt(&d.v[2]),
			    "198.19.250.0/24 via 198.18.1.2,198.18.1.3");
	assert_string_equal(fmt(&d.v[3]), "2001:db8:100::/48 via 2001:db8:1::2");
	ag_rset_free(&d);
	ag_entries_free(&t);
}

static const char DELTAS[] =
	"{\"version\":9,\"deltas\":["
	"{\"version\":8,\"op\":\"change\",\"route\":{\"source\":"
	"\"VirtualNetworkGateway\",\"state\":\"Active\",\"prefix\":"
	"\"198.19.250.0/24\",\"next_hop_type\":\"VirtualNetworkGateway\","
	"\"next_hop_ips\":[\"198.18.1.3\"]}},"
	"{\"version\":8,\"op\":\"remove\",\"route\":{\"source\":"
	"\"VirtualNetworkGateway\",\"state\":\"Active\",\"prefix\":"
	"\"2001:db8:100::/48\",\"next_hop_type\":\"VirtualNetworkGateway\","
	"\"next_hop_ips\":[\"2001:db8:1::2\"]}},"
	"{\"version\":9,\"op\":\"add\",\"route\":{\"source\":"
	"\"VirtualNetworkGateway\",\"state\":\"Active\",\"prefix\":"
	"\"2001:db8:200::/48\",\"next_hop_type\":\"VirtualNetworkGateway\","
	"\"next_hop_ips\":[\"2001:db8:1::3\",\"2001:db8:1::2\"]}},"
	"{\"version\":9,\"op\":\"change\",\"route\":{\"source\":"
	"\"VirtualNetworkGateway\",\"state\":\"Active\",\"prefix\":"
	"\"198.19.7.0/24\",\"next_hop_type\":\"VirtualNetworkGateway\","
	"\"next_hop_ips\":[\"198.18.1.2\"]}}"
	"]}";

static void test_deltas(void **state)
{
	struct ag_entries t = { 0 };
	struct ag_deltas d = { 0 };
	struct ag_rset s = { 0 };
	uint64_t v;
	size_t misses = 0;
	char err[256] = "";
	load_table(&t, &v);
	assert_int_equal(ag_parse_deltas(DELTAS, strlen(DELTAS), &d, err,
					 sizeof(err)), 0);
	assert_int_equal(d.version, 9);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.v[0].op, AG_D_CHANGE);
	assert_int_equal(d.v[1].op, AG_D_REMOVE);
	assert_int_equal(d.v[2].op, AG_D_ADD);
	assert_int_equal(d.v[2].version, 9);
	ag_entries_apply(&t, &d, &misses);
	assert_int_equal(misses, 0);
	assert_int_equal(t.n, 9); /* one removed, one added */
	for (size_t i = 1; i < t.n; i++) /* still sorted */
		assert_true(prefix_cmp(&t.v[i - 1].pfx, &t.v[i].pfx) <= 0);
	assert_int_equal(E(&t, "198.19.250.0/24", AG_SRC_GATEWAY)->n_nh, 1);
	ag_desired(&t, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(fmt(&s.v[0]), "10.0.0.0/8 blackhole");
	/* the change of the Invalid BGP entry keeps the User route winning */
	assert_string_equal(fmt(&s.v[1]), "198.19.7.0/24 via 198.18.0.10");
	assert_string_equal(fmt(&s.v[2]), "198.19.250.0/24 via 198.18.1.3");
	assert_string_equal(fmt(&s.v[3]),
			    "2001:db8:200::/48 via 2001:db8:1::2,2001:db8:1::3");
	/* the same deltas again: the remove finds nothing */
	ag_entries_apply(&t, &d, &misses);
	assert_int_equal(misses, 1);
	/* an unknown op is an error */
	const char *bad = "{\"version\":3,\"deltas\":[{\"op\":\"move\",\"route\":{}}]}";
	assert_int_equal(ag_parse_deltas(bad, strlen(bad), &d, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "bad delta op"));
	ag_rset_free(&s);
	ag_deltas_free(&d);
	ag_entries_free(&t);
}

static void test_union(void **state)
{
	struct ag_rset a = { 0 }, b = { 0 }, u = { 0 };
	struct ag_route r;
	r = R("198.19.1.0/24", "gw", 2, "198.18.1.2", "198.18.1.3");
	ag_rset_add(&a, &r);
	r = R("198.19.3.0/24", "gw", 1, "198.18.1.2");
	ag_rset_add(&a, &r);
	r = R("198.19.1.0/24", "gw", 1, "198.18.1.3"); /* differs from a's */
	ag_rset_add(&b, &r);
	r = R("198.19.2.0/24", "bh", 0);
	ag_rset_add(&b, &r);
	r = R("2001:db8:5::/48", "gw", 1, "2001:db8:1::9");
	ag_rset_add(&b, &r);
	ag_rset_sort(&a);
	ag_rset_sort(&b);
	const struct ag_rset *ab[] = { &a, NULL, &b };
	ag_union(ab, 3, &u);
	assert_int_equal(u.n, 4);
	/* a is first: its answer wins where both have the prefix */
	assert_string_equal(fmt(&u.v[0]),
			    "198.19.1.0/24 via 198.18.1.2,198.18.1.3");
	assert_string_equal(fmt(&u.v[1]), "198.19.2.0/24 blackhole");
	assert_string_equal(fmt(&u.v[2]), "198.19.3.0/24 via 198.18.1.2");
	assert_string_equal(fmt(&u.v[3]), "2001:db8:5::/48 via 2001:db8:1::9");
	/* the other order: b wins */
	const struct ag_rset *ba[] = { &b, &a };
	ag_union(ba, 2, &u);
	assert_int_equal(u.n, 4);
	assert_string_equal(fmt(&u.v[0]), "198.19.1.0/24 via 198.18.1.3");
	/* one server only, or none */
	ag_union(ab, 1, &u);
	assert_int_equal(u.n, 2);
	ag_union(ab, 0, &u);
	assert_int_equal(u.n, 0);
	ag_rset_free(&a);
	ag_rset_free(&b);
	ag_rset_free(&u);
}

static struct ag_route K(const char *pfx, const char *kind, uint8_t proto,
			 uint32_t metric, const char *nh)
{
	struct ag_route r = nh ? R(pfx, kind, 1, nh) : R(pfx, kind, 0);
	r.proto = proto;
	r.metric = metric;
	return r;
}

static const struct ag_op *find_op(const struct ag_ops *o, const char *pfx)
{
	struct prefix p = P(pfx);
	for (size_t i = 0; i < o->n; i++)
		if (prefix_eq(&o->v[i].r.pfx, &p))
			return &o->v[i];
	return NULL;
}

static void test_diff(void **state)
{
	struct ag_rset want = { 0 }, k = { 0 };
	struct ag_ops o = { 0 };
	struct ag_route r;
	r = R("198.19.1.0/24", "gw", 2, "198.18.1.2", "198.18.1.3");
	ag_rset_add(&want, &r); /* in the kernel with one next hop: replace */
	r = R("198.19.2.0/24", "gw", 1, "198.18.1.2");
	ag_rset_add(&want, &r); /* in the kernel, same: nothing */
	r = R("198.19.3.0/24", "bh", 0);
	ag_rset_add(&want, &r); /* missing: add */
	r = R("198.19.4.0/24", "gw", 1, "198.18.1.2");
	ag_rset_add(&want, &r); /* a foreign route holds it: conflict */
	r = R("2001:db8:9::/48", "gw", 1, "2001:db8:1::2");
	ag_rset_add(&want, &r); /* ours, but another metric: del + add */
	r = R("2001:db8:a::/48", "gw", 1, "2001:db8:1::2");
	ag_rset_add(&want, &r); /* in the kernel at metric 1024: nothing */
	ag_rset_sort(&want);

	r = K("198.19.1.0/24", "gw", 200, 0, "198.18.1.2");
	ag_rset_add(&k, &r);
	r = K("198.19.2.0/24", "gw", 200, 0, "198.18.1.2");
	ag_rset_add(&k, &r);
	r = K("198.19.4.0/24", "gw", 4, 0, "198.18.9.9"); /* proto static */
	ag_rset_add(&k, &r);
	r = K("198.19.5.0/24", "gw", 200, 0, "198.18.1.2"); /* stale: del */
	ag_rset_add(&k, &r);
	r = K("198.19.6.0/24", "gw", 4, 0, "198.18.9.9"); /* foreign: keep */
	ag_rset_add(&k, &r);
	r = K("0.0.0.0/0", "gw", 3, 0, "198.18.0.1"); /* boot: keep */
	ag_rset_add(&k, &r);
	r = K("2001:db8:9::/48", "gw", 200, 100, "2001:db8:1::2");
	ag_rset_add(&k, &r);
	r = K("2001:db8:a::/48", "gw", 200, 1024, "2001:db8:1::2");
	ag_rset_add(&k, &r); /* IPv6 metric 0 reads back as 1024: same */
	ag_rset_sort(&k);

	ag_diff(&want, &k, 200, 0, &o);
	assert_int_equal(o.adds, 2);
	assert_int_equal(o.replaces, 1);
	assert_int_equal(o.dels, 2);
	assert_int_equal(o.conflicts, 1);
	assert_int_equal(o.n, 6);
	assert_int_equal(find_op(&o, "198.19.1.0/24")->op, AG_OP_REPLACE);
	assert_int_equal(find_op(&o, "198.19.1.0/24")->r.n_nh, 2);
	assert_null(find_op(&o, "198.19.2.0/24"));
	assert_int_equal(find_op(&o, "198.19.3.0/24")->op, AG_OP_ADD);
	assert_int_equal(find_op(&o, "198.19.4.0/24")->op, AG_OP_CONFLICT);
	assert_int_equal(find_op(&o, "198.19.5.0/24")->op, AG_OP_DEL);
	assert_null(find_op(&o, "198.19.6.0/24"));
	assert_null(find_op(&o, "0.0.0.0/0"));
	/* no foreign route is ever deleted or replaced */
	for (size_t i = 0; i < o.n; i++)
		if (o.v[i].op == AG_OP_DEL)
			assert_int_equal(o.v[i].r.proto, 200);
	/* deletes carry the kernel route's metric */
	int v6 = 0;
	for (size_t i = 0; i < o.n; i++)
		if (o.v[i].r.pfx.afi == AFI_IPV6) {
			v6++;
			if (o.v[i].op == AG_OP_DEL)
				assert_int_equal(o.v[i].r.metric, 100);
			else
				assert_int_equal(o.v[i].op, AG_OP_ADD);
		}
	assert_int_equal(v6, 2);
	assert_null(find_op(&o, "2001:db8:a::/48"));
	ag_ops_free(&o);

	/* an empty desired set removes exactly our routes */
	struct ag_rset none = { 0 };
	ag_diff(&none, &k, 200, 0, &o);
	assert_int_equal(o.n, 5);
	assert_int_equal(o.dels, 5);
	ag_ops_free(&o);
	/* another protocol number owns nothing of these but the static ones */
	ag_diff(&none, &k, 4, 0, &o);
	assert_int_equal(o.dels, 2);
	ag_ops_free(&o);
	ag_rset_free(&want);
	ag_rset_free(&k);
}

/* Build a request, check its header, parse it back as if dumped. */
static const struct nlmsghdr *build(char *buf, uint8_t opc,
				    const struct ag_route *r, uint32_t table)
{
	struct ag_nlparams p = { .table = table, .proto = 200, .metric = 7 };
	struct ag_op op = { .op = opc, .r = *r };
	size_t len = ag_nl_build(buf, 8192, &op, &p, 99);
	assert_true(len > 0);
	const struct nlmsghdr *nlh = (const void *)buf;
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_seq, 99);
	assert_true(nlh->nlmsg_flags & NLM_F_ACK);
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_protocol, 200);
	assert_int_equal(rtm->rtm_dst_len, r->pfx.len);
	assert_int_equal(rtm->rtm_table, table < 256 ? table : RT_TABLE_UNSPEC);
	return nlh;
}

static bool has_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct rtmsg))
		if (mnl_attr_get_type(a) == type)
			return true;
	return false;
}

static int count_nexthops(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct rtmsg)) {
		if (mnl_attr_get_type(a) != RTA_MULTIPATH)
			continue;
		int n = 0;
		const char *p = mnl_attr_get_payload(a);
		size_t left = mnl_attr_get_payload_len(a);
		while (left >= sizeof(struct rtnexthop)) {
			const struct rtnexthop *h = (const void *)p;
			assert_true(h->rtnh_len >= (int)sizeof(*h) + 8);
			n++;
			if ((size_t)MNL_ALIGN(h->rtnh_len) >= left)
				break;
			left -= MNL_ALIGN(h->rtnh_len);
			p += MNL_ALIGN(h->rtnh_len);
		}
		return n;
	}
	return 0;
}

static void test_netlink_multipath(void **state)
{
	char buf[8192];
	struct ag_route r = R("198.19.250.0/24", "gw", 3, "198.18.1.4",
			      "198.18.1.2", "198.18.1.3"), back;
	const struct nlmsghdr *nlh = build(buf, AG_OP_ADD, &r, 254);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWROUTE);
	assert_true(nlh->nlmsg_flags & NLM_F_CREATE);
	assert_true(nlh->nlmsg_flags & NLM_F_EXCL);
	assert_true(has_attr(nlh, RTA_MULTIPATH));
	assert_false(has_attr(nlh, RTA_GATEWAY));
	assert_int_equal(count_nexthops(nlh), 3);
	assert_int_equal(ag_nl_parse(nlh, 254, &back), 1);
	assert_int_equal(back.kind, AG_GATEWAY);
	assert_int_equal(back.proto, 200);
	assert_int_equal(back.metric, 7);
	assert_true(ag_route_same(&r, &back));
	assert_string_equal(fmt(&back),
			    "198.19.250.0/24 via 198.18.1.2,198.18.1.3,198.18.1.4");
	/* another table: not ours to see */
	assert_int_equal(ag_nl_parse(nlh, 100, &back), 0);

	/* IPv6, two next hops, replace, table above 255 */
	r = R("2001:db8:200::/48", "gw", 2, "2001:db8:1::3", "2001:db8:1::2");
	nlh = build(buf, AG_OP_REPLACE, &r, 1000);
	assert_true(nlh->nlmsg_flags & NLM_F_REPLACE);
	assert_int_equal(count_nexthops(nlh), 2);
	assert_true(has_attr(nlh, RTA_TABLE));
	assert_int_equal(ag_nl_parse(nlh, 1000, &back), 1);
	assert_true(ag_route_same(&r, &back));
	assert_int_equal(back.pfx.afi, AFI_IPV6);
}

static void test_netlink_single(void **state)
{
	char buf[8192];
	struct ag_route r = R("198.19.2.0/24", "gw", 1, "198.18.1.2"), back;
	const struct nlmsghdr *nlh = build(buf, AG_OP_ADD, &r, 254);
	assert_true(has_attr(nlh, RTA_GATEWAY));
	assert_false(has_attr(nlh, RTA_MULTIPATH));
	assert_int_equal(ag_nl_parse(nlh, 254, &back), 1);
	assert_true(ag_route_same(&r, &back));

	/* blackhole: no gateway, type blackhole */
	r = R("10.0.0.0/8", "bh", 0);
	nlh = build(buf, AG_OP_ADD, &r, 254);
	assert_int_equal(((const struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_type,
			 RTN_BLACKHOLE);
	assert_false(has_attr(nlh, RTA_GATEWAY));
	assert_int_equal(ag_nl_parse(nlh, 254, &back), 1);
	assert_int_equal(back.kind, AG_BLACKHOLE);

	/* delete: our protocol, the kernel route's metric, no next hop */
	r = R("198.19.250.0/24", "gw", 2, "198.18.1.2", "198.18.1.3");
	r.metric = 55;
	nlh = build(buf, AG_OP_DEL, &r, 254);
	assert_int_equal(nlh->nlmsg_type, RTM_DELROUTE);
	assert_false(has_attr(nlh, RTA_MULTIPATH));
	assert_false(has_attr(nlh, RTA_GATEWAY));
	const struct nlattr *a;
	uint32_t prio = 0;
	mnl_attr_for_each(a, nlh, sizeof(struct rtmsg))
		if (mnl_attr_get_type(a) == RTA_PRIORITY)
			prio = mnl_attr_get_u32(a);
	assert_int_equal(prio, 55);

	/* a conflict is never sent; a truncated message is refused */
	struct ag_op op = { .op = AG_OP_CONFLICT, .r = r };
	struct ag_nlparams p = { .table = 254, .proto = 200 };
	assert_int_equal(ag_nl_build(buf, sizeof(buf), &op, &p, 1), 0);
	op.op = AG_OP_ADD;
	assert_int_equal(ag_nl_build(buf, 100, &op, &p, 1), 0);
	size_t len = ag_nl_build(buf, sizeof(buf), &op, &p, 1);
	struct nlmsghdr *h = (void *)buf;
	struct rtmsg *rtm = mnl_nlmsg_get_payload(h);
	rtm->rtm_dst_len = 40; /* longer than an IPv4 prefix */
	assert_true(len > 0);
	assert_int_equal(ag_nl_parse(h, 254, &back), -1);
}


/* The agent's guard: every martian of the red-team list is refused, a
 * normal route and a summary shorter than the on-link prefix are not. */
static void test_guard(void **state)
{
	struct ag_guard g;
	(void)state;
	memset(&g, 0, sizeof(g));
	struct addr srv = A("198.18.1.1");
	ag_guard_add_server(&g, &srv);
	ag_guard_add_server(&g, &srv); /* once */
	assert_int_equal(g.n_srv, 1);
	g.own[0].a = A("198.18.1.10");
	g.own[0].plen = 24;
	g.own[1].a = A("2001:db8:1::10");
	g.own[1].plen = 64;
	g.n_own = 2;
	static const char *const bad[] = {
		"0.0.0.0/0", "::/0", "0.0.0.0/1", "128.0.0.0/1", "2000::/3",
		"127.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4",
		"169.254.169.254/32", "169.254.0.0/16", "fe80::/64",
		"ff02::/16", "198.18.1.1/32", "198.18.1.0/24", "198.18.1.0/25",
		"198.18.1.10/32", "2001:db8:1::10/128", "2001:db8:1::/64",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prefix p = P(bad[i]);
		if (!ag_guard_check(&g, &p))
			fail_msg("%s was not refused", bad[i]);
	}
	static const char *const good[] = {
		"198.19.250.0/24", "198.18.0.0/16", "10.0.0.0/8",
		"2001:db8:250::/48", "2001:db8::/32",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct prefix p = P(good[i]);
		const char *why = ag_guard_check(&g, &p);
		if (why)
			fail_msg("%s refused: %s", good[i], why);
	}
	/* a server that is not on-link: every covering route is refused */
	struct addr far = A("198.20.0.1");
	ag_guard_add_server(&g, &far);
	struct prefix p = P("198.20.0.0/16");
	assert_non_null(ag_guard_check(&g, &p));
	/* --allow-default lets a default through, not a martian */
	g.allow_default = true;
	p = P("0.0.0.0/0");
	assert_null(ag_guard_check(&g, &p));
	p = P("127.0.0.0/8");
	assert_non_null(ag_guard_check(&g, &p));
	struct ag_rset set = { 0 };
	struct ag_route r1 = R("198.19.250.0/24", "gw", 1, "198.18.1.2");
	struct ag_route r2 = R("224.0.0.0/4", "bh", 0);
	struct ag_route r3 = R("198.19.251.0/24", "gw", 1, "198.18.1.2");
	ag_rset_add(&set, &r1);
	ag_rset_add(&set, &r2);
	ag_rset_add(&set, &r3);
	ag_guard_filter(&g, &set, NULL, NULL);
	assert_int_equal(set.n, 2);
	assert_true(prefix_eq(&set.v[1].pfx, &r3.pfx));
	ag_rset_free(&set);
}

/* Many delta items (the merge path) give what one-by-one application
 * gives, with adds, changes and removes of the same keys interleaved. */
static void test_deltas_merge(void **state)
{
	struct ag_entries a = { 0 }, b = { 0 };
	struct ag_deltas d = { 0 };
	size_t ma = 0, mb = 0;
	(void)state;
	d.v = calloc(3000, sizeof(*d.v));
	assert_non_null(d.v);
	for (size_t i = 0; i < 3000; i++) {
		struct ag_delta_item *it = &d.v[d.n++];
		char buf[64];
		size_t k = (i * 7919) % 1000; /* prefixes repeat, out of order */
		snprintf(buf, sizeof(buf), "198.19.%zu.%zu/32", k / 250, k % 250);
		it->e.pfx = P(buf);
		it->e.source = AG_SRC_GATEWAY;
		it->e.nh_type = AG_NH_VNET_GATEWAY;
		it->e.active = true;
		it->e.n_nh = 1;
		it->e.nh[0] = A(i % 2 ? "198.18.1.2" : "198.18.1.3");
		it->op = i < 1000 ? AG_D_ADD : i < 2000 ? AG_D_CHANGE
							: (i % 3 ? AG_D_REMOVE : AG_D_CHANGE);
	}
	ag_entries_apply(&a, &d, &ma); /* merge */
	for (size_t i = 0; i < d.n; i += 50) { /* one by one, 50 at a time */
		struct ag_deltas part = { .v = d.v + i, .n = 50 };
		ag_entries_apply(&b, &part, &mb);
	}
	assert_int_equal(ma, mb);
	assert_int_equal(a.n, b.n);
	assert_true(a.n > 0 && a.n < 1000);
	for (size_t i = 0; i < a.n; i++)
		assert_true(same_entry(&a.v[i], &b.v[i]));
	for (size_t i = 1; i < a.n; i++)
		assert_true(prefix_cmp(&a.v[i - 1].pfx, &a.v[i].pfx) <= 0);
	ag_entries_free(&a);
	ag_entries_free(&b);
	free(d.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_desired),
		cmocka_unit_test(test_deltas),
		cmocka_unit_test(test_union),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_netlink_multipath),
		cmocka_unit_test(test_netlink_single),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_deltas_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
