#!/usr/bin/env python3
"""Regenerates Sources/BPF/Helper.swift from the system's <linux/bpf.h>."""
import re, sys

header = sys.argv[1] if len(sys.argv) > 1 else "/usr/include/linux/bpf.h"
src = open(header).read()
body = re.search(r"#define __BPF_FUNC_MAPPER\(FN\)(.*?)\n\n", src, re.S).group(1)
names = re.findall(r"FN\((\w+)", body)
keywords = {"return", "default", "in", "is", "as", "case", "switch", "for", "if", "else",
            "while", "repeat", "var", "let", "func", "self", "throw", "try", "do", "break", "continue"}

def camel(s):
    p = s.split("_")
    c = p[0] + "".join(x[:1].upper() + x[1:] for x in p[1:])
    return f"`{c}`" if c in keywords else c

out = ["// Kernel helper functions by number, in the order of the UAPI header's",
       "// __BPF_FUNC_MAPPER (their numbers are stable ABI). Generated from",
       "// <linux/bpf.h> with `python3 scripts/gen-helpers.py`.", "",
       "/// A kernel helper function that BPF programs call with `call`.",
       "public enum Helper: Int32, Sendable, CaseIterable {"]
out += [f"    case {camel(n)} = {i}" for i, n in enumerate(names)]
out += ["", "    /// The kernel's name for the helper, e.g. `bpf_map_lookup_elem`.",
        '    public var name: String { "bpf_" + Helper.snakeNames[Int(rawValue)] }', "",
        "    private static let snakeNames: [String] = ["]
out += ["        " + ", ".join(f'"{n}"' for n in names[i:i + 4]) + "," for i in range(0, len(names), 4)]
out += ["    ]", "}"]
open("Sources/BPF/Helper.swift", "w").write("\n".join(out) + "\n")
