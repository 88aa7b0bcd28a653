log_level = "warning"
log_to_stdout = false
