v6_prefix = "2001:db8::/64"
