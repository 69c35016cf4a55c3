# phiproxy — see README.md.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO      ?= go
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/phiproxy
ARGS    ?=
# Corpus generators live under testdata, which ./... skips: name them.
GENERATORS := ./testdata/eval/gen ./testdata/devset/gen ./testdata/holdout/gen
# The packages where goroutines share state run again under the race detector.
RACY := ./pipeline ./proxy ./store ./tui ./certs ./classify/...

.PHONY: build autoconsent run test deps lint bench bench-go bench-proxy eval fuzz clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/phiproxy
	@$(MAKE) --no-print-directory autoconsent

## autoconsent: the consent-banner handler crawl --consent uses, from the npm
## registry (pinned in tools/autoconsent), copied beside the binary with its
## licence. Without npm or a network the build still succeeds; only the
## reject and accept consent states are then unavailable.
AUTOCONSENT := tools/autoconsent/node_modules/@duckduckgo/autoconsent
autoconsent:
	@if [ ! -f $(AUTOCONSENT)/dist/autoconsent.playwright.js ]; then \
	  npm ci --silent --no-audit --no-fund --prefix tools/autoconsent >/dev/null 2>&1 \
	    || echo "note: could not install autoconsent from npm; crawl --consent reject/accept will be unavailable" >&2; \
	fi
	@if [ -f $(AUTOCONSENT)/dist/autoconsent.playwright.js ]; then \
	  mkdir -p bin/autoconsent/dist bin/autoconsent/rules && \
	  cp $(AUTOCONSENT)/dist/autoconsent.playwright.js bin/autoconsent/dist/ && \
	  cp $(AUTOCONSENT)/rules/rules.json bin/autoconsent/rules/ && \
	  cp $(AUTOCONSENT)/LICENSE $(AUTOCONSENT)/package.json bin/autoconsent/; \
	fi

## run: the proxy with its terminal UI on 127.0.0.1:8080, database ./phiproxy.db,
## CA created on first run in ~/.config/phiproxy. Extra flags: make run ARGS="--site example.com"
run: build
	./$(BIN) run $(ARGS)

# Under make, a test whose tool is missing fails instead of skipping
# (internal/testenv): deps has installed every tool, or failed.
export PHIPROXY_REQUIRE_TOOLS := 1
# go test -json piped through tools/testsummary prints go test's usual
# output plus the count of passed, failed and skipped tests; any skip fails.
SUMMARY := bin/testsummary

## test: installs the tools the tests drive (Chromium, Firefox, tshark,
## mitmproxy, ...) when missing, then runs every test against real
## listeners, files and tools. A skipped test fails the target.
test: deps lint
	@mkdir -p bin && $(GO) build -o $(SUMMARY) ./tools/testsummary
	set -o pipefail; $(GO) test -json -count=1 -timeout 14m ./... $(GENERATORS) 2>&1 | $(SUMMARY)
	set -o pipefail; $(GO) test -json -count=1 -race -timeout 10m $(RACY) 2>&1 | $(SUMMARY)

deps:
	./tools/install-test-deps

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./... $(GENERATORS)

## bench: Go benchmarks of every package, then the proxy throughput
## comparison (direct / phiproxy / bare goproxy / mitmdump) on loopback.
bench: bench-go bench-proxy

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

bench-proxy: build deps
	$(GO) build -o bin/bareproxy ./tools/bareproxy
	$(GO) run ./tools/proxybench -phiproxy ./$(BIN) -bareproxy bin/bareproxy

## eval: precision, recall and F1 of classification, per kind and exactly
## matched: testdata/eval with and without the persona (each kind gated at
## 0.95), then testdata/devset (in-sample) and testdata/holdout (blind;
## skipped while absent), both measured, not gated.
eval:
	$(GO) test ./classify -run '^(TestEval|TestEvalNoPersona|TestHoldout)$$' -v -count=1

clean:
	rm -rf bin
