#!/bin/sh
# t/lint.sh - `make lint`: static analysis over every C source of the tree
# (common/, the daemons, t/unit, t/lib, t/fuzz): cppcheck (warnings and
# portability; inline suppressions "// cppcheck-suppress id" with a reason
# beside them; not over t/unit, whose CHECK() goes on after a failed check
# by design, so every "CHECK(p != NULL); CHECK(p->x)" is reported) and
# clang-tidy with the checked-in .clang-tidy (every
# finding is an error).  LINT_JOBS files at a time for clang-tidy
# (default: the CPU count).  Prints "PASS: lint/cppcheck" /
# "PASS: lint/clang-tidy" or FAIL lines with the findings; exits 1 on any.
cd "$(dirname "$0")/.." || exit 1
LINT_JOBS=${LINT_JOBS:-$(nproc 2>/dev/null || echo 1)}
FLAGS="-std=c11 -D_GNU_SOURCE -Icommon"
DIRS="common smtpd queue local pop3d imapd"
OUT=$(mktemp -d /tmp/petrel-lint.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
status=0

if cppcheck -q -j "$LINT_JOBS" --std=c11 -D_GNU_SOURCE -Icommon \
    --enable=warning,portability --inline-suppr --error-exitcode=1 \
    --suppress=missingIncludeSystem $DIRS t/lib t/fuzz \
    >"$OUT/cppcheck" 2>&1; then
	echo "PASS: lint/cppcheck"
else
	echo "FAIL: lint/cppcheck"
	sed 's/^/    | /' "$OUT/cppcheck"
	status=1
fi

# clang-tidy, one file per run; findings to $OUT/tidy.
find $DIRS t/unit t/lib t/fuzz -name '*.c' | sort |
    xargs -P "$LINT_JOBS" -n 4 sh -c 'clang-tidy -quiet "$@" -- '"$FLAGS"' \
	>>"'"$OUT"'/tidy.$$" 2>&1 || echo fail >>"'"$OUT"'/tidy.$$"' sh
cat "$OUT"/tidy.* 2>/dev/null | grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated' \
    >"$OUT/tidy"
if grep -q -E 'warning:|error:|^fail$' "$OUT/tidy"; then
	echo "FAIL: lint/clang-tidy"
	grep -v '^fail$' "$OUT/tidy" | sed 's/^/    | /'
	status=1
else
	echo "PASS: lint/clang-tidy"
fi
exit "$status"
