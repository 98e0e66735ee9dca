#!/usr/bin/env python3
"""Runs bpftrace's runtime test suite (../shared/conformance/bpftrace-runtime)
against auger and reports passed, failed and skipped tests with reasons.

    scripts/conformance.py [--filter REGEX] [--uses REGEX] [--cap SECONDS] [--budget SECONDS]
                           [--auger PATH] [--kernel-features] [-v] [--failures]

A test passes only when it ran and every expectation held. Tests whose helper
programs (./testprogs/…, runtime/scripts/…) are missing, whose architecture
or kernel features differ, or that need a feature Auger lacks are skipped
with the reason; the summary counts each reason.
"""
import argparse, json, os, re, shlex, shutil, signal, subprocess, sys, tempfile, time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "..", "shared", "conformance", "bpftrace-runtime")
NOTIFY = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"
# Kernel features of these machines (DESIGN.md): no kprobes, no trampolines.
FEATURES = {"btf": True, "lookup_percpu_elem": True, "loop": True, "get_tai_ns": True, "iter": True,
            "kprobe_multi": False, "uprobe_multi": True, "kprobe_session": False, "get_func_ip": True,
            # bpf_d_path: this kernel has it (for iterators; its fentry tests run in the guests).
            "dpath": True,
            # Auger's, not the kernel's: DWARF (arguments, types, lines, separate and split debug files), libraries by short name.
            "dwarf": True, "libpath_resolv": True,
            # Not bpftrace's feature names: the probes a test uses, which these machines cannot attach.
            "kprobe": False, "fentry": False}
# What bpftrace's tests call features but is the tracer's own work, not the
# kernel's: Auger does not do these yet (a test that needs one is skipped as such).
NOT_IN_AUGER = {"dwunwind", "blazesym"}
# bpftrace's tests are written for bash (`&>/dev/null` is one redirection there, not `&` then `>`).
SHELL = "/bin/bash" if os.path.exists("/bin/bash") else None
# A probe kind, not a bitfield (`int e:9, f:15`): functions do not start with a digit.
KPROBE = re.compile(r"""(^|[\s,{}"'])(kprobe|kretprobe|k|kr):(?!\d)""")
FENTRY = re.compile(r"""(^|[\s,{}"'])(fentry|fexit|kfunc|kretfunc|f|fr):(?!\d)""")


def parse(path):
    tests, test, last, col = [], None, None, 0
    for line in open(path, encoding="utf-8", errors="replace").read().split("\n"):
        if line.startswith("#"):
            continue
        if line.startswith(" ") and last and col and line[:col].strip() == "":
            test[last][-1] += "\n" + line[col:]
            continue
        if not line.strip():
            last = None
            continue
        key, _, value = line.partition(" ")
        if key == "NAME":
            test = {"NAME": [value], "file": os.path.basename(path), "order": []}
            tests.append(test)
        elif test is not None:
            test.setdefault(key, []).append(value)
            test["order"].append(key)
        last, col = key, len(key) + 1
    return tests


def skip_reason(t):
    text = " ".join(" ".join(t.get(k, [])) for k in ("PROG", "RUN", "BEFORE", "AFTER", "SETUP"))
    # This machine: x86_64, little-endian ("le").
    for arch in t.get("ARCH", []):
        allowed = arch.lstrip("!").split("|")
        if arch.startswith("!"):
            if "x86_64" in allowed or "le" in allowed:
                return "architecture"
        elif "x86_64" not in allowed and "le" not in allowed:
            return "architecture"
    for feature in t.get("REQUIRES_FEATURE", []):
        want = not feature.startswith("!")
        if feature.lstrip("!") in NOT_IN_AUGER:
            if want:
                return "not implemented in Auger: " + feature
            continue
        if FEATURES.get(feature.lstrip("!"), False) != want:
            return "kernel facility missing: " + feature.lstrip("!")
    probes = probe_text(t)
    for name, kind in (("kprobe", KPROBE), ("fentry", FENTRY)):
        if kind.search(probes) and not FEATURES[name] and "WILL_FAIL" not in t:
            return f"kernel facility missing: {name} (tested in the qemu guests)"
    # A helper named in a wildcard (`./testprogs/uprobe*`) is a pattern, not a program.
    for helper in re.findall(r"(\./testprogs/[\w.-]+|\./testlibs/[\w.-]+|runtime/scripts/[\w.-]+)(?![\w.*?-])", text):
        if not os.path.exists(os.path.join(DATA, helper)):
            return "helper program missing"
    if "NEW_PIDNS" in t:
        return "pid namespaces not supported by the runner"
    for env in t.get("SKIP_IF_ENV_HAS", []):
        k, _, v = env.partition("=")
        if os.environ.get(k) == v:
            return "environment"
    for req in t.get("REQUIRES", []):
        if subprocess.run(req, shell=True, cwd=DATA, capture_output=True).returncode != 0:
            return "requirement not met"
    for key in ("MIN_KERNEL", "MAX_KERNEL"):
        for v in t.get(key, []):
            have = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2])
            want = tuple(int(x) for x in re.findall(r"\d+", v)[:2])
            if (key == "MIN_KERNEL" and have < want) or (key == "MAX_KERNEL" and have > want):
                return "kernel version"
    return None


def detect_features(auger):
    """For other kernels (the qemu guests): what `auger --info` found there."""
    info = subprocess.run([auger, "--info"], capture_output=True, text=True).stdout
    have = lambda name: re.search(rf"^\s*{name}: yes", info, re.M) is not None
    FEATURES["kprobe_multi"] = have("kprobe_multi")
    FEATURES["kprobe_session"] = have("kprobe_session")
    FEATURES["kprobe"] = have("kprobe")
    FEATURES["fentry"] = have("fentry")
    # bpf_get_func_ip came with trampolines' kernels (5.15): Auger uses it for fentry and kretprobes.
    FEATURES["get_func_ip"] = have("fentry") or have("kprobe")


def probe_text(t):
    """What a test runs: its PROG and RUN lines, and the script files they name."""
    text = " ".join(t.get("PROG", []) + t.get("RUN", []))
    for script in re.findall(r"runtime/scripts/[\w.-]+", text):
        path = os.path.join(DATA, script)
        if os.path.exists(path):
            text += " " + open(path, encoding="utf-8", errors="replace").read()
    return text


def stage_helpers():
    """The tests run helper programs (./testprogs/syscall, ./testprogs/true)
    that the data does not include. Ours are built from conformance-helpers/
    into a copy of the data, so the data itself stays as it came."""
    global DATA
    sources = os.path.join(HERE, "conformance-helpers")
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc or not os.path.isdir(sources):
        print("conformance: no C compiler; tests that need helper programs are skipped")
        return
    staged = os.path.join(tempfile.mkdtemp(prefix="auger-conformance-data-"), "runtime")
    shutil.copytree(DATA, staged, symlinks=True)
    # Libraries first (others link against them), then programs.
    for name in sorted(os.listdir(sources), key=lambda n: (not n.startswith("lib"), n)):
        if name.endswith(".rs"):
            build_rust(sources, name, staged)
            continue
        if not name.endswith(".c"):
            continue
        source = os.path.join(sources, name)
        for out, flags in helper_builds(source, name):
            flags = [f.replace("{staged}", staged) for f in flags]
            target = os.path.join(staged, out)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            # The USDT helpers share the workload's marker macros (auger_sdt.h).
            include = os.path.join(ROOT, "Tests", "WorkloadProbe", "include")
            # Compiled where the source is, by its bare name: DWARF then names
            # it `uprobe_loop.c`, as bpftrace's tests expect in stacks.
            # The source before the flags: libraries named there link after what uses them.
            if subprocess.run([cc, name, *flags, "-I", include, "-o", target], cwd=sources, capture_output=True).returncode != 0:
                print(f"conformance: could not build helper {out}")
            elif out.endswith(".so"):
                os.chmod(target, 0o644)  # the tests want libraries that are not executable
        # `// then: CMD` lines make variants of what was built (stripped copies, debug packages).
        with open(source) as f:
            for cmd in re.findall(r"^// then: (.*)$", f.read(), re.M):
                if subprocess.run(cmd, shell=True, cwd=staged, capture_output=True).returncode != 0:
                    print(f"conformance: helper step failed: {cmd}")
    # runtime/scripts/NAME.bt: the scripts the tests run, ours, written from what they expect.
    scripts = os.path.join(sources, "scripts")
    if os.path.isdir(scripts):
        shutil.copytree(scripts, os.path.join(staged, "runtime", "scripts"), dirs_exist_ok=True)
    DATA = staged


def build_rust(sources, name, staged):
    """A Rust helper (hello_rust), where rustc is installed; else its tests are skipped as missing."""
    rustc = shutil.which("rustc") or next((p for p in [os.path.expanduser("~/.cargo/bin/rustc"), "/root/.cargo/bin/rustc"] if os.path.exists(p)), None)
    if not rustc:
        return
    target = os.path.join(staged, "testprogs", name[:-3])
    if subprocess.run([rustc, "-C", "opt-level=0", "-o", target, name], cwd=sources, capture_output=True).returncode != 0:
        print(f"conformance: could not build helper testprogs/{name[:-3]}")


def helper_builds(source, name):
    """A helper's `// build testprogs/NAME: FLAGS` lines: what to build from
    it, with which compiler flags (several variants of one source, PIE or
    not, libraries); without any, testprogs/NAME with -O2."""
    with open(source) as f:
        builds = re.findall(r"^// build (\S+): (.*)$", f.read(), re.M)
    return [(out, flags.split()) for out, flags in builds] or [(f"testprogs/{name[:-2]}", ["-O2"])]


def run_test(t, auger, cap):
    json_mode = t["order"] and [k for k in t["order"] if k.startswith("EXPECT")][:1] == ["EXPECT_JSON"]
    env = dict(os.environ, **{NOTIFY: "1"})
    for e in t.get("ENV", []):
        for pair in shlex.split(e):
            k, _, v = pair.partition("=")
            env[k] = v
    for cmd in t.get("SETUP", []):
        subprocess.run(cmd, shell=True, executable=SHELL, cwd=DATA, env=env, capture_output=True, timeout=30)
    before, before_pids = [], []
    for cmd in t.get("BEFORE", []):
        before.append(subprocess.Popen(cmd, shell=True, executable=SHELL, cwd=DATA, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        name = os.path.basename(cmd.split()[-1])[:15]
        for _ in range(100):
            found = subprocess.run(["pgrep", "-n", "-x", name], capture_output=True, text=True)
            if found.returncode == 0:
                # {{BEFORE_PID}} is the helper's own pid, not the shell's that started it.
                before_pids.append(int(found.stdout.split()[0]))
                break
            time.sleep(0.05)
    if "PROG" in t:
        argv = [auger] + (["-q", "-f", "json"] if json_mode else []) + ["-e", t["PROG"][0]]
        proc = subprocess.Popen(argv, cwd=DATA, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    else:
        cmd = t["RUN"][0].replace("{{BPFTRACE}}", shlex.quote(auger))
        if before:
            cmd = cmd.replace("{{BEFORE_PID}}", str(before_pids[0] if before_pids else before[0].pid))
        proc = subprocess.Popen(cmd, shell=True, executable=SHELL, cwd=DATA, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    timeout = min(float(t.get("TIMEOUT", ["5"])[0]), cap)
    os.set_blocking(proc.stdout.fileno(), False)
    output, attached_at, after = b"", None, []
    deadline = time.time() + timeout + 3
    while True:
        chunk = proc.stdout.read() or b""
        output += chunk
        if attached_at is None and NOTIFY.encode() in output:
            attached_at = time.time()
            deadline = attached_at + timeout
            for cmd in t.get("AFTER", []):
                after.append(subprocess.Popen(cmd, shell=True, executable=SHELL, cwd=DATA, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if proc.poll() is not None:
            output += proc.stdout.read() or b""
            break
        if time.time() > deadline:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            time.sleep(0.05)
            output += proc.stdout.read() or b""
            break
        time.sleep(0.02)
    for p in before + after:
        if p.poll() is None:
            p.kill()
        p.wait()
    for cmd in t.get("CLEANUP", []):
        subprocess.run(cmd, shell=True, executable=SHELL, cwd=DATA, env=env, capture_output=True, timeout=30)
    status = proc.returncode
    # A command without auger in it (the runner's own selftests) may ignore
    # SIGTERM; killing it at its timeout is what the test expects. auger must
    # always stop on SIGTERM, so for it a kill stays a failure.
    if status == -signal.SIGKILL and "RUN" in t and "{{BPFTRACE}}" not in t["RUN"][0]:
        status = -signal.SIGTERM
    return check(t, output.decode(errors="replace"), status)


def data_path(name):
    """Test files name expected outputs as runtime/outputs/NAME; the data keeps outputs/NAME."""
    name = name.strip()
    if name.startswith("runtime/"):
        name = name[len("runtime/"):]
    return os.path.join(DATA, name)


def check(t, out, status):
    """Returns None when every expectation holds, else why not."""
    if "WILL_FAIL" in t:
        if status == 0:
            return "expected a non-zero exit status"
    elif "RETURN_CODE" in t:
        if status != int(t["RETURN_CODE"][0]):
            return f"exit status {status}, expected {t['RETURN_CODE'][0]}"
    elif status not in (0, -signal.SIGTERM, 128 + signal.SIGTERM) and status is not None:
        return f"exit status {status}"
    lines = [l.strip() for l in out.split("\n")]
    after_notify = out.split(NOTIFY, 1)[1] if NOTIFY in out else out

    def has_lines(e):
        # An expectation of several lines matches that many consecutive lines.
        want = [l.strip() for l in e.strip().split("\n")]
        return any(lines[i:i + len(want)] == want for i in range(len(lines) - len(want) + 1))

    for e in t.get("EXPECT", []):
        if not has_lines(e):
            return f"no line equals {e!r}"
    for e in t.get("EXPECT_NONE", []):
        if has_lines(e):
            return f"a line equals {e!r}"
    for e in t.get("EXPECT_REGEX", []):
        if not re.search(e, out, re.M):
            return f"no match for /{e}/"
    for e in t.get("EXPECT_REGEX_NONE", []):
        if re.search(e, out, re.M):
            return f"unexpected match for /{e}/"
    for f in t.get("EXPECT_FILE", []):
        want = open(data_path(f)).read().strip() if os.path.exists(data_path(f)) else None
        if want is None:
            return "expected-output file missing"
        if "LOCALIZE_TIMESTAMPS" in t:
            # The files write %H for the hour of the epoch in local time.
            want = want.replace("%H", time.strftime("%H", time.localtime(0)))
        if after_notify.strip() != want:
            return f"output differs from {f}"
    for f in t.get("EXPECT_JSON", []):
        path = data_path(f)
        if not os.path.exists(path):
            return "expected-output file missing"
        try:
            if path.endswith(".ndjson"):
                got = [json.loads(l) for l in after_notify.strip().split("\n") if l.strip()]
                want = [json.loads(l) for l in open(path).read().strip().split("\n") if l.strip()]
            else:
                got, want = json.loads(after_notify.strip()), json.load(open(path))
        except ValueError as e:
            return f"output is not JSON: {e}"
        if got != want:
            return f"JSON differs from {f}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--filter", help="run only tests whose FILE:NAME matches this regex")
    ap.add_argument("--cap", type=float, default=5, help="longest a test may run after attaching, in seconds")
    ap.add_argument("--budget", type=float, default=0, help="stop starting tests after this many seconds (0: no limit)")
    ap.add_argument("--auger", default=os.path.join(ROOT, ".build", "debug", "auger"))
    ap.add_argument("-v", "--verbose", action="store_true", help="print every test's result")
    ap.add_argument("--failures", action="store_true", help="summarize why tests failed")
    ap.add_argument("--uses", help="run only tests whose PROG, RUN or script file matches this regex (e.g. their probe kinds)")
    ap.add_argument("--kernel-features", action="store_true",
                    help="take kprobe_multi, get_func_ip, … from `auger --info` instead of this machine's known facts")
    args = ap.parse_args()
    if not os.path.isdir(DATA):
        print(f"conformance data not found at {DATA}")
        return 0
    if args.kernel_features:
        detect_features(args.auger)
    stage_helpers()
    tests = []
    for name in sorted(os.listdir(DATA)):
        path = os.path.join(DATA, name)
        if os.path.isfile(path) and name != "LICENSE":
            tests += parse(path)
    if args.filter:
        tests = [t for t in tests if re.search(args.filter, f"{t['file']}:{t['NAME'][0]}")]
    if args.uses:
        tests = [t for t in tests if re.search(args.uses, probe_text(t))]
    # Run a copy, so the binary can be rebuilt while the suite runs. The suite
    # expects the tracer's process to be called bpftrace (comm, pidof, pkill).
    auger = os.path.join(tempfile.mkdtemp(prefix="auger-conformance-"), "bpftrace")
    shutil.copy2(os.path.abspath(args.auger), auger)
    passed, failed, skipped, failures = 0, 0, Counter(), []
    start = time.time()
    for t in tests:
        label = f"{t['file']}:{t['NAME'][0]}"
        reason = skip_reason(t)
        if reason is None and args.budget and time.time() - start > args.budget:
            reason = "time budget spent"
        if reason:
            skipped[reason] += 1
            if args.verbose:
                print(f"SKIP {label} ({reason})")
            continue
        try:
            why = run_test(t, auger, args.cap)
        except (OSError, subprocess.SubprocessError) as e:
            why = f"runner error: {e}"
        if why is None:
            passed += 1
            if args.verbose:
                print(f"PASS {label}")
        else:
            failed += 1
            failures.append((label, why))
            if args.verbose:
                print(f"FAIL {label}: {why}")
    total_skipped = sum(skipped.values())
    # Worded so CI's log readers do not take it for the test suite's result.
    print(f"\nconformance report: {passed} of {passed + failed} tests run pass "
          f"({passed * 100 // max(1, passed + failed)}%); {failed} fail; {total_skipped} skipped; {time.time() - start:.0f} s")
    for reason, n in skipped.most_common():
        print(f"  skipped, {reason}: {n}")
    if args.failures:
        reasons = Counter(re.sub(r"'.*", "", why) for _, why in failures)
        print("failures by kind:")
        for why, n in reasons.most_common(15):
            print(f"  {n:4d}  {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
