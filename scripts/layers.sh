#!/bin/bash
# layers.sh - check the floors of src/ (docs/design.md, "Floors").
#
# Usage: scripts/layers.sh [--graph] [TOP [OBJDIR]]
#
# Reads the #include "..." lines of TOP/src and TOP/tools (TOP defaults to
# the repository; OBJDIR to TOP/build/obj, the objects of `make`) and
# checks:
#   floors   every include of src/ goes to the same folder or to a folder
#            on a lower floor (so the folder graph has no loop);
#   base     src/base/ includes no other folder;
#   api      only src/daemon/ and src/pharosd.c include src/api/;
#   daemon   daemon_* functions are defined only in src/daemon/;
#   size     no .c or .h file of src/ or tools/ is over 1,500 lines;
#   tools    no two headers of one tool include each other, no file
#            includes a .c file;
#   entry    no entry file (src/api/api.c, a tool's main.c or NAME.c)
#            defines a function that another file of its folder calls:
#            shared helpers live in files of their own (read from the
#            objects' symbol tables with nm);
#   calls    the files of src/api/ and of each tool call each other
#            without a loop (nm, then tsort).
# Prints one line per broken rule ("layers: RULE: what") and exits 1 if
# any; --graph prints the folder-level include graph (FROM -> TO, count).
set -u
graph=0
[ "${1:-}" = --graph ] && { graph=1; shift; }
TOP=${1:-$(cd "$(dirname "$0")/.." && pwd)}
OBJ=${2:-$TOP/build/obj}
cd "$TOP" || exit 2

# Floors from the ground up; a folder may include only folders before it.
FLOORS="base wire conf policy rib out session fabric mrt bmp api daemon"
rank() {
	local i=0 f
	for f in $FLOORS; do
		[ "$f" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

bad=0
broken() { echo "layers: $1: $2"; bad=1; }

# "file included-folder/header" for every quoted include of src/.
edges=$(grep -HoE '^#[[:space:]]*include[[:space:]]+"[^"]+"' \
		$(find src -name '*.[ch]' | sort) |
	sed -E 's/:#[[:space:]]*include[[:space:]]+"/ /; s/"$//')

declare -A count
while read -r file inc; do
	[ -n "$file" ] || continue
	from=${file#src/}
	from=${from%%/*}
	case $from in *.c | *.h) from=main ;; esac
	to=${inc%%/*}
	[ "$to" = "$inc" ] && to=$from # a header of the same folder
	[ "$from" = "$to" ] && continue
	count["$from -> $to"]=$((${count["$from -> $to"]:-0} + 1))
	if [ "$to" = api ] && [ "$from" != daemon ] && [ "$from" != main ]; then
		broken api "$file includes $inc"
	fi
	[ "$from" = main ] && continue
	rf=$(rank "$from") rt=$(rank "$to")
	if [ "$rf" -lt 0 ]; then
		broken floors "$file: folder src/$from/ is on no floor"
	elif [ "$rt" -lt 0 ]; then
		broken floors "$file includes $inc: no floor for $to/"
	elif [ "$from" = base ]; then
		broken base "$file includes $inc"
	elif [ "$rt" -ge "$rf" ]; then
		broken floors "$file includes $inc ($to/ is not below $from/)"
	fi
done <<<"$edges"

if [ $graph = 1 ]; then
	for k in "${!count[@]}"; do echo "$k ${count[$k]}"; done | sort
fi

# daemon_* functions defined (a definition starts a line) outside daemon/.
while IFS=: read -r file _ line; do
	case $file in src/daemon/*) ;; *) broken daemon "$file defines ${line%%(*}" ;; esac
done < <(grep -nE '^[a-z_].*[ *]daemon_[a-z0-9_]+\(' $(find src -name '*.c') |
	grep -vE ';[[:space:]]*$')

# File sizes.
while read -r n file; do
	[ "$file" = total ] && continue
	[ "$n" -gt 1500 ] && broken size "$file has $n lines"
done < <(find src tools -name '*.[ch]' -print0 | xargs -0 wc -l)

# Tools: no include of a .c file, and no two headers of a tool that
# include each other.
for t in tools/*/; do
	grep -lE '^#[[:space:]]*include[[:space:]]+"[^"]+\.c"' "$t"*.[ch] 2>/dev/null |
		while read -r f; do echo "layers: tools: $f includes a .c file"; done | grep . && bad=1
	for h in "$t"*.h; do
		[ -e "$h" ] || continue
		for inc in $(grep -oE '^#[[:space:]]*include[[:space:]]+"[^"/]+\.h"' "$h" |
			sed -E 's/.*"(.*)"/\1/'); do
			[ -e "$t$inc" ] || continue
			if grep -qE "^#[[:space:]]*include[[:space:]]+\"$(basename "$h")\"" "$t$inc"; then
				broken tools "$h and $t$inc include each other"
			fi
		done
	done
done

# Entry files: what they define that a neighbour uses.
for dir in src/api tools/*; do
	dir=${dir%/}
	entry=
	for e in "$dir/main.c" "$dir/$(basename "$dir").c" "$dir/api.c"; do
		[ -e "$e" ] && { entry=$e; break; }
	done
	[ -n "$entry" ] || continue
	eo=$OBJ/${entry%.c}.o
	if [ ! -e "$eo" ]; then
		broken entry "no object $eo (build first)"
		continue
	fi
	defs=$(nm --defined-only -g "$eo" | awk '$2 ~ /^[TDBR]$/ {print $3}')
	for o in "$OBJ/$dir"/*.o; do
		[ "$o" = "$eo" ] && continue
		for sym in $(nm -u "$o" | awk '{print $2}'); do
			if grep -qx -- "$sym" <<<"$defs"; then
				broken entry "$entry defines $sym, used by ${o#"$OBJ"/}"
			fi
		done
	done
done

# Call loops between the files of src/api/ and of each tool: "user
# definer" pairs from one nm of each object, then tsort.
for dir in src/api tools/*; do
	dir=${dir%/}
	[ -d "$OBJ/$dir" ] || continue
	edges=$(for o in "$OBJ/$dir"/*.o; do
		b=$(basename "$o" .o)
		nm --defined-only -g "$o" | awk -v b="$b" '$2 ~ /^[TDBR]$/ {print "D", $3, b}'
		nm -u "$o" | awk -v b="$b" '{print "U", $2, b}'
	done | awk '$1 == "D" {def[$2] = $3; next}
		    {use[NR] = $2 " " $3}
		    END {for (i in use) {split(use[i], u, " ");
			 if ((u[1] in def) && def[u[1]] != u[2]) print u[2], def[u[1]]}}' |
		sort -u)
	[ -n "$edges" ] || continue
	if ! tsort <<<"$edges" >/dev/null 2>&1; then
		broken calls "$dir: its files call each other in a loop: $(tsort <<<"$edges" 2>&1 >/dev/null | grep -v 'input contains a loop' | sed 's/^tsort: //' | tr '\n' ' ')"
	fi
done

exit $bad
