admin_group = "wheel\u0000"
