log_level = "info" "debug"
