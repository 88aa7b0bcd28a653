import JSON

/// A brokered credential in a `SessionAuthorization` (`credentials[]`, boundary-protocol.md §1.7;
/// upstream `handlers/targets/credentials.go`). Injected credentials never reach the client.
public struct SessionCredential: ProtoJSONCodable, Equatable {
    public var credentialSource: CredentialSource
    /// `secret.raw`: standard base64 of the secret's JSON.
    public var secretRaw: String
    /// `secret.decoded`: the same secret as a JSON object (absent for non-object vault secrets).
    public var secretDecoded: JSONValue?
    /// `credential`: the typed view; absent for untyped vault secrets.
    public var credential: JSONValue?

    public struct CredentialSource: ProtoJSONCodable, Equatable {
        /// `credup_…`, `credupd_…`, `credp_…`, `credspk_…`, `credjson_…`, or a library id (`clvlt_…`).
        public var id: String
        public var name: String
        public var description: String
        public var credentialStoreID: String
        /// Store subtype: `static`, or a vault library subtype.
        public var type: String
        /// `username_password`, `username_password_domain`, `password`, `ssh_private_key`,
        /// `ssh_certificate`, `json`, or empty (unspecified).
        public var credentialType: String

        public init(
            id: String, name: String = "", description: String = "", credentialStoreID: String = "",
            type: String = "static", credentialType: String = ""
        ) {
            self.id = id
            self.name = name
            self.description = description
            self.credentialStoreID = credentialStoreID
            self.type = type
            self.credentialType = credentialType
        }

        public init(protoJSON: JSONValue, path: String) throws {
            let o = try ProtoJSONObject(protoJSON, path: path)
            self.init(
                id: try o.string("id"), name: try o.string("name"), description: try o.string("description"),
                credentialStoreID: try o.string("credential_store_id"), type: try o.string("type"),
                credentialType: try o.string("credential_type"))
        }

        public var protoJSON: JSONValue {
            var b = ProtoJSONBuilder()
            b.set("id", id)
            b.set("name", name)
            b.set("description", description)
            b.set("credential_store_id", credentialStoreID)
            b.set("type", type)
            b.set("credential_type", credentialType)
            return b.value
        }
    }

    public init(
        credentialSource: CredentialSource, secretRaw: String, secretDecoded: JSONValue?, credential: JSONValue?
    ) {
        self.credentialSource = credentialSource
        self.secretRaw = secretRaw
        self.secretDecoded = secretDecoded
        self.credential = credential
    }

    public init(protoJSON: JSONValue, path: String) throws {
        let o = try ProtoJSONObject(protoJSON, path: path)
        let secret = try o.object("secret")
        self.init(
            credentialSource: try o.message("credential_source", as: CredentialSource.self)
                ?? CredentialSource(id: "", type: ""),
            secretRaw: try secret?.string("raw") ?? "", secretDecoded: try secret?.structValue("decoded"),
            credential: try o.structValue("credential"))
        if !secretRaw.isEmpty && Base64.decode(secretRaw) == nil {
            throw BoundaryWireError.invalidBase64(field: o.fieldPath("secret.raw"))
        }
    }

    public var protoJSON: JSONValue {
        var secret = ProtoJSONBuilder()
        secret.set("raw", secretRaw)
        secret.set("decoded", json: secretDecoded)
        var b = ProtoJSONBuilder()
        b.set("credential_source", credentialSource)
        b.set("secret", json: secret.value)
        b.set("credential", json: credential)
        return b.value
    }

    /// The secret bytes behind `secret.raw` (the JSON text the controller encoded).
    public var secretRawBytes: [UInt8]? { Base64.decode(secretRaw) }

    /// The credential as a typed value: from `credential` when present, else from `secret.decoded`.
    /// Throws when a typed credential lacks a field its type requires.
    public func typed() throws -> BrokeredCredential {
        let view = credential ?? secretDecoded
        let o = try ProtoJSONObject(view ?? .object([:]), path: credential != nil ? "credential" : "secret.decoded")
        func required(_ key: String) throws -> String {
            let s = try o.string(key)
            guard !s.isEmpty else { throw BoundaryWireError.missingField(o.fieldPath(key)) }
            return s
        }
        switch credentialSource.credentialType {
        case BrokeredCredential.usernamePasswordType:
            return .usernamePassword(username: try required("username"), password: try o.string("password"))
        case BrokeredCredential.usernamePasswordDomainType:
            return .usernamePasswordDomain(
                username: try required("username"), password: try o.string("password"), domain: try o.string("domain"))
        case BrokeredCredential.passwordType:
            return .password(try o.string("password"))
        case BrokeredCredential.sshPrivateKeyType:
            return .sshPrivateKey(
                username: try required("username"), privateKey: try required("private_key"),
                passphrase: try o.string("private_key_passphrase"))
        case BrokeredCredential.sshCertificateType:
            return .sshCertificate(
                username: try required("username"), privateKey: try required("private_key"),
                certificate: try required("certificate"))
        case BrokeredCredential.jsonType:
            return .json(view ?? .object([:]))
        default:
            return .unspecified(secretDecoded)
        }
    }

    /// What the controller sends for a brokered credential of `kind` (static store layout:
    /// `credentials.go` `staticToSessionCredential`; an untyped secret follows the vault layout).
    public static func brokered(
        _ kind: BrokeredCredential, sourceID: String, storeID: String, name: String = "", description: String = "",
        sourceType: String = "static"
    ) -> SessionCredential {
        let secret = kind.secretJSON
        let raw = Base64.encode(JSONWriter().bytes(secret))
        let source = CredentialSource(
            id: sourceID, name: name, description: description, credentialStoreID: storeID, type: sourceType,
            credentialType: kind.credentialType)
        var decoded: JSONValue? = nil
        if case .object = secret { decoded = secret }
        return SessionCredential(
            credentialSource: source, secretRaw: raw, secretDecoded: decoded, credential: kind.credentialJSON)
    }
}

/// A brokered credential by type.
public enum BrokeredCredential: Sendable, Equatable {
    case usernamePassword(username: String, password: String)
    case usernamePasswordDomain(username: String, password: String, domain: String)
    case password(String)
    case sshPrivateKey(username: String, privateKey: String, passphrase: String)
    case sshCertificate(username: String, privateKey: String, certificate: String)
    /// A static JSON credential: any object.
    case json(JSONValue)
    /// No credential type (e.g. a generic vault secret): whatever the secret decoded to.
    case unspecified(JSONValue?)

    public static let usernamePasswordType = "username_password"
    public static let usernamePasswordDomainType = "username_password_domain"
    public static let passwordType = "password"
    public static let sshPrivateKeyType = "ssh_private_key"
    public static let sshCertificateType = "ssh_certificate"
    public static let jsonType = "json"

    public var credentialType: String {
        switch self {
        case .usernamePassword: return BrokeredCredential.usernamePasswordType
        case .usernamePasswordDomain: return BrokeredCredential.usernamePasswordDomainType
        case .password: return BrokeredCredential.passwordType
        case .sshPrivateKey: return BrokeredCredential.sshPrivateKeyType
        case .sshCertificate: return BrokeredCredential.sshCertificateType
        case .json: return BrokeredCredential.jsonType
        case .unspecified: return ""
        }
    }

    /// The secret as the controller marshals it (`secret.raw` is base64 of this, `secret.decoded`
    /// is this). An ssh passphrase is left out when empty, as upstream does.
    var secretJSON: JSONValue {
        switch self {
        case .usernamePassword(let u, let p): return ["username": .string(u), "password": .string(p)]
        case .usernamePasswordDomain(let u, let p, let d):
            return ["username": .string(u), "password": .string(p), "domain": .string(d)]
        case .password(let p): return ["password": .string(p)]
        case .sshPrivateKey(let u, let k, let pass):
            var o: [String: JSONValue] = ["username": .string(u), "private_key": .string(k)]
            if !pass.isEmpty { o["private_key_passphrase"] = .string(pass) }
            return .object(o)
        case .sshCertificate(let u, let k, let c):
            return ["username": .string(u), "private_key": .string(k), "certificate": .string(c)]
        case .json(let object): return object
        case .unspecified(let value): return value ?? .object([:])
        }
    }

    /// The typed `credential` member: a protojson message, so empty strings are left out.
    var credentialJSON: JSONValue? {
        var b = ProtoJSONBuilder()
        switch self {
        case .usernamePassword(let u, let p):
            b.set("username", u)
            b.set("password", p)
        case .usernamePasswordDomain(let u, let p, let d):
            b.set("username", u)
            b.set("password", p)
            b.set("domain", d)
        case .password(let p):
            b.set("password", p)
        case .sshPrivateKey(let u, let k, let pass):
            b.set("username", u)
            b.set("private_key", k)
            b.set("private_key_passphrase", pass)
        case .sshCertificate(let u, let k, let c):
            b.set("username", u)
            b.set("private_key", k)
            b.set("certificate", c)
        case .json(let object): return object
        case .unspecified: return nil
        }
        return b.value
    }
}
