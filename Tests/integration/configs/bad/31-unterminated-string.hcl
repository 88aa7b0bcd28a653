log_level = "info
log_to_stdout = true
