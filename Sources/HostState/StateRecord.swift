import JSON

/// The state file's content: the helper's pid and every change it made, oldest first, as JSON
/// (`{"version": 1, "pid": N, "changes": [...]}`). The helper writes it before each change and
/// reads it back after a crash (`privileged-helper/StateFile.swift` does the file I/O).
public struct StateRecord: Equatable, Sendable {
    public static let formatVersion = 1

    public var pid: Int32
    public var changes: [SystemChange]

    public init(pid: Int32, changes: [SystemChange] = []) {
        self.pid = pid
        self.changes = changes
    }

    /// Parses a state file; anything but our format is refused.
    public init(bytes: [UInt8]) throws {
        let json: JSONValue
        do {
            json = try JSONParser().parse(bytes)
        } catch {
            throw HostStateError.notJSON("\(error)")
        }
        guard json["version"]?.intValue == StateRecord.formatVersion, let list = json["changes"]?.arrayValue else {
            throw HostStateError.unknownFormat
        }
        pid = Int32(truncatingIfNeeded: json["pid"]?.intValue ?? 0)
        changes = try list.map { item in
            guard let change = SystemChange(json: item) else { throw HostStateError.badEntry("\(item)") }
            return change
        }
    }

    /// The file's bytes: pretty JSON, one trailing newline.
    public var bytes: [UInt8] {
        let json: JSONValue = [
            "version": .int(Int64(StateRecord.formatVersion)), "pid": .int(Int64(pid)),
            "changes": .array(changes.map(\.json)),
        ]
        return JSONWriter(style: .pretty).bytes(json) + [0x0A]
    }
}
