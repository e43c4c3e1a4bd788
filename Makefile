# snowtrack — `make demo` builds and serves the demo; `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:/opt/snowtrack-tools/bin:$(PATH)
export CARGO_TERM_COLOR := never

WASM_PACK := wasm-pack
# The collector the demo and the browser tests talk to.
COLLECTOR_BIN := target/debug/snowtrack-collector

.PHONY: all setup build pkg package demo test fmt-check clippy test-host test-wasm test-e2e test-package fuzz-check size bench fuzz clean

all: build

## Installs what is missing (browsers, wasm toolchain); about a second when all is there.
setup:
	@scripts/setup.sh

## The npm packages: pkg/bundler (for bundlers) and pkg/web (plain <script type="module">), the full
## build; pkg/bundler-core and pkg/web-core, the core build (no `full` feature: see "Builds").
pkg: setup
	$(WASM_PACK) build --release --target bundler --out-dir pkg/bundler --out-name snowtrack
	$(WASM_PACK) build --release --target web --out-dir pkg/web --out-name snowtrack
	$(WASM_PACK) build --release --target bundler --out-dir pkg/bundler-core --out-name snowtrack -- --no-default-features
	$(WASM_PACK) build --release --target web --out-dir pkg/web-core --out-name snowtrack -- --no-default-features

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

## Everything: formatting, lints, host tests, browser tests in Chrome, Firefox and WebKit,
## end-to-end, the packages as published, the fuzz targets built, what a page downloads.
test: setup fmt-check clippy test-host test-wasm test-e2e collector-compat size test-package fuzz-check
	@echo "make test: all suites passed"

fmt-check:
	cargo fmt --all -- --check

clippy:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p snowtrack --target wasm32-unknown-unknown --lib -- -D warnings
	cargo clippy -p snowtrack --target wasm32-unknown-unknown --lib --no-default-features -- -D warnings
	cargo clippy -p snowtrack --target wasm32-unknown-unknown --lib --tests --features std -- -D warnings

test-host:
	cargo test --workspace

## wasm-bindgen tests in Chrome, Firefox and WebKit (on Xvfb), against a real collector on 127.0.0.1.
test-wasm:
	@scripts/test-wasm.sh

## Real pages in headless Chromium and in WebKit using the built package, against the real collector.
test-e2e: package
	@scripts/test-e2e.sh

## The packages as they would be published: `npm publish --dry-run` of pkg/npm, `cargo package`
## (file list and verification), and a strict TypeScript app compiling against the tarball with
## the READMEs' examples (tests/types/).
test-package: package
	@scripts/test-package.sh

## The fuzz targets (their own workspace and Cargo.lock under fuzz/) still compile: `cargo check`,
## no fuzzing (that is `make fuzz`).
fuzz-check:
	cargo check --manifest-path fuzz/Cargo.toml --locked --bins

## What a page downloads for tracking, gzip -9 and brotli: the npm path (tests/size-app bundled by
## esbuild --minify) and the async tag with every capability; fails above size-budget.txt.
size: package
	@scripts/size.sh

## snowtrack vs @snowplow/browser-tracker in headless Chromium: size, load, µs per call, bursts,
## memory (prints a table, writes bench/results.json; not part of `make test`).
## Options: make bench BENCH_ARGS="--quick" (scripts/bench.sh --help).
bench: pkg
	@scripts/bench.sh $(BENCH_ARGS)

## libFuzzer on the parsers of outside input (fuzz/: _sp_id, document.cookie, URI decoding; the
## collector's request adapters, enrichment, base64, Iglu URIs), FUZZ_SECONDS each (not part of
## `make test`). Installs cargo-fuzz if missing; its nightly flags are accepted by the stable
## toolchain with RUSTC_BOOTSTRAP=1. Options: FUZZ_TARGETS, FUZZ_SANITIZER (none: safe Rust, 5x
## the speed of address), FUZZ_ARGS (more libFuzzer flags), FUZZ_COLLECTOR_ARGS (the collector
## targets' limits: JSON Schema validation makes a slow input (-timeout, seconds per input) or a
## memory blow-up (-rss_limit_mb) a finding, and bodies get up to -max_len bytes).
FUZZ_SECONDS ?= 25
FUZZ_TARGETS ?= id_cookie document_cookie decode_uri_component \
	collector_request collector_payload_data collector_query collector_content_type \
	collector_base64 collector_iglu collector_enrich
FUZZ_SANITIZER ?= none
FUZZ_ARGS ?=
FUZZ_COLLECTOR_ARGS ?= -timeout=10 -rss_limit_mb=1024 -max_len=8192
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@mkdir -p fuzz/artifacts
	@for target in $(FUZZ_TARGETS); do \
		case $$target in \
			collector_*) dict=fuzz/collector.dict; limits="$(FUZZ_COLLECTOR_ARGS)" ;; \
			*) dict=fuzz/cookie.dict; limits= ;; \
		esac; \
		echo "== fuzz $$target: $(FUZZ_SECONDS) s (log: fuzz/artifacts/$$target.log)"; \
		mkdir -p fuzz/corpus/$$target; \
		if RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer $(FUZZ_SANITIZER) $$target fuzz/corpus/$$target \
			fuzz/seeds/$$target -- -dict=$$dict -max_total_time=$(FUZZ_SECONDS) $$limits \
			-print_final_stats=1 $(FUZZ_ARGS) >fuzz/artifacts/$$target.log 2>&1; then \
			grep -e '^Done' -e 'DONE' -e 'stat::average_exec_per_sec' -e 'stat::peak_rss_mb' \
				fuzz/artifacts/$$target.log; \
		else \
			tail -n 80 fuzz/artifacts/$$target.log; exit 1; \
		fi; \
	done
	@echo "make fuzz: no crash"

clean:
	cargo clean
	rm -rf pkg www/pkg
