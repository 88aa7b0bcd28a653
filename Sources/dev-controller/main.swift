// Placeholder main: filled by its own issue.
print("dev-controller: not implemented yet")
