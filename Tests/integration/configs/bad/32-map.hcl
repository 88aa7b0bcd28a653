dns_mode = { mode = "auto" }
