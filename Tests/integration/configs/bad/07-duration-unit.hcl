dns_request_timeout = "5 seconds"
