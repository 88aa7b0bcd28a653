import AgentConfig
import JSON

#if canImport(Glibc)
    import Glibc
#endif

/// Each change as one JSON object of the state file (also shown in the helper's `status` answer).
/// The resolver backup keeps text as text and anything else (not UTF-8) as hex.
extension SystemChange {
    public var json: JSONValue {
        switch self {
        case .address(_, let address, let length, let interface):
            return [
                "kind": "address", "address": .string(SystemChange.addressText(address)),
                "prefixLength": .int(Int64(length)), "interface": .string(interface),
            ]
        case .localRoute(_, let prefix, let length, let interface):
            return [
                "kind": "localRoute", "prefix": .string(SystemChange.addressText(prefix)),
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
                    original["contentHex"] = .string(SystemChange.hex(content))
                }
            case .symlink(let target):
                original = ["type": "symlink", "target": .string(target)]
            case .absent:
                original = ["type": "absent"]
            }
            return ["kind": "resolver", "path": .string(backup.path), "original": .object(original)]
        }
    }

    /// The change a state file entry describes; nil for anything malformed or unknown.
    public init?(json: JSONValue) {
        switch json["kind"]?.stringValue {
        case "address", "localRoute":
            let isAddress = json["kind"]?.stringValue == "address"
            guard let text = json[isAddress ? "address" : "prefix"]?.stringValue, let ip = IPAddress(text),
                let length = json["prefixLength"]?.intValue, let interface = json["interface"]?.stringValue
            else { return nil }
            let family = ip.family == .v4 ? AF_INET : AF_INET6
            let prefixLength = Int(length)
            self =
                isAddress
                ? .address(family: family, address: ip.bytes, prefixLength: prefixLength, interface: interface)
                : .localRoute(family: family, prefix: ip.bytes, prefixLength: prefixLength, interface: interface)
        case "nftables":
            guard let table = json["table"]?.stringValue else { return nil }
            self = .firewall(table: table)
        case "socketFile":
            guard let path = json["path"]?.stringValue else { return nil }
            self = .socketFile(path: path)
        case "resolver":
            guard let path = json["path"]?.stringValue, let original = json["original"],
                let backup = SystemChange.original(original)
            else { return nil }
            self = .resolver(ResolverBackup(path: path, original: backup))
        default:
            return nil
        }
    }

    static func original(_ json: JSONValue) -> ResolverBackup.Original? {
        switch json["type"]?.stringValue {
        case "file":
            guard let mode = json["mode"]?.intValue, let mode = UInt32(exactly: mode) else { return nil }
            if let text = json["content"]?.stringValue { return .file(content: Array(text.utf8), mode: mode) }
            guard let hex = json["contentHex"]?.stringValue, let content = unhex(hex) else { return nil }
            return .file(content: content, mode: mode)
        case "symlink":
            return json["target"]?.stringValue.map { .symlink(target: $0) }
        case "absent":
            return .absent
        default:
            return nil
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out += [digits[Int(b >> 4)], digits[Int(b & 0xF)]] }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[i]), let low = nibble(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }
}
