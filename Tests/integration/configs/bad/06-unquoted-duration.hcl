alias_refresh_interval = 60s
