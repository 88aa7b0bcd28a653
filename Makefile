# boundary-client-agent. Run as root on Debian 12:
#   make demo   - build, then show the agent working in a private network namespace
#   make test   - build, then run every unit and integration test
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
RELEASE_BIN := .build/release
DEBUG_BIN := .build/debug
export SWIFT_BACKTRACE ?= enable=no

.PHONY: all deps build build-debug test unit-test integration-test demo format format-check clean

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

demo: build
	BCA_BIN=$(CURDIR)/$(RELEASE_BIN) demo/demo.sh

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

format-check:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

clean:
	rm -rf .build
