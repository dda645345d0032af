/*
 * drill_silent.c - the packet drop of an nva-silent drill: an nftables
 * table "pharos_drill_ID" with an input and an output chain dropping
 * everything from and to the peer's address, loaded and deleted by the
 * `nft` program (it needs CAP_NET_ADMIN in pharosd's network namespace).
 * Run synchronously: nft takes milliseconds, and a drill is rare.
 */
#include "daemon/drill.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Run `nft -f -` with script on its standard input; its standard error
 * becomes the message in err. */
static int run_nft(const char *script, char *err, size_t len)
{
	char *argv[] = {"nft", "-f", "-", NULL};
	posix_spawn_file_actions_t fa;
	int in[2], out[2], st = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		goto fail;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	errno = posix_spawnp(&pid, "nft", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (errno) {
		close(in[1]);
		close(out[0]);
		goto fail;
	}
	n = write(in[1], script, strlen(script));
	(void)n;
	close(in[1]);
	n = read(out[0], err, len > 1 ? len - 1 : 0);
	err[n > 0 ? n : 0] = '\0';
	for (char *c = err; *c; c++)
		if (*c == '\n')
			*c = ' ';
	close(out[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (!err[0])
		snprintf(err, len, "nft failed (status %d)", st);
	return -1;
fail:
	snprintf(err, len, "cannot run nft: %s", strerror(errno));
	return -1;
}

int drill_silence(const struct addr *addr, unsigned id, char *err,
		  size_t len)
{
	char a[ADDR_STRLEN], script[600];
	const char *fam = addr->afi == AFI_IPV6 ? "ip6" : "ip";

	addr_fmt(addr, a, sizeof(a));
	snprintf(script, sizeof(script),
		 "table inet pharos_drill_%u {\n"
		 " chain in { type filter hook input priority -10; %s saddr %s drop; }\n"
		 " chain out { type filter hook output priority -10; %s daddr %s drop; }\n"
		 "}\n", id, fam, a, fam, a);
	return run_nft(script, err, len);
}

int drill_unsilence(unsigned id, char *err, size_t len)
{
	char script[80];

	snprintf(script, sizeof(script), "delete table inet pharos_drill_%u\n", id);
	return run_nft(script, err, len);
}
