// Placeholder main: filled by its own issue.
print("proxy-worker: not implemented yet")
