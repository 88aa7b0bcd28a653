log_level =
log_to_stdout = true
