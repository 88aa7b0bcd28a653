log_level = "info"
log_to_stdout = true

log_level = "debug"
