// Placeholder: tests arrive with the module they cover.
enum DevControllerTestsPlaceholder {}
