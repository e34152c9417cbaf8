#!/bin/bash
# petrel_down.sh - stop the private Petrel started by petrel_up.sh.
source "${PERF_ANCHORS_DIR:-$(dirname "$0")/../../../shared/bench}/env.sh"
DIR="$PERF_BASE/petrel"
[ -f "$DIR/master.pid" ] || exit 0
pid=$(cat "$DIR/master.pid")
kill -TERM "$pid" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null
rm -f "$DIR/master.pid"
[ "${1:-}" = --purge ] && rm -rf "$DIR"
exit 0
