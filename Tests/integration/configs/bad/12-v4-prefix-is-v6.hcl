v4_prefix = "fd00::/64"
