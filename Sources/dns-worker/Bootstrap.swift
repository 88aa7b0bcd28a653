import AgentConfig
import AgentCore
import DNSService
import NIOCore
import PrivSep

/// The one place the DNS worker's serving code plugs in.
///
/// `prepare` runs before the chroot and the sandbox: it looks up the caching stubs' uids (NSS reads
/// /etc/passwd). `makeService` runs after the sandbox: `DNSService.DNSServer` adopts the four passed
/// sockets on `context.group`, with `BrokerLink` as its delegate; `HelperLink` maps the helper's
/// reloads, the broker's link and shutdown onto it.
enum Bootstrap {
    struct Prepared: Sendable {
        /// Answered from the union of every view, like queries whose sender cannot be found.
        var unionUIDs: Set<UInt32>
    }

    static func prepare(_ preparation: WorkerPreparation) throws -> Prepared {
        // Caching stubs ask on behalf of every user, so their uid says nothing about who wants the
        // answer (absent accounts are skipped). The proxy checks the connecting user either way.
        var uids = Set<UInt32>()
        for name in AgentConfiguration.cachingStubUsers {
            guard let user = try? UserIdentity.lookup(name), user.uid != 0 else { continue }
            uids.insert(user.uid)
        }
        if !uids.isEmpty {
            preparation.logger.debug("caching stubs answered from the union", metadata: ["uids": "\(uids.sorted())"])
        }
        return Prepared(unionUIDs: uids)
    }

    static func makeService(_ context: WorkerContext, _ prepared: Prepared) throws -> any DNSWorkerService {
        let s = context.dnsSockets
        let configuration = serverConfiguration(
            context.config, systemUpstreams: context.systemUpstreams, unionUIDs: prepared.unionUIDs)
        // One loop for the server and its broker link (the server runs on one loop anyway).
        let loop = context.group.next()
        let broker = BrokerLink(loop: loop, logger: context.logger)
        let server = try DNSServer.start(
            group: loop, udpFDs: [s.udp4, s.udp6], tcpFDs: [s.tcp4, s.tcp6], configuration: configuration,
            delegate: broker, logger: context.logger
        ).wait()
        broker.serve(server)
        context.logger.info(
            "serving DNS",
            metadata: [
                "listeners": "\(server.udpAddresses + server.tcpAddresses)",
                "upstreams": "\(configuration.upstreams)",
            ])
        return HelperLink(server: server, broker: broker, unionUIDs: prepared.unionUIDs)
    }

    /// The server's settings from the agent's configuration (`dns_request_timeout`, `dns_cache_size`,
    /// the upstreams: `override_upstream_dns_servers` or the system's from the helper).
    static func serverConfiguration(
        _ config: AgentConfiguration, systemUpstreams: [UpstreamServer], unionUIDs: Set<UInt32>
    ) -> DNSServerConfiguration {
        var configuration = DNSServerConfiguration(agent: config, systemUpstreams: systemUpstreams)
        configuration.unionUIDs = unionUIDs
        return configuration
    }
}
