log_level = "loud"
dns_cache_size = -5
log_file = "/x\q"
unknown_thing = 1
