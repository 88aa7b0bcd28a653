log_level "info"
