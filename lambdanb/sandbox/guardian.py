"""The template (forkserver) process's own setup, imported there alone as a preload: it forgets the kernel's
environment variables, confines its signals (and so every environment's) to its own process tree, adopts and
reaps the orphans of every environment, and when the kernel ends in any way (the forkserver's liveness pipe,
whose write end only the kernel holds, closes) kills every environment."""
from __future__ import annotations

import atexit
import ctypes
import os
import signal
import sys
import time
import warnings
from types import FrameType

from . import cgroups, limits, seal, worker  # worker: preloaded, so each environment starts warm

KERNEL_PID = os.getppid()
TEMPLATE_PID = os.getpid()


def _forget_environment() -> None:
    """Clear the variables this process inherited, down to the memory /proc/<pid>/environ shows (an
    environment forked from here would show it too)."""
    os.environ.clear()
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b") ", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start and env_end (fields 50 and 51 of stat)
    except (OSError, IndexError, ValueError):
        return
    if 0 < start < end:
        ctypes.memset(start, 0, end - start)


def _kill_environments() -> None:
    """Every environment of the kernel, frozen or not, and everything they started."""
    cgroups.remove_all(KERNEL_PID)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        children = limits.descendants(os.getpid())
        if not children:
            return
        for child in children:
            limits.kill_tree(child)
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.005)


def _in_forkserver() -> bool:
    """True when the forkserver's main loop is importing this module as a preload."""
    from multiprocess import forkserver
    frame: FrameType | None = sys._getframe()
    while frame is not None:
        if frame.f_code is forkserver.main.__code__:
            return True
        frame = frame.f_back
    return False


def _stop(signum: int, frame: FrameType | None) -> None:
    if os.getpid() != TEMPLATE_PID:  # a process forked from the template that has not yet reset its handlers
        os._exit(128 + signum)
    sys.exit(128 + signum)  # through atexit, so that the environments go first


if _in_forkserver():
    _forget_environment()
    os.setsid()  # out of the kernel's process group: a signal to that group ends the kernel, we clean up after it
    if limits.libc is not None:
        limits.libc.prctl(limits.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of environments come here
    seal.confine_signals()  # environments inherit it: they cannot signal the kernel
    warnings.filterwarnings("ignore", message="forkserver: waitpid returned unexpected pid")  # adopted orphans
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    atexit.register(_kill_environments)
    worker.remember_template_modules()
