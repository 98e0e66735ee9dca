#!/usr/bin/env python3
"""Measures auger and bpftrace side by side on this machine, in one run.

    python3 bench/bench.py [--runs N] [--install] [--quick]

Each figure is the median of N runs (default 5), the tools alternating run by
run. Ratios are auger / bpftrace: below 1 means auger is faster or smaller.
--install installs Debian's bpftrace when it is missing.
"""
import argparse, os, platform, re, resource, shutil, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTIFY = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"


def build():
    """The binary users install (static, stripped: scripts/install.sh), and the workload."""
    prefix = tempfile.mkdtemp(prefix="auger-install-")
    subprocess.run([os.path.join(ROOT, "scripts", "install.sh"), prefix], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, AUGER_WITH_WORKLOAD="1"))
    return os.path.join(prefix, "bin", "auger"), os.path.join(ROOT, ".build", "release", "auger-workload")


def run_measured(argv, env=None, stdout=subprocess.DEVNULL, cpu=False):
    """Wall seconds and peak RSS (KiB) of one process (or wall and user CPU seconds)."""
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - start, (usage.ru_utime if cpu else usage.ru_maxrss)


def generated_script(lines=1000):
    """A 1,000-line script in the shapes real ones have: 142 probes on four
    tracepoints (the kernel runs at most 64 programs on one tracepoint, and
    bpftrace gives each probe its own)."""
    out, i = [], 0
    calls = ["read", "write", "openat", "close"]
    while len(out) < lines - 7:
        out += ['tracepoint:syscalls:sys_enter_%s /pid > %d && comm != "bash"/ {' % (calls[i % 4], i),
                '  @reads%d[comm, tid] = count();' % i,
                '  $start = nsecs; $n = %d + (pid %% 7) * 3;' % i,
                '  if ($n > 10) { @big%d = hist($n); } else { @small%d = lhist($n, 0, 100, 10); }' % (i, i),
                '  printf("%-16s %6d %llu\\n", comm, pid, $start * 1000);',
                '  @sum%d += $n;' % i, '}']
        i += 1
    return "\n".join(out + ["// padding"] * (lines - len(out))) + "\n"


class Attached:
    """A tool running a script, from launch until its probes are attached."""

    def __init__(self, argv, env=None, output=subprocess.DEVNULL):
        env = dict(env or os.environ, **{NOTIFY: "1"})
        self.start = time.perf_counter()
        # bpftrace 0.17 announces attachment on stderr, auger on stdout: read both.
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        line = b""
        while NOTIFY.encode() not in line:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError(f"{argv[0]} exited before attaching")
        self.attach_seconds = time.perf_counter() - self.start
        # Keep draining output (printf benchmarks) so the tool never blocks on its pipe.
        self.sink = subprocess.Popen(["cat"], stdin=self.p.stdout, stdout=output)

    def stop(self):
        """SIGINT; returns seconds until the tool exited (map printing). Sets peak_rss_kib."""
        start = time.perf_counter()
        self.p.send_signal(signal.SIGINT)
        # A tool that ignores SIGINT (bpftrace 0.17 did once) is killed after a minute.
        deadline = start + 60
        while True:
            pid, _, usage = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                print(f"bench: {self.p.args[0]} ignored SIGINT; killed", file=sys.stderr)
                self.p.kill()
                _, _, usage = os.wait4(self.p.pid, 0)
                break
            time.sleep(0.005)
        self.p.returncode = 0
        self.peak_rss_kib = usage.ru_maxrss
        elapsed = time.perf_counter() - start
        self.sink.wait()
        return elapsed


def workload_ns_per_call(workload, calls, cpu, kind="getppid"):
    start = time.perf_counter()
    subprocess.run(["taskset", "-c", str(cpu), workload, kind, str(calls)], check=True)
    return (time.perf_counter() - start) * 1e9 / calls


def median(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--install", action="store_true", help="apt-get install bpftrace when missing")
    ap.add_argument("--quick", action="store_true", help="fewer calls per measurement")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench: needs root")
        return 1
    if not shutil.which("bpftrace") and args.install:
        subprocess.run(["apt-get", "install", "-y", "-qq", "bpftrace"], check=False, stdout=subprocess.DEVNULL)
    bpftrace = shutil.which("bpftrace")
    auger, workload = build()
    tools = [("auger", auger)] + ([("bpftrace", bpftrace)] if bpftrace else [])
    runs = args.runs
    calls = 300_000 if args.quick else 2_000_000
    rows = []

    def row(name, values, unit, fmt="{:.1f}"):
        a = values.get("auger")
        b = values.get("bpftrace")
        ratio = f"{a / b:.2f}" if a is not None and b else "–"
        rows.append((name, fmt.format(a) + " " + unit if a is not None else "–",
                     fmt.format(b) + " " + unit if b is not None else "–", ratio))

    # Start-up: BEGIN { exit(); }
    wall = {n: [] for n, _ in tools}
    rss = {n: [] for n, _ in tools}
    for _ in range(runs):
        for name, path in tools:
            w, r = run_measured([path, "-e", "BEGIN { exit(); }"])
            wall[name].append(w * 1000)
            rss[name].append(r / 1024)
    row("start-up wall time, BEGIN { exit(); }", {n: median(v) for n, v in wall.items()}, "ms")
    row("start-up peak RSS", {n: median(v) for n, v in rss.items()}, "MiB")

    # Launch to attached, a tracepoint one-liner.
    attach, oneliner_rss = {n: [] for n, _ in tools}, {n: [] for n, _ in tools}
    for _ in range(runs):
        for name, path in tools:
            t = Attached([path, "-e", "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"])
            attach[name].append(t.attach_seconds * 1000)
            t.stop()
            oneliner_rss[name].append(t.peak_rss_kib / 1024)
    row("launch to attached, tracepoint one-liner", {n: median(v) for n, v in attach.items()}, "ms")
    row("peak RSS, tracepoint one-liner", {n: median(v) for n, v in oneliner_rss.items()}, "MiB")

    # Per-event cost on getppid, pinned to each CPU.
    programs = [
        ("empty program (floor)", "tracepoint:syscalls:sys_enter_getppid { }"),
        ("@ = count()", "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"),
        ("@[comm] = count()", "tracepoint:syscalls:sys_enter_getppid { @[comm] = count(); }"),
        ("@[tid] = hist(nsecs % 1000)", "tracepoint:syscalls:sys_enter_getppid { @[tid] = hist(nsecs % 1000); }"),
        ("printf to /dev/null", 'tracepoint:syscalls:sys_enter_getppid { printf("%d %s\\n", tid, comm); }'),
    ]
    for cpu in (0, 1):
        bare = median([workload_ns_per_call(workload, calls, cpu) for _ in range(runs)])
        rows.append((f"getppid() bare, CPU {cpu}", f"{bare:.0f} ns", f"{bare:.0f} ns", "–"))
        for label, program in programs:
            cost = {n: [] for n, _ in tools}
            for _ in range(runs):
                for name, path in tools:
                    t = Attached([path, "-e", program])
                    cost[name].append(workload_ns_per_call(workload, calls, cpu) - bare)
                    t.stop()
            row(f"added per event, {label}, CPU {cpu}", {n: median(v) for n, v in cost.items()}, "ns", "{:.0f}")

    # A uprobe on a C function of the workload (auger_workload_probe).
    ucalls = max(calls // 10, 1000)
    ubare = median([workload_ns_per_call(workload, ucalls, 1, "call") for _ in range(runs)])
    rows.append(("auger_workload_probe() bare, CPU 1", f"{ubare:.0f} ns", f"{ubare:.0f} ns", "–"))
    ucost = {n: [] for n, _ in tools}
    for _ in range(runs):
        for name, path in tools:
            t = Attached([path, "-e", f"uprobe:{workload}:auger_workload_probe {{ @ = count(); }}"])
            ucost[name].append(workload_ns_per_call(workload, ucalls, 1, "call") - ubare)
            t.stop()
    row("added per call, uprobe @ = count(), CPU 1", {n: median(v) for n, v in ucost.items()}, "ns", "{:.0f}")

    # Compiling a 1,000-line script: auger --dry-run (which also loads every
    # program through the kernel's verifier) against bpftrace --emit-elf
    # (compiles to an ELF file, loads nothing).
    script = os.path.join(tempfile.mkdtemp(prefix="auger-bench-"), "gen1000.bt")
    open(script, "w").write(generated_script())
    argv = {"auger": lambda p: [p, "--dry-run", script], "bpftrace": lambda p: [p, "--emit-elf", script + ".elf", script]}
    cwall, ccpu = {n: [] for n, _ in tools}, {n: [] for n, _ in tools}
    for _ in range(max(1, runs // 2)):
        for name, path in tools:
            w, u = run_measured(argv[name](path), cpu=True)
            cwall[name].append(w * 1000)
            ccpu[name].append(u * 1000)
    row("compile a 1,000-line script, user CPU", {n: median(v) for n, v in ccpu.items()}, "ms", "{:.0f}")
    row("compile a 1,000-line script, wall (auger: + kernel verifier)", {n: median(v) for n, v in cwall.items()}, "ms", "{:.0f}")

    # Printing a map of 100,000 keys at exit.
    env = dict(os.environ, BPFTRACE_MAP_KEYS_MAX="200000", BPFTRACE_MAX_MAP_KEYS="200000")
    printing = {n: [] for n, _ in tools}
    for _ in range(max(1, runs // 2)):
        for name, path in tools:
            t = Attached([path, "-e", "tracepoint:syscalls:sys_enter_getppid { @[nsecs] = 1; }"], env=env)
            subprocess.run([workload, "getppid", "100000"], check=True)
            printing[name].append(t.stop() * 1000)
    row("print a 100,000-key map at exit", {n: median(v) for n, v in printing.items()}, "ms", "{:.0f}")

    # Many probes: launch to attached for the 142-probe script, and SIGINT to
    # exit with every syscall-entry tracepoint (~360 perf events) attached.
    script142 = os.path.join(os.path.dirname(script), "gen1000-run.bt")
    open(script142, "w").write(generated_script())
    many_attach, many_exit = {n: [] for n, _ in tools}, {n: [] for n, _ in tools}
    for _ in range(max(1, runs // 2)):
        for name, path in tools:
            t = Attached([path, script142])
            many_attach[name].append(t.attach_seconds * 1000)
            t.stop()
            t = Attached([path, "-e", "tracepoint:syscalls:sys_enter_* { @[probe] = count(); }"])
            time.sleep(1)
            many_exit[name].append(t.stop() * 1000)
    row("launch to attached, 1,000-line script (142 probes)", {n: median(v) for n, v in many_attach.items()}, "ms", "{:.0f}")
    row("SIGINT to exit, sys_enter_* (~360 tracepoints) attached", {n: median(v) for n, v in many_exit.items()}, "ms", "{:.0f}")

    # Binary size and shared libraries.
    for name, path in tools:
        size = os.path.getsize(os.path.realpath(path)) / (1 << 20)
        libs = len([l for l in subprocess.run(["ldd", path], capture_output=True, text=True).stdout.split("\n") if "=>" in l])
        rows.append((f"{name} binary", f"{size:.1f} MiB", f"{libs} shared libraries", ""))

    cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    versions = {n: subprocess.run([p, "--version"], capture_output=True, text=True).stdout.strip() for n, p in tools}
    print(f"Machine: {cpu_model}, {os.cpu_count()} CPUs, Linux {platform.release()}; "
          f"{', '.join(versions.values())}; median of {runs} runs, {calls} getppid() calls per cost figure.\n")
    print("| measure | auger | bpftrace | auger / bpftrace |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
