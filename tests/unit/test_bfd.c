/*
 * test_bfd.c - the BFD control packet codec (src/wire/bfd.c): a packet
 * laid out by hand from RFC 5880 4.1 decodes field by field, encoding
 * gives the same bytes back, each reception check of 6.8.6 that the
 * codec makes discards its packet, and keyed SHA1 sections check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wire/bfd.h"

/* Version 1, diag 3 (neighbor signaled down), state Up (3) with Poll,
 * multiplier 3, length 24, my 0x01020304, your 0x0a0b0c0d, desired min
 * TX 100000 us, required min RX 300000 us, echo 0. */
static const uint8_t up_poll[24] = {
	0x23, 0xe0, 0x03, 0x18, 0x01, 0x02, 0x03, 0x04,
	0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x01, 0x86, 0xa0,
	0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0x00, 0x00,
};

static void test_decode_encode(void **state)
{
	struct bfd_pkt k;
	uint8_t out[BFD_MAX_LEN];
	char err[96];
	(void)state;
	assert_int_equal(bfd_decode(up_poll, sizeof(up_poll), &k, err, sizeof(err)), 0);
	assert_int_equal(k.diag, BFD_DIAG_NEIGHBOR_DOWN);
	assert_int_equal(k.state, BFD_UP);
	assert_int_equal(k.flags, BFD_F_POLL);
	assert_int_equal(k.detect_mult, 3);
	assert_int_equal(k.my_disc, 0x01020304);
	assert_int_equal(k.your_disc, 0x0a0b0c0d);
	assert_int_equal(k.desired_min_tx, 100000);
	assert_int_equal(k.required_min_rx, 300000);
	assert_int_equal(k.required_min_echo_rx, 0);
	assert_null(k.auth);
	assert_int_equal(bfd_encode(&k, out, sizeof(out)), 24);
	assert_memory_equal(out, up_poll, 24);
	assert_int_equal(bfd_encode(&k, out, 23), -1);
	assert_string_equal(bfd_state_name(k.state), "up");
	assert_string_equal(bfd_diag_name(k.diag), "neighbor signaled session down");
}

static void test_auth_section(void **state)
{
	uint8_t b[28];
	struct bfd_pkt k;
	char err[96];
	(void)state;
	memcpy(b, up_poll, 24);
	b[1] |= BFD_F_AUTH;
	b[3] = 28;
	b[24] = 1; /* simple password */
	b[25] = 4; /* type, len, key id, one byte of password */
	b[26] = 7;
	b[27] = 'x';
	assert_int_equal(bfd_decode(b, sizeof(b), &k, err, sizeof(err)), 0);
	assert_true(k.flags & BFD_F_AUTH);
	assert_int_equal(k.auth_type, 1);
	assert_int_equal(k.auth_len, 4);
	assert_ptr_equal(k.auth, b + 24);
	b[25] = 5; /* past the length field */
	assert_int_equal(bfd_decode(b, sizeof(b), &k, err, sizeof(err)), -1);
	assert_string_equal(err, "bad authentication length");
}

/* One byte changed from up_poll: the packet is discarded with why. */
static void bad(size_t off, uint8_t v, size_t len, const char *why)
{
	uint8_t b[24];
	struct bfd_pkt k;
	char err[96] = "";

	memcpy(b, up_poll, 24);
	if (off < 24)
		b[off] = v;
	assert_int_equal(bfd_decode(b, len, &k, err, sizeof(err)), -1);
	assert_string_equal(err, why);
}

static void test_discards(void **state)
{
	(void)state;
	bad(24, 0, 23, "shorter than 24 bytes");
	bad(0, 0x43, 24, "version is not 1");
	bad(3, 20, 24, "length field too small");
	bad(3, 30, 24, "length field beyond the datagram");
	bad(2, 0, 24, "detect multiplier is zero");
	bad(1, 0xe1, 24, "multipoint bit set");
}

static void test_discriminators(void **state)
{
	uint8_t b[24];
	struct bfd_pkt k;
	char err[96];
	(void)state;
	memcpy(b, up_poll, 24);
	memset(b + 4, 0, 4);
	assert_int_equal(bfd_decode(b, 24, &k, err, sizeof(err)), -1);
	assert_string_equal(err, "my discriminator is zero");
	memcpy(b, up_poll, 24);
	memset(b + 8, 0, 4); /* your 0 while Up */
	assert_int_equal(bfd_decode(b, 24, &k, err, sizeof(err)), -1);
	assert_string_equal(err, "your discriminator zero in state init or up");
	b[1] = (uint8_t)(BFD_DOWN << 6); /* your 0 while Down: fine */
	assert_int_equal(bfd_decode(b, 24, &k, err, sizeof(err)), 0);
	assert_int_equal(k.state, BFD_DOWN);
	assert_int_equal(k.your_disc, 0);
}

/* Keyed SHA1: what is encoded checks with the same key, type and key id,
 * and fails with another key, key id, type, or one bit changed. */
static void test_sha1(void **state)
{
	struct bfd_pkt k, d;
	uint8_t b[BFD_SHA1_LEN], t[BFD_SHA1_LEN];
	const uint8_t *key = (const uint8_t *)"s3cret";
	char err[96];
	uint32_t seq = 0;
	(void)state;
	assert_int_equal(bfd_decode(up_poll, 24, &k, err, sizeof(err)), 0);
	assert_int_equal(bfd_encode_sha1(&k, BFD_AUTH_KEYED_SHA1, 7, 0xdeadbeef,
					 key, 6, b, sizeof(b)), BFD_SHA1_LEN);
	assert_int_equal(bfd_encode_sha1(&k, BFD_AUTH_KEYED_SHA1, 7, 1, key, 21,
					 t, sizeof(t)), -1);
	assert_int_equal(bfd_decode(b, sizeof(b), &d, err, sizeof(err)), 0);
	assert_int_equal(d.auth_type, BFD_AUTH_KEYED_SHA1);
	assert_int_equal(d.auth_len, 28);
	assert_int_equal(d.my_disc, k.my_disc);
	assert_int_equal(bfd_check_sha1(b, sizeof(b), &d, BFD_AUTH_KEYED_SHA1, 7,
					key, 6, &seq, err, sizeof(err)), 0);
	assert_int_equal(seq, 0xdeadbeef);
	assert_int_equal(bfd_check_sha1(b, sizeof(b), &d, BFD_AUTH_KEYED_SHA1, 7,
					(const uint8_t *)"s3creT", 6, &seq, err,
					sizeof(err)), -1);
	assert_string_equal(err, "wrong SHA1 digest");
	assert_int_equal(bfd_check_sha1(b, sizeof(b), &d, BFD_AUTH_KEYED_SHA1, 8,
					key, 6, &seq, err, sizeof(err)), -1);
	assert_string_equal(err, "other key id");
	assert_int_equal(bfd_check_sha1(b, sizeof(b), &d,
					BFD_AUTH_METICULOUS_SHA1, 7, key, 6,
					&seq, err, sizeof(err)), -1);
	assert_string_equal(err, "other authentication type");
	memcpy(t, b, sizeof(b));
	t[13] ^= 1; /* desired min TX changed in flight */
	assert_int_equal(bfd_decode(t, sizeof(t), &d, err, sizeof(err)), 0);
	assert_int_equal(bfd_check_sha1(t, sizeof(t), &d, BFD_AUTH_KEYED_SHA1, 7,
					key, 6, &seq, err, sizeof(err)), -1);
	assert_int_equal(bfd_check_sha1(up_poll, 24, &k, BFD_AUTH_KEYED_SHA1, 7,
					key, 6, &seq, err, sizeof(err)), -1);
	assert_string_equal(err, "no authentication section");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_encode),
		cmocka_unit_test(test_auth_section),
		cmocka_unit_test(test_discards),
		cmocka_unit_test(test_discriminators),
		cmocka_unit_test(test_sha1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
