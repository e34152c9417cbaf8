#!/bin/sh
# t/deps.sh - install the Debian packages Petrel needs to build, run and test.
# As root it runs apt-get; otherwise it names the missing packages and stops.
# valgrind, cppcheck and clang-tidy are for `make valgrind-unit` and
# `make lint` (CI, .ci/run), clang and libclang-rt for fuzzing and ASan.
PKGS="build-essential clang libclang-rt-14-dev libdb-dev libssl-dev libcrypt-dev
libseccomp-dev
expect tcl swaks msmtp fetchmail python3 valgrind strace faketime procps
iproute2 openssl dnsmasq-base getmail6 curl isync offlineimap3 imapfilter
mutt neomutt dovecot-imapd fail2ban cppcheck clang-tidy"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "petrel: missing Debian packages:$missing" >&2
	echo "petrel: install them as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "petrel: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq $missing >/dev/null || {
	echo "petrel: apt-get install failed for:$missing" >&2; exit 1; }
