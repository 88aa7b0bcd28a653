import AgentAPI
import JSON
import NIOCore
import XCTest

@testable import Broker
@testable import DevController

/// The broker against the dev controller and dev worker, with real clients (see `BrokerHarness`).
final class BrokerEndToEndTests: XCTestCase {
    let alice: UInt32 = 1001
    let bob: UInt32 = 1002
    let carol: UInt32 = 1003

    func withHarness(
        settings: BrokerSettings = BrokerSettings(version: "test"),
        configure: (inout DevControllerConfig) -> Void = { _ in },
        _ body: (BrokerHarness) async throws -> Void
    ) async throws {
        let harness = try BrokerHarness(settings: settings, configure: configure)
        try await harness.start()
        do {
            try await body(harness)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
    }

    func signIn(_ h: BrokerHarness, uid: UInt32, as name: String) async throws -> StatusResponse {
        let token = try await h.login(name)
        let json = try await h.api(.addToken(TokenRequest(boundaryAddr: h.apiURL, token: token)), uid: uid)
        return try StatusResponse(json: json)
    }

    func testTokenViewSessionReuseIsolationAndSignOut() async throws {
        try await withHarness { h in
            let status = try await signIn(h, uid: alice, as: "alice")
            XCTAssertEqual(status.userID, "u_1111111111")
            XCTAssertTrue(status.authTokenID?.hasPrefix("at_") == true)
            XCTAssertNotNil(status.authTokenExpiry)
            let dns = h.dns
            let alice = self.alice
            let viewed = try await h.eventually { _ in dns.views[alice]?.count == 3 }
            XCTAssertTrue(viewed, "alice's three aliases pushed to the DNS worker")
            XCTAssertEqual(h.logged("read-auth-token").count, 1, "the token was checked with the controller")

            let echoMaybe = try await h.address(of: "echo.bca.test", uid: alice)
            let echo = try XCTUnwrap(echoMaybe)
            // The DNS query authorizes ahead of the connect.
            try await h.onCore { $0.aliasQueried(uid: alice, alias: "ECHO.bca.test.") }
            let prefetched = try await h.eventually { core in
                core.sessions[.init(uid: alice, alias: "echo.bca.test")]?.current != nil
            }
            XCTAssertTrue(prefetched)

            let port = try h.listen(uid: alice, destination: echo)
            for i in 0..<20 {
                XCTAssertEqual(Client.roundTrip(port: port, message: "hello \(i)\n"), .echoed("hello \(i)\n"))
            }
            XCTAssertEqual(h.logged("authorize-session").count, 1, "20 connections share one session")

            // Bob has no token: his connections to the same address are refused.
            let bobPort = try h.listen(uid: bob, destination: echo)
            XCTAssertEqual(Client.roundTrip(port: bobPort), .refused)
            // And he sees none of alice's sessions.
            let bobSessions = try SessionsResponse(json: try await h.api(.sessions, uid: bob))
            XCTAssertEqual(bobSessions.items, [])
            let aliceSessions = try SessionsResponse(json: try await h.api(.sessions, uid: alice))
            XCTAssertEqual(aliceSessions.items.map(\.alias), ["echo.bca.test"])
            let sessionID = aliceSessions.items[0].sessionAuthorization.sessionID

            // Sign-out cancels the session at the controller.
            let after = try StatusResponse(json: try await h.api(.removeToken, uid: alice))
            XCTAssertNil(after.authTokenID)
            XCTAssertEqual(dns.views[alice] ?? [], [])
            XCTAssertEqual(Client.roundTrip(port: port), .refused)
            var cancelled = false
            for _ in 0..<100 {
                let live = h.controller.sessions.session(id: sessionID)?.isLive(at: DevSessionStore.now())
                if live == false {
                    cancelled = true
                    break
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            XCTAssertTrue(cancelled, "the controller shows alice's session ended")
        }
    }

    func testConnectionLimitOneGetsASessionPerConnection() async throws {
        try await withHarness { h in
            _ = try await signIn(h, uid: alice, as: "alice")
            let dns = h.dns
            let alice = self.alice
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 }
            let onceMaybe = try await h.address(of: "once.bca.test", uid: alice)
            let once = try XCTUnwrap(onceMaybe)
            let port = try h.listen(uid: alice, destination: once)
            for i in 0..<3 {
                XCTAssertEqual(Client.roundTrip(port: port, message: "x\(i)\n"), .echoed("x\(i)\n"))
            }
            XCTAssertEqual(h.logged("authorize-session").count, 3)
        }
    }

    func testGrantsAreEnforcedAndCredentialsStayWithTheirOwner() async throws {
        try await withHarness { h in
            _ = try await signIn(h, uid: alice, as: "alice")
            _ = try await signIn(h, uid: bob, as: "bob")
            let dns = h.dns
            let (alice, bob) = (self.alice, self.bob)
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 && dns.views[bob] != nil }
            // Bob may authorize only the creds target; his connect to echo fails at authorize-session.
            let echoMaybe = try await h.address(of: "echo.bca.test", uid: alice)
            let echo = try XCTUnwrap(echoMaybe)
            let bobEcho = try h.listen(uid: bob, destination: echo)
            XCTAssertEqual(Client.roundTrip(port: bobEcho), .refused)

            let credsMaybe = try await h.address(of: "creds.bca.test", uid: bob)
            let creds = try XCTUnwrap(credsMaybe)
            let bobCreds = try h.listen(uid: bob, destination: creds)
            XCTAssertEqual(Client.roundTrip(port: bobCreds), .echoed("hello through boundary\n"))
            let sessions = try SessionsResponse(json: try await h.api(.sessions, uid: bob))
            let credential = try XCTUnwrap(
                sessions.items.first { $0.alias == "creds.bca.test" }?.sessionAuthorization.credentials.first)
            XCTAssertEqual(credential["credential"]?["username"], "dba")
            XCTAssertEqual(credential["credential"]?["password"], "s3cret")
            let status = try StatusResponse(json: try await h.api(.status, uid: bob))
            XCTAssertTrue(status.events.first?.contains("brokered credentials") == true, "\(status.events)")
            let aliceStatus = try StatusResponse(json: try await h.api(.status, uid: alice))
            XCTAssertEqual(aliceStatus.events, [])
            // Alice's session list never holds bob's secret.
            let aliceText = JSONWriter().string(try await h.api(.sessions, uid: alice))
            XCTAssertFalse(aliceText.contains("s3cret"))
            XCTAssertFalse(aliceText.contains("dba"))
        }
    }

    func testForbiddenListingUsesTheFallback() async throws {
        try await withHarness { h in
            _ = try await signIn(h, uid: carol, as: "carol")
            let dns = h.dns
            let carol = self.carol
            let fallback = try await h.eventually { _ in dns.fallbackUsers == [carol] }
            XCTAssertTrue(fallback, "carol may not list aliases: the DNS worker asks the broker")
            let warned = try StatusResponse(json: try await h.api(.status, uid: carol))
            XCTAssertEqual(warned.aliasListing, "forbidden")

            try await h.onCore { $0.resolveRequest(requestID: 7, uid: carol, name: "Echo.bca.test.") }
            try await h.onCore { $0.resolveRequest(requestID: 8, uid: carol, name: "nothere.bca.test") }
            let answered = try await h.eventually { _ in dns.results.count == 2 }
            XCTAssertTrue(answered)
            let echo = try XCTUnwrap(dns.results.first { $0.0 == 7 })
            XCTAssertNotNil(echo.3, "an alias found by authorize-session")
            XCTAssertEqual(echo.2, "Echo.bca.test.", "answered with the name as asked")
            XCTAssertNil(try XCTUnwrap(dns.results.first { $0.0 == 8 }).3)
            XCTAssertEqual(dns.views[carol]?.map(\.alias), ["echo.bca.test"])

            // The negative answer is cached: no second controller call.
            let before = h.logged("authorize-session").count
            try await h.onCore { $0.resolveRequest(requestID: 9, uid: carol, name: "nothere.bca.test") }
            _ = try await h.eventually { _ in dns.results.count == 3 }
            XCTAssertEqual(h.logged("authorize-session").count, before)

            // The session the fallback authorized serves the first connection.
            let addressMaybe = try await h.address(of: "echo.bca.test", uid: carol)
            let address = try XCTUnwrap(addressMaybe)
            let port = try h.listen(uid: carol, destination: address)
            XCTAssertEqual(Client.roundTrip(port: port), .echoed("hello through boundary\n"))
            XCTAssertEqual(h.logged("authorize-session").count, before)
        }
    }

    func testControllerDownAutoPauses() async throws {
        try await withHarness(
            settings: BrokerSettings(version: "test", aliasRefreshInterval: .seconds(1), autoPauseFailures: 3)
        ) { h in
            _ = try await signIn(h, uid: alice, as: "alice")
            let dns = h.dns
            let alice = self.alice
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 }
            await h.controller.stopAPI()
            // New connections to an alias without a session fail fast.
            let echoMaybe = try await h.address(of: "echo.bca.test", uid: alice)
            let echo = try XCTUnwrap(echoMaybe)
            let port = try h.listen(uid: alice, destination: echo)
            let start = NIODeadline.now()
            XCTAssertEqual(Client.roundTrip(port: port), .refused)
            XCTAssertLessThan(NIODeadline.now() - start, .seconds(3))
            let paused = try await h.eventually(30) { $0.agentPause != nil }
            XCTAssertTrue(paused, "auto-paused after 3 failures")
            XCTAssertEqual(h.helper.pauses.count, 1)
            let status = try StatusResponse(json: try await h.api(.status, uid: alice))
            XCTAssertEqual(status.status, .paused)
            XCTAssertEqual(status.pauseScope, .agent)
            XCTAssertTrue(status.errors.first?.contains("auto-paused") == true, "\(status.errors)")
            XCTAssertEqual(dns.views[alice] ?? [], [], "a paused agent resolves no alias")
        }
    }

    func testTokenExpiryDropsTheTokenItsViewAndSessions() async throws {
        try await withHarness(configure: { $0.authTokenTimeToLive = 3 }) { h in
            let status = try await signIn(h, uid: alice, as: "alice")
            XCTAssertNotNil(status.authTokenExpiry)
            let dns = h.dns
            let alice = self.alice
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 }
            let echoMaybe = try await h.address(of: "echo.bca.test", uid: alice)
            let echo = try XCTUnwrap(echoMaybe)
            let port = try h.listen(uid: alice, destination: echo)
            XCTAssertEqual(Client.roundTrip(port: port), .echoed("hello through boundary\n"))
            let dropped = try await h.eventually(8) { $0.users[alice]?.token == nil }
            XCTAssertTrue(dropped, "the token is dropped at its expiry")
            XCTAssertEqual(dns.views[alice] ?? [], [])
            let after = try StatusResponse(json: try await h.api(.status, uid: alice))
            XCTAssertNil(after.authTokenID)
            XCTAssertTrue(after.errors.first?.contains("expired") == true, "\(after.errors)")
            let sessions = try SessionsResponse(json: try await h.api(.sessions, uid: alice))
            XCTAssertEqual(sessions.items, [], "its sessions and credentials are gone")
            XCTAssertEqual(Client.roundTrip(port: port), .refused)
        }
    }

    func testANewDNSWorkerGetsEveryViewAndAReloadReaddresses() async throws {
        try await withHarness { h in
            _ = try await signIn(h, uid: alice, as: "alice")
            _ = try await signIn(h, uid: carol, as: "carol")
            let dns = h.dns
            let (alice, carol) = (self.alice, self.carol)
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 && dns.fallbackUsers == [carol] }
            // The DNS worker restarted: the new one knows nothing until the broker pushes it all.
            let fresh = RecordingDNSWorker()
            try await h.onCore { $0.dnsWorkerConnected(fresh) }
            XCTAssertEqual(
                fresh.views[alice]?.map(\.alias).sorted(), ["creds.bca.test", "echo.bca.test", "once.bca.test"])
            XCTAssertEqual(fresh.fallbackUsers, [carol])
            XCTAssertEqual(fresh.flushes, 1)

            // SIGHUP with another v4_prefix: every alias moves into it; the old address is refused.
            let oldMaybe = try await h.address(of: "echo.bca.test", uid: alice)
            let old = try XCTUnwrap(oldMaybe)
            var settings = BrokerSettings(version: "test")
            settings.v4Base = IPText.parseV4("100.80.0.0")!
            settings.v4PrefixLength = 12
            let newSettings = settings
            try await h.onCore { $0.names.collectionThreshold = 1 }
            try await h.onCore { $0.apply(settings: newSettings) }
            // The old allocator's names were let go; the tick collects what nothing holds any more, and
            // alice's listing and the new allocator still hold all three.
            let (dropped, names) = try await h.onCore { core in
                core.tick(at: .now())
                return (core.names.dropped, core.names.count)
            }
            XCTAssertEqual(dropped, 0, "collected")
            XCTAssertEqual(names, 3)
            let moved = fresh.views[alice]?.first { $0.alias == "echo.bca.test" }
            let v4 = try XCTUnwrap(moved?.addresses.v4)
            XCTAssertEqual(v4 & 0xfff0_0000, IPText.parseV4("100.80.0.0")!)
            let oldPort = try h.listen(uid: alice, destination: old)
            XCTAssertEqual(Client.roundTrip(port: oldPort), .refused)
            let newPort = try h.listen(uid: alice, destination: try SocketAddress(ipAddress: IPText.v4(v4), port: 80))
            XCTAssertEqual(Client.roundTrip(port: newPort), .echoed("hello through boundary\n"))
        }
    }

    func testTheOpenFileBudgetCapsAllConnections() async throws {
        XCTAssertEqual(BrokerSettings.connectionBudget(openFileLimit: 20_000), 9488)
        XCTAssertEqual(BrokerSettings.connectionBudget(openFileLimit: 100), 64)
        try await withHarness(settings: BrokerSettings(version: "test", maxConnectionsTotal: 1)) { h in
            _ = try await signIn(h, uid: alice, as: "alice")
            _ = try await signIn(h, uid: bob, as: "bob")
            let dns = h.dns
            let (alice, bob) = (self.alice, self.bob)
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 && dns.views[bob] != nil }
            let echoMaybe = try await h.address(of: "echo.bca.test", uid: alice)
            let credsMaybe = try await h.address(of: "creds.bca.test", uid: bob)
            let alicePort = try h.listen(uid: alice, destination: try XCTUnwrap(echoMaybe))
            let bobPort = try h.listen(uid: bob, destination: try XCTUnwrap(credsMaybe))
            // Alice holds one connection open: the whole budget.
            let held = Client.open(port: alicePort)
            let carried = try await h.eventually { $0.connections.count == 1 }
            XCTAssertTrue(carried)
            XCTAssertEqual(Client.roundTrip(port: bobPort), .refused)
            Client.close(held)
            _ = try await h.eventually { $0.connections.isEmpty }
            XCTAssertEqual(Client.roundTrip(port: bobPort), .echoed("hello through boundary\n"))
        }
    }

    func testUsersOnDifferentControllersAndSwitchingControllerEndsSessions() async throws {
        try await withHarness { h in
            let other = try await h.secondController()
            _ = try await signIn(h, uid: alice, as: "alice")
            // Bob signs in at the other controller (as its Boundary user "alice": another controller, another identity).
            let bobToken = try await h.login("alice", at: other)
            _ = try await h.api(.addToken(TokenRequest(boundaryAddr: other.apiURL!, token: bobToken)), uid: bob)
            let dns = h.dns
            let (alice, bob) = (self.alice, self.bob)
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 && dns.views[bob]?.count == 3 }
            // The same alias, the same address for both; each connection goes to its own controller.
            let echoMaybe = try await h.address(of: "echo.bca.test", uid: alice)
            let echo = try XCTUnwrap(echoMaybe)
            let bobEchoMaybe = try await h.address(of: "echo.bca.test", uid: bob)
            XCTAssertEqual(bobEchoMaybe, echo)
            let alicePort = try h.listen(uid: alice, destination: echo)
            let bobPort = try h.listen(uid: bob, destination: echo)
            XCTAssertEqual(Client.roundTrip(port: alicePort), .echoed("hello through boundary\n"))
            XCTAssertEqual(Client.roundTrip(port: bobPort), .echoed("hello through boundary\n"))
            let first = try XCTUnwrap(h.controller.sessions.sessions(userID: "u_1111111111").first)
            XCTAssertEqual(
                other.sessions.sessions(userID: "u_1111111111").count, 1, "bob's session is at the other one")

            // Alice moves to the other controller: her session at the first one ends first.
            let moved = try await h.login("alice", at: other)
            let status = try StatusResponse(
                json: try await h.api(.addToken(TokenRequest(boundaryAddr: other.apiURL!, token: moved)), uid: alice))
            XCTAssertEqual(status.boundaryAddr, other.apiURL!)
            var ended = false
            for _ in 0..<100 where !ended {
                ended = h.controller.sessions.session(id: first.id)?.isLive(at: DevSessionStore.now()) == false
                if !ended { try await Task.sleep(nanoseconds: 50_000_000) }
            }
            XCTAssertTrue(ended, "switching controllers cancelled the session at the old one")
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 }
            XCTAssertEqual(Client.roundTrip(port: alicePort), .echoed("hello through boundary\n"))
            XCTAssertEqual(other.sessions.sessions(userID: "u_1111111111").count, 2)
        }
    }

    func testExplain() async throws {
        try await withHarness { h in
            _ = try await signIn(h, uid: alice, as: "alice")
            let dns = h.dns
            let alice = self.alice
            _ = try await h.eventually { _ in dns.views[alice]?.count == 3 }
            let yes = try ExplainResponse(json: try await h.api(.explain(name: "ECHO.bca.test."), uid: alice))
            XCTAssertTrue(yes.resolves, yes.summary)
            XCTAssertEqual(yes.source, "listed")
            XCTAssertNotNil(yes.ipv4)
            let no = try ExplainResponse(json: try await h.api(.explain(name: "www.example.com"), uid: alice))
            XCTAssertFalse(no.resolves)
            XCTAssertEqual(no.checks.first { !$0.ok }?.check, "alias")
        }
    }
}
