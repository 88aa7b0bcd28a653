// libFuzzer target: the HCL configuration parser (the AgentConfig module).
// Any bytes (the config text also arrives over IPC) give a configuration or diagnostics, never a
// trap; a file that loads writes back as HCL text that loads as the same configuration.
@testable import AgentConfig

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz-hcl invariant: \(message())") }
}

/// One input; traps (fatalError) when an invariant breaks.
public func fuzzHCL(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let loaded = try? ConfigLoader.parse(bytes: bytes, path: "fuzz.hcl")
    let text = String(decoding: bytes, as: UTF8.self)
    let (_, diagnostics) = ConfigLoader.diagnose(text, path: "fuzz.hcl")
    for diagnostic in diagnostics { _ = diagnostic.description }
    check(diagnostics.count <= 1000, "\(diagnostics.count) diagnostics")
    if let config = loaded {
        check(diagnostics.isEmpty, "loaded, yet diagnose found problems: \(diagnostics)")
        let written = config.hclText
        do {
            let again = try ConfigLoader.parse(written, path: "written.hcl")
            check(again == config, "written back as\n\(written)\nloads differently")
        } catch {
            check(false, "written back as\n\(written)\ndoes not load: \(error)")
        }
    }
}

#if FUZZ_ENTRY
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzEntry(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        fuzzHCL(data, size)
        return 0
    }
#endif
