override_upstream_dns_servers = ["8.8.8.8", 53]
