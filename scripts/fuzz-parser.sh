#!/usr/bin/env bash
# Builds the front end with libFuzzer and AddressSanitizer and fuzzes it.
# Usage: scripts/fuzz-parser.sh [SECONDS] [CORPUS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
corpus=${2:-.build-fuzz/corpus}
mkdir -p .build-fuzz "$corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name AugerScript -emit-library -static \
    Sources/AugerScript/*.swift -o .build-fuzz/libAugerScript.a \
    -emit-module -emit-module-path .build-fuzz/AugerScript.swiftmodule
swiftc -sanitize=fuzzer,address -parse-as-library -O -I .build-fuzz -L .build-fuzz -lAugerScript \
    Fuzz/parser-fuzzer.swift -o .build-fuzz/parser-fuzzer
# Seed with the conformance programs when they are there.
if [ -d ../shared/conformance/bpftrace-runtime ] && [ -z "$(ls -A "$corpus")" ]; then
    grep -h '^PROG ' ../shared/conformance/bpftrace-runtime/* 2>/dev/null | sed 's/^PROG //' | split -l 1 - "$corpus/seed-"
fi
exec .build-fuzz/parser-fuzzer -max_total_time="$seconds" "$corpus"
