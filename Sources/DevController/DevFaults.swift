import BoundaryWire
import JSON
import Synchronization

/// The fault knobs of one API endpoint (or of all: `*`), set by flags or the admin endpoint.
public struct DevFault: Sendable, Equatable {
    /// Seconds added before the answer is written.
    public var latency: Double = 0
    /// Fraction of requests (0…1) answered with `errorStatus` instead of being served.
    public var errorRate: Double = 0
    /// 500 `Internal`, 503 `Unavailable`, 504 `DeadlineExceeded`, 429 `ResourceExhausted`, …
    public var errorStatus: Int = 500
    /// Bytes of padding added to successful answers as an unknown member (`dev_padding`), to test
    /// a client's size cap and its tolerance of unknown fields.
    public var padBytes: Int = 0

    public init(latency: Double = 0, errorRate: Double = 0, errorStatus: Int = 500, padBytes: Int = 0) {
        self.latency = latency
        self.errorRate = errorRate
        self.errorStatus = errorStatus
        self.padBytes = padBytes
    }

    /// The padding is capped so a typo cannot exhaust memory.
    public static let maximumPadBytes = 64 << 20

    /// `{"latency":"2s","error_rate":0.5,"error_status":503,"pad_bytes":2000000}`; absent keys keep
    /// their current value.
    func updated(with json: JSONValue, path: String) throws -> DevFault {
        let o = try DevJSONObject(json, path: path)
        try o.allowOnly(["endpoint", "latency", "error_rate", "error_status", "pad_bytes"])
        var f = self
        if let v = o.members["latency"] {
            if case .int(0) = v {
                f.latency = 0
            } else {
                f.latency = try DevControllerConfig.parseDuration(v, path: "\(path).latency")
            }
        }
        if let v = o.members["error_rate"] {
            guard let rate = v.doubleValue, rate >= 0, rate <= 1 else {
                throw DevControllerError.config("\(path).error_rate must be between 0 and 1")
            }
            f.errorRate = rate
        }
        if let status = try o.optionalInt("error_status") {
            guard status >= 400, status <= 599 else {
                throw DevControllerError.config("\(path).error_status must be 4xx or 5xx")
            }
            f.errorStatus = status
        }
        if let pad = try o.optionalInt("pad_bytes") {
            guard pad >= 0, pad <= DevFault.maximumPadBytes else {
                throw DevControllerError.config("\(path).pad_bytes is out of range")
            }
            f.padBytes = pad
        }
        return f
    }

    var json: JSONValue {
        [
            "latency_seconds": .double(latency), "error_rate": .double(errorRate),
            "error_status": .int(Int64(errorStatus)),
            "pad_bytes": .int(Int64(padBytes)),
        ]
    }

    /// The error body an injected failure carries, with the kind that status has upstream.
    static func injectedError(status: Int) -> DevAPIError {
        let kind: String
        switch status {
        case 400: kind = "InvalidArgument"
        case 401: kind = "Unauthenticated"
        case 403: kind = "PermissionDenied"
        case 404: kind = "NotFound"
        case 429: kind = "ResourceExhausted"
        case 503: kind = "Unavailable"
        case 504: kind = "DeadlineExceeded"
        default: kind = "Internal"
        }
        return DevAPIError(status: status, body: APIErrorBody(kind: kind, message: "injected fault (dev controller)"))
    }
}

/// Per-endpoint faults; `*` applies to every endpoint without its own entry.
public final class DevFaults: Sendable {
    /// Endpoint names used by the knobs and the request log.
    public static let endpoints = [
        "authenticate", "read-auth-token", "list-resolvable-aliases", "authorize-session", "read-session",
        "cancel-session",
    ]

    private let table = Mutex<[String: DevFault]>([:])

    public init() {}

    public func set(_ endpoint: String, _ fault: DevFault) throws {
        guard endpoint == "*" || DevFaults.endpoints.contains(endpoint) else {
            throw DevControllerError.config(
                "unknown endpoint \"\(endpoint)\" (one of \(DevFaults.endpoints.joined(separator: ", ")), *)")
        }
        table.withLock { $0[endpoint] = fault }
    }

    public func clear() {
        table.withLock { $0 = [:] }
    }

    public func fault(for endpoint: String) -> DevFault {
        table.withLock { $0[endpoint] ?? $0["*"] ?? DevFault() }
    }

    var json: JSONValue {
        .object(table.withLock { $0.mapValues(\.json) })
    }

    /// `-fault ENDPOINT:KEY=VALUE[,KEY=VALUE…]`, e.g. `authorize-session:latency=2s,error_rate=0.5`.
    public func apply(flag text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw DevControllerError.config("-fault \(text): expected ENDPOINT:key=value,…")
        }
        let endpoint = String(text[..<colon])
        var members: [String: JSONValue] = [:]
        for pair in text[text.index(after: colon)...].split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw DevControllerError.config("-fault \(text): \(pair) is not key=value") }
            let key = String(kv[0])
            let value = String(kv[1])
            switch key {
            case "latency": members[key] = .string(value)
            case "error_rate":
                guard let d = Double(value) else { throw DevControllerError.config("-fault \(text): bad error_rate") }
                members[key] = .double(d)
            case "error_status", "pad_bytes":
                guard let i = Int64(value) else { throw DevControllerError.config("-fault \(text): bad \(key)") }
                members[key] = .int(i)
            default: throw DevControllerError.config("-fault \(text): unknown key \(key)")
            }
        }
        try set(endpoint, try fault(for: endpoint).updated(with: .object(members), path: "-fault"))
    }
}
