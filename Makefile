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
#   make fuzz-long  every target for FUZZ_SECONDS (600) each, FUZZ_JOBS at a
#                   time, then runs/CPU time/crashes per target (t/fuzz/long.sh)
#   make valgrind-unit  the unit tests under valgrind (t/valgrind_unit.sh)
#   make lint       cppcheck and clang-tidy over the tree (t/lint.sh)
#   make fuzz-seeds add seeds from the test suites to t/fuzz/corpus/ (seeds.py)
#   make bench      benchmarks; they print figures and never fail on speed
# CC=clang works as well as the default gcc; both build with -Werror.
#
# Where code lives: common/ (libpetrel.a) holds what two or more programs
# link, or what a planned second user will (its header says which); code
# only one program uses lives beside that program (pop3d/, smtpd/, queue/).
#
# Tests link libpetrel.  A test of code that lives beside a daemon names
# the sources it links in one variable, for unit tests and fuzz targets
# alike (see "Tests link" below):
#   LINK_test_<name> := dir/file.c ...   for t/unit/test_<name>.c
#   LINK_fuzz_<name> := dir/file.c ...   for t/fuzz/fuzz_<name>.c
# make links their objects into the unit test; t/fuzz/run.sh asks
# `make -s links-fuzz_<name>` for the list and compiles those sources for
# the fuzzer.  A test includes the daemon's header by path
# ("../../pop3d/pop3_parse.h") and never #includes a .c file.

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
LDLIBS = -ldb -lcrypt -lssl -lcrypto -lresolv -lseccomp

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
LIB := $(B)/libpetrel.a

# program name -> sources
SRC_petrel-smtpd  := $(wildcard smtpd/*.c)
SRC_petrel-pop3d  := $(wildcard pop3d/*.c)
SRC_petrel-inject := $(wildcard queue/inject_*.c)
SRC_petrel-qmgr   := $(wildcard queue/qmgr_*.c)
SRC_petrel-smtp   := $(wildcard queue/smtp_*.c) queue/dns.c queue/mime7.c
SRC_petrel-sendmail := $(wildcard queue/sendmail_*.c)
SRC_petrel-postdrop := $(wildcard queue/postdrop_*.c)
SRC_petrel-qtool  := $(wildcard queue/qtool_*.c)
SRC_petrel-config := $(wildcard queue/config_tool*.c)
SRC_petrel-local  := $(wildcard local/local_*.c)
SRC_petrel-map    := $(wildcard local/map_tool*.c)
SRC_petrel-user   := $(wildcard local/user_tool*.c)
SRC_petrel-auth   := $(wildcard local/auth_*.c)
SRC_petrel-imapd  := $(wildcard imapd/*.c)
SRC_petrel-master := $(wildcard queue/master_*.c)
PROGS := $(foreach p,petrel-auth petrel-smtpd petrel-pop3d petrel-inject petrel-qmgr petrel-smtp \
	petrel-sendmail petrel-postdrop petrel-qtool \
	petrel-config petrel-local petrel-map petrel-user petrel-imapd petrel-master,$(if $(SRC_$(p)),$(p)))
BINS := $(PROGS:%=$(B)/bin/%)

UNIT_SRC := $(wildcard t/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:t/unit/%.c=$(B)/t/%)
TOOL_SRC := $(wildcard t/lib/*.c)
TOOL_BINS := $(TOOL_SRC:t/lib/%.c=$(B)/t/%)

.PHONY: all test run install asan fuzz fuzz-long fuzz-seeds valgrind-unit lint bench clean deps check-deps
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

# Tests link libpetrel, plus the daemon sources named in LINK_<test> (see
# the header): test_<name> for t/unit/test_<name>.c, fuzz_<name> for
# t/fuzz/fuzz_<name>.c.
LINK_test_inject := queue/inject_session.c
LINK_test_dns := queue/dns.c
LINK_test_mime7 := queue/mime7.c
LINK_fuzz_mime7 := queue/mime7.c
LINK_test_smtp_reply := queue/smtp_reply.c
LINK_fuzz_smtp_reply := queue/smtp_reply.c
LINK_fuzz_postdrop_addr := queue/postdrop_addr.c
LINK_test_smtp_data := smtpd/smtp_data.c
LINK_fuzz_smtp_data := smtpd/smtp_data.c
LINK_test_smtpd_esmtp := smtpd/esmtp.c smtpd/chunk.c
LINK_test_dnsbl_sites := smtpd/dnsbl_sites.c
LINK_fuzz_dnsbl_sites := smtpd/dnsbl_sites.c
LINK_fuzz_smtpd_esmtp := smtpd/esmtp.c smtpd/chunk.c
LINK_test_pop3_parse := pop3d/pop3_parse.c
LINK_fuzz_pop3_parse := pop3d/pop3_parse.c pop3d/pop3_mailbox.c
LINK_fuzz_pop3_sasl := pop3d/pop3_parse.c
LINK_test_pop3_mailbox := pop3d/pop3_mailbox.c
link_objs = $(patsubst %.c,$(B)/%.o,$(LINK_$(1)))
LINK_test_auth_cookie := local/auth_cookie.c
LINK_test_auth_penalty := local/auth_penalty.c
# imapd's pure parsers (no session, no I/O): their tests link these sources.
IMAP_PARSE_SRC := $(patsubst %,imapd/%.c,imap_pool imap_num imap_frame \
	imap_parse imap_seqset imap_flags imap_date imap_mutf7 imap_mailbox \
	imap_fetch_args imap_search_args imap_mbox_args imap_msg_args)
$(foreach t,test_imap_parse test_imap_seqset test_imap_date test_imap_mutf7 \
	test_imap_fetch_args test_imap_search_args test_imap_msg_args \
	fuzz_imap_parse fuzz_imap_seqset,$(eval LINK_$(t) := $(IMAP_PARSE_SRC)))
# The IMAP mail store (imapd/mstore*.c) for its tests and tools.
MSTORE_SRC := $(wildcard imapd/mstore*.c) imapd/imap_mutf7.c imapd/imap_num.c
LINK_test_mstore := $(MSTORE_SRC)
LINK_test_mstore_conc := $(MSTORE_SRC)
LINK_fuzz_mstore_index := $(MSTORE_SRC)
LINK_test_mstore_subs := $(MSTORE_SRC)
LINK_test_mstore_full := $(MSTORE_SRC)
$(B)/t/mstore_tool: $(B)/t/lib/mstore_tool.o $(MSTORE_SRC:%.c=$(B)/%.o) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS)
# IMAP ENVELOPE/BODY/BODYSTRUCTURE writers, checked against Dovecot goldens.
LINK_test_imap_structure := $(IMAP_PARSE_SRC) imapd/imap_string.c \
	imapd/imap_envelope.c imapd/imap_bodystructure.c
LINK_fuzz_imap_structure := $(LINK_test_imap_structure)
LINK_fuzz_imap_mutf7 := imapd/imap_mutf7.c imapd/imap_num.c
LINK_fuzz_imap_date := imapd/imap_date.c imapd/imap_num.c

.SECONDEXPANSION:
$(B)/t/test_%: $(B)/t/unit/test_%.o $$(call link_objs,test_$$*) $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS)

# The sources a test or fuzz target links (for t/fuzz/run.sh).
links-%:
	@echo $(LINK_$*)

$(B)/t/%: $(B)/t/lib/%.o $(LIB)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS)

deps:
	@sh t/deps.sh

test: deps all
	@B=$(B) bash t/run.sh

asan:
	$(MAKE) B=build-asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" CFLAGS="-O1 -g"

run: deps all
	@B=$(B) sh etc/petrel-run

fuzz: deps
	@sh t/fuzz/run.sh

fuzz-long: deps
	@sh t/fuzz/long.sh

valgrind-unit: deps all
	@B=$(B) bash t/valgrind_unit.sh

lint: deps
	@sh t/lint.sh

# Seed corpora from the unit tests, Expect scripts and t/unit/data.
fuzz-seeds:
	@python3 t/fuzz/seeds.py

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
