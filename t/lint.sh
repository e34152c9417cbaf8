#!/bin/sh
# t/lint.sh - `make lint`: static analysis over every C source of the tree
# (common/, the daemons, t/unit, t/lib, t/fuzz): cppcheck (warnings and
# portability; inline suppressions "// cppcheck-suppress id" with a reason
# beside them; not over t/unit, whose CHECK() goes on after a failed check
# by design, so every "CHECK(p != NULL); CHECK(p->x)" is reported) and
# clang-tidy with the checked-in .clang-tidy (every finding is an error;
# t/unit/.clang-tidy drops the CERT rules that are about production code;
# inline "// NOLINT(check): reason" for a false positive).  LINT_JOBS
# files at a time for clang-tidy (default: the CPU count).  Prints
# "PASS: lint/cppcheck" / "PASS: lint/clang-tidy" or FAIL lines with the
# findings; exits 1 on any.
#
# Cache: a file that clang-tidy passed is not checked again until it, a
# header it includes, a .clang-tidy or this script changes (stamps under
# LINT_CACHE, default $B/lint, i.e. build/lint).  LINT_CACHE= (empty)
# checks every file from scratch, as CI does.  Files with findings are
# never cached.
#
# Internal: `t/lint.sh --tidy file...` checks files (run by xargs below).
cd "$(dirname "$0")/.." || exit 1
LINT_JOBS=${LINT_JOBS:-$(nproc 2>/dev/null || echo 1)}
LINT_CACHE=${LINT_CACHE-${B:-build}/lint}
FLAGS="-std=c11 -D_GNU_SOURCE -Icommon"
DIRS="common smtpd queue local pop3d imapd"

# The files a check of $1 depends on: the source, the headers it includes
# (cc -MM) and the configuration; one per line.
lint_deps() {
	echo "$1"
	cc -MM $FLAGS "$1" 2>/dev/null | sed -e 's/^[^:]*://' -e 's/\\$//' |
	    tr ' ' '\n' | grep -v '^$'
	echo t/lint.sh
	echo .clang-tidy
	[ -f "$(dirname "$1")/.clang-tidy" ] && echo "$(dirname "$1")/.clang-tidy"
	return 0
}

# 0 when $1's stamp is newer than every file it lists (all still there).
lint_fresh() {
	[ -s "$1" ] || return 1
	newer=$(find $(cat "$1") -newer "$1" 2>/dev/null) || return 1
	[ -z "$newer" ]
}

# clang-tidy over the files named; findings (and "fail") to stdout.  The
# stamp is written before the check (its time is the check's start) and
# kept only when the check found nothing.
lint_tidy() {
	for f; do
		stamp=$LINT_CACHE/$f.ok
		[ -n "$LINT_CACHE" ] && lint_fresh "$stamp" && continue
		echo "$f" >>"$LINT_OUT/ran.$$"
		if [ -n "$LINT_CACHE" ]; then
			mkdir -p "$(dirname "$stamp")"
			lint_deps "$f" >"$stamp.new"
		fi
		if out=$(clang-tidy -quiet "$f" -- $FLAGS 2>&1) &&
		    ! echo "$out" | grep -q -E 'warning:|error:'; then
			[ -n "$LINT_CACHE" ] && mv -f "$stamp.new" "$stamp"
		else
			echo "$out"
			echo fail
			rm -f "$stamp" "$stamp.new"
		fi
	done
}

if [ "${1-}" = "--tidy" ]; then
	shift
	exec >>"$LINT_OUT/tidy.$$" 2>&1
	lint_tidy "$@"
	exit 0
fi

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

# clang-tidy, a few files per run; findings to $OUT/tidy.
export LINT_OUT="$OUT" LINT_CACHE B
find $DIRS t/unit t/lib t/fuzz -name '*.c' | sort >"$OUT/files"
xargs -P "$LINT_JOBS" -n 4 sh t/lint.sh --tidy <"$OUT/files"
cat "$OUT"/tidy.* 2>/dev/null | grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated' \
    >"$OUT/tidy"
checked=$(cat "$OUT"/ran.* 2>/dev/null | wc -l)
if grep -q -E 'warning:|error:|^fail$' "$OUT/tidy"; then
	echo "FAIL: lint/clang-tidy"
	grep -v '^fail$' "$OUT/tidy" | sed 's/^/    | /'
	status=1
else
	echo "PASS: lint/clang-tidy"
fi
total=$(wc -l <"$OUT/files")
[ "$checked" -lt "$total" ] &&
    echo "# clang-tidy checked $checked of $total files; the others" \
	"passed unchanged (cache $LINT_CACHE; LINT_CACHE= for all)"
exit "$status"
