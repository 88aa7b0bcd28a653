# boundary-client-agent. Run as root on Debian 12:
#   make demo   - build, then show the agent working in a private network namespace
#   make test   - build, then run every unit and integration test
#   make bench  - release build, then the benchmark against unbound, dnsmasq and haproxy (bench/)
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local
RELEASE_BIN := .build/release
DEBUG_BIN := .build/debug
export SWIFT_BACKTRACE ?= enable=no

.PHONY: all deps build build-debug test unit-test integration-test demo bench format format-check clean completions man \
	fuzz fuzz-build chaos soak install uninstall deb

all: build

deps:
	@scripts/deps.sh

# Release binaries (demo, install, deb, benchmark). The Swift runtime is linked in, so the binaries
# need only Debian's own libraries (libc, libstdc++, libseccomp, libcap, libnftables).
build: deps
	$(SWIFT) build -c release --static-swift-stdlib

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

# Crash safety at full size (100 kill -9 rounds, every forbidden syscall on both workers) and the
# adversarial/fault suites; `soak`: dnsperf 60 s, RSS over 1,000,000 queries, 10,000 concurrent
# proxied connections. Minutes each; not part of `make test` (which runs the quick versions).
chaos: build-debug
	BCA_BIN=$(CURDIR)/$(DEBUG_BIN) chaos/run.sh

# Release binaries: a debug build's TLS (BoringSSL at -O0) carries only a few new connections a
# second on this machine, far from what a burst of 10,000 needs.
soak: build
	BCA_BIN=$(CURDIR)/$(RELEASE_BIN) chaos/soak.sh

demo: build
	BCA_BIN=$(CURDIR)/$(RELEASE_BIN) demo/demo.sh

# Install on this host (PREFIX=/usr/local): boundary-agent in bin, the helper and its workers in
# libexec/boundary-client-agent (the helper starts the workers from its own directory), the unit in
# /etc/systemd/system, the configuration (kept if present), completions, man page, the workers' user.
# DESTDIR= stages the files only. packaging/install.sh does the work; docs/install.md explains it.
INSTALL_ENV = PREFIX=$(PREFIX) BIN=$(RELEASE_BIN) CLI_DOCS=$(CLI_DOCS) DESTDIR=$(DESTDIR)

install: build
	$(MAKE) completions man CLI_CONFIG=release
	$(INSTALL_ENV) packaging/install.sh files
	@if [ -z "$(DESTDIR)" ]; then $(INSTALL_ENV) packaging/install.sh system; fi

uninstall:
	$(INSTALL_ENV) packaging/install.sh uninstall

# The Debian package (version from ./VERSION), built with dpkg-deb into .build/deb/.
deb: build
	$(MAKE) completions man CLI_CONFIG=release
	BIN=$(RELEASE_BIN) CLI_DOCS=$(CLI_DOCS) packaging/build-deb.sh

# The benchmark (docs/benchmarks.md): root, private network namespaces, about 15 minutes on 2 cores.
# Results in bench/results/<date>.{json,md,png}. `make bench PHASES="alias relay"` runs some phases;
# BENCH_QUICK=1 makes short runs for working on the benchmark itself.
bench: build
	BCA_BIN=$(CURDIR)/$(RELEASE_BIN) bench/run.sh $(PHASES)

# boundary-agent's shell completions (bash, zsh, fish) and man page, generated from its ArgumentParser
# definitions into $(CLI_DOCS) (packaging installs them from there).
CLI_DOCS ?= .build/cli-docs
# debug or release (install and deb use the release build they already have).
CLI_CONFIG ?= debug
CLI_FLAGS = -c $(CLI_CONFIG) $(if $(filter release,$(CLI_CONFIG)),--static-swift-stdlib)
CLI_BIN = .build/$(CLI_CONFIG)

completions:
	$(SWIFT) build $(CLI_FLAGS) --product boundary-agent
	mkdir -p $(CLI_DOCS)/completions
	$(CLI_BIN)/boundary-agent --generate-completion-script bash >$(CLI_DOCS)/completions/boundary-agent.bash
	$(CLI_BIN)/boundary-agent --generate-completion-script zsh >$(CLI_DOCS)/completions/_boundary-agent
	$(CLI_BIN)/boundary-agent --generate-completion-script fish >$(CLI_DOCS)/completions/boundary-agent.fish

man:
	$(SWIFT) build $(CLI_FLAGS) --product boundary-agent
	$(SWIFT) build $(CLI_FLAGS) --product generate-manual
	mkdir -p $(CLI_DOCS)/man/man1
	$(CLI_BIN)/generate-manual $(CLI_BIN)/boundary-agent --section 1 --output-directory $(CLI_DOCS)/man/man1 \
		--date $$(git log -1 --format=%cs 2>/dev/null || date +%F)

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

format-check:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests

clean:
	rm -rf .build
