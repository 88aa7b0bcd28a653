/// `controller.api.resources.targets.v1.SessionAuthorizationData` (boundary-protocol.md §2): what
/// the `authorization_token` of an authorize-session answer decodes to. Field numbers (and the
/// tag bytes they make) are the upstream ones; 50/60/70/95/100/110/115 do not exist here.
///
/// `authorization_token = base58(protobuf(SessionAuthorizationData))`, Bitcoin alphabet, no prefix.
public struct SessionAuthorizationData: Sendable, Equatable {
    public var sessionID: String
    public var targetID: String
    public var scope: ScopeInfo?
    public var createdTime: Timestamp?
    public var type: String
    /// -1 = unlimited (a 10-byte varint on the wire).
    public var connectionLimit: Int32
    public var endpointPort: UInt32
    /// The session's hard deadline.
    public var expiration: Timestamp?
    /// DER of the self-signed Ed25519 session certificate.
    public var certificate: [UInt8]
    /// Go's `ed25519.PrivateKey`: 32-byte seed followed by the 32-byte public key.
    public var privateKey: [UInt8]
    public var hostID: String
    /// `tcp://host:port`.
    public var endpoint: String
    /// Workers to try, in order (the controller shuffles them).
    public var workerInfo: [WorkerInfo]
    /// Suggested local port (0 = ephemeral).
    public var defaultClientPort: UInt32

    /// `WorkerInfo { string address = 10; }`: `host:port` of a worker's proxy listener.
    public struct WorkerInfo: Sendable, Equatable, Hashable {
        public var address: String

        public init(address: String) {
            self.address = address
        }
    }

    public enum Field {
        public static let sessionID: UInt32 = 10
        public static let targetID: UInt32 = 20
        public static let scope: UInt32 = 30
        public static let createdTime: UInt32 = 40
        public static let type: UInt32 = 80
        public static let connectionLimit: UInt32 = 90
        public static let endpointPort: UInt32 = 102
        public static let expiration: UInt32 = 105
        public static let certificate: UInt32 = 120
        public static let privateKey: UInt32 = 130
        public static let hostID: UInt32 = 140
        public static let endpoint: UInt32 = 141
        public static let workerInfo: UInt32 = 150
        public static let defaultClientPort: UInt32 = 160
        /// Inside `WorkerInfo`.
        public static let workerAddress: UInt32 = 10
    }

    /// Length of Go's `ed25519.PrivateKey`.
    public static let privateKeyLength = 64
    /// Longest `authorization_token` text we decode (certificates are a few hundred bytes).
    public static let maximumTokenLength = Base58.maximumEncodedLength

    public init(
        sessionID: String = "", targetID: String = "", scope: ScopeInfo? = nil, createdTime: Timestamp? = nil,
        type: String = "", connectionLimit: Int32 = 0, endpointPort: UInt32 = 0, expiration: Timestamp? = nil,
        certificate: [UInt8] = [], privateKey: [UInt8] = [], hostID: String = "", endpoint: String = "",
        workerInfo: [WorkerInfo] = [], defaultClientPort: UInt32 = 0
    ) {
        self.sessionID = sessionID
        self.targetID = targetID
        self.scope = scope
        self.createdTime = createdTime
        self.type = type
        self.connectionLimit = connectionLimit
        self.endpointPort = endpointPort
        self.expiration = expiration
        self.certificate = certificate
        self.privateKey = privateKey
        self.hostID = hostID
        self.endpoint = endpoint
        self.workerInfo = workerInfo
        self.defaultClientPort = defaultClientPort
    }

    /// Decodes the protobuf. Unknown fields are skipped; a repeated scalar field keeps the last
    /// value, as protobuf requires.
    public init(protobuf bytes: ArraySlice<UInt8>) throws {
        self.init()
        var reader = ProtobufReader(bytes)
        while let field = try reader.next() {
            switch field.number {
            case Field.sessionID: sessionID = try field.string()
            case Field.targetID: targetID = try field.string()
            case Field.scope: scope = try ScopeInfo(protobuf: try field.bytes())
            case Field.createdTime: createdTime = try Timestamp(protobuf: try field.bytes())
            case Field.type: type = try field.string()
            case Field.connectionLimit: connectionLimit = try field.int32()
            case Field.endpointPort: endpointPort = try field.uint32()
            case Field.expiration: expiration = try Timestamp(protobuf: try field.bytes())
            case Field.certificate: certificate = Array(try field.bytes())
            case Field.privateKey: privateKey = Array(try field.bytes())
            case Field.hostID: hostID = try field.string()
            case Field.endpoint: endpoint = try field.string()
            case Field.workerInfo:
                var address = ""
                var inner = ProtobufReader(try field.bytes())
                while let f = try inner.next() {
                    if f.number == Field.workerAddress { address = try f.string() }
                }
                workerInfo.append(WorkerInfo(address: address))
            case Field.defaultClientPort: defaultClientPort = try field.uint32()
            default: continue
            }
        }
    }

    public init(protobuf bytes: [UInt8]) throws {
        try self.init(protobuf: bytes[...])
    }

    /// Encodes in field-number order with zero values left out, as Go's `proto.Marshal` does.
    public var protobuf: [UInt8] {
        var w = ProtobufWriter()
        if !sessionID.isEmpty { w.writeString(field: Field.sessionID, sessionID) }
        if !targetID.isEmpty { w.writeString(field: Field.targetID, targetID) }
        if let scope { w.writeMessage(field: Field.scope, scope.protobuf) }
        if let createdTime { w.writeMessage(field: Field.createdTime, createdTime.protobuf) }
        if !type.isEmpty { w.writeString(field: Field.type, type) }
        if connectionLimit != 0 { w.writeInt(field: Field.connectionLimit, Int64(connectionLimit)) }
        if endpointPort != 0 { w.writeUInt(field: Field.endpointPort, UInt64(endpointPort)) }
        if let expiration { w.writeMessage(field: Field.expiration, expiration.protobuf) }
        if !certificate.isEmpty { w.writeBytes(field: Field.certificate, certificate) }
        if !privateKey.isEmpty { w.writeBytes(field: Field.privateKey, privateKey) }
        if !hostID.isEmpty { w.writeString(field: Field.hostID, hostID) }
        if !endpoint.isEmpty { w.writeString(field: Field.endpoint, endpoint) }
        for worker in workerInfo {
            var inner = ProtobufWriter()
            if !worker.address.isEmpty { inner.writeString(field: Field.workerAddress, worker.address) }
            w.writeMessage(field: Field.workerInfo, inner)
        }
        if defaultClientPort != 0 { w.writeUInt(field: Field.defaultClientPort, UInt64(defaultClientPort)) }
        return w.bytes
    }

    /// Decodes an `authorization_token` (base58, then protobuf).
    public init(authorizationToken: String) throws {
        guard !authorizationToken.isEmpty else { throw BoundaryWireError.invalidAuthorizationToken("empty") }
        let bytes: [UInt8]
        do {
            bytes = try Base58.decode(authorizationToken)
        } catch let error as Base58.DecodingError {
            throw BoundaryWireError.invalidAuthorizationToken(error.description)
        }
        do {
            try self.init(protobuf: bytes)
        } catch let error as ProtobufError {
            throw BoundaryWireError.protobuf(error)
        }
    }

    /// The `authorization_token` text for this data.
    public var authorizationToken: String { Base58.encode(protobuf) }

    /// Checks what a client needs before it can dial a worker: a session id, a certificate, a
    /// 64-byte key, at least one worker address and an expiration. (The key's public half against
    /// the certificate is the data plane's check: it needs Ed25519.)
    public func checkUsable() throws {
        func fail(_ reason: String) -> BoundaryWireError { .invalidAuthorizationToken(reason) }
        guard sessionID.hasPrefix("s_"), sessionID.utf8.count > 2 else { throw fail("no s_ session id") }
        guard !certificate.isEmpty else { throw fail("no session certificate") }
        guard privateKey.count == SessionAuthorizationData.privateKeyLength else {
            throw fail("private key is \(privateKey.count) bytes, not \(SessionAuthorizationData.privateKeyLength)")
        }
        guard workerInfo.contains(where: { !$0.address.isEmpty }) else { throw fail("no worker address") }
        guard expiration != nil else { throw fail("no expiration") }
    }
}
