# snowtrack — `make demo` builds and serves the demo; `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:/opt/snowtrack-tools/bin:$(PATH)
export CARGO_TERM_COLOR := never

WASM_PACK := wasm-pack
# The collector the demo and the browser tests talk to.
COLLECTOR_BIN := target/debug/snowtrack-collector

.PHONY: all setup build pkg package demo test fmt-check clippy test-host test-wasm test-e2e size bench clean

all: build

## Installs what is missing (browsers, wasm toolchain); about a second when all is there.
setup:
	@scripts/setup.sh

## The npm packages: pkg/bundler (for bundlers) and pkg/web (plain <script type="module">).
pkg: setup
	$(WASM_PACK) build --release --target bundler --out-dir pkg/bundler --out-name snowtrack
	$(WASM_PACK) build --release --target web --out-dir pkg/web --out-name snowtrack

## The publishable npm package pkg/npm (both builds, load(), the async tag and its loader) and
## its tarball pkg/snowtrack-<version>.tgz.
package: pkg
	@scripts/package.sh

build: pkg
	cargo build -p snowtrack-collector

-include collector/collector.mk

## Builds everything, starts the local collector and serves the demo page.
demo: setup
	@scripts/demo.sh

## Everything: formatting, lints, host tests, browser tests in Chrome and Firefox, end-to-end.
test: setup fmt-check clippy test-host test-wasm test-e2e collector-compat size
	@echo "make test: all suites passed"

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p snowtrack --target wasm32-unknown-unknown --lib -- -D warnings
	cargo clippy -p snowtrack --target wasm32-unknown-unknown --lib --tests --features std -- -D warnings

test-host:
	cargo test --workspace

## wasm-bindgen tests in real headless browsers, against a real collector on 127.0.0.1.
test-wasm:
	@scripts/test-wasm.sh

## Real pages in headless Chromium using the built package, against the real collector.
test-e2e: package
	@scripts/test-e2e.sh

## Release wasm + JS glue, gzipped, against the budget in size-budget.txt.
size: pkg
	@scripts/size.sh

## snowtrack vs @snowplow/browser-tracker in headless Chromium: size, load, µs per call, bursts,
## memory (prints a table, writes bench/results.json; not part of `make test`).
## Options: make bench BENCH_ARGS="--quick" (scripts/bench.sh --help).
bench: pkg
	@scripts/bench.sh $(BENCH_ARGS)

clean:
	cargo clean
	rm -rf pkg www/pkg
