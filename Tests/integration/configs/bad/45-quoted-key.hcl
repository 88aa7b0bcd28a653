"log_level" = "info"
