#!/usr/bin/env bash
# Kernel-function probe costs, measured inside Debian's 6.1 and 6.12 kernels
# under qemu (this machine has no kprobes): see scripts/kernels/guest-bench.sh.
#   bench/kernels.sh        (after the static release build the kernel matrix needs)
set -euo pipefail
cd "$(dirname "$0")/.."
GUEST_SCRIPT=scripts/kernels/guest-bench.sh KERNELS_WORK=${KERNELS_WORK:-.build-kernels} scripts/kernels/test-kernels.sh
