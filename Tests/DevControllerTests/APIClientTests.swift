import BoundaryAPI
import BoundaryWire
import JSON
import NIOCore
import NIOSSL
import XCTest

@testable import DevController

/// The agent's controller client against the dev controller, end to end over loopback sockets.
final class APIClientTests: XCTestCase {
    var harness: APITestHarness!

    override func setUp() async throws {
        harness = try APITestHarness(config: Self.config)
        try await harness.start()
    }

    override func tearDown() async throws {
        await harness.shutdown()
        harness = nil
    }

    /// The `boundary dev` defaults plus 25 extra aliases (more than several pages), a user who may
    /// not list aliases, a user with only the ssh target, a target without a port and an alias
    /// without destination.
    static var config: DevControllerConfig {
        var c = DevControllerConfig.devDefaults
        c.users.append(.init(id: "u_nolist0001", loginName: "nolist", password: "pw", mayListAliases: false))
        c.users.append(.init(id: "u_sshonly001", loginName: "sshonly", password: "pw", targets: ["ttcp_1234567890"]))
        c.users.append(.init(id: "u_nothing001", loginName: "nothing", password: "pw", targets: []))
        c.targets.append(.init(id: "ttcp_noport0001", name: "noport", address: "127.0.0.1", port: 0))
        c.targets.append(
            .init(
                id: "ttcp_limit00001", name: "limited", address: "127.0.0.1", port: 2222, connectionLimit: 1,
                maxSeconds: 60))
        for i in 0..<25 {
            c.aliases.append(.init(value: "host\(i).example.test", destinationID: "ttcp_1234567890"))
        }
        c.aliases.append(.init(value: "nowhere.example.test", destinationID: ""))
        c.aliases.append(.init(value: "noport.example.test", destinationID: "ttcp_noport0001"))
        c.aliases.append(.init(value: "limited.example.test", destinationID: "ttcp_limit00001"))
        return c
    }

    static let visibleToUser = 29  // 2 defaults + 25 hosts + noport + limited (not the one without destination)

    // MARK: - Login and tokens

    func testLoginValidateAndWrongPassword() async throws {
        let client = try harness.client()
        let token = try await client.authenticate(
            authMethodID: "ampw_1234567890", loginName: "admin", password: "password")
        XCTAssertEqual(token.userID, "u_1234567890")
        XCTAssertEqual(token.authMethodID, "ampw_1234567890")
        XCTAssertEqual(token.scope, .global)
        let parsed = try AuthTokenString(token.token)
        XCTAssertEqual(parsed.publicID, token.id)
        XCTAssertNotNil(token.expirationTime)
        XCTAssertGreaterThan(token.expirationTime!.seconds - Timestamp.now().seconds, 6 * 86_400)

        let read = try await client.validate(token: parsed)
        XCTAssertEqual(read.id, token.id)
        XCTAssertEqual(read.userID, "u_1234567890")
        XCTAssertEqual(read.token, "", "a read never returns the token")

        let wrong = await controllerError {
            try await client.authenticate(authMethodID: "ampw_1234567890", loginName: "admin", password: "nope")
        }
        XCTAssertEqual(
            wrong, .unauthenticated(APIErrorBody(kind: "Unauthenticated", message: "Unable to authenticate.")))
        XCTAssertEqual(wrong?.isTokenDead, true)
        let unknownUser = await controllerError {
            try await client.authenticate(authMethodID: "ampw_1234567890", loginName: "mallory", password: "password")
        }
        XCTAssertEqual(unknownUser?.httpStatus, 401)
        let unknownMethod = await controllerError {
            try await client.authenticate(authMethodID: "ampw_0000000000", loginName: "admin", password: "password")
        }
        XCTAssertEqual(unknownMethod?.httpStatus, 404)

        // The request log saw the client agent's User-Agent.
        let lines = harness.logLines(event: "authenticate")
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(lines.first?["user_agent"], .string("Boundary-client-agent/0.1.0"))
        XCTAssertEqual(lines.map { $0["status"]?.intValue ?? 0 }, [200, 401, 401, 404])
    }

    func testExpiredTokenIs401AndReadsAs404() async throws {
        let (token, user) = try await harness.login()
        let client = try harness.client()
        _ = try await client.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        try await harness.admin(.POST, "/admin/tokens/expire", ["user": .string(user)])
        let listing = await controllerError {
            try await client.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        }
        XCTAssertEqual(listing?.httpStatus, 401)
        XCTAssertEqual(listing?.body?.message, "Unauthenticated, or invalid token.")
        XCTAssertEqual(listing?.isTokenDead, true)
        // The controller deleted the expired token while validating it: the read is a 404,
        // which `validate` reports as a dead token too.
        let raw = await controllerError { try await client.readAuthToken(id: token.publicID, token: token) }
        XCTAssertEqual(raw?.httpStatus, 404)
        let validated = await controllerError { try await client.validate(token: token) }
        XCTAssertEqual(validated?.isTokenDead, true)
        let authorize = await controllerError {
            try await client.authorizeSession(target: "ssh.boundary.dev", token: token)
        }
        XCTAssertEqual(authorize?.httpStatus, 401)
    }

    func testShortLivedTokensExpireByThemselves() async throws {
        await harness.shutdown()
        var config = Self.config
        config.authTokenTimeToLive = 1
        harness = try APITestHarness(config: config)
        try await harness.start()
        let (token, user) = try await harness.login()
        let client = try harness.client()
        _ = try await client.validate(token: token)
        try await Task.sleep(nanoseconds: 1_200_000_000)
        let error = await controllerError {
            try await client.listResolvableAliasesPage(userID: user, token: token, listToken: nil)
        }
        XCTAssertEqual(error?.httpStatus, 401)
    }

    func testReadingSomeoneElsesToken() async throws {
        let (userToken, _) = try await harness.login()
        let (adminToken, _) = try await harness.login("admin")
        let client = try harness.client()
        let forbidden = await controllerError {
            try await client.readAuthToken(id: adminToken.publicID, token: userToken)
        }
        XCTAssertEqual(forbidden?.httpStatus, 403)
        // The admin has `read` on every token.
        let read = try await client.readAuthToken(id: userToken.publicID, token: adminToken)
        XCTAssertEqual(read.userID, "u_0987654321")
        let missing = await controllerError { try await client.readAuthToken(id: "at_0000000000", token: adminToken) }
        XCTAssertEqual(missing?.httpStatus, 404)
    }

    // MARK: - Aliases

    func testListingMoreAliasesThanOnePage() async throws {
        let (token, user) = try await harness.login()
        let client = try harness.client(pageSize: 4)
        let listing = try await client.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        XCTAssertEqual(listing.kind, .full)
        XCTAssertEqual(listing.items.count, Self.visibleToUser)
        XCTAssertEqual(Set(listing.items.map(\.id)).count, Self.visibleToUser, "no duplicates across pages")
        XCTAssertEqual(listing.pages, 8)  // ceil(29 / 4)
        XCTAssertNotNil(listing.refreshToken)
        XCTAssertTrue(listing.refreshSupported)
        XCTAssertFalse(listing.items.contains { $0.value == "nowhere.example.test" })
        let ssh = try XCTUnwrap(listing.items.first { $0.value == "ssh.boundary.dev" })
        XCTAssertEqual(ssh.destinationID, "ttcp_1234567890")
        XCTAssertEqual(ssh.type, "target")
        XCTAssertNotNil(ssh.createdTime)

        // Every page was one request with page_size=4; only the first had no list token.
        let lines = harness.logLines(event: "list-resolvable-aliases")
        XCTAssertEqual(lines.count, 8)
        XCTAssertEqual(lines.map { $0["list_token_sent"] }, [.bool(false)] + Array(repeating: .bool(true), count: 7))
        XCTAssertEqual(lines.compactMap { $0["page_size"]?.intValue }, Array(repeating: 4, count: 8))

        // Without page_size the controller's maximum (1000) applies: one page.
        let single = try await harness.client().listResolvableAliases(userID: user, token: token, refreshToken: nil)
        XCTAssertEqual(single.pages, 1)
        XCTAssertEqual(single.items.count, Self.visibleToUser)
    }

    /// Pages are served from a sorted snapshot kept per revision (`DevListing`): an alias deleted and
    /// one added between two pages show exactly as they would without it (the deleted one is gone,
    /// the new one waits for the refresh), and nothing repeats.
    func testPagesFollowChangesMadeBetweenThem() async throws {
        let (token, user) = try await harness.login()
        let client = try harness.client(pageSize: 4)
        let all = try await client.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        var page = try await client.listResolvableAliasesPage(userID: user, token: token, listToken: nil, pageSize: 4)
        var seen = page.items.map(\.value)
        let doomed = try XCTUnwrap(all.items.map(\.value).first { !seen.contains($0) })
        try await harness.admin(.DELETE, "/admin/aliases/\(doomed)")
        try await harness.admin(.POST, "/admin/aliases", ["value": "late.example.test", "target": "ttcp_1234567890"])
        while page.responseType == "delta" {
            page = try await client.listResolvableAliasesPage(
                userID: user, token: token, listToken: page.listToken, pageSize: 4)
            seen += page.items.map(\.value)
        }
        XCTAssertEqual(Set(seen).count, seen.count, "no alias on two pages")
        XCTAssertFalse(seen.contains(doomed), "an alias deleted between pages is not listed")
        XCTAssertFalse(seen.contains("late.example.test"), "one created after the listing began waits for the refresh")
        XCTAssertEqual(Set(seen), Set(all.items.map(\.value)).subtracting([doomed]))
    }

    func testRefreshDeltaAfterAnAliasIsAddedAndOneRemoved() async throws {
        let (token, user) = try await harness.login()
        let client = try harness.client(pageSize: 7)
        var table = ResolvableAliasTable()
        let first: ResolvableAliasListing
        (table, first) = try await client.refresh(table, userID: user, token: token).get()
        XCTAssertEqual(first.kind, .full)
        XCTAssertEqual(table.aliases.count, Self.visibleToUser)

        // Nothing changed: an empty delta, and a new refresh token.
        let quiet: ResolvableAliasListing
        (table, quiet) = try await client.refresh(table, userID: user, token: token).get()
        XCTAssertEqual(quiet.kind, .delta)
        XCTAssertEqual(quiet.items, [])
        XCTAssertEqual(quiet.removedIDs, [])
        XCTAssertEqual(table.aliases.count, Self.visibleToUser)

        let added = try await harness.admin(
            .POST, "/admin/aliases", ["value": "db.example.test", "target": "ttcp_5432543254"])
        let removed = try await harness.admin(.DELETE, "/admin/aliases/host3.example.test")
        // Repointing an alias to a target the user cannot use makes it disappear for them.
        try await harness.admin(
            .POST, "/admin/grants", ["user": "u_0987654321", "target": "ttcp_limit00001", "allow": false])
        (table, _) = try await client.refresh(table, userID: user, token: token).get()  // grants changed: full reload
        XCTAssertNil(table.alias(value: "limited.example.test"))
        XCTAssertNotNil(table.alias(value: "db.example.test"))
        XCTAssertNil(table.alias(value: "host3.example.test"))

        // A pure delta: one alias added, one removed, one repointed away.
        try await harness.admin(.POST, "/admin/aliases", ["value": "cache.example.test", "target": "ttcp_1234567890"])
        try await harness.admin(.DELETE, "/admin/aliases/host7.example.test")
        try await harness.admin(.POST, "/admin/aliases", ["value": "host8.example.test", "target": "ttcp_limit00001"])
        let delta: ResolvableAliasListing
        (table, delta) = try await client.refresh(table, userID: user, token: token).get()
        XCTAssertEqual(delta.kind, .delta)
        XCTAssertFalse(delta.reloadedAfterInvalidListToken)
        XCTAssertEqual(delta.items.map(\.value), ["cache.example.test"])
        XCTAssertEqual(delta.removedIDs.count, 2)
        XCTAssertNotNil(table.alias(value: "cache.example.test"))
        XCTAssertNil(table.alias(value: "host7.example.test"))
        XCTAssertNil(table.alias(value: "host8.example.test"))
        XCTAssertEqual(added["value"], "db.example.test")
        XCTAssertNotNil(removed["id"]?.stringValue)

        // The table after deltas equals a fresh full listing.
        let fresh = try await client.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        XCTAssertEqual(Set(table.aliases.map(\.id)), Set(fresh.items.map(\.id)))
    }

    func testInvalidListTokenTriggersAFullReload() async throws {
        let (token, user) = try await harness.login()
        let client = try harness.client(pageSize: 10)
        let first = try await client.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        let refreshToken = try XCTUnwrap(first.refreshToken)

        try await harness.admin(
            .POST, "/admin/grants", ["user": "u_0987654321", "target": "ttcp_5432543254", "allow": false])
        // One page straight: the controller's exact error.
        let raw = await controllerError {
            try await client.listResolvableAliasesPage(userID: user, token: token, listToken: refreshToken)
        }
        XCTAssertEqual(
            raw,
            .invalidListToken(
                APIErrorBody(
                    kind: "invalid list token", message: "grants have changed since list token was issued",
                    op: "listtoken.Validate")))
        // The whole listing recovers with a full reload.
        let reloaded = try await client.listResolvableAliases(userID: user, token: token, refreshToken: refreshToken)
        XCTAssertEqual(reloaded.kind, .full)
        XCTAssertTrue(reloaded.reloadedAfterInvalidListToken)
        XCTAssertNil(reloaded.items.first { $0.value == "postgres.boundary.dev" })
        XCTAssertEqual(reloaded.items.count, Self.visibleToUser - 1)

        // Garbage is not a list token at all: the controller fails it with 500, not a reload.
        let garbage = await controllerError {
            try await client.listResolvableAliasesPage(userID: user, token: token, listToken: "0OIl")
        }
        XCTAssertEqual(garbage?.httpStatus, 500)
    }

    func testListingForbiddenAndEmptyCases() async throws {
        let client = try harness.client()
        let (noList, noListUser) = try await harness.login("nolist", password: "pw")
        let forbidden = await controllerError {
            try await client.listResolvableAliases(userID: noListUser, token: noList, refreshToken: nil)
        }
        XCTAssertEqual(forbidden, .forbidden(APIErrorBody(kind: "PermissionDenied", message: "Forbidden.")))
        XCTAssertEqual(forbidden?.isTokenDead, false)
        // Still allowed to authorize by alias: the agent's fallback path.
        let session = try await client.authorizeSession(target: "ssh.boundary.dev", token: noList)
        XCTAssertEqual(session.authorization.userID, noListUser)

        // Someone else's aliases.
        let (userToken, _) = try await harness.login()
        let other = await controllerError {
            try await client.listResolvableAliases(userID: "u_1234567890", token: userToken, refreshToken: nil)
        }
        XCTAssertEqual(other?.httpStatus, 403)

        // No target grants at all: complete, no items, no list token (so no refresh).
        let (nothing, nothingUser) = try await harness.login("nothing", password: "pw")
        let empty = try await client.listResolvableAliases(userID: nothingUser, token: nothing, refreshToken: nil)
        XCTAssertEqual(empty.items, [])
        XCTAssertNil(empty.refreshToken)
        XCTAssertTrue(empty.refreshSupported)

        // Only the ssh target: only aliases pointing at it.
        let (ssh, sshUser) = try await harness.login("sshonly", password: "pw")
        let sshListing = try await client.listResolvableAliases(userID: sshUser, token: ssh, refreshToken: nil)
        XCTAssertEqual(sshListing.items.count, 26)
        XCTAssertTrue(sshListing.items.allSatisfy { $0.destinationID == "ttcp_1234567890" })
    }

    // MARK: - Sessions

    func testAuthorizeByAliasDecodesTheToken() async throws {
        let (token, user) = try await harness.login()
        let client = try harness.client()
        let session = try await client.authorizeSession(target: "postgres.boundary.dev", token: token)
        let auth = session.authorization
        let data = session.data
        XCTAssertTrue(auth.sessionID.hasPrefix("s_"))
        XCTAssertEqual(auth.targetID, "ttcp_5432543254")
        XCTAssertEqual(auth.userID, user)
        XCTAssertEqual(auth.endpoint, "tcp://127.0.0.1:5432")
        XCTAssertEqual(auth.endpointPort, 5432)
        XCTAssertEqual(auth.connectionLimit, -1)
        XCTAssertEqual(auth.type, "tcp")
        XCTAssertEqual(auth.scope?.id, "p_1234567890")
        XCTAssertEqual(
            try auth.credentials.map { try $0.typed() }, [.usernamePassword(username: "postgres", password: "password")]
        )
        XCTAssertEqual(auth.credentials.first?.credentialSource.credentialType, "username_password")

        // The token: same session, the worker's address, the 64-byte key, the certificate.
        XCTAssertEqual(data.sessionID, auth.sessionID)
        XCTAssertEqual(data.targetID, auth.targetID)
        XCTAssertEqual(data.endpoint, auth.endpoint)
        XCTAssertEqual(data.connectionLimit, -1)
        XCTAssertEqual(data.expiration, auth.expiration)
        let proxyPort = try XCTUnwrap(harness.controller.proxyAddress?.port)
        XCTAssertEqual(data.workerInfo, [.init(address: "127.0.0.1:\(proxyPort)")])
        XCTAssertEqual(data.privateKey.count, 64)
        let expiration = try XCTUnwrap(auth.expiration?.seconds)
        XCTAssertEqual(Double(expiration) - Timestamp.now().secondsSinceEpoch, 28_800, accuracy: 5)

        // The certificate is the one the store (and so the worker) holds, and GET returns it too.
        let stored = try XCTUnwrap(harness.controller.sessions.session(id: auth.sessionID))
        XCTAssertEqual(stored.certificateDER, data.certificate)
        XCTAssertEqual(stored.privateKey, data.privateKey)
        let read = try await client.readSession(id: auth.sessionID, token: token)
        XCTAssertEqual(read.certificate, data.certificate)
        // The key's public half is the certificate's key (SPKI ends with the 32 key bytes).
        let spki = try NIOSSLCertificate(bytes: data.certificate, format: .der).extractPublicKey().toSPKIBytes()
        XCTAssertEqual(Array(spki.suffix(32)), Array(data.privateKey[32...]))

        // Every call is a new session.
        let again = try await client.authorizeSession(target: "postgres.boundary.dev", token: token)
        XCTAssertNotEqual(again.authorization.sessionID, auth.sessionID)
        XCTAssertNotEqual(again.data.certificate, data.certificate)
        let logged = harness.logLines(event: "authorize-session")
        XCTAssertEqual(logged.count, 2)
        XCTAssertEqual(logged.first?["alias"], "postgres.boundary.dev")
        XCTAssertEqual(logged.first?["session_id"], .string(auth.sessionID))
        XCTAssertEqual(logged.first?["user_id"], .string(user))

        // By target id works as well; a limited target shows its limit in JSON and token.
        let limited = try await client.authorizeSession(target: "ttcp_limit00001", token: token)
        XCTAssertEqual(limited.authorization.connectionLimit, 1)
        XCTAssertEqual(limited.data.connectionLimit, 1)
    }

    func testAuthorizeErrors() async throws {
        let (token, _) = try await harness.login()
        let client = try harness.client()
        let unknown = await controllerError {
            try await client.authorizeSession(target: "nope.example.test", token: token)
        }
        XCTAssertEqual(
            unknown,
            .notFound(
                APIErrorBody(kind: "NotFound", message: #"resource alias not found with value "nope.example.test""#)))
        let nowhere = await controllerError {
            try await client.authorizeSession(target: "nowhere.example.test", token: token)
        }
        XCTAssertEqual(nowhere?.body?.message, #"resource not found for alias value "nowhere.example.test""#)
        let noPort = await controllerError {
            try await client.authorizeSession(target: "noport.example.test", token: token)
        }
        XCTAssertEqual(noPort?.body?.kind, "FailedPrecondition")
        XCTAssertEqual(noPort?.httpStatus, 400)
        let (ssh, _) = try await harness.login("sshonly", password: "pw")
        let forbidden = await controllerError {
            try await client.authorizeSession(target: "postgres.boundary.dev", token: ssh)
        }
        XCTAssertEqual(forbidden?.httpStatus, 403)
        // Anonymous with grants-free dev roles: 401.
        let (status, body) = try await harness.raw(
            .POST, "/v1/targets/ssh.boundary.dev:authorize-session", headers: [("Authorization", "Bearer ")], body: "{}"
        )
        XCTAssertEqual(status, 401)
        XCTAssertEqual(body["kind"], "Unauthenticated")
        // A host_id with an alias that has no host pin: not available.
        let (hostStatus, hostBody) = try await harness.raw(
            .POST, "/v1/targets/ssh.boundary.dev:authorize-session",
            headers: [("Authorization", "Bearer \(token.value)")], body: #"{"host_id":"hst_1234567890"}"#)
        XCTAssertEqual(hostStatus, 400)
        XCTAssertEqual(
            hostBody["details"]?["request_fields"],
            [["name": "host_id", "description": "The requested host id is not available."]])
    }

    func testReadAndCancelWithVersions() async throws {
        let (token, user) = try await harness.login()
        let client = try harness.client()
        let auth = try await client.authorizeSession(target: "ssh.boundary.dev", token: token).authorization
        let session = try await client.readSession(id: auth.sessionID, token: token)
        XCTAssertEqual(session.status, "pending")
        XCTAssertEqual(session.version, 1)
        XCTAssertEqual(session.userID, user)
        XCTAssertEqual(session.authTokenID, token.publicID)
        XCTAssertEqual(session.endpoint, "tcp://127.0.0.1:22")
        XCTAssertEqual(session.states.map(\.status), ["pending"])

        // A stale version: the optimistic lock fails (500), nothing changes.
        let stale = await controllerError {
            try await client.cancelSession(id: auth.sessionID, version: 7, token: token)
        }
        XCTAssertEqual(stale?.httpStatus, 500)
        let stillPending = try await client.readSession(id: auth.sessionID, token: token)
        XCTAssertEqual(stillPending.status, "pending")
        // Version 0 is "Required field.".
        let zero = await controllerError {
            try await client.cancelSession(id: auth.sessionID, version: 0, token: token)
        }
        XCTAssertEqual(zero?.body?.requestFields, [.init(name: "version", description: "Required field.")])

        // The right version.
        let canceled = try await client.cancelSession(id: auth.sessionID, version: 1, token: token)
        XCTAssertEqual(canceled.status, "terminated")
        XCTAssertEqual(canceled.terminationReason, "canceled")
        XCTAssertEqual(canceled.version, 2)
        // Cancelling again returns the session as it is, whatever the version.
        let again = try await client.cancelSession(id: auth.sessionID, version: 1, token: token)
        XCTAssertEqual(again.status, "terminated")

        // Automatic versioning (GET first), as the Go client does.
        let second = try await client.authorizeSession(target: "ssh.boundary.dev", token: token).authorization
        let auto = try await client.cancelSession(id: second.sessionID, version: nil, token: token)
        XCTAssertEqual(auto.status, "terminated")
        XCTAssertEqual(
            harness.logLines(event: "read-session").filter { $0["session_id"] == .string(second.sessionID) }.count, 1)

        // Someone else's session: 403 for read and cancel; unknown: 404.
        let (adminToken, _) = try await harness.login("admin")
        let (otherToken, _) = try await harness.login("sshonly", password: "pw")
        let third = try await client.authorizeSession(target: "ssh.boundary.dev", token: otherToken).authorization
        let notMine = await controllerError { try await client.readSession(id: third.sessionID, token: token) }
        XCTAssertEqual(notMine?.httpStatus, 403)
        let notMineCancel = await controllerError {
            try await client.cancelSession(id: third.sessionID, version: 1, token: token)
        }
        XCTAssertEqual(notMineCancel?.httpStatus, 403)
        let asAdmin = try await client.readSession(id: third.sessionID, token: adminToken)
        XCTAssertEqual(asAdmin.userID, "u_sshonly001")
        let unknown = await controllerError { try await client.readSession(id: "s_0000000000", token: token) }
        XCTAssertEqual(unknown?.httpStatus, 404)
    }

    func testExpiredSessionReadsAsTerminated() async throws {
        try await harness.admin(
            .POST, "/admin/targets",
            ["id": "ttcp_short00001", "name": "short", "address": "127.0.0.1", "port": 22, "max_seconds": 1])
        let (token, _) = try await harness.login()
        let client = try harness.client()
        let auth = try await client.authorizeSession(target: "ttcp_short00001", token: token).authorization
        let expiration = try XCTUnwrap(auth.expiration).secondsSinceEpoch
        XCTAssertEqual(expiration - Timestamp.now().secondsSinceEpoch, 1, accuracy: 0.5)
        let fresh = try await client.readSession(id: auth.sessionID, token: token)
        XCTAssertEqual(fresh.status, "pending")
        try await Task.sleep(nanoseconds: 1_200_000_000)
        let expired = try await client.readSession(id: auth.sessionID, token: token)
        XCTAssertEqual(expired.status, "terminated")
        XCTAssertEqual(expired.terminationReason, "timed out")
        XCTAssertFalse(expired.isLive)
        // Cancelling a dead session is not an error: it comes back as it is.
        let canceled = try await client.cancelSession(id: auth.sessionID, version: nil, token: token)
        XCTAssertEqual(canceled.status, "terminated")
    }

    // MARK: - Faults and transport

    func testResponseCapAndUnknownMembers() async throws {
        let (token, user) = try await harness.login()
        let client = try harness.client()
        // 100 KB of an unknown member: ignored.
        try await harness.admin(.POST, "/admin/faults", ["endpoint": "list-resolvable-aliases", "pad_bytes": 100_000])
        let padded = try await client.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        XCTAssertEqual(padded.items.count, Self.visibleToUser)
        // Over 1 MiB: refused, whatever the status.
        try await harness.admin(
            .POST, "/admin/faults", ["endpoint": "list-resolvable-aliases", "pad_bytes": 1_100_000])
        let big = await controllerError {
            try await client.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        }
        XCTAssertEqual(big, .bodyTooLarge(limit: 1 << 20))
        XCTAssertEqual(big?.isTransportFailure, true)
        // A client with a larger cap takes it.
        let roomy = try ControllerClient(
            address: harness.apiURL, http: try harness.http(maximumResponseBytes: 2 << 20), logger: harness.logger)
        let roomyListing = try await roomy.listResolvableAliases(userID: user, token: token, refreshToken: nil)
        XCTAssertEqual(roomyListing.items.count, Self.visibleToUser)
    }

    func testTimeoutFromTheLatencyKnob() async throws {
        let (token, _) = try await harness.login()
        try await harness.admin(.POST, "/admin/faults", ["endpoint": "authorize-session", "latency": "1s"])
        let client = try harness.client(timeout: .milliseconds(300))
        let started = Timestamp.now().secondsSinceEpoch
        let error = await controllerError {
            try await client.authorizeSession(target: "ssh.boundary.dev", token: token)
        }
        let took = Timestamp.now().secondsSinceEpoch - started
        guard case .timeout = error else { return XCTFail("expected a timeout, got \(String(describing: error))") }
        XCTAssertLessThan(took, 0.9)
        XCTAssertGreaterThanOrEqual(took, 0.29)
        // Other endpoints are not slowed down.
        _ = try await client.validate(token: token)
        // The held-back answer finds its client gone; the server carries on.
        try await Task.sleep(nanoseconds: 1_000_000_000)
        try await harness.admin(.DELETE, "/admin/faults")
        _ = try await client.authorizeSession(target: "ssh.boundary.dev", token: token)
        // The late authorize-session still ran (a session nobody will use, as upstream would make).
        XCTAssertEqual(harness.logLines(event: "authorize-session").count, 2)
    }

    func testInjectedErrorStatus() async throws {
        let (token, _) = try await harness.login()
        try await harness.admin(
            .POST, "/admin/faults", ["endpoint": "read-auth-token", "error_rate": 1, "error_status": 503])
        let error = await controllerError { try await harness.client().validate(token: token) }
        XCTAssertEqual(error?.httpStatus, 503)
        XCTAssertEqual(error?.body?.kind, "Unavailable")
        XCTAssertEqual(error?.isTokenDead, false)
    }

    func testStoppedAPIRefusesConnectionsAndComesBack() async throws {
        let (token, _) = try await harness.login()
        let client = try harness.client()
        let stopped = try await harness.admin(.POST, "/admin/api/stop")
        XCTAssertEqual(stopped["api_running"], false)
        let refused = await controllerError { try await client.validate(token: token) }
        guard case .connectionRefused = refused else {
            return XCTFail("expected refused, got \(String(describing: refused))")
        }
        XCTAssertEqual(refused?.isTransportFailure, true)
        try await harness.admin(.POST, "/admin/api/start")
        // Same port, same state: the old token still works.
        _ = try await client.validate(token: token)
        await harness.controller.stopAPI()
        let again = await controllerError { try await client.validate(token: token) }
        guard case .connectionRefused = again else {
            return XCTFail("expected refused, got \(String(describing: again))")
        }
        try await harness.controller.startAPI()
        _ = try await client.validate(token: token)
    }
}
