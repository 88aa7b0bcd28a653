import NIOSSL

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

    /// `tls_ca_file` when given, else the system bundle; `insecure` wins over both.
    public static func load(caFile: String?, insecure: Bool) throws -> HTTPTrust {
        if insecure { return .insecure }
        if let caFile { return .roots(try loadPEMBundle(path: caFile)) }
        return .roots(try loadSystemRoots())
    }
}
