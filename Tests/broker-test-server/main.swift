// Test harness: runs the real broker (ProxyWorker: transparent proxy, local API, controller and data
// plane clients) unsandboxed on sockets it binds itself, optionally wired in-process to the real
// DNSServer (what the helper's socketpair does in the agent). Not part of the agent; the integration
// tests (Tests/integration/t_broker_*) run it inside a network namespace with their own AnyIP route
// and nftables redirect, so everything but the helper and the sandbox is the product's code path.
//
// Usage:
//   broker-test-server --config FILE.hcl --proxy4 127.0.0.1:0 [--proxy6 [::1]:0] [--api-unix PATH]
//     [--api-tcp 127.0.0.1:PORT] [--dns IP:PORT]... [--upstream IP:PORT]... [--admin-group NAME]
//     [--journal PATH]
// Prints "proxy4 ADDR", "proxy6 ADDR", then "ready"; then one line per message to the DNS worker and
// the helper ("setView uid=U aliases=a,b", "setFallbackUsers uids=…", "resolveResult …", "pause reason=…",
// "resume", "reportError …"). stdin commands: "queried UID ALIAS", "resolve ID UID NAME", "reload",
// "quit"; SIGTERM shuts down (sessions cancelled) and exits.
import AgentConfig
import Broker
import DNSCodec
import DNSService
import Glibc
import Logging
import NIOCore
import NIOPosix
import PrivSep
import Synchronization

func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
}

func die(_ message: String) -> Never {
    say("broker-test-server: \(message)")
    exit(2)
}

func parseAddress(_ text: String) -> SocketAddress {
    var host = text
    var port = 0
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]") else { die("bad address \(text)") }
        host = String(text[text.index(after: text.startIndex)..<close])
        port = Int(text[text.index(after: close)...].dropFirst()) ?? -1
    } else if let colon = text.lastIndex(of: ":") {
        host = String(text[..<colon])
        port = Int(text[text.index(after: colon)...]) ?? -1
    }
    guard port >= 0, port < 65536, let address = try? SocketAddress(ipAddress: host, port: port) else {
        die("bad address \(text)")
    }
    return address
}

/// A listening TCP socket (what the helper binds and passes).
func tcpListener(_ address: SocketAddress) -> CInt {
    guard let endpoint = SocketEndpoint(address.ipAddress ?? "", port: UInt16(address.port ?? 0)) else {
        die("bad address \(address)")
    }
    do {
        let family = endpoint.family == .inet ? AF_INET : AF_INET6
        let fd = try Posix.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
        try Posix.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        try Posix.bind(fd, endpoint)
        try Posix.listen(fd, backlog: 1024)
        return fd
    } catch {
        die("cannot listen on \(address): \(error)")
    }
}

final class Arguments: @unchecked Sendable {
    var rest = CommandLine.arguments.dropFirst()
    func value() -> String {
        guard let next = rest.popFirst() else { die("missing value") }
        return next
    }
}

var configPath: String?
var proxy4: SocketAddress?
var proxy6: SocketAddress?
var apiUnix: String?
var apiTCP: SocketAddress?
var dnsAddresses: [SocketAddress] = []
var upstreams: [SocketAddress] = []
var adminGroup: String?
var journalPath: String?
let arguments = Arguments()
while let argument = arguments.rest.popFirst() {
    switch argument {
    case "--config": configPath = arguments.value()
    case "--proxy4": proxy4 = parseAddress(arguments.value())
    case "--proxy6": proxy6 = parseAddress(arguments.value())
    case "--api-unix": apiUnix = arguments.value()
    case "--api-tcp": apiTCP = parseAddress(arguments.value())
    case "--dns": dnsAddresses.append(parseAddress(arguments.value()))
    case "--upstream": upstreams.append(parseAddress(arguments.value()))
    case "--admin-group": adminGroup = arguments.value()
    case "--journal": journalPath = arguments.value()
    default: die("unknown argument \(argument)")
    }
}
guard let configPath else { die("--config is required") }
var config: AgentConfiguration
do {
    config = try ConfigLoader.load(path: configPath)
} catch {
    die("\(error)")
}
if let adminGroup { config.adminGroup = adminGroup }

LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
var logger = Logger(label: "broker-test-server")
logger.logLevel = config.logLevel == .trace ? .trace : config.logLevel == .debug ? .debug : .info

/// broker → helper, printed.
struct PrintingHelper: HelperPort {
    let loop: EventLoop
    func pause(reason: String) -> EventLoopFuture<Void> {
        say("pause reason=\(reason)")
        return loop.makeSucceededVoidFuture()
    }
    func resume() -> EventLoopFuture<Void> {
        say("resume")
        return loop.makeSucceededVoidFuture()
    }
    func reportError(_ text: String) { say("reportError \(text)") }
    func status() -> EventLoopFuture<HelperState> {
        loop.makeSucceededFuture(HelperState(paused: false, resolverOverwritten: false))
    }
}

/// broker → DNS worker: printed, and handed to the in-process DNSServer when there is one.
final class DNSBridge: DNSWorkerPort, DNSServerDelegate, @unchecked Sendable {
    let server = Mutex<DNSServer?>(nil)
    let worker = Mutex<ProxyWorker?>(nil)

    func setView(uid: UInt32, entries: [ViewEntry]) {
        say(
            "setView uid=\(uid) aliases=\(entries.map { "\($0.alias)=\(IPText.v4($0.addresses.v4))" }.joined(separator: ","))"
        )
        let converted = entries.map {
            AliasEntry(
                name: $0.alias, ipv4: AgentConfig.IPv4Address(value: $0.addresses.v4),
                ipv6: AgentConfig.IPv6Address(
                    high: UInt64(truncatingIfNeeded: $0.addresses.v6 >> 64),
                    low: UInt64(truncatingIfNeeded: $0.addresses.v6)))
        }
        server.withLock { $0 }?.setView(uid: uid, entries: converted)
    }

    func setFallbackUsers(_ uids: [UInt32]) {
        say("setFallbackUsers uids=\(uids.map(String.init).joined(separator: ","))")
        server.withLock { $0 }?.setFallbackUsers(uids)
    }

    func resolveResult(requestID: UInt64, uid: UInt32, name: String, addresses: AliasAddresses?) {
        say("resolveResult id=\(requestID) uid=\(uid) name=\(name) found=\(addresses != nil)")
        server.withLock { $0 }?.resolveResult(
            requestID: requestID, uid: uid, name: name, ipv4: addresses.map { AgentConfig.IPv4Address(value: $0.v4) },
            ipv6: addresses.map {
                AgentConfig.IPv6Address(
                    high: UInt64(truncatingIfNeeded: $0.v6 >> 64), low: UInt64(truncatingIfNeeded: $0.v6))
            })
    }

    func flushCache() {
        server.withLock { $0 }?.flushCache()
    }

    // DNSServerDelegate: dns → broker.
    func aliasQueried(uid: UInt32, alias: String) {
        say("aliasQueried uid=\(uid) alias=\(alias)")
        worker.withLock { $0 }?.aliasQueried(uid: uid, alias: alias)
    }

    func resolveRequest(requestID: UInt64, uid: UInt32, name: String) {
        say("resolveRequest id=\(requestID) uid=\(uid) name=\(name)")
        worker.withLock { $0 }?.resolveRequest(requestID: requestID, uid: uid, name: name)
    }
}

// Blocks SIGTERM in this thread before the event loop threads exist, so they inherit the mask.
let signalSource = try? Posix.signalFD([SIGTERM])
let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
let bridge = DNSBridge()
let worker: ProxyWorker
do {
    var journalFD: CInt?
    if let journalPath {
        journalFD = open(journalPath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard journalFD! >= 0 else { die("cannot open \(journalPath)") }
    }
    let prepared = try ProxyWorker.prepare(configuration: config, statusJournalFD: journalFD, logger: logger)
    worker = try ProxyWorker(
        prepared: prepared, configuration: config, version: "0.1.0-test", group: group,
        helper: PrintingHelper(loop: group.next()), logger: logger)
} catch {
    die("cannot start the broker: \(error)")
}
bridge.worker.withLock { $0 = worker }

var listeners = ProxyWorker.Listeners(proxyV4: nil, proxyV6: nil, apiUnix: nil, apiTCP: nil)
if let proxy4 {
    let fd = tcpListener(proxy4)
    listeners.proxyV4 = fd
    say("proxy4 \((try? Posix.localEndpoint(fd)).map { "\($0)" } ?? "?")")
}
if let proxy6 {
    let fd = tcpListener(proxy6)
    listeners.proxyV6 = fd
    say("proxy6 \((try? Posix.localEndpoint(fd)).map { "\($0)" } ?? "?")")
}
if let apiUnix {
    do {
        try Posix.unlinkIfPresent(apiUnix)
        let fd = try Posix.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
        try Posix.bind(fd, unixPath: apiUnix)
        try Posix.chmod(apiUnix, 0o666)
        try Posix.listen(fd, backlog: 128)
        listeners.apiUnix = fd
    } catch {
        die("cannot listen on \(apiUnix): \(error)")
    }
}
if let apiTCP { listeners.apiTCP = tcpListener(apiTCP) }

if !dnsAddresses.isEmpty {
    do {
        let server = try DNSServer.start(
            group: group, udpAddresses: dnsAddresses, tcpAddresses: dnsAddresses,
            configuration: DNSServerConfiguration(upstreams: upstreams), delegate: bridge, logger: logger
        ).wait()
        bridge.server.withLock { $0 = server }
    } catch {
        die("cannot start the DNS server: \(error)")
    }
}
do {
    try worker.start(listeners).wait()
} catch {
    die("cannot serve: \(error)")
}
worker.dnsWorkerConnected(bridge)

// SIGTERM: cancel every session, then exit (what the helper's shutdown message does). The signal was
// blocked before any thread started (`signalSource` above), so only the signalfd sees it.
if let signalSource {
    let thread = Thread {
        var fds = [pollfd(fd: signalSource, events: Int16(POLLIN), revents: 0)]
        _ = try? Posix.poll(&fds, timeoutMilliseconds: -1)
        say("shutting down")
        _ = try? worker.shutdown().wait()
        say("stopped")
        exit(0)
    }
    thread.start()
}
say("ready")

while let line = readLine() {
    let words = line.split(separator: " ").map(String.init)
    guard let command = words.first else { continue }
    switch command {
    case "queried" where words.count == 3:
        worker.aliasQueried(uid: UInt32(words[1]) ?? 0, alias: words[2])
    case "resolve" where words.count == 4:
        worker.resolveRequest(requestID: UInt64(words[1]) ?? 0, uid: UInt32(words[2]) ?? 0, name: words[3])
    case "reload":
        if let new = try? ConfigLoader.load(path: configPath) {
            worker.reload(configuration: new)
            say("reloaded")
        }
    case "quit":
        exit(0)
    default:
        say("unknown command")
    }
}
while true { pause() }

/// A plain pthread for the signal wait (no Dispatch, no Foundation).
final class Thread: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
    func start() {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self)
        pthread_create(
            &thread, nil,
            { raw in
                let me = Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue()
                me.body()
                return nil
            }, box.toOpaque())
    }
}
