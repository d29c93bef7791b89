"""One control group per execution environment (cgroup v1 freezer and pids, where the machine lets us make
them): every process an environment starts, whatever its session, is counted, frozen and killed with it."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("freezer", "pids")
PREFIX = "lambdanb-"
MAX_TASKS = 1024  # Lambda's quota: 1,024 processes and threads per execution environment
_usable: bool | None = None


def available() -> bool:
    """True when this process can make freezer and pids groups (cgroup v1, delegated to us), checked once."""
    global _usable
    if _usable is None:
        probe = f"{PREFIX}{os.getpid()}-probe"
        try:
            for controller in CONTROLLERS:
                (ROOT / controller / probe).mkdir(exist_ok=True)
                (ROOT / controller / probe).rmdir()
            _usable = True
        except OSError:
            _usable = False
    return _usable


class Group:
    """The freezer and pids groups of one environment, named after the kernel that made them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.paths = [ROOT / controller / name for controller in CONTROLLERS]
        self._freezer, self._pids = self.paths
        self._state_fd = -1
        self._procs_fd = -1
        self._count_fd = -1

    @classmethod
    def create(cls, number: int) -> Group:
        group = cls(f"{PREFIX}{os.getpid()}-{number}")
        for path in group.paths:
            path.mkdir(exist_ok=True)
        (group._pids / "pids.max").write_text(str(MAX_TASKS))
        group._open()
        return group

    def _open(self) -> None:
        self._state_fd = os.open(self._freezer / "freezer.state", os.O_WRONLY | os.O_CLOEXEC)
        self._procs_fd = os.open(self._freezer / "cgroup.procs", os.O_RDONLY | os.O_CLOEXEC)
        self._count_fd = os.open(self._pids / "pids.current", os.O_RDONLY | os.O_CLOEXEC)

    def add(self, pid: int) -> None:
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        return [int(p) for p in os.pread(self._procs_fd, 1 << 20, 0).split()]

    def tasks(self) -> int:
        """How many threads the group's processes have in all (a cheap read, unlike the list of processes)."""
        return int(os.pread(self._count_fd, 32, 0))

    def members(self) -> list[int]:
        """The same list read afresh through its path: safe from another thread, even after remove()."""
        return [int(p) for p in (self._freezer / "cgroup.procs").read_text().split()]

    def freeze(self) -> None:
        os.write(self._state_fd, b"FROZEN")

    def thaw(self) -> None:
        os.write(self._state_fd, b"THAWED")

    def kill(self, wait_s: float = 5.0) -> None:
        """Freeze everything (so nothing forks while we look), SIGKILL it, thaw so the kills land; until empty."""
        deadline = time.monotonic() + wait_s
        while True:
            self.freeze()
            living = [pid for pid in self.pids() if not _is_zombie(pid)]
            for pid in living:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.thaw()
            if not living or time.monotonic() > deadline:
                return
            time.sleep(0.001)

    def remove(self) -> None:
        """Kill what is left and delete the groups."""
        if self._state_fd < 0:
            self._open()
        self.kill()
        for fd in (self._state_fd, self._procs_fd, self._count_fd):
            os.close(fd)
        self._state_fd = self._procs_fd = self._count_fd = -1
        for path in self.paths:
            for _ in range(100):  # a killed process leaves its group a moment after it died
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def remove_all(owner_pid: int | None = None) -> None:
    """Remove the groups of one kernel, or (owner_pid None) those of every kernel that is no longer running."""
    if not available():
        return
    try:
        names = [p.name for p in (ROOT / CONTROLLERS[0]).iterdir() if p.name.startswith(PREFIX)]
    except OSError:
        return
    for name in names:
        owner = name[len(PREFIX):].split("-")[0]
        if not owner.isdigit():
            continue
        if (int(owner) == owner_pid) if owner_pid is not None else not _alive(int(owner)):
            try:
                Group(name).remove()
            except OSError:
                pass


def _alive(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}") and not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b") ", 1)[1][:1] in b"ZX"
    except (OSError, IndexError):
        return True
