# cxkit - one non-recursive GNU Makefile
#
#   make            build bin/* (runs scripts/deps build first)
#   make check      set up, build, run every test (TAP under prove)
#   make demo       set up, build, run examples/demo.sh
#   make install    PREFIX=/usr/local DESTDIR=
#   SANITIZE=1      ASan + UBSan;  WERROR=1  adds -Werror
.SUFFIXES:

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
PKG_CONFIG ?= pkg-config
ifeq ($(origin CC),default)
CC := cc
endif

PROGS := $(notdir $(wildcard cmd/*))
PKGS  := libcurl jansson libpcre2-8 sqlite3 libcrypto libutf8proc inih opencc \
	libmicrohttpd expat

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || cat VERSION 2>/dev/null || echo 0.1)

CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wno-unused-parameter -fno-common
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

# pkg-config is asked only when building (not for clean/deps).
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
override CPPFLAGS += -D_GNU_SOURCE -Ilibcommon $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lm

# Objects go to build/ (a sanitised build to build-san/), so that
# `make check` and `make check SANITIZE=1` do not mix objects.
B := build$(if $(filter 1,$(SANITIZE)),-san)

LIB_SRC  := $(wildcard libcommon/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
LIB      := $(B)/libcommon.a
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_T   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%.t)
BINS     := $(PROGS:%=bin/%)

.PHONY: all deps check check-unit check-cli demo install uninstall clean \
	lint-man bench fuzz fuzz-build
all: deps $(BINS)

deps:
	@scripts/deps build

$(B)/%.o: %.c $(wildcard libcommon/*.h) $(wildcard cmd/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Only cli.o carries the version, so a new version rebuilds one object.
$(B)/libcommon/cli.o: override CPPFLAGS += -DCX_VERSION=\"$(VERSION)\"

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# One link rule a program.  bin/ always holds the build of the last
# `make` (sanitised or not): the stamp makes a switch relink.
define prog_rule
bin/$(1): $$(patsubst %.c,$(B)/%.o,$$(wildcard cmd/$(1)/*.c)) $(LIB) $(B)/.stamp
	@mkdir -p bin
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIB) $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# Records which build last wrote bin/.
$(B)/.stamp: FORCE
	@mkdir -p $(B)
	@[ "$$(cat bin/.build 2>/dev/null)" = "$(B)" ] || \
		{ mkdir -p bin; echo "$(B)" > bin/.build; touch $@; }
FORCE:

# tests/unit/queue-notify.c compiles the program's files in.
$(B)/tests/unit/queue-notify.o: $(wildcard cmd/queue-notify/*.c)

$(B)/tests/unit/%.t: $(B)/tests/unit/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

check: deps-check $(BINS) $(UNIT_T) fuzz-build
	@scripts/check $(B)

check-unit: deps-check $(UNIT_T)
	@scripts/check $(B) unit

check-cli: deps-check $(BINS)
	@scripts/check $(B) cli

deps-check:
	@scripts/deps check

demo: deps-check $(BINS)
	@sh examples/demo.sh

bench: deps-bench $(BINS)
	@for b in bench/*.sh; do sh "$$b" || exit 1; done
deps-bench:
	@scripts/deps bench

# Fuzz targets (libFuzzer, clang): tests/fuzz/NAME.c linked with every
# libcommon object and the program files it names below.  `make check`
# runs each briefly (tests/fuzz/run.sh); `make fuzz` for FUZZ_TIME s each.
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 120
FUZZ_FLAGS  := -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
FUZZ_SRC    := $(wildcard tests/fuzz/*.c)
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_EXTRA_recv_body := build-fuzz/cmd/msg-recv/body.o
FUZZ_EXTRA_rules := build-fuzz/cmd/keyword-parse/rules.o \
	build-fuzz/cmd/keyword-parse/packs.o
FUZZ_EXTRA_queue_log := build-fuzz/cmd/queue-notify/asterisk.o \
	build-fuzz/cmd/queue-notify/cxkit.o
FUZZ_EXTRA_ticket_json := $(patsubst %.c,build-fuzz/%.o,$(filter-out \
	cmd/ticket-sync/main.c,$(wildcard cmd/ticket-sync/*.c)))
FUZZ_EXTRA_report_input := $(patsubst %.c,build-fuzz/%.o,$(filter-out \
	cmd/cx-report/main.c,$(wildcard cmd/cx-report/*.c)))
FUZZ_LIBOBJ := $(LIB_SRC:%.c=build-fuzz/%.o)

build-fuzz/%.o: %.c $(wildcard libcommon/*.h) $(wildcard cmd/*/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(FUZZ_FLAGS) \
		-fsanitize=fuzzer-no-link -c -o $@ $<

.SECONDEXPANSION:
build-fuzz/%: build-fuzz/tests/fuzz/%.o $(FUZZ_LIBOBJ) $$(FUZZ_EXTRA_$$*)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build: deps-check $(FUZZ_BIN)

fuzz: fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run.sh

lint-man:
	@for m in man/*.[1-9]; do groff -mandoc -Tutf8 -ww -z "$$m" || exit 1; done

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/site-functions \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7
	for p in $(PROGS); do install -m 0644 completions/cxkit.bash \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/$$p; done
	install -m 0644 completions/_cxkit $(DESTDIR)$(DATADIR)/zsh/site-functions
	for p in $(PROGS); do install -m 0644 completions/cxkit.fish \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$$p.fish; done

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p \
		$(DESTDIR)$(MANDIR)/man1/$$p.1 $(DESTDIR)$(MANDIR)/man5/$$p.5 \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/$$p \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/$$p.fish; done
	rm -f $(DESTDIR)$(MANDIR)/man7/cxkit.7 \
		$(DESTDIR)$(DATADIR)/zsh/site-functions/_cxkit

clean:
	rm -rf build build-san build-fuzz bin

.PRECIOUS: $(B)/%.o $(B)/tests/unit/%.o build-fuzz/%.o

# msg-recv's unit test links the program's parsers and signature checks.
MR_UNIT_OBJ = $(B)/cmd/msg-recv/body.o $(B)/cmd/msg-recv/verify.o
$(B)/tests/unit/recv.t: $(B)/tests/unit/recv.o $(MR_UNIT_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS)
