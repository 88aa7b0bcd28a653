// Placeholder main: filled by its own issue.
print("dns-worker: not implemented yet")
