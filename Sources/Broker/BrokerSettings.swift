import AgentConfig
import NIOCore

/// Who may pause and resume the whole agent: root, and the members of `admin_group` (resolved to
/// uids before the sandbox, since NSS reads files: `AdminPolicy.resolve`).
public struct AdminPolicy: Sendable, Equatable {
    public var groupName: String
    public var uids: Set<UInt32>

    public init(groupName: String = "", uids: Set<UInt32> = []) {
        self.groupName = groupName
        self.uids = uids
    }

    public func isAdmin(_ uid: UInt32) -> Bool { uid == 0 || uids.contains(uid) }
}

/// The broker's share of the configuration (from `AgentConfig.AgentConfiguration`; every value is
/// reloadable: `BrokerCore.apply(settings:)`).
public struct BrokerSettings: Sendable, Equatable {
    /// Shown in status (`version`).
    public var version: String
    public var aliasRefreshInterval: TimeAmount
    public var sessionIdleTimeout: TimeAmount
    public var autoPauseFailures: Int
    public var autoPauseWindow: TimeAmount
    public var maxConnectionsPerUser: Int
    public var v4Base: UInt32
    public var v4PrefixLength: Int
    public var v6Base: UInt128
    public var v6PrefixLength: Int
    public var admin: AdminPolicy

    public init(
        version: String, aliasRefreshInterval: TimeAmount = .minutes(1), sessionIdleTimeout: TimeAmount = .minutes(15),
        autoPauseFailures: Int = 20, autoPauseWindow: TimeAmount = .minutes(1), maxConnectionsPerUser: Int = 1024,
        v4Base: UInt32 = 0x6440_0000, v4PrefixLength: Int = 10,
        v6Base: UInt128 = 0xfd5b_c1a6_e7a0_0000_0000_0000_0000_0000, v6PrefixLength: Int = 64,
        admin: AdminPolicy = AdminPolicy()
    ) {
        self.version = version
        self.aliasRefreshInterval = aliasRefreshInterval
        self.sessionIdleTimeout = sessionIdleTimeout
        self.autoPauseFailures = autoPauseFailures
        self.autoPauseWindow = autoPauseWindow
        self.maxConnectionsPerUser = maxConnectionsPerUser
        self.v4Base = v4Base
        self.v4PrefixLength = v4PrefixLength
        self.v6Base = v6Base
        self.v6PrefixLength = v6PrefixLength
        self.admin = admin
    }
}

extension BrokerSettings {
    /// The broker's keys of the configuration file. `admin` comes from `AdminPolicy.resolve` (NSS,
    /// before the sandbox).
    public init(configuration c: AgentConfiguration, version: String, admin: AdminPolicy) {
        self.init(
            version: version, aliasRefreshInterval: TimeAmount(c.aliasRefreshInterval),
            sessionIdleTimeout: TimeAmount(c.sessionIdleTimeout), autoPauseFailures: c.autoPauseFailures,
            autoPauseWindow: TimeAmount(c.autoPauseWindow), maxConnectionsPerUser: c.maxConnectionsPerUser,
            v4Base: c.v4Prefix.address.value, v4PrefixLength: c.v4Prefix.length,
            v6Base: UInt128(c.v6Prefix.address.high) << 64 | UInt128(c.v6Prefix.address.low),
            v6PrefixLength: c.v6Prefix.length, admin: admin)
    }
}

extension TimeAmount {
    /// A `Duration` in whole nanoseconds (saturating).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = .nanoseconds(overflow ? (seconds < 0 ? .min : .max) : product &+ attoseconds / 1_000_000_000)
    }
}
