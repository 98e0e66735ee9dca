import XCTest
@testable import BPF

final class TracefsTests: XCTestCase {
    let openat = """
        name: sys_enter_openat
        ID: 782
        format:
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
        \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
        \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

        \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
        \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
        \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
        \tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
        \tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

        print fmt: "dfd: 0x%08lx, filename: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename))
        """

    func testParsesSyscallFormat() throws {
        let f = try TracepointFormat(parsing: openat)
        XCTAssertEqual(f.name, "sys_enter_openat")
        XCTAssertEqual(f.id, 782)
        XCTAssertEqual(f.fields.count, 9)
        XCTAssertEqual(f.ownFields.map(\.name), ["__syscall_nr", "dfd", "filename", "flags", "mode"])
        let filename = f.fields[6]
        XCTAssertEqual(filename.type, "const char *")
        XCTAssertEqual(filename.offset, 24)
        XCTAssertEqual(filename.size, 8)
        XCTAssertFalse(filename.isSigned)
        XCTAssertTrue(f.fields[3].isSigned)
        XCTAssertEqual(f.fields[0].type, "unsigned short")
    }

    func testArraysAndDataLoc() throws {
        let f = try TracepointFormat(parsing: """
            name: sched_process_exec
            ID: 300
            format:
            \tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
            \tfield:char comm[16];\toffset:12;\tsize:16;\tsigned:0;
            \tfield:pid_t pid;\toffset:28;\tsize:4;\tsigned:1;
            """)
        XCTAssertEqual(f.fields[0].name, "filename")
        XCTAssertTrue(f.fields[0].isDataLoc)
        XCTAssertNil(f.fields[0].arrayLength)
        XCTAssertEqual(f.fields[1].name, "comm")
        XCTAssertEqual(f.fields[1].type, "char")
        XCTAssertEqual(f.fields[1].arrayLength, 16)
        XCTAssertFalse(f.fields[1].isDataLoc)
        XCTAssertEqual(f.fields[2].type, "pid_t")
    }

    func testMalformedFieldIsAnError() {
        XCTAssertThrowsError(try TracepointFormat(parsing: "name: x\n\tfield:int a;\tsize:4;\n"))
    }

    func testCPUList() {
        XCTAssertEqual(CPU.parseCPUList("0-3,5,7-8\n"), [0, 1, 2, 3, 5, 7, 8])
        XCTAssertEqual(CPU.parseCPUList("0"), [0])
        XCTAssertEqual(CPU.parseCPUList(""), [])
    }

    func testErrorsNameCallAndHint() {
        let e = BPFError(call: "BPF_PROG_LOAD", context: "load program \"x\"", errno: .notPermitted)
        XCTAssertEqual(e.description, "load program \"x\": BPF_PROG_LOAD failed: EPERM: Operation not permitted. Run as root, or grant CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN on older kernels)")
        let v = VerifierError(program: "p", errno: .accessDenied, log: "0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000)\n")
        XCTAssertEqual(v.reason, "R0 !read_ok")
    }

    func testKernelObjectNames() {
        XCTAssertEqual(kernelObjectName("tracepoint:syscalls:sys_enter_read"), "tracepoint_sysc")
        XCTAssertEqual(kernelObjectName("@counts"), "_counts")
    }
}
