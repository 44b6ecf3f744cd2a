# heed's front door: the commands README.md documents. CMake does the building; this file strings
# together set-up (scripts/setup installs missing Debian packages), configuring, building, running.
#
#   make demo                  build the heed command, train a Transformer on grammar-fr (scripts/demo)
#   make test                  build everything, run the whole test suite
#   make test-sanitize         the whole test suite under AddressSanitizer, UBSan and LeakSanitizer,
#                              the training targets at reduced size (tests/targets/test_targets.cpp)
#   make bench                 build, then run every benchmark program (build/bin/bench_*)
#   make fuzz                  build the libFuzzer targets of tests/fuzz/ with clang (ASan, UBSan, in
#                              build-fuzz/), run each for FUZZ_SECONDS (default 60) on a copy of its
#                              seed corpus, one summary line each; fails on any crash, hang, leak or UB
#   make install PREFIX=/opt   install the library, headers and CMake package (default /usr/local)
#   make clean                 remove the build directories

BUILD := build
SANITIZE_BUILD := build-sanitize
FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := safetensors tsv vocab model_config tokenizers sentencepiece_model
PREFIX ?= /usr/local
JOBS := $(shell nproc)
# Quieter output from the make that `cmake --build` runs.
MAKEFLAGS += --no-print-directory

# CI services set CI=true; there compiler warnings are errors.
ifeq ($(CI),true)
  CONFIGURE_FLAGS += -DHEED_WERROR=ON
endif

SANITIZER_OPTIONS := ASAN_OPTIONS=detect_leaks=1 \
                     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: setup demo test test-sanitize bench fuzz install clean
.DELETE_ON_ERROR:  # a failed configure leaves no CMakeCache.txt behind, so the next make retries

setup:
	@scripts/setup

# Configure once. After that, building re-runs CMake by itself when a CMakeLists.txt changes or a
# source file appears, so there is nothing to redo here.
$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CONFIGURE_FLAGS)

$(SANITIZE_BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEED_SANITIZE=ON \
	  -DHEED_BUILD_BENCH=OFF $(CONFIGURE_FLAGS)

# libFuzzer comes with clang; the fuzz targets only, no tests or benchmarks.
$(FUZZ_BUILD)/CMakeCache.txt: | setup
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEED_FUZZ=ON \
	  -DHEED_BUILD_TESTS=OFF -DHEED_BUILD_BENCH=OFF $(CONFIGURE_FLAGS)

demo: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) --target heed_cli -j $(JOBS)
	scripts/demo $(BUILD)

test: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-sanitize: $(SANITIZE_BUILD)/CMakeCache.txt
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
	$(SANITIZER_OPTIONS) ctest --test-dir $(SANITIZE_BUILD) --output-on-failure -j $(JOBS)

bench: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)
	@found=no; for program in $(BUILD)/bin/bench_*; do \
	  [ -x "$$program" ] || continue; found=yes; echo "== $$program"; "$$program" || exit 1; \
	done; [ $$found = yes ] || echo "make bench: no benchmark programs in $(BUILD)/bin (bench/*.cpp)"

fuzz: $(FUZZ_BUILD)/CMakeCache.txt
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

install: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) --target heed -j $(JOBS)
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
