#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads and checks the configuration file. The root helper calls `load(path:)` (or `readText`
/// then `parse`, to pass the same text to the workers, which parse it with `parse(_:path:)` since
/// they cannot open files inside their sandbox). Every problem is collected; any problem rejects
/// the file with a `ConfigError` listing them all, sorted by position.
public enum ConfigLoader {
    /// A configuration file is a page of text; anything bigger is a mistake (or an attack on the
    /// root helper's memory).
    public static let maximumFileSize = 1 << 20
    /// Past this many problems the rest are noise (a binary file, the wrong file).
    public static let maximumDiagnostics = 100

    /// Reads, parses and validates the file at `path`.
    public static func load(path: String) throws(ConfigError) -> AgentConfiguration {
        try parse(bytes: readBytes(path: path), path: path)
    }

    /// The file's text, checked to be UTF-8, for `parse(_:path:)` here and in the workers.
    public static func readText(path: String) throws(ConfigError) -> String {
        let bytes = try readBytes(path: path)
        try checkUTF8(bytes, path: path)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses and validates configuration text. `path` only names the file in messages.
    public static func parse(_ text: String, path: String) throws(ConfigError) -> AgentConfiguration {
        try finish(check(Array(text.utf8), path: path))
    }

    /// Like `parse(_:path:)` for raw bytes (as they arrive over IPC); invalid UTF-8 is a problem
    /// reported at its position.
    public static func parse(bytes: [UInt8], path: String) throws(ConfigError) -> AgentConfiguration {
        try checkUTF8(bytes, path: path)
        return try finish(check(bytes, path: path))
    }

    /// Every problem in `text`, sorted, without throwing; empty for a good file. The configuration
    /// holds the defaults for keys that had a problem.
    public static func diagnose(_ text: String, path: String) -> (AgentConfiguration, [ConfigDiagnostic]) {
        check(Array(text.utf8), path: path)
    }

    // MARK: checking

    static func check(_ bytes: [UInt8], path: String) -> (AgentConfiguration, [ConfigDiagnostic]) {
        let (attributes, syntax) = HCLParser.parse(bytes: bytes, path: path)
        var problems: [(SourcePosition, String)] = []
        let config = AgentConfiguration.decode(attributes, problems: &problems)
        let all = syntax + problems.map { ConfigDiagnostic(path: path, position: $0.0, message: $0.1) }
        return (config, sorted(all, path: path))
    }

    /// By position (whole-file problems first), equal positions in the order found; cut to
    /// `maximumDiagnostics` with a last line saying so.
    static func sorted(_ diagnostics: [ConfigDiagnostic], path: String) -> [ConfigDiagnostic] {
        var result = diagnostics.enumerated().sorted { a, b in
            let pa = a.element.position ?? SourcePosition(line: 0, column: 0)
            let pb = b.element.position ?? SourcePosition(line: 0, column: 0)
            return pa != pb ? pa < pb : a.offset < b.offset
        }.map(\.element)
        if result.count > maximumDiagnostics {
            let total = result.count
            result.removeLast(total - maximumDiagnostics)
            result.append(
                ConfigDiagnostic(
                    path: path, position: nil,
                    message: "\(total) problems; only the first \(maximumDiagnostics) are shown"))
        }
        return result
    }

    static func finish(_ checked: (AgentConfiguration, [ConfigDiagnostic])) throws(ConfigError) -> AgentConfiguration {
        guard checked.1.isEmpty else { throw ConfigError(diagnostics: checked.1) }
        return checked.0
    }

    static func fileError(_ path: String, _ message: String) -> ConfigError {
        ConfigError(diagnostics: [ConfigDiagnostic(path: path, position: nil, message: message)])
    }

    /// The position of the first byte that is not well-formed UTF-8 (Unicode 15, table 3-7:
    /// no overlong forms, no surrogates, nothing above U+10FFFF), or nil.
    static func checkUTF8(_ bytes: [UInt8], path: String) throws(ConfigError) {
        var i = 0
        var line = 1
        var column = 1
        while i < bytes.count {
            let b = bytes[i]
            var length = 0
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                upper = 0x9F
            case 0xF0:
                length = 4
                lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                upper = 0x8F
            default: length = 0
            }
            var valid = length > 0 && i + length <= bytes.count
            if valid && length > 1 {
                valid = (lower...upper).contains(bytes[i + 1])
                for k in 2..<max(2, length) where valid { valid = (0x80...0xBF).contains(bytes[i + k]) }
            }
            guard valid else {
                throw ConfigError(diagnostics: [
                    ConfigDiagnostic(
                        path: path, position: SourcePosition(line: line, column: column),
                        message: "the file is not valid UTF-8 text (byte 0x\(String(b, radix: 16, uppercase: true)))")
                ])
            }
            if b == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += length
        }
    }

    // MARK: reading

    /// The whole file, at most `maximumFileSize` bytes. When running as root, the file must be
    /// owned by root and writable by nobody else: its keys name files the helper writes as root
    /// (`resolv_conf_path`, `state_file`), so whoever can edit it can write those (sshd's
    /// StrictModes checks the same).
    static func readBytes(path: String) throws(ConfigError) -> [UInt8] {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }
        guard fd >= 0 else { throw fileError(path, "cannot open: \(errorText(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fileError(path, "cannot stat: \(errorText(errno))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw fileError(path, "not a regular file") }
        if geteuid() == 0 {
            guard info.st_uid == 0 else {
                throw fileError(path, "owned by uid \(info.st_uid); root reads this file, so it must be owned by root")
            }
            guard info.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
                throw fileError(
                    path,
                    "writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); "
                        + "root reads this file, so only root may write it (chmod go-w)")
            }
        }
        guard info.st_size <= maximumFileSize else { throw tooBig(path, Int(info.st_size)) }
        // Read one byte past the limit so a file that grew after fstat is still caught.
        var bytes = [UInt8](repeating: 0, count: maximumFileSize + 1)
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                retryingEINTR { read(fd, buffer.baseAddress! + filled, buffer.count - filled) }
            }
            if n < 0 { throw fileError(path, "cannot read: \(errorText(errno))") }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maximumFileSize else { throw tooBig(path, filled) }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    static func tooBig(_ path: String, _ size: Int) -> ConfigError {
        fileError(path, "too big: \(size) bytes; a configuration file may have at most \(maximumFileSize) (1 MiB)")
    }

    static func retryingEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
