session_idle_timeout = "0s"
