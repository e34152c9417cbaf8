#!/bin/sh
# run.sh - build and briefly run every libFuzzer target t/fuzz/fuzz_*.c.
#
# Each target is built with clang -fsanitize=fuzzer,address,undefined against
# every common/*.c and the daemon sources the Makefile names for it
# (LINK_fuzz_<name>, printed by `make -s links-fuzz_<name>`) into
# build-fuzz/, then run for FUZZ_SECONDS (default 10)
# seconds on its seed corpus t/fuzz/corpus/<name>/ (name = file name without
# "fuzz_" and ".c"; t/fuzz/corpus/fuzz_<name>/ is accepted too).  New inputs
# go to build-fuzz/corpus/<name>/, crashes to build-fuzz/<name>-crash-*; the
# seed corpus in the tree is never written.  Prints "PASS: fuzz/<name>" or
# "FAIL: fuzz/<name>" per target and finally "N passed, M failed".
# A common/*.c that does not compile is reported and left out of the link.
# FUZZ_BUILD_ONLY=1 builds every target and runs none (t/fuzz/long.sh);
# FUZZ_ONLY=name builds (and runs) that one target only.

cd "$(dirname "$0")/../.." || exit 1
CC_FUZZ=${CC_FUZZ:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
OUT=${FUZZ_OUT:-build-fuzz}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS_FUZZ="-std=c11 -D_GNU_SOURCE -Icommon -g -O1 -fno-omit-frame-pointer -Werror=implicit-function-declaration"
LIBS="-ldb -lcrypt -lssl -lcrypto"
pass=0
fail=0

mkdir -p "$OUT/common" "$OUT/corpus" || exit 1

# Compile src (dir/file.c) instrumented into $OUT/dir/file.o unless that
# is newer than src and the headers of common/ and dir/; prints the object.
compile_obj() {
	src=$1
	d=$(dirname "$src")
	obj="$OUT/$d/$(basename "$src" .c).o"
	mkdir -p "$OUT/$d" || return 1
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || \
	    [ -n "$(find common "$d" -name '*.h' -newer "$obj" 2>/dev/null)" ]; then
		if ! $CC_FUZZ $CFLAGS_FUZZ $SAN -fsanitize=fuzzer-no-link \
		    -c -o "$obj" "$src" 2>"${obj%.o}.err"
		then
			echo "# warning: $src does not compile for fuzzing" \
			    "(see ${obj%.o}.err)" >&2
			rm -f "$obj"
			return 1
		fi
	fi
	echo "$obj"
}

# Compile the library once, instrumented for coverage.
objs=""
for src in common/*.c; do
	[ -f "$src" ] || continue
	obj=$(compile_obj "$src") || continue
	objs="$objs $obj"
done

for src in t/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	[ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$name" ] && continue
	bin="$OUT/fuzz_$name"
	seeds="t/fuzz/corpus/$name"
	[ -d "$seeds" ] || seeds="t/fuzz/corpus/fuzz_$name"
	work="$OUT/corpus/$name"
	mkdir -p "$work"
	links=$(env -u MAKEFLAGS -u MFLAGS make -s --no-print-directory \
	    "links-fuzz_$name" 2>/dev/null)
	extra=""
	for l in $links; do
		obj=$(compile_obj "$l") && extra="$extra $obj"
	done
	if ! $CC_FUZZ $CFLAGS_FUZZ $SAN -fsanitize=fuzzer -o "$bin" "$src" \
	    $extra $objs $LIBS >"$OUT/fuzz_$name.build.log" 2>&1; then
		echo "FAIL: fuzz/$name (build failed, see $OUT/fuzz_$name.build.log)"
		fail=$((fail + 1))
		continue
	fi
	if [ -n "${FUZZ_BUILD_ONLY:-}" ]; then
		pass=$((pass + 1))
		continue
	fi
	set -- "$work"
	[ -d "$seeds" ] && set -- "$work" "$seeds"
	if "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$OUT/$name-" "$@" >"$OUT/fuzz_$name.log" 2>&1; then
		echo "PASS: fuzz/$name"
		pass=$((pass + 1))
	else
		echo "FAIL: fuzz/$name (see $OUT/fuzz_$name.log)"
		grep -m 3 -E 'ERROR|SUMMARY|runtime error' "$OUT/fuzz_$name.log" |
		    sed 's/^/# /'
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
