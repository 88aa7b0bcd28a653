import BoundaryWire
import JSON
import NIOCore
import NIOHTTP1

/// The dev controller's API: exactly the six endpoints an agent needs (boundary-protocol.md §5),
/// with the controller's JSON, status codes and authorization order. Routing and policy are
/// synchronous and socket-free (tests call `handle` directly); `DevHTTPServer` carries them.
final class DevAPIRouter: Sendable {
    let directory: DevDirectory
    let sessions: DevSessionStore
    let log: DevRequestLog
    let faults: DevFaults
    /// The `worker_info` addresses for new sessions (the proxy listener's, unless configured).
    let workerAddresses: @Sendable () -> [String]

    init(
        directory: DevDirectory, sessions: DevSessionStore, log: DevRequestLog, faults: DevFaults,
        workerAddresses: @escaping @Sendable () -> [String]
    ) {
        self.directory = directory
        self.sessions = sessions
        self.log = log
        self.faults = faults
        self.workerAddresses = workerAddresses
    }

    enum Endpoint: String {
        case authenticate
        case readAuthToken = "read-auth-token"
        case listResolvableAliases = "list-resolvable-aliases"
        case authorizeSession = "authorize-session"
        case readSession = "read-session"
        case cancelSession = "cancel-session"
    }

    /// What the request log records about one call.
    struct LogFields {
        var fields: [String: JSONValue] = [:]
        subscript(key: String) -> JSONValue? {
            get { fields[key] }
            set { fields[key] = newValue }
        }
    }

    /// Matches a path to an endpoint and its (percent-decoded) id. A known path with the wrong
    /// method is 405, anything else 404.
    static func route(method: HTTPMethod, path: Substring) -> Result<(Endpoint, String), DevAPIError> {
        func id(_ raw: Substring) -> String? {
            guard !raw.isEmpty, let decoded = DevHTTPRequest.percentDecode(raw), !decoded.isEmpty else { return nil }
            return decoded
        }
        func match(_ prefix: String, _ suffix: String, allowSlash: Bool = false) -> String? {
            guard path.hasPrefix(prefix), path.hasSuffix(suffix), path.count > prefix.count + suffix.count else {
                return nil
            }
            let raw = path.dropFirst(prefix.count).dropLast(suffix.count)
            guard allowSlash || !raw.contains("/"), suffix.isEmpty ? !raw.contains(":") : true else { return nil }
            return id(raw)
        }
        let candidates: [(Endpoint, HTTPMethod, String?)] = [
            (.authenticate, .POST, match("/v1/auth-methods/", ":authenticate")),
            (.readAuthToken, .GET, match("/v1/auth-tokens/", "")),
            (.listResolvableAliases, .GET, match("/v1/users/", ":list-resolvable-aliases")),
            // `{id=**}`: a target id, alias value or name; slashes allowed as grpc-gateway allows them.
            (.authorizeSession, .POST, match("/v1/targets/", ":authorize-session", allowSlash: true)),
            (.cancelSession, .POST, match("/v1/sessions/", ":cancel")),
            (.readSession, .GET, match("/v1/sessions/", "")),
        ]
        var methodMismatch = false
        for (endpoint, expected, id) in candidates {
            guard let id else { continue }
            if method == expected { return .success((endpoint, id)) }
            methodMismatch = true
        }
        return .failure(methodMismatch ? .methodNotAllowed : .routeNotFound)
    }

    /// Serves one request: faults first (latency, injected errors), then the endpoint. Every call
    /// is written to the request log.
    func serve(_ request: DevHTTPRequest, on eventLoop: any EventLoop) -> EventLoopFuture<DevHTTPResponse> {
        let routed = DevAPIRouter.route(method: request.method, path: request.path)
        let endpointName: String
        switch routed {
        case .success(let (endpoint, _)): endpointName = endpoint.rawValue
        case .failure: endpointName = "unknown"
        }
        let fault = faults.fault(for: endpointName)
        let work: @Sendable () -> DevHTTPResponse = { [self] in
            var fields = LogFields()
            var response: DevHTTPResponse
            if fault.errorRate > 0, Double.random(in: 0..<1) < fault.errorRate {
                let error = DevFault.injectedError(status: fault.errorStatus)
                fields["injected_fault"] = .bool(true)
                response = DevHTTPResponse(status: error.status, body: error.body.protoJSONBytes)
            } else {
                response = handle(request, routed: routed, fields: &fields)
                if fault.padBytes > 0, (200..<300).contains(response.status),
                    case .object(var members) = (try? JSONValue(parsing: response.body)) ?? .null
                {
                    members["dev_padding"] = .string(String(repeating: "x", count: fault.padBytes))
                    response.body = JSONWriter().bytes(.object(members))
                }
            }
            fields["method"] = .string("\(request.method)")
            fields["path"] = .string(String(request.path))
            fields["status"] = .int(Int64(response.status))
            if let agent = request.headers.first(name: "user-agent") { fields["user_agent"] = .string(agent) }
            log.record(endpointName, fields.fields)
            return response
        }
        guard fault.latency > 0 else { return eventLoop.makeSucceededFuture(work()) }
        return eventLoop.scheduleTask(in: .nanoseconds(Int64(fault.latency * 1e9))) { work() }.futureResult
    }

    /// The endpoint logic, without faults.
    func handle(_ request: DevHTTPRequest, routed: Result<(Endpoint, String), DevAPIError>, fields: inout LogFields)
        -> DevHTTPResponse
    {
        let now = DevSessionStore.now()
        let result: Result<JSONValue, DevAPIError>
        switch routed {
        case .failure(let error):
            result = .failure(error)
        case .success(let (endpoint, id)):
            let caller = directory.caller(authorization: request.headers.first(name: "authorization"), now: now)
            if let user = caller.userID { fields["user_id"] = .string(user) }
            switch endpoint {
            case .authenticate:
                result = authenticate(authMethodID: id, body: request.body, now: now, fields: &fields)
            case .readAuthToken:
                result = readAuthToken(id: id, caller: caller)
            case .listResolvableAliases:
                result = listResolvableAliases(
                    userID: id, query: request.query, caller: caller, now: now, fields: &fields)
            case .authorizeSession:
                result = authorizeSession(target: id, body: request.body, caller: caller, now: now, fields: &fields)
            case .readSession:
                fields["session_id"] = .string(id)
                result = readSession(id: id, caller: caller, now: now)
            case .cancelSession:
                fields["session_id"] = .string(id)
                result = cancelSession(id: id, body: request.body, caller: caller, now: now)
            }
        }
        switch result {
        case .success(let json):
            return DevHTTPResponse(status: 200, body: JSONWriter().bytes(json))
        case .failure(let error):
            fields["error_kind"] = .string(error.body.kind)
            return DevHTTPResponse(status: error.status, body: error.body.protoJSONBytes)
        }
    }

    /// A wall-clock time as the controller's database stores it: microsecond precision.
    static func timestamp(_ seconds: Double) -> Timestamp {
        let micros = (seconds * 1e6).rounded()
        let whole = (micros / 1e6).rounded(.down)
        return Timestamp(seconds: Int64(whole), nanos: Int32((micros - whole * 1e6).rounded()) * 1000)
    }

    /// A JSON request body; an empty body is `{}` (grpc-gateway decodes nothing into the message).
    static func parseBody(_ bytes: [UInt8]) -> Result<JSONValue, DevAPIError> {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .success(.object([:])) }
        do {
            let value = try JSONValue(parsing: bytes)
            guard case .object = value else { return .failure(.invalidArgument("Error parsing request body.")) }
            return .success(value)
        } catch {
            return .failure(.invalidArgument("Error parsing request body: \(error)"))
        }
    }
}
