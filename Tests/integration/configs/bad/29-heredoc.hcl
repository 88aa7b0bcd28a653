log_file = <<EOF
/var/log/agent.log
EOF
