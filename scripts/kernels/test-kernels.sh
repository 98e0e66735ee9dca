#!/usr/bin/env bash
# Boots Debian's 6.1 and 6.12 kernels under qemu (software emulation) and runs
# scripts/kernels/guest-tests.sh inside each, with the static release auger:
# the kernel-function probes this project's own machines cannot run.
#
#   scripts/kernels/test-kernels.sh            # both kernels
#   KERNELS="6.1" scripts/kernels/test-kernels.sh
#   GUEST_SCRIPT=scripts/kernels/guest-bench.sh scripts/kernels/test-kernels.sh   (bench/kernels.sh)
#   CONFORMANCE=1 scripts/kernels/test-kernels.sh   also runs bpftrace's kernel-function
#       tests in each guest, chrooted into the host's root shared read-only over 9p
#
# Needs qemu-system-x86, busybox-static, cpio, xz-utils and zstd (CI installs
# them), and `swift build -c release --static-swift-stdlib` for auger and
# auger-workload. Exits 1 if any test fails or a guest does not finish.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${KERNELS_WORK:-.build-kernels}
mkdir -p "$work"
release=.build/release
for binary in auger auger-workload; do
    [ -x "$release/$binary" ] || { echo "kernels: $release/$binary is missing (swift build -c release --static-swift-stdlib)"; exit 1; }
done

# The newest of each series that the archive offers.
kernel_package() {
    case "$1" in
        6.1) apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
        6.12) apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
    esac | awk '{print $1}' | sort -V | tail -n 1
}

initramfs() { # builds $work/tests.cpio once
    local root="$work/initramfs"
    rm -rf "$root"
    mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,lib64,usr/lib/x86_64-linux-gnu,lib/x86_64-linux-gnu}
    cp "$(command -v busybox)" "$root/bin/busybox"
    for tool in sh mount poweroff grep sed head echo cat sleep awk tr insmod dd chroot wc sort; do ln -sf busybox "$root/bin/$tool"; done
    cp "$release/auger" "$release/auger-workload" "$root/bin/"
    # What the static-stdlib binaries still link: libc, libm, libstdc++, libgcc_s and the loader.
    for lib in $(for b in auger auger-workload; do ldd "$release/$b"; done | awk '/=>/ { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
    cp "${GUEST_SCRIPT:-scripts/kernels/guest-tests.sh}" "$root/bin/guest-tests"
    cp scripts/kernels/guest-conformance.sh "$root/bin/guest-conformance"
    mkdir -p "$root/host"
    pwd > "$root/etc/auger-project"
    [ "${CONFORMANCE:-0}" = 1 ] && echo "${CONFORMANCE_BUDGET:-500}" > "$root/etc/auger-conformance"
    echo "guest" > "$root/etc/hostname"
    cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
for m in $(cat /lib/modules/load-order); do insmod /lib/modules/$m.ko; done
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
/bin/guest-tests
[ -f /etc/auger-conformance ] && /bin/guest-conformance "$(cat /etc/auger-conformance)"
poweroff -f
INIT
    chmod +x "$root/init" "$root/bin/guest-tests" "$root/bin/guest-conformance"
    mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
    (cd "$root" && find . | cpio -o -H newc --quiet) > "$work/tests.cpio"
}

boot() { # series → 0 when every test passed
    local package version vmlinux log
    package=$(kernel_package "$1")
    [ -n "$package" ] || { echo "kernels: no $1 kernel package in the archive"; return 1; }
    version=${package#linux-image-}; version=${version%-unsigned}
    vmlinux="$work/vmlinux-$version"
    modules="$work/modules-v2-$version.cpio"
    if [ ! -s "$vmlinux" ] || [ ! -s "$modules" ]; then
        (cd "$work" && apt-get download -qq "$package")
        rm -rf "$work/deb" && dpkg-deb -x "$work/${package}"_*.deb "$work/deb"
        python3 scripts/kernels/vmlinux.py "$work/deb/boot/vmlinuz-$version" "$vmlinux"
        # binfmt_misc for module-function probes (its status file's read is
        # bm_status_read); 9p over virtio for the host's root (conformance).
        python3 scripts/kernels/modules.py "$work/deb" "$work/deb/extra/lib/modules" binfmt_misc 9p 9pnet_virtio virtio_pci ||
            { echo "kernels: could not take the modules out of $package"; rm -rf "$work/deb"; return 1; }
        (cd "$work/deb/extra" && find . | cpio -o -H newc --quiet) > "$modules"
        rm -rf "$work/deb" "$work/${package}"_*.deb
    fi
    # The kernel unpacks concatenated archives in turn: the tests, then this kernel's module.
    cat "$work/tests.cpio" "$modules" > "$work/boot-$version.cpio"
    log="$work/console-$version.log"
    echo "kernels: booting $version"
    local share=()
    [ "${CONFORMANCE:-0}" = 1 ] && share=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)
    local attempt
    for attempt in 1 2; do
        timeout 1500 qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp 2 -kernel "$vmlinux" -initrd "$work/boot-$version.cpio" \
            "${share[@]}" -nographic -no-reboot -append "console=ttyS0 quiet panic=-1" > "$log" 2>&1 || true
        # The firmware's last message may share the first test's line.
        tr -d '\r' < "$log" | grep -o 'KTEST.*' > "$log.results" || true
        # Under software emulation 6.12 has been seen to panic while booting,
        # before init ran a test: boot once more then, and say so.
        [ -s "$log.results" ] && break
        echo "kernels: $version stopped before any test ran (attempt $attempt):"; grep -m 3 -E 'panic|RIP:' "$log" || true
    done
    sed "s/^/  $version: /" "$log.results"
    if ! grep -q '^KTEST done' "$log.results"; then echo "kernels: $version did not finish; console:"; tail -n 30 "$log"; return 1; fi
    if ! grep -q '^KTEST pass' "$log.results"; then echo "kernels: $version ran no test"; return 1; fi
    ! grep -q '^KTEST fail' "$log.results"
}

initramfs
status=0
for series in ${KERNELS:-6.1 6.12}; do
    start=$(date +%s)
    boot "$series" || status=1
    echo "kernels: $series took $(( $(date +%s) - start )) s"
done
exit $status
