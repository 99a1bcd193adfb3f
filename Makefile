# Belfry build. `make` builds ./belfry; `make check` builds the ASan+UBSan
# variant, the unit tests and the fuzz targets, then runs every test.
#
# Sources are found by wildcard so a module adds files without touching
# this file: every src/*/*.c except src/cli/main.c goes into the library
# the tests link against.

CC      ?= cc
PKGS    := libcrypto sqlite3 libmicrohttpd jansson zlib libzstd liblz4 libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
# The release binary and the benchmarks allocate through mimalloc (Debian's
# libmimalloc-dev, which replaces malloc process-wide): jansson allocates
# every JSON node separately, and glibc's allocator was a fifth of the
# import's CPU. Sanitizer builds keep their own allocator.
REL_LIBS   := -lmimalloc $(PKG_LIBS)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla -Wno-unused-parameter -Wno-format-truncation
BASE    := -std=c11 -D_GNU_SOURCE -g $(WARN) $(PKG_CFLAGS) -Isrc -Isrc/util
CFLAGS_REL  := $(BASE) -O2 -DBELFRY_MIMALLOC
CFLAGS_ASAN := $(BASE) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

SRC      := $(sort $(wildcard src/*/*.c))
LIB_SRC  := $(filter-out src/cli/main.c,$(SRC))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))

# The OCDS core files the importer runs on jv trees are built a second
# time against src/ocds/ocds_jv_compat.h (see there why); their objects
# go under build/*/jv/.
JV_SRC   := $(addprefix src/ocds/,ocds_jcs.c ocds_check.c ocds_check_ext.c ocds_json.c ocds_entry.c \
                                  ocds_merge_text.c ocds_merge_text_write.c ocds_prepare.c)
JV_FLAGS := -DOCDS_JV -include src/ocds/ocds_jv_compat.h
jv_objs   = $(patsubst %.c,build/$(1)/jv/%.o,$(JV_SRC))

REL_OBJ  := $(patsubst %.c,build/rel/%.o,$(SRC)) $(call jv_objs,rel)
REL_LIB  := $(patsubst %.c,build/rel/%.o,$(LIB_SRC)) $(call jv_objs,rel)
ASAN_OBJ := $(patsubst %.c,build/asan/%.o,$(SRC)) $(call jv_objs,asan)
ASAN_LIB := $(patsubst %.c,build/asan/%.o,$(LIB_SRC)) $(call jv_objs,asan)
FUZZ_LIB := $(patsubst %.c,build/fuzzlib/%.o,$(LIB_SRC)) $(call jv_objs,fuzzlib)
TESTS    := $(patsubst tests/unit/%.c,build/asan/tests/%,$(TEST_SRC))
FUZZERS  := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
BENCHES  := $(patsubst bench/%.c,build/rel/bench/%,$(BENCH_SRC))

.PHONY: all asan tests tsan fuzz bench check clean run
all: belfry

belfry: $(REL_OBJ)
	$(CC) $(CFLAGS_REL) -o $@ $^ $(REL_LIBS)

build/rel/jv/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_REL) $(JV_FLAGS) -MMD -MP -c -o $@ $<

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_REL) -MMD -MP -c -o $@ $<

build/asan/jv/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) $(JV_FLAGS) -MMD -MP -c -o $@ $<

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -MMD -MP -c -o $@ $<

build/asan/belfry: $(ASAN_OBJ)
	$(CC) $(CFLAGS_ASAN) -o $@ $^ $(PKG_LIBS)

# Tests, benchmarks and fuzzers link against archives, so each pulls in
# only the modules it uses.
build/asan/libbelfry.a: $(ASAN_LIB)
	rm -f $@ && ar rcs $@ $^

build/rel/libbelfry.a: $(REL_LIB)
	rm -f $@ && ar rcs $@ $^

build/fuzzlib/libbelfry.a: $(FUZZ_LIB)
	rm -f $@ && ar rcs $@ $^

build/asan/tests/%: tests/unit/%.c build/asan/libbelfry.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ASAN) -Itests/unit -o $@ $< build/asan/libbelfry.a $(PKG_LIBS)

build/rel/bench/%: bench/%.c build/rel/libbelfry.a $(wildcard bench/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_REL) -Itests/unit -o $@ $< build/rel/libbelfry.a $(REL_LIBS)

# libFuzzer targets: the library is rebuilt with clang and coverage hooks.
FUZZ_CC     := clang
FUZZ_CFLAGS := $(BASE) -Wno-unknown-warning-option -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
build/fuzzlib/jv/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(JV_FLAGS) -MMD -MP -c -o $@ $<

build/fuzzlib/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

build/fuzz/%: fuzz/%.c build/fuzzlib/libbelfry.a $(wildcard fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE) -Wno-unknown-warning-option -O1 -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzzlib/libbelfry.a $(PKG_LIBS)

# ThreadSanitizer: the unit tests of code that runs on several threads (the
# ledger's sequencer, import workers and publish batches, the WAL
# checkpointer, the search index with its indexer, the witness pool),
# rebuilt with clang -fsanitize=thread (it cannot share a build with ASan).
TSAN_TESTS  := test_ledger_concurrent test_ocds_import test_ocds_publish test_portal_feed test_search \
               test_store_ckpt test_store_pack test_witness_pool
TSAN_CFLAGS := $(BASE) -Wno-unknown-warning-option -O1 -fno-omit-frame-pointer -fsanitize=thread
TSAN_LIB    := $(patsubst %.c,build/tsan/%.o,$(LIB_SRC)) $(call jv_objs,tsan)
build/tsan/jv/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(TSAN_CFLAGS) $(JV_FLAGS) -MMD -MP -c -o $@ $<

build/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(TSAN_CFLAGS) -MMD -MP -c -o $@ $<

build/tsan/libbelfry.a: $(TSAN_LIB)
	rm -f $@ && ar rcs $@ $^

build/tsan/tests/%: tests/unit/%.c build/tsan/libbelfry.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(TSAN_CFLAGS) -Itests/unit -o $@ $< build/tsan/libbelfry.a $(PKG_LIBS)

tsan: $(patsubst %,build/tsan/tests/%,$(TSAN_TESTS))

asan: build/asan/belfry
tests: build/asan/belfry $(TESTS)
fuzz: $(FUZZERS)
bench: belfry $(BENCHES)

check: belfry tests tsan fuzz
	bash tests/run.sh

clean:
	rm -rf build belfry

-include $(shell find build -name '*.d' 2>/dev/null)
