// Placeholder: tests arrive with the module they cover.
enum BoundaryWireTestsPlaceholder {}
