# Zokio front door. `make serve` and `make test` do all set-up on a fresh Debian 12 machine.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 8080
CTEST_FLAGS ?= --output-on-failure -j $(JOBS) --timeout 300

.PHONY: all deps release debug asan tsan compilers test test-release test-asan test-tsan test-loaded serve soak bench bench-instr bench-micro fuzz conformance fmt fmt-check clean

all: release

deps:
	@scripts/install-deps

release debug asan tsan: deps
	@cmake --preset $@ >/dev/null
	@cmake --build --preset $@ -j $(JOBS)

# The other supported compilers (g++ 12 under ASan, clang 14), each at -O2, warning-free, with
# the user-pattern programs run (tests/user_patterns/run-compilers). clang 16, the default,
# builds everything else.
compilers: deps
	tests/user_patterns/run-compilers g++ clang++-14

test-release: release
	ctest --test-dir build/release $(CTEST_FLAGS)

test-asan: asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build/asan $(CTEST_FLAGS)

test-tsan: tsan
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build/tsan $(CTEST_FLAGS)

# The whole suite: Release, then ASan+UBSan+LSan, then TSan. Stops at the first failing build.
test: test-release test-asan test-tsan

# The Release suite LOADED_RUNS times in a row while CPU burners keep every core busy: what a
# shared CI machine does to timing. Not in .ci/run (about 3 x the suite's time); run it before
# resolving an issue that touches timing.
LOADED_RUNS ?= 3
test-loaded: release
	scripts/test-loaded $(LOADED_RUNS)

# zokio-server with its embedded default site and demo routes. Ctrl-C drains and exits.
serve: release
	build/release/apps/zokio-server/zokio-server --host $(HOST) --port $(PORT)

# The soak test alone, longer than the 60 s it gets in `make test`.
SOAK_SECONDS ?= 600
soak: release
	python3 tests/server/soak_test.py build/release/apps/zokio-server/zokio-server --seconds $(SOAK_SECONDS)

# Zokio against nginx, h2o, Node.js, Go, hyper and a C epoll ceiling: writes
# docs/benchmark-report.md (+ .png chart, + -results.json). QUICK=1: under 3 minutes.
# MODE=shared: 2 workers sharing the cores. LOADGEN=wrk|zokio-bench (default: zokio-bench).
BENCH_OUT ?= docs/benchmark-report.md
MODE ?= pinned
bench: release
	@scripts/install-deps bench
	@bench/peers/build.sh
	/usr/bin/python3 bench/compare/run.py $(if $(filter 1,$(QUICK)),--quick) --mode $(MODE) \
	  $(if $(LOADGEN),--loadgen $(LOADGEN)) --out $(BENCH_OUT)

# Instructions per request under callgrind (user space only), merged into the same report.
bench-instr: release
	@scripts/install-deps bench
	@bench/peers/build.sh
	/usr/bin/python3 bench/compare/run.py --instructions --out $(BENCH_OUT)

# Micro benchmarks as recorded in docs/benchmarks.md.
BENCH_FLAGS ?= --benchmark_min_time=0.5 --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
bench-micro: release
	@for io in uring epoll; do echo "== ZOKIO_IO=$$io"; \
	  ZOKIO_IO=$$io build/release/bench/zokio_micro_bench $(BENCH_FLAGS); done
	build/release/bench/zokio_http_parser_bench $(BENCH_FLAGS)

# libFuzzer harnesses of the HTTP parser, FUZZ_SECONDS each, on a copy of the committed corpus
# (build/fuzz/corpus-work/, which keeps what earlier runs found). Fails if any harness crashes.
FUZZ_SECONDS ?= 30
FUZZ_HARNESSES := request_parser response_parser chunked_decoder proxy_header
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@set -e; for h in $(FUZZ_HARNESSES); do \
	  work=build/fuzz/corpus-work/$$h; log=build/fuzz/$$h.log; \
	  mkdir -p $$work build/fuzz/artifacts; cp -R tests/fuzz/corpus/$$h/. $$work/; \
	  echo "fuzz: $$h for $(FUZZ_SECONDS)s (log: $$log)"; \
	  if build/fuzz/tests/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -dict=tests/fuzz/http.dict \
	      -artifact_prefix=build/fuzz/artifacts/$$h- -print_final_stats=1 $$work >$$log 2>&1; then \
	    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' $$log; \
	  else \
	    tail -n 60 $$log; echo "fuzz: $$h failed; the input is in build/fuzz/artifacts/"; exit 1; \
	  fi; \
	done

# Differential test of the HTTP parser against h11 and Node's llhttp (docs/http-conformance.md).
conformance: release
	bash tests/conformance/run.sh

fmt:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

fmt-check:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror

clean:
	rm -rf build
