log_file = "/tmp/a\"b\\c\u00e9\n"
admin_group = ""
