// libFuzzer entry point for the ELF readers: any bytes, as an unprivileged
// user's file may hold, must give sections, symbols, notes and a build id
// or nothing, and never trap. Build and run: see docs/fuzzing.md.
import ELF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let elf = ELFSections(bytes: bytes) {
        _ = elf.named(".note.stapsdt")
        _ = elf.address(ofFileOffset: 0x1000)
        _ = elf.fileOffset(ofAddress: 0x401000)
    }
    _ = ELFSections.buildID(bytes)
    for marker in USDTNotes.markers(in: bytes) { _ = marker.arguments.utf8.count }
    if let symbols = ELFSymbols(bytes: bytes) {
        for f in symbols.uniqueFunctions.prefix(8) {
            _ = symbols.fileOffset(ofFunction: f.name)
            _ = symbols.symbol(atFileOffset: f.address)
        }
        _ = symbols.symbol(atFileOffset: UInt64(size / 2))
    }
    return 0
}
