/// The local API's paths (HTTP/1.1 + JSON on the unix socket and on 127.0.0.1:`api_listen_port`).
public enum APIPaths {
    public static let status = "/v1/status"
    public static let sessions = "/v1/sessions"
    public static let pause = "/v1/pause"
    public static let resume = "/v1/resume"
    public static let tokens = "/v1/tokens"
    public static let explain = "/v1/explain"
    /// Default unix socket (`api_socket_path`) and TCP port (`api_listen_port`).
    public static let defaultSocketPath = "/run/boundary-client-agent/agent.sock"
    public static let defaultPort: UInt16 = 9300
    /// Request bodies above this are refused with 413.
    public static let maximumRequestBody = 64 * 1024
}
