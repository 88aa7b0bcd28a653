/// The two protobuf messages of the worker proxy handshake (boundary-protocol.md §3.3), from
/// `internal/proto/worker/proxy/v1/proxy.proto` (package `worker.proxy.v1`). Each travels as the
/// whole payload of one binary WebSocket message: no length prefix, no JSON.

/// `HANDSHAKECOMMAND`. Proto3 enums are open: a value we do not know decodes as itself and is
/// treated like `unspecified` by the worker (only `SESSION_CANCEL` changes its behaviour).
public struct HandshakeCommand: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `HANDSHAKECOMMAND_UNSPECIFIED`: a normal data connection.
    public static let unspecified = HandshakeCommand(rawValue: 0)
    /// `HANDSHAKECOMMAND_SESSION_CANCEL`: cancel the session and close.
    public static let sessionCancel = HandshakeCommand(rawValue: 1)

    public var description: String {
        switch self {
        case .unspecified: return "HANDSHAKECOMMAND_UNSPECIFIED"
        case .sessionCancel: return "HANDSHAKECOMMAND_SESSION_CANCEL"
        default: return "HANDSHAKECOMMAND(\(rawValue))"
        }
    }
}

/// `ClientHandshake`: the first message a client sends on a proxy WebSocket.
public struct ClientHandshake: Hashable, Sendable {
    /// Field 10 (`tofu_token`, string, tag `52`). The worker refuses any length but 20.
    public var tofuToken: String
    /// Field 20 (`command`, enum, tag `A0 01`).
    public var command: HandshakeCommand

    public init(tofuToken: String, command: HandshakeCommand = .unspecified) {
        self.tofuToken = tofuToken
        self.command = command
    }

    /// Proto3 encoding: zero values (empty token, `unspecified`) are left out, as Go's encoder does.
    public var protobuf: ProtobufWriter {
        var w = ProtobufWriter()
        if !tofuToken.isEmpty { w.writeString(field: 10, tofuToken) }
        // An enum is an int32 on the wire: a negative value is sign-extended to ten bytes.
        if command.rawValue != 0 { w.writeInt(field: 20, Int64(command.rawValue)) }
        return w
    }

    public var serialized: [UInt8] { protobuf.bytes }

    /// Unknown fields are skipped and a repeated field keeps its last value, as Go's
    /// `proto.Unmarshal` does; a known field with the wrong wire type is an error.
    public init(protobuf bytes: ArraySlice<UInt8>) throws {
        var reader = ProtobufReader(bytes)
        var token = ""
        var command = HandshakeCommand.unspecified
        while let field = try reader.next() {
            switch field.number {
            case 10: token = try field.string()
            case 20: command = HandshakeCommand(rawValue: try field.int32())
            default: continue
            }
        }
        self.init(tofuToken: token, command: command)
    }

    public init(protobuf bytes: [UInt8]) throws {
        try self.init(protobuf: bytes[...])
    }
}

/// `HandshakeResult`: the worker's answer once the connection is authorised. There is no
/// connection id in it; that stays between worker and controller.
public struct HandshakeResult: Hashable, Sendable {
    /// Field 10 (`expiration`, google.protobuf.Timestamp, tag `52`): the session's expiry.
    public var expiration: Timestamp?
    /// Field 20 (`connection_limit`, int32, tag `A0 01`): -1 = unlimited.
    public var connectionLimit: Int32
    /// Field 30 (`connections_left`, int32, tag `F0 01`): -1 = unlimited; 0 after the last allowed one.
    public var connectionsLeft: Int32

    public init(expiration: Timestamp?, connectionLimit: Int32, connectionsLeft: Int32) {
        self.expiration = expiration
        self.connectionLimit = connectionLimit
        self.connectionsLeft = connectionsLeft
    }

    public var protobuf: ProtobufWriter {
        var w = ProtobufWriter()
        if let expiration { w.writeMessage(field: 10, expiration.protobuf) }
        if connectionLimit != 0 { w.writeInt(field: 20, Int64(connectionLimit)) }
        if connectionsLeft != 0 { w.writeInt(field: 30, Int64(connectionsLeft)) }
        return w
    }

    public var serialized: [UInt8] { protobuf.bytes }

    public init(protobuf bytes: ArraySlice<UInt8>) throws {
        var reader = ProtobufReader(bytes)
        var expiration: Timestamp? = nil
        var limit: Int32 = 0
        var left: Int32 = 0
        while let field = try reader.next() {
            switch field.number {
            case 10: expiration = try Timestamp(protobuf: try field.bytes())
            case 20: limit = try field.int32()
            case 30: left = try field.int32()
            default: continue
            }
        }
        self.init(expiration: expiration, connectionLimit: limit, connectionsLeft: left)
    }

    public init(protobuf bytes: [UInt8]) throws {
        try self.init(protobuf: bytes[...])
    }
}
