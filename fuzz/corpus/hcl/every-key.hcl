# every key
alias_refresh_interval = "1m30s"
dns_request_timeout = "5s" // trailing comment
interface_to_use = "lo"
log_file = "/var/log/boundary-client-agent.log"
log_level = "WARNING"
log_to_stdout = true
operational_state_file = "/var/lib/boundary-client-agent/operational-state.json"
override_upstream_dns_servers = ["127.0.0.1", "127.0.0.2:5353", "[::1]:53",]
state_file = "/run/boundary-client-agent/state.json"
v4_prefix = "100.64.0.0/10"
v6_prefix = "fd5b:c1a6:e7a0::/64"
api_listen_port = 9300
api_socket_path = "/run/boundary-client-agent/agent.sock"
dns_mode = "resolv.conf"
resolv_conf_path = "/etc/resolv.conf"
dns_cache_size = 10000
admin_group = "sudo"
worker_user = "boundary-agent"
tls_ca_file = "/etc/ssl/certs/ca-certificates.crt"
tls_insecure = false
auto_pause_failures = 20
auto_pause_window = "1m"
session_idle_timeout = "15m"
max_connections_per_user = 1024
/* block
comment */
