worker_user = "root"
