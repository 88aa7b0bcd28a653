v6_prefix = "fd5b:c1a6:e7a0::/120"
