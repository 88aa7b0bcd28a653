import AgentIPC
import Glibc
import JSON
import PrivSep

/// One thing the helper changed on the host, with what it takes to undo it.
enum SystemChange: Equatable {
    /// An address on `interface` (the DNS listen addresses).
    case address(family: Int32, address: [UInt8], prefixLength: Int, interface: String)
    /// `ip route add local PREFIX dev IF` (AnyIP for the alias prefix).
    case localRoute(family: Int32, prefix: [UInt8], prefixLength: Int, interface: String)
    /// Our nftables table.
    case firewall(table: String)
    /// A unix socket file we bound (removed on stop).
    case socketFile(path: String)
    /// The system resolver configuration as it was before we wrote ours.
    case resolver(ResolverBackup)
}

/// What `/etc/resolv.conf` (or `resolv_conf_path`) was before: a file (content and mode), a symlink
/// (kept a symlink), or nothing.
struct ResolverBackup: Equatable {
    enum Original: Equatable {
        case file(content: [UInt8], mode: UInt32)
        case symlink(target: String)
        case absent
    }

    var path: String
    var original: Original
}

/// The state file (`state_file`): every change, written *before* the change is made, so a helper
/// killed at any point leaves a record that `cleanup` or the next start can revert. Written
/// atomically (temp file, fsync, rename); removed on a clean stop.
struct StateFile {
    let path: String
    private(set) var changes: [SystemChange] = []
    var pid: Int32 = getpid()

    init(path: String) {
        self.path = path
    }

    /// The recorded state, or nil when there is no state file.
    static func load(_ path: String) throws -> StateFile? {
        guard try Posix.lstat(path) != nil else { return nil }
        let bytes = try Posix.readFile(path, limit: 16 << 20)
        let json: JSONValue
        do {
            json = try JSONParser().parse(bytes)
        } catch {
            throw HelperError.stateFile(path, "not JSON: \(error)")
        }
        guard json["version"]?.intValue == 1, let list = json["changes"]?.arrayValue else {
            throw HelperError.stateFile(path, "unknown format")
        }
        var state = StateFile(path: path)
        state.pid = Int32(json["pid"]?.intValue ?? 0)
        state.changes = try list.map { item in
            guard let change = SystemChange(json: item) else {
                throw HelperError.stateFile(path, "bad entry \(item)")
            }
            return change
        }
        return state
    }

    /// Appends `change` and writes the file; call before making the change.
    mutating func record(_ change: SystemChange) throws {
        changes.append(change)
        try save()
    }

    /// Drops `change` (reverted, or found not to be ours) and writes the file.
    mutating func forget(_ change: SystemChange) throws {
        guard let index = changes.lastIndex(of: change) else { return }
        changes.remove(at: index)
        try save()
    }

    func save() throws {
        let json: JSONValue = [
            "version": 1, "pid": .int(Int64(pid)), "changes": .array(changes.map(\.json)),
        ]
        try Posix.makeDirectory(RuntimePaths.directory(of: path), mode: 0o755)
        let tmp = path + ".tmp"
        let fd = try Posix.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o600)
        do {
            try Posix.write(fd, JSONWriter(style: .pretty).bytes(json) + [0x0A])
            try Posix.fsync(fd)
            try Posix.close(fd)
        } catch {
            Posix.closeQuietly(fd)
            throw error
        }
        try Posix.rename(tmp, path)
    }

    func remove() throws {
        try Posix.unlinkIfPresent(path)
    }

    /// Takes the state file's lock (`<state_file>.lock`, flock) for the life of the process, so two
    /// helpers (or `cleanup` and a running helper) never work on one record. A pid check alone
    /// could be fooled by pid reuse. Returns the lock's fd; keep it open.
    static func lock(_ path: String) throws -> Int32 {
        try Posix.makeDirectory(RuntimePaths.directory(of: path), mode: 0o755)
        let fd = try Posix.open(path + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            Posix.closeQuietly(fd)
            if err == EWOULDBLOCK { throw HelperError.alreadyRunning((try? load(path))??.pid ?? 0) }
            throw PrivSepError.syscall("flock \(path).lock", err)
        }
        return fd
    }
}

extension SystemChange {
    var json: JSONValue {
        switch self {
        case .address(let family, let address, let length, let interface):
            return [
                "kind": "address", "address": .string(Addresses.text(family, address)),
                "prefixLength": .int(Int64(length)),
                "interface": .string(interface),
            ]
        case .localRoute(let family, let prefix, let length, let interface):
            return [
                "kind": "localRoute", "prefix": .string(Addresses.text(family, prefix)),
                "prefixLength": .int(Int64(length)), "interface": .string(interface),
            ]
        case .firewall(let table):
            return ["kind": "nftables", "table": .string(table)]
        case .socketFile(let path):
            return ["kind": "socketFile", "path": .string(path)]
        case .resolver(let backup):
            var original: [String: JSONValue]
            switch backup.original {
            case .file(let content, let mode):
                original = ["type": "file", "mode": .int(Int64(mode))]
                if let text = String(validating: content, as: UTF8.self) {
                    original["content"] = .string(text)
                } else {
                    original["contentHex"] = .string(content.map { String($0, radix: 16).leftPadded(2) }.joined())
                }
            case .symlink(let target):
                original = ["type": "symlink", "target": .string(target)]
            case .absent:
                original = ["type": "absent"]
            }
            return ["kind": "resolver", "path": .string(backup.path), "original": .object(original)]
        }
    }

    init?(json: JSONValue) {
        switch json["kind"]?.stringValue {
        case "address", "localRoute":
            let key = json["kind"]?.stringValue == "address" ? "address" : "prefix"
            guard let text = json[key]?.stringValue, let endpoint = SocketEndpoint(text, port: 0),
                let length = json["prefixLength"]?.intValue, let interface = json["interface"]?.stringValue
            else { return nil }
            let family = endpoint.family == .inet ? AF_INET : AF_INET6
            self =
                key == "address"
                ? .address(family: family, address: endpoint.addressBytes, prefixLength: length, interface: interface)
                : .localRoute(family: family, prefix: endpoint.addressBytes, prefixLength: length, interface: interface)
        case "nftables":
            guard let table = json["table"]?.stringValue else { return nil }
            self = .firewall(table: table)
        case "socketFile":
            guard let path = json["path"]?.stringValue else { return nil }
            self = .socketFile(path: path)
        case "resolver":
            guard let path = json["path"]?.stringValue, let original = json["original"] else { return nil }
            switch original["type"]?.stringValue {
            case "file":
                guard let mode = original["mode"]?.intValue else { return nil }
                var content: [UInt8]
                if let text = original["content"]?.stringValue {
                    content = Array(text.utf8)
                } else if let hex = original["contentHex"]?.stringValue, hex.utf8.count % 2 == 0 {
                    let digits = Array(hex.utf8)
                    content = []
                    for i in stride(from: 0, to: digits.count, by: 2) {
                        guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else {
                            return nil
                        }
                        content.append(byte)
                    }
                } else {
                    return nil
                }
                self = .resolver(ResolverBackup(path: path, original: .file(content: content, mode: UInt32(mode))))
            case "symlink":
                guard let target = original["target"]?.stringValue else { return nil }
                self = .resolver(ResolverBackup(path: path, original: .symlink(target: target)))
            case "absent":
                self = .resolver(ResolverBackup(path: path, original: .absent))
            default:
                return nil
            }
        default:
            return nil
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
