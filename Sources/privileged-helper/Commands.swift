import AgentConfig
import AgentIPC
import Glibc
import PrivSep

enum Commands {
    static func loadConfig(_ path: String) throws -> (AgentConfiguration, String) {
        do {
            let text = try ConfigLoader.readText(path: path)
            return (try ConfigLoader.parse(text, path: path), text)
        } catch {
            throw HelperError.config(error)
        }
    }

    /// `-validate`: the diagnostics (on stderr) or a one-line OK; touches nothing.
    static func validate(_ options: HelperOptions) -> Int32 {
        do {
            _ = try loadConfig(options.configPath)
            print("\(options.configPath): configuration OK")
            return 0
        } catch {
            printError("\(error)")
            return 1
        }
    }

    /// The helper's run, foreground, until SIGTERM/SIGINT.
    static func run(_ options: HelperOptions) -> Int32 {
        let config: AgentConfiguration
        let text: String
        do {
            (config, text) = try loadConfig(options.configPath)
            guard geteuid() == 0 else { throw HelperError.notRoot }
            guard config.dnsMode != .systemdResolved else {
                throw HelperError.setup("dns_mode \"systemd-resolved\" is not implemented yet; use \"resolv.conf\"")
            }
        } catch {
            printError("\(error)")
            return 1
        }
        var log = HelperLog(level: config.logLevel, fd: -1, toStdout: config.logToStdout)
        do {
            // Signals become readable on the signalfd from here on; a SIGTERM during setup is handled
            // by the loop, after setup, like any other.
            let signalFD = try Posix.signalFD([SIGTERM, SIGINT, SIGHUP, SIGCHLD])
            log.fd = try HelperLog.open(config.logFile)
            _ = try StateFile.lock(config.stateFile)
            let notices = try recover(config, log: log)
            let state = StateFile(path: config.stateFile)
            try state.save()
            let supervisor = Supervisor(
                configPath: options.configPath, config: config, configText: text, log: log, state: state,
                seccompLog: options.seccompLog, signalFD: signalFD)
            for notice in notices { supervisor.warn(notice) }
            do {
                try supervisor.setUp()
            } catch {
                log.error("start failed: \(error); undoing what was done")
                supervisor.abandonStart()
                return 1
            }
            return supervisor.run()
        } catch {
            log.error("\(error)")
            return 1
        }
    }

    /// `cleanup`: undo whatever the state file records (ExecStopPost; after a crash). Safe to run
    /// twice. A configuration that no longer parses still names no other state file than the
    /// default, so a broken file does not block the cleanup.
    static func cleanup(_ options: HelperOptions) -> Int32 {
        var config = AgentConfiguration()
        do {
            config = try loadConfig(options.configPath).0
        } catch {
            printError("\(error)\n(using the default state file \(config.stateFile))")
        }
        guard geteuid() == 0 else {
            printError("\(HelperError.notRoot)")
            return 1
        }
        do {
            _ = try StateFile.lock(config.stateFile)
            _ = try recover(config, log: HelperLog())
            return 0
        } catch {
            printError("\(error)")
            return 1
        }
    }

    /// Reverts what a previous run recorded (the caller holds the state lock, so that run is gone),
    /// then rebuilds a resolv.conf of ours that nothing accounted for. Returns what to tell `status`.
    static func recover(_ config: AgentConfiguration, log: HelperLog) throws -> [String] {
        if let old = try StateFile.load(config.stateFile) {
            log.info("undoing \(old.changes.count) change(s) left by an earlier run (pid \(old.pid))")
            var changes = HostChanges(state: old, log: log)
            guard changes.revertAll() else {
                throw HelperError.stateFile(config.stateFile, "some changes could not be undone")
            }
            try old.remove()
        }
        // Still ours after that: the backup is gone (state_file in /run, a crash, then a reboot) or was
        // never made. Its nameservers are a dead agent's: taking them as upstreams would leave none.
        let ours: [IPAddress] = [.v4(config.dnsListenV4), .v6(config.dnsListenV6)]
        guard let servers = try ResolvConf(path: config.resolvConfPath).rebuildOrphan(excluding: ours) else {
            return []
        }
        let notice =
            "\(config.resolvConfPath) still pointed at an agent that is gone and its backup was lost "
            + "(state_file \(config.stateFile) did not survive?); rebuilt it with the nameservers it recorded: "
            + (servers.isEmpty ? "none (the resolver's default)" : servers.joined(separator: " "))
        log.warning(notice)
        return [notice]
    }

    static func printError(_ text: String) {
        try? Posix.write(2, Array((text + "\n").utf8))
    }
}
