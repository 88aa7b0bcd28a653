/* A block comment
   over several lines */
log_level = /* inline */ "error" // trailing
# hash comment
override_upstream_dns_servers = [ # after the bracket
  // a whole-line comment inside the list
  "192.0.2.53", /* between */ "[2001:db8::53]:53"
]

v4_prefix="100.100.0.0/14"
