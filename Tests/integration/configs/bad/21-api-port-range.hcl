api_listen_port = 70000
