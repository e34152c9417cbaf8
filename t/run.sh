#!/bin/sh
# t/run.sh - run every test suite and print "N passed, M failed" last.
#
# Suites: C unit tests ($B/t/test_*), Expect conformance scripts
# (t/conf/*/*.exp), interop and system tests (t/interop/*.sh, t/interop/*.py).
# Every test prints lines "PASS: <name>" or "FAIL: <name> ..."; a script that
# exits non-zero without printing a FAIL line counts as one failure, and a
# script that prints nothing counts as a failure too (a test that cannot fail
# is a defect).  Each script runs under a time bound.
# Environment: B (build dir, default build), T_FILTER (substring of script
# paths to run), T_TIMEOUT (seconds per script, default 300).
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PETREL_TOP="$TOP" PETREL_BIN="$TOP/$B/bin" PETREL_TBIN="$TOP/$B/t"
export PYTHONDONTWRITEBYTECODE=1
T_TIMEOUT=${T_TIMEOUT:-300}
LOG=$(mktemp -d /tmp/petrel-tlog.XXXXXX)
pass=0; fail=0

run_one() {
	name=$1; shift
	case "$name" in *"${T_FILTER:-}"*) ;; *) return ;; esac
	out="$LOG/$(echo "$name" | tr '/' '_').out"
	timeout -k 10 "$T_TIMEOUT" "$@" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^PASS: ' "$out"); f=$(grep -c '^FAIL: ' "$out")
	grep -E '^(PASS|FAIL): ' "$out"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name (exit $rc)"; f=1
		tail -n 20 "$out" | sed 's/^/    | /'
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name (no result lines)"; f=1
	elif [ "$f" -ne 0 ]; then
		tail -n 30 "$out" | grep -v -E '^(PASS|FAIL): ' | sed 's/^/    | /'
	fi
	pass=$((pass + p)); fail=$((fail + f))
}

for t in "$TOP/$B"/t/test_*; do
	[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in "$TOP"/t/conf/*/*.exp; do
	[ -f "$t" ] && run_one "conf/${t#$TOP/t/conf/}" expect -f "$t"
done
for t in "$TOP"/t/interop/*.sh "$TOP"/t/interop/*.py; do
	[ -f "$t" ] || continue
	case "$t" in
	*.sh) run_one "interop/$(basename "$t")" sh "$t" ;;
	*.py) run_one "interop/$(basename "$t")" python3 "$t" ;;
	esac
done
rm -rf "$LOG"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
