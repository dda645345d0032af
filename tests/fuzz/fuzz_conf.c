/*
 * fuzz_conf.c - libFuzzer target for the configuration reader: the input
 * is a YAML document given to conf_load_string. Whatever loads must print
 * (conf_print) to YAML that loads again into an equal configuration, the
 * round trip `pharosd -n` and reload rely on. Errors go to /dev/null.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull(void)
{
	static FILE *f; /* the harness's sink, opened once */

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

static void roundtrip(const struct conf *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	struct conf *again;

	if (!m)
		return;
	conf_print(c, m);
	fclose(m);
	again = conf_load_string("printed.yaml", text, devnull());
	if (!again || !conf_equal(c, again)) {
		fprintf(stderr, "printed configuration does not load back equal:\n%s\n",
			text);
		__builtin_trap();
	}
	conf_free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *yaml;
	struct conf *c;

	if (size > 1 << 16)
		return 0;
	yaml = malloc(size + 1);
	if (!yaml)
		return 0;
	memcpy(yaml, data, size);
	yaml[size] = 0;
	c = conf_load_string("fuzz.yaml", yaml, devnull());
	if (c) {
		roundtrip(c);
		conf_free(c);
	}
	free(yaml);
	return 0;
}
