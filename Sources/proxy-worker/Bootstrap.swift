import AgentConfig
import AgentCore
import Logging

/// The one place the broker plugs in.
///
/// `prepare` runs before the sandbox with the parsed configuration: load everything from disk here
/// (the `tls_ca_file` bundle, anything else), because after it `openat` fails with EACCES.
/// `makeService` runs after the sandbox: adopt `context.proxySockets` on `context.group` and return
/// the object AgentCore drives. Today both are the skeleton's (`StubProxyServer` accepts and closes);
/// the Broker library replaces them here.
enum Bootstrap {
    struct Prepared: Sendable {}

    static func prepare(_ config: AgentConfiguration, _ logger: Logger) throws -> Prepared {
        Prepared()
    }

    static func makeService(_ context: WorkerContext, _ prepared: Prepared) throws -> any ProxyWorkerService {
        HelperLink(server: try StubProxyServer.start(context), logger: context.logger)
    }
}
