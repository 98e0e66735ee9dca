#!/bin/sh
# Runs inside a guest kernel after guest-tests.sh when the host's root is
# exported read-only over 9p (test-kernels.sh with CONFORMANCE=1): chroots
# into it and runs bpftrace's runtime tests that use kernel-function probes
# with the host's python3 and the release auger. Prints KTEST lines. The cap
# is longer than on the host: under emulation a helper takes seconds to start.
root=$(cat /etc/auger-project)
mkdir -p /host
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /host 2>/dev/null; then
    echo "KTEST fail conformance: the host's root (9p) did not mount"; exit 0
fi
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mount -t tracefs tracefs /host/sys/kernel/tracing
# The host's /tmp holds the project in CI (a mktemp -d clone): writable space goes elsewhere.
mount -t tmpfs run /host/run
chroot /host /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/run TMPDIR=/run \
    /usr/bin/python3 -u "$root/scripts/conformance.py" --auger "$root/.build/release/auger" --kernel-features \
    --uses '(^|[\s,{}"'"'"'])(kprobe|kretprobe|fentry|fexit|kfunc|kretfunc|k|kr|f|fr):' --cap 6 --budget "${1:-500}" --failures -v 2>&1 |
    sed 's/^/KTEST conformance /'
