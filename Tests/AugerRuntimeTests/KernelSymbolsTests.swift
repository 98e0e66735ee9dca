@testable import AugerRuntime
import XCTest

/// /proc/kallsyms as the kernel writes it, modules' symbols included.
final class KernelSymbolsTests: XCTestCase {
    func testModuleSymbolsAreNamedWithoutTheirModule() {
        let table = KernelSymbols.parse("""
            ffffffff81000000 T _stext
            ffffffff812f0000 t vfs_read
            ffffffff81400000 D jiffies
            0000000000000000 t hidden
            ffffffffc0201000 t bm_status_read\t[binfmt_misc]
            ffffffffc0200000 t bm_entry_read\t[binfmt_misc]
            """)
        XCTAssertEqual(table.map(\.1), ["_stext", "vfs_read", "bm_entry_read", "bm_status_read"],
                       "code only, by address, without the module column")
        XCTAssertEqual(table.last?.0, 0xffffffffc0201000)
    }
}
