// Placeholder main: filled by its own issue.
print("privileged-helper: not implemented yet")
