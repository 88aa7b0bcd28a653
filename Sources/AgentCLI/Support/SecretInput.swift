#if canImport(Glibc)
    import Glibc
#endif

/// Where `login` and `token add` read what they do not take from argv: the terminal (with or
/// without echo), standard input and `file://` paths. Tests substitute canned answers.
public protocol SecretInput: AnyObject {
    /// Whether standard input is a terminal (a prompt is possible).
    var standardInputIsTerminal: Bool { get }
    /// Asks on the terminal with echo off; the terminal is restored on every way out.
    func readSecret(prompt: String) throws -> String
    /// Asks on the terminal with echo on.
    func readLine(prompt: String) throws -> String
    /// All of standard input, at most `limit` bytes.
    func readStandardInput(limit: Int) throws -> [UInt8]
    /// A whole file, at most `limit` bytes.
    func readFile(path: String, limit: Int) throws -> [UInt8]
}

/// The real terminal and files. Prompts go to standard error so `-format json` output on standard
/// output stays clean.
public final class TerminalInput: SecretInput {
    /// A line typed at a prompt.
    public static let maximumLineBytes = 4096

    public init() {}

    public var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    public func readSecret(prompt: String) throws -> String {
        guard standardInputIsTerminal else { throw CLIError.input("standard input is not a terminal") }
        FileDescriptorOutput(fd: STDERR_FILENO).write(prompt)
        let guardian = try EchoGuard.disable(fd: STDIN_FILENO)
        defer { guardian.restore() }
        do {
            return try Self.readTerminalLine(fd: STDIN_FILENO)
        } catch {
            // Ctrl-D leaves the cursor after the prompt: end the line before the error.
            FileDescriptorOutput(fd: STDERR_FILENO).write("\n")
            throw error
        }
    }

    public func readLine(prompt: String) throws -> String {
        guard standardInputIsTerminal else { throw CLIError.input("standard input is not a terminal") }
        FileDescriptorOutput(fd: STDERR_FILENO).write(prompt)
        return try Self.readTerminalLine(fd: STDIN_FILENO)
    }

    public func readStandardInput(limit: Int) throws -> [UInt8] {
        try Self.readAll(fd: STDIN_FILENO, limit: limit, what: "standard input")
    }

    public func readFile(path: String, limit: Int) throws -> [UInt8] {
        try Self.readFileBytes(path: path, limit: limit)
    }

    static func readFileBytes(path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CLIError.input("cannot open \(path): \(LocalHTTPClient.errnoText(errno))")
        }
        defer { close(fd) }
        return try Self.readAll(fd: fd, limit: limit, what: path)
    }

    /// One line from a terminal in canonical mode: up to the newline, without it. EOF (Ctrl-D) on
    /// an empty line is an error.
    static func readTerminalLine(fd: CInt) throws -> String {
        var line: [UInt8] = []
        defer { for i in line.indices { line[i] = 0 } }
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError.input("reading the terminal failed: \(LocalHTTPClient.errnoText(errno))")
            }
            if n == 0 {
                if line.isEmpty { throw CLIError.input("nothing was entered") }
                break
            }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
            guard line.count <= maximumLineBytes else { throw CLIError.input("the line is too long") }
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }

    static func readAll(fd: CInt, limit: Int, what: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer { for i in buffer.indices { buffer[i] = 0 } }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError.input("cannot read \(what): \(LocalHTTPClient.errnoText(errno))")
            }
            if n == 0 { return out }
            guard out.count + n <= limit else { throw CLIError.input("\(what) is larger than \(limit) bytes") }
            out.append(contentsOf: buffer[0..<n])
        }
    }
}
