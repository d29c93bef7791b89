"""The machine's floor, measured honestly: a raw pipe round trip and a bare fork+join, several times in the same
run; the lowest p50 is the floor every ratio divides by, and the spread says how noisy the machine was."""
from __future__ import annotations

import os
import statistics
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

# Python 3.12 warns of fork() in a threaded process; these children only exit.
warnings.filterwarnings("ignore", message=r"This process .* is multi-threaded", category=DeprecationWarning)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def pipe_round_trip(n: int, cores: tuple[int, ...] = ()) -> list[float]:
    """One byte there and back between two processes over os.pipe: the least an invoke can cost. `cores` holds
    this process on the first core given and the other process on the last: on an idle machine, waking a process
    on a sleeping core costs tens of microseconds, and one core measures the round trip without that, so that an
    idle machine's floor flatters nothing."""
    allowed = os.sched_getaffinity(0)
    to_child, from_parent = os.pipe()
    to_parent, from_child = os.pipe()
    pid = os.fork()
    if pid == 0:
        if cores:
            os.sched_setaffinity(0, {cores[-1]})
        for _ in range(n + 100):
            os.write(from_child, os.read(to_child, 1))
        os._exit(0)
    if cores:
        os.sched_setaffinity(0, {cores[0]})
    samples = []
    for i in range(n + 100):
        started = time.perf_counter()
        os.write(from_parent, b"x")
        os.read(to_parent, 1)
        if i >= 100:
            samples.append(time.perf_counter() - started)
    os.waitpid(pid, 0)
    for fd in (to_child, from_parent, to_parent, from_child):
        os.close(fd)
    os.sched_setaffinity(0, allowed)
    return samples


def fork_join(n: int) -> list[float]:
    """A bare os.fork() of this process and the wait for its exit: the least a new environment can cost."""
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        samples.append(time.perf_counter() - started)
    return samples


def at_once(action: Callable[[], object], width: int = 20) -> list[float]:
    """How long `action` takes in each of `width` threads released at the same moment."""
    samples: list[float] = []
    start = threading.Barrier(width)

    def one() -> None:
        start.wait()
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)  # list.append holds the interpreter lock

    threads = [threading.Thread(target=one) for _ in range(width)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def fork_join_burst(width: int = 20) -> list[float]:
    """`width` fork+joins at the same moment: a burst of new processes competing for the same cores, the least a
    burst of new environments can cost."""
    def fork_and_join() -> None:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    return at_once(fork_and_join, width)


@dataclass
class Floor:
    """The lowest p50 of several measurements of each floor, and the range of their p50s. Besides the floor every
    goal divides by, the same measured where an invoke or a burst runs: a pipe round trip across two cores, and a
    burst of 20 fork+joins at once."""

    pipe_s: float
    pipe_spread: tuple[float, float]
    fork_s: float
    fork_spread: tuple[float, float]
    pipe_across_s: float | None  # None on a machine of one core
    burst_fork_s: float

    @classmethod
    def measure(cls, repeats: int = 5, pipe_samples: int = 5000, forks: int = 200) -> Floor:
        cores = sorted(os.sched_getaffinity(0))
        one_core, two_cores = (cores[0],), (cores[0], cores[-1])
        pipes, across, forks_, bursts = [], [], [], []
        for _ in range(repeats):  # interleaved, so that a noisy moment touches all alike
            pipes.append(statistics.median(pipe_round_trip(pipe_samples, one_core)))
            if len(cores) > 1:
                across.append(statistics.median(pipe_round_trip(pipe_samples, two_cores)))
            forks_.append(statistics.median(fork_join(forks)))
            bursts.append(statistics.median([s for _ in range(5) for s in fork_join_burst()]))
        everything = pipes + across
        return cls(min(everything), (min(everything), max(everything)), min(forks_), (min(forks_), max(forks_)),
                   min(across) if across else None, min(bursts))

    def describe(self) -> str:
        us = 1e6
        pipe_low, pipe_high = self.pipe_spread
        across = f"; across two cores {self.pipe_across_s * us:.1f} us" if self.pipe_across_s else ""
        return (f"pipe round trip p50 {self.pipe_s * us:.1f} us (runs, half on one core: {pipe_low * us:.1f}-"
                f"{pipe_high * us:.1f} us{across}), fork+join p50 {self.fork_s * us:.0f} us "
                f"({self.fork_spread[0] * us:.0f}-{self.fork_spread[1] * us:.0f} us; 20 at once "
                f"{self.burst_fork_s * us:.0f} us)")
