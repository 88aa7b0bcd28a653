# The upstream agent's documented example (Palo Alto GlobalProtect section).
# The DNS servers must be specified as an IP, or an IP:Port.
# If no port is provided, port 53 is assumed.
override_upstream_dns_servers = [
  "10.0.0.1", # Example primary VPN DNS server
  "10.0.0.2", # Example secondary VPN DNS server
  "8.8.8.8", # Fallback default DNS server
  "8.8.4.4:53", # Fallback default DNS server with a custom port
]
