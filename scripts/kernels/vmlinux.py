#!/usr/bin/env python3
"""Unpacks the ELF vmlinux from a distribution's vmlinuz (bzImage), so qemu
can boot it directly with -kernel through its PVH entry (seconds faster
than the bzImage's own decompressor under emulation).

    scripts/kernels/vmlinux.py VMLINUZ OUT
"""
import subprocess, sys

def main():
    data = open(sys.argv[1], "rb").read()
    # The payload is one compressed stream; try each at every place its magic appears.
    for magic, tool in ((b"\xfd7zXZ\x00", ["xz", "-dc"]), (b"\x28\xb5\x2f\xfd", ["zstd", "-dcq"])):
        at = data.find(magic)
        while at >= 0:
            p = subprocess.run(tool, input=data[at:], capture_output=True)
            # Trailing bytes after the stream make the tools complain; the ELF is what matters.
            if p.stdout[:4] == b"\x7fELF":
                open(sys.argv[2], "wb").write(p.stdout)
                return 0
            at = data.find(magic, at + 1)
    print("no ELF kernel found in " + sys.argv[1], file=sys.stderr)
    return 1

sys.exit(main())
