# snowtrack-collector — included by the root Makefile (`include collector/collector.mk`).
#
#   make collector-build    build the collector (debug, like the root Makefile's COLLECTOR_BIN)
#   make collector-test     its Rust unit and integration tests
#   make collector-compat   events from Snowplow's own trackers (@snowplow/node-tracker, and
#                           @snowplow/browser-tracker in headless Chromium) must all be good;
#                           the sessions page (/micro/ui/sessions) renders in headless Chromium
#   make collector-bench    ingestion benchmark (events/s), release build, 127.0.0.1 only
#
# Every variable here is prefixed COLLECTOR_; COLLECTOR_BIN may be set by the includer.

COLLECTOR_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
COLLECTOR_BIN ?= target/debug/snowtrack-collector
COLLECTOR_COMPAT_DIR := $(COLLECTOR_DIR)/compat
# npm writes this file on every install, so it is newer than the lock file when node_modules is current.
COLLECTOR_COMPAT_STAMP := $(COLLECTOR_COMPAT_DIR)/node_modules/.package-lock.json
COLLECTOR_NPM ?= npm
COLLECTOR_BENCH_EVENTS ?= 20000
COLLECTOR_BENCH_CONNECTIONS ?= 4

.PHONY: collector-build collector-test collector-compat collector-bench

collector-build:
	cargo build -p snowtrack-collector

collector-test:
	cargo test -p snowtrack-collector

$(COLLECTOR_COMPAT_STAMP): $(COLLECTOR_COMPAT_DIR)/package.json $(COLLECTOR_COMPAT_DIR)/package-lock.json
	cd $(COLLECTOR_COMPAT_DIR) && CI=true $(COLLECTOR_NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

collector-compat: collector-build $(COLLECTOR_COMPAT_STAMP)
	cd $(COLLECTOR_COMPAT_DIR) && COLLECTOR_BIN="$(abspath $(COLLECTOR_BIN))" $(COLLECTOR_NPM) test

collector-bench:
	cargo build --release -p snowtrack-collector --bins --examples
	COLLECTOR_BIN="$(abspath target/release/snowtrack-collector)" target/release/examples/ingest_bench \
		--events $(COLLECTOR_BENCH_EVENTS) --connections $(COLLECTOR_BENCH_CONNECTIONS)
