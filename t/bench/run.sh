#!/bin/sh
# t/bench/run.sh - `make bench`: SMTP -> maildir throughput, 10,000 x 4 KB
# messages over 10 and 50 concurrent sessions, end to end (until every message
# is in the maildirs), and relay throughput (the same messages relayed to a
# sink SMTP server on loopback, until the sink accepted the last one), plus
# server CPU per message and peak memory; run side by
# side with a private Postfix through ../shared/bench when it is present, then
# the ratio table.  Prints figures; never fails on speed.
# Environment: BENCH_REPEAT (default 1), BENCH_CASES (smtp_bench cases
# N:SIZE:CONC:RCPTS), BENCH_RELAY_CASES (the same for relay; "" skips it),
# BENCH_POSTFIX=0 to skip the Postfix side (and Dovecot's), BENCH_POP3=0 to
# skip the POP3 part (t/bench/pop3.sh: fetch, logins/s, memory vs Dovecot),
# BENCH_IMAP=0 the IMAP part (t/bench/imap.sh: fetch, logins/s, memory, a
# 100,000-message folder vs Dovecot).
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export PETREL_TOP="$TOP" B="${B:-build}"
SHARED=${SHARED_BENCH:-$TOP/../shared/bench}
[ -x "$SHARED/run_anchors.sh" ] || { echo "bench: $SHARED not found" >&2; exit 1; }
export PERF_ANCHORS_DIR="$SHARED"
command -v smtp-source >/dev/null 2>&1 || [ -x /usr/sbin/smtp-source ] || {
	echo "bench: installing postfix (smtp-source, the load generator)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null; }
OUT=${BENCH_OUT:-$TOP/build/bench-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
REPEAT=${BENCH_REPEAT:-1}
CASES=${BENCH_CASES-"10000:4096:10:1 10000:4096:50:1"}
RELAY_CASES=${BENCH_RELAY_CASES-"10000:4096:10:1 10000:4096:50:1"}
# One server's workloads: label, pid file.
workloads() {
	[ -n "$CASES" ] && bash "$SHARED/smtp_inject.sh" 127.0.0.1:13525 \
		--cases "$CASES" --repeat 1 --pidfile "$2" --label "$1" \
		--out "$OUT/results.jsonl"
	[ -n "$RELAY_CASES" ] && bash "$SHARED/smtp_relay.sh" 127.0.0.1:13525 \
		--cases "$RELAY_CASES" --repeat 1 --pidfile "$2" --label "$1" \
		--out "$OUT/results.jsonl"
	return 0
}
for r in $(seq 1 "$REPEAT"); do
	if [ "${BENCH_POSTFIX:-1}" = 1 ]; then
		bash "$SHARED/postfix_up.sh" >/dev/null 2>&1
		workloads postfix /tmp/perfD/postfix/spool/pid/master.pid
		bash "$SHARED/postfix_down.sh" >/dev/null 2>&1
	fi
	bash "$TOP/t/bench/petrel_up.sh"
	workloads petrel /tmp/perfD/petrel/master.pid
	bash "$TOP/t/bench/petrel_down.sh"
done
python3 "$SHARED/summarize.py" "$OUT/results.jsonl" --times
[ "${BENCH_POSTFIX:-1}" = 1 ] &&
	python3 "$SHARED/summarize.py" "$OUT/results.jsonl" --compare postfix petrel
echo "bench: results in $OUT"
# POP3 side by side with Dovecot (t/bench/pop3.sh); BENCH_POP3=0 skips it.
if [ "${BENCH_POP3:-1}" = 1 ]; then
	BENCH_OUT="$OUT/pop3" BENCH_DOVECOT="${BENCH_POSTFIX:-1}" \
		bash "$TOP/t/bench/pop3.sh"
fi
# IMAP side by side with Dovecot (t/bench/imap.sh); BENCH_IMAP=0 skips it.
if [ "${BENCH_IMAP:-1}" = 1 ]; then
	BENCH_OUT="$OUT/imap" BENCH_DOVECOT="${BENCH_POSTFIX:-1}" \
		bash "$TOP/t/bench/imap.sh"
fi
exit 0
