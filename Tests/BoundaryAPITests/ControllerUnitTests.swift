import BoundaryWire
import XCTest

@testable import BoundaryAPI

/// The client's pure parts: addresses, escaping, error mapping, listing bookkeeping.
final class ControllerUnitTests: XCTestCase {
    func testEndpointParsing() throws {
        let cases: [(String, HTTPEndpoint, String)] = [
            ("http://127.0.0.1:9200", .init(scheme: .http, host: "127.0.0.1", port: 9200), "127.0.0.1:9200"),
            ("http://127.0.0.1:9200/v1", .init(scheme: .http, host: "127.0.0.1", port: 9200), "127.0.0.1:9200"),
            ("http://127.0.0.1:9200/v1/", .init(scheme: .http, host: "127.0.0.1", port: 9200), "127.0.0.1:9200"),
            ("https://boundary.corp", .init(scheme: .https, host: "boundary.corp", port: 443), "boundary.corp"),
            (
                "https://boundary.corp:8443/prefix/v1",
                .init(scheme: .https, host: "boundary.corp", port: 8443, basePath: "/prefix"),
                "boundary.corp:8443"
            ),
            ("http://[::1]:9200", .init(scheme: .http, host: "::1", port: 9200), "[::1]:9200"),
            ("http://[fd00::1]", .init(scheme: .http, host: "fd00::1", port: 80), "[fd00::1]"),
        ]
        for (url, expected, hostHeader) in cases {
            let e = try HTTPEndpoint(url: url)
            XCTAssertEqual(e, expected, url)
            XCTAssertEqual(e.hostHeader, hostHeader, url)
        }
        XCTAssertNotNil(try HTTPEndpoint(url: "http://127.0.0.1:9200").literalAddress)
        XCTAssertNotNil(try HTTPEndpoint(url: "http://[::1]:9200").literalAddress)
        XCTAssertNil(try HTTPEndpoint(url: "http://localhost:9200").literalAddress)
        for bad in [
            "", "127.0.0.1:9200", "ftp://x", "unix:///tmp/s", "http://", "http://:80", "http://a:0", "http://a:65536",
            "http://a:b", "http://::1:80", "http://[::1", "http://[::1]x", "http://[zz]:1", "http://u:p@host",
            "http://host/?q=1", "http://host/#f", "http://ho st", "http://hos\"t",
        ] {
            XCTAssertThrowsError(try HTTPEndpoint(url: bad), bad) {
                guard case .invalidURL = $0 as? ControllerError else { return XCTFail("\(bad): \($0)") }
            }
        }
    }

    func testPercentEncoding() {
        XCTAssertEqual(PercentEncoding.encode("ssh.boundary.dev"), "ssh.boundary.dev")
        XCTAssertEqual(PercentEncoding.encode("u_1~a-b"), "u_1~a-b")
        XCTAssertEqual(PercentEncoding.encode("a/b?c:d e%"), "a%2Fb%3Fc%3Ad%20e%25")
        XCTAssertEqual(PercentEncoding.encode("é"), "%C3%A9")
        XCTAssertEqual(PercentEncoding.decode("a%2Fb%3fc"), "a/b?c")
        XCTAssertNil(PercentEncoding.decode("%zz"))
        XCTAssertNil(PercentEncoding.decode("%4"))
        XCTAssertNil(PercentEncoding.decode("%C3"))
    }

    func testErrorMapping() {
        func body(_ kind: String, _ message: String) -> [UInt8] {
            Array(#"{"kind":"\#(kind)","message":"\#(message)"}"#.utf8)
        }
        XCTAssertEqual(
            ControllerError(status: 401, body: body("Unauthenticated", "Unauthenticated, or invalid token.")),
            .unauthenticated(.init(kind: "Unauthenticated", message: "Unauthenticated, or invalid token.")))
        XCTAssertEqual(ControllerError(status: 403, body: body("PermissionDenied", "Forbidden.")).httpStatus, 403)
        XCTAssertEqual(
            ControllerError(status: 404, body: body("NotFound", "x")), .notFound(.init(kind: "NotFound", message: "x")))
        XCTAssertEqual(
            ControllerError(status: 400, body: body("invalid list token", "grants")),
            .invalidListToken(.init(kind: "invalid list token", message: "grants")))
        XCTAssertEqual(
            ControllerError(
                status: 400, body: body("FailedPrecondition", "No workers are available to handle this session.")),
            .badRequest(.init(kind: "FailedPrecondition", message: "No workers are available to handle this session.")))
        XCTAssertEqual(ControllerError(status: 504, body: body("DeadlineExceeded", "Gateway Timeout")).httpStatus, 504)
        // Not the error JSON: the start of the text, one line, at most 200 bytes.
        let html = ControllerError(status: 503, body: Array(("<html>\n" + String(repeating: "x", count: 500)).utf8))
        XCTAssertEqual(html.body?.kind, "")
        XCTAssertEqual(html.body?.message.count, 199)
        XCTAssertEqual(ControllerError(status: 500, body: []).body?.message, "")
        XCTAssertTrue(ControllerError(status: 401, body: []).isTokenDead)
        XCTAssertFalse(ControllerError(status: 403, body: []).isTokenDead)
        XCTAssertFalse(ControllerError(status: 500, body: []).isTransportFailure)
        XCTAssertTrue(ControllerError.timeout("x").isTransportFailure)
        XCTAssertTrue("\(ControllerError(status: 404, body: body("NotFound", "gone")))".contains("gone"))
    }

    func testUserAgent() {
        XCTAssertEqual(ControllerClient.userAgent(version: "0.1.0"), "Boundary-client-agent/0.1.0")
        XCTAssertEqual(ControllerClient.userAgent(version: "v1.2.3"), "Boundary-client-agent/1.2.3")
    }

    func testListingAccumulatorAndTable() {
        func alias(_ id: String, _ value: String) -> ResolvableAlias {
            ResolvableAlias(id: id, value: value, destinationID: "ttcp_x")
        }
        // A full listing over three pages, an item repeated (updated) on a later page.
        let full = ResolvableAliasListing.Accumulator(isRefresh: false)
        full.add(
            ResolvableAliasListPage(
                items: [alias("a", "a.x"), alias("b", "b.x")], responseType: "delta", listToken: "t1"))
        full.add(
            ResolvableAliasListPage(
                items: [alias("c", "c.x"), alias("a", "a2.x")], responseType: "delta", listToken: "t2"))
        let listing = full.finish(last: ResolvableAliasListPage(responseType: "complete", listToken: "r1"), pages: 3)
        XCTAssertEqual(listing.kind, .full)
        XCTAssertEqual(listing.items.map(\.value), ["a2.x", "b.x", "c.x"])
        XCTAssertEqual(listing.refreshToken, "r1")
        var table = ResolvableAliasTable()
        table.apply(listing)
        XCTAssertEqual(table.aliases.map(\.id), ["a", "b", "c"])
        XCTAssertEqual(table.alias(value: "A2.X")?.id, "a")
        XCTAssertEqual(table.refreshToken, "r1")

        // A delta: one added, one removed (also updated earlier on the same refresh: dropped).
        let delta = ResolvableAliasListing.Accumulator(isRefresh: true)
        let p1 = ResolvableAliasListPage(
            items: [alias("d", "d.x"), alias("b", "b2.x")], responseType: "delta", listToken: "t3", removedIDs: ["c"])
        delta.add(p1)
        let last = ResolvableAliasListPage(responseType: "complete", listToken: "r2", removedIDs: ["b"])
        delta.add(last)
        let d = delta.finish(last: last, pages: 2)
        XCTAssertEqual(d.kind, .delta)
        XCTAssertEqual(d.items.map(\.id), ["d"])
        XCTAssertEqual(d.removedIDs, ["c", "b"])
        table.apply(d)
        XCTAssertEqual(table.aliases.map(\.id), ["a", "d"])
        XCTAssertEqual(table.refreshToken, "r2")

        // A server without pagination: no refresh token, so the next listing is full again.
        let old = ResolvableAliasListing.Accumulator(isRefresh: false)
        let page = ResolvableAliasListPage(items: [alias("z", "z.x")])
        old.add(page)
        let o = old.finish(last: page, pages: 1)
        XCTAssertFalse(o.refreshSupported)
        XCTAssertNil(o.refreshToken)
        table.apply(o)
        XCTAssertEqual(table.aliases.map(\.id), ["z"])
        XCTAssertNil(table.refreshToken)
    }
}
