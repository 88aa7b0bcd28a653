// dataplane-check: test and benchmark tool for the Boundary data plane (not shipped; used by
// Tests/integration/t_dataplane_*.sh). It runs our pieces as separate processes so that clients we
// did not write (openssl s_client, socat, curl) can be pointed at them:
//
//   dataplane-check worker --listen 127.0.0.1:0 --session-dir DIR --endpoint HOST:PORT
//                          [--connection-limit N] [--lifetime SECONDS] [--request-log FILE]
//       A dev worker with one minted session; writes DIR/session_id, cert.pem, key.pem (PKCS#8),
//       cert.der, key.raw (Boundary's 64 bytes) and worker (host:port); prints "ready PORT".
//   dataplane-check proxy --session-dir DIR --listen 127.0.0.1:0 [--worker HOST:PORT ...]
//       What the broker does per connection: accept locally, open a worker connection with the
//       session, splice. Prints "ready PORT".
//   dataplane-check pump --connect HOST:PORT --megabytes N
//       Sends N MB of pseudo-random bytes and checks the echo byte for byte; prints MB/s.
//   dataplane-check churn --connect HOST:PORT --connections N
//       N sequential connections, one echoed message each; prints connections/s.
import BoundaryAPI
import BoundaryWire
import DevController
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}

/// `--name value` options; repeated names collect every value.
struct Options {
    var values: [String: [String]] = [:]

    init(_ arguments: ArraySlice<String>) throws {
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let name = arguments[i]
            guard name.hasPrefix("--"), i + 1 < arguments.endIndex else { throw Failure("bad argument \(name)") }
            values[String(name.dropFirst(2)), default: []].append(arguments[i + 1])
            i += 2
        }
    }

    func string(_ name: String) throws -> String {
        guard let v = values[name]?.last else { throw Failure("--\(name) is required") }
        return v
    }

    func int(_ name: String, default value: Int? = nil) throws -> Int {
        if values[name] == nil, let value { return value }
        guard let v = Int(try string(name)) else { throw Failure("--\(name) must be a number") }
        return v
    }
}

/// `host:port`; port 0 (any) is allowed here, unlike in a worker address.
func hostPort(_ text: String) throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
        (0...65535).contains(port)
    else { throw Failure("\(text) is not host:port") }
    return (String(text[..<colon]).trimmingBrackets, port)
}

extension String {
    var trimmingBrackets: String { hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self }
}

func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw Failure("cannot write \(path)") }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw Failure("cannot write \(path)") }
        done += n
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw Failure("cannot read \(path)") }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n >= 0 else { throw Failure("cannot read \(path)") }
        if n == 0 { return out }
        out += chunk[..<n]
    }
}

func pem(_ label: String, _ der: [UInt8]) -> [UInt8] {
    let text = Base64.encode(der)
    var lines = "-----BEGIN \(label)-----\n"
    var index = text.startIndex
    while index < text.endIndex {
        let end = text.index(index, offsetBy: 64, limitedBy: text.endIndex) ?? text.endIndex
        lines += text[index..<end] + "\n"
        index = end
    }
    return Array((lines + "-----END \(label)-----\n").utf8)
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func monotonic() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Exit cleanly on SIGTERM/SIGINT (the test's cleanup sends them).
func exitOnSignals() {
    signal(SIGTERM) { _ in _exit(0) }
    signal(SIGINT) { _ in _exit(0) }
}

// MARK: - worker

func runWorker(_ options: Options) async throws {
    let (host, port) = try hostPort(try options.string("listen"))
    let dir = try options.string("session-dir")
    let (endpointHost, endpointPort) = try hostPort(try options.string("endpoint"))
    let limit = Int32(try options.int("connection-limit", default: -1))
    let lifetime = Double(try options.int("lifetime", default: 3600))
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let store = DevSessionStore()
    let worker = DevWorker(store: store, log: DevRequestLog(path: options.values["request-log"]?.last), group: group)
    let bound = try await worker.start(host: host, port: port)
    let workerAddress = "\(host):\(bound.port!)"
    let minted = try store.mintTestSession(
        workerAddresses: [workerAddress], endpointHost: endpointHost, endpointPort: endpointPort,
        connectionLimit: limit, lifetime: lifetime)
    try writeFile(dir + "/session_id", Array(minted.sessionID.utf8))
    try writeFile(dir + "/cert.der", minted.certificateDER)
    try writeFile(dir + "/cert.pem", pem("CERTIFICATE", minted.certificateDER))
    try writeFile(dir + "/key.pem", pem("PRIVATE KEY", minted.pkcs8), mode: 0o600)
    try writeFile(dir + "/key.raw", minted.privateKey, mode: 0o600)
    try writeFile(dir + "/worker", Array(workerAddress.utf8))
    print("ready \(bound.port!)")
    fflush(nil)
    exitOnSignals()
    while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
}

// MARK: - proxy (the broker's splice)

final class SpliceOnActive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let client: DataPlaneClient
    let endpoints: [WorkerEndpoint]
    let logger: Logger

    init(client: DataPlaneClient, endpoints: [WorkerEndpoint], logger: Logger) {
        self.client = client
        self.endpoints = endpoints
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let local = context.channel
        let logger = self.logger
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
        client.connect(to: endpoints, on: local.eventLoop).flatMap { connection in
            connection.outcome.whenSuccess { outcome in
                if let error = outcome.error { logger.warning("stream ended: \(error)") }
            }
            return connection.splice(with: local)
        }.whenFailure { error in
            logger.warning("connection refused: \(error)")
            local.close(promise: nil)
        }
        context.fireChannelActive()
    }
}

func runProxy(_ options: Options) async throws {
    let dir = try options.string("session-dir")
    let (host, port) = try hostPort(try options.string("listen"))
    let sessionID = String(decoding: try readFile(dir + "/session_id"), as: UTF8.self)
    let certificate = try readFile(dir + "/cert.der")
    let key = try readFile(dir + "/key.raw")
    let defaultWorker = String(decoding: try readFile(dir + "/worker"), as: UTF8.self)
    let workers = options.values["worker"] ?? [defaultWorker]
    let endpoints = try workers.map { text -> WorkerEndpoint in
        let address = try WorkerAddress(parsing: text)
        guard let endpoint = WorkerEndpoint(literal: address) else {
            throw Failure("worker \(text) must be an IP literal")
        }
        return endpoint
    }
    let logger = {
        var logger = Logger(label: "dataplane-check")
        logger.logLevel = .warning
        return logger
    }()
    let client = try DataPlaneClient(
        credentials: DataPlaneCredentials(
            sessionID: sessionID, certificateDER: certificate, privateKey: key, expiration: nil),
        tofuToken: TofuToken.generate(), logger: logger)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let listener = try await ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.autoRead, value: false)
        .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { local in
            local.eventLoop.makeCompletedFuture {
                try local.pipeline.syncOperations.addHandler(
                    SpliceOnActive(client: client, endpoints: endpoints, logger: logger))
            }
        }
        .bind(host: host, port: port).get()
    print("ready \(listener.localAddress!.port!)")
    fflush(nil)
    exitOnSignals()
    try await listener.closeFuture.get()
}

// MARK: - pump and churn (application side, blocking sockets)

func connectTCP(_ text: String) throws -> Int32 {
    let (host, port) = try hostPort(text)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    var tv = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = in_port_t(UInt16(port).bigEndian)
    guard inet_pton(AF_INET, host, &sin.sin_addr) == 1 else { throw Failure("\(host) is not an IPv4 literal") }
    let rc = withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard rc == 0 else { throw Failure("connect \(text): errno \(errno)") }
    return fd
}

final class Pattern: @unchecked Sendable {
    /// A prime period, so the pattern never lines up with frame or buffer sizes.
    static let period = 1_048_583
    let bytes: [UInt8]

    init() {
        var rng = SystemRandomNumberGenerator()
        let base = (0..<Self.period).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes = base + base.prefix(65536)
    }
}

func runPump(_ options: Options) throws {
    let megabytes = try options.int("megabytes")
    let total = megabytes * 1_000_000
    let pattern = Pattern()
    let fd = try connectTCP(try options.string("connect"))
    defer { close(fd) }
    let started = monotonic()
    var writer = pthread_t()
    final class Job: @unchecked Sendable {
        let fd: Int32, total: Int, pattern: Pattern
        init(fd: Int32, total: Int, pattern: Pattern) { (self.fd, self.total, self.pattern) = (fd, total, pattern) }
    }
    let job = Unmanaged.passRetained(Job(fd: fd, total: total, pattern: pattern)).toOpaque()
    pthread_create(
        &writer, nil,
        { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            var sent = 0
            while sent < job.total {
                let n = min(65536, job.total - sent)
                let offset = sent % Pattern.period
                let ok = job.pattern.bytes[offset..<(offset + n)].withUnsafeBytes { p -> Bool in
                    var done = 0
                    while done < n {
                        let w = write(job.fd, p.baseAddress! + done, n - done)
                        if w <= 0 { return false }
                        done += w
                    }
                    return true
                }
                if !ok { break }
                sent += n
            }
            return nil
        }, job)
    var received = 0
    var buffer = [UInt8](repeating: 0, count: 65536)
    while received < total {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min(65536, total - received)) }
        guard n > 0 else { throw Failure("echo ended after \(received) of \(total) bytes") }
        let offset = received % Pattern.period
        let equal = pattern.bytes[offset..<(offset + n)].withUnsafeBytes { p in
            buffer.withUnsafeBytes { memcmp(p.baseAddress!, $0.baseAddress!, n) == 0 }
        }
        guard equal else { throw Failure("echo differs within bytes \(received)..<\(received + n)") }
        received += n
    }
    pthread_join(writer, nil)
    let seconds = monotonic() - started
    print("echo \(megabytes) MB in \(String(seconds)) s: \(Int(Double(megabytes) / seconds)) MB/s, byte-exact")
}

func runChurn(_ options: Options) throws {
    let count = try options.int("connections")
    let target = try options.string("connect")
    let started = monotonic()
    for i in 0..<count {
        let fd = try connectTCP(target)
        let message = Array("connection \(i)\n".utf8)
        _ = message.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var got: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while got.count < message.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            got += buffer[..<n]
        }
        close(fd)
        guard got == message else { throw Failure("connection \(i): echo \(got.count) of \(message.count) bytes") }
    }
    let seconds = monotonic() - started
    print("churn \(count) connections in \(String(seconds)) s: \(Int(Double(count) / seconds))/s, all echoed")
}

// MARK: - main

let arguments = CommandLine.arguments
do {
    guard arguments.count >= 2 else {
        throw Failure("usage: dataplane-check worker|proxy|pump|churn --option value ...")
    }
    let options = try Options(arguments.dropFirst(2))
    switch arguments[1] {
    case "worker": try await runWorker(options)
    case "proxy": try await runProxy(options)
    case "pump": try runPump(options)
    case "churn": try runChurn(options)
    default: throw Failure("unknown command \(arguments[1])")
    }
} catch {
    let line = Array("dataplane-check: \(error)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}
