admin_group = "my group"
