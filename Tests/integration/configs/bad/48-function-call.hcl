log_file = abspath("agent.log")
