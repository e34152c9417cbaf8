#!/bin/bash
# t/bench/imap.sh - the IMAP part of `make bench`: side by side with a
# private Dovecot (../shared/bench/dovecot_up.sh), on the same maildirs and
# the same password scheme ({PLAIN}):
#   fetch  : BENCH_IMAP_CLIENTS clients (default 10), each logging in as its
#            own perfuN, SELECT INBOX, FETCH 1:* BODY.PEEK[] of 1,000 x 4 KB
#            messages, 30 sessions each (msgs/s, imap_fetch.py);
#   logins : 10 workers doing LOGIN/LOGOUT loops (logins/s);
#   memory : 50 logged-in sessions with INBOX selected, sum of PSS
#            (mem_probe.py --imap; Petrel's tree is petrel-imapd's plus
#            petrel-auth's, as Dovecot's tree holds its auth processes);
#   big    : a 100,000-message folder: SELECT and UID FETCH 1:* (FLAGS) on a
#            warm index, SEARCH TEXT on a word; time and bytes the session
#            process read from message files (t/bench/imap_big.py).
# Then the ratio tables petrel/dovecot.  Prints figures; never fails on speed.
# Environment: B (build dir), BENCH_REPEAT (default 1), BENCH_OUT (results
# directory), BENCH_IMAP_CLIENTS (default "10"), BENCH_IMAP_BIG (messages in
# the big folder, default 100000; 0 skips that part), BENCH_IMAP_PARTS
# (default "fetch mem big"), BENCH_DOVECOT=0 skips Dovecot, BENCH_PETREL=0
# skips Petrel.  PERF_BASE and the PERF_*_PORT variables (env.sh) may move the
# whole run away from another benchmark on the same machine.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export PETREL_TOP="$TOP" B="${B:-build}"
SHARED=${SHARED_BENCH:-$TOP/../shared/bench}
[ -x "$SHARED/imap_fetch.py" ] || { echo "bench: $SHARED not found" >&2; exit 1; }
export PERF_ANCHORS_DIR="$SHARED"
source "$SHARED/env.sh"
source "$TOP/t/bench/petrel_plain.sh"
OUT=${BENCH_OUT:-$TOP/$B/bench-imap-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
REPEAT=${BENCH_REPEAT:-1}
CLIENTS=${BENCH_IMAP_CLIENTS:-10}
BIG=${BENCH_IMAP_BIG:-100000}
PARTS=${BENCH_IMAP_PARTS:-fetch mem big}
IMAP="127.0.0.1:$PERF_IMAP_PORT"
MROOT="$PERF_VMAIL/$PERF_DOMAIN"
PY=${BENCH_PYTHON:-python3}

has_part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

# One server's IMAP workloads: label, pid file(s) of the process trees that
# serve IMAP (Dovecot: master; Petrel: petrel-imapd and petrel-auth).
imap_workloads() {
	local label=$1; shift
	local pf=() p
	for p in "$@"; do pf+=(--pidfile "$p"); done
	has_part fetch && "$PY" "$SHARED/imap_fetch.py" "$IMAP" --clients "$CLIENTS" \
		--login-workers 10 --repeat 1 --fill-root "$MROOT" \
		--owner "$PERF_MAIL_USER" "${pf[@]}" --label "$label" \
		--out "$OUT/results.jsonl" >/dev/null
	has_part mem && "$PY" "$SHARED/mem_probe.py" --imap "$IMAP" "${pf[@]}" \
		--role imap --maildir-root "$MROOT" --owner "$PERF_MAIL_USER" \
		--label "$label" --out "$OUT/results.jsonl" >/dev/null
	has_part big && [ "$BIG" -gt 0 ] && "$PY" "$TOP/t/bench/imap_big.py" "$IMAP" \
		--msgs "$BIG" --fill-root "$MROOT" --owner "$PERF_MAIL_USER" \
		--label "$label" --out "$OUT/big.jsonl" >/dev/null
	return 0
}

for r in $(seq 1 "$REPEAT"); do
	if [ "${BENCH_DOVECOT:-1}" = 1 ] && command -v dovecot >/dev/null; then
		bash "$SHARED/dovecot_up.sh" >/dev/null 2>&1
		imap_workloads dovecot "$PERF_BASE/run/master.pid"
		bash "$SHARED/dovecot_down.sh" >/dev/null 2>&1
	fi
	[ "${BENCH_PETREL:-1}" = 1 ] || continue
	# imap_fetch logs in as "perfuN" (Dovecot: username_format=%n)
	PETREL_EXTRA_CONF="imapd_auth_default_domain = $PERF_DOMAIN
${PETREL_EXTRA_CONF:-}" bash "$TOP/t/bench/petrel_up.sh"
	petrel_plain_passwords
	perf_wait_banner 127.0.0.1 "$PERF_IMAP_PORT" >/dev/null ||
		echo "bench: petrel-imapd does not answer on $IMAP" >&2
	imap_workloads petrel "$PERF_BASE/petrel/spool/pid/imapd.pid" \
		"$PERF_BASE/petrel/spool/pid/auth.pid"
	bash "$TOP/t/bench/petrel_down.sh"
done
[ -s "$OUT/results.jsonl" ] && python3 "$SHARED/summarize.py" "$OUT/results.jsonl"
[ -s "$OUT/results.jsonl" ] && [ "${BENCH_DOVECOT:-1}" = 1 ] &&
	python3 "$SHARED/summarize.py" "$OUT/results.jsonl" --compare dovecot petrel
[ -s "$OUT/big.jsonl" ] && python3 "$TOP/t/bench/imap_big.py" --summary "$OUT/big.jsonl" \
	--compare dovecot petrel
echo "bench: IMAP results in $OUT"
exit 0
