log_to_stdout = "true"
