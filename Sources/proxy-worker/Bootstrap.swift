import AgentCore
import Broker

/// The one place the broker plugs in.
///
/// `prepare` runs before the sandbox with the parsed configuration and the status journal the helper
/// opened: load everything from disk here (the `tls_ca_file` bundle, the admin group's members, the
/// journal's earlier entries), because after it `openat` fails with EACCES. `makeService` runs after
/// the sandbox: the Broker library adopts `context.proxySockets` on `context.group` and returns the
/// object AgentCore drives (reload, the DNS worker link, shutdown).
enum Bootstrap {
    typealias Prepared = ProxyWorker.Prepared

    static func prepare(_ preparation: WorkerPreparation) throws -> Prepared {
        try BrokerService.prepare(
            preparation.config, statusJournalFD: preparation.statusJournalFD, preparation.logger)
    }

    static func makeService(_ context: WorkerContext, _ prepared: Prepared) throws -> any ProxyWorkerService {
        try BrokerService.start(context, prepared)
    }
}
