v4_prefix = 1.1.1.1/8
