#!/bin/bash
# t_layers.sh - the floors of src/ hold (scripts/layers.sh): the folder
# include graph has no loop and goes only downward, src/base/ includes no
# other folder, only src/daemon/ and src/pharosd.c include src/api/,
# daemon_* functions are defined only in src/daemon/, no file of src/ or
# tools/ is over 1,500 lines, and no entry file defines a helper that its
# neighbours call, and the files of src/api/ and of each tool call each
# other without a loop. Each rule is also broken once on a copy of the tree, to
# show that the check sees it.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin nm cc

LAYERS=$PHAROS_TOP/scripts/layers.sh

out=$("$LAYERS" "$PHAROS_TOP" "$PHAROS_TOP/build/obj" 2>&1)
rc=$?
check_eq "the tree keeps its floors (layers.sh exits 0)" "$rc" 0
check_eq "layers.sh reports nothing on the tree" "$out" ""
[ -n "$out" ] && diag "$out"

graph=$("$LAYERS" --graph "$PHAROS_TOP" "$PHAROS_TOP/build/obj" 2>&1)
check_match "the graph lists daemon -> api" "$graph" '^daemon -> api [0-9]+$'
check "no folder includes src/daemon/ (only pharosd.c does)" \
	bash -c '! grep -vE "^main -> " <<<"$1" | grep -qE " -> daemon "' _ "$graph"
check "src/base/ includes no other folder" \
	bash -c '! grep -qE "^base -> " <<<"$1"' _ "$graph"

# A copy of the tree to break, one rule at a time.
copy() {
	rm -rf "$T_DIR/tree"
	mkdir -p "$T_DIR/tree"
	cp -r "$PHAROS_TOP/src" "$PHAROS_TOP/tools" "$T_DIR/tree/"
}
# broken DESC RULE: layers.sh on the copy fails and names RULE.
broken() {
	local o rc
	o=$("$LAYERS" "$T_DIR/tree" "$PHAROS_TOP/build/obj" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q "^layers: $2: " <<<"$o"; then
		ok "$1"
	else
		not_ok "$1 (rc $rc)"
		diag "$o"
	fi
}

copy
sed -i '0,/^#include "base\/log.h"/s//&\n#include "wire\/wire.h"/' "$T_DIR/tree/src/base/log.c"
broken "base/ including wire/ is refused" base

copy
sed -i '0,/^#include "wire\/wire.h"/s//&\n#include "session\/peer.h"/' "$T_DIR/tree/src/wire/msg.c"
broken "wire/ including session/ (upward) is refused" floors

copy
sed -i '0,/^#include "session\/session.h"/s//&\n#include "api\/api.h"/' "$T_DIR/tree/src/session/peer.h"
broken "session/ including api/ is refused" api

copy
printf '\nvoid daemon_poke(void);\nvoid daemon_poke(void)\n{\n}\n' >>"$T_DIR/tree/src/session/fsm.c"
broken "a daemon_* function outside daemon/ is refused" daemon

copy
for i in $(seq 1 1501); do echo "/* $i */"; done >>"$T_DIR/tree/src/rib/trie.c"
broken "a file over 1,500 lines is refused" size

copy
printf '#include "b.h"\n' >"$T_DIR/tree/tools/pharosctl/a.h"
printf '#include "a.h"\n' >"$T_DIR/tree/tools/pharosctl/b.h"
broken "two headers of a tool that include each other are refused" tools

# An entry file that defines a helper a neighbour calls.
copy
mkdir -p "$T_DIR/obj/tools/demo" "$T_DIR/tree/tools/demo"
printf 'int helper(void);\nint helper(void) { return 1; }\nint main(void) { return 0; }\n' \
	>"$T_DIR/tree/tools/demo/main.c"
printf 'int helper(void);\nint use(void);\nint use(void) { return helper(); }\n' \
	>"$T_DIR/tree/tools/demo/use.c"
cc -c -o "$T_DIR/obj/tools/demo/main.o" "$T_DIR/tree/tools/demo/main.c"
cc -c -o "$T_DIR/obj/tools/demo/use.o" "$T_DIR/tree/tools/demo/use.c"
cp -r "$PHAROS_TOP/build/obj/src" "$PHAROS_TOP/build/obj/tools" "$T_DIR/obj/" 2>/dev/null
o=$("$LAYERS" "$T_DIR/tree" "$T_DIR/obj" 2>&1)
check_match "a helper in main.c used by another file is refused" "$o" \
	'^layers: entry: tools/demo/main.c defines helper, used by tools/demo/use.o$'

# Two files of a tool that call each other.
printf 'int ping(int n);\nint pong(int n);\nint ping(int n) { return n ? pong(n - 1) : 0; }\n' \
	>"$T_DIR/tree/tools/demo/ping.c"
printf 'int ping(int n);\nint pong(int n);\nint pong(int n) { return n ? ping(n - 1) : 1; }\n' \
	>"$T_DIR/tree/tools/demo/pong.c"
rm -f "$T_DIR/tree/tools/demo/use.c" "$T_DIR/obj/tools/demo/use.o"
printf 'int main(void) { return 0; }\n' >"$T_DIR/tree/tools/demo/main.c"
cc -c -o "$T_DIR/obj/tools/demo/main.o" "$T_DIR/tree/tools/demo/main.c"
cc -c -o "$T_DIR/obj/tools/demo/ping.o" "$T_DIR/tree/tools/demo/ping.c"
cc -c -o "$T_DIR/obj/tools/demo/pong.o" "$T_DIR/tree/tools/demo/pong.c"
o=$("$LAYERS" "$T_DIR/tree" "$T_DIR/obj" 2>&1)
check_match "two files of a tool calling each other are refused" "$o" \
	'^layers: calls: tools/demo: its files call each other in a loop'

t_done
