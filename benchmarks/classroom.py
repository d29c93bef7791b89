"""A class on one machine: N students at once, each running lab 01 then lab 03 with papermill in its own kernel.

Prints whether every lab passed, the class's wall time, and per student the peak memory and the CPU time of the
kernel's process tree (the kernel, the forkserver, the execution environments and the local AWS's moto server),
sampled from /proc. Usage: python benchmarks/classroom.py [--students N] [--interval SECONDS]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

LABS = Path(__file__).resolve().parent.parent / "labs"
STUDENT_LABS = ["01-first-function.ipynb", "03-execution-environment.ipynb"]
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Student:
    """One student's papermill runs and what their kernels' process trees used."""

    number: int
    papermill: subprocess.Popen | None = None
    running: bool = False
    passed: list[bool] = field(default_factory=list)
    self_checks: list[bool] = field(default_factory=list)  # each lab's self-check said "Correct!"
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    peak_processes: int = 0
    papermill_rss_mb: float = 0.0
    cpu: dict[int, float] = field(default_factory=dict)  # pid in a kernel's tree -> its CPU seconds, latest seen

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


def processes() -> dict[int, tuple[int, float, float]]:
    """pid -> (parent pid, resident MB, CPU seconds) of every process readable now."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended between listdir and open
        # fields[0] is the state (field 3 of stat): ppid is field 4, utime 14, stime 15, rss 24
        table[int(entry)] = (int(fields[1]), int(fields[21]) * PAGE_MB, (int(fields[11]) + int(fields[12])) / TICKS)
    return table


def proportional_mb(pid: int) -> float:
    """Proportional set size: shared pages (the forkserver's, with its environments) counted once in total."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass  # ended, or not ours to read
    return 0.0


def descendants(root: int, table: dict[int, tuple[int, float, float]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def sample(students: list[Student], stop: threading.Event, interval: float, class_peak: list[float]) -> None:
    while not stop.wait(interval):
        table, total = processes(), 0.0
        for student in students:
            if not student.running:
                continue
            tree = descendants(student.papermill.pid, table)
            rss = sum(table[pid][1] for pid in tree)
            pss = sum(proportional_mb(pid) for pid in tree)
            student.peak_rss_mb = max(student.peak_rss_mb, rss)
            student.peak_pss_mb = max(student.peak_pss_mb, pss)
            student.peak_processes = max(student.peak_processes, len(tree))
            student.papermill_rss_mb = max(student.papermill_rss_mb, table.get(student.papermill.pid, (0, 0.0))[1])
            for pid in tree:
                student.cpu[pid] = table[pid][2]
            total += pss
        class_peak[0] = max(class_peak[0], total)


def attend(student: Student, out: Path, env: dict[str, str]) -> None:
    """One student runs the labs in order, each in a new kernel, as a class does."""
    start = time.perf_counter()
    for lab in STUDENT_LABS:
        executed = out / f"student{student.number}-{lab}"
        student.papermill = subprocess.Popen(
            [sys.executable, "-m", "papermill", str(LABS / lab), str(executed), "--cwd", str(LABS),
             "-k", "python3", "--no-progress-bar", "--log-level", "ERROR"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        student.running = True
        status = student.papermill.wait()
        student.running = False
        text = executed.read_text() if executed.exists() else ""
        student.passed.append(status == 0 and '"output_type": "error"' not in text)
        student.self_checks.append("Correct!" in text)
    student.seconds = time.perf_counter() - start


def machine_busy_seconds() -> float:
    with open("/proc/stat") as stat:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICKS


def spread(values: list[float], unit: str = "", digits: int = 0) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f} / {middle:.{digits}f} / {high:.{digits}f} {unit}".rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10, help="kernels at once (default 10)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between memory samples (default 0.5)")
    args = parser.parse_args()
    if args.students < 1:
        parser.error("--students must be at least 1.")
    if not Path("/proc/self/stat").exists():
        parser.error("this benchmark reads /proc, which only Linux has.")
    env = {key: value for key, value in os.environ.items() if key != "LAMBDANB_DETERMINISTIC"}  # real runs

    students = [Student(number) for number in range(1, args.students + 1)]
    stop, class_peak = threading.Event(), [0.0]
    sampler = threading.Thread(target=sample, args=(students, stop, args.interval, class_peak), daemon=True)
    with tempfile.TemporaryDirectory(prefix="lambdanb-classroom-") as out:
        load_before = os.getloadavg()[0]
        busy, start = machine_busy_seconds(), time.perf_counter()
        sampler.start()
        threads = [threading.Thread(target=attend, args=(student, Path(out), env)) for student in students]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        sampler.join()
        wall, busy = time.perf_counter() - start, machine_busy_seconds() - busy

    passed = sum(all(student.passed) for student in students)
    print(f"{args.students} students, each running {' then '.join(STUDENT_LABS)} in its own kernel "
          f"on {os.cpu_count()} CPUs (load average {load_before:.1f} before the start)")
    checks = sum(sum(student.self_checks) for student in students)
    print(f"all passed: {passed == len(students)} ({passed}/{len(students)} students); "
          f"self-checks that said Correct!: {checks}/{len(students) * len(STUDENT_LABS)}")
    print(f"class wall time: {wall:.0f} s; machine busy {busy:.0f} CPU-s = {busy / wall:.2f} cores on average "
          f"(everything on the machine)")
    print(f"peak memory of the whole class at one time (proportional): {class_peak[0]:.0f} MB")
    print()
    print("| per student (min / median / max) | |")
    print("| --- | --- |")
    print(f"| wall time of both labs | {spread([s.seconds for s in students], 's')} |")
    rss = spread([s.peak_rss_mb for s in students], "MB")
    print(f"| peak resident memory of the kernel's tree (RSS sum) | {rss} |")
    print(f"| peak proportional memory of the tree (PSS sum) | {spread([s.peak_pss_mb for s in students], 'MB')} |")
    print(f"| processes in the tree at most | {spread([s.peak_processes for s in students])} |")
    print(f"| CPU time of the kernels' trees (sampled: a process's last interval is missed) | "
          f"{spread([s.cpu_seconds for s in students], 's', digits=1)} |")
    print(f"| papermill itself (stands in for the Jupyter server) | "
          f"{spread([s.papermill_rss_mb for s in students], 'MB')} |")
    if passed != len(students):
        sys.exit(1)


if __name__ == "__main__":
    main()
