"""Where environment processes come from: a forkserver template with the worker preloaded, and one blank
process kept ready (already in its control group) so that a cold start need not wait for a new process."""
from __future__ import annotations

import atexit
import itertools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import cgroups, leftovers, limits

PROCESS_NAME = "lambdanb:environment"
_context = None
_lock = threading.Lock()
_group_numbers = itertools.count(1)


@dataclass
class Blank:
    """A blank environment process waiting on its pipe for the setup of the function it will run: the process,
    the parent's end of the pipe (a raw file descriptor) and its control group (None where the machine gives
    none)."""

    process: Any  # a multiprocess Process
    fd: int
    group: cgroups.Group | None

    def discard(self) -> None:
        os.close(self.fd)
        limits.kill_tree(self.process.pid)
        self.process.join(5)
        if self.group is not None:
            self.group.remove()


def _without_main(get_preparation_data: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """multiprocess re-imports the parent's __main__ in each child (a notebook kernel's launcher, or a user's
    script); an execution environment must start from the template alone, so its processes skip that step."""
    def prepare(name: str) -> dict[str, Any]:
        data = get_preparation_data(name)
        if name == PROCESS_NAME:
            data.pop("init_main_from_name", None)
            data.pop("init_main_from_path", None)
        return data
    return prepare


def _process_context() -> Any:
    """The forkserver context (never a fork of the kernel, which holds sockets and threads), or spawn."""
    global _context
    with _lock:
        if _context is None:
            import multiprocess
            from multiprocess import spawn
            spawn.get_preparation_data = _without_main(spawn.get_preparation_data)
            # A kernel that starts removes what dead ones left, beside its first cold start, not before it.
            threading.Thread(target=leftovers.sweep, name="lambdanb-sweep", daemon=True).start()
            if "forkserver" in multiprocess.get_all_start_methods():
                _context = multiprocess.get_context("forkserver")
                _context.set_forkserver_preload(["lambdanb.sandbox.guardian"])
            else:
                _context = multiprocess.get_context("spawn")
        return _context


def start_template() -> None:
    """Start the template process now, so that it boots while the kernel does other work, rather than when the
    first environment process is needed."""
    if _process_context().get_start_method() == "forkserver":
        from multiprocess import forkserver
        forkserver.ensure_running()


def new_process() -> Blank:
    """A blank environment process in a control group of its own (where the machine allows them): moving a
    process into a group takes milliseconds, paid here rather than by the cold start that takes a spare."""
    try:
        process, fd = _start_process()
    except (EOFError, OSError):
        process, fd = _start_process()  # a function killed the template process; multiprocess starts a new one
    group = None
    if cgroups.available():
        try:
            group = cgroups.Group.create(next(_group_numbers))
            group.add(process.pid)  # before its setup: the blank process runs nothing until it has it
        except OSError:
            Blank(process, fd, group).discard()
            raise
    return Blank(process, fd, group)


def _start_process() -> tuple[Any, int]:
    context = _process_context()
    ours, theirs = context.Pipe(duplex=True)
    from . import worker
    process = context.Process(target=worker.main, args=(theirs,), daemon=True, name=PROCESS_NAME)
    process.start()
    from multiprocess import util
    leftovers.hold(util.get_temp_dir())  # multiprocess's own folder (the forkserver's socket lives there)
    theirs.close()
    fd = os.dup(ours.fileno())
    ours.close()
    return process, fd


class SpareProcess:
    """Keeps one blank process ready (as Lambda keeps execution slots ready); taking it starts the next one."""

    def __init__(self) -> None:
        self.enabled = True
        self._ready: Blank | None = None
        self._lock = threading.Lock()
        self._filled = threading.Condition(self._lock)
        self._filling = False
        self._awaited = False  # a cold start waits for the process being made

    def take(self) -> Blank:
        """The ready process, or a new one when none is ready; call refill() once it is set up."""
        with self._lock:
            if self._ready is None and self._filling and not self._awaited:
                # The template makes one process at a time: the one under way comes sooner than a second one.
                self._awaited = True
                while self._filling:
                    self._filled.wait()
                self._awaited = False
            ready, self._ready = self._ready, None
        if ready is not None and ready.process.is_alive():
            return ready
        if ready is not None:
            ready.discard()
        return new_process()

    def refill(self) -> None:
        """Start the next spare in the background (after a cold start, so as not to compete with it)."""
        with self._lock:
            if not self.enabled or self._filling or self._ready is not None:
                return
            self._filling = True
        threading.Thread(target=self._fill, name="lambdanb-spare-process", daemon=True).start()

    def _fill(self) -> None:
        ready: Blank | None = None
        try:
            ready = new_process()
        except (EOFError, OSError):
            pass  # the next cold start creates its own process
        finally:
            with self._lock:
                self._filling = False
                if ready is not None and self._ready is None and self.enabled:
                    self._ready, ready = ready, None
                self._filled.notify_all()
        if ready is not None:
            ready.discard()

    def close(self) -> None:
        """At exit: no more spares (one under way is discarded when it is ready), and the ready one goes."""
        with self._lock:
            self.enabled = False
            ready, self._ready = self._ready, None
        if ready is not None:
            ready.discard()


spare = SpareProcess()
atexit.register(spare.close)
