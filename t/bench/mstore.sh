#!/bin/sh
# t/bench/mstore.sh - the IMAP mail store on a big folder: builds a folder
# of BENCH_MSTORE_N (default 100,000) messages in a temp dir and prints the
# time of its first open (scan and UID assignment), a warm SELECT +
# UID FETCH 1:* (FLAGS) (index only, no message file read), an idle sync,
# and one STORE + sync.  Prints figures; never fails on speed.
# Environment: B (build dir, default build), BENCH_MSTORE_N.
# Run on its own (sh t/bench/mstore.sh); not yet called from t/bench/run.sh.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
N=${BENCH_MSTORE_N:-100000}
TOOL="$TOP/$B/t/mstore_tool"
[ -x "$TOOL" ] || { echo "bench: $TOOL not built (make)" >&2; exit 1; }
DIR=$(mktemp -d /tmp/petrel-mstore-bench.XXXXXX) || exit 1
"$TOOL" bench "$DIR/Maildir" "$N"
rc=$?
du -sh "$DIR/Maildir/petrel-index" "$DIR/Maildir/petrel-uidlist" 2>/dev/null |
    sed 's/^/mstore: file size /'
rm -rf "$DIR"
exit $rc
