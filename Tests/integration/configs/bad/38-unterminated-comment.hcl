log_level = "info"
/* the old settings:
log_level = "debug"
