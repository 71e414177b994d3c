# SPDX-License-Identifier: MIT
# The front door. `make run` and `make test` install what is missing, build, and go.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
LMX := $(BUILD)/bin/lmx

.PHONY: all deps configure build run test test-asan bench format cuda clean

all: build

deps:
	@scripts/install_deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: deps configure
	cmake --build $(BUILD) -j $(JOBS) --target lmx_cli
	$(LMX) generate --prompt "In the beginning" --max-tokens 64 --temp 0.7 --seed 1

test: deps build
	python3 scripts/check_layers.py
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# The core and tokenizer tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLMX_SANITIZE=ON -DLMX_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target lmx_core_tests lmx_backend_tests
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -R '^(core|backend)\.'

bench: deps build
	scripts/run_bench.sh $(BUILD)

# The CUDA backend (needs /usr/local/cuda); see docs/cuda.md.
cuda: deps
	cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DLMX_CUDA=ON $(CMAKE_FLAGS)
	cmake --build build-cuda -j $(JOBS)

format:
	git ls-files '*.h' '*.cpp' '*.cu' '*.cuh' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-cuda
