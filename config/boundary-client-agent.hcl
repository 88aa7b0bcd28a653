# boundary-client-agent configuration: /etc/boundary/boundary-client-agent.hcl
#
# HCL attributes, one "key = value" per line. Strings are quoted ("..."), durations are quoted Go
# durations ("90s", "1m", "1h30m", "500ms"), lists are [ ... ] (a trailing comma is fine), and
# comments start with #, // or /* ... */. Unknown keys, wrong types and duplicate keys are errors;
# check a file with:  boundary-agent-helper -config FILE -validate
#
# Every line below that starts with "#key = " shows a key at its default: uncomment and change it
# to override. Keys marked [restart] need a restart of the agent; the others apply on SIGHUP
# (systemctl reload boundary-client-agent) without touching sessions the change does not concern.
# docs/configuration.md has the full table.

# How often each signed-in user's alias list is refreshed from the controller.
#alias_refresh_interval = "1m"

# The longest one DNS request may take, forwarding and broker lookups included; after it the client
# gets SERVFAIL.
#dns_request_timeout = "5s"

# [restart] The link that holds the agent's DNS addresses and the local routes for its prefixes.
#interface_to_use = "lo"

# [restart] The log file (opened by the root helper, written by the workers).
#log_file = "/var/log/boundary-client-agent.log"

# trace, debug, info, warn (or warning) or error; case does not matter ("DEBUG" works).
#log_level = "info"

# Log to standard output as well (the journal, under systemd).
#log_to_stdout = false

# [restart] Paused or running; kept across restarts.
#operational_state_file = "/var/lib/boundary-client-agent/operational-state.json"

# DNS servers for every name that is not an alias, in order, instead of the ones the system had:
# "ip" (port 53), "ip:port" or "[ipv6]:port". IP addresses only, no names. Empty: the system's.
# Example:
#   override_upstream_dns_servers = [
#     "10.0.0.1",      # VPN resolver
#     "8.8.8.8:53",    # fallback when the VPN is down
#   ]
#override_upstream_dns_servers = []

# [restart] What the helper changed on the system (the resolv.conf backup included), so a crashed
# run can be undone; removed on a clean stop. Keep it on disk, not in /run: a crash followed by a
# reboot must still be undone at the next start.
#state_file = "/var/lib/boundary-client-agent/state.json"

# [restart] Alias addresses and the IPv4 DNS address (the first host, 100.64.0.1) come from here.
# An IPv4 network from /8 to /16, no host bits set, not overlapping 0/8, 127/8 or 224/3.
#v4_prefix = "100.64.0.0/10"

# [restart] The same for IPv6 (DNS address fd5b:c1a6:e7a0::1): inside fc00::/7, /48 to /112.
#v6_prefix = "fd5b:c1a6:e7a0::/64"

# [restart] TCP port of the local API on 127.0.0.1 (the official boundary CLI posts tokens here);
# 0 turns the TCP listener off and leaves only the unix socket.
#api_listen_port = 9300

# [restart] The local API's unix socket (at most 107 bytes).
#api_socket_path = "/run/boundary-client-agent/agent.sock"

# [restart] How the system resolver is pointed at the agent: auto (systemd-resolved when it owns
# /etc/resolv.conf, resolv.conf otherwise), resolv.conf, systemd-resolved, or off (leave it alone).
#dns_mode = "auto"

# [restart] The file the resolv.conf mode rewrites (backed up, restored on stop).
#resolv_conf_path = "/etc/resolv.conf"

# Entries in the cache of forwarded DNS answers, 0 to 1000000; 0 turns the cache off.
#dns_cache_size = 10000

# Members of this group may pause and resume the agent for everyone; "" means root only.
#admin_group = "sudo"

# [restart] The unprivileged system user the sandboxed workers run as (never root).
#worker_user = "boundary-agent"

# [restart] A PEM bundle of CA certificates for the controllers' https API, instead of the system
# bundle. Unset by default. Example:
#   tls_ca_file = "/etc/boundary/controller-ca.pem"

# Skip verification of the controller's TLS certificate. For development only.
#tls_insecure = false

# Pause the agent after this many network failures within auto_pause_window; 0 never pauses.
#auto_pause_failures = 20
#auto_pause_window = "1m"

# Cancel a session that no connection has used for this long.
#session_idle_timeout = "15m"

# Proxied connections one OS user may have open at once.
#max_connections_per_user = 1024

# DNS queries per second (UDP datagrams and TCP connection attempts) one local user may send to the
# agent's DNS addresses, with a burst of twice as many. The helper's nftables table drops the rest
# at the sender (it sees "Operation not permitted"), so one user's flood cannot crowd out another
# user's queries. Root and the caching stubs (systemd-resolve, nscd) are not limited; 0 turns the
# limit off.
#dns_queries_per_user = 2000
