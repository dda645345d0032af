/*
 * fuzz_bfd.c - libFuzzer target for the BFD control packet codec: every
 * input is decoded; what decodes is encoded again and must decode to the
 * same fields (authentication aside).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/bfd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfd_pkt p, q;
	uint8_t out[BFD_MAX_LEN];
	char err[96];
	int n;

	if (bfd_decode(data, size, &p, err, sizeof(err)) < 0)
		return 0;
	if (p.auth && (p.auth < data || p.auth + p.auth_len > data + size))
		__builtin_trap();
	p.flags &= (uint8_t)~BFD_F_AUTH;
	n = bfd_encode(&p, out, sizeof(out));
	if (n != BFD_HDR_LEN || bfd_decode(out, (size_t)n, &q, err, sizeof(err)) < 0)
		__builtin_trap();
	if (q.state != p.state || q.diag != p.diag || q.flags != p.flags ||
	    q.my_disc != p.my_disc || q.your_disc != p.your_disc ||
	    q.desired_min_tx != p.desired_min_tx ||
	    q.required_min_rx != p.required_min_rx ||
	    q.detect_mult != p.detect_mult)
		__builtin_trap();
	return 0;
}
