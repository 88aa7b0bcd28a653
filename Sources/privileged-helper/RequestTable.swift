import AgentIPC

/// What a worker may ask of the helper (OpenSSH's mon_table): one row per request kind with the
/// workers allowed to send it, the largest payload, whether it may come once per process, and the
/// handler. Checked in that order before the payload is decoded; any failure kills the worker.
struct RequestRow: Sendable {
    let kind: MessageKind
    let senders: Set<WorkerRole>
    let maxLength: Int
    let once: Bool
    let handler: @Sendable (Supervisor, WorkerRole, Frame) throws -> Void
}

enum RequestTable {
    static let rows: [MessageKind: RequestRow] = Dictionary(
        uniqueKeysWithValues: [
            RequestRow(kind: .ready, senders: [.dns, .proxy], maxLength: 0, once: true) { s, role, frame in
                try decode(role, frame)
                s.workerReady(role)
            },
            RequestRow(
                kind: .reportError, senders: [.dns, .proxy], maxLength: MessageKind.reportError.maxLength, once: false
            ) { s, role, frame in
                switch try decode(role, frame) {
                case .dns(.reportError(let text)), .proxy(.reportError(let text)): s.workerReported(role, text)
                default: break
                }
            },
            RequestRow(kind: .pause, senders: [.proxy], maxLength: MessageKind.pause.maxLength, once: false) {
                s, role, frame in
                if case .proxy(.pause(let id, let reason)) = try decode(role, frame) { s.pause(id: id, reason: reason) }
            },
            RequestRow(kind: .resume, senders: [.proxy], maxLength: 4, once: false) { s, role, frame in
                if case .proxy(.resume(let id)) = try decode(role, frame) { s.resume(id: id) }
            },
            RequestRow(kind: .restoreResolver, senders: [.proxy], maxLength: 4, once: false) { s, role, frame in
                if case .proxy(.restoreResolver(let id)) = try decode(role, frame) { s.restoreResolver(id: id) }
            },
            RequestRow(kind: .status, senders: [.proxy], maxLength: 4, once: false) { s, role, frame in
                if case .proxy(.status(let id)) = try decode(role, frame) { s.status(id: id) }
            },
        ].map { ($0.kind, $0) })

    /// Checks `frame` against its row and runs the handler. `used` holds the `once` kinds this
    /// worker process already sent.
    static func dispatch(_ frame: Frame, from role: WorkerRole, used: inout Set<MessageKind>, to s: Supervisor) throws {
        guard let row = rows[frame.kind] else { throw IPCError.unexpectedKind(frame.kind, role.outbound) }
        guard row.senders.contains(role) else { throw IPCError.notPermitted(frame.kind, sender: role.rawValue) }
        guard frame.payload.count <= row.maxLength else {
            throw IPCError.oversized(frame.kind, length: frame.payload.count, limit: row.maxLength)
        }
        if row.once {
            guard !used.contains(frame.kind) else { throw IPCError.repeated(frame.kind) }
            used.insert(frame.kind)
        }
        try row.handler(s, role, frame)
    }

    enum Decoded {
        case dns(DNSToHelper)
        case proxy(ProxyToHelper)
    }

    @discardableResult
    static func decode(_ role: WorkerRole, _ frame: Frame) throws -> Decoded {
        switch role {
        case .dns: return .dns(try DNSToHelper(frame: frame))
        case .proxy: return .proxy(try ProxyToHelper(frame: frame))
        }
    }
}
