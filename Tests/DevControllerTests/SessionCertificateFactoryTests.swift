import Crypto
import Foundation
import X509
import XCTest

@testable import DevController

/// The session certificate exactly as boundary-protocol.md §2 / `internal/session/session.go` makes it.
final class SessionCertificateFactoryTests: XCTestCase {
    func testCertificateFields() throws {
        let now = 1_790_000_000.0
        let material = try SessionCertificateFactory.make(
            sessionID: "s_1234567890",
            workerAddresses: ["127.0.0.1:9202", "worker.example.com:9202", "[::1]:9202", "bare-host"],
            expiration: now + 28800, now: now)
        let cert = try Certificate(derEncoded: material.certificateDER)
        XCTAssertEqual(cert.version, .v3)
        XCTAssertEqual(cert.subject, DistinguishedName(), "empty subject")
        XCTAssertEqual(cert.issuer, DistinguishedName(), "self-signed, empty issuer")
        XCTAssertEqual(cert.signatureAlgorithm, .ed25519)
        XCTAssertEqual(cert.notValidBefore, Date(timeIntervalSince1970: now - 60))
        XCTAssertEqual(cert.notValidAfter, Date(timeIntervalSince1970: now + 28800))
        let serial = Array(cert.serialNumber.bytes)
        XCTAssertLessThanOrEqual(serial.count, 8, "a 63-bit serial")
        XCTAssertEqual(serial.first.map { $0 & 0x80 }, 0, "positive")

        let basic = try XCTUnwrap(cert.extensions.basicConstraints)
        XCTAssertEqual(basic, .isCertificateAuthority(maxPathLength: nil))
        XCTAssertEqual(cert.extensions[oid: .X509ExtensionID.basicConstraints]?.critical, true)
        let usage = try XCTUnwrap(cert.extensions.keyUsage)
        XCTAssertEqual(
            usage, KeyUsage(digitalSignature: true, keyEncipherment: true, keyAgreement: true, keyCertSign: true))
        XCTAssertEqual(cert.extensions[oid: .X509ExtensionID.keyUsage]?.critical, true)
        XCTAssertEqual(
            try XCTUnwrap(cert.extensions.extendedKeyUsage), try ExtendedKeyUsage([.serverAuth, .clientAuth]))
        let names = try XCTUnwrap(cert.extensions.subjectAlternativeNames)
        XCTAssertEqual(
            Array(names),
            [
                .dnsName("s_1234567890"), .dnsName("worker.example.com"), .dnsName("bare-host"),
                .ipAddress(.init(contentBytes: [127, 0, 0, 1])),
                .ipAddress(.init(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ], "session id first, then worker names, then worker IPs")
        XCTAssertEqual(
            cert.extensions[oid: .X509ExtensionID.subjectAlternativeName]?.critical, true,
            "critical because the subject is empty")
        XCTAssertNotNil(try cert.extensions.subjectKeyIdentifier, "Go adds one to CA certificates")

        // The 64-byte key is seed ‖ public key, and it signed the certificate.
        XCTAssertEqual(material.privateKey.count, 64)
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: material.privateKey.prefix(32))
        XCTAssertEqual(Array(key.publicKey.rawRepresentation), Array(material.privateKey.suffix(32)))
        XCTAssertEqual(cert.publicKey, Certificate.PublicKey(key.publicKey))
        XCTAssertTrue(cert.publicKey.isValidSignature(cert.signature, for: cert))
    }

    func testEveryCallMakesANewKeyAndSerial() throws {
        let a = try SessionCertificateFactory.make(
            sessionID: "s_a", workerAddresses: ["127.0.0.1:9202"], expiration: 2e9, now: 1.9e9)
        let b = try SessionCertificateFactory.make(
            sessionID: "s_a", workerAddresses: ["127.0.0.1:9202"], expiration: 2e9, now: 1.9e9)
        XCTAssertNotEqual(a.privateKey, b.privateKey)
        XCTAssertNotEqual(
            try Certificate(derEncoded: a.certificateDER).serialNumber,
            try Certificate(derEncoded: b.certificateDER).serialNumber)
    }

    func testBadWorkerAddressIsAnError() {
        XCTAssertThrowsError(
            try SessionCertificateFactory.make(sessionID: "s_a", workerAddresses: ["[::1"], expiration: 2e9, now: 1.9e9)
        )
    }

    func testDERLengths() {
        XCTAssertEqual(SessionCertificateFactory.derLength(5), [5])
        XCTAssertEqual(SessionCertificateFactory.derLength(127), [127])
        XCTAssertEqual(SessionCertificateFactory.derLength(128), [0x81, 0x80])
        XCTAssertEqual(SessionCertificateFactory.derLength(300), [0x82, 0x01, 0x2C])
    }
}
