"""The machine's floor, measured honestly: a raw pipe round trip and a bare fork+join, several times in the same
run; the lowest p50 is the floor every ratio divides by, and the spread says how noisy the machine was."""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def pipe_round_trip(n: int, one_core: bool = False) -> list[float]:
    """One byte there and back between two processes over os.pipe: the least an invoke can cost. On an idle
    machine, waking a process on a sleeping core costs tens of microseconds; `one_core` keeps both processes on
    the same core, which measures the round trip without that, so that an idle machine's floor flatters nothing."""
    cores = os.sched_getaffinity(0)
    if one_core:
        os.sched_setaffinity(0, {min(cores)})  # the child inherits it
    to_child, from_parent = os.pipe()
    to_parent, from_child = os.pipe()
    pid = os.fork()
    if pid == 0:
        for _ in range(n + 100):
            os.write(from_child, os.read(to_child, 1))
        os._exit(0)
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
    os.sched_setaffinity(0, cores)
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


@dataclass
class Floor:
    """The lowest p50 of several measurements of each floor, and the range of their p50s."""

    pipe_s: float
    pipe_spread: tuple[float, float]
    fork_s: float
    fork_spread: tuple[float, float]

    @classmethod
    def measure(cls, repeats: int = 5, pipe_samples: int = 5000, forks: int = 200) -> Floor:
        pipes, forks_ = [], []
        for _ in range(repeats):  # interleaved, so that a noisy moment touches both alike
            pipes.append(statistics.median(pipe_round_trip(pipe_samples)))
            pipes.append(statistics.median(pipe_round_trip(pipe_samples, one_core=True)))
            forks_.append(statistics.median(fork_join(forks)))
        return cls(min(pipes), (min(pipes), max(pipes)), min(forks_), (min(forks_), max(forks_)))

    def describe(self) -> str:
        us = 1e6
        pipe_low, pipe_high = self.pipe_spread
        return (f"pipe round trip p50 {self.pipe_s * us:.1f} us (runs, half on one core: {pipe_low * us:.1f}-"
                f"{pipe_high * us:.1f} us), fork+join p50 {self.fork_s * us:.0f} us "
                f"({self.fork_spread[0] * us:.0f}-{self.fork_spread[1] * us:.0f} us)")
