# pharos - route server for virtual networks.
#
#   make          build build/pharosd, build/pharosctl, build/pharos-peer (and
#                 build/pharos-agent once it exists)
#   make test     install what is missing, build (normal, ASan+UBSan, fuzz)
#                 and run every test; ends with "N passed, N failed"
#   make demo     install, build and run the demonstration
#   make fuzz     run the libFuzzer targets for longer (FUZZ_SECONDS each)

.DEFAULT_GOAL := all
CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Werror=implicit-function-declaration
PKGS     = jansson libmicrohttpd libfyaml libmnl libcurl
CPPFLAGS = -Isrc -D_GNU_SOURCE $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lbz2 -lm
TESTLIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

# One library holds every stage; programs and tests link what they use.
LIB_SRCS  = $(sort $(wildcard src/*/*.c))
TOOLS     = $(notdir $(wildcard tools/*))
UNIT_SRCS = $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS = $(sort $(wildcard tests/fuzz/fuzz_*.c))

# $(1) = build dir, $(2) = extra CFLAGS, $(3) = compiler
define variant
$(1)/obj/%.o: %.c $$(wildcard src/*/*.h tests/unit/*.h) | deps
	@mkdir -p $$(dir $$@)
	$(3) $(CPPFLAGS) $(CFLAGS) $(WARN) $(2) -c $$< -o $$@
$(1)/libpharos.a: $$(LIB_SRCS:%.c=$(1)/obj/%.o)
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/pharosd: $(1)/obj/src/pharosd.o $(1)/libpharos.a
	$(3) $(CFLAGS) $(2) -o $$@ $$^ $(LDLIBS)
$(1)/tests/%: $(1)/obj/tests/unit/%.o $(1)/libpharos.a
	@mkdir -p $$(dir $$@)
	$(3) $(CFLAGS) $(2) -o $$@ $$^ $(LDLIBS) $(TESTLIBS)
$(foreach t,$(TOOLS),
$(1)/$(t): $$(patsubst %.c,$(1)/obj/%.o,$$(wildcard tools/$(t)/*.c)) $(1)/libpharos.a
	$(3) $(CFLAGS) $(2) -o $$@ $$^ $(LDLIBS)
)
$(1)/all: $(1)/pharosd $(addprefix $(1)/,$(TOOLS)) \
          $(patsubst tests/unit/%.c,$(1)/tests/%,$(UNIT_SRCS))
endef

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

$(eval $(call variant,build,,$(CC)))
$(eval $(call variant,build/asan,$(SAN) -O1,$(CC)))

.PHONY: all deps test demo fuzz bench clean asan fuzzers
# Keep objects built through pattern chains (tests, fuzzers) between runs.
.SECONDARY:
all: build/all
build/all build/asan/all: ; @:
asan: build/asan/all

# libFuzzer targets need clang.
FUZZ_LIB_OBJS = $(LIB_SRCS:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c $(wildcard src/*/*.h) | deps
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -O1 -g $(WARN) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
build/fuzz/%: build/fuzz/obj/tests/fuzz/%.o $(FUZZ_LIB_OBJS)
	clang -g -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)
fuzzers: $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

deps:
	@scripts/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all asan fuzzers
	@tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@examples/demo.sh $(DEMO_ARGS)

FUZZ_SECONDS ?= 300
fuzz: deps
	@$(MAKE) --no-print-directory fuzzers
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh long

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh

clean:
	rm -rf build

# RIB benchmark: time and memory at 1M routes (see bench/rib_bench.c).
build/bench/rib-bench: bench/rib_bench.c build/libpharos.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $^ $(LDLIBS)

# Fabric scale benchmark: build/bench/fabric-bench (bench/fabric_bench.c).
build/bench/fabric-bench: bench/fabric_bench.c build/libpharos.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< build/libpharos.a $(LDLIBS)

# The agent's unit test compiles the agent's pure parts directly.
build/obj/tests/unit/test_agent.o build/asan/obj/tests/unit/test_agent.o: $(wildcard tools/pharos-agent/*)
