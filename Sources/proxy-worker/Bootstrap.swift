import AgentConfig
import AgentCore
import Broker
import Logging

/// The one place the broker plugs in.
///
/// `prepare` runs before the sandbox with the parsed configuration: load everything from disk here
/// (the `tls_ca_file` bundle, the admin group's members), because after it `openat` fails with EACCES.
/// `makeService` runs after the sandbox: the Broker library adopts `context.proxySockets` on
/// `context.group` and returns the object AgentCore drives.
enum Bootstrap {
    typealias Prepared = ProxyWorker.Prepared

    static func prepare(_ config: AgentConfiguration, _ logger: Logger) throws -> Prepared {
        try BrokerService.prepare(config, logger)
    }

    static func makeService(_ context: WorkerContext, _ prepared: Prepared) throws -> any ProxyWorkerService {
        try BrokerService.start(context, prepared)
    }
}
