dns_cache_size = -1
