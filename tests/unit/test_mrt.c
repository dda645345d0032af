/*
 * test_mrt.c - the MRT reader and writer against real dumps.
 *
 * Every third-party MRT file in $PHAROS_DATA (default tests/data, run
 * from the top of the repository: bgpdump's test set, the mrtparse and
 * ryu samples, a cut-short RouteViews RIB) is read with our
 * reader and the BGP codec, and the counts of RIB entries, announced and
 * withdrawn prefixes and state changes are compared with bgpdump's own
 * output for the same file (the stored expectation, or bgpdump -m run
 * here). The writer is checked by a round trip through the reader; with
 * PHAROS_MRT_WRITE=FILE set, the written dump is also saved there so that
 * tests/golden can feed it to bgpdump.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "wire/wire.h"
#include "mrt/mrt.h"

struct counts {
	long rib_entries, announce, withdraw, state;
	long ap_msgs; /* BGP4MP add-path lines (expectation) or records (ours) */
	long records, rib_records, peers, skipped, bad_attrs;
	long bad_msgs; /* UPDATEs the codec refuses (session reset) */
	long updates, peers_used;
	uint8_t *used; /* peer indexes seen in RIB entries */
	bool truncated;
};

static const char *data_dir(void)
{
	const char *d = getenv("PHAROS_DATA");

	return d && *d ? d : "tests/data";
}

/* Count bgpdump -m style lines read from a command's output. */
static void expect_from_cmd(const char *cmd, struct counts *c)
{
	char line[65536];
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), f)) {
		char *f1 = line, *f3, *bar;

		bar = strchr(f1, '|');
		if (!bar)
			continue;
		*bar = 0;
		f3 = strchr(bar + 1, '|');
		if (!f3)
			continue;
		f3++;
		if (!strcmp(f1, "TABLE_DUMP") || !strcmp(f1, "TABLE_DUMP2") ||
		    !strcmp(f1, "TABLE_DUMP2_AP"))
			c->rib_entries++;
		else if (!strcmp(f1, "BGP4MP_AP") || !strcmp(f1, "BGP4MP_ET_AP"))
			c->ap_msgs++;
		else if (!strncmp(f3, "A|", 2))
			c->announce++;
		else if (!strncmp(f3, "W|", 2))
			c->withdraw++;
		else if (!strncmp(f3, "STATE|", 6))
			c->state++;
	}
	pclose(f);
}

static long count_nlri(const struct bgp_nlri_block *b)
{
	size_t off = 0;
	struct prefix p;
	long n = 0;

	while (bgp_nlri_next(b, &off, &p) == 1)
		n++;
	return n;
}

/* Prefixes in an NLRI run of whole (len, bytes) entries. */
static long count_raw_nlri(const uint8_t *p, const uint8_t *end)
{
	long n = 0;

	while (p < end) {
		p += 1 + (p[0] + 7) / 8;
		n++;
	}
	return n;
}

/*
 * bgpdump prints MP_REACH/MP_UNREACH prefixes of the multicast SAFIs too,
 * we take only unicast: count the others straight from the raw attributes, so that
 * they can be added to our counts for the comparison.
 */
static void count_other_safi(const uint8_t *body, size_t len, struct counts *c)
{
	size_t wl, al;
	const uint8_t *p, *end;

	if (len < 4)
		return;
	wl = (size_t)(body[0] << 8 | body[1]);
	if (wl + 4 > len)
		return;
	al = (size_t)(body[2 + wl] << 8 | body[3 + wl]);
	p = body + 4 + wl;
	end = p + al;
	if (end > body + len)
		return;
	while (end - p >= 3) {
		size_t hl = p[0] & ATTR_F_EXTLEN ? 4 : 3;
		size_t l = hl == 4 ? (size_t)(p[2] << 8 | p[3]) : p[2];
		const uint8_t *d = p + hl;

		if ((size_t)(end - d) < l)
			return;
		bool mcast = l >= 3 && (d[2] == 2 || d[2] == 3);

		if (p[1] == ATTR_MP_REACH && l >= 5 && mcast &&
		    (size_t)d[3] + 5 <= l)
			c->announce += count_raw_nlri(d + 5 + d[3], d + l);
		if (p[1] == ATTR_MP_UNREACH && mcast)
			c->withdraw += count_raw_nlri(d + 3, d + l);
		p = d + l;
	}
}

static void count_message(const struct mrt_record *rec, struct counts *c)
{
	struct bgp_session_caps caps = { .as4 = rec->as4, .ext_message = true,
					 .ebgp = true };
	struct bgp_notify err;
	struct bgp_hdr h;
	static struct bgp_update u; /* large; one test runs at a time */

	if (rec->msg_addpath) {
		c->ap_msgs++;
		return;
	}
	if (rec->msg_len < BGP_HDR_LEN ||
	    bgp_hdr_decode(rec->msg, rec->msg_len, BGP_EXT_MAX_LEN, &h, &err) < 0 ||
	    h.type != BGP_UPDATE || h.len > rec->msg_len)
		return;
	c->updates++;
	if (bgp_update_decode(rec->msg + BGP_HDR_LEN, h.len - BGP_HDR_LEN, &caps,
			      &u, &err) == UPD_SESSION_RESET) {
		c->bad_msgs++;
		return;
	}
	count_other_safi(rec->msg + BGP_HDR_LEN, h.len - BGP_HDR_LEN, c);
	c->announce += count_nlri(&u.nlri);
	c->withdraw += count_nlri(&u.withdrawn);
	if (u.has_mp_reach)
		c->announce += count_nlri(&u.mp_reach);
	if (u.has_mp_unreach)
		c->withdraw += count_nlri(&u.mp_unreach);
}

static void count_rib(const struct mrt_reader *r, const struct mrt_record *rec,
		      struct counts *c, uint8_t *scratch)
{
	struct mrt_rib_entry e;
	size_t off = 0;
	int rc;

	c->rib_records++;
	while ((rc = mrt_rib_entry_next(rec, &off, &e)) == 1) {
		static struct bgp_attrs a;
		struct bgp_notify err;

		c->rib_entries++;
		assert_non_null(mrt_entry_peer(r, rec, &e));
		if (!rec->v1 && !c->used[e.peer_index]) {
			c->used[e.peer_index] = 1;
			c->peers_used++;
		}
		if (mrt_attrs_decode(e.attrs, e.attr_len, e.as4, rec->prefix.afi,
				     scratch, MRT_SCRATCH_LEN, &a, &err) != UPD_OK)
			c->bad_attrs++;
	}
	assert_int_equal(rc, 0);
}

/* Read a file with our reader and count what it holds. */
static void count_file(const char *path, struct counts *c)
{
	char err[256];
	uint8_t *buf, *scratch = malloc(MRT_SCRATCH_LEN);
	size_t len;
	struct mrt_reader r;
	struct mrt_record rec;
	int rc;

	assert_non_null(scratch);
	memset(c, 0, sizeof(*c));
	c->used = calloc(65536, 1);
	assert_non_null(c->used);
	if (mrt_file_load(path, &buf, &len, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	mrt_reader_init(&r, buf, len);
	while ((rc = mrt_next(&r, &rec)) == 1) {
		c->records++;
		switch (rec.kind) {
		case MRT_REC_RIB:
			count_rib(&r, &rec, c, scratch);
			break;
		case MRT_REC_MESSAGE:
			count_message(&rec, c);
			break;
		case MRT_REC_STATE:
			c->state++;
			break;
		case MRT_REC_PEER_INDEX:
			c->peers = r.n_peers;
			break;
		case MRT_REC_SKIPPED:
			assert_non_null(rec.note);
			c->skipped++;
			break;
		}
	}
	c->truncated = r.truncated;
	if (rc < 0) {
		print_message("# %s: %s\n", path, r.err);
		assert_true(r.truncated); /* the only error real files show */
		assert_int_equal(mrt_next(&r, &rec), 0);
	}
	mrt_reader_free(&r);
	free(buf);
	free(scratch);
	free(c->used);
	c->used = NULL;
}

static void check_same(const char *path, const struct counts *want,
		       const struct counts *got)
{
	print_message("# %s: %ld records, %ld rib entries, %ld A, %ld W, %ld "
		      "state, %ld add-path messages skipped\n",
		      path, got->records, got->rib_entries, got->announce,
		      got->withdraw, got->state, got->ap_msgs);
	assert_int_equal(got->rib_entries, want->rib_entries);
	assert_int_equal(got->announce, want->announce);
	assert_int_equal(got->withdraw, want->withdraw);
	assert_int_equal(got->state, want->state);
	/* Add-path BGP4MP messages are skipped, but seen. */
	assert_int_equal(got->ap_msgs > 0, want->ap_msgs > 0);
	assert_int_equal(got->bad_attrs, 0);
	assert_int_equal(got->bad_msgs, 0);
	assert_true(got->records > 0);
}

/* bgpdump's test set: the stored expectation text. */
static void test_bgpdump_file(void **state)
{
	const char *name = *state;
	char path[1024], cmd[2048];
	struct counts want, got;

	snprintf(path, sizeof(path), "%s/bgpdump/%s", data_dir(), name);
	snprintf(cmd, sizeof(cmd), "gzip -cd '%s/bgpdump_expect/%s.bgp.gz'",
		 data_dir(), name);
	expect_from_cmd(cmd, &want);
	count_file(path, &got);
	check_same(path, &want, &got);
	assert_false(got.truncated);
}

/* Other samples: bgpdump -m run on the same file is the judge. */
static void test_sample_file(void **state)
{
	const char *name = *state;
	char path[1024], cmd[2048];
	struct counts want, got;

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
	snprintf(cmd, sizeof(cmd), "bgpdump -m '%s' 2>/dev/null", path);
	expect_from_cmd(cmd, &want);
	count_file(path, &got);
	check_same(path, &want, &got);
	assert_false(got.truncated);
}

/*
 * Files holding UPDATEs that are malformed on the wire, where bgpdump
 * prints what it guesses and our codec refuses the message (NLRI cannot
 * be parsed: RFC 7606 5.3, session reset):
 * - BIRD's mrtparse samples carry add-path NLRI (a 4-byte path id before
 *   each prefix) under the plain MESSAGE_AS4 subtype; bgpdump prints
 *   0.0.0.0/0 three times and a bogus /1 or /2 for each.
 * - updates.nlri_mask_trailing_bits ends its NLRI with a lone length
 *   byte (0x0b, no prefix bytes); bgpdump prints the one whole prefix.
 * Those UPDATEs are refused (the others carry no prefix: End-of-RIB),
 * everything else is read.
 */
static void test_malformed_quirk(void **state)
{
	const char *name = *state;
	char path[1024], cmd[2048];
	struct counts want, got;
	bool bgpdump_set = !strncmp(name, "bgpdump/", 8);

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
	if (bgpdump_set)
		snprintf(cmd, sizeof(cmd), "gzip -cd '%s/bgpdump_expect/%s.bgp.gz'",
			 data_dir(), name + 8);
	else
		snprintf(cmd, sizeof(cmd), "bgpdump -m '%s' 2>/dev/null", path);
	expect_from_cmd(cmd, &want);
	count_file(path, &got);
	print_message("# %s: %ld UPDATEs, %ld refused; bgpdump: %ld A, %ld W\n",
		      path, got.updates, got.bad_msgs, want.announce,
		      want.withdraw);
	assert_int_equal(got.state, want.state);
	assert_true(want.announce > 0);
	assert_true(got.updates > 0);
	assert_true(got.bad_msgs > 0 && got.bad_msgs <= got.updates);
	assert_int_equal(got.announce + got.withdraw, 0);
	assert_int_equal(got.rib_entries, 0);
}

static void test_routeviews(void **state)
{
	char path[1024];
	struct counts got;

	(void)state;
	snprintf(path, sizeof(path),
		 "%s/routeviews/rib.20140523.0600_firstMB.bz2", data_dir());
	count_file(path, &got);
	assert_int_equal(got.rib_records, 9072);
	assert_int_equal(got.peers_used, 35); /* of the table's 47 */
	assert_int_equal(got.peers, 47);
	assert_int_equal(got.rib_entries, 270005);
	assert_true(got.truncated);
	assert_int_equal(got.bad_attrs, 0);
}

/* A hand-made truncated buffer: header cut, then body cut. */
static void test_truncated(void **state)
{
	uint8_t rec[12 + 4] = { 0, 0, 0, 1, 0, 16, 0, 4, 0, 0, 0, 200 };
	struct mrt_reader r;
	struct mrt_record m;

	(void)state;
	mrt_reader_init(&r, rec, sizeof(rec));
	assert_int_equal(mrt_next(&r, &m), -1);
	assert_true(r.truncated);
	assert_non_null(strstr(r.err, "truncated"));
	assert_int_equal(mrt_next(&r, &m), 0);
	mrt_reader_init(&r, rec, 7);
	assert_int_equal(mrt_next(&r, &m), -1);
	assert_true(r.truncated);
	mrt_reader_free(&r);
}

/* Attributes for the writer test. */
static void make_attrs(struct bgp_attrs *a, const uint32_t *path, unsigned n,
		       const char *nh, uint32_t med)
{
	static const uint8_t comms[] = { 0xfd, 0xe9, 0x00, 0x64 }; /* 65001:100 */

	memset(a, 0, sizeof(*a));
	a->present = ATTR_BIT(ATTR_ORIGIN) | ATTR_BIT(ATTR_AS_PATH) |
		     ATTR_BIT(ATTR_MED) | ATTR_BIT(ATTR_COMMUNITIES);
	a->origin = ORIGIN_IGP;
	aspath_set_sequence(a, path, n);
	a->med = med;
	a->n_communities = 1;
	a->communities = comms;
	if (strchr(nh, ':')) {
		assert_int_equal(addr_parse(nh, &a->mp_next_hop), 0);
		a->mp_afi = AFI_IPV6;
		a->mp_safi = SAFI_UNICAST;
	} else {
		assert_int_equal(addr_parse(nh, &a->next_hop), 0);
		a->present |= ATTR_BIT(ATTR_NEXT_HOP);
	}
}

/* Write a small RIB and an update, read them back, compare. */
static void write_sample(struct mrt_wbuf *w, struct bgp_attrs *a4,
			 struct bgp_attrs *a6)
{
	static const uint32_t p4[] = { 65001, 65002 }, p6[] = { 4200000001u, 65003 };
	struct mrt_peer peers[2];
	struct prefix v4, v6, u4;
	struct mrt_rib_out e4[2] = { { 0, 1000, a4 }, { 1, 1001, a4 } };
	struct mrt_rib_out e6[1] = { { 1, 1002, a6 } };
	struct bgp_session_caps caps = { .as4 = true, .ebgp = true };
	struct bgp_update_builder b;
	uint8_t msg[BGP_MAX_LEN];
	size_t mlen;

	make_attrs(a4, p4, 2, "198.18.0.1", 10);
	make_attrs(a6, p6, 2, "2001:db8::2", 20);
	memset(peers, 0, sizeof(peers));
	assert_int_equal(addr_parse("198.18.0.1", &peers[0].addr), 0);
	peers[0].asn = 65001;
	memcpy(&peers[0].bgp_id, peers[0].addr.b, 4);
	assert_int_equal(addr_parse("2001:db8::2", &peers[1].addr), 0);
	peers[1].asn = 4200000001u;
	peers[1].bgp_id = htonl(0xc6120002);
	assert_int_equal(prefix_parse("198.18.10.0/24", &v4), 0);
	assert_int_equal(prefix_parse("2001:db8:10::/48", &v6), 0);
	assert_int_equal(prefix_parse("198.18.20.0/24", &u4), 0);
	assert_int_equal(mrt_write_peer_index(w, 1700000000, peers[0].bgp_id,
					      "pharos", peers, 2), 0);
	assert_int_equal(mrt_write_rib(w, 1700000000, 0, &v4, e4, 2), 0);
	assert_int_equal(mrt_write_rib(w, 1700000000, 1, &v6, e6, 1), 0);
	assert_int_equal(bgp_update_begin(&b, msg, sizeof(msg), AFI_IPV4, a4,
					  &caps), 0);
	assert_int_equal(bgp_update_add(&b, &u4), 0);
	mlen = bgp_update_finish(&b);
	assert_int_equal(mrt_write_bgp4mp_msg(w, 1700000001, 65001, 65515,
					      &peers[0].addr, &peers[0].addr, msg,
					      mlen), 0);
	assert_int_equal(mrt_write_bgp4mp_state(w, 1700000002, 65001, 65515,
						&peers[0].addr, &peers[0].addr, 6,
						1), 0);
	assert_false(w->oom);
}

static void check_rib_record(struct mrt_reader *r, struct mrt_record *rec,
			     const char *pfx, unsigned n, const char *path0,
			     uint8_t *scratch)
{
	static struct bgp_attrs a;
	struct mrt_rib_entry e;
	struct bgp_notify err;
	char buf[PREFIX_STRLEN];
	size_t off = 0;
	unsigned i = 0;

	assert_int_equal(mrt_next(r, rec), 1);
	assert_int_equal(rec->kind, MRT_REC_RIB);
	assert_string_equal(prefix_fmt(&rec->prefix, buf, sizeof(buf)), pfx);
	assert_int_equal(rec->n_entries, n);
	while (mrt_rib_entry_next(rec, &off, &e) == 1) {
		assert_int_equal(mrt_attrs_decode(e.attrs, e.attr_len, e.as4,
						  rec->prefix.afi, scratch,
						  MRT_SCRATCH_LEN, &a, &err),
				 UPD_OK);
		aspath_fmt(&a, buf, sizeof(buf));
		assert_string_equal(buf, path0);
		assert_int_equal(a.n_communities, 1);
		if (rec->prefix.afi == AFI_IPV6) {
			assert_string_equal(addr_fmt(&a.mp_next_hop, buf,
						     sizeof(buf)), "2001:db8::2");
			assert_int_equal(a.med, 20);
		} else {
			assert_string_equal(addr_fmt(&a.next_hop, buf, sizeof(buf)),
					    "198.18.0.1");
			assert_int_equal(a.med, 10);
		}
		assert_int_equal(e.peer_index, rec->prefix.afi == AFI_IPV6 ? 1 : i);
		assert_non_null(mrt_entry_peer(r, rec, &e));
		i++;
	}
	assert_int_equal(i, n);
}

static void test_writer_roundtrip(void **state)
{
	static struct bgp_attrs a4, a6;
	struct mrt_wbuf w = { 0 };
	struct mrt_reader r;
	struct mrt_record rec;
	struct counts c;
	uint8_t *scratch = malloc(MRT_SCRATCH_LEN);
	const char *out = getenv("PHAROS_MRT_WRITE");

	(void)state;
	write_sample(&w, &a4, &a6);
	mrt_reader_init(&r, w.p, w.len);
	assert_int_equal(mrt_next(&r, &rec), 1);
	assert_int_equal(rec.kind, MRT_REC_PEER_INDEX);
	assert_int_equal(r.n_peers, 2);
	assert_int_equal(r.peers[1].asn, 4200000001u);
	assert_string_equal(r.view, "pharos");
	check_rib_record(&r, &rec, "198.18.10.0/24", 2, "65001 65002", scratch);
	check_rib_record(&r, &rec, "2001:db8:10::/48", 1, "4200000001 65003",
			 scratch);
	assert_int_equal(mrt_next(&r, &rec), 1);
	assert_int_equal(rec.kind, MRT_REC_MESSAGE);
	assert_true(rec.as4);
	assert_int_equal(rec.peer_as, 65001);
	assert_int_equal(rec.local_as, 65515);
	memset(&c, 0, sizeof(c));
	count_message(&rec, &c);
	assert_int_equal(c.announce, 1);
	assert_int_equal(mrt_next(&r, &rec), 1);
	assert_int_equal(rec.kind, MRT_REC_STATE);
	assert_int_equal(rec.old_state, 6);
	assert_int_equal(rec.new_state, 1);
	assert_int_equal(mrt_next(&r, &rec), 0);
	assert_false(r.truncated);
	mrt_reader_free(&r);
	if (out && *out)
		assert_int_equal(mrt_file_save(out, w.p, w.len), 0);
	mrt_wbuf_free(&w);
	free(scratch);
}

#define BGPDUMP_TEST(f) cmocka_unit_test_prestate(test_bgpdump_file, (void *)f)
#define SAMPLE_TEST(f) cmocka_unit_test_prestate(test_sample_file, (void *)f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BGPDUMP_TEST("bview.20020722.2337.gz"),
		BGPDUMP_TEST("bview.64k_stream_overflow.gz"),
		BGPDUMP_TEST("bview.ipv4_unicast_add_path.gz"),
		BGPDUMP_TEST("bview.ipv6_unicast_add_path.gz"),
		BGPDUMP_TEST("updates.20020722.2238.gz"),
		BGPDUMP_TEST("updates.20070211.0141.gz"),
		BGPDUMP_TEST("updates.20071015.1505.gz"),
		BGPDUMP_TEST("updates.20100722.2015.gz"),
		BGPDUMP_TEST("updates.20160811.1600.gz"),
		BGPDUMP_TEST("updates.et-header.2015.gz"),
		BGPDUMP_TEST("updates.long_withdrawal.gz"),
		cmocka_unit_test_prestate(test_malformed_quirk,
			(void *)"bgpdump/updates.nlri_mask_trailing_bits.gz"),
		SAMPLE_TEST("mrtparse/bird-mrtdump_bgp"),
		SAMPLE_TEST("mrtparse/bird-mrtdump_rib"),
		SAMPLE_TEST("mrtparse/bird6-mrtdump_bgp"),
		SAMPLE_TEST("mrtparse/bird6-mrtdump_rib"),
		cmocka_unit_test_prestate(test_malformed_quirk,
					  (void *)"mrtparse/bird6_bgp"),
		cmocka_unit_test_prestate(test_malformed_quirk,
					  (void *)"mrtparse/bird_bgp"),
		SAMPLE_TEST("mrtparse/openbgpd_bgp"),
		SAMPLE_TEST("mrtparse/openbgpd_rib_table"),
		SAMPLE_TEST("mrtparse/openbgpd_rib_table-mp"),
		SAMPLE_TEST("mrtparse/openbgpd_rib_table-v2"),
		SAMPLE_TEST("mrtparse/quagga_bgp"),
		SAMPLE_TEST("mrtparse/quagga_bgp_large_communities"),
		SAMPLE_TEST("mrtparse/quagga_rib"),
		SAMPLE_TEST("ryu/rib.20161101.0000_pick.bz2"),
		SAMPLE_TEST("ryu/updates.20161101.0000.bz2"),
		cmocka_unit_test(test_routeviews),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_writer_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
