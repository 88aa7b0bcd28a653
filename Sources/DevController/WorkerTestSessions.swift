/// A hidden, test-only way to put a session straight into the store, without the controller API:
/// the data-plane integration tests (`dataplane-check worker`) mint one and hand its certificate
/// and key to clients we did not write (`openssl s_client -cert -key`).
public struct MintedTestSession: Sendable {
    public var sessionID: String
    public var certificateDER: [UInt8]
    /// Boundary's 64 bytes: seed followed by public key.
    public var privateKey: [UInt8]
    /// The same key as PKCS#8 DER (RFC 8410), what OpenSSL's `-key` reads (after PEM armour).
    public var pkcs8: [UInt8] { DevWorker.pkcs8Ed25519Prefix + Array(privateKey.prefix(32)) }
    /// Seconds since the Unix epoch.
    public var expiration: Double
}

extension DevSessionStore {
    /// A new pending session for user `u_1234567890` on target `ttcp_1234567890`, with a session
    /// certificate naming `workerAddresses`, proxying to `endpointHost:endpointPort`.
    public func mintTestSession(
        workerAddresses: [String], endpointHost: String, endpointPort: Int, connectionLimit: Int32 = -1,
        lifetime: Double = 3600
    ) throws -> MintedTestSession {
        let now = DevSessionStore.now()
        let id = "s_" + DevIDs.random(count: 10)
        let material = try SessionCertificateFactory.make(
            sessionID: id, workerAddresses: workerAddresses, expiration: now + lifetime, now: now)
        insert(
            Session(
                id: id, userID: "u_1234567890", authTokenID: "at_1234567890", targetID: "ttcp_1234567890",
                scopeID: "p_1234567890", endpointHost: endpointHost, endpointPort: endpointPort, createdTime: now,
                updatedTime: now, expiration: now + lifetime, certificateDER: material.certificateDER,
                privateKey: material.privateKey, connectionLimit: connectionLimit))
        return MintedTestSession(
            sessionID: id, certificateDER: material.certificateDER, privateKey: material.privateKey,
            expiration: now + lifetime)
    }
}
