import Crypto
import Logging
import X509
import XCTest

@testable import BoundaryAPI

/// `DataPlaneClient.init` checks the session's key material before any connection (trap 3).
final class DataPlaneCredentialTests: XCTestCase {
    let logger = Logger(label: "test")

    func certificate(for key: Curve25519.Signing.PrivateKey) throws -> [UInt8] {
        let now = Date()
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 60,
            notValidAfter: now + 3600, issuer: DistinguishedName(), subject: DistinguishedName(),
            signatureAlgorithm: .ed25519,
            extensions: Certificate.Extensions {
                SubjectAlternativeNames([.dnsName("s_1234567890")])
            }, issuerPrivateKey: .init(key))
        return try cert.serializeAsPEM().derBytes
    }

    func credentials(key: [UInt8], cert: [UInt8], id: String = "s_1234567890") -> DataPlaneCredentials {
        DataPlaneCredentials(sessionID: id, certificateDER: cert, privateKey: key, expiration: nil)
    }

    func testGoodCredentialsBuildAClient() throws {
        let key = Curve25519.Signing.PrivateKey()
        let raw = Array(key.rawRepresentation) + Array(key.publicKey.rawRepresentation)
        let client = try DataPlaneClient(
            credentials: credentials(key: raw, cert: try certificate(for: key)), tofuToken: TofuToken.generate(),
            logger: logger)
        XCTAssertEqual(client.sessionID, "s_1234567890")
    }

    func testBadCredentialsAreRefused() throws {
        let key = Curve25519.Signing.PrivateKey()
        let other = Curve25519.Signing.PrivateKey()
        let raw = Array(key.rawRepresentation) + Array(key.publicKey.rawRepresentation)
        let cert = try certificate(for: key)
        let cases: [(DataPlaneCredentials, String, String)] = [
            (credentials(key: Array(raw.prefix(32)), cert: cert), TofuToken.generate(), "32-byte key"),
            (
                credentials(key: Array(key.rawRepresentation) + Array(other.publicKey.rawRepresentation), cert: cert),
                TofuToken.generate(), "public half of another key"
            ),
            (
                credentials(key: raw, cert: try certificate(for: other)), TofuToken.generate(),
                "certificate of another key"
            ),
            (credentials(key: raw, cert: [0x30, 0x00]), TofuToken.generate(), "not a certificate"),
            (
                credentials(
                    key: Array(other.rawRepresentation) + Array(key.publicKey.rawRepresentation), cert: cert),
                TofuToken.generate(), "seed of another key (public half and certificate agree)"
            ),
            (credentials(key: raw, cert: cert, id: ""), TofuToken.generate(), "empty session id"),
            (credentials(key: raw, cert: cert, id: "s_with space"), TofuToken.generate(), "session id with a space"),
            (credentials(key: raw, cert: cert), "short", "tofu token of 5 characters"),
        ]
        for (credentials, tofu, what) in cases {
            XCTAssertThrowsError(try DataPlaneClient(credentials: credentials, tofuToken: tofu, logger: logger), what)
        }
    }
}
