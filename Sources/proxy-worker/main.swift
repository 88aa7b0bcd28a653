// boundary-agent-proxy: the sandboxed session broker, started by boundary-agent-helper (never by hand).
//
// AgentCore's WorkerMain does the whole start: receive the listeners and configuration on fd 3, run
// `Bootstrap.prepare` while files can still be read, drop to the worker user, seccomp
// (SandboxProfile.proxyWorker), then call `Bootstrap.makeService` on the main thread.
import AgentCore

WorkerMain.runProxy(prepare: Bootstrap.prepare, serve: Bootstrap.makeService)
