# saved by an editor that writes a byte order mark
log_level = "trace"
