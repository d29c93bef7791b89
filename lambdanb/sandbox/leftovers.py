"""Temporary folders of kernels that died without cleaning up: a kernel holds a lock on each folder it uses
(released by the operating system however the kernel ends); a kernel that starts removes the marked folders
nobody holds any more, and the control groups of kernels that are gone."""
from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
from pathlib import Path

from . import cgroups

MARK = ".lambdanb-owner"
PATTERNS = ("lambdanb-*", "pymp-*")
_held: dict[Path, int] = {}
_holding = threading.Lock()  # environments of one service start in parallel threads


def hold(folder: Path) -> None:
    """Mark a folder as this process's for as long as it lives (the mark appears already locked)."""
    folder = Path(folder)
    with _holding:
        if folder in _held or not folder.is_dir():
            return
        pending = folder / f"{MARK}.{os.getpid()}"
        fd = os.open(pending, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_SH)
        os.rename(pending, folder / MARK)
        _held[folder] = fd


def hold_temporary_ancestor(path: Path) -> None:
    """Hold the lambdanb-* folder of the temporary directory that contains path (the service's own), if any."""
    temporary = Path(tempfile.gettempdir()).resolve()
    path = Path(path).resolve()
    if temporary not in path.parents:
        return
    top = temporary / path.relative_to(temporary).parts[0]
    if top.name.startswith("lambdanb-") and top != path:
        hold(top)


def sweep() -> None:
    """Remove what dead kernels left: marked folders whose lock nobody holds, and their control groups."""
    temporary = Path(tempfile.gettempdir())
    for pattern in PATTERNS:
        for folder in temporary.glob(pattern):
            if folder not in _held and _abandoned(folder / MARK):
                shutil.rmtree(folder, ignore_errors=True)
    cgroups.remove_all()


def _abandoned(mark: Path) -> bool:
    try:
        fd = os.open(mark, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False  # not ours, or not marked yet
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
