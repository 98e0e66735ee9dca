// libFuzzer entry point for the front end: every input must parse or be
// rejected with diagnostics, and type-check without crashing.
// Build and run: see docs/fuzzing.md.
import AugerScript

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let source = SourceFile(name: "fuzz", text: text)
    let (program, diagnostics) = Parser.parse(source)
    _ = diagnostics.rendered(in: source)
    if !diagnostics.hasErrors {
        let checked = Sema.check(program)
        _ = checked.diagnostics.rendered(in: source)
        _ = Printer.print(checked.program)
    }
    return 0
}
