interface_to_use = eth0
