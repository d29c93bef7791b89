"""Small helpers the tests share: waiting for what background threads and processes do, and zips made in memory."""
from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable


def eventually(check: Callable[[], object], seconds: float = 20) -> bool:
    """Work done in the background (threads, killed processes) is seen a moment later: wait for it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def zipped(files: dict[str, str]) -> bytes:
    """A zip of the files given as {path: text}, as a deployment package or a layer."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
