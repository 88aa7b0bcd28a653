/// The product's version, the one every binary reports: the CLI (`boundary-agent version`), the
/// broker (`version` in `GET /v1/status`, the controller User-Agent `Boundary-client-agent/<semver>`)
/// and the helper (`boundary-agent-helper -version`). `./VERSION` (the .deb's version) holds the
/// same text; `AgentVersionTests` fails when the two differ, so a release bumps both together.
public enum AgentVersion {
    /// Semantic version, without a leading "v".
    public static let semver = "0.1.0"
}
