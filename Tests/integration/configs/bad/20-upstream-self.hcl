override_upstream_dns_servers = ["100.64.0.1"]
