import BoundaryWire
import JSON

/// `-config FILE`: the JSON layout documented on `DevControllerConfig`. Unknown keys are errors
/// (a typo must not silently leave a default in place).
extension DevControllerConfig {
    public static func parse(_ text: String, base: DevControllerConfig = .devDefaults) throws -> DevControllerConfig {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: text)
        } catch {
            throw DevControllerError.config("\(error)")
        }
        var config = base
        let o = try DevJSONObject(root, path: "config")
        try o.allowOnly([
            "auth_method_id", "auth_token_time_to_live", "auth_token_time_to_stale", "max_page_size",
            "worker_addresses", "users", "targets", "aliases",
        ])
        if let id = try o.optionalString("auth_method_id") {
            guard id.hasPrefix("ampw_") else { throw DevControllerError.config("auth_method_id must start with ampw_") }
            config.authMethodID = id
        }
        if let v = o.members["auth_token_time_to_live"] {
            config.authTokenTimeToLive = try parseDuration(v, path: "config.auth_token_time_to_live")
        }
        if let v = o.members["auth_token_time_to_stale"] {
            config.authTokenTimeToStale = try parseDuration(v, path: "config.auth_token_time_to_stale")
        }
        if let size = try o.optionalInt("max_page_size") {
            guard size >= 1 else { throw DevControllerError.config("config.max_page_size must be at least 1") }
            config.maxPageSize = size
        }
        if let workers = try o.optionalStrings("worker_addresses") { config.workerAddresses = workers }
        if let users = try o.optionalArray("users") {
            config.users = try users.enumerated().map { try parseUser($1, path: "config.users[\($0)]") }
        }
        if let targets = try o.optionalArray("targets") {
            config.targets = try targets.enumerated().map { try parseTarget($1, path: "config.targets[\($0)]") }
        }
        if let aliases = try o.optionalArray("aliases") {
            config.aliases = try aliases.enumerated().map {
                try parseAlias($1, path: "config.aliases[\($0)]", targets: config.targets)
            }
        }
        try config.validate()
        return config
    }

    /// Cross-references: unique ids, logins and alias values; aliases and grants name real targets.
    public func validate() throws {
        func unique(_ values: [String], _ what: String) throws {
            var seen = Set<String>()
            for v in values where !seen.insert(v).inserted {
                throw DevControllerError.config("duplicate \(what) \"\(v)\"")
            }
        }
        try unique(users.map(\.id), "user id")
        try unique(users.map(\.loginName), "login name")
        try unique(targets.map(\.id), "target id")
        try unique(aliases.map(\.value), "alias value")
        try unique(aliases.map(\.id).filter { !$0.isEmpty }, "alias id")
        let targetIDs = Set(targets.map(\.id))
        for user in users {
            for t in user.targets where t != "*" && !targetIDs.contains(t) {
                throw DevControllerError.config("user \(user.id) is granted unknown target \(t)")
            }
        }
        for alias in aliases where !alias.destinationID.isEmpty && !targetIDs.contains(alias.destinationID) {
            throw DevControllerError.config("alias \(alias.value) points at unknown target \(alias.destinationID)")
        }
        for address in workerAddresses where !address.contains(":") {
            throw DevControllerError.config("worker address \(address) is not host:port")
        }
    }

    static func parseUser(_ value: JSONValue, path: String) throws -> User {
        let o = try DevJSONObject(value, path: path)
        try o.allowOnly(["id", "login_name", "password", "account_id", "admin", "list_resolvable_aliases", "targets"])
        let id = try o.requiredString("id")
        guard id.hasPrefix("u_"), id != "u_anon", id != "u_auth", id != "u_recovery" else {
            throw DevControllerError.config("\(path).id must be a u_ id that is not reserved")
        }
        return User(
            id: id, loginName: try o.requiredString("login_name"), password: try o.requiredString("password"),
            accountID: try o.optionalString("account_id"), isAdmin: try o.optionalBool("admin") ?? false,
            mayListAliases: try o.optionalBool("list_resolvable_aliases") ?? true,
            targets: Set(try o.optionalStrings("targets") ?? ["*"]))
    }

    static func parseTarget(_ value: JSONValue, path: String) throws -> Target {
        let o = try DevJSONObject(value, path: path)
        try o.allowOnly([
            "id", "name", "description", "address", "port", "connection_limit", "max_seconds", "credentials",
        ])
        let id = try o.optionalString("id") ?? "ttcp_" + DevIDs.random(count: 10)
        guard id.hasPrefix("ttcp_") else { throw DevControllerError.config("\(path).id must start with ttcp_") }
        let port = try o.optionalInt("port") ?? 0
        guard port >= 0, port <= 65535 else { throw DevControllerError.config("\(path).port is out of range") }
        let limit = try o.optionalInt("connection_limit") ?? -1
        guard limit >= -1, limit <= Int(Int32.max), limit != 0 else {
            throw DevControllerError.config("\(path).connection_limit must be -1 or positive")
        }
        let maxSeconds = try o.optionalInt("max_seconds") ?? 0
        guard maxSeconds >= 0 else { throw DevControllerError.config("\(path).max_seconds must not be negative") }
        let credentials = try (o.optionalArray("credentials") ?? []).enumerated().map {
            try parseCredential($1, path: "\(path).credentials[\($0)]")
        }
        return Target(
            id: id, name: try o.optionalString("name") ?? id, description: try o.optionalString("description") ?? "",
            address: try o.requiredString("address"), port: port, connectionLimit: Int32(limit), maxSeconds: maxSeconds,
            credentials: credentials)
    }

    static func parseCredential(_ value: JSONValue, path: String) throws -> Credential {
        let o = try DevJSONObject(value, path: path)
        let type = try o.requiredString("type")
        let kind: BrokeredCredential
        var prefix = "credup_"
        var sourceType = "static"
        switch type {
        case "username_password":
            try o.allowOnly(["type", "id", "name", "username", "password"])
            kind = .usernamePassword(
                username: try o.requiredString("username"), password: try o.requiredString("password"))
        case "username_password_domain":
            try o.allowOnly(["type", "id", "name", "username", "password", "domain"])
            prefix = "credupd_"
            kind = .usernamePasswordDomain(
                username: try o.requiredString("username"), password: try o.requiredString("password"),
                domain: try o.requiredString("domain"))
        case "password":
            try o.allowOnly(["type", "id", "name", "password"])
            prefix = "credp_"
            kind = .password(try o.requiredString("password"))
        case "ssh_private_key":
            try o.allowOnly(["type", "id", "name", "username", "private_key", "private_key_passphrase"])
            prefix = "credspk_"
            kind = .sshPrivateKey(
                username: try o.requiredString("username"), privateKey: try o.requiredString("private_key"),
                passphrase: try o.optionalString("private_key_passphrase") ?? "")
        case "ssh_certificate":
            // Vault SSH certificate libraries issue these; modelled as a vault library source.
            try o.allowOnly(["type", "id", "name", "username", "private_key", "certificate"])
            prefix = "clvsclt_"
            sourceType = "vault-ssh-certificate"
            kind = .sshCertificate(
                username: try o.requiredString("username"), privateKey: try o.requiredString("private_key"),
                certificate: try o.requiredString("certificate"))
        case "json":
            try o.allowOnly(["type", "id", "name", "object"])
            prefix = "credjson_"
            guard let object = o.members["object"], case .object = object else {
                throw DevControllerError.config("\(path).object must be a JSON object")
            }
            kind = .json(object)
        case "vault_generic":
            try o.allowOnly(["type", "id", "name", "object"])
            prefix = "clvlt_"
            sourceType = "vault-generic"
            guard let object = o.members["object"], case .object = object else {
                throw DevControllerError.config("\(path).object must be a JSON object")
            }
            kind = .unspecified(object)
        default:
            throw DevControllerError.config("\(path).type \"\(type)\" is not a credential type")
        }
        return Credential(
            id: try o.optionalString("id") ?? prefix + DevIDs.random(count: 10),
            name: try o.optionalString("name") ?? "",
            sourceType: sourceType, kind: kind)
    }

    static func parseAlias(_ value: JSONValue, path: String, targets: [Target]) throws -> Alias {
        let o = try DevJSONObject(value, path: path)
        try o.allowOnly(["id", "value", "target", "host_id"])
        let aliasValue = try o.requiredString("value")
        try validateAliasValue(aliasValue, path: path)
        var destination = try o.optionalString("target") ?? ""
        // A target may be named by id or by name.
        if !destination.isEmpty, !targets.contains(where: { $0.id == destination }),
            let byName = targets.first(where: { $0.name == destination })
        {
            destination = byName.id
        }
        return Alias(
            id: try o.optionalString("id") ?? "", value: aliasValue, destinationID: destination,
            hostID: try o.optionalString("host_id") ?? "")
    }

    /// Boundary refuses alias values with `_` (they could never resolve, §1.6); we also refuse
    /// anything that is not a DNS-style name, since the agent serves them through DNS.
    static func validateAliasValue(_ value: String, path: String) throws {
        guard !value.isEmpty, value.utf8.count <= 253,
            value.utf8.allSatisfy({ c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x2D
                    || c == 0x2E
            })
        else { throw DevControllerError.config("\(path).value \"\(value)\" is not a DNS name") }
    }

    /// A duration: seconds as a number, or a string with a unit (`500ms`, `5s`, `10m`, `2h`, `7d`).
    public static func parseDuration(_ value: JSONValue, path: String) throws -> Double {
        switch value {
        case .int(let i) where i > 0: return Double(i)
        case .double(let d) where d > 0: return d
        case .string(let s):
            if let d = parseDuration(s) { return d }
        default: break
        }
        throw DevControllerError.config("\(path) is not a positive duration")
    }

    public static func parseDuration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let n = Double(text.dropLast(suffix.count)), n > 0, n.isFinite { return n * factor }
        }
        if let n = Double(text), n > 0, n.isFinite { return n }
        return nil
    }
}

/// A JSON object read strictly for config and admin bodies.
struct DevJSONObject {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws {
        guard case .object(let m) = value else { throw DevControllerError.config("\(path) must be an object") }
        members = m
        self.path = path
    }

    func allowOnly(_ keys: Set<String>) throws {
        for key in members.keys.sorted() where !keys.contains(key) {
            throw DevControllerError.config("\(path).\(key) is not a known key")
        }
    }

    func optionalString(_ key: String) throws -> String? {
        guard let v = members[key] else { return nil }
        guard case .string(let s) = v else { throw DevControllerError.config("\(path).\(key) must be a string") }
        return s
    }

    func requiredString(_ key: String) throws -> String {
        guard let s = try optionalString(key), !s.isEmpty else {
            throw DevControllerError.config("\(path).\(key) is required")
        }
        return s
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = members[key] else { return nil }
        guard case .int(let i) = v, let n = Int(exactly: i) else {
            throw DevControllerError.config("\(path).\(key) must be an integer")
        }
        return n
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let v = members[key] else { return nil }
        guard case .bool(let b) = v else { throw DevControllerError.config("\(path).\(key) must be true or false") }
        return b
    }

    func optionalArray(_ key: String) throws -> [JSONValue]? {
        guard let v = members[key] else { return nil }
        guard case .array(let a) = v else { throw DevControllerError.config("\(path).\(key) must be an array") }
        return a
    }

    func optionalStrings(_ key: String) throws -> [String]? {
        guard let a = try optionalArray(key) else { return nil }
        return try a.map {
            guard case .string(let s) = $0 else { throw DevControllerError.config("\(path).\(key) must hold strings") }
            return s
        }
    }
}
