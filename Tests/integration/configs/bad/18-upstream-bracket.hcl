override_upstream_dns_servers = ["[fd00::53:53"]
