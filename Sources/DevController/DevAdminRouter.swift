import BoundaryWire
import JSON
import NIOCore
import NIOHTTP1
import Synchronization

/// The dev controller's test knobs on their own listener (`-admin-listen-address`), never on the
/// API port, so the API stays exactly the controller's. JSON in, JSON out:
///
/// | request | effect |
/// |---|---|
/// | `GET /admin/state` | users, targets, aliases, faults, whether the API listens |
/// | `POST /admin/api/stop`, `POST /admin/api/start` | close / reopen the API listener |
/// | `POST /admin/aliases` `{"value","target","host_id"?,"id"?}` | add (or repoint) an alias |
/// | `DELETE /admin/aliases/{value}` | delete an alias (shows in `removed_ids`) |
/// | `POST /admin/targets` `{…target as in -config…}` | add or replace a target |
/// | `POST /admin/grants` `{"user","target","allow"}` / `{"user","list_resolvable_aliases"}` | change grants |
/// | `POST /admin/faults` `{"endpoint","latency","error_rate","error_status","pad_bytes"}` | set a fault |
/// | `DELETE /admin/faults` | clear all faults |
/// | `POST /admin/tokens/expire` `{"user"?}` | expire tokens now (all, or one user's) |
/// | `GET /admin/sessions` | every session with status, version, tofu and connections |
final class DevAdminRouter: Sendable {
    struct ControllerRef: Sendable {
        weak var value: DevController?
    }

    let directory: DevDirectory
    let sessions: DevSessionStore
    let faults: DevFaults
    /// Set by `DevController.init`; weak, so the controller and its servers can go away.
    let controller = Mutex(ControllerRef())

    init(directory: DevDirectory, sessions: DevSessionStore, faults: DevFaults) {
        self.directory = directory
        self.sessions = sessions
        self.faults = faults
    }

    func serve(_ request: DevHTTPRequest, on eventLoop: any EventLoop) -> EventLoopFuture<DevHTTPResponse> {
        let path = String(request.path)
        switch (request.method, path) {
        case (.POST, "/admin/api/stop"), (.POST, "/admin/api/start"):
            guard let controller = controller.withLock({ $0.value }) else {
                return eventLoop.makeSucceededFuture(Self.error(500, "controller is gone"))
            }
            let stop = path.hasSuffix("stop")
            let promise = eventLoop.makePromise(of: DevHTTPResponse.self)
            promise.completeWithTask {
                if stop {
                    await controller.stopAPI()
                } else {
                    do {
                        try await controller.startAPI()
                    } catch {
                        return Self.error(500, "\(error)")
                    }
                }
                return Self.ok(["api_running": .bool(controller.isAPIRunning)])
            }
            return promise.futureResult
        default:
            return eventLoop.makeSucceededFuture(handle(request, path: path))
        }
    }

    func handle(_ request: DevHTTPRequest, path: String) -> DevHTTPResponse {
        do {
            let body: JSONValue =
                request.body.isEmpty ? .object([:]) : try JSONValue(parsing: request.body)
            switch (request.method, path) {
            case (.GET, "/admin/state"):
                guard case .object(let members) = state() else { return Self.error(500, "state") }
                return Self.ok(members)
            case (.POST, "/admin/aliases"):
                let alias = try DevControllerConfig.parseAlias(body, path: "alias", targets: directory.config.targets)
                let stored = try directory.upsertAlias(alias)
                return Self.ok([
                    "id": .string(stored.id), "value": .string(stored.value),
                    "destination_id": .string(stored.destinationID),
                ])
            case (.DELETE, _) where path.hasPrefix("/admin/aliases/"):
                guard let value = DevHTTPRequest.percentDecode(path.dropFirst("/admin/aliases/".count)) else {
                    return Self.error(400, "bad alias value")
                }
                return Self.ok(["id": .string(try directory.removeAlias(value: value))])
            case (.POST, "/admin/targets"):
                let target = try DevControllerConfig.parseTarget(body, path: "target")
                directory.upsertTarget(target)
                return Self.ok(["id": .string(target.id)])
            case (.POST, "/admin/grants"):
                let o = try DevJSONObject(body, path: "grant")
                try o.allowOnly(["user", "target", "allow", "list_resolvable_aliases"])
                let target = try o.optionalString("target")
                let allow = try o.optionalBool("allow")
                guard (target == nil) == (allow == nil) else {
                    return Self.error(400, "target and allow go together")
                }
                try directory.setGrant(
                    userID: try o.requiredString("user"), target: target, allow: allow,
                    listAliases: try o.optionalBool("list_resolvable_aliases"))
                return Self.ok([:])
            case (.POST, "/admin/faults"):
                let o = try DevJSONObject(body, path: "fault")
                let endpoint = try o.optionalString("endpoint") ?? "*"
                try faults.set(endpoint, try faults.fault(for: endpoint).updated(with: body, path: "fault"))
                return Self.ok(["faults": faults.json])
            case (.DELETE, "/admin/faults"):
                faults.clear()
                return Self.ok([:])
            case (.POST, "/admin/tokens/expire"):
                let o = try DevJSONObject(body, path: "expire")
                try o.allowOnly(["user"])
                return Self.ok(["expired": .int(Int64(directory.expireTokens(userID: try o.optionalString("user"))))])
            case (.GET, "/admin/sessions"):
                return Self.ok(["items": .array(sessionsJSON())])
            default:
                return Self.error(404, "no admin route \(request.method) \(path)")
            }
        } catch let error as DevControllerError {
            if case .notFound = error { return Self.error(404, error.description) }
            return Self.error(400, error.description)
        } catch {
            return Self.error(400, "\(error)")
        }
    }

    private func state() -> JSONValue {
        directory.state.withLock { s in
            let users: [JSONValue] = s.config.users.map {
                [
                    "id": .string($0.id), "login_name": .string($0.loginName), "admin": .bool($0.isAdmin),
                    "list_resolvable_aliases": .bool($0.mayListAliases),
                    "targets": .array($0.targets.sorted().map { .string($0) }),
                ]
            }
            let targets: [JSONValue] = s.config.targets.map {
                [
                    "id": .string($0.id), "name": .string($0.name), "address": .string($0.address),
                    "port": .int(Int64($0.port)), "connection_limit": .int(Int64($0.connectionLimit)),
                    "max_seconds": .int(Int64($0.effectiveMaxSeconds)),
                ]
            }
            let aliases: [JSONValue] = s.aliases.values.sorted { $0.alias.value < $1.alias.value }.map {
                [
                    "id": .string($0.alias.id), "value": .string($0.alias.value),
                    "destination_id": .string($0.alias.destinationID), "host_id": .string($0.alias.hostID),
                ]
            }
            var out: [String: JSONValue] = [
                "users": .array(users), "targets": .array(targets), "aliases": .array(aliases),
                "auth_tokens": .int(Int64(s.tokens.count)),
            ]
            out["faults"] = faults.json
            out["api_running"] = .bool(controller.withLock { $0.value?.isAPIRunning ?? false })
            return .object(out)
        }
    }

    private func sessionsJSON() -> [JSONValue] {
        let users = directory.config.users.map(\.id)
        return users.flatMap { sessions.sessions(userID: $0) }.map { s in
            var o: [String: JSONValue] = [:]
            o["id"] = .string(s.id)
            o["user_id"] = .string(s.userID)
            o["target_id"] = .string(s.targetID)
            o["status"] = .string(s.status.rawValue)
            o["version"] = .int(Int64(s.version))
            o["tofu_token_set"] = .bool(s.tofuToken != nil)
            o["connection_limit"] = .int(Int64(s.connectionLimit))
            o["connections"] = .int(Int64(s.connections.count))
            o["open_connections"] = .int(Int64(s.openConnectionCount))
            o["expiration"] = .string(DevAPIRouter.timestamp(s.expiration).rfc3339)
            return .object(o)
        }
    }

    static func ok(_ members: [String: JSONValue]) -> DevHTTPResponse {
        DevHTTPResponse(status: 200, body: JSONWriter().bytes(.object(members)))
    }

    static func error(_ status: Int, _ message: String) -> DevHTTPResponse {
        DevHTTPResponse(status: status, body: JSONWriter().bytes(["error": .string(message)]))
    }
}
