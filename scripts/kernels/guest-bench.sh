#!/bin/sh
# Runs inside a guest kernel (busybox sh): what a kprobe and an fentry probe
# cost per event, as ratios to an empty program attached the same way, and
# how long a wildcard over hundreds of functions takes to attach with one
# kprobe_multi link and with one kprobe each. Absolute times under software
# emulation mean little; the ratios within one guest do. Prints KTEST lines.
PATH=/bin:/usr/bin
export PATH
# Many calls, and the median of five runs: under emulation a pread costs
# ~22 µs and varies by more than a probe costs over fewer.
N=${BENCH_CALLS:-100000}

# The workload's own time for N preads of 4093 bytes, traced by SCRIPT (or not).
elapsed() { # script (empty: untraced)
    if [ -z "$1" ]; then AUGER_WORKLOAD_ELAPSED=1 auger-workload pread $N
    else AUGER_WORKLOAD_ELAPSED=1 auger -q -e "$1" -c "auger-workload pread $N"; fi | awk '/^elapsed_ns/ { print $2 }'
}
median5() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
measure() { median5 "$(elapsed "$1")" "$(elapsed "$1")" "$(elapsed "$1")" "$(elapsed "$1")" "$(elapsed "$1")"; }

base=$(measure "")
echo "KTEST bench untraced: $((base / N)) ns per pread"
for kind in kprobe fentry; do
    if [ $kind = kprobe ]; then size=arg2; else size=args.count; fi
    empty=$(measure "$kind:vfs_read { }")
    floor=$(( (empty - base) / N ))
    echo "KTEST bench $kind empty program: $floor ns per event"
    for body in '@ = count();' '@[comm] = count();' "@ = hist($size);" 'printf("%d\n", pid);'; do
        t=$(measure "$kind:vfs_read { $body }")
        cost=$(( (t - base) / N ))
        echo "KTEST bench $kind { $body }: $cost ns per event, $(awk "BEGIN { printf \"%.2f\", $cost / ($floor > 0 ? $floor : 1) }") x the empty program"
    done
done

# Attach (and detach) time of one wildcard over many functions.
pattern='kprobe:tcp_*,kprobe:inet_*,kprobe:ip_*,kprobe:udp_*,kprobe:sock_*'
count=$(auger -l "$pattern" | wc -l)
seconds() { # extra options
    start=$(cat /proc/uptime | awk '{ print $1 }')
    auger -q "$@" -e "$pattern { } interval:ms:1 { exit(); }" > /dev/null 2>&1
    end=$(cat /proc/uptime | awk '{ print $1 }')
    awk "BEGIN { print $end - $start }"
}
multi=$(seconds)
single=$(seconds --no-feature kprobe_multi)
echo "KTEST bench attach $count functions: $multi s with kprobe_multi ($(auger --info | grep kprobe_multi | sed 's/^ *//')), $single s one by one"
echo "KTEST pass bench-finished"
echo "KTEST done"
