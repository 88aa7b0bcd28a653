log_level: "info"
