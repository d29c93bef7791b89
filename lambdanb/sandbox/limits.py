"""Limits of an execution environment: rlimits set inside it, memory watched and processes killed from outside."""
from __future__ import annotations

import ctypes
import os
import resource
import signal
import threading
from collections.abc import Callable
from typing import Any

MB = 1024 * 1024
# Lambda's quota of 1,024 file descriptors.
OPEN_FILES = 1024
# Headroom of address space above the configured memory, so that thread stacks and malloc arenas
# (virtual, never touched) do not fail; the watchdog enforces the real limit on resident memory.
ADDRESS_SPACE_HEADROOM = 2048 * MB
PR_SET_CHILD_SUBREAPER = 36
libc: Any  # the C library, or None where there is none
try:
    libc = ctypes.CDLL(None, use_errno=True)  # loaded once in the template, inherited by every environment
except OSError:
    libc = None


def apply_inside(memory_mb: int, storage_mb: int) -> None:
    """Called by the environment on itself before INIT: soft and hard limits alike, so the function cannot
    raise them again (where it has no privilege over the machine: see seal)."""
    address_space = _virtual_size() + memory_mb * MB + ADDRESS_SPACE_HEADROOM
    for limit, value in ((resource.RLIMIT_AS, address_space),
                         (resource.RLIMIT_FSIZE, storage_mb * MB),
                         (resource.RLIMIT_NOFILE, OPEN_FILES),
                         (resource.RLIMIT_CORE, 0)):
        _lower(limit, value)


def _lower(limit: int, value: int) -> None:
    hard = resource.getrlimit(limit)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    try:
        resource.setrlimit(limit, (value, value))
    except (ValueError, OSError):
        pass


def _virtual_size() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return 0


def peak_memory_mb() -> int:
    """Peak resident memory of the calling process (VmHWM), in MB, as the REPORT line shows it."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return -(-kilobytes // 1024)


def descendants(pid: int) -> list[int]:
    """All processes below pid, found through /proc's children lists (Linux)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as children:
                    kids = [int(k) for k in children.read().split()]
            except OSError:
                continue
            found.extend(kids)
            pending.extend(kids)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL an environment, its process group and every process below it."""
    for _ in range(3):  # a process may fork while we look; look again
        below = descendants(pid)
        for target in [pid, *below]:
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        if not below:
            break


def resident_mb(pid: int, members: Callable[[], list[int]] | None = None) -> float:
    """Resident memory of a process and everything below it (or of the members listed), in MB."""
    total_pages = 0
    try:
        targets = members() if members is not None else [pid, *descendants(pid)]
    except (OSError, ValueError):  # the environment's group is gone: it was closed meanwhile
        return 0.0
    for target in targets:
        try:
            with open(f"/proc/{target}/statm") as statm:
                total_pages += int(statm.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total_pages * resource.getpagesize() / MB


class MemoryWatchdog:
    """One thread that kills any watched environment whose resident memory passes its limit."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self._watched: dict[int, tuple[int, Callable[[], None], Callable[[], list[int]] | None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pid: int, limit_mb: int, on_exceeded: Callable[[], None],
              members: Callable[[], list[int]] | None = None) -> None:
        """Watch pid and its descendants, or the processes that `members` lists (an environment's group)."""
        with self._lock:
            self._watched[pid] = (limit_mb, on_exceeded, members)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lambdanb-memory-watchdog", daemon=True)
                self._thread.start()

    def unwatch(self, pid: int) -> None:
        with self._lock:
            self._watched.pop(pid, None)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            with self._lock:
                watched = list(self._watched.items())
            for pid, (limit_mb, on_exceeded, members) in watched:
                if resident_mb(pid, members) > limit_mb:
                    self.unwatch(pid)
                    on_exceeded()

