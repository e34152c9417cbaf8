#!/bin/sh
# long.sh - `make fuzz-long`: build every libFuzzer target (t/fuzz/run.sh
# with FUZZ_BUILD_ONLY=1), then run each for FUZZ_SECONDS (default 600),
# FUZZ_JOBS targets at a time (default: the CPU count; use 1 or 2 on a
# shared machine).  FUZZ_TARGETS="a b" limits the run to those targets.
#
# Work directory FUZZ_WORK (default build-fuzz/long): corpus/<name>/ keeps
# the new inputs found (the seed corpus in the tree is only read),
# <name>/ the crash, leak, timeout and oom inputs, <name>.log the output (slow-unit-* inputs land in <name>/ too, uncounted).
# A target that crashes is restarted with the time it has left (at most
# FUZZ_RESTARTS times, default 20), so one shallow bug does not end the
# run.  At the end a table: per target runs, wall seconds, CPU seconds
# and crashes, and the total CPU hours.  Exits 1 when anything crashed.
# A crash input becomes a regression test: copy it into
# t/fuzz/corpus/<name>/ (the smoke `make fuzz` replays every seed) or a
# unit test case, after fixing the bug.

cd "$(dirname "$0")/../.." || exit 1
OUT=${FUZZ_OUT:-build-fuzz}
WORK=${FUZZ_WORK:-$OUT/long}
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
FUZZ_RESTARTS=${FUZZ_RESTARTS:-20}
export OUT WORK FUZZ_SECONDS FUZZ_RESTARTS

# Run one target for its share of time; writes $WORK/<name>.result as
# "name runs seconds cpu_seconds crashes" (crash, leak, timeout and oom
# inputs; slow units are kept but not counted).
run_one() {
	name=$1
	bin="$OUT/fuzz_$name"
	seeds="t/fuzz/corpus/$name"
	[ -d "$seeds" ] || seeds="t/fuzz/corpus/fuzz_$name"
	mkdir -p "$WORK/corpus/$name" "$WORK/$name"
	start=$(date +%s)
	runs=0 cpu=0 left=$FUZZ_SECONDS tries=0
	: >"$WORK/$name.log"
	while [ "$left" -gt 0 ] && [ "$tries" -le "$FUZZ_RESTARTS" ]; do
		set -- "$WORK/corpus/$name"
		[ -d "$seeds" ] && set -- "$@" "$seeds"
		/usr/bin/time -f 'cpu %U %S' -o "$WORK/$name.time" \
		    "$bin" -max_total_time="$left" -timeout=25 \
		    -rss_limit_mb=2048 -print_final_stats=1 \
		    -artifact_prefix="$WORK/$name/" "$@" \
		    >>"$WORK/$name.log" 2>&1
		r=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$WORK/$name.log" | tail -n 1)
		runs=$((runs + ${r:-0}))
		c=$(awk '/^cpu/ { printf "%d", $2 + $3 + 0.5 }' \
		    "$WORK/$name.time")
		cpu=$((cpu + ${c:-0}))
		echo "# --- end of try $tries" >>"$WORK/$name.log"
		tries=$((tries + 1))
		left=$((FUZZ_SECONDS - ($(date +%s) - start)))
	done
	crashes=$(find "$WORK/$name" -type f \( -name 'crash-*' -o \
	    -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	echo "$name $runs $(($(date +%s) - start)) $cpu $crashes" \
	    >"$WORK/$name.result"
}

if [ "${1:-}" = "--one" ]; then
	run_one "$2"
	exit 0
fi

mkdir -p "$WORK" || exit 1
if ! FUZZ_BUILD_ONLY=1 sh t/fuzz/run.sh >"$WORK/build.log" 2>&1; then
	grep -v '^PASS' "$WORK/build.log"
	exit 1
fi
targets=${FUZZ_TARGETS:-$(ls t/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')}
for t in $targets; do rm -f "$WORK/$t.result"; done
echo "# fuzzing $(echo $targets | wc -w) targets for ${FUZZ_SECONDS}s each," \
    "$FUZZ_JOBS at a time; work in $WORK"
printf '%s\n' $targets | xargs -P "$FUZZ_JOBS" -n 1 sh t/fuzz/long.sh --one

printf '%-18s %12s %8s %8s %8s\n' target runs seconds cpu_s crashes
cat_results() { for t in $targets; do cat "$WORK/$t.result"; done; }
cat_results | awk '
	{ printf "%-18s %12d %8d %8d %8d\n", $1, $2, $3, $4, $5
	  cpu += $4; crashes += $5; if ($5 > 0) bad = bad " " $1 }
	END { printf "total CPU hours: %.2f, crashes: %d%s\n", cpu / 3600,
	    crashes, bad != "" ? " (in" bad "; inputs under '"$WORK"'/<target>/)" : "";
	    exit (crashes > 0) }'
