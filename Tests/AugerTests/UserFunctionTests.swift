import Foundation
import XCTest

/// `fn name($a: T, …): R { … }`: user functions compiled as BPF-to-BPF calls.
final class UserFunctionTests: AugerTestCase {
    func testFunctionsReturnWhatTheyCompute() throws {
        let script = #"""
        fn add($a: int64, $b: int64): int64 { return $a + $b; }
        fn clamp($x: int64, $hi: int64): int64 {
          if $x > $hi { return $hi; }
          return $x;
        }
        fn low($b: uint8): int64 { return $b; }
        fn twice_sum($a: int64): int64 { return add($a, $a) + add(1, 0); }
        fn own_pid($t: struct task_struct *): int64 { return $t->tgid; }
        begin {
          $s = add(40, 2);
          printf("%d %d %d %d %d %d\n", $s, clamp(100, 7), clamp(-3, 7), low(257), twice_sum(10), own_pid(curtask) == pid);
        }
        """#
        XCTAssertEqual(try run(script), "42 7 -3 1 21 1\n\n")
    }

    /// A loop body is a callback; `return` from it still returns the function's value.
    func testReturnFromInsideLoops() throws {
        let script = #"""
        fn first_above($limit: int64): int64 {
          for $kv : @m { if $kv.1 > $limit { return $kv.0; } }
          return -1;
        }
        fn find_three($n: int64): int64 {
          for $i : 0..$n { if $i == 3 { return 100 + $i; } }
          return -2;
        }
        begin {
          @m[7] = 50;
          printf("%d %d %d %d\n", first_above(10), first_above(99), find_three(nsecs > 0 ? 10 : 0), find_three(2));
          clear(@m);
        }
        """#
        XCTAssertEqual(try run(script), "7 -1 103 -2\n\n")
    }

    /// Functions called from a tracepoint on each of its events: counts and sums are exact.
    func testFunctionsOnRealEvents() throws {
        let script = #"""
        fn record($n: int64): void {
          @calls = count();
          @total = sum($n);
        }
        fn weight($pid: int64): int64 { return $pid > 0 ? 3 : 0; }
        tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { record(weight(pid)); }
        """#
        let out = try run(script, ["-c", "\(Self.workload) getppid 25"])
        XCTAssertEqual(out, "\n@calls: 25\n\n@total: 75\n\n")
    }

    func testFunctionErrorsSayWhere() throws {
        let cases: [(String, String)] = [
            ("fn f($a: int64): int64 { return f($a - 1); } begin { print(f(3)); }", "stdin:1:33-42: ERROR: function 'f' calls itself: BPF does not allow recursion"),
            ("fn f($a: int64): int64 { return g($a); } fn g($b: int64): int64 { return f($b); } begin { print(f(1)); }",
             "ERROR: function 'f' calls itself (through g): BPF does not allow recursion"),
            ("fn f($a: int64, $b: int64, $c: int64, $d: int64, $e: int64): int64 { return 1; } begin { print(f(1, 2, 3, 4, 5)); }",
             "takes 5 parameters; BPF functions take at most 4"),
            ("fn f($a: int64): int64 { return arg0; } begin { print(f(1)); }", "arg0 is the probe's and function 'f' has no probe"),
            ("fn f($a: int64): int64 { if $a { return 1; } } begin { print(f(1)); }", "function 'f' must return a value of type int64 on every path"),
            ("fn f($a: int64): int64 { return 1; } begin { print(f(1, 2)); }", "stdin:1:52-59: ERROR: f() takes 1 argument, not 2"),
            ("fn f($a: string): int64 { return 1; } begin { print(f(\"a\")); }", "a function takes integers, booleans and pointers"),
            ("fn f(): void { return 1; } begin { f(); }", "function 'f' returns nothing (void)"),
            ("fn pid(): int64 { return 1; } begin { print(1); }", "function 'pid' has the name of a builtin"),
        ]
        for (script, expected) in cases {
            let r = try auger(["-e", script])
            XCTAssertEqual(r.status, 1, script)
            XCTAssertTrue(r.stderr.contains(expected), "\(script)\n\(r.stderr)")
        }
    }

    /// The verifier's 512 bytes for a chain of calls, reported at the call.
    func testStackOfACallChainIsCheckedAtTheCall() throws {
        let assignments = (0..<36).map { "$v\($0) = X + \($0);" }.joined(separator: " ")
        let total = (0..<36).map { "$v\($0)" }.joined(separator: " + ")
        let script = "fn f($a: int64): int64 { \(assignments.replacingOccurrences(of: "X", with: "$a")) return \(total); }\n"
            + "begin { \(assignments.replacingOccurrences(of: "X", with: "nsecs")) print(f(1) + \(total)); }"
        let r = try auger(["-e", script])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("stdin:2:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("calling f() here needs 672 bytes of BPF stack"), r.stderr)
    }
}
