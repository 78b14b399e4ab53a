# Makefile: the two commands a user types (make demo, make test) and the rest; CMake builds underneath.
BUILD      ?= build
BUILD_SAN  ?= build-san
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
export FACEKIT_MODELS ?= $(CURDIR)/models/face-api

.PHONY: all deps models build build-san build-fuzz test test-fast test-san test-python demo install python eval bench peak train-demo fuzz fuzz-replay clean help

all: build

help:
	@echo "make demo      install what is missing, fetch models, build, run the demo on the sample photos"
	@echo "make test      the whole suite: normal build, then again under ASan+UBSan"
	@echo "make models    fetch the pinned models (npm pack, sha256-checked) into models/face-api"
	@echo "make install PREFIX=DIR   libraries, headers, facekit.pc, CLI, models and the facekit Python package"
	@echo "               (FACE_RECOGNITION_COMPAT=1: also the face_recognition compatibility package and its commands)"
	@echo "make python    build libfacekit in place and print how to use python/ from this clone"
	@echo "make eval      accuracy on ../shared/data (LFW pairs)"
	@echo "make bench     speed of every stage"
	@echo "make train-demo  the training recipes on LFW View 1 (docs/TRAINING.md; about 2 hours on 2 cores)"
	@echo "make fuzz      build and run the fuzzers for a short while (clang; FUZZ_SECONDS=60 each)"
	@echo "make fuzz-replay  every fuzz seed once under clang's ASan+UBSan (part of make test)"

deps:
	@scripts/deps.sh

models: deps
	@models/fetch.sh "$(FACEKIT_MODELS)"

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD_SAN)/CMakeCache.txt:
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFK_SANITIZE=ON $(CMAKE_ARGS)

build-san: deps $(BUILD_SAN)/CMakeCache.txt
	cmake --build $(BUILD_SAN) -j $(JOBS)

# The whole suite: the optimised build first, then the same tests under the sanitizers.
# FK_REQUIRE_DATA=1 (as .ci/run sets it) makes every test that would skip for want of ../shared
# or the models fail instead; without it such tests print SKIP and ctest counts them as skipped.
# Then every fuzz seed through clang's sanitizers as well (gcc's build replays them too, in ctest).
test: models build build-san
	scripts/ctest.sh $(BUILD) --output-on-failure -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  scripts/ctest.sh $(BUILD_SAN) --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory fuzz-replay
	@echo "make test: all tests passed (release and ASan+UBSan builds, fuzz seeds under clang's sanitizers)"

test-fast: models build
	scripts/ctest.sh $(BUILD) --output-on-failure -j $(JOBS)

demo: models build
	$(BUILD)/facekit demo --out demo-out

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)
	python/install.sh "$(PREFIX)" "$(FACE_RECOGNITION_COMPAT)"

# The Python packages from the clone: python/facekit finds $(BUILD)/libfacekit.so by itself when
# BUILD is build/ (else through FACEKIT_LIB); the import checks its structs against the library.
python: build
	@FACEKIT_LIB=$(abspath $(BUILD))/libfacekit.so PYTHONPATH=$(CURDIR)/python /usr/bin/python3 -c \
	  'import facekit; print("facekit for Python, on", facekit.library_path)'
	@echo "export PYTHONPATH=$(CURDIR)/python    # import facekit"
	@echo "export PYTHONPATH=$(CURDIR)/python:$(CURDIR)/python/face_recognition_compat    # and import face_recognition"
	@$(if $(filter build,$(BUILD)),:,echo "export FACEKIT_LIB=$(abspath $(BUILD))/libfacekit.so")

# The Python tests alone (make test runs them too: tests/python/test_python.sh is a ctest test).
test-python: models build
	scripts/ctest.sh $(BUILD) --output-on-failure -L python

eval: models build
	scripts/eval.sh $(BUILD)

train-demo: models build
	scripts/train_demo.sh $(BUILD)

peak: build
	$(BUILD)/bench/bench_peak

bench: models build
	$(BUILD)/bench/bench_peak
	$(BUILD)/bench/bench_conv
	$(BUILD)/bench/bench_stages --threads 1 $(if $(BENCH_OUT),--json $(BENCH_OUT))
	$(BUILD)/bench/bench_stages --threads 2 $(if $(BENCH_OUT),--json $(basename $(BENCH_OUT)).2threads.json)
	OMP_NUM_THREADS=1 $(BUILD)/bench/bench_index $(if $(BENCH_OUT),--json $(basename $(BENCH_OUT)).index.json)
	$(BUILD)/bench/bench_tfgraph --peak auto --dir $(or $(FACEKIT_HUMAN_MODELS),models/human)
	$(if $(BENCH_DLIB),$(BUILD)/bench/bench_stages --threads 1 --runs 3 --json $(BUILD)/bench-1thread.json >/dev/null && scripts/bench_dlib.sh $(BUILD)/bench-1thread.json)

build-fuzz:
	FK_WITH_CLANG=1 scripts/deps.sh
	CC=clang cmake -S . -B build-fuzz -DFK_FUZZ=ON -DFK_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS)

fuzz: build-fuzz
	FUZZ_SECONDS="$(or $(FUZZ_SECONDS),60)" scripts/fuzz.sh build-fuzz

# Every seed once through the clang fuzzers: clang's UBSan catches what gcc's does not (arithmetic
# on a NULL pointer, for one), and each one stops the run.
fuzz-replay: build-fuzz
	FUZZ_SECONDS=0 scripts/fuzz.sh build-fuzz

clean:
	rm -rf $(BUILD) $(BUILD_SAN) build-fuzz demo-out
