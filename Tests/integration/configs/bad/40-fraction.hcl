max_connections_per_user = 1.5
