#!/usr/bin/env bash
# Builds one libFuzzer target with AddressSanitizer and runs it.
# Usage: scripts/fuzz.sh parser|elf [SECONDS] [CORPUS_DIR] [-- libFuzzer options…]
#   parser: the script front end (lexer, parser, type checker, printer)
#   elf:    the ELF section, symbol, note and build-id readers
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh parser|elf [SECONDS] [CORPUS_DIR]}
seconds=${2:-300}
corpus=${3:-.build-fuzz/corpus-$target}
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
case "$target" in
    parser) module=AugerScript; max_len=4096 ;;
    elf) module=ELF; max_len=65536 ;;
    *) echo "unknown fuzz target '$target': parser or elf" >&2; exit 1 ;;
esac
mkdir -p .build-fuzz "$corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "$module" -emit-library -static \
    Sources/"$module"/*.swift -o .build-fuzz/lib"$module".a \
    -emit-module -emit-module-path .build-fuzz/"$module".swiftmodule
swiftc -sanitize=fuzzer,address -parse-as-library -O -I .build-fuzz -L .build-fuzz -l"$module" \
    Fuzz/"$target"-fuzzer.swift -o .build-fuzz/"$target"-fuzzer
if [ -z "$(ls -A "$corpus")" ]; then
    case "$target" in
        # The conformance programs, one per file, when they are there.
        parser) if [ -d ../shared/conformance/bpftrace-runtime ]; then
                    grep -h '^PROG ' ../shared/conformance/bpftrace-runtime/* 2>/dev/null | sed 's/^PROG //' | split -l 1 - "$corpus/seed-"
                fi ;;
        # Small real ELF files: an executable, a shared object, one with USDT notes.
        elf) for f in /usr/bin/true /usr/lib/x86_64-linux-gnu/libdl.so.2; do
                 if [ -f "$f" ]; then cp "$f" "$corpus/seed-$(basename "$f")"; fi
             done
             for helper in usdt_semaphore_test usdt_args; do
                 cc -O1 -s -I Tests/WorkloadProbe/include -o "$corpus/seed-$helper" scripts/conformance-helpers/$helper.c || true
             done ;;
    esac
fi
# Swift's global tables are allocated once and never freed by design: at
# exit LeakSanitizer would report them as leaks. Crashes and memory errors
# are what the fuzzer looks for.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
exec .build-fuzz/"$target"-fuzzer -max_len="$max_len" -max_total_time="$seconds" "$@" "$corpus"
