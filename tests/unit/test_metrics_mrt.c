/*
 * test_metrics_mrt.c - the operations outputs on a small daemon context
 * built by hand (a RIB with two peers' routes, no sockets): the
 * TABLE_DUMP_V2 dump read back by the MRT reader, the Prometheus text
 * (label escaping, per-peer and RIB values, events and API codes), the
 * convergence histogram and the UPDATE count of an output block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/metrics.h"
#include "session/peer.h"
#include "daemon/mrt_glue.h"
#include "mrt/mrt.h"

struct fake {
	struct daemon d;
	struct conf conf;
	struct conf_peer cp[2];
	struct peer p[2];
	struct peer *pp[2];
	struct peer *by_rib[8];
	struct export_config excfg;
	FILE *devnull;
};

static void announce(struct fake *f, int peer, const char *pfx,
		     const char *nh, uint32_t asn)
{
	struct bgp_attrs a;
	struct prefix p;
	struct rattr *ra;

	memset(&a, 0, sizeof(a));
	a.present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH);
	a.aspath_len = 6;
	a.aspath[0] = 2; /* AS_SEQUENCE */
	a.aspath[1] = 1;
	a.aspath[2] = (uint8_t)(asn >> 24);
	a.aspath[3] = (uint8_t)(asn >> 16);
	a.aspath[4] = (uint8_t)(asn >> 8);
	a.aspath[5] = (uint8_t)asn;
	assert_int_equal(prefix_parse(pfx, &p), 0);
	if (p.afi == AFI_IPV4) {
		a.present |= ATTR_BIT(ATTR_NEXT_HOP);
		assert_int_equal(addr_parse(nh, &a.next_hop), 0);
	} else {
		assert_int_equal(addr_parse(nh, &a.mp_next_hop), 0);
	}
	ra = rattr_intern(f->d.rib, &a);
	assert_non_null(ra);
	assert_true(rib_announce(f->d.rib, f->p[peer].rib_id, &p, ra) >= 0);
	rattr_unref(f->d.rib, ra);
}

static void no_change(const struct rentry *e, uint32_t id, void *arg)
{
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct rib_config rc = {.local_asn = 65515, .max_paths = 8};
	static char *names[2] = {"nva-a", "odd \"q\" \\ x"};

	f->d.conf = &f->conf;
	f->conf.rs.asn = 65515;
	addr_parse("198.18.0.1", &f->conf.rs.router_id);
	f->d.loop = ev_loop_new(EVFLAG_AUTO);
	f->d.rib = rib_new(&rc);
	f->excfg.local_asn = 65515;
	f->d.ex = export_new(f->d.rib, &f->excfg);
	f->devnull = fopen("/dev/null", "w");
	f->d.events = events_new(16, NULL, f->devnull);
	daemon_session_wire(&f->d);
	for (int i = 0; i < 2; i++) {
		struct rib_peer rp = {.asn = 65001 + (uint32_t)i};
		f->cp[i].name = names[i];
		f->cp[i].kind = PEER_NVA;
		f->cp[i].asn = 65001 + (uint32_t)i;
		addr_parse(i ? "198.18.1.3" : "198.18.1.2", &f->cp[i].address);
		rp.addr = f->cp[i].address;
		f->p[i].s = &f->d.sess;
		f->p[i].cf = &f->cp[i];
		f->p[i].name = names[i];
		f->p[i].rib_id = rib_peer_add(f->d.rib, &rp);
		f->p[i].state = i ? PS_ACTIVE : PS_ESTABLISHED;
		f->p[i].up_since = 1000;
		f->pp[i] = &f->p[i];
	}
	f->d.sess.peers = f->pp;
	f->d.sess.n_peers = 2;
	for (int i = 0; i < 2; i++) {
		assert_true(f->p[i].rib_id < 8);
		f->by_rib[f->p[i].rib_id] = &f->p[i];
	}
	f->d.sess.by_rib = f->by_rib;
	f->d.sess.n_by_rib = 8;
	daemon_api_wire(&f->d);
	f->d.metrics = metrics_new(&f->d.apih);
	f->d.apih.metrics = f->d.metrics;
	announce(f, 0, "198.19.1.0/24", "198.18.1.2", 65001);
	announce(f, 1, "198.19.1.0/24", "198.18.1.3", 65002);
	announce(f, 0, "2001:db8:10::/48", "2001:db8::2", 65001);
	announce(f, 1, "0.0.0.0/0", "198.18.1.3", 65002);
	rib_changes_drain(f->d.rib, no_change, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	metrics_free(f->d.metrics);
	export_free(f->d.ex);
	rib_free(f->d.rib);
	events_free(f->d.events);
	ev_loop_destroy(f->d.loop);
	fclose(f->devnull);
	free(f);
	return 0;
}

/* The dump reads back: the peer table, then one record per prefix with
 * one entry per peer, attributes and next hops intact. */
static void test_rib_dump_reads_back(void **state)
{
	struct fake *f = *state;
	struct mrt_wbuf w = {0};
	struct mrt_reader r;
	struct mrt_record rec;
	uint8_t *scratch = malloc(MRT_SCRATCH_LEN);
	char buf[64];
	unsigned recs = 0, entries = 0;

	assert_int_equal(mrt_rib_dump(&f->d.sess, &w, 1234), 3);
	mrt_reader_init(&r, w.p, w.len);
	assert_int_equal(mrt_next(&r, &rec), 1);
	assert_int_equal(rec.kind, MRT_REC_PEER_INDEX);
	assert_int_equal(r.n_peers, 2);
	assert_int_equal(r.peers[1].asn, 65002);
	assert_string_equal(addr_fmt(&r.peers[1].addr, buf, sizeof(buf)), "198.18.1.3");
	assert_string_equal(r.view, "pharos");
	while (mrt_next(&r, &rec) == 1) {
		struct mrt_rib_entry e;
		size_t off = 0;

		assert_int_equal(rec.kind, MRT_REC_RIB);
		assert_int_equal(rec.timestamp, 1234);
		assert_int_equal(rec.seq, recs);
		recs++;
		while (mrt_rib_entry_next(&rec, &off, &e) == 1) {
			struct bgp_attrs a;
			struct bgp_notify err;
			const struct mrt_peer *mp = mrt_entry_peer(&r, &rec, &e);

			assert_non_null(mp);
			assert_int_equal(mrt_attrs_decode(e.attrs, e.attr_len, true,
							  rec.prefix.afi, scratch,
							  MRT_SCRATCH_LEN, &a, &err),
					 UPD_OK);
			/* AS path = the peer's ASN; next hop = its address */
			assert_int_equal(a.aspath_len, 6);
			assert_int_equal(a.aspath[5], (uint8_t)mp->asn);
			addr_fmt(rec.prefix.afi == AFI_IPV4 ? &a.next_hop : &a.mp_next_hop,
				 buf, sizeof(buf));
			if (rec.prefix.afi == AFI_IPV6)
				assert_string_equal(buf, "2001:db8::2");
			else
				assert_string_equal(buf, mp->asn == 65001 ? "198.18.1.2"
									  : "198.18.1.3");
			assert_int_equal(e.originated,
					 mp->asn == 65001 ? 1000 : 1234);
			entries++;
		}
	}
	assert_int_equal(recs, 3);
	assert_int_equal(entries, 4);
	assert_false(r.truncated);
	mrt_reader_free(&r);
	mrt_wbuf_free(&w);
	free(scratch);
}

/* Step by step, one prefix at a time, the same bytes as in one go; a
 * peer gone between steps (reload) loses its later routes. */
static void test_dumper_steps(void **state)
{
	struct fake *f = *state;
	struct mrt_wbuf whole = {0}, w = {0};
	struct mrt_dumper *x;
	int rc, steps = 0;

	assert_int_equal(mrt_rib_dump(&f->d.sess, &whole, 77), 3);
	x = mrt_dumper_new(&f->d.sess, 77);
	while ((rc = mrt_dumper_step(x, &w, 1)) == 1)
		steps++;
	assert_int_equal(rc, 0);
	assert_int_equal(steps + 1, 3);
	assert_int_equal(mrt_dumper_records(x), 3);
	assert_int_equal(w.len, whole.len);
	assert_memory_equal(w.p, whole.p, w.len);
	mrt_dumper_free(x);
	mrt_wbuf_free(&w);

	/* 0.0.0.0/0 first (from the second peer), then the peer goes. */
	x = mrt_dumper_new(&f->d.sess, 77);
	assert_int_equal(mrt_dumper_step(x, &w, 1), 1);
	f->by_rib[f->p[1].rib_id] = NULL;
	assert_int_equal(mrt_dumper_step(x, &w, 100), 0);
	assert_int_equal(mrt_dumper_records(x), 3);
	assert_true(w.len < whole.len); /* 198.19.1.0/24 lost one entry */
	{
		struct mrt_reader r;
		struct mrt_record rec;
		unsigned entries = 0;

		mrt_reader_init(&r, w.p, w.len);
		while (mrt_next(&r, &rec) == 1) {
			struct mrt_rib_entry e;
			size_t off = 0;
			while (rec.kind == MRT_REC_RIB &&
			       mrt_rib_entry_next(&rec, &off, &e) == 1)
				entries++;
		}
		assert_int_equal(entries, 3);
		mrt_reader_free(&r);
	}
	f->by_rib[f->p[1].rib_id] = &f->p[1];
	mrt_dumper_free(x);
	mrt_wbuf_free(&w);
	mrt_wbuf_free(&whole);
}

static void test_metrics_text(void **state)
{
	struct fake *f = *state;
	char *t;

	events_emit(f->d.events, "session_up", "nva-a", "up");
	events_emit(f->d.events, "session_up", "nva-a", "up");
	events_emit(f->d.events, "max_prefix", "nva-a", "over");
	metrics_api_reply(&f->d.apih, 200);
	metrics_api_reply(&f->d.apih, 200);
	metrics_api_reply(&f->d.apih, 404);
	t = api_metrics_text(&f->d.apih);
	assert_non_null(t);
	assert_non_null(strstr(t, "# HELP pharos_peer_up 1 when the session is established\n"
				  "# TYPE pharos_peer_up gauge\n"
				  "pharos_peer_up{peer=\"nva-a\",address=\"198.18.1.2\",kind=\"nva\"} 1\n"));
	/* Quotes and backslashes escaped. */
	assert_non_null(strstr(t, "pharos_peer_up{peer=\"odd \\\"q\\\" \\\\ x\","
				  "address=\"198.18.1.3\",kind=\"nva\"} 0\n"));
	assert_non_null(strstr(t, "pharos_peer_prefixes_accepted{peer=\"nva-a\",address=\"198.18.1.2\",kind=\"nva\"} 2\n"));
	assert_non_null(strstr(t, "pharos_peer_default_routes_learned{peer=\"odd \\\"q\\\" \\\\ x\",address=\"198.18.1.3\",kind=\"nva\"} 1\n"));
	assert_non_null(strstr(t, "pharos_peer_default_routes_learned{peer=\"nva-a\",address=\"198.18.1.2\",kind=\"nva\"} 0\n"));
	assert_non_null(strstr(t, "pharos_peer_routes_refused_total{peer=\"nva-a\",address=\"198.18.1.2\",kind=\"nva\",reason=\"policy\"} 0\n"));
	assert_non_null(strstr(t, "pharos_rib_prefixes{afi=\"ipv4\"} 2\n"));
	assert_non_null(strstr(t, "pharos_rib_prefixes{afi=\"ipv6\"} 1\n"));
	assert_non_null(strstr(t, "pharos_rib_paths 4\n"));
	assert_non_null(strstr(t, "pharos_events_total{type=\"session_up\"} 2\n"));
	assert_non_null(strstr(t, "pharos_events_total{type=\"max_prefix\"} 1\n"));
	assert_non_null(strstr(t, "pharos_api_requests_total{code=\"200\"} 2\n"));
	assert_non_null(strstr(t, "pharos_api_requests_total{code=\"404\"} 1\n"));
	assert_non_null(strstr(t, "# TYPE pharos_convergence_seconds histogram\n"));
	assert_null(strstr(t, "pharos_fabric_version")); /* no fabric here */
	free(t);
	/* Events are counted once, however often the text is built. */
	t = api_metrics_text(&f->d.apih);
	assert_non_null(strstr(t, "pharos_events_total{type=\"session_up\"} 2\n"));
	free(t);
}

/* An UPDATE starts the clock, the turn after the flush stops it. */
static void test_convergence_measured(void **state)
{
	struct fake *f = *state;
	char *t;

	metrics_update_in(&f->d.apih);
	ev_run(f->d.loop, EVRUN_NOWAIT);
	t = api_metrics_text(&f->d.apih);
	assert_non_null(strstr(t, "pharos_convergence_seconds_count 1\n"));
	assert_non_null(strstr(t, "pharos_convergence_seconds_bucket{le=\"10\"} 1\n"));
	assert_non_null(strstr(t, "pharos_convergence_seconds_bucket{le=\"+Inf\"} 1\n"));
	free(t);
	/* No UPDATE since: nothing more is observed. */
	ev_run(f->d.loop, EVRUN_NOWAIT);
	t = api_metrics_text(&f->d.apih);
	assert_non_null(strstr(t, "pharos_convergence_seconds_count 1\n"));
	free(t);
}

static size_t file_size(const char *dir, const char *prefix)
{
	char cmd[600], out[64] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "cat %s/%s.* 2>/dev/null | wc -c", dir, prefix);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	if (!fgets(out, sizeof(out), f))
		out[0] = 0;
	pclose(f);
	return strtoul(out, NULL, 10);
}

/* Received UPDATEs go to updates.* in mrt_dir as BGP4MP records; a
 * reload that moves mrt_dir is followed at the next turn. */
static void test_update_log_and_reload(void **state)
{
	struct fake *f = *state;
	char d1[] = "/tmp/pharos-mrt-XXXXXX", d2[] = "/tmp/pharos-mrt-XXXXXX";
	uint8_t msg[BGP_HDR_LEN + 4];
	struct conn c;
	char cmd[200];
	size_t rec = MRT_HDR_LEN + 12 + 8 + sizeof(msg); /* header, AS4 head, IPv4 addresses */

	assert_non_null(mkdtemp(d1));
	assert_non_null(mkdtemp(d2));
	memset(msg, 0xff, 16);
	msg[16] = 0, msg[17] = sizeof(msg), msg[18] = BGP_UPDATE;
	memset(msg + BGP_HDR_LEN, 0, 4);
	memset(&c, 0, sizeof(c));
	c.peer = &f->p[0];
	c.caps.as4 = true;
	addr_parse("198.18.1.2", &c.remote);
	addr_parse("198.18.0.1", &c.local);
	f->conf.api.mrt_dir = d1;
	f->conf.api.mrt_updates = true;
	f->d.mrt = mrt_glue_new(&f->d);
	assert_non_null(f->d.mrt);
	mrt_glue_update(&f->d, &c, msg, sizeof(msg));
	mrt_glue_update(&f->d, &c, msg, sizeof(msg));
	ev_run(f->d.loop, EVRUN_NOWAIT);
	assert_int_equal(file_size(d1, "updates"), 2 * rec);
	f->conf.api.mrt_dir = d2; /* as a reload would */
	ev_run(f->d.loop, EVRUN_NOWAIT);
	mrt_glue_update(&f->d, &c, msg, sizeof(msg));
	ev_run(f->d.loop, EVRUN_NOWAIT);
	assert_int_equal(file_size(d2, "updates"), rec);
	assert_int_equal(file_size(d1, "updates"), 2 * rec);
	f->conf.api.mrt_updates = false;
	ev_run(f->d.loop, EVRUN_NOWAIT);
	mrt_glue_update(&f->d, &c, msg, sizeof(msg));
	ev_run(f->d.loop, EVRUN_NOWAIT);
	assert_int_equal(file_size(d2, "updates"), rec);
	{
		struct mrt_glue_stats st;
		mrt_glue_stats(f->d.mrt, &st);
		assert_int_equal(st.updates_logged, 3);
		assert_int_equal(st.write_errors, 0);
	}
	mrt_glue_free(f->d.mrt);
	f->d.mrt = NULL;
	f->conf.api.mrt_dir = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", d1, d2);
	assert_int_equal(system(cmd), 0);
}

static void test_histogram_buckets(void **state)
{
	struct histogram h;

	memset(&h, 0, sizeof(h));
	histogram_observe(&h, 0.001); /* le is inclusive */
	histogram_observe(&h, 0.003);
	histogram_observe(&h, 10);
	histogram_observe(&h, 20); /* only +Inf */
	assert_int_equal(h.counts[0], 1);
	assert_int_equal(h.counts[2], 1); /* 0.005 */
	assert_int_equal(h.counts[METRICS_NBUCKETS - 1], 1);
	assert_int_equal(h.count, 4);
	assert_true(h.sum > 30.003 && h.sum < 30.005);
	assert_true(metrics_buckets[0] == 0.001);
	assert_true(metrics_buckets[METRICS_NBUCKETS - 1] == 10);
}

static void test_count_updates(void **state)
{
	struct out_buf *b = out_buf_new(128);
	uint8_t ka[BGP_HDR_LEN], up[BGP_HDR_LEN + 4];

	memset(ka, 0xff, 16);
	ka[16] = 0, ka[17] = BGP_HDR_LEN, ka[18] = BGP_KEEPALIVE;
	memset(up, 0xff, 16);
	up[16] = 0, up[17] = BGP_HDR_LEN + 4, up[18] = BGP_UPDATE;
	memset(up + BGP_HDR_LEN, 0, 4);
	memcpy(b->data, up, sizeof(up));
	memcpy(b->data + sizeof(up), ka, sizeof(ka));
	memcpy(b->data + sizeof(up) + sizeof(ka), up, sizeof(up));
	b->len = 2 * sizeof(up) + sizeof(ka);
	assert_int_equal(bgp_count_updates(b->data, b->len), 2);
	b->len = sizeof(ka) - 1; /* not even a header */
	assert_int_equal(bgp_count_updates(b->data, b->len), 0);
	out_buf_unref(b);
}

static void test_file_name(void **state)
{
	char buf[64];

	mrt_file_name(buf, sizeof(buf), "rib", 1700000000); /* 2023-11-14 22:13:20 UTC */
	assert_string_equal(buf, "rib.20231114.2213");
	mrt_file_name(buf, sizeof(buf), "updates", 0);
	assert_string_equal(buf, "updates.19700101.0000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rib_dump_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dumper_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_convergence_measured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_log_and_reload, setup, teardown),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_count_updates),
		cmocka_unit_test(test_file_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
