#!/bin/bash
# t/run.sh - run every test suite and print "N passed, M failed" last.
#
# Suites: C unit tests ($B/t/test_*), Expect conformance scripts
# (t/conf/*/*.exp), interop and system tests (t/interop/*.sh, t/interop/*.py).
# Every test prints lines "PASS: <name>" or "FAIL: <name> ..."; a script that
# exits non-zero without printing a FAIL line counts as one failure, and a
# script that prints nothing counts as a failure too (a test that cannot fail
# is a defect) unless it exits 0 with a "SKIP: <name>: <why>" line (only
# for a missing facility, e.g. loop devices).  Each script runs under a
# time bound.
# Scripts are independent (each makes its own instance on free loopback
# ports), so T_JOBS of them run at once (default: CPUs + 1, since most of
# their time is spent waiting on sockets and disks); each script's lines
# are printed together, in the order above, once all have run.
# Environment: B (build dir, default build), T_FILTER (substring of script
# paths to run), T_TIMEOUT (seconds per script, default 300), T_JOBS,
# T_KEEP_LOG (non-empty: keep the scripts' outputs and reports in $LOG).
# Sanitizers: when ASAN_OPTIONS or UBSAN_OPTIONS is set, every process a
# script starts (daemons and their workers, whose stderr is /dev/null, as
# much as tools and unit tests) writes its sanitizer report to its own file
# in $LOG/<script>.san/ (log_path); any report there (a leak, an ASan
# or UBSan error, LeakSanitizer unable to run) is one more FAIL line naming
# the script and the report's first lines, whatever the script printed.
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PETREL_TOP="$TOP" PETREL_BIN="$TOP/$B/bin" PETREL_TBIN="$TOP/$B/t"
export PYTHONDONTWRITEBYTECODE=1
T_TIMEOUT=${T_TIMEOUT:-300}
T_JOBS=${T_JOBS:-$(($(nproc 2>/dev/null || echo 1) + 1))}
LOG=$(mktemp -d /tmp/petrel-tlog.XXXXXX)
if [ -n "${T_KEEP_LOG:-}" ]; then
	trap 'echo "outputs and sanitizer reports kept in $LOG"' EXIT
else
	trap 'rm -rf "$LOG"' EXIT
fi
# The daemons' workers (their own users) must reach $LOG/*.san/.
chmod 0711 "$LOG"
SAN=${ASAN_OPTIONS:+1}${UBSAN_OPTIONS:+1}
SAN_RE='ERROR: [A-Za-z]+Sanitizer|LeakSanitizer has encountered|runtime error:'
running=0

# Run one script in the background; its output and exit code go to $LOG.
start_one() {
	local name=$1 out
	shift
	case "$name" in *"${T_FILTER:-}"*) ;; *) return ;; esac
	out="$LOG/$(echo "$name" | tr '/' '_')"
	echo "$name" >"$out.name"
	if [ -n "$SAN" ]; then
		mkdir -m 1777 "$out.san"
		( san_env "$out.san/report"
		  timeout -k 10 "$T_TIMEOUT" "$@" >"$out.out" 2>&1
		  echo $? >"$out.rc" ) &
	else
		( timeout -k 10 "$T_TIMEOUT" "$@" >"$out.out" 2>&1
		  echo $? >"$out.rc" ) &
	fi
	running=$((running + 1))
	while [ "$running" -ge "$T_JOBS" ]; do
		wait -n
		running=$((running - 1))
	done
}

# Send this (sub)shell's sanitizer reports to files named $1.<pid>.
san_env() {
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$1"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$1"
}

# One FAIL line per sanitizer report a script's processes left (the
# report's first lines below it); the number of reports on stdout's last
# line.
san_reports() {
	local dir=$1 name=$2 f n=0 what
	for f in "$dir"/report.*; do
		[ -s "$f" ] || continue
		grep -q -E "$SAN_RE" "$f" || continue	# a warning only
		what=$(grep -m 1 -E "$SAN_RE" "$f" | sed 's/^==[0-9]*==//')
		echo "FAIL: $name: sanitizer report ${f##*/} ($what)"
		grep -E '^(Direct|Indirect)|#[0-9]+ .* (common|smtpd|queue|local|pop3d|imapd|t)/' "$f" |
		    head -n 12 | sed 's/^/    | /'
		n=$((n + 1))
	done
	echo "$n"
}

# The result lines of one finished script; its counts appended to $LOG/counts.
report_one() {
	local base=$1 name rc p f
	name=$(cat "$base.name")
	rc=$(cat "$base.rc" 2>/dev/null || echo 1)
	p=$(grep -c '^PASS: ' "$base.out"); f=$(grep -c '^FAIL: ' "$base.out")
	grep -E '^(PASS|FAIL): ' "$base.out"
	if [ -d "$base.san" ]; then
		san_reports "$base.san" "$name" >"$base.sanout"
		sed '$d' "$base.sanout"
		f=$((f + $(tail -n 1 "$base.sanout")))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name (exit $rc)"; f=1
		tail -n 20 "$base.out" | sed 's/^/    | /'
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$rc" -eq 0 ] &&
	    grep -q '^SKIP: ' "$base.out"; then
		grep '^SKIP: ' "$base.out"	# e.g. no loop devices here
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name (no result lines)"; f=1
	elif [ "$f" -ne 0 ]; then
		tail -n 30 "$base.out" | grep -v -E '^(PASS|FAIL): ' | sed 's/^/    | /'
	fi
	echo "$p $f" >>"$LOG/counts"
}

for t in "$TOP/$B"/t/test_*; do
	[ -x "$t" ] && start_one "unit/$(basename "$t")" "$t"
done
for t in "$TOP"/t/conf/*/*.exp; do
	[ -f "$t" ] && start_one "conf/${t#$TOP/t/conf/}" expect -f "$t"
done
for t in "$TOP"/t/interop/*.sh "$TOP"/t/interop/*.py; do
	[ -f "$t" ] || continue
	case "$t" in
	*.sh) start_one "interop/$(basename "$t")" sh "$t" ;;
	*.py) start_one "interop/$(basename "$t")" python3 "$t" ;;
	esac
done
wait
: >"$LOG/counts"
for n in "$LOG"/*.name; do
	[ -f "$n" ] && report_one "${n%.name}"
done
pass=0; fail=0
while read -r p f; do
	pass=$((pass + p)); fail=$((fail + f))
done <"$LOG/counts"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
