log_level = "info"
listener "tcp" {
  address = "127.0.0.1:9300"
}
