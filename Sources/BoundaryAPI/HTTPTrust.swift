import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// How the HTTP client checks a controller's TLS certificate. The roots are loaded up front
/// (before a sandbox closes the file system): nothing here opens a file during a request.
public enum HTTPTrust: Sendable {
    /// Verify the chain against these roots and the host name (or IP) against the certificate.
    case roots([NIOSSLCertificate])
    /// No verification at all (`tls_insecure`, dev only).
    case insecure

    /// Where Linux distributions keep the system bundle (the same list NIOSSL searches).
    public static let systemBundlePaths = [
        "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Arch, Alpine
        "/etc/pki/tls/certs/ca-bundle.crt",  // Fedora, RHEL
    ]

    /// Every certificate of a PEM bundle (`tls_ca_file`, `BOUNDARY_CACERT`).
    public static func loadPEMBundle(path: String) throws -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw ControllerError.invalidArgument("cannot read CA bundle \(path): \(error)")
        }
        guard !certificates.isEmpty else { throw ControllerError.invalidArgument("no certificate in \(path)") }
        return certificates
    }

    /// The system bundle, from the first path that exists.
    public static func loadSystemRoots() throws -> [NIOSSLCertificate] {
        var lastError: Error = ControllerError.invalidArgument("no system CA bundle found")
        for path in systemBundlePaths {
            do {
                return try loadPEMBundle(path: path)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// The Go client's environment overrides: `BOUNDARY_CACERT` (a PEM bundle path) and
    /// `BOUNDARY_TLS_INSECURE` (`true`/`1`). For the CLI; the agent uses its config keys.
    public static var environmentCAFile: String? {
        guard let value = getenv("BOUNDARY_CACERT").map({ String(cString: $0) }), !value.isEmpty else { return nil }
        return value
    }

    public static var environmentInsecure: Bool {
        guard let value = getenv("BOUNDARY_TLS_INSECURE").map({ String(cString: $0).lowercased() }) else {
            return false
        }
        return value == "true" || value == "1"
    }

    /// `tls_ca_file` when given, else the system bundle; `insecure` wins over both.
    public static func load(caFile: String?, insecure: Bool) throws -> HTTPTrust {
        if insecure { return .insecure }
        if let caFile { return .roots(try loadPEMBundle(path: caFile)) }
        return .roots(try loadSystemRoots())
    }
}
