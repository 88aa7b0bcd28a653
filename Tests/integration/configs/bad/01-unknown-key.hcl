# a key the agent does not have
dns_timeout = "5s"
