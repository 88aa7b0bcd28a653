# boundary-client-agent. Run as root on Debian 12:
#   make demo   - build, then show the agent working in a private network namespace
#   make test   - build, then run every unit and integration test
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
RELEASE_BIN := .build/release
DEBUG_BIN := .build/debug
export SWIFT_BACKTRACE ?= enable=no

.PHONY: all deps build build-debug test unit-test integration-test demo format format-check clean completions man \
	fuzz fuzz-build

all: build

deps:
	@scripts/deps.sh

# Release binaries (demo, install, benchmark).
build: deps
	$(SWIFT) build -c release

build-debug: deps
	$(SWIFT) build --build-tests

# Every test: unit tests (swift test), then the integration tests that run the real binaries as
# root inside network namespaces with real clients.
test: build-debug
	$(SWIFT) test --skip-build
	BCA_BIN=$(CURDIR)/$(DEBUG_BIN) Tests/integration/run

unit-test: build-debug
	$(SWIFT) test --skip-build

integration-test: build-debug
	BCA_BIN=$(CURDIR)/$(DEBUG_BIN) Tests/integration/run $(T)

# libFuzzer (fuzz/, docs/hardening.md): each target recompiles only the modules it fuzzes with
# -sanitize=fuzzer,address and links the rest from the debug build; each runs FUZZ_SECONDS.
# FUZZ_TARGETS picks some (dns hcl ipc json controller-json session-token websocket cli-http local-api).
FUZZ_SECONDS ?= 10
FUZZ_TARGETS ?=

fuzz-build: build-debug
	fuzz/build.sh $(FUZZ_TARGETS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh $(FUZZ_TARGETS)

demo: build
	BCA_BIN=$(CURDIR)/$(RELEASE_BIN) demo/demo.sh

# boundary-agent's shell completions (bash, zsh, fish) and man page, generated from its ArgumentParser
# definitions into $(CLI_DOCS) (packaging installs them from there).
CLI_DOCS ?= .build/cli-docs

completions:
	$(SWIFT) build --product boundary-agent
	mkdir -p $(CLI_DOCS)/completions
	$(DEBUG_BIN)/boundary-agent --generate-completion-script bash >$(CLI_DOCS)/completions/boundary-agent.bash
	$(DEBUG_BIN)/boundary-agent --generate-completion-script zsh >$(CLI_DOCS)/completions/_boundary-agent
	$(DEBUG_BIN)/boundary-agent --generate-completion-script fish >$(CLI_DOCS)/completions/boundary-agent.fish

man:
	$(SWIFT) build --product boundary-agent
	$(SWIFT) build --product generate-manual
	mkdir -p $(CLI_DOCS)/man/man1
	$(DEBUG_BIN)/generate-manual $(DEBUG_BIN)/boundary-agent --section 1 --output-directory $(CLI_DOCS)/man/man1 \
		--date $$(git log -1 --format=%cs 2>/dev/null || date +%F)

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

format-check:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

clean:
	rm -rf .build
