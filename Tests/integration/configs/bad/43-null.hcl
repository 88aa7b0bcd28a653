tls_ca_file = null
