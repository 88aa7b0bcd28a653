import NIOCore

/// One `worker_info[].address` of a session (`host:port`, `[v6]:port`), split for dialing.
public struct WorkerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The host without brackets: a DNS name or an IP literal.
    public var host: String
    public var port: Int
    /// The text as the controller sent it; the HTTP `Host` header carries it unchanged, as the
    /// reference client's `ws://<addr>/v1/proxy` URL does.
    public var original: String

    /// Parses `host:port`. The port is required (the controller always writes one) and a v6 literal
    /// must be bracketed, as Go's `net.SplitHostPort` demands.
    public init(parsing text: String) throws(DataPlaneError) {
        let bad = DataPlaneError.invalidWorkerAddress(text)
        let b = Array(text.utf8)
        var host: [UInt8]
        var rest: ArraySlice<UInt8>
        if b.first == UInt8(ascii: "[") {
            guard let close = b.firstIndex(of: UInt8(ascii: "]")) else { throw bad }
            host = Array(b[1..<close])
            rest = b[(close + 1)...]
            guard rest.first == UInt8(ascii: ":") else { throw bad }
            rest = rest.dropFirst()
        } else {
            guard let colon = b.lastIndex(of: UInt8(ascii: ":")) else { throw bad }
            host = Array(b[..<colon])
            // An unbracketed v6 literal is ambiguous.
            guard !host.contains(UInt8(ascii: ":")) else { throw bad }
            rest = b[(colon + 1)...]
        }
        guard !host.isEmpty, !rest.isEmpty, rest.count <= 5, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let port = Int(String(decoding: rest, as: UTF8.self)), port > 0, port <= 65535,
            host.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") })
        else { throw bad }
        self.host = String(decoding: host, as: UTF8.self)
        self.port = port
        self.original = text
    }

    /// The socket address when the host is an IP literal (no resolver needed), else nil.
    public var literalSocketAddress: SocketAddress? {
        guard let address = try? SocketAddress(ipAddress: host, port: port) else { return nil }
        return address
    }

    public var isIPLiteral: Bool { literalSocketAddress != nil }

    public var description: String { original }
}

/// A worker address resolved to one socket address: the unit the data-plane client dials.
public struct WorkerEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var worker: WorkerAddress
    public var address: SocketAddress

    public init(worker: WorkerAddress, address: SocketAddress) {
        self.worker = worker
        self.address = address
    }

    /// For an IP-literal worker address: no resolver involved. Nil for a DNS name.
    public init?(literal worker: WorkerAddress) {
        guard let address = worker.literalSocketAddress else { return nil }
        self.init(worker: worker, address: address)
    }

    /// SNI carries the worker's host name, never an IP literal (RFC 6066 §3; Go sends none for IPs).
    public var serverName: String? { worker.isIPLiteral ? nil : worker.host }

    public var description: String {
        worker.isIPLiteral ? worker.original : "\(worker.original) (\(address))"
    }
}
