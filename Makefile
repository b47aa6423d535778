# The two commands of the README, and a few more for developers.
#   make demo   install what is missing, build, write the demo program and run the main job on it
#   make test   install what is missing, build with sanitizers, run every test (what CI runs)
SHELL := /bin/bash
JOBS ?= $(shell nproc)
DEMO_DIR ?= demo-program
GTOPS := ./build/release/gtops

.PHONY: all deps build demo test dev bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

demo: build
	$(GTOPS) demo $(DEMO_DIR) --no-ingest
	$(GTOPS) run $(DEMO_DIR)

test: deps
	@cmake --preset ci >/dev/null
	@cmake --build --preset ci -j $(JOBS)
	@ctest --preset ci

dev: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)
	@ctest --preset dev

bench: build
	@bench/run-benchmarks

clean:
	rm -rf build $(DEMO_DIR)
