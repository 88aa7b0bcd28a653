import AgentCore

/// The one place the DNS worker's serving code plugs in. It runs after the sandbox is up: adopt the
/// passed sockets (`context.dnsSockets`) on `context.group` and return the object AgentCore drives.
///
/// Today: `StubDNSServer` (UDP queries forwarded to the first upstream, SERVFAIL otherwise; TCP
/// answered SERVFAIL), enough to prove the sockets, sandbox and IPC. DNSService replaces it here;
/// `HelperLink` adapts whatever serves to AgentCore's reload/peer-link/shutdown calls.
enum Bootstrap {
    static func makeService(_ context: WorkerContext) throws -> any DNSWorkerService {
        let server = try StubDNSServer.start(context)
        return HelperLink(server: server, logger: context.logger)
    }
}
