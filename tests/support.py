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


def as_student(notebook: dict, answer: dict, parameters_in_cell: bool = False) -> dict:
    """A lab notebook as a student with these answers has it: the cells tagged in answer["replace"] rewritten and,
    with parameters_in_cell, answer["parameters"] typed at the end of the parameters cell."""
    for cell in notebook["cells"]:
        tags = cell["metadata"].get("tags", [])
        for tag, source in answer.get("replace", {}).items():
            if tag in tags:
                cell["source"] = source
        if parameters_in_cell and "parameters" in tags:
            typed = "".join(f"\n{name} = {value!r}" for name, value in answer.get("parameters", {}).items())
            cell["source"] = "".join(cell["source"]) + typed
    return notebook
