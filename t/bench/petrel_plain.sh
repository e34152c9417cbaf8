#!/bin/bash
# t/bench/petrel_plain.sh - sourced by pop3.sh and imap.sh: petrel_plain_passwords
# rewrites the private instance's user_password_maps (petrel_up.sh writes
# SHA-512 crypt hashes) with {PLAIN} passwords, as Dovecot's passwd-file in
# ../shared/bench has, so both servers do the same password work per login.
# Needs TOP, B and the PERF_* variables of ../shared/bench/env.sh.

# Petrel's users map with {PLAIN} passwords (perfu1..perfu$PERF_NUSERS).
petrel_plain_passwords() {
	local conf="$PERF_BASE/petrel/conf"
	for i in $(seq 1 "$PERF_NUSERS"); do
		echo "perfu$i@$PERF_DOMAIN {PLAIN}$PERF_PASSWORD"
	done > "$conf/passwd"
	"$TOP/$B/bin/petrel-map" -f "$conf/petrel.conf" "hash:$conf/passwd"
	chgrp petrel-auth "$conf/passwd" "$conf/passwd.db"
	chmod 640 "$conf/passwd" "$conf/passwd.db"
}
