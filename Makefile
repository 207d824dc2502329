# Zokio front door. `make serve` and `make test` do all set-up on a fresh Debian 12 machine.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 8080
CTEST_FLAGS ?= --output-on-failure -j $(JOBS) --timeout 300

.PHONY: all deps release debug asan tsan clang test test-release test-asan test-tsan serve bench fmt fmt-check clean

all: release

deps:
	@scripts/install-deps

release debug asan tsan clang: deps
	@cmake --preset $@ >/dev/null
	@cmake --build --preset $@ -j $(JOBS)

test-release: release
	ctest --test-dir build/release $(CTEST_FLAGS)

test-asan: asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build/asan $(CTEST_FLAGS)

test-tsan: tsan
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build/tsan $(CTEST_FLAGS)

# The whole suite: Release, then ASan+UBSan+LSan, then TSan. Stops at the first failing build.
test: test-release test-asan test-tsan

serve: release
	build/release/examples/echo_server $(HOST):$(PORT)

bench: release
	build/release/bench/zokio_micro_bench --benchmark_min_time=0.2

fmt:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

fmt-check:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror

clean:
	rm -rf build
