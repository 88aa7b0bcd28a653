log_file = "C:\logs\agent.log"
