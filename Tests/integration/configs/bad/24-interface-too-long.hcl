interface_to_use = "enp0s31f6-backup"
