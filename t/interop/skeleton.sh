#!/bin/sh
# t/interop/skeleton.sh - the pre-fork server skeleton, exercised through the
# toy daemon $PETREL_TBIN/skel_echo (t/lib/skel_echo.c), as root:
# the parent stays root, workers run as smtpd_user, workers are recycled
# after server_max_use sessions, a killed worker is replaced, SIGHUP
# recycles the workers, a busy worker finishes its session on SIGTERM,
# SIGTERM leaves no process behind, a second instance refuses to start,
# -S serves one session on stdin/stdout, unix sockets get their mode.
# Prints "PASS: skeleton: <case>" / "FAIL: skeleton: <case>" lines.
# Environment: PETREL_TOP, PETREL_TBIN (set by t/run.sh), else B.
TOP=${PETREL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
TBIN=${PETREL_TBIN:-$TOP/${B:-build}/t}
ECHO=$TBIN/skel_echo
RUNAS=petrel-smtpd
FAILS=0

pass() { echo "PASS: skeleton: $1"; }
fail() { echo "FAIL: skeleton: $1${2:+ ($2)}"; FAILS=$((FAILS + 1)); }

[ -x "$ECHO" ] || { fail "build" "$ECHO missing"; exit 1; }
[ "$(id -u)" -eq 0 ] || { fail "setup" "must run as root"; exit 1; }
if ! id -u "$RUNAS" >/dev/null 2>&1; then
	if getent group "$RUNAS" >/dev/null; then g="-g $RUNAS"; else g="--user-group"; fi
	# shellcheck disable=SC2086
	useradd --system --no-create-home --shell /usr/sbin/nologin $g "$RUNAS" ||
		{ fail "setup" "useradd $RUNAS"; exit 1; }
fi
RUID=$(id -u "$RUNAS")

D=$(mktemp -d /tmp/petrel-skel.XXXXXX)
chmod 0755 "$D"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONF=$D/petrel.conf
PIDF=$D/spool/pid/skel_echo.pid
cat >"$CONF" <<EOF
queue_directory = $D/spool
smtpd_listen = 127.0.0.1:$PORT, unix:$D/echo.sock
smtpd_user = $RUNAS
smtpd_process_limit = 10
server_min_idle = 2
server_max_use = 3
maillog_file = $D/maillog
EOF

cleanup() {
	p=$(cat "$PIDF" 2>/dev/null)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
		kill -KILL "$p" $(pgrep -P "$p") 2>/dev/null
	fi
	rm -rf "$D"
}
trap cleanup EXIT

# talk LINE [unix]: one session, one line; prints the server's answer.
talk() {
	python3 - "$PORT" "$1" "${2:-}" "$D/echo.sock" <<'EOF'
import socket, sys
port, line, unix, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
if unix:
    s = socket.socket(socket.AF_UNIX); s.connect(path)
else:
    s = socket.create_connection(("127.0.0.1", port))
s.settimeout(10)
s.sendall(line.encode() + b"\nquit\n")
print(s.makefile().readline().strip())
EOF
}

# wait_until CMD...: retry for up to 8 s.
wait_until() {
	i=0
	while [ $i -lt 80 ]; do
		"$@" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

parent_pid() { cat "$PIDF" 2>/dev/null; }
workers() { pgrep -P "$(parent_pid)" | sort; }
nworkers_ge() { [ "$(workers | wc -l)" -ge "$1" ]; }
has_pid() { p=$(parent_pid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# --- start and identities
if "$ECHO" -f "$CONF" && wait_until has_pid && wait_until nworkers_ge 2; then
	pass "daemon starts and detaches"
else
	fail "daemon starts and detaches" "$(tail -n 5 "$D/maillog" 2>/dev/null)"
	exit 1
fi
P=$(parent_pid)
[ "$(ps -o uid= -p "$P" | tr -d ' ')" = 0 ] && pass "parent runs as root" ||
	fail "parent runs as root"
bad=0
for w in $(workers); do
	[ "$(ps -o uid= -p "$w" | tr -d ' ')" = "$RUID" ] || bad=1
done
ans=$(talk hello)
case "$ans" in
"uid=$RUID pid="*" hello") [ $bad = 0 ] && pass "workers run as $RUNAS" ||
	fail "workers run as $RUNAS" "a worker has another uid" ;;
*) fail "workers run as $RUNAS" "answer: $ans" ;;
esac
ans=$(talk viaunix unix)
mode=$(stat -c %a "$D/echo.sock")
case "$ans" in
*" viaunix") [ "$mode" = 666 ] && pass "unix socket listener (mode 0666)" ||
	fail "unix socket listener" "mode $mode" ;;
*) fail "unix socket listener" "answer: $ans" ;;
esac

# --- recycling after server_max_use (3) sessions
pids=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	pids="$pids $(talk "n$i" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')"
done
maxuse=$(echo "$pids" | tr ' ' '\n' | grep . | sort | uniq -c | sort -rn | awk 'NR==1{print $1}')
distinct=$(echo "$pids" | tr ' ' '\n' | grep . | sort -u | wc -l)
if [ "${maxuse:-9}" -le 3 ] && [ "$distinct" -ge 4 ]; then
	pass "workers recycled after server_max_use sessions"
else
	fail "workers recycled after server_max_use sessions" "pids:$pids"
fi

# --- a killed worker is replaced
victim=$(workers | head -n 1)
kill -KILL "$victim"
replaced() { ! workers | grep -qx "$victim" && nworkers_ge 2; }
if wait_until replaced && [ -n "$(talk again)" ]; then
	pass "killed worker is replaced"
else
	fail "killed worker is replaced" "workers: $(workers | tr '\n' ' ')"
fi

# --- a second instance refuses to start
out=$("$ECHO" -f "$CONF" 2>&1)
rc=$?
case "$rc:$out" in
0:*) fail "second instance refuses to start" "exit 0" ;;
*"already running, pid $P"*) pass "second instance refuses to start" ;;
*) fail "second instance refuses to start" "$out" ;;
esac

# --- SIGHUP recycles every worker
before=$(workers | tr '\n' ' ')
kill -HUP "$P"
recycled() {
	nworkers_ge 2 || return 1
	for w in $before; do workers | grep -qx "$w" && return 1; done
	return 0
}
if wait_until recycled && [ "$(parent_pid)" = "$P" ]; then
	pass "SIGHUP recycles the workers"
else
	fail "SIGHUP recycles the workers" "before: $before after: $(workers | tr '\n' ' ')"
fi

# --- -S: one session on stdin/stdout, no privilege change
ans=$(printf 'single\nquit\n' | "$ECHO" -S -f "$CONF" | tr -d '\r')
case "$ans" in
"uid=0 pid="*" single") pass "-S serves one session on stdin/stdout" ;;
*) fail "-S serves one session on stdin/stdout" "$ans" ;;
esac

# --- SIGTERM: a busy worker finishes its session, then nothing is left
all="$P $(workers | tr '\n' ' ')"
ans=$(python3 - "$PORT" "$P" <<'EOF'
import os, signal, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
s.sendall(b"sleep\n")
time.sleep(0.5)
os.kill(int(sys.argv[2]), signal.SIGTERM)
print(s.makefile().readline().strip())
EOF
)
case "$ans" in
*" sleep") pass "busy worker finishes its session on SIGTERM" ;;
*) fail "busy worker finishes its session on SIGTERM" "answer: $ans" ;;
esac
gone() { for q in $all; do kill -0 "$q" 2>/dev/null && return 1; done; return 0; }
if wait_until gone && [ ! -e "$PIDF" ] && [ ! -e "$D/echo.sock" ]; then
	pass "SIGTERM stops parent and workers, removes pid file"
else
	left=""; for p in $all; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
	fail "SIGTERM stops parent and workers, removes pid file" "left:$left"
fi

# --- a parent killed outright takes its workers with it (no orphans that
# would run beside the next instance)
if "$ECHO" -f "$CONF" && wait_until has_pid && wait_until nworkers_ge 2; then
	P=$(parent_pid)
	all="$(workers | tr '\n' ' ')"
	kill -KILL "$P"
	if wait_until gone; then
		pass "workers exit when the parent is killed"
	else
		fail "workers exit when the parent is killed" "left: $all"
		kill -KILL $all 2>/dev/null
	fi
	rm -f "$PIDF"
else
	fail "workers exit when the parent is killed" "restart failed"
fi

# --- workers that die at once (unknown user) do not fork-bomb
sed -e "s/^smtpd_user = .*/smtpd_user = petrel-no-such-user/" \
    -e "s/^maillog_file = .*/maillog_file = \$queue_directory\/..\/maillog2/" \
    "$CONF" >"$D/bad.conf"
"$ECHO" -f "$D/bad.conf" 2>/dev/null
sleep 4
n=$(grep -c "cannot become" "$D/maillog2" 2>/dev/null)
p=$(parent_pid)
[ -n "$p" ] && all="$p $(pgrep -P "$p" | tr '\n' ' ')" && kill -TERM "$p"
wait_until gone
if [ "${n:-0}" -ge 1 ] && [ "${n:-0}" -le 8 ]; then
	pass "respawning is throttled when workers die at once"
else
	fail "respawning is throttled when workers die at once" "$n failed workers in 4 s"
fi

[ "$FAILS" -eq 0 ]
