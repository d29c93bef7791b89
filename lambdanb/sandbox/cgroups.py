"""One control group per execution environment (cgroup v1 freezer and pids, where the machine lets us make
them): every process an environment starts, whatever its session, is counted, frozen and killed with it."""
from __future__ import annotations

import os
import signal
import threading
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
        self._count_fd = -1
        self._killing = threading.Lock()  # the watchdog and the invoke may kill at once: the second waits

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
        self._count_fd = os.open(self._pids / "pids.current", os.O_RDONLY | os.O_CLOEXEC)

    def add(self, pid: int) -> None:
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(pid))

    def tasks(self) -> int:
        """How many threads the group's processes have in all (a cheap read, unlike the list of processes)."""
        return int(os.pread(self._count_fd, 32, 0))

    def members(self) -> list[int]:
        """The processes in the group. Opened afresh each time: cgroup v1 caches the list an open file gives."""
        return [int(p) for p in (self._freezer / "cgroup.procs").read_text().split()]

    def freeze(self) -> None:
        os.write(self._state_fd, b"FROZEN")

    def thaw(self) -> None:
        os.write(self._state_fd, b"THAWED")

    def kill(self, wait_s: float = 5.0) -> None:
        """Freeze everything (so nothing forks while we look), SIGKILL it, thaw so the kills land; until empty,
        and until every process killed has finished dying (a dying process leaves the group before it is dead)."""
        with self._killing:
            self._kill(time.monotonic() + wait_s)

    def _kill(self, deadline: float) -> None:
        killed: dict[int, bytes] = {}  # pid: its start time (pids are reused quickly under a fork bomb)
        while time.monotonic() < deadline:
            self.freeze()
            living = {pid: started for pid in self.members() if (started := _start_if_living(pid))}
            for pid in living:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.thaw()
            killed.update(living)
            if not living:
                break
            time.sleep(0.001)
        while time.monotonic() < deadline and any(_start_if_living(pid) == started for pid, started in killed.items()):
            time.sleep(0.001)

    def remove(self) -> None:
        """Kill what is left and delete the groups."""
        if self._state_fd < 0:
            self._open()
        self.kill()
        for fd in (self._state_fd, self._count_fd):
            os.close(fd)
        self._state_fd = self._count_fd = -1
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
    return bool(_start_if_living(pid))


def _start_if_living(pid: int) -> bytes:
    """The start time of a process that has not died yet, or b"" (gone, or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b") ", 1)[1].split()
    except (OSError, IndexError):
        return b""
    return b"" if fields[0] in (b"Z", b"X") else fields[19]
