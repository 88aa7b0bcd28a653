log_levle = "debug"
