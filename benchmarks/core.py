"""Core benchmark: the invoke hot path, cold starts and the first result in a fresh kernel, as ratios against this
machine's floor (benchmarks/floor.py). Run it alone with `python benchmarks/core.py`, or all with run.py."""
from __future__ import annotations

import statistics
import subprocess
import sys
import textwrap
import time

from floor import Floor, at_once, percentile
from table import Row, machine, print_table

NOOP = "def lambda_handler(event, context):\n    return None\n"
US = 1e6
MS = 1e3


def warm_invokes(n: int) -> list[float]:
    """A no-op handler through the public API, lambdanb.invoke, as a notebook calls it."""
    import lambdanb
    lambdanb.configure()
    lambdanb.create_function("noop", NOOP)
    for _ in range(200):
        lambdanb.invoke("noop")
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        lambdanb.invoke("noop")
        samples.append(time.perf_counter() - started)
    lambdanb.delete_function("noop")
    return samples


ONE_CORE = textwrap.dedent("""
    import os, statistics, sys
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # before the template starts: its processes inherit it
    sys.path.insert(0, os.path.dirname(sys.argv[1]))
    from core import warm_invokes
    print(statistics.median(warm_invokes(int(sys.argv[2]))))
""")


def warm_invokes_on_one_core(n: int) -> float:
    """The warm invoke's p50 with the kernel and every environment held on one core, as the one-core floor is."""
    out = subprocess.run([sys.executable, "-c", ONE_CORE, __file__, str(n)], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.split()[-1])


def cold_starts(n: int) -> tuple[list[float], list[float], list[float]]:
    """Each round deploys a new revision, so the next invoke needs a new environment and INIT; a person's pause
    between cells lets the spare process get ready. Returns the totals, INIT (measured inside) and the first
    invoke's duration."""
    import lambdanb
    lambdanb.create_function("cold", NOOP)
    lambdanb.invoke("cold")
    totals, inits, durations = [], [], []
    for i in range(n):
        lambdanb.update_function("cold", NOOP + f"# revision {i}\n")
        time.sleep(0.05)
        started = time.perf_counter()
        result = lambdanb.invoke("cold")
        totals.append(time.perf_counter() - started)
        inits.append((result.init_duration_ms or 0) / MS)
        durations.append((result.duration_ms or 0) / MS)
    return totals, inits, durations


def burst_cold_starts(rounds: int, width: int = 20) -> list[float]:
    """`width` invokes at once of a fresh revision: `width` new environments started together."""
    import lambdanb
    samples: list[float] = []
    for i in range(rounds):
        lambdanb.update_function("cold", NOOP + f"# burst {i}\n")
        time.sleep(0.2)
        samples += at_once(lambda: lambdanb.invoke("cold"), width)
    return samples


def process_creation(n: int) -> list[float]:
    """A blank environment process from the template, in its control group (what a cold start pays when no spare
    is ready)."""
    from lambdanb.sandbox import template
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        blank = template.new_process()
        samples.append(time.perf_counter() - started)
        blank.discard()
    return samples


FRESH_KERNEL = textwrap.dedent("""
    import time
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    started = time.perf_counter()
    shell.run_cell("%load_ext lambdanb")
    loaded = time.perf_counter()
    shell.run_cell("%%lambda first\\ndef lambda_handler(event, context):\\n    return 1\\n")
    result = shell.run_cell("lambdanb.invoke('first').payload")
    done = time.perf_counter()
    assert result.result == 1, result
    print(loaded - started, done - started)
""")


def fresh_kernel(n: int) -> tuple[list[float], list[float]]:
    """From %load_ext lambdanb to the first invoke's result, each in a new Python process with IPython."""
    loads, firsts = [], []
    for _ in range(n):
        out = subprocess.run([sys.executable, "-c", FRESH_KERNEL], capture_output=True, text=True, check=True)
        load, first = map(float, out.stdout.split()[-2:])
        loads.append(load)
        firsts.append(first)
    return loads, firsts


def measure(floor: Floor, warm_n: int = 5000, cold_n: int = 50) -> list[Row]:
    warm = warm_invokes(warm_n)
    warm_one_core_us = warm_invokes_on_one_core(warm_n) * US
    processes = process_creation(30)
    cold, inits, durations = cold_starts(cold_n)
    burst = burst_cold_starts(max(1, cold_n // 10))
    loads, firsts = fresh_kernel(5)
    pipe_us, fork_ms = floor.pipe_s * US, floor.fork_s * MS
    warm_p50, warm_p99 = statistics.median(warm) * US, percentile(warm, 99) * US
    cold_p50, burst_p50 = statistics.median(cold) * MS, statistics.median(burst) * MS
    first_ms = statistics.median(firsts) * MS
    process_ms, init_ms = statistics.median(processes) * MS, statistics.median(inits) * MS
    duration_ms = statistics.median(durations) * MS
    across_two_cores = [Row("  the same against a pipe round trip across two cores", warm_p50, "us",
                            floor.pipe_across_s * US, "pipe, 2 cores")] if floor.pipe_across_s else []
    return [
        Row("warm invoke p50 (lambdanb.invoke, no-op)", warm_p50, "us", pipe_us, "pipe", "<= 10x",
            warm_p50 <= 10 * pipe_us),
        *across_two_cores,
        Row("  the same with everything held on one core", warm_one_core_us, "us", pipe_us, "pipe"),
        Row("warm invoke p99", warm_p99, "us", pipe_us, "pipe", "<= 30x", warm_p99 <= 30 * pipe_us),
        Row("cold start p50, spare process ready", cold_p50, "ms", fork_ms, "fork+join", "<= 5x",
            cold_p50 <= 5 * fork_ms),
        Row("cold start p50, burst of 20 new environments", burst_p50, "ms", fork_ms, "fork+join", "<= 5x",
            burst_p50 <= 5 * fork_ms),
        Row("  the same against a burst of 20 fork+joins", burst_p50, "ms", floor.burst_fork_s * MS,
            "20 fork+joins at once"),
        Row("  of which: a new process from the template", process_ms, "ms", fork_ms, "fork+join"),
        Row("  of which: INIT (import of the handler, inside)", init_ms, "ms"),
        Row("  of which: the first invoke (Duration)", duration_ms, "ms"),
        Row("  of which: setup over the pipe and bookkeeping", cold_p50 - init_ms - duration_ms, "ms"),
        Row("%load_ext lambdanb in a fresh kernel", statistics.median(loads) * MS, "ms"),
        Row(f"fresh kernel: %load_ext to the first result (median of 5: {min(firsts) * MS:.0f}-"
            f"{max(firsts) * MS:.0f} ms)", first_ms, "ms", goal="< 150 ms", met=first_ms < 150),
    ]


def main() -> None:
    floor = Floor.measure()
    print(f"machine: {machine()}; floor: {floor.describe()}")
    print_table(measure(floor))


if __name__ == "__main__":
    main()
