// boundary-agent: the per-user command line of the Boundary client agent (Sources/AgentCLI).
import AgentCLI

#if canImport(Glibc)
    import Glibc
#endif

exit(CLIMain.run(Array(CommandLine.arguments.dropFirst()), context: CLIContext.live()))
