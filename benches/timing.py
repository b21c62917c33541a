#!/usr/bin/env python3
"""Alternating wall-clock timer and result table for benches/compare.sh.

  timing.py run --results FILE --group G --runs N --warmup W \
      --case 'LABEL' 'PREPARE' 'COMMAND' [--case ...]
  timing.py table --results FILE --row 'TITLE|GOLDPATH LABEL|PEER LABEL|TARGET RATIO|MAX MS' ...
                  [--skip 'TITLE|REASON'] ...

`run` times the cases of a group in alternation (round i runs every case once, in an order that
rotates each round), so load from other processes on the machine hits every tool alike. With
`--out-dirs D1,D2,...` (one per case), `{OUT}` in a case's PREPARE and COMMAND is a folder that
rotates among the cases too: in round i case k writes to D[(k + i) % n]. On ext4 the time to
create files depends on the folder they go in (the inode allocator skips inodes deleted in the
last seconds in that folder's block group, see benches/README.md): at 23 files, in one run, the
same binary's `new --no-commit` took 10.9 ms of CPU in its folder and `new` (more work) 5.7 ms
in another. Rotating gives every tool every folder alike. Before
each timed command its PREPARE shell snippet runs, untimed (e.g. delete the output folder, or
`git reset --hard` the project to upgrade). COMMAND is split with shlex and executed directly,
no shell, its output discarded; wall time and the child's CPU time (user + sys, from wait4) are
recorded. The exit code of the first warm-up run is the expected one (0, or 1: a `check` exits 1
to say "outdated", an upgrade to say "conflicts left"); any other code, or a later run exiting differently aborts that case, with its stderr shown, so a
broken command never produces a number.

`table` prints one line per comparison: medians, min, ratio of medians (peer / goldpath) and
PASS/FAIL against the target ratio (and the absolute limit in ms, when given). The ratio of the
median CPU times is shown too: it is steadier than wall time when other processes compete for
the cores.
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


def run_once(prepare, argv):
    if prepare:
        subprocess.run(["bash", "-c", prepare], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open("/tmp/.goldpath-bench-stderr-%d" % os.getpid(), "w+b") as err:
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter_ns()
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode(errors="replace")
    cpu_ns = int((ru.ru_utime + ru.ru_stime) * 1e9)
    return t1 - t0, cpu_ns, p.returncode, tail


def cmd_run(a):
    dirs = a.out_dirs.split(",") if a.out_dirs else []
    if dirs and len(dirs) != len(a.case):
        sys.exit(f"--out-dirs gives {len(dirs)} folders for {len(a.case)} cases")
    cases = [(label, prep, cmd) for label, prep, cmd in a.case]
    expected = {}
    dead = {}
    samples = {label: [] for label, _, _ in cases}
    labels = [label for label, _, _ in cases]
    total = a.warmup + a.runs
    print(f"  [{a.group}] {len(cases)} case(s), {a.warmup} warm-up + {a.runs} timed runs each, alternating",
          flush=True)
    for i in range(total):
        k = i % len(cases)
        for label, prep, cmd in cases[k:] + cases[:k]:
            if label in dead:
                continue
            if dirs:
                out = dirs[(labels.index(label) + i) % len(dirs)]
                prep, cmd = prep.replace("{OUT}", out), cmd.replace("{OUT}", out)
            try:
                wall, cpu, rc, tail = run_once(prep, shlex.split(cmd))
            except (subprocess.CalledProcessError, OSError) as e:
                dead[label] = f"prepare/exec failed: {e}"
                continue
            if label not in expected:
                expected[label] = rc
                if rc not in (0, 1):
                    dead[label] = f"exit code {rc}: {tail.strip()}"
                    continue
            elif rc != expected[label]:
                dead[label] = f"exit code {rc} (first run gave {expected[label]}): {tail.strip()}"
                continue
            if i >= a.warmup:
                samples[label].append((wall, cpu, rc))
    with open(a.results, "a") as f:
        for label, _, argv in cases:
            if label in dead:
                print(f"  !! {label}: {dead[label]}", file=sys.stderr)
                f.write(f"{a.group}\t{label}\tERROR\t{dead[label].splitlines()[0] if dead[label] else ''}\n")
                continue
            for wall, cpu, rc in samples[label]:
                f.write(f"{a.group}\t{label}\t{wall}\t{cpu}\t{rc}\n")
            walls = [s[0] / 1e6 for s in samples[label]]
            print(f"  {label:<44} median {statistics.median(walls):9.1f} ms  "
                  f"min {min(walls):9.1f} ms  (exit {expected[label]})", flush=True)


def load(path):
    data, errors = {}, {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            label = parts[1]
            if parts[2] == "ERROR":
                errors[label] = parts[3] if len(parts) > 3 else "failed"
                continue
            data.setdefault(label, []).append((int(parts[2]) / 1e6, int(parts[3]) / 1e6))
    return data, errors


def ms(x):
    return f"{x:,.1f} ms" if x < 10000 else f"{x / 1000:,.2f} s"


def cmd_table(a):
    data, errors = load(a.results)
    rows = []
    head = ("comparison", "goldpath median", "peer", "peer median", "ratio", "cpu ratio", "target", "result")
    for spec in a.row:
        title, gp, peer, target, max_ms = (spec.split("|") + [""] * 5)[:5]
        target = float(target) if target else None
        max_ms = float(max_ms) if max_ms else None
        if gp not in data or peer not in data:
            why = errors.get(gp) or errors.get(peer) or "not measured"
            rows.append((title, "-", peer.split(" ")[0], "-", "-", "-", fmt_target(target, max_ms), f"ERROR: {why}"))
            continue
        g = statistics.median(w for w, _ in data[gp])
        p = statistics.median(w for w, _ in data[peer])
        gc = statistics.median(c for _, c in data[gp])
        pc = statistics.median(c for _, c in data[peer])
        ratio = p / g
        ok = (target is None or ratio >= target) and (max_ms is None or g <= max_ms)
        verdict = "info" if target is None and max_ms is None else ("PASS" if ok else "FAIL")
        rows.append((title, ms(g), peer.split(" ")[0], ms(p), f"{ratio:,.1f}x",
                     f"{pc / gc:,.1f}x" if gc > 0 else "-", fmt_target(target, max_ms), verdict))
    for spec in a.skip:
        title, why = spec.split("|", 1)
        rows.append((title, "-", "-", "-", "-", "-", "", f"SKIPPED: {why}"))
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(head))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip())
    n = {label: len(v) for label, v in data.items()}
    print(f"\nruns per command: " + ", ".join(f"{k}={v}" for k, v in n.items()))


def fmt_target(target, max_ms):
    parts = []
    if target:
        parts.append(f">= {target:g}x")
    if max_ms:
        parts.append(f"<= {max_ms:g} ms")
    return ", ".join(parts) or "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run")
    r.add_argument("--results", required=True)
    r.add_argument("--group", required=True)
    r.add_argument("--runs", type=int, default=10)
    r.add_argument("--warmup", type=int, default=2)
    r.add_argument("--case", nargs=3, action="append", required=True, metavar=("LABEL", "PREPARE", "COMMAND"))
    r.add_argument("--out-dirs", default="", help="comma-separated folders, one per case, rotated as {OUT}")
    t = sub.add_parser("table")
    t.add_argument("--results", required=True)
    t.add_argument("--row", action="append", default=[])
    t.add_argument("--skip", action="append", default=[])
    a = ap.parse_args()
    if a.what == "run" and a.warmup < 1:
        a.warmup = 1  # the first run sets the expected exit code and is never counted
    {"run": cmd_run, "table": cmd_table}[a.what](a)


if __name__ == "__main__":
    main()
