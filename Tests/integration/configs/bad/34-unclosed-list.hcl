override_upstream_dns_servers = [
  "10.0.0.1",
  "10.0.0.2",
log_level = "info"
