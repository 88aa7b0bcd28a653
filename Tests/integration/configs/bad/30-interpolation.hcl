log_file = "${path.root}/agent.log"
