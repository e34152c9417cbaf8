#!/bin/bash
# t/bench/pop3.sh - the POP3 part of `make bench`: side by side with a
# private Dovecot (../shared/bench/dovecot_up.sh), on the same maildirs and
# the same password scheme ({PLAIN}):
#   fetch  : 10 and 50 clients, each logging in as its own perfuN and
#            retrieving all 1,000 x 4 KB messages (msgs/s, mailfetch.py);
#   logins : 10 workers doing USER/PASS/QUIT loops (logins/s);
#   memory : 50 logged-in POP3 sessions, sum of PSS (mem_probe.py).
# Then the ratio table petrel/dovecot.  Prints figures; never fails on speed.
# Environment: B (build dir), BENCH_REPEAT (default 1), BENCH_OUT (results
# directory), BENCH_POP3_CLIENTS (default "10,50"), BENCH_DOVECOT=0 skips
# Dovecot.  PERF_BASE and the PERF_*_PORT variables (env.sh) may move the
# whole run away from another benchmark on the same machine.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export PETREL_TOP="$TOP" B="${B:-build}"
SHARED=${SHARED_BENCH:-$TOP/../shared/bench}
[ -x "$SHARED/pop3_fetch.sh" ] || { echo "bench: $SHARED not found" >&2; exit 1; }
export PERF_ANCHORS_DIR="$SHARED"
source "$SHARED/env.sh"
OUT=${BENCH_OUT:-$TOP/$B/bench-pop3-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
REPEAT=${BENCH_REPEAT:-1}
CLIENTS=${BENCH_POP3_CLIENTS:-10,50}
POP3="127.0.0.1:$PERF_POP3_PORT"
MROOT="$PERF_VMAIL/$PERF_DOMAIN"

# One server's POP3 workloads: label, pid file, pid file of the process
# tree that serves POP3 (memory): Dovecot's whole tree (master, auth,
# login and pop3 processes), Petrel's petrel-pop3d tree (it authenticates
# itself; smtpd, the queue and delivery are not part of serving POP3).
pop3_workloads() {
	bash "$SHARED/pop3_fetch.sh" "$POP3" --clients "$CLIENTS" --repeat 1 \
		--fill-root "$MROOT" --owner "$PERF_MAIL_USER" --pidfile "$2" \
		--label "$1" --out "$OUT/results.jsonl" >/dev/null
	python3 "$SHARED/mem_probe.py" --pop3 "$POP3" --pidfile "${3:-$2}" \
		--role mda --maildir-root "$MROOT" --owner "$PERF_MAIL_USER" \
		--label "$1" --out "$OUT/results.jsonl" >/dev/null
}

source "$TOP/t/bench/petrel_plain.sh"

for r in $(seq 1 "$REPEAT"); do
	if [ "${BENCH_DOVECOT:-1}" = 1 ] && command -v dovecot >/dev/null; then
		bash "$SHARED/dovecot_up.sh" >/dev/null 2>&1
		pop3_workloads dovecot "$PERF_BASE/run/master.pid"
		bash "$SHARED/dovecot_down.sh" >/dev/null 2>&1
	fi
	# mailfetch logs in as "perfuN" (Dovecot: username_format=%n)
	PETREL_EXTRA_CONF="pop3d_auth_default_domain = $PERF_DOMAIN
${PETREL_EXTRA_CONF:-}" bash "$TOP/t/bench/petrel_up.sh"
	petrel_plain_passwords
	pop3_workloads petrel "$PERF_BASE/petrel/master.pid" \
		"$PERF_BASE/petrel/spool/pid/pop3d.pid"
	bash "$TOP/t/bench/petrel_down.sh"
done
python3 "$SHARED/summarize.py" "$OUT/results.jsonl"
[ "${BENCH_DOVECOT:-1}" = 1 ] &&
	python3 "$SHARED/summarize.py" "$OUT/results.jsonl" --compare dovecot petrel
echo "bench: POP3 results in $OUT"
exit 0
