// boundary-agent-helper: the small root process. It changes the host (addresses, local routes,
// nftables, resolv.conf), binds the sockets, starts the sandboxed workers and hands them their fds,
// supervises them, and undoes everything on stop. See docs/architecture.md.
import AgentVersion
import Glibc
import PrivSep

let options: HelperOptions
do {
    options = try HelperOptions(CommandLine.arguments)
} catch {
    Commands.printError("\(error)")
    exit(2)
}
switch options.command {
case .version:
    print("boundary-agent-helper \(AgentVersion.semver)")
    exit(0)
case .validate: exit(Commands.validate(options))
case .cleanup: exit(Commands.cleanup(options))
case .run: exit(Commands.run(options))
}
