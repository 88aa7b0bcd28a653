// cli-test-agent: the broker's local API (BrokerCore + LocalAPIServer) on a real unix socket and a
// real TCP port, talking to a real controller (the dev controller) through BoundaryAPI. No helper,
// no DNS worker, no sandbox: it stands in for the whole agent in the CLI's integration tests until
// the helper and the workers run together. Not installed.
//
//   cli-test-agent -socket PATH -port N [-admin-uid U]... [-version V] [-log-level L]
//
// Prints "ready" on standard output once both listeners serve; SIGTERM or SIGINT stops it.
// Standard input stands in for the DNS worker's `aliasQueried` message: a line "query UID ALIAS"
// makes the broker authorize that user's session for the alias, as a DNS lookup would.
import AgentAPI
import BoundaryAPI
import Broker
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

func die(_ message: String) -> Never {
    FileDescriptorWriter.standardError("cli-test-agent: \(message)\n")
    exit(2)
}

enum FileDescriptorWriter {
    static func standardError(_ text: String) {
        _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
    static func standardOutput(_ text: String) {
        _ = text.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
    }
}

var socketPath: String?
var port: UInt16 = 0
var adminUIDs: Set<UInt32> = []
var version = "0.1.0-test"
var logLevel = Logger.Level.info
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { die("\(flag) needs a value") }
    switch flag {
    case "-socket": socketPath = value
    case "-port":
        guard let p = UInt16(value) else { die("bad -port \(value)") }
        port = p
    case "-admin-uid":
        guard let u = UInt32(value) else { die("bad -admin-uid \(value)") }
        adminUIDs.insert(u)
    case "-version": version = value
    case "-log-level":
        guard let l = Logger.Level(rawValue: value) else { die("bad -log-level \(value)") }
        logLevel = l
    default: die("unknown flag \(flag)")
    }
}
guard let socketPath else { die("-socket is required") }

// Signals are taken with sigwait on this thread: block them before any other thread starts.
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGTERM)
sigaddset(&stopSignals, SIGINT)
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

let chosenLevel = logLevel
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = chosenLevel
    return handler
}
let logger = Logger(label: "cli-test-agent")

func unixListener(_ path: String) -> CInt {
    unlink(path)
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { die("socket: \(errno)") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    guard path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else { die("socket path too long") }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
    }
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard rc == 0 else { die("bind \(path): \(String(cString: strerror(errno)))") }
    // As the helper makes it: every user may connect; the agent tells them apart by SO_PEERCRED.
    chmod(path, 0o666)
    guard listen(fd, 64) == 0 else { die("listen: \(errno)") }
    return fd
}

func tcpListener(_ port: UInt16) -> CInt {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { die("socket: \(errno)") }
    var one: CInt = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { die("bind 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
    guard listen(fd, 64) == 0 else { die("listen: \(errno)") }
    return fd
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
let loop = group.next()
do {
    let http = try HTTPClient(
        group: group, resolver: GetaddrinfoHostResolver(),
        configuration: HTTPClientConfiguration(
            trust: .insecure, userAgent: ControllerClient.userAgent(version: version)))
    let controller = ControllerAdapter(http: http, logger: logger)
    let dataPlane = DataPlaneAdapter(resolver: GetaddrinfoHostResolver(), logger: logger)
    let settings = BrokerSettings(version: version, admin: AdminPolicy(groupName: "", uids: adminUIDs))
    let core = try loop.submit {
        let core = BrokerCore(
            loop: loop, settings: settings, controller: controller, dataPlane: dataPlane, dns: nil, helper: nil,
            logger: logger)
        core.start()
        return core
    }.wait()
    let server = LocalAPIServer(backend: core, owners: KernelSocketOwners(), logger: logger)
    var channels = [try server.serve(listeningSocket: unixListener(socketPath), transport: .unix, group: group).wait()]
    if port != 0 {
        channels.append(try server.serve(listeningSocket: tcpListener(port), transport: .tcp, group: group).wait())
    }
    let stdinReader = NIOThreadPool(numberOfThreads: 1)
    stdinReader.start()
    stdinReader.submit { _ in
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(STDIN_FILENO, &byte, 1) == 1 {
            guard byte == UInt8(ascii: "\n") else {
                line.append(byte)
                continue
            }
            let words = String(decoding: line, as: UTF8.self).split(separator: " ")
            line.removeAll()
            guard words.count == 3, words[0] == "query", let uid = UInt32(words[1]) else { continue }
            let alias = String(words[2])
            loop.execute { core.aliasQueried(uid: uid, alias: alias) }
        }
    }
    FileDescriptorWriter.standardOutput("ready\n")
    var signal: CInt = 0
    sigwait(&stopSignals, &signal)
    for channel in channels { try? channel.close().wait() }
    unlink(socketPath)
    exit(0)
} catch {
    die("\(error)")
}
