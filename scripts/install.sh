#!/usr/bin/env bash
# Builds the release binary with the Swift runtime linked in, strips it and
# installs it: one file that runs on any x86_64 Linux with glibc, no Swift.
# Usage: scripts/install.sh [PREFIX]   (default /usr/local; the binary goes to PREFIX/bin/auger)
# AUGER_WITH_WORKLOAD=1 also builds the test workload (the kernel matrix needs it).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
command -v swift >/dev/null || export PATH="$PATH:/opt/swift/usr/bin"
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit-dirty"; fi
flags=(-c release --static-swift-stdlib -Xcc "-DAUGER_BUILD_COMMIT=\"$commit\"")
swift build "${flags[@]}" --product auger
if [ "${AUGER_WITH_WORKLOAD:-0}" = 1 ]; then swift build "${flags[@]}" --product auger-workload; fi
mkdir -p "$prefix/bin"
install -m 755 .build/release/auger "$prefix/bin/auger"
strip "$prefix/bin/auger"
echo "installed $prefix/bin/auger: $("$prefix/bin/auger" --version), $(du -h "$prefix/bin/auger" | cut -f1)"
