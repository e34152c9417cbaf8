#!/bin/bash
# t/valgrind_unit.sh - `make valgrind-unit`: every C unit test ($B/t/test_*)
# under valgrind (memcheck, full leak check).  A test fails when it fails
# by itself, or when valgrind reports an error or a definite or indirect
# leak (exit code 99 from --error-exitcode).  Runs VG_JOBS tests at once
# (default: the CPU count) and prints "PASS: valgrind/<test>" or
# "FAIL: valgrind/<test>" (with valgrind's report) per test, then
# "N passed, M failed".  Environment: B (build dir), VG_FILTER (substring
# of test names), VG_TIMEOUT (seconds per test, default 600), VG_SKIP
# (test names left out; default test_tls and test_tls_server: their
# handshakes with OpenSSL under memcheck, about 50 times slower, pass the
# alarm() bounds the tests set on their peers, and ASan runs them; and
# test_sandbox: valgrind does not implement the seccomp system call).
# The build must not use sanitizers (valgrind and ASan do not mix).
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PETREL_TOP="$TOP" PETREL_BIN="$TOP/$B/bin" PETREL_TBIN="$TOP/$B/t"
VG_JOBS=${VG_JOBS:-$(nproc 2>/dev/null || echo 1)}
VG_TIMEOUT=${VG_TIMEOUT:-600}
LOG=$(mktemp -d /tmp/petrel-vg.XXXXXX)
trap 'rm -rf "$LOG"' EXIT

# Run one test under valgrind; its output and exit code go to $LOG.
run_one() {
	local t=$1 name
	name=$(basename "$t")
	timeout -k 10 "$VG_TIMEOUT" valgrind -q --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    --show-leak-kinds=definite,indirect --track-fds=no \
	    --suppressions="$TOP/t/valgrind.supp" \
	    "$t" >"$LOG/$name.out" 2>&1
	echo $? >"$LOG/$name.rc"
}
export -f run_one
# tests that enter a seccomp sandbox skip that part (valgrind has no
# seccomp); make test runs them
export PETREL_VALGRIND=1
export LOG TOP VG_TIMEOUT

VG_SKIP=${VG_SKIP-test_tls test_tls_server test_sandbox}
for t in "$TOP/$B"/t/test_*; do
	case " $VG_SKIP " in *" $(basename "$t") "*) continue ;; esac
	echo "$t"
done | grep -e "${VG_FILTER:-}" |
    xargs -P "$VG_JOBS" -I{} bash -c 'run_one {}'
pass=0 fail=0
for rc in "$LOG"/*.rc; do
	name=$(basename "$rc" .rc)
	if [ "$(cat "$rc")" -eq 0 ]; then
		echo "PASS: valgrind/$name"
		pass=$((pass + 1))
	else
		echo "FAIL: valgrind/$name (exit $(cat "$rc"))"
		grep -v '^PASS: ' "$LOG/$name.out" | head -n 60 | sed 's/^/    | /'
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
