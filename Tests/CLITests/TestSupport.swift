import AgentCLI
import BoundaryWire
import Foundation
import XCTest

/// A local API stand-in on a real unix socket: answers each connection with the next canned
/// response and records the raw requests. The CLI's own socket client talks to it.
final class CannedServer: @unchecked Sendable {
    let path: String
    private let fd: CInt
    private let lock = NSLock()
    private var _requests: [String] = []
    private var responses: [String]
    private let done = DispatchSemaphore(value: 0)

    var requests: [String] { lock.withLock { _requests } }

    init(responses: [String]) throws {
        path = "/tmp/bca-clitest-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        self.responses = responses
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0, listen(fd, 8) == 0 else { throw CLIError.io("bind \(path)") }
        let count = responses.count
        Thread.detachNewThread { [self] in
            for i in 0..<count { serve(self.responses[i]) }
            done.signal()
        }
    }

    /// One response with a JSON body.
    static func json(_ status: Int, _ body: String, reason: String = "OK") -> String {
        "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n\(body)"
    }

    private func serve(_ response: String) {
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return }
        defer { close(client) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer[0..<n]
            let text = String(decoding: received, as: UTF8.self)
            if let headEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headEnd.lowerBound].lowercased()
                var length = 0
                if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
                    length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
                if text.utf8.count - text[..<headEnd.upperBound].utf8.count >= length { break }
            }
        }
        lock.withLock { _requests.append(String(decoding: received, as: UTF8.self)) }
        _ = response.withCString { write(client, $0, strlen($0)) }
    }

    func finish() {
        close(fd)
        unlink(path)
    }
}

/// Canned terminal and files.
final class FakeInput: SecretInput {
    var terminal: Bool
    var secretAnswers: [String] = []
    var lineAnswers: [String] = []
    var standardInput: [UInt8] = []
    var files: [String: String] = [:]
    private(set) var prompts: [String] = []

    init(terminal: Bool = false) {
        self.terminal = terminal
    }

    var standardInputIsTerminal: Bool { terminal }

    func readSecret(prompt: String) throws -> String {
        prompts.append(prompt)
        guard terminal, !secretAnswers.isEmpty else { throw CLIError.input("no terminal") }
        return secretAnswers.removeFirst()
    }

    func readLine(prompt: String) throws -> String {
        prompts.append(prompt)
        guard terminal, !lineAnswers.isEmpty else { throw CLIError.input("no terminal") }
        return lineAnswers.removeFirst()
    }

    func readStandardInput(limit: Int) throws -> [UInt8] { standardInput }

    func readFile(path: String, limit: Int) throws -> [UInt8] {
        guard let text = files[path] else { throw CLIError.input("cannot open \(path)") }
        return Array(text.utf8)
    }
}

/// A controller that accepts one login and hands out a fixed token.
final class FakeLogin: ControllerLogin {
    static let secretToken = "at_1234567890_s1SecretPartOfTheTokenXYZ"
    var requests: [LoginRequest] = []
    var failure: CLIError?

    func authenticate(_ request: LoginRequest) throws -> AuthToken {
        requests.append(request)
        if let failure { throw failure }
        return AuthToken(
            id: "at_1234567890", token: Self.secretToken, userID: "u_0987654321", authMethodID: request.authMethodID,
            accountID: "acctpw_0987654321", expirationTime: Timestamp(seconds: 1_800_000_000 + 7 * 86400))
    }
}

/// A context with captured output and fixed clock, uid and names.
struct TestWorld {
    let out = BufferOutput()
    let err = BufferOutput()
    let input: FakeInput
    let login = FakeLogin()
    var context: CLIContext

    init(environment: [String: String] = [:], terminal: Bool = false, socketExists: Bool = false) {
        input = FakeInput(terminal: terminal)
        context = CLIContext(
            environment: environment, standardOutput: out, standardError: err, input: input,
            now: { Timestamp(seconds: 1_800_000_000) }, socketExists: { _ in socketExists }, login: login,
            readResolvConf: { _ in "nameserver 100.64.0.1\n" }, uid: 1001, userName: { $0 == 1001 ? "alice" : nil })
    }

    func run(_ arguments: [String]) -> Int32 {
        CLIMain.run(arguments, context: context)
    }
}
