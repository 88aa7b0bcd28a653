// boundary-agent-dns: the sandboxed DNS server, started by boundary-agent-helper (never by hand).
//
// AgentCore's WorkerMain does the whole start: receive the sockets and configuration on fd 3, run
// `Bootstrap.prepare` (NSS lookups), chroot to an empty directory, drop to the worker user, seccomp
// (SandboxProfile.dnsWorker), then call `Bootstrap.makeService` on the main thread with a
// WorkerContext. Everything the worker serves hangs off that one call (Bootstrap.swift).
import AgentCore

WorkerMain.runDNS(prepare: Bootstrap.prepare, serve: Bootstrap.makeService)
