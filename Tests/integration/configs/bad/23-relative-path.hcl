state_file = "run/boundary-client-agent/state.json"
