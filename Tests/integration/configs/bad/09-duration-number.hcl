auto_pause_window = 60
