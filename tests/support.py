"""Small helpers the tests share: waiting for what background threads and processes do, zips made in memory, and
the shape (key paths) of an event."""
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


# Maps whose keys are the caller's data (header names, attribute names, item attributes): only their presence counts.
DATA_MAPS = {"headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters",
             "pathParameters", "stageVariables", "MessageAttributes", "messageAttributes", "Keys", "NewImage",
             "OldImage", "authentication", "authorizer"}  # the last two: filled only with mTLS or a JWT authorizer


def shape(node: object, prefix: str = "") -> set[str]:
    """The key paths of an event, list items merged, not descending into data maps."""
    paths: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}"
            paths.add(path)
            if key not in DATA_MAPS:
                paths |= shape(value, path)
    elif isinstance(node, list):
        for item in node:
            paths |= shape(item, f"{prefix}[]")
    return paths
