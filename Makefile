# A thin wrapper over CMake.  The two commands of README.md:
#   make demo   set up everything and run pogo on an embedded example
#   make test   set up everything and run the whole test suite
# Other targets: deps, build, build-asan, build-fuzz, bench, clean.

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TP := $(CURDIR)/build/third_party

.PHONY: all deps configure build build-pogo build-asan build-fuzz demo test bench clean

all: build

deps:
	@sh third_party/deps.sh "$(TP)"

# Configure logs go into each build directory, never the source tree.
configure: deps
	@mkdir -p build
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DPOGO_WERROR=ON -DPOGO_THIRD_PARTY="$(TP)" >build/cmake.log || \
	    { cat build/cmake.log; exit 1; }

build: configure
	@cmake --build build -j $(JOBS)

# The demo needs only the binary; its build output (with the linker's
# notes on glibc's static getpwuid and getaddrinfo) goes to a log that is
# shown only if the build fails.
build-pogo: configure
	@echo "demo: building build/pogo (log: build/build-pogo.log)"
	@cmake --build build -j $(JOBS) --target pogo \
	    >build/build-pogo.log 2>&1 || \
	    { cat build/build-pogo.log; exit 1; }

build-asan: deps
	@mkdir -p build-asan
	@CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
	    -DPOGO_WERROR=ON -DPOGO_ASAN=ON -DPOGO_UBSAN=ON \
	    -DPOGO_THIRD_PARTY="$(TP)" >build-asan/cmake.log || \
	    { cat build-asan/cmake.log; exit 1; }
	@cmake --build build-asan -j $(JOBS)

build-fuzz: deps
	@mkdir -p build-fuzz
	@CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DPOGO_WERROR=ON -DPOGO_FUZZ=ON \
	    -DPOGO_THIRD_PARTY="$(TP)" >build-fuzz/cmake.log || \
	    { cat build-fuzz/cmake.log; exit 1; }
	@cmake --build build-fuzz -j $(JOBS) --target fuzz-range \
	    fuzz-sched-config fuzz-output fuzz-prompt fuzz-target fuzz-resolver \
	    fuzz-wire fuzz-cfg fuzz-http fuzz-control fuzz-box fuzz-tls \
	    fuzz-client

demo: build-pogo
	@sh examples/demo.sh build/pogo

test:
	@sh test/run-all.sh

bench: build
	@sh test/bench/sched.sh build/bench-sched

clean:
	rm -rf build build-asan build-fuzz
