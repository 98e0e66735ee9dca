#!/bin/sh
# Runs inside the guest kernel (busybox sh): kernel-function probes against
# real events, with exact counts. Prints one KTEST line per test and
# "KTEST done" at the end; the host script reads them from the console.
PATH=/bin:/usr/bin
export PATH

check() { # name, expected text (fixed string), command...
    name=$1; want=$2; shift 2
    out=$("$@" 2>&1); status=$?
    if echo "$out" | grep -qF -- "$want"; then
        echo "KTEST pass $name"
    else
        echo "KTEST fail $name (status $status): wanted '$want', got:"
        echo "$out" | head -n 20 | sed 's/^/KTEST |   /'
    fi
}

# What the kernel holds before the tests: every run, failed ones included,
# must leave no program, map or link behind (checked at the end).
loaded_before=$(auger-workload bpf-objects 0)

check kprobe-counts-calls "@: 1000" \
    auger -q -e 'kprobe:__x64_sys_getppid /pid == cpid/ { @ = count(); }' -c 'auger-workload getppid 1000'
check kprobe-short-name "@: 500" \
    auger -q -e 'k:__x64_sys_getppid /pid == cpid/ { @ = count(); }' -c 'auger-workload getppid 500'
check kretprobe-counts-returns "@: 1000" \
    auger -q -e 'kretprobe:__x64_sys_getppid /pid == cpid/ { @ = count(); }' -c 'auger-workload getppid 1000'
# Probes on one function run in the script's order: kprobes and trampolines
# run their newest first, kretprobes their oldest (Auger attaches to suit).
for kind in kprobe kretprobe; do
    check $kind-order "first second" \
        auger -q -e "$kind:__x64_sys_getppid /pid == cpid/ { printf(\"first\"); } $kind:__x64_sys_getppid /pid == cpid/ { printf(\" second\n\"); }" -c 'auger-workload getppid 1'
done
for kind in fentry fexit; do
    check $kind-order "first second" \
        auger -q -e "$kind:do_nanosleep /pid == cpid/ { printf(\"first\"); } $kind:do_nanosleep /pid == cpid/ { printf(\" second\n\"); }" -c 'auger-workload sleep 1'
done
# getppid returns the workload's parent: auger itself, so a pid above 1.
out=$(auger -q -e 'kretprobe:__x64_sys_getppid /pid == cpid/ { @r = min(retval); }' -c 'auger-workload getppid 10' 2>&1)
if echo "$out" | grep -qE '^@r: [1-9][0-9]*$' && ! echo "$out" | grep -q '^@r: 1$'; then echo "KTEST pass kretprobe-retval"
else echo "KTEST fail kretprobe-retval: $out"; fi
check kprobe-func-symbolized "@[__x64_sys_getppid]: 300" \
    auger -q -e 'kprobe:__x64_sys_getppid /pid == cpid/ { @[func] = count(); }' -c 'auger-workload getppid 300'
check kprobe-wildcard-func-probe "@[vfs_read, kprobe:vfs_read]: " \
    auger -q -e 'kprobe:vfs_rea? /pid == cpid/ { @[func, probe] = count(); }' -c 'head -c 1 /proc/version'
check kprobe-missing-function 'WARNING: nonexistent_function_xyz is not traceable (either non-existing, inlined, or marked as "notrace"); attaching to it will likely fail' \
    auger -e 'kprobe:nonexistent_function_xyz { @ = count(); }'
check kprobe-missing-function-error 'ERROR: No matches for kprobe nonexistent_function_xyz.' \
    auger -e 'kprobe:nonexistent_function_xyz { @ = count(); }'
# RCU's functions are skipped: kprobes on all of them crashed 6.1 here.
check kprobe-rcu-refused "ERROR: Probe has no valid attach points." auger -e 'kprobe:rcu_* { exit(); }'
check kprobe-address-invalid "ERROR: Unable to attach probe: kprobe:305419896. If this is expected" \
    auger -e 'kprobe:0x12345678 { }'
check kprobe-args-registers "@[true]: " \
    auger -q -e 'kprobe:vfs_read /pid == cpid/ { @[arg2 > 0] = count(); }' -c 'head -c 1 /proc/version'
check kprobe-wildcard-no-match "No matches for kprobe nonexistent_*." \
    auger -e 'kprobe:nonexistent_* { @ = count(); }'
check info-reports-kprobes "kprobe: yes" auger --info
check info-reports-kprobe-multi "kprobe_multi: " auger --info
auger --info 2>&1 | grep kprobe_multi | sed 's/^ */KTEST info /'
check kprobe-reg-ip "@[vfs_read]: 7" \
    auger -q -e 'kprobe:vfs_read /pid == cpid && arg2 == 4093/ { @[ksym(reg("ip"))] = count(); }' -c 'auger-workload pread 7'
check kprobe-stack-depth "@: 3" \
    auger -q -e 'kprobe:vfs_read /pid == cpid && arg2 == 4093/ { @ = len(kstack(3)); }' -c 'auger-workload pread 2'
check kretprobe-func "@[vfs_read]: 20" \
    auger -q -e 'kretprobe:vfs_read /pid == cpid && retval == 4093/ { @[func] = count(); }' -c 'auger-workload pread 20'

# System-call tracepoints served from raw sys_enter/sys_exit: exact counts,
# return values, and 32-bit (int $0x80) calls not taken for 64-bit ones.
check syscall-dispatch-wildcard "@[tracepoint:syscalls:sys_enter_getppid]: 1000" \
    auger -q -e 'tracepoint:syscalls:sys_enter_* /pid == cpid/ { @[probe] = count(); }' -c 'auger-workload getppid 1000'
check syscall-dispatch-compat-skipped "@: 7" \
    auger -q -e 'tracepoint:syscalls:sys_enter_writev,tracepoint:syscalls:sys_enter_getppid /pid == cpid/ { @ = count(); }' -c 'auger-workload compat 100 getppid 7'
check syscall-dispatch-exit-ret "@[true]: 50" \
    auger -q -e 'tracepoint:syscalls:sys_exit_getppid /pid == cpid/ { @[args.ret > 1] = count(); }' -c 'auger-workload getppid 50'

# A module's function (binfmt_misc, loaded by init): reading its status file
# one byte at a time calls bm_status_read once per byte.
bm_status=/proc/sys/fs/binfmt_misc/status
check kprobe-module-function "@: 5" \
    auger -q -e 'kprobe:binfmt_misc:bm_status_read /pid == cpid/ { @ = count(); }' -c "dd if=$bm_status of=/dev/null bs=1 count=5"
check kprobe-module-wildcard "@[bm_status_read]: 3" \
    auger -q -e 'kprobe:binfmt_mis?:bm_status_* /pid == cpid/ { @[func] = count(); }' -c "dd if=$bm_status of=/dev/null bs=1 count=3"
check kprobe-module-probe-name "@[kprobe:binfmt_misc:bm_status_read]: 2" \
    auger -q -e 'kprobe:binfmt_misc:bm_status_read /pid == cpid/ { @[probe] = count(); }' -c "dd if=$bm_status of=/dev/null bs=1 count=2"
check kprobe-module-not-loaded "ERROR: specified module nosuchmodule in probe kprobe:nosuchmodule:bm_status_read is not loaded." \
    auger -e 'kprobe:nosuchmodule:bm_status_read { }'
check kprobe-list-module "kprobe:binfmt_misc:bm_status_read" auger -l 'kprobe:binfmt_misc:*'

# Wildcards through one kprobe_multi link (fprobe) where the kernel has it:
# the same counts, one program; --no-feature kprobe_multi gives one each.
check kprobe-multi-counts "@[vfs_read]: 50" \
    auger -q -e 'kprobe:vfs_rea? /pid == cpid && arg2 == 4093/ { @[func] = count(); }' -c 'auger-workload pread 50'
check kretprobe-multi-retval "@[vfs_read]: 20" \
    auger -q -e 'kretprobe:vfs_rea? /pid == cpid && retval == 4093/ { @[func] = count(); }' -c 'auger-workload pread 20'
check kprobe-no-multi-counts "@[vfs_read]: 30" \
    auger -q --no-feature kprobe_multi -e 'kprobe:vfs_rea? /pid == cpid && arg2 == 4093/ { @[func] = count(); }' -c 'auger-workload pread 30'
programs=$(auger --dry-run -d dis -e 'kprobe:vfs_rea* { @ = count(); }' 2>&1 | grep -c '^kp_')
single=$(auger --dry-run -d dis --no-feature kprobe_multi -e 'kprobe:vfs_rea* { @ = count(); }' 2>&1 | grep -c '^kp_')
# Debian's 6.1 has no fprobe: there each function keeps its own program.
if auger --info | grep -q 'kprobe_multi: yes'; then expected=1; else expected=$single; fi
if [ "$programs" = "$expected" ] && [ "$single" -gt 1 ]; then echo "KTEST pass kprobe-multi-one-program ($programs of $single)"
else echo "KTEST fail kprobe-multi-one-program: $programs programs with kprobe_multi, $single without"; fi
out=$(auger -e 'kprobe:vfs_* { exit(); } interval:ms:200 { exit(); }' 2>&1)
if echo "$out" | grep -qE '^Attached [0-9]{2,} probes$'; then echo "KTEST pass kprobe-multi-attached-count"
else echo "KTEST fail kprobe-multi-attached-count: $out"; fi
check kprobe-multi-mixed-attachpoint "hit" \
    auger -q -e 'kprobe:vfs_read,kprobe:nonsense* { printf("hit\n"); exit(); }' -c 'head -c 1 /proc/version'
check kprobe-multi-probe-builtin "@[kprobe:vfs_read]: 10" \
    auger -q -e 'kprobe:vfs_rea? /pid == cpid && arg2 == 4093/ { @[probe] = count(); }' -c 'auger-workload pread 10'

# kprobe_session (6.10+): a kprobe and a kretprobe probe on the same functions
# as one program behind one link; elsewhere two, with the same counts.
session_script='kprobe:vfs_rea? { if (pid == cpid && arg2 == 4093) { @e[func] = count(); } } kretprobe:vfs_rea? { if (pid == cpid && retval == 4093) { @r[func] = count(); } }'
out=$(auger -e "$session_script" -c 'auger-workload pread 40' 2>&1)
if echo "$out" | grep -qx '@e\[vfs_read\]: 40' && echo "$out" | grep -qx '@r\[vfs_read\]: 40'; then echo "KTEST pass kprobe-session-counts"
else echo "KTEST fail kprobe-session-counts:"; echo "$out" | head -n 20 | sed 's/^/KTEST |   /'; fi
programs=$(auger --dry-run -d dis -e "$session_script" 2>&1 | grep -c '^k[pr]_')
if auger --info | grep -q 'kprobe_session: yes'; then expected=1; else expected=2; fi
separate=$(auger --dry-run -d dis --no-feature kprobe_session -e "$session_script" 2>&1 | grep -c '^k[pr]_')
if [ "$programs" = "$expected" ] && [ "$separate" = 2 ]; then echo "KTEST pass kprobe-session-one-program ($programs, $separate without)"
else echo "KTEST fail kprobe-session-one-program: $programs programs, $separate with --no-feature kprobe_session, expected $expected"; fi
if [ "$expected" = 1 ]; then attached="Attached 1 probe"; else attached="Attached 2 probes"; fi
check kprobe-session-attached-count "$attached" \
    auger -e 'kprobe:vfs_read { exit(); } kretprobe:vfs_read { exit(); }' -c 'head -c 1 /proc/version'
check kprobe-session-retval "@: 122790" \
    auger -q -e 'kprobe:vfs_read { if (pid == cpid && arg2 == 4093) { @calls = count(); } } kretprobe:vfs_read { if (pid == cpid && retval == 4093) { @ = sum(retval); } }' -c 'auger-workload pread 30'

# fentry and fexit: BPF trampolines, arguments typed by BTF. The workload's
# reads are 4093 bytes, which tells them from the dynamic loader's.
check fentry-counts-calls "@: 1000" \
    auger -q -e 'fentry:vfs_read /pid == cpid && args.count == 4093/ { @ = count(); }' -c 'auger-workload pread 1000'
check fentry-alias-kfunc "@: 10" \
    auger -q -e 'kfunc:vfs_read /pid == cpid && args.count == 4093/ { @ = count(); }' -c 'auger-workload pread 10'
check fexit-retval-sum "@: 409300" \
    auger -q -e 'fexit:vfs_read /pid == cpid && args.count == 4093/ { @ = sum(retval); }' -c 'auger-workload pread 100'
# ssize_t: signed, so retval > -1 holds (an unsigned compare would make -1 the largest value).
check fexit-retval-signed "@[true]: 30" \
    auger -q -e 'fexit:vfs_read /pid == cpid && args.count == 4093/ { @[retval > -1] = count(); }' -c 'auger-workload pread 30'
check fentry-struct-members "@[auger-pread]: 25" \
    auger -q -e 'fentry:vfs_read /pid == cpid && args.count == 4093/ { @[str(args.file->f_path.dentry->d_name.name)] = count(); }' -c 'auger-workload pread 25'
# path(): bpf_d_path, which takes only pointers BTF types and runs only in
# the functions the kernel allows it in (security_file_open is one; vfs_read
# is not); a short size keeps the path's end, the kernel filling from the back.
check fentry-path "auger-pread]: 1" \
    auger -q -e 'fentry:security_file_open /pid == cpid/ { @[path(args.file.f_path)] = count(); }' -c 'auger-workload pread 1'
check fentry-path-truncated "@[r-pread]: 1" \
    auger -q -e 'fentry:security_file_open /pid == cpid/ { @[path(args.file.f_path, 8)] = count(); }' -c 'auger-workload pread 1'
check fentry-path-not-allowed "ERROR: helper bpf_d_path not allowed in probe" \
    auger -q -e 'fentry:vfs_read /pid == cpid/ { @[path(args.file.f_path)] = count(); }' -c 'auger-workload pread 1'
# User functions are BPF-to-BPF calls inside the trampoline's program.
check fentry-user-function "@: 20" \
    auger -q -e 'fn blocks($n: uint64): uint64 { return $n / 4093; } fentry:vfs_read /pid == cpid/ { @ = sum(blocks(args.count)); }' -c 'auger-workload pread 20'
# signal() from a kprobe: the workload dies at its first call.
check kprobe-signal "@: 1" \
    auger -q --unsafe -e 'kprobe:__x64_sys_getppid /pid == cpid/ { @ = count(); signal("KILL"); }' -c 'auger-workload getppid 50'
check fentry-func "func: vfs_read" \
    auger -q -e 'fentry:vfs_read { printf("func: %s\n", func); exit(); }' -c 'head -c 1 /proc/version'
check fentry-wildcard-probe "@[fentry:vmlinux:vfs_read]: 40" \
    auger -q -e 'fentry:vfs_rea? /pid == cpid && args.count == 4093/ { @[probe] = count(); }' -c 'auger-workload pread 40'
check fentry-module-vmlinux "@: 5" \
    auger -q -e 'fentry:vmlinu*:vfs_read /pid == cpid && args.count == 4093/ { @ = count(); }' -c 'auger-workload pread 5'
check fentry-print-args "{ .path = 0x" \
    auger -q -e 'fentry:vfs_open { print(args); exit(); }' -c 'head -c 1 /proc/version'
check fentry-missing "No matches for fentry nonsense." \
    auger -e 'fentry:vfs_read,fentry:nonsense { exit(); }'
# fentry and fexit on a module's function: its id in the module's split BTF.
check fentry-module-function "@: 4" \
    auger -q -e 'fentry:binfmt_misc:bm_status_read /pid == cpid/ { @ = count(); }' -c "dd if=$bm_status of=/dev/null bs=1 count=4"
check fentry-module-args "@: 3" \
    auger -q -e 'fentry:binfmt_misc:bm_status_read /pid == cpid/ { @ = sum(args.nbytes); }' -c "dd if=$bm_status of=/dev/null bs=1 count=3"
check fexit-module-retval "@: 6" \
    auger -q -e 'fexit:binfmt_misc:bm_status_read /pid == cpid/ { @ = sum(retval); }' -c "dd if=$bm_status of=/dev/null bs=2 count=3"
check fentry-module-wildcard "@[fentry:binfmt_misc:bm_status_read]: 2" \
    auger -q -e 'fentry:binfmt_mis*:bm_status_rea? /pid == cpid/ { @[probe] = count(); }' -c "dd if=$bm_status of=/dev/null bs=1 count=2"
check fentry-module-struct-members "@[status]: 2" \
    auger -q -e 'fentry:binfmt_misc:bm_status_read /pid == cpid/ { @[str(args.file->f_path.dentry->d_name.name)] = count(); }' -c "dd if=$bm_status of=/dev/null bs=1 count=2"
check fentry-module-missing "No matches for fentry nosuchmodule:bm_status_read." \
    auger -e 'fentry:nosuchmodule:bm_status_read { }'
check fentry-list-module "fentry:binfmt_misc:bm_status_read" auger -l 'fentry:binfmt_misc:*'
check fexit-list-module-verbose "    size_t nbytes" auger -lv 'fexit:binfmt_misc:bm_status_read'
check kretprobe-list "kretprobe:vfs_read" auger -l 'kretprobe:vfs_rea?'
check kprobe-list-verbose "    size_t count" auger -lv 'kprobe:vfs_read'
check kprobe-list-several "kprobe:vfs_write" auger -l 'kprobe:vfs_read,kprobe:vfs_write'
check fentry-list-verbose "    size_t count" auger -lv 'fentry:vfs_read'
check fexit-list-retval "    ssize_t retval" auger -lv 'fexit:vfs_read'
check info-reports-fentry "fentry: yes" auger --info
loaded_after=$(auger-workload bpf-objects 0)
if [ "$loaded_after" = "$loaded_before" ]; then echo "KTEST pass nothing-left-loaded ($loaded_after)"
else echo "KTEST fail nothing-left-loaded: before the tests $loaded_before, after them $loaded_after"; fi
echo "KTEST done"
