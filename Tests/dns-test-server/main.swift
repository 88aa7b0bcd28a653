// Test and benchmark harness: runs the real DNSServer in-process on addresses it binds itself, unsandboxed.
// Not part of the agent. Usage:
//   dns-test-server --udp 127.0.0.1:5300 --tcp 127.0.0.1:5300 [--udp [::1]:5300 --tcp [::1]:5300]
//     [--upstream IP:PORT]... [--timeout-ms N] [--cache-size N] [--view UID:NAME=V4,V6[;NAME=V4,V6]...]
//     [--fallback UID]... [--resolve NAME=V4,V6]... [--union UID]... [--tcp-idle-ms N] [--max-tcp N]
//     [--log-level trace|debug|info]
// Prints one "ready" line, then one line per delegate call ("aliasQueried uid=U alias=A",
// "resolveRequest id=I uid=U name=N"). Reads commands on stdin, one per line:
//   view UID NAME=V4,V6;...   (empty list: "view UID")   fallback UID...   flush   counters   quit
import AgentConfig
import DNSCodec
import DNSService
import Glibc
import Logging
import NIOCore
import NIOPosix

/// Writes one line with write(2): stdio's fflush(NULL) would take stdin's lock, which readLine holds.
func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
}

func die(_ message: String) -> Never {
    say("dns-test-server: \(message)")
    exit(2)
}

func parseAddress(_ text: String) -> SocketAddress {
    var host = text
    var port = 53
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]") else { die("bad address \(text)") }
        host = String(text[text.index(after: text.startIndex)..<close])
        let rest = text[text.index(after: close)...]
        if rest.hasPrefix(":") { port = Int(rest.dropFirst()) ?? -1 }
    } else if let colon = text.lastIndex(of: ":") {
        host = String(text[..<colon])
        port = Int(text[text.index(after: colon)...]) ?? -1
    }
    guard port >= 0 && port < 65536, let address = try? SocketAddress(ipAddress: host, port: port) else {
        die("bad address \(text)")
    }
    return address
}

func parseEntries(_ text: String) -> [AliasEntry] {
    text.split(separator: ";").map { item in
        let parts = item.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { die("bad view entry \(item)") }
        var v4: IPv4Address?
        var v6: IPv6Address?
        for address in parts[1].split(separator: ",") {
            if let a = IPv4Address(String(address)) {
                v4 = a
            } else if let a = IPv6Address(String(address)) {
                v6 = a
            } else {
                die("bad address \(address)")
            }
        }
        return AliasEntry(name: String(parts[0]), ipv4: v4, ipv6: v6)
    }
}

final class PrintingDelegate: DNSServerDelegate, @unchecked Sendable {
    var server: DNSServer?
    var resolvable: [String: AliasEntry] = [:]

    func aliasQueried(uid: UInt32, alias: String) {
        say("aliasQueried uid=\(uid) alias=\(alias)")
    }

    func resolveRequest(requestID: UInt64, uid: UInt32, name: String) {
        say("resolveRequest id=\(requestID) uid=\(uid) name=\(name)")
        let entry = resolvable[name]
        server?.resolveResult(requestID: requestID, uid: uid, name: name, ipv4: entry?.ipv4, ipv6: entry?.ipv6)
    }
}

var udp: [SocketAddress] = []
var tcp: [SocketAddress] = []
var configuration = DNSServerConfiguration()
var views: [(UInt32, [AliasEntry])] = []
var fallback: [UInt32] = []
var logLevel = Logger.Level.info
let delegate = PrintingDelegate()
final class Arguments: @unchecked Sendable {
    var rest = CommandLine.arguments.dropFirst()
}
let arguments = Arguments()
func value() -> String {
    guard let next = arguments.rest.popFirst() else { die("missing value") }
    return next
}
while let argument = arguments.rest.popFirst() {
    switch argument {
    case "--udp": udp.append(parseAddress(value()))
    case "--tcp": tcp.append(parseAddress(value()))
    case "--upstream": configuration.upstreams.append(parseAddress(value()))
    case "--timeout-ms": configuration.requestTimeout = .milliseconds(Int64(value()) ?? 5000)
    case "--cache-size": configuration.cacheSize = Int(value()) ?? 0
    case "--tcp-idle-ms": configuration.tcpIdleTimeout = .milliseconds(Int64(value()) ?? 10000)
    case "--max-tcp": configuration.maxTCPConnections = Int(value()) ?? 256
    case "--report-interval-ms": configuration.aliasReportInterval = .milliseconds(Int64(value()) ?? 1000)
    case "--upstream-sockets": configuration.upstreamSocketsPerServer = Int(value()) ?? 8
    case "--upstream-uses": configuration.upstreamSocketUses = Int(value()) ?? 1024
    case "--upstream-max-age-ms": configuration.upstreamSocketMaxAge = .milliseconds(Int64(value()) ?? 60000)
    case "--owner-cache-ms": configuration.udpOwnerCacheLifetime = .milliseconds(Int64(value()) ?? 100)
    case "--union": configuration.unionUIDs.insert(UInt32(value()) ?? 0)
    case "--fallback": fallback.append(UInt32(value()) ?? 0)
    case "--resolve":
        for entry in parseEntries(value()) { delegate.resolvable[entry.name] = entry }
    case "--view":
        let text = value()
        guard let colon = text.firstIndex(of: ":"), let uid = UInt32(text[..<colon]) else { die("bad view \(text)") }
        views.append((uid, parseEntries(String(text[text.index(after: colon)...]))))
    case "--log-level":
        guard let level = Logger.Level(rawValue: value()) else { die("bad log level") }
        logLevel = level
    default: die("unknown argument \(argument)")
    }
}

var logger = Logger(label: "dns-test-server")
logger.logLevel = logLevel
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server: DNSServer
do {
    server = try DNSServer.start(
        group: group, udpAddresses: udp, tcpAddresses: tcp, configuration: configuration, delegate: delegate,
        logger: logger
    ).wait()
} catch {
    die("cannot start: \(error)")
}
delegate.server = server
for (uid, entries) in views { server.setView(uid: uid, entries: entries) }
if !fallback.isEmpty { server.setFallbackUsers(fallback) }
say(
    "ready udp=\(server.udpAddresses.map { "\($0)" }.joined(separator: ",")) tcp=\(server.tcpAddresses.map { "\($0)" }.joined(separator: ","))"
)

while let line = readLine() {
    let words = line.split(separator: " ", maxSplits: 2).map(String.init)
    guard let command = words.first else { continue }
    switch command {
    case "view":
        guard words.count >= 2, let uid = UInt32(words[1]) else { continue }
        server.setView(uid: uid, entries: words.count > 2 ? parseEntries(words[2]) : [])
        say("ok")
    case "fallback":
        server.setFallbackUsers(words.dropFirst().compactMap { UInt32($0) })
        say("ok")
    case "flush":
        server.flushCache()
        say("ok")
    case "counters":
        if let c = try? server.counters().wait() {
            say(
                "counters queries=\(c.queries) alias=\(c.aliasAnswers) forwarded=\(c.forwarded) cacheHits=\(c.cacheHits) servfail=\(c.serverFailures) formerr=\(c.formatErrors) dropped=\(c.dropped) truncated=\(c.truncatedAnswers) tcpRetries=\(c.tcpRetries) mismatched=\(c.mismatchedAnswers) failures=\(c.upstreamFailures.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","))"
            )
        }
    case "quit":
        exit(0)
    default:
        say("unknown command")
    }
}
// stdin closed: keep serving until killed.
while true { pause() }
