api_listen_port = "9300"
