import BPF
import XCTest

/// Reading BTF: a blob built here (no kernel needed), then the running kernel's.
final class BTFReaderTests: XCTestCase {
    /// `struct outer { int a; union { long b; char c[8]; }; unsigned d:3, e:5; }`.
    func sampleBlob() -> [UInt8] {
        var strings: [UInt8] = [0]
        func name(_ s: String) -> UInt32 { defer { strings += Array(s.utf8) + [0] }; return UInt32(strings.count) }
        func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        var types: [UInt8] = []
        func type(_ nameOff: UInt32, kind: UInt32, vlen: UInt32 = 0, flag: Bool = false, _ sizeOrType: UInt32, _ extra: [UInt32] = []) {
            types += le(nameOff) + le(kind << 24 | vlen | (flag ? 1 << 31 : 0)) + le(sizeOrType) + extra.flatMap(le)
        }
        type(name("int"), kind: 1, 4, [1 << 24 | 32])             // 1: int, signed
        type(name("long"), kind: 1, 8, [1 << 24 | 64])            // 2: long
        type(name("char"), kind: 1, 1, [8])                       // 3: char
        type(0, kind: 3, 0, [3, 1, 8])                            // 4: char[8]
        type(0, kind: 5, vlen: 2, 8, [name("b"), 2, 0, name("c"), 4, 0]) // 5: anonymous union
        type(name("unsigned int"), kind: 1, 4, [32])              // 6
        type(name("outer"), kind: 4, vlen: 4, flag: true, 24,
             [name("a"), 1, 0, 0, 5, 64, name("d"), 6, 3 << 24 | 128, name("e"), 6, 5 << 24 | 131]) // 7
        type(name("outer_t"), kind: 8, 7)                         // 8: typedef
        type(0, kind: 2, 8)                                       // 9: outer_t *
        var blob = le(0x0001_eB9F) + le(24) + le(0) + le(UInt32(types.count)) + le(UInt32(types.count)) + le(UInt32(strings.count))
        blob[2] = 1; blob[3] = 0 // version 1, flags 0
        return blob + types + strings
    }

    /// A module's BTF after the sample's: ids continue at 10 and string
    /// offsets after the base's, and its types refer to the base's.
    func splitBlob(after base: [UInt8]) -> [UInt8] {
        func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        let baseStrings = UInt32(base[20]) | UInt32(base[21]) << 8
        var strings: [UInt8] = [0]
        func name(_ s: String) -> UInt32 { defer { strings += Array(s.utf8) + [0] }; return baseStrings + UInt32(strings.count) }
        var types: [UInt8] = []
        func type(_ nameOff: UInt32, kind: UInt32, vlen: UInt32 = 0, _ sizeOrType: UInt32, _ extra: [UInt32] = []) {
            types += le(nameOff) + le(kind << 24 | vlen) + le(sizeOrType) + extra.flatMap(le)
        }
        type(0, kind: 13, vlen: 2, 1, [name("p"), 9, name("q"), 12])   // 10: int (outer_t *p, struct inner *q)
        type(name("modfn"), kind: 12, 10)                             // 11: FUNC modfn
        type(name("inner"), kind: 4, vlen: 1, 4, [name("x"), 1, 0])   // 12: struct inner { int x; }
        type(0, kind: 2, 12)                                          // 13: struct inner *
        var blob = le(0x0001_eB9F) + le(24) + le(0) + le(UInt32(types.count)) + le(UInt32(types.count)) + le(UInt32(strings.count))
        blob[2] = 1; blob[3] = 0
        return blob + types + strings
    }

    func testSplitBTFContinuesItsBasesIdsAndStrings() throws {
        let base = try KernelBTF(bytes: sampleBlob())
        let module = try KernelBTF(bytes: splitBlob(after: sampleBlob()), base: base)
        let function = try XCTUnwrap(module.function(named: "modfn"))
        XCTAssertEqual(function, 11)
        XCTAssertEqual(Array(module.functionNames), ["modfn"], "only the module's own functions")
        XCTAssertNil(base.function(named: "modfn"))
        let proto = try XCTUnwrap(module.prototype(ofFunction: function))
        XCTAssertEqual(module.namedParameters(proto).map(\.name), ["p", "q"])
        XCTAssertEqual(module.returnType(ofPrototype: proto), 1)
        XCTAssertEqual(module.shape(1), .integer(bytes: 4, signed: true), "a base type through the module")
        XCTAssertEqual(module.resolved(8), 7)
        XCTAssertEqual(module.members(7).map(\.name), ["a", "", "d", "e"])
        XCTAssertEqual(module.record(named: "struct inner"), 12)
        XCTAssertEqual(module.record(named: "struct outer"), 7, "the base's records are found too")
        XCTAssertEqual(module.members(12).map(\.name), ["x"])
        XCTAssertEqual(module.declaration(9, "p"), "outer_t *p")
        XCTAssertEqual(module.declaration(13, "q"), "struct inner *q")
    }

    func testMembersOffsetsAndAnonymousUnions() throws {
        let btf = try KernelBTF(bytes: sampleBlob())
        let outer = try XCTUnwrap(btf.record(named: "struct outer"))
        XCTAssertEqual(btf.shape(outer), .record(name: "outer", size: 24, union: false))
        XCTAssertEqual(btf.members(outer).map(\.name), ["a", "", "d", "e"])
        let c = try XCTUnwrap(btf.member(outer, named: "c"))
        XCTAssertEqual(c.bitOffset, 64, "found inside the anonymous union, offset from outer")
        XCTAssertEqual(btf.shape(c.type), .array(of: 3, count: 8))
        let e = try XCTUnwrap(btf.member(outer, named: "e"))
        XCTAssertEqual([e.bitOffset, e.bitSize], [131, 5])
        XCTAssertEqual(btf.shape(1), .integer(bytes: 4, signed: true))
        XCTAssertEqual(btf.shape(6), .integer(bytes: 4, signed: false))
        XCTAssertEqual(btf.shape(9), .pointer(to: 8))
        XCTAssertEqual(btf.resolved(8), 7, "typedefs resolve to the struct")
        XCTAssertNil(btf.member(outer, named: "missing"))
        XCTAssertThrowsError(try KernelBTF(bytes: [1, 2, 3]))
    }

    func testDefinitionsAsCWritesThem() throws {
        let btf = try KernelBTF(bytes: sampleBlob())
        XCTAssertEqual(btf.definition(of: "struct outer"), """
            struct outer {
                int a;
                union {
                    long b;
                    char c[8];
                };
                unsigned int d : 3;
                unsigned int e : 5;
            };
            """)
        XCTAssertEqual(btf.declaration(9, "p"), "outer_t *p")
        XCTAssertNil(btf.definition(of: "struct missing"))
    }

    func testRunningKernelDescribesTaskStruct() throws {
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("CI=true but this kernel has no BTF") }
            throw XCTSkip("this kernel has no /sys/kernel/btf/vmlinux")
        }
        let btf = try KernelBTF()
        let task = try XCTUnwrap(btf.record(named: "struct task_struct"))
        let pid = try XCTUnwrap(btf.member(task, named: "pid"))
        XCTAssertEqual(btf.shape(pid.type), .integer(bytes: 4, signed: true))
        let comm = try XCTUnwrap(btf.member(task, named: "comm"))
        guard case .array(_, 16) = btf.shape(comm.type) else { return XCTFail("comm is \(btf.shape(comm.type))") }
        guard case .pointer(let parent) = btf.shape(try XCTUnwrap(btf.member(task, named: "real_parent")).type) else { return XCTFail() }
        XCTAssertEqual(btf.resolved(parent), task)
    }

    func testRunningKernelFunctionsVariablesAndEnums() throws {
        guard FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("CI=true but this kernel has no BTF") }
            throw XCTSkip("this kernel has no /sys/kernel/btf/vmlinux")
        }
        let btf = try KernelBTF()
        XCTAssertNotNil(btf.function(named: "vfs_read"))
        XCTAssertNil(btf.function(named: "no_such_function_here"))
        // A per-CPU variable: a VAR whose type is the struct.
        let runqueues = try XCTUnwrap(btf.variable(named: "runqueues"))
        XCTAssertEqual(btf.resolved(runqueues.type), btf.record(named: "struct rq"))
        let reasons = try XCTUnwrap(btf.enumerations["skb_drop_reason"])
        XCTAssertTrue(reasons.contains { $0.name == "SKB_DROP_REASON_NO_SOCKET" && $0.value == 3 }, "\(reasons.prefix(5))")
    }
}
