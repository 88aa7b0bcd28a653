// swift-tools-version:6.0
// boundary-client-agent: a Linux implementation of Boundary's Client Agent.
// Layout (see docs/architecture.md): one folder per process under Sources/, shared code in
// library targets named for what they hold, C modules start with `C`.
import PackageDescription

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioWebSocket = Target.Dependency.product(name: "NIOWebSocket", package: "swift-nio")
let nioTLS = Target.Dependency.product(name: "NIOTLS", package: "swift-nio")
let nioEmbedded = Target.Dependency.product(name: "NIOEmbedded", package: "swift-nio")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let x509 = Target.Dependency.product(name: "X509", package: "swift-certificates")

let package = Package(
    name: "boundary-client-agent",
    products: [
        .executable(name: "boundary-agent-helper", targets: ["privileged-helper"]),
        .executable(name: "boundary-agent-dns", targets: ["dns-worker"]),
        .executable(name: "boundary-agent-proxy", targets: ["proxy-worker"]),
        .executable(name: "boundary-agent", targets: ["cli"]),
        .executable(name: "boundary-dev-controller", targets: ["dev-controller"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    ],
    targets: [
        // --- C layer: what Swift cannot import directly.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CNftables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        .target(name: "CPrivSep"),

        // --- Shared libraries.
        // The product's version (checked against ./VERSION by a unit test); no dependencies.
        .target(name: "AgentVersion"),
        // Foundation-free JSON value, parser and encoder (helper state file, controller API, local API).
        .target(name: "JSON"),
        // Syscall wrappers, fd passing, spawn, privilege drop, seccomp profiles, peer credentials, sock_diag.
        .target(name: "PrivSep", dependencies: ["CSeccomp", "CCap", "CPrivSep"]),
        // Framed helper <-> worker and worker <-> worker messages; the request table's vocabulary.
        .target(name: "AgentIPC", dependencies: ["PrivSep", "AgentConfig"]),
        // The HCL configuration file: parser, model with defaults, validation (`file:line:col: message`).
        .target(name: "AgentConfig"),
        // What the helper changes on the host, as data and text (state file records, resolv.conf text,
        // the nftables ruleset); pure, no syscalls. The helper does the I/O; the CLI reads resolv.conf.
        .target(name: "HostState", dependencies: ["AgentConfig", "JSON"]),
        // Shared worker plumbing: logging bootstrap, NIO glue around PrivSep.
        .target(name: "AgentCore", dependencies: ["PrivSep", "AgentIPC", "AgentConfig", nioCore, nioPosix, logging]),
        // DNS wire codec (RFC 1035, 3596, 6891) on ByteBuffer; A/AAAA data are AgentConfig's address types.
        .target(name: "DNSCodec", dependencies: ["AgentConfig", nioCore]),
        // The DNS server: serving, alias views, forwarding, cache.
        .target(
            name: "DNSService",
            dependencies: ["DNSCodec", "PrivSep", "AgentIPC", "AgentConfig", "AgentCore", nioCore, nioPosix, logging]),
        // Boundary wire formats: base58, protobuf messages, controller JSON resources and errors.
        .target(name: "BoundaryWire", dependencies: ["JSON"]),
        // Boundary client: controller HTTP API and the worker data plane (TLS 1.3 + WebSocket).
        .target(
            name: "BoundaryAPI",
            dependencies: [
                "BoundaryWire", "JSON", nioCore, nioPosix, nioHTTP1, nioWebSocket, nioTLS, nioSSL, logging,
            ]),
        // Local API shapes shared by the broker and the CLI (status, sessions, tokens, explain).
        .target(name: "AgentAPI", dependencies: ["JSON"]),
        // The session broker: tokens, alias views, addresses, sessions, transparent proxy, local API.
        .target(
            name: "Broker",
            dependencies: [
                "BoundaryAPI", "BoundaryWire", "AgentAPI", "AgentIPC", "AgentConfig", "AgentCore", "PrivSep", "JSON",
                "DNSCodec", "AgentVersion", nioCore, nioPosix, nioHTTP1, logging,
            ]),

        // The Boundary-compatible dev controller and worker (demo and tests only; not part of the agent).
        .target(
            name: "DevController",
            dependencies: [
                "BoundaryWire", "JSON", nioCore, nioPosix, nioHTTP1, nioWebSocket, nioTLS, nioSSL, crypto, x509,
                logging,
            ]),

        // --- Processes.
        .executableTarget(
            name: "privileged-helper",
            dependencies: ["PrivSep", "AgentIPC", "AgentConfig", "AgentVersion", "HostState", "JSON", "CNftables"]),
        .executableTarget(
            name: "dns-worker",
            dependencies: ["DNSService", "AgentCore", "AgentIPC", "AgentConfig", "PrivSep", nioCore, nioPosix, logging]),
        .executableTarget(
            name: "proxy-worker",
            dependencies: ["Broker", "AgentCore", "AgentIPC", "AgentConfig", "PrivSep", nioCore, nioPosix, logging]),
        // The per-user command line: subcommands, the local API client, rendering (unit-tested here).
        .target(
            name: "AgentCLI",
            dependencies: [
                "AgentAPI", "AgentConfig", "AgentVersion", "HostState", "JSON", "BoundaryWire", "BoundaryAPI",
                "CPrivSep", argumentParser, nioCore, nioPosix, logging,
            ]),
        .executableTarget(name: "cli", dependencies: ["AgentCLI"]),
        .executableTarget(name: "dev-controller", dependencies: ["DevController", argumentParser, logging]),
        // Test/benchmark only: runs DNSServer unsandboxed on addresses it binds itself (Tests/integration/t_dns_*).
        .executableTarget(
            name: "dns-test-server",
            dependencies: ["DNSService", "DNSCodec", "AgentConfig", nioCore, nioPosix, logging],
            path: "Tests/dns-test-server"),
        // Test only: runs the broker unsandboxed on sockets it binds, optionally with the real DNSServer
        // in-process (Tests/integration/t_broker_*).
        .executableTarget(
            name: "broker-test-server",
            dependencies: [
                "Broker", "DNSService", "DNSCodec", "AgentConfig", "PrivSep", nioCore, nioPosix, logging,
            ],
            path: "Tests/broker-test-server"),
        // Test-only: installs a worker's seccomp profile, serves, then makes a forbidden call
        // (Tests/integration/t_sandbox_*.sh). Not installed.
        .executableTarget(
            name: "sandbox-probe", dependencies: ["PrivSep", "CPrivSep", "CSeccomp", nioCore, nioPosix],
            path: "Tests/sandbox-probe"),
        // Test/benchmark tool for the data plane (dev worker, splice proxy, echo pump); not shipped.
        .executableTarget(
            name: "dataplane-check",
            dependencies: ["DevController", "BoundaryAPI", "BoundaryWire", nioCore, nioPosix, logging]),

        // --- Unit tests (`swift test`). Integration tests live in Tests/integration and run real binaries.
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "AgentConfigTests", dependencies: ["AgentConfig"]),
        .testTarget(name: "PrivSepTests", dependencies: ["PrivSep", "AgentIPC"]),
        .testTarget(name: "AgentIPCTests", dependencies: ["AgentIPC", "AgentConfig", "PrivSep"]),
        .testTarget(
            name: "AgentCoreTests", dependencies: ["AgentCore", "AgentIPC", "AgentConfig", "PrivSep", logging]),
        .testTarget(
            name: "HelperTests",
            dependencies: ["privileged-helper", "AgentIPC", "AgentConfig", "HostState", "PrivSep", "JSON"]),
        .testTarget(name: "DNSCodecTests", dependencies: ["DNSCodec", "AgentConfig", nioCore]),
        .testTarget(
            name: "DNSServiceTests",
            dependencies: ["DNSService", "DNSCodec", "AgentConfig", nioCore, nioPosix, nioEmbedded]),
        .testTarget(name: "BoundaryWireTests", dependencies: ["BoundaryWire", "JSON"]),
        .testTarget(
            name: "BoundaryAPITests",
            dependencies: ["BoundaryAPI", "BoundaryWire", "JSON", nioCore, nioPosix, nioEmbedded, nioSSL, crypto, x509]
        ),
        .testTarget(
            name: "DevControllerTests",
            dependencies: [
                "DevController", "BoundaryAPI", "BoundaryWire", "JSON", nioCore, nioPosix, nioEmbedded, nioSSL,
            ]),
        .testTarget(
            name: "CLITests",
            dependencies: [
                "AgentCLI", "AgentAPI", "AgentConfig", "AgentVersion", "BoundaryWire", "JSON", argumentParser,
            ]),
        // The libFuzzer harnesses (fuzz/targets, built with sanitizers by `make fuzz`) replayed over the
        // committed corpora: the quick smoke of the fuzzing in `make test`.
        .testTarget(
            name: "FuzzReplayTests",
            dependencies: [
                "DNSCodec", "AgentConfig", "AgentIPC", "PrivSep", "JSON", "BoundaryWire", "BoundaryAPI", "AgentAPI",
                "AgentCLI", "Broker", nioCore, nioEmbedded, nioHTTP1, logging,
            ],
            path: "fuzz", exclude: ["corpus", "build.sh", "run.sh", "make_seeds.py"],
            sources: ["targets", "FuzzReplayTests.swift"]),
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "Broker", "AgentAPI", "AgentConfig", "JSON", "BoundaryAPI", "BoundaryWire", "DevController", nioCore,
                nioEmbedded, nioHTTP1, nioPosix, logging,
            ]),
    ]
)
