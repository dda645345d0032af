# pharos - route server for virtual networks.
#
#   make          build build/pharosd, build/pharosctl, build/pharos-agent,
#                 build/pharos-peer and the unit tests; needs only the build
#                 dependencies (scripts/install-deps.sh build)
#   make install  install under DESTDIR and PREFIX (default /usr/local)
#   make deb      Debian packages into build/deb/
#   make test     install what is missing, build (normal, ASan+UBSan, fuzz)
#                 and run every test; ends with "N passed, N failed"
#   make demo     install, build and run the demonstration
#   make fuzz     run the libFuzzer targets for longer (FUZZ_SECONDS each)
#
# CFLAGS, CPPFLAGS and LDFLAGS from the environment or the command line
# are honoured (CPPFLAGS and LDFLAGS are added after pharos's own).

.DEFAULT_GOAL := all
CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Werror=implicit-function-declaration
PKGS     = jansson libmicrohttpd libfyaml libmnl libcurl nettle rtrlib libnats
# pkg-config runs once, when a recipe first needs it: after check-deps has
# made sure (or installed, as root) that the libraries are there.
lazy     = $(eval $(1) := $$(shell $(2)))$($(1))
PC_CFLAGS = $(call lazy,PC_CFLAGS,pkg-config --cflags $(PKGS) 2>/dev/null)
PC_LIBS   = $(call lazy,PC_LIBS,pkg-config --libs $(PKGS) 2>/dev/null)
TESTLIBS  = $(call lazy,TESTLIBS,pkg-config --libs cmocka 2>/dev/null)
PCPPFLAGS = -Isrc -D_GNU_SOURCE $(PC_CFLAGS) $(CPPFLAGS)
LDLIBS    = -Wl,--as-needed $(PC_LIBS) -lev -lbz2 -lm
VERSION  := $(shell sed -n 's/^\#define PHAROS_VERSION "\(.*\)"/\1/p' src/base/version.h)

# One library holds every stage; programs and tests link what they use.
LIB_SRCS  = $(sort $(wildcard src/*/*.c))
TOOLS     = $(notdir $(wildcard tools/*))
UNIT_SRCS = $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRCS = $(sort $(wildcard tests/fuzz/fuzz_*.c))

# $(1) = build dir, $(2) = extra CFLAGS, $(3) = compiler
define variant
$(1)/obj/%.o: %.c $$(wildcard src/*.h src/*/*.h tools/*/*.h tests/unit/*.h) | check-deps
	@mkdir -p $$(dir $$@)
	$(3) $$(PCPPFLAGS) $$(CFLAGS) $(WARN) $(2) -c $$< -o $$@
$(1)/libpharos.a: $$(LIB_SRCS:%.c=$(1)/obj/%.o)
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/pharosd: $(1)/obj/src/pharosd.o $(1)/libpharos.a
	$(3) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
$(1)/tests/%: $(1)/obj/tests/unit/%.o $(1)/libpharos.a
	@mkdir -p $$(dir $$@)
	$(3) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$(TESTLIBS)
$(foreach t,$(TOOLS),
$(1)/$(t): $$(patsubst %.c,$(1)/obj/%.o,$$(wildcard tools/$(t)/*.c)) $(1)/libpharos.a
	$(3) $$(CFLAGS) $(2) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
)
$(1)/programs: $(1)/pharosd $(addprefix $(1)/,$(TOOLS))
$(1)/all: $(1)/programs $(patsubst tests/unit/%.c,$(1)/tests/%,$(UNIT_SRCS))
endef

SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

$(eval $(call variant,build,,$(CC)))
$(eval $(call variant,build/asan,$(SAN) -O1,$(CC)))

.PHONY: all programs deps check-deps test demo fuzz bench bench-e2e clean asan fuzzers \
	install deb web-test-deps
# Keep objects built through pattern chains (tests, fuzzers) between runs.
.SECONDARY:
all: build/all
programs: build/programs
build/all build/asan/all build/programs build/asan/programs: ; @:
asan: build/asan/all

# libFuzzer targets need clang.
FUZZ_LIB_OBJS = $(LIB_SRCS:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c $(wildcard src/*.h src/*/*.h) | deps
	@mkdir -p $(dir $@)
	clang $(PCPPFLAGS) -O1 -g $(WARN) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
build/fuzz/%: build/fuzz/obj/tests/fuzz/%.o $(FUZZ_LIB_OBJS)
	clang -g -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)
fuzzers: $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

# The build needs only the compiler, pkg-config and the -dev libraries;
# the test lab (BIRD, FRR, GoBGP, ...) is for test, demo, bench and fuzz.
check-deps:
	@scripts/install-deps.sh build
deps:
	@scripts/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory web-test-deps || \
		echo "make test: web-test-deps failed; tests/e2e/t_web.sh will say so"
	@$(MAKE) --no-print-directory all asan fuzzers
	@tests/run.sh

# The browser test's one npm package (playwright-core, tests/web/), from
# the npm registry exactly as package-lock.json pins it. The console itself
# needs no package: its files are plain and built into pharosd.
web-test-deps: tests/web/node_modules/.package-lock.json
tests/web/node_modules/.package-lock.json: tests/web/package.json tests/web/package-lock.json
	cd tests/web && npm ci --no-audit --no-fund --loglevel=error

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

# End to end: an NVA's routes through pharosd to pharos-agent and the
# kernel (bench/e2e.sh; E2E_ARGS, e.g. "--routes 10000 --path nats").
bench-e2e: deps
	@$(MAKE) --no-print-directory all
	@bench/e2e.sh $(E2E_ARGS)

clean:
	rm -rf build

# ------------------------------------------------------------- install
# make install DESTDIR=/tmp/root PREFIX=/usr: programs, man pages, systemd
# units, sysusers and tmpfiles entries, logrotate, bash completion and an
# example configuration. With PREFIX=/usr the configuration lives in /etc
# and the units where systemd looks for them (pkg-config systemd).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/pharos
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
LIBDIR_    = $(if $(filter /usr,$(PREFIX)),/usr/lib,$(PREFIX)/lib)
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),$(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/usr/lib/systemd/system),$(PREFIX)/lib/systemd/system)
SYSUSERSDIR ?= $(LIBDIR_)/sysusers.d
TMPFILESDIR ?= $(LIBDIR_)/tmpfiles.d
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL    ?= install
UNIT_INS   = $(wildcard dist/systemd/*.in)

install: build/programs
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(SYSCONFDIR)/pharos $(DESTDIR)$(SYSCONFDIR)/logrotate.d \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(COMPLETIONDIR)
	$(INSTALL) -m 755 build/pharosd build/pharos-agent $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 755 build/pharosctl build/pharos-peer $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/
	for u in $(UNIT_INS); do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$u \
			>$(DESTDIR)$(UNITDIR)/$$(basename $$u .in) && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$(basename $$u .in) || exit 1; \
	done
	$(INSTALL) -m 644 dist/pharos.sysusers $(DESTDIR)$(SYSUSERSDIR)/pharos.conf
	$(INSTALL) -m 644 dist/pharos.tmpfiles $(DESTDIR)$(TMPFILESDIR)/pharos.conf
	$(INSTALL) -m 644 dist/pharos.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/pharos
	$(INSTALL) -m 644 dist/pharosctl.bash-completion $(DESTDIR)$(COMPLETIONDIR)/pharosctl
	$(INSTALL) -m 644 examples/minimal.yaml $(DESTDIR)$(DOCDIR)/examples/hub.yaml
	$(INSTALL) -m 644 dist/agent.env $(DESTDIR)$(DOCDIR)/examples/agent.env

# ----------------------------------------------------------------- deb
# Debian packages (debhelper) into build/deb/, built from a copy of the
# tracked files (every file but build/ outside a git checkout) so that
# the tree stays clean.
deb:
	@rm -rf build/deb && mkdir -p build/deb/src/pharos-$(VERSION)
	{ git ls-files -z 2>/dev/null || find . -path ./build -prune -o -type f -print0; } | \
		xargs -0 cp --parents -t build/deb/src/pharos-$(VERSION)
	cd build/deb/src/pharos-$(VERSION) && \
		dpkg-buildpackage -us -uc -b -j$(or $(DEB_JOBS),2) >../../build.log 2>&1 || \
		{ tail -40 ../../build.log; exit 1; }
	mv build/deb/src/*.deb build/deb/src/*.changes build/deb/src/*.buildinfo build/deb/
	rm -rf build/deb/src
	@ls build/deb/*.deb

# RIB benchmark: time and memory at 1M routes (see bench/rib_bench.c).
build/bench/rib-bench: bench/rib_bench.c build/libpharos.a
	@mkdir -p $(dir $@)
	$(CC) $(PCPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Fabric scale benchmark: build/bench/fabric-bench (bench/fabric_bench.c).
build/bench/fabric-bench: bench/fabric_bench.c build/libpharos.a
	@mkdir -p $(dir $@)
	$(CC) $(PCPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< build/libpharos.a $(LDLIBS)

# The web console's files are built into pharosd (src/api/api_web_files.c).
build/obj/src/api/api_web_files.o build/asan/obj/src/api/api_web_files.o \
build/fuzz/obj/src/api/api_web_files.o: $(wildcard src/api/web/*)

# The agent's unit test compiles the agent's pure parts directly.
build/obj/tests/unit/test_agent.o build/asan/obj/tests/unit/test_agent.o: $(wildcard tools/pharos-agent/*)
