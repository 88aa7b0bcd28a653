import AgentConfig
import AgentIPC
import Glibc
import JSON
import PrivSep

/// The request table's handlers, the resolver switch, and SIGHUP.
extension Supervisor {
    func workerReady(_ role: WorkerRole) {
        workers[role]?.ready = true
        log.info("the \(role) worker is serving")
        guard !serving, WorkerRole.allCases.allSatisfy({ workers[$0]?.ready == true }) else { return }
        serving = true
        applyResolver()
        Notify.send("READY=1\nSTATUS=serving")
        // Start-up (configuration, host changes, spawning) is done: give its code pages back.
        StartupPages.release()
        log.info("serving (\(paused ? "paused: resolver left alone" : "resolver points at the agent"))")
    }

    func workerReported(_ role: WorkerRole, _ text: String) {
        event("\(role) worker: \(text)")
    }

    func pause(id: UInt32, reason: String) {
        guard !paused else { return reply(id, true, "already paused") }
        paused = true
        OperationalState.save(.paused, to: startConfig.operationalStateFile, log: log)
        changes.revertResolver()
        event("paused: \(reason)")
        reply(id, true, "paused")
    }

    func resume(id: UInt32) {
        guard paused else { return reply(id, true, "not paused") }
        paused = false
        OperationalState.save(.running, to: startConfig.operationalStateFile, log: log)
        let error = applyResolver()
        event("resumed")
        reply(id, error == nil, error ?? "resumed")
    }

    func restoreResolver(id: UInt32) {
        changes.revertResolver()
        event("resolver restored on request")
        reply(id, true, "restored")
    }

    func status(id: UInt32) {
        var workerInfo: [String: JSONValue] = [:]
        for role in WorkerRole.allCases {
            var info: [String: JSONValue] = ["restarts": .int(Int64(restarts[role] ?? 0))]
            if let w = workers[role] {
                info["pid"] = .int(Int64(w.pid))
                info["ready"] = .bool(w.ready)
            }
            workerInfo[role.rawValue] = .object(info)
        }
        let json: JSONValue = [
            "paused": .bool(paused), "dnsMode": .string("\(startConfig.dnsMode)"),
            "resolverApplied": .bool(changes.resolverApplied), "resolverOverwritten": .bool(overwriteReported),
            "upstreams": .array(upstreams.map { .string("\($0)") }),
            "changes": .array(changes.state.changes.map(\.json)),
            "workers": .object(workerInfo), "events": .array(events),
            "warnings": .array(warnings.map { .string($0) }),
        ]
        reply(id, true, JSONWriter().string(json))
    }

    func reply(_ id: UInt32, _ ok: Bool, _ message: String) {
        send([HelperToProxy.requestResult(RequestResult(id: id, succeeded: ok, message: message)).frame()], to: .proxy)
    }

    /// Points the system resolver at the DNS worker (unless paused or `dns_mode = "off"`), with the
    /// upstreams re-read from what is there now. Returns an error text, or nil.
    @discardableResult
    func applyResolver() -> String? {
        guard let resolver, serving, !paused, !stopping, !changes.resolverApplied else { return nil }
        do {
            let base = try resolver.baseUpstreams().filter { !ours.contains($0.address) }
            if !base.isEmpty && base != upstreams {
                upstreams = base
                send(Spawn.reload(role: .dns, configText: nil, upstreams: upstreams, logFD: nil), to: .dns)
            }
            try changes.applyResolver(resolver, nameservers: ours)
            overwriteReported = false
            return nil
        } catch {
            log.error("could not point the resolver at the agent: \(error)")
            event("resolver not switched: \(error)")
            return "\(error)"
        }
    }

    /// Another program replaced our resolv.conf: its file becomes the backup (a stop restores
    /// it), its nameservers the upstreams, and ours goes back in place, a bounded number of times.
    func resolverOverwritten() {
        let path = startConfig.resolvConfPath
        resolverOverwrites += 1
        guard resolverOverwrites <= Supervisor.maxResolverReasserts else {
            overwriteReported = true
            event(
                "\(path) was overwritten by another program \(resolverOverwrites) times; leaving it to the other "
                    + "program: DNS goes around the agent")
            return
        }
        changes.forgetResolver()
        if applyResolver() == nil {
            event(
                "\(path) was overwritten by another program; pointed it at the agent again "
                    + "(\(resolverOverwrites) of \(Supervisor.maxResolverReasserts))")
        }
        // Status keeps saying so: the other program may well do it again.
        overwriteReported = true
    }

    /// SIGHUP: re-read and validate; a bad file keeps the running configuration. The log file is
    /// reopened (logrotate) and everything is pushed to the workers, which swap at reloadEnd.
    func reload() {
        let text: String
        let new: AgentConfiguration
        do {
            text = try ConfigLoader.readText(path: configPath)
            new = try ConfigLoader.parse(text, path: configPath)
        } catch {
            log.error("reload refused, keeping the running configuration:\n\(error)")
            event("reload refused: \(error)")
            return
        }
        let later = new.keysNeedingRestart(from: startConfig).map(\.rawValue)
        if !later.isEmpty { log.warning("these keys take effect at the next start: \(later.joined(separator: ", "))") }
        if new.dnsQueriesPerUser != installedDNSQueriesPerUser && !stopping {
            // The same table again with the new meter, in one atomic batch; a failure keeps the old one.
            do {
                try Firewall.install(firewallRules(dnsQueriesPerUser: new.dnsQueriesPerUser))
                installedDNSQueriesPerUser = new.dnsQueriesPerUser
                log.info("dns_queries_per_user is now \(new.dnsQueriesPerUser) (nftables table replaced)")
            } catch {
                log.error("reload: could not replace the nftables table, keeping the old DNS meter: \(error)")
                event("reload: the nftables table was not replaced: \(error)")
            }
        }
        config = new
        configText = text
        log.level = new.logLevel
        log.toStdout = new.logToStdout
        if let fd = try? HelperLog.open(startConfig.logFile) {
            Posix.closeQuietly(log.fd)
            log.fd = fd
            changes = HostChanges(state: changes.state, log: log)
        }
        for role in workers.keys {
            send(Spawn.reload(role: role, configText: text, upstreams: upstreams, logFD: log.fd), to: role)
        }
        event("configuration reloaded")
    }
}
