/// Writing a configuration back as HCL text: for `status`, for tests (text → parse → same value)
/// and for tools that generate a file. `ConfigLoader.parse(hclText)` gives back an equal value.
extension AgentConfiguration {
    /// The value of `key` as an HCL literal (`"1m"`, `false`, `["8.8.8.8:53"]`); nil when the key is
    /// unset (`tls_ca_file` with no value), which HCL can only express by leaving the key out.
    public func hclLiteral(for key: ConfigKey) -> String? {
        switch key {
        case .aliasRefreshInterval: return HCLText.quoted(aliasRefreshInterval.goStyleDescription)
        case .dnsRequestTimeout: return HCLText.quoted(dnsRequestTimeout.goStyleDescription)
        case .interfaceToUse: return HCLText.quoted(interfaceToUse)
        case .logFile: return HCLText.quoted(logFile)
        case .logLevel: return HCLText.quoted(logLevel.rawValue)
        case .logToStdout: return String(logToStdout)
        case .operationalStateFile: return HCLText.quoted(operationalStateFile)
        case .overrideUpstreamDNSServers:
            return "[" + overrideUpstreamDNSServers.map { HCLText.quoted($0.description) }.joined(separator: ", ") + "]"
        case .stateFile: return HCLText.quoted(stateFile)
        case .v4Prefix: return HCLText.quoted(v4Prefix.description)
        case .v6Prefix: return HCLText.quoted(v6Prefix.description)
        case .apiListenPort: return String(apiListenPort)
        case .apiSocketPath: return HCLText.quoted(apiSocketPath)
        case .dnsMode: return HCLText.quoted(dnsMode.rawValue)
        case .resolvConfPath: return HCLText.quoted(resolvConfPath)
        case .dnsCacheSize: return String(dnsCacheSize)
        case .adminGroup: return HCLText.quoted(adminGroup)
        case .workerUser: return HCLText.quoted(workerUser)
        case .tlsCAFile: return tlsCAFile.map(HCLText.quoted)
        case .tlsInsecure: return String(tlsInsecure)
        case .autoPauseFailures: return String(autoPauseFailures)
        case .autoPauseWindow: return HCLText.quoted(autoPauseWindow.goStyleDescription)
        case .sessionIdleTimeout: return HCLText.quoted(sessionIdleTimeout.goStyleDescription)
        case .maxConnectionsPerUser: return String(maxConnectionsPerUser)
        case .dnsQueriesPerUser: return String(dnsQueriesPerUser)
        }
    }

    /// Every key that has a value, one `key = value` line each, in key table order.
    public var hclText: String {
        ConfigKey.allCases.compactMap { key in hclLiteral(for: key).map { "\(key) = \($0)\n" } }.joined()
    }
}

enum HCLText {
    /// A quoted HCL string that reads back as `s`: the escapes the lexer reads, and "$${"/"%%{" so
    /// nothing is taken for a template.
    static func quoted(_ s: String) -> String {
        var out = "\""
        var previous: Unicode.Scalar?
        // Scalars, not Characters: "\r\n" is one Character but two escapes.
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "{" where previous == "$" || previous == "%":
                out.unicodeScalars.append(previous ?? "$")
                out += "{"
            default:
                if c.value < 0x20 || c.value == 0x7F {
                    out += "\\u" + hex(c.value)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
            previous = c
        }
        return out + "\""
    }
}
