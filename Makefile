# Petrel - build, test, run, install.
#
#   make            build everything into $(B)/ (default build/)
#   make test       install missing Debian packages, build, run every test;
#                   the last line is "N passed, M failed"
#   make run        build and run the whole mail system in the foreground on
#                   an embedded configuration under ./run/ (see etc/petrel-run)
#   make install    PREFIX=/usr/local DESTDIR=
#   make asan       the same build with -fsanitize=address,undefined in build-asan/
#   make fuzz       libFuzzer targets (clang), each run briefly
#   make bench      benchmarks; they print figures and never fail on speed
# CC=clang works as well as the default gcc; both build with -Werror.

CC ?= gcc
B ?= build
PREFIX ?= /usr/local
DESTDIR ?=
SANITIZE ?=

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wimplicit-fallthrough -Werror
HARDEN = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Icommon $(WARN) $(CFLAGS) $(SANITIZE)
ifeq ($(SANITIZE),)
ALL_CFLAGS += $(HARDEN)
endif
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now $(SANITIZE) $(LDFLAGS)
LDLIBS = -ldb -lcrypt -lssl -lcrypto -lresolv

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
LIB := $(B)/libpetrel.a

# program name -> sources
SRC_petrel-smtpd  := $(wildcard smtpd/*.c)
SRC_petrel-pop3d  := $(wildcard pop3d/*.c)
SRC_petrel-inject := $(wildcard queue/inject_*.c)
SRC_petrel-qmgr   := $(wildcard queue/qmgr_*.c)
SRC_petrel-smtp   := $(wildcard queue/smtp_*.c)
SRC_petrel-sendmail := $(wildcard queue/sendmail_*.c)
SRC_petrel-postdrop := $(wildcard queue/postdrop_*.c)
SRC_petrel-qtool  := $(wildcard queue/qtool_*.c)
SRC_petrel-config := $(wildcard queue/config_tool*.c)
SRC_petrel-local  := $(wildcard local/local_*.c)
SRC_petrel-map    := $(wildcard local/map_tool*.c)
SRC_petrel-user   := $(wildcard local/user_tool*.c)
PROGS := $(foreach p,petrel-smtpd petrel-pop3d petrel-inject petrel-qmgr petrel-smtp \
	petrel-sendmail petrel-postdrop petrel-qtool \
	petrel-config petrel-local petrel-map petrel-user,$(if $(SRC_$(p)),$(p)))
BINS := $(PROGS:%=$(B)/bin/%)

UNIT_SRC := $(wildcard t/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:t/unit/%.c=$(B)/t/%)
TOOL_SRC := $(wildcard t/lib/*.c)
TOOL_BINS := $(TOOL_SRC:t/lib/%.c=$(B)/t/%)

.PHONY: all test run install asan fuzz bench clean deps check-deps
all: $(BINS) $(UNIT_BINS) $(TOOL_BINS)

$(B)/%.o: %.c $(wildcard common/*.h */*.h) | $(B)/dirs
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/dirs:
	@mkdir -p $(B)/bin $(B)/t $(B)/common
	@touch $@

$(LIB): $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $^

define prog_rule
$(B)/bin/$(1): $$(SRC_$(1):%.c=$(B)/%.o) $(LIB)
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS_ALL) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# Unit tests link libpetrel; a test of a daemon's module names its objects here.
UNIT_EXTRA_test_inject := $(B)/queue/inject_session.o
# The IMAP mail store (imapd/mstore*.c) for its tests and tools.
MSTORE_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard imapd/mstore*.c))
UNIT_EXTRA_test_mstore := $(MSTORE_OBJ)
UNIT_EXTRA_test_mstore_conc := $(MSTORE_OBJ)
$(B)/t/mstore_tool: $(B)/t/lib/mstore_tool.o $(MSTORE_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS)

.SECONDEXPANSION:
$(B)/t/test_%: $(B)/t/unit/test_%.o $$(UNIT_EXTRA_test_$$*) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS)

$(B)/t/%: $(B)/t/lib/%.o $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS)

deps:
	@sh t/deps.sh

test: deps all
	@B=$(B) sh t/run.sh

asan:
	$(MAKE) B=build-asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" CFLAGS="-O1 -g"

run: deps all
	@B=$(B) sh etc/petrel-run

fuzz: deps
	@sh t/fuzz/run.sh

bench: deps all
	@B=$(B) sh t/bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/libexec/petrel \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)/etc/petrel
	for p in $(PROGS); do install -m 0755 $(B)/bin/$$p $(DESTDIR)$(PREFIX)/sbin/$$p; done
	install -m 0755 etc/petrel $(DESTDIR)$(PREFIX)/sbin/petrel
	for l in sendmail mailq newaliases; do \
		ln -sf petrel-sendmail $(DESTDIR)$(PREFIX)/sbin/$$l; done
	for m in doc/*.8; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/ || true; done
	[ -f $(DESTDIR)/etc/petrel/petrel.conf ] || \
		sed 's|^#daemon_directory = .*|daemon_directory = $(PREFIX)/sbin|' \
		etc/petrel.conf > $(DESTDIR)/etc/petrel/petrel.conf
	ln -sf petrel-map $(DESTDIR)$(PREFIX)/sbin/petrel-newaliases

clean:
	rm -rf build build-asan build-fuzz
