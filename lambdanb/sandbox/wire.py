"""The pipe protocol between the Lambda service and an execution environment: framed JSON plus raw bytes."""
from __future__ import annotations

import json
import os
import struct

_HEADER = struct.Struct("!II")  # length of the JSON metadata, length of the raw body


def send(fd: int, meta: dict, body: bytes = b"") -> None:
    encoded = json.dumps(meta, separators=(",", ":")).encode()
    view = memoryview(_HEADER.pack(len(encoded), len(body)) + encoded + body)
    while view:
        view = view[os.write(fd, view):]


def receive(fd: int) -> tuple[dict, bytes]:
    meta_size, body_size = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    data = _read_exactly(fd, meta_size + body_size)
    return json.loads(data[:meta_size]), data[meta_size:]


def _read_exactly(fd: int, size: int) -> bytes:
    data = os.read(fd, size)
    if len(data) == size:
        return data
    chunks = [data]
    remaining = size - len(data)
    while remaining:
        if not data:
            raise EOFError("the execution environment closed its pipe")
        data = os.read(fd, remaining)
        chunks.append(data)
        remaining -= len(data)
    return b"".join(chunks)
