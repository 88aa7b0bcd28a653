import AgentIPC
import Glibc
import JSON
import PrivSep

/// `operational_state_file`: whether the agent is paused, kept across restarts.
enum OperationalState: String {
    case running
    case paused

    static func load(_ path: String) -> OperationalState {
        guard let bytes = try? Posix.readFile(path, limit: 4096), let json = try? JSONParser().parse(bytes),
            let state = json["state"]?.stringValue.flatMap(OperationalState.init(rawValue:))
        else { return .running }
        return state
    }

    static func save(_ state: OperationalState, to path: String, log: HelperLog) {
        do {
            try Posix.makeDirectory(RuntimePaths.directory(of: path), mode: 0o755)
            let tmp = path + ".tmp"
            let fd = try Posix.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o644)
            defer { Posix.closeQuietly(fd) }
            try Posix.write(fd, JSONWriter().bytes(["state": .string(state.rawValue)]) + [0x0A])
            try Posix.fsync(fd)
            try Posix.rename(tmp, path)
        } catch {
            log.error("operational state: \(error)")
        }
    }
}
