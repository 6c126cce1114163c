# The two commands a user needs:
#   make run    install what is missing, build, start chatd on 127.0.0.1:7000
#   make test   install what is missing, build, run every test
# Everything else here is a step of those two.

JOBS        ?= $(shell nproc)
BUILD       ?= build
CMAKE_FLAGS ?=
ARGS        ?=
FUZZ_SECONDS ?= 30

.PHONY: all deps test-deps build run test unit asan tsan fuzz format tidy clean bench monitor

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

# The programs only (the tests build with `make test`).
build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target chatd chat chatbench

run: build
	exec $(BUILD)/chatd $(ARGS)

# Unit and integration tests on the optimised build.
unit: test-deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan: test-deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHATD_SANITIZE=address
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) --timeout 900

# The multi-threaded tests (chatd with several loops) under ThreadSanitizer.
tsan: test-deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCHATD_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && ctest --output-on-failure -j $(JOBS) --timeout 900 -R 'Threads|EventLoop|Mailbox'

# Every decoder fuzzed for FUZZ_SECONDS each, starting from fuzz/corpus/.
fuzz: test-deps
	CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHATD_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS)
	scripts/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS)

test: unit asan tsan fuzz
	@echo "make test: all suites passed"

# chatd, Redis, Mosquitto and NATS side by side with chatbench (installs what
# is missing, at most 20 minutes); regenerates docs/benchmarks.md and its charts.
bench: test-deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target chatd chatbench
	scripts/bench-compare.sh --build $(BUILD) --standard --doc docs/benchmarks.md

# chatd and a real Prometheus (Debian's) scraping it on loopback, with the
# alert rules loaded; prints where to look and runs until Ctrl-C. Chat port
# 7000, metrics 7001, Prometheus 9090 (CHAT_PORT, HTTP_PORT, PROM_PORT).
monitor: test-deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target chatd
	scripts/monitor.sh --build $(BUILD) -- $(ARGS)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

tidy: build
	run-clang-tidy -p $(BUILD) -quiet 'src/|apps/'

clean:
	rm -rf build build-asan build-tsan build-fuzz
