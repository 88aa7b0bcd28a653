/// Carries loop-confined objects (the engine, handlers, pending queries) into NIO's `@Sendable` callbacks.
/// Every callback that unwraps one runs on the server's single event loop (bootstrap initializers and
/// future callbacks of channels on that loop), which is what makes the `@unchecked` sound.
struct LoopConfined<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
