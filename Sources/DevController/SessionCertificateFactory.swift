import Crypto
import X509

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Makes a session's key and certificate exactly as Boundary's controller does
/// (`internal/session/session.go` `newCert`, boundary-protocol.md §2): a new Ed25519 key, and a
/// self-signed X.509 v3 certificate with an empty subject and issuer, a random 63-bit serial,
/// CA:TRUE, KeyUsage digitalSignature|keyEncipherment|keyAgreement|keyCertSign, EKU serverAuth +
/// clientAuth, DNS SANs (the session id, then worker host names), IP SANs for worker IP literals,
/// valid from one minute ago until the session's expiration.
///
/// What Go's `x509.CreateCertificate` adds on its own is reproduced too: basicConstraints and
/// keyUsage are critical, the SAN extension is critical because the subject is empty (RFC 5280
/// §4.2.1.6), and a CA certificate gets a SubjectKeyIdentifier (SHA-1 of the public key).
public enum SessionCertificateFactory {
    public struct Material: Sendable {
        /// DER of the certificate.
        public var certificateDER: [UInt8]
        /// Go's `ed25519.PrivateKey`: 32-byte seed followed by the 32-byte public key.
        public var privateKey: [UInt8]
    }

    public enum FactoryError: Error, CustomStringConvertible {
        case invalidWorkerAddress(String)
        case certificate(String)

        public var description: String {
            switch self {
            case .invalidWorkerAddress(let a): return "worker address \"\(a)\" is not host or host:port"
            case .certificate(let why): return "cannot build the session certificate: \(why)"
            }
        }
    }

    /// - Parameters:
    ///   - sessionID: `s_…`, the first DNS SAN.
    ///   - workerAddresses: the addresses put in `worker_info` (`host:port`, `[v6]:port` or a bare host).
    ///   - expiration: seconds since the Unix epoch; also NotAfter.
    ///   - now: seconds since the Unix epoch; NotBefore is one minute earlier.
    public static func make(sessionID: String, workerAddresses: [String], expiration: Double, now: Double) throws
        -> Material
    {
        let key = Curve25519.Signing.PrivateKey()
        var dnsNames = [sessionID]
        var ipAddresses: [[UInt8]] = []
        for address in workerAddresses {
            let host = try Self.host(of: address)
            if let ip = Self.ipBytes(host) {
                ipAddresses.append(ip)
            } else {
                dnsNames.append(host)
            }
        }
        let publicKeyBytes = Array(key.publicKey.rawRepresentation)
        do {
            let extensions = try Certificate.Extensions {
                Critical(
                    KeyUsage(digitalSignature: true, keyEncipherment: true, keyAgreement: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                SubjectKeyIdentifier(keyIdentifier: ArraySlice(Insecure.SHA1.hash(data: publicKeyBytes)))
                Certificate.Extension(
                    oid: .X509ExtensionID.subjectAlternativeName, critical: true,
                    value: ArraySlice(subjectAlternativeNames(dns: dnsNames, ips: ipAddresses)))
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(bytes: randomSerial()),
                publicKey: Certificate.PublicKey(key.publicKey),
                notValidBefore: Date(timeIntervalSince1970: (now - 60).rounded(.down)),
                notValidAfter: Date(timeIntervalSince1970: expiration.rounded(.down)),
                issuer: DistinguishedName(),
                subject: DistinguishedName(),
                signatureAlgorithm: .ed25519,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key))
            let der = try certificate.serializeAsPEM().derBytes
            return Material(certificateDER: der, privateKey: Array(key.rawRepresentation) + publicKeyBytes)
        } catch {
            throw FactoryError.certificate("\(error)")
        }
    }

    /// `big.NewInt(mathrand.Int63())`: a positive 63-bit integer, as minimal DER INTEGER content.
    static func randomSerial() -> [UInt8] {
        var value = Int64.random(in: 1...Int64.max)
        var bytes: [UInt8] = []
        while value > 0 {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        }
        // The top bit is the sign in DER; a positive number starting ≥ 0x80 gets a zero byte.
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return bytes
    }

    /// `net.SplitHostPort`, or the whole text when it has no port (as `newCert` does).
    static func host(of address: String) throws -> String {
        let b = Array(address.utf8)
        if b.first == UInt8(ascii: "[") {
            guard let close = b.firstIndex(of: UInt8(ascii: "]")) else {
                throw FactoryError.invalidWorkerAddress(address)
            }
            return String(decoding: b[1..<close], as: UTF8.self)
        }
        let colons = b.filter { $0 == UInt8(ascii: ":") }.count
        if colons == 1, let colon = b.firstIndex(of: UInt8(ascii: ":")) {
            return String(decoding: b[..<colon], as: UTF8.self)
        }
        guard !b.isEmpty else { throw FactoryError.invalidWorkerAddress(address) }
        return address  // a bare host, or a bare v6 literal
    }

    /// The 4 or 16 bytes of an IP literal (Go's `net.ParseIP`), nil for a DNS name.
    static func ipBytes(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// DER of `GeneralNames` (RFC 5280 §4.2.1.6) in Go's order: every dNSName `[2] IA5String`,
    /// then every iPAddress `[7] OCTET STRING`.
    static func subjectAlternativeNames(dns: [String], ips: [[UInt8]]) -> [UInt8] {
        var body: [UInt8] = []
        for name in dns { body += [0x82] + derLength(name.utf8.count) + Array(name.utf8) }
        for ip in ips { body += [0x87] + derLength(ip.count) + ip }
        return [0x30] + derLength(body.count) + body
    }

    static func derLength(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 {
            bytes.insert(UInt8(v & 0xFF), at: 0)
            v >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}
