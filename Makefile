# hookspool: build, test, run, install.
#
#   make            build build/hookspool-handler and build/hookspool-drain
#   make test       install what is missing, start MinIO and versitygw, run every test
#   make asan       the same suite with AddressSanitizer + UBSan (build-asan/)
#   make valgrind   the unit tests under valgrind (with MinIO and versitygw for the S3 cases)
#   make fuzz       build and run each libFuzzer target for FUZZ_SECONDS
#   make bench      the load benchmarks in bench/
#   make lint       -Werror builds with gcc and clang
#   make run        lighttpd + handler + drain on 127.0.0.1:8080, file:// store
#   make install    PREFIX=/usr/local (DESTDIR honoured)

# Recipes use bash (PIPESTATUS in the fuzz loop).
SHELL := /bin/bash
CC ?= cc
BUILD ?= build
PREFIX ?= /usr/local
# CI may run without HOME; the tools are cached in the user's home either way.
HOME ?= $(shell getent passwd "$$(id -u)" | cut -d: -f6)
export HOME
HOOKSPOOL_CACHE ?= $(HOME)/.cache/hookspool
FUZZ_SECONDS ?= 30
export HOOKSPOOL_CACHE

PKGS = fcgi jansson libcurl libcrypto libxml-2.0
# -std=c11 with POSIX: clock_gettime, fsync, strndup and friends.
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib
# Each warning catches a class of bug seen in C servers: format strings from
# input (-Wformat=2), shadowed locals in long functions (-Wshadow), old-style
# declarations that skip type checks (-Wstrict-prototypes,
# -Wmissing-prototypes), writes to literals (-Wwrite-strings), stack size
# from input (-Wvla).
WARN = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wwrite-strings -Wvla
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 $(WARN) -fstack-protector-strong -pthread
ifeq ($(findstring -O0,$(CFLAGS))$(findstring sanitize,$(CFLAGS)),)
CPPFLAGS += -D_FORTIFY_SOURCE=2
endif
ifdef CI
CFLAGS += -Werror
endif
WERROR ?=
CFLAGS += $(WERROR)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
LDLIBS = $(PKG_LIBS) -ls3 -pthread

LIB_SRC = $(sort $(wildcard lib/*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Helpers the unit tests share (tests/unit/*.c that are not test_*.c).
UNIT_SUPPORT_SRC = $(filter-out $(UNIT_SRC),$(sort $(wildcard tests/unit/*.c)))
UNIT_SUPPORT_OBJ = $(UNIT_SUPPORT_SRC:%.c=$(BUILD)/%.o)
HELPER_SRC = $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN = $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)
# test_hmac_failure once more, over digest.c and the sig modules built with -DNDEBUG: a
# failed HMAC must be refused without the help of an assert.
NDEBUG_SRC = lib/digest.c $(sort $(wildcard lib/sig*.c))
NDEBUG_OBJ = $(NDEBUG_SRC:lib/%.c=$(BUILD)/ndebug/%.o)
UNIT_BIN += $(BUILD)/tests/test_hmac_failure_ndebug
PROGRAMS = $(BUILD)/hookspool-handler $(BUILD)/hookspool-drain

.PHONY: all test asan valgrind fuzz fuzz-build fuzz-lib bench format lint install clean run deps
all: $(PROGRAMS) $(UNIT_BIN) $(HELPER_BIN)

# Objects of tests and helpers are kept, so a rebuild relinks only what changed.
.SECONDARY:

# V=1 shows the full commands.
Q = $(if $(V),,@)

$(BUILD)/%.o: %.c $(wildcard lib/*.h tests/unit/*.h) Makefile
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libhookspool.a: $(LIB_OBJ)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/hookspool-handler: $(BUILD)/handler/main.o $(BUILD)/libhookspool.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/hookspool-drain: $(BUILD)/drain/main.o $(BUILD)/libhookspool.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ndebug/%.o: lib/%.c $(wildcard lib/*.h) Makefile
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $< (NDEBUG)")
	$(Q)$(CC) $(CPPFLAGS) -DNDEBUG $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

# The objects before the library: the linker then takes no digest.o or sig*.o from it.
$(BUILD)/tests/test_hmac_failure_ndebug: $(BUILD)/tests/unit/test_hmac_failure.o $(NDEBUG_OBJ) \
    $(UNIT_SUPPORT_OBJ) $(BUILD)/libhookspool.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(UNIT_SUPPORT_OBJ) $(BUILD)/libhookspool.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(BUILD)/libhookspool.a
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@infra/deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run

asan:
	@infra/deps.sh
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	    CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    LDFLAGS="-fsanitize=address,undefined" all
	@BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run

valgrind: all
	@BUILD=$(BUILD) TESTS=test_ UNIT_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite" tests/run

FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined

# The library is built once with coverage instrumentation; each target links what it uses.
fuzz-lib:
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz/obj CC=clang CFLAGS="$(FUZZ_FLAGS)" \
	    build-fuzz/obj/libhookspool.a

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c fuzz-lib
	@$(if $(V),,echo "  FUZZ    $@")
	$(Q)clang $(CPPFLAGS) $(PKG_CFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
	    -o $@ $< build-fuzz/obj/libhookspool.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	    name=$$(basename $$f); mkdir -p build-fuzz/corpus/$$name; \
	    echo "$$name: $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build-fuzz/corpus/$$name \
	        tests/fuzz/seeds/$$name 2>&1 | grep -E '^(Done|==|SUMMARY)' ; \
	    [ $${PIPESTATUS[0]} -eq 0 ] || exit 1; done

bench: all
	@bench/run

format:
	clang-format -i lib/*.[ch] handler/*.c drain/*.c tests/unit/*.c tests/helpers/*.c tests/fuzz/*.c

# Every warning an error, under both compilers (they catch different things).
lint:
	@$(MAKE) --no-print-directory BUILD=build-lint WERROR=-Werror all
	@$(MAKE) --no-print-directory BUILD=build-lint-clang CC=clang WERROR=-Werror all

install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/

# A fresh machine has neither the build's libraries nor lighttpd: install
# those first (packages only, no MinIO), then build, then run.
run:
	@infra/deps.sh --packages
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) infra/run.sh

clean:
	rm -rf build build-asan build-fuzz build-lint build-lint-clang
