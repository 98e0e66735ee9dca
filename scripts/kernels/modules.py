#!/usr/bin/env python3
"""Copies kernel modules and what they depend on out of an unpacked kernel
package, uncompressed (busybox insmod reads plain .ko), with the order to
load them in.

    modules.py UNPACKED_DEB OUT_DIR MODULE...

Writes OUT_DIR/NAME.ko for each module and its dependencies, and
OUT_DIR/load-order listing them dependencies first. Dependencies come from
each module's .modinfo section ("depends="): the package has no modules.dep,
which depmod writes at install time.
"""
import lzma, os, subprocess, sys


def modinfo_depends(data):
    """The depends= entry of an ELF module's .modinfo section."""
    # .modinfo holds NUL-separated key=value strings; finding them by scan
    # avoids parsing ELF section headers.
    for field in data.split(b"\0"):
        if field.startswith(b"depends="):
            return [d for d in field[len(b"depends="):].decode().split(",") if d]
    return []


def read_module(path):
    if path.endswith(".xz"):
        return lzma.decompress(open(path, "rb").read())
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-qdc", path], check=True, capture_output=True).stdout
    return open(path, "rb").read()


def main():
    root, out, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = {}
    for directory, _, names in os.walk(os.path.join(root, "lib", "modules")):
        for name in names:
            base = name.split(".ko")[0]
            if ".ko" in name:
                # modinfo names use underscores where file names may use dashes.
                files[base.replace("-", "_")] = os.path.join(directory, name)
    os.makedirs(out, exist_ok=True)
    order, seen = [], set()

    def visit(name):
        name = name.replace("-", "_")
        if name in seen:
            return
        seen.add(name)
        if name not in files:
            # Built into this kernel (6.12 builds virtio_pci in): nothing to load.
            return
        data = read_module(files[name])
        for dependency in modinfo_depends(data):
            visit(dependency)
        open(os.path.join(out, name + ".ko"), "wb").write(data)
        order.append(name)

    for name in wanted:
        visit(name)
    open(os.path.join(out, "load-order"), "w").write("\n".join(order) + "\n")


if __name__ == "__main__":
    main()
