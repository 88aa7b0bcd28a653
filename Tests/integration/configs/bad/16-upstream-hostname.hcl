override_upstream_dns_servers = [
  "10.0.0.1",
  "dns.google",
]
