/*
 * main.c - pharos-peer: command line, help text and the program's exit
 * status. The command line is a contract other tests and benchmarks rely
 * on; man/pharos-peer.1 describes the same options.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peer.h"
#include "base/version.h"

static const char usage_text[] =
"usage: pharos-peer [OPTIONS] HOST [PORT]\n"
"\n"
"Runs one BGP session with the speaker at HOST (IPv4 or IPv6, PORT default\n"
"179), executes its script, prints what it receives.\n"
"\n"
"  -a, --asn ASN             local AS (required; 4-octet capable)\n"
"  -R, --remote-as ASN       expected peer AS (checked when given)\n"
"  -i, --router-id A.B.C.D   default: derived from the local address\n"
"  -b, --bind ADDR           local source address\n"
"  -H, --hold SECS           hold time offered (default 90)\n"
"  -2, --as2                 do not offer the 4-octet AS capability\n"
"      --no-ext-msg          do not offer Extended Messages (RFC 8654): every\n"
"                            message either way stays within 4096 bytes\n"
"  -P, --password-file FILE  TCP MD5 signature with the password in FILE\n"
"  -n, --next-hop ADDR       next hop for announcements (default: the local\n"
"                            address of the session; for IPv6 prefixes over\n"
"                            IPv4 transport give one; may be given once per\n"
"                            family)\n"
"  -A, --announce \"PFX[,PFX...] [nh ADDR] [path ASN...] [community A:B...]\n"
"                 [large A:B:C...] [med N] [lp N] [origin igp|egp|incomplete]\"\n"
"                            (repeatable; \"path\" lists the AS_PATH after the\n"
"                            local AS, which is always prepended first)\n"
"  -W, --withdraw PFX[,PFX...]  (repeatable; sent after the announcements)\n"
"  -f, --file FILE           script, one command a line, run in order once\n"
"                            established: announce ..., withdraw PFX..., sleep MS,\n"
"                            raw HEX, eor [ipv4|ipv6], wait-prefixes N, close,\n"
"                            generate N [per-update K] [distinct-attrs]\n"
"                              [start A.B.C.D|X:X::|v6]   (as --generate),\n"
"                            mrt FILE [peer N] [per-update K]   (as --mrt),\n"
"                            withdraw-all [per-update K]   (every prefix this\n"
"                              session announced and has not withdrawn),\n"
"                            wait-signal   (until a SIGUSR1; one signal per\n"
"                              wait-signal, a signal sent early is kept),\n"
"                            wait-file PATH   (until PATH exists)\n"
"  -m, --mrt FILE            replay routes from an MRT file (TABLE_DUMP v1/v2\n"
"                            RIB, BGP4MP updates; .gz and .bz2 read via\n"
"                            gzip/bzip2). A truncated last record is reported\n"
"                            on stderr, not fatal.\n"
"      --mrt-peer N          keep one peer index of a RIB dump (default: the\n"
"                            first path of each prefix)\n"
"  -g, --generate N          load generator: N prefixes (/24 IPv4 from\n"
"                            --gen-start, default 16.0.0.0; or /48 IPv6 with\n"
"                            --gen-v6, default from 2001:db8::)\n"
"      --per-update K        prefixes per UPDATE (default: as many as fit)\n"
"      --distinct-attrs      every UPDATE its own attributes\n"
"      --withdraw-all        after the loads, withdraw everything announced\n"
"  -o, --output text|json|none  how to print what is received (default text)\n"
"  -t, --time SECS           stay connected SECS after the script (default:\n"
"                            until the peer closes the session or SIGINT/\n"
"                            SIGTERM; 0 = leave right after the script)\n"
"      --wait-prefixes N     leave (exit 0) once N distinct prefixes are held\n"
"      --wait-empty          leave (exit 0) once no prefix is held any more,\n"
"                            after at least one was (with --wait-prefixes N:\n"
"                            after N were; then N does not end the session,\n"
"                            and with --stats the stats line is also printed\n"
"                            when N is reached)\n"
"      --stats               at exit print one JSON line {\"type\":\"stats\",...}\n"
"                            with counters (max_message: the negotiated\n"
"                            size limit; largest_update_received), and\n"
"                            CLOCK_REALTIME moments in\n"
"                            seconds: t_first_tx, t_last_tx (UPDATEs sent),\n"
"                            t_first_rx, t_last_rx (received), t_full\n"
"                            (--wait-prefixes reached), t_empty (--wait-empty\n"
"                            met); null when it did not happen\n"
"      --raw HEX             after the OPEN exchange, send these raw bytes (a\n"
"                            whole message, header included; repeatable)\n"
"      --raw-open HEX        send these raw bytes instead of our OPEN\n"
"      --listen              passive: listen on HOST PORT and accept one\n"
"                            session instead of connecting\n"
"      --no-read             once established, stop reading the socket (a\n"
"                            peer that does not drain what it is sent);\n"
"                            keepalives still go out, own hold timer off,\n"
"                            small receive buffer\n"
"      --add-path-rx         offer ADD-PATH receive (RFC 7911) for IPv4 and\n"
"                            IPv6 unicast: paths the speaker sends with path\n"
"                            ids are printed with their \"path_id\" (the\n"
"                            prefix counts and waits stay per prefix)\n"
"  -h, --help                print this text\n"
"  -V, --version             print the version\n"
"\n"
"Exit status: 0 success; 1 usage or connection error; 2 the session was\n"
"closed by a NOTIFICATION.\n";

enum {
	O_MRT_PEER = 256, O_PER_UPDATE, O_DISTINCT, O_WAIT, O_STATS, O_RAW,
	O_RAW_OPEN, O_LISTEN, O_GEN_START, O_GEN_V6, O_NO_READ, O_WAIT_EMPTY,
	O_WITHDRAW_ALL, O_NO_EXT_MSG, O_ADD_PATH_RX,
};

static const struct option longopts[] = {
	{ "version", no_argument, NULL, 'V' },
	{ "asn", required_argument, NULL, 'a' },
	{ "remote-as", required_argument, NULL, 'R' },
	{ "router-id", required_argument, NULL, 'i' },
	{ "bind", required_argument, NULL, 'b' },
	{ "hold", required_argument, NULL, 'H' },
	{ "as2", no_argument, NULL, '2' },
	{ "no-ext-msg", no_argument, NULL, O_NO_EXT_MSG },
	{ "password-file", required_argument, NULL, 'P' },
	{ "next-hop", required_argument, NULL, 'n' },
	{ "announce", required_argument, NULL, 'A' },
	{ "withdraw", required_argument, NULL, 'W' },
	{ "file", required_argument, NULL, 'f' },
	{ "mrt", required_argument, NULL, 'm' },
	{ "mrt-peer", required_argument, NULL, O_MRT_PEER },
	{ "generate", required_argument, NULL, 'g' },
	{ "gen-start", required_argument, NULL, O_GEN_START },
	{ "gen-v6", no_argument, NULL, O_GEN_V6 },
	{ "per-update", required_argument, NULL, O_PER_UPDATE },
	{ "distinct-attrs", no_argument, NULL, O_DISTINCT },
	{ "output", required_argument, NULL, 'o' },
	{ "time", required_argument, NULL, 't' },
	{ "wait-prefixes", required_argument, NULL, O_WAIT },
	{ "wait-empty", no_argument, NULL, O_WAIT_EMPTY },
	{ "withdraw-all", no_argument, NULL, O_WITHDRAW_ALL },
	{ "stats", no_argument, NULL, O_STATS },
	{ "raw", required_argument, NULL, O_RAW },
	{ "raw-open", required_argument, NULL, O_RAW_OPEN },
	{ "listen", no_argument, NULL, O_LISTEN },
	{ "no-read", no_argument, NULL, O_NO_READ },
	{ "add-path-rx", no_argument, NULL, O_ADD_PATH_RX },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-')
		return -1;
	x = strtoull(s, &end, 10);
	if (*end || x > max)
		return -1;
	*v = x;
	return 0;
}

static int die_usage(const char *what, const char *arg)
{
	fprintf(stderr, "pharos-peer: %s%s%s\n(see pharos-peer --help)\n",
		what, arg ? ": " : "", arg ? arg : "");
	return 1;
}

static int opt_next_hop(struct peer *p, const char *arg)
{
	struct addr a;

	if (addr_parse(arg, &a) < 0)
		return -1;
	if (a.afi == AFI_IPV4)
		p->nh4 = a;
	else
		p->nh6 = a;
	return 0;
}

/* Options that add to the script or feed routes; 0, or 1 for a usage
 * error. */
static int handle_script_opt(struct peer *p, int c, const char *arg)
{
	char err[256];
	uint64_t v;
	struct step *st;

	switch (c) {
	case 'A':
		st = step_new(p, ST_ANNOUNCE);
		st->from_cli = true;
		if (parse_announce(arg, &st->ann, err, sizeof(err)) < 0)
			return die_usage(err, arg);
		return 0;
	case 'W':
		st = step_new(p, ST_WITHDRAW);
		st->from_cli = true;
		if (parse_prefixes(arg, &st->pfx, &st->n_pfx) < 0)
			return die_usage("bad prefix list", arg);
		return 0;
	case 'f':
		return script_load_file(p, arg) < 0 ? 1 : 0;
	case 'm':
		p->mrt_file = arg;
		return 0;
	case O_MRT_PEER:
		if (parse_u64(arg, 65535, &v) < 0)
			return die_usage("bad --mrt-peer", arg);
		p->mrt_peer = (long)v;
		return 0;
	case 'g':
		if (parse_u64(arg, UINT32_MAX, &v) < 0)
			return die_usage("bad --generate count", arg);
		p->gen_n = v;
		return 0;
	case O_GEN_START:
		if (addr_parse(arg, &p->gen_start) < 0)
			return die_usage("bad --gen-start", arg);
		return 0;
	case O_GEN_V6:
		p->gen_v6 = true;
		return 0;
	case O_PER_UPDATE:
		if (parse_u64(arg, 65535, &v) < 0 || !v)
			return die_usage("bad --per-update", arg);
		p->per_update = (unsigned)v;
		return 0;
	case O_DISTINCT:
		p->distinct_attrs = true;
		return 0;
	case O_RAW:
		st = step_new(p, ST_RAW);
		st->from_cli = true;
		if (parse_hex(arg, &st->raw, &st->raw_len) < 0)
			return die_usage("bad hex", arg);
		return 0;
	default:
		fputs(usage_text, stderr);
		return 1;
	}
}

/* One option; returns 0, 1 for a usage error, 2 after --help. */
static int handle_opt(struct peer *p, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 'a':
		if (parse_u64(arg, UINT32_MAX, &v) < 0 || !v)
			return die_usage("bad ASN", arg);
		p->asn = (uint32_t)v;
		return 0;
	case 'R':
		if (parse_u64(arg, UINT32_MAX, &v) < 0)
			return die_usage("bad remote ASN", arg);
		p->remote_as = (uint32_t)v;
		p->has_remote_as = true;
		return 0;
	case 'i': {
		struct addr a;

		if (addr_parse(arg, &a) < 0 || a.afi != AFI_IPV4)
			return die_usage("bad router id", arg);
		p->router_id = (uint32_t)a.b[0] << 24 | (uint32_t)a.b[1] << 16 |
			       (uint32_t)a.b[2] << 8 | a.b[3];
		return 0;
	}
	case 'b':
		p->bind = arg;
		return 0;
	case 'H':
		if (parse_u64(arg, 65535, &v) < 0)
			return die_usage("bad hold time", arg);
		p->hold = (uint16_t)v;
		return 0;
	case '2':
		p->as2 = true;
		return 0;
	case O_NO_EXT_MSG:
		p->no_ext_msg = true;
		return 0;
	case 'P':
		p->password_file = arg;
		return 0;
	case 'n':
		return opt_next_hop(p, arg) < 0 ? die_usage("bad next hop", arg) : 0;
	case 'o':
		if (!strcmp(arg, "text"))
			p->mode = OUT_TEXT;
		else if (!strcmp(arg, "json"))
			p->mode = OUT_JSON;
		else if (!strcmp(arg, "none"))
			p->mode = OUT_NONE;
		else
			return die_usage("bad output mode", arg);
		return 0;
	case 't': {
		char *end;

		p->time_after = strtod(arg, &end);
		if (*end || p->time_after < 0)
			return die_usage("bad --time", arg);
		return 0;
	}
	case O_WAIT:
		if (parse_u64(arg, UINT64_MAX, &v) < 0)
			return die_usage("bad --wait-prefixes", arg);
		p->wait_prefixes = v;
		return 0;
	case O_STATS:
		p->stats_on = true;
		return 0;
	case O_WAIT_EMPTY:
		p->wait_empty = true;
		return 0;
	case O_WITHDRAW_ALL:
		p->withdraw_all = true;
		return 0;
	case O_RAW_OPEN:
		free(p->raw_open);
		if (parse_hex(arg, &p->raw_open, &p->raw_open_len) < 0)
			return die_usage("bad hex", arg);
		return 0;
	case O_LISTEN:
		p->listen = true;
		return 0;
	case O_ADD_PATH_RX:
		p->add_path_rx = true;
		return 0;
	case O_NO_READ:
		p->no_read = true;
		return 0;
	case 'h':
		fputs(usage_text, stdout);
		return 2;
	case 'V':
		printf("pharos-peer %s\n", PHAROS_VERSION);
		return 2;
	default:
		return handle_script_opt(p, c, arg);
	}
}

/* Put the steps in the documented order: raw, announce, withdraw given
 * on the command line, then the script file in its own order (MRT replay
 * and the generator are appended last by main). */
static void order_steps(struct peer *p)
{
	static const enum step_kind rank[] = { ST_RAW, ST_ANNOUNCE, ST_WITHDRAW };
	struct step *tmp = calloc(p->n_steps ? p->n_steps : 1, sizeof(*tmp));
	size_t k = 0;

	if (!tmp)
		return;
	for (size_t r = 0; r < 3; r++)
		for (size_t i = 0; i < p->n_steps; i++)
			if (p->steps[i].from_cli && p->steps[i].kind == rank[r])
				tmp[k++] = p->steps[i];
	for (size_t i = 0; i < p->n_steps; i++)
		if (!p->steps[i].from_cli)
			tmp[k++] = p->steps[i];
	if (k)
		memcpy(p->steps, tmp, k * sizeof(*tmp));
	free(tmp);
}

/* --mrt, --generate and --withdraw-all: steps after the script. */
static void add_cli_loads(struct peer *p)
{
	struct step *st;

	if (p->mrt_file) {
		st = step_new(p, ST_MRT);
		st->path = strdup(p->mrt_file);
		st->mrt_peer = p->mrt_peer;
		st->per_update = p->per_update;
	}
	if (p->gen_n) {
		st = step_new(p, ST_GENERATE);
		st->n = p->gen_n;
		st->per_update = p->per_update;
		st->distinct = p->distinct_attrs;
		st->start = p->gen_start;
		if (p->gen_v6 && !st->start.afi)
			st->start.afi = AFI_IPV6;
	}
	if (p->withdraw_all)
		step_new(p, ST_WITHDRAW_ALL)->per_update = p->per_update;
}

static void peer_init(struct peer *p)
{
	memset(p, 0, sizeof(*p));
	p->hold = 90;
	p->mode = OUT_TEXT;
	p->time_after = -1;
	p->mrt_peer = -1;
	p->fd = p->sigfd = -1;
	p->o = stdout;
	p->port = "179";
}

static void peer_free(struct peer *p)
{
	steps_free(p);
	pset_free(&p->held);
	pset_free(&p->sent);
	mrt_replay_free(&p->mrt);
	free(p->raw_open);
	free(p->out.p);
	free(p->in);
	free(p);
}

/* Options and arguments; returns 0, 1 (usage error, already said) or 2
 * (help printed). */
static int parse_args(struct peer *p, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "a:R:i:b:H:2P:n:A:W:f:m:g:o:t:hV",
				longopts, NULL)) != -1) {
		int r = handle_opt(p, c, optarg);

		if (r)
			return r;
	}
	if (optind >= argc || argc - optind > 2)
		return die_usage("HOST missing (or too many arguments)", NULL);
	if (!p->asn)
		return die_usage("--asn is required", NULL);
	p->host = argv[optind];
	if (optind + 1 < argc)
		p->port = argv[optind + 1];
	return 0;
}

int main(int argc, char **argv)
{
	struct peer *p = malloc(sizeof(*p)); /* large: decode scratch */
	int rc;

	if (!p)
		return 1;
	peer_init(p);
	rc = parse_args(p, argc, argv);
	if (rc) { /* 2: --help was printed */
		peer_free(p);
		return rc == 2 ? 0 : 1;
	}
	order_steps(p);
	add_cli_loads(p);
	rc = peer_run(p);
	if (p->stats_on)
		print_stats(p);
	fflush(p->o);
	peer_free(p);
	return rc;
}
