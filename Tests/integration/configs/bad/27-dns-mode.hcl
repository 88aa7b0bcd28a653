dns_mode = "nsswitch"
