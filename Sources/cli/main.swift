// Placeholder main: filled by its own issue.
print("cli: not implemented yet")
