log_level = "infÿ"
