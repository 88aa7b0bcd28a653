log_file = "/var/lög/\q"
