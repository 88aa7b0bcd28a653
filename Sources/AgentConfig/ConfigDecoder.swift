/// Turning parsed attributes into an `AgentConfiguration`: one decoder per key, each checking the
/// value's type and range and reporting what is wrong at the value's position.
extension AgentConfiguration {
    /// The biggest `dns_cache_size` accepted: a typo with extra zeros should not cost gigabytes.
    public static let maximumDNSCacheSize = 1_000_000
    /// sun_path holds 108 bytes including the terminating NUL (unix(7)).
    public static let maximumSocketPathLength = 107
    /// IFNAMSIZ (16) including the terminating NUL (netdevice(7)).
    public static let maximumInterfaceNameLength = 15
    /// The longest user or group name useradd(8) and groupadd(8) accept by default.
    public static let maximumAccountNameLength = 32

    /// Builds a configuration from `attributes`, starting from the defaults. Every problem is
    /// appended to `problems`; a key with a bad value keeps its default.
    static func decode(_ attributes: [HCLAttribute], problems: inout [(SourcePosition, String)])
        -> AgentConfiguration
    {
        var decoder = ConfigDecoder()
        var seen: [ConfigKey: SourcePosition] = [:]
        for attribute in attributes {
            guard let key = ConfigKey(rawValue: attribute.name) else {
                decoder.report(attribute.position, ConfigDecoder.unknownKeyMessage(attribute.name))
                continue
            }
            if let first = seen[key] {
                decoder.report(
                    attribute.position,
                    "duplicate key \"\(key)\": first set at line \(first.line), column \(first.column)")
                continue
            }
            seen[key] = attribute.position
            guard let value = attribute.value else {
                decoder.failed.insert(key)  // its problem is already reported
                continue
            }
            decoder.decode(key, value)
        }
        decoder.checkAcrossKeys()
        problems += decoder.problems
        return decoder.config
    }
}

struct ConfigDecoder {
    var config = AgentConfiguration()
    var problems: [(SourcePosition, String)] = []
    /// Keys whose value was refused; checks across keys skip them rather than pile on.
    var failed: Set<ConfigKey> = []
    /// Where and how each upstream server was written, for the checks across keys.
    var upstreamEntries: [(SourcePosition, String)] = []

    mutating func report(_ at: SourcePosition, _ message: String) {
        problems.append((at, message))
    }

    mutating func decode(_ key: ConfigKey, _ e: HCLExpression) {
        let before = problems.count
        switch key {
        case .aliasRefreshInterval: duration(key, e).map { config.aliasRefreshInterval = $0 }
        case .dnsRequestTimeout: duration(key, e).map { config.dnsRequestTimeout = $0 }
        case .interfaceToUse: interfaceName(key, e).map { config.interfaceToUse = $0 }
        case .logFile: path(key, e).map { config.logFile = $0 }
        case .logLevel: logLevel(key, e).map { config.logLevel = $0 }
        case .logToStdout: bool(key, e).map { config.logToStdout = $0 }
        case .operationalStateFile: path(key, e).map { config.operationalStateFile = $0 }
        case .overrideUpstreamDNSServers: upstreamServers(key, e).map { config.overrideUpstreamDNSServers = $0 }
        case .stateFile: path(key, e).map { config.stateFile = $0 }
        case .v4Prefix: v4Prefix(key, e).map { config.v4Prefix = $0 }
        case .v6Prefix: v6Prefix(key, e).map { config.v6Prefix = $0 }
        case .apiListenPort:
            integer(key, e, 0...65535, "is outside 0..65535 (0 turns the TCP API off)").map {
                config.apiListenPort = UInt16($0)
            }
        case .apiSocketPath: socketPath(key, e).map { config.apiSocketPath = $0 }
        case .dnsMode: dnsMode(key, e).map { config.dnsMode = $0 }
        case .resolvConfPath: path(key, e).map { config.resolvConfPath = $0 }
        case .dnsCacheSize:
            integer(
                key, e, 0...AgentConfiguration.maximumDNSCacheSize,
                "is outside 0..\(AgentConfiguration.maximumDNSCacheSize) (0 turns the cache off)"
            ).map { config.dnsCacheSize = $0 }
        case .adminGroup: accountName(key, e, allowEmpty: true).map { config.adminGroup = $0 }
        case .workerUser: workerUser(key, e).map { config.workerUser = $0 }
        case .tlsCAFile: path(key, e).map { config.tlsCAFile = $0 }
        case .tlsInsecure: bool(key, e).map { config.tlsInsecure = $0 }
        case .autoPauseFailures:
            integer(key, e, 0...Int.max, "must not be negative (0 never pauses)").map {
                config.autoPauseFailures = $0
            }
        case .autoPauseWindow: duration(key, e).map { config.autoPauseWindow = $0 }
        case .sessionIdleTimeout: duration(key, e).map { config.sessionIdleTimeout = $0 }
        case .maxConnectionsPerUser:
            integer(key, e, 1...Int.max, "must be at least 1").map { config.maxConnectionsPerUser = $0 }
        case .dnsQueriesPerUser:
            integer(
                key, e, 0...AgentConfiguration.maximumDNSQueriesPerUser,
                "is outside 0..\(AgentConfiguration.maximumDNSQueriesPerUser) (0 turns the limit off)"
            ).map { config.dnsQueriesPerUser = $0 }
        }
        if problems.count > before { failed.insert(key) }
    }

    // MARK: types

    mutating func typeMismatch(_ key: ConfigKey, _ e: HCLExpression, expected: String, hint: String = "") {
        report(e.position, "\(key) must be \(expected), not \(e.value.kindName)\(hint)")
    }

    mutating func string(_ key: ConfigKey, _ e: HCLExpression, expected: String = "a string") -> String? {
        guard case .string(let s) = e.value else {
            let hint: String
            if case .number(let n) = e.value { hint = "; write it in quotes: \"\(n)\"" } else { hint = "" }
            typeMismatch(key, e, expected: expected, hint: hint)
            return nil
        }
        return s
    }

    mutating func bool(_ key: ConfigKey, _ e: HCLExpression) -> Bool? {
        switch e.value {
        case .bool(let b):
            return b
        case .string(let s) where s.lowercased() == "true" || s.lowercased() == "false":
            typeMismatch(key, e, expected: "true or false", hint: "; remove the quotes")
        default:
            typeMismatch(key, e, expected: "true or false")
        }
        return nil
    }

    /// A whole number within `range`; `rangeMessage` follows "key N" when it is outside.
    mutating func integer(_ key: ConfigKey, _ e: HCLExpression, _ range: ClosedRange<Int>, _ rangeMessage: String)
        -> Int?
    {
        switch e.value {
        case .number(let text):
            guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
                report(e.position, "\(key) must be a whole number, not \(text)")
                return nil
            }
            guard let n = Int(text) else {
                report(e.position, "\(key) \(text) is too large")
                return nil
            }
            guard range.contains(n) else {
                report(e.position, "\(key) \(text) \(rangeMessage)")
                return nil
            }
            return n
        case .string(let s) where Int(s) != nil:
            typeMismatch(key, e, expected: "a number", hint: "; remove the quotes")
        default:
            typeMismatch(key, e, expected: "a whole number")
        }
        return nil
    }

    mutating func duration(_ key: ConfigKey, _ e: HCLExpression) -> Duration? {
        let s: String
        switch e.value {
        case .string(let text):
            s = text
        case .number(let n):
            typeMismatch(key, e, expected: "a duration string", hint: " (durations need a unit: write \"\(n)s\")")
            return nil
        default:
            typeMismatch(key, e, expected: "a duration string such as \"1m\"")
            return nil
        }
        switch GoDuration.parse(s) {
        case .failure(let why):
            report(e.position, "\(key) \"\(s)\" is not a duration: \(why)")
            return nil
        case .success(let d):
            guard d > .zero else {
                report(e.position, "\(key) must be positive, not \"\(s)\"")
                return nil
            }
            return d
        }
    }

    // MARK: names and paths

    mutating func path(_ key: ConfigKey, _ e: HCLExpression) -> String? {
        guard let s = string(key, e, expected: "a path string") else { return nil }
        guard s.hasPrefix("/") else {
            report(e.position, "\(key) must be an absolute path, not \"\(s)\"")
            return nil
        }
        guard !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            report(e.position, "\(key) must not contain control characters")
            return nil
        }
        return s
    }

    mutating func socketPath(_ key: ConfigKey, _ e: HCLExpression) -> String? {
        guard let s = path(key, e) else { return nil }
        let length = s.utf8.count
        guard length <= AgentConfiguration.maximumSocketPathLength else {
            report(
                e.position,
                "\(key) is \(length) bytes long; a unix socket path can have at most "
                    + "\(AgentConfiguration.maximumSocketPathLength)")
            return nil
        }
        return s
    }

    /// Linux's dev_valid_name() (net/core/dev.c): 1 to 15 bytes, not "." or "..", no "/", ":" or
    /// white space.
    mutating func interfaceName(_ key: ConfigKey, _ e: HCLExpression) -> String? {
        guard let s = string(key, e) else { return nil }
        let length = s.utf8.count
        if s.isEmpty {
            report(e.position, "\(key) must not be empty")
        } else if length > AgentConfiguration.maximumInterfaceNameLength {
            report(
                e.position,
                "\(key) \"\(s)\" is \(length) bytes long; Linux interface names have at most "
                    + "\(AgentConfiguration.maximumInterfaceNameLength)")
        } else if s == "." || s == ".."
            || s.utf8.contains(where: { $0 == ascii("/") || $0 == ascii(":") || $0 <= 0x20 || $0 == 0x7F })
        {
            report(e.position, "\(key) \"\(s)\" is not a valid interface name (no \"/\", \":\" or spaces)")
        } else {
            return s
        }
        return nil
    }

    /// A user or group name: what shadow-utils accepts by default, loosely (no ":", ",", "/", white
    /// space or control characters; at most 32 bytes; not starting with "-").
    mutating func accountName(_ key: ConfigKey, _ e: HCLExpression, allowEmpty: Bool) -> String? {
        guard let s = string(key, e) else { return nil }
        if s.isEmpty {
            if allowEmpty { return s }
            report(e.position, "\(key) must not be empty")
            return nil
        }
        let bad = s.utf8.contains {
            $0 <= 0x20 || $0 == 0x7F || $0 == ascii(":") || $0 == ascii(",") || $0 == ascii("/")
        }
        guard !bad, !s.hasPrefix("-"), s.utf8.count <= AgentConfiguration.maximumAccountNameLength else {
            let kind = key == .adminGroup ? "group" : "user"
            report(e.position, "\(key) \"\(s)\" is not a valid \(kind) name")
            return nil
        }
        return s
    }

    mutating func workerUser(_ key: ConfigKey, _ e: HCLExpression) -> String? {
        guard let s = accountName(key, e, allowEmpty: false) else { return nil }
        guard s != "root", s != "0" else {
            report(e.position, "\(key) must not be root: the workers' sandbox relies on an unprivileged user")
            return nil
        }
        return s
    }

    // MARK: enumerations

    mutating func logLevel(_ key: ConfigKey, _ e: HCLExpression) -> LogLevel? {
        guard let s = string(key, e) else { return nil }
        guard let level = LogLevel(configText: s) else {
            report(e.position, "\(key) \"\(s)\" is not one of trace, debug, info, warn, error")
            return nil
        }
        return level
    }

    mutating func dnsMode(_ key: ConfigKey, _ e: HCLExpression) -> DNSMode? {
        guard let s = string(key, e) else { return nil }
        guard let mode = DNSMode(configText: s) else {
            report(e.position, "\(key) \"\(s)\" is not one of auto, resolv.conf, systemd-resolved, off")
            return nil
        }
        return mode
    }
}
