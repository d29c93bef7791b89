"""The pipe protocol between the Lambda service and an execution environment: framed JSON plus raw bytes.

The environment trusts the service and reads with plain blocking calls; the service trusts nothing it reads:
every read it makes is bounded in time (the invoke's deadline) and in size (a frame header is checked before
anything is buffered).
"""
from __future__ import annotations

import json
import os
import select
import struct
import time

_HEADER = struct.Struct("!II")  # length of the JSON metadata, length of the raw body
MAX_META_BYTES = 64 * 1024  # an answer's metadata is a few numbers and a request id
# Made once: json.dumps with options and json.loads of bytes build or detect these on every call.
_encode_meta = json.JSONEncoder(separators=(",", ":")).encode
_decode_meta = json.JSONDecoder().decode


class FrameError(ValueError):
    """The environment wrote something that is not a frame of this protocol."""


class FrameTooLarge(FrameError):
    """A frame header announced a body larger than the service accepts."""


def send(fd: int, meta: dict, body: bytes = b"") -> None:
    """Write one frame on a blocking descriptor (the environment's side)."""
    view = memoryview(_frame(meta, body))
    while view:
        view = view[os.write(fd, view):]


def receive(fd: int) -> tuple[dict, bytes]:
    """Read one frame on a blocking descriptor (the environment's side)."""
    meta_size, body_size = _HEADER.unpack(_read_exactly(fd, _HEADER.size))
    data = _read_exactly(fd, meta_size + body_size)
    return _decode_meta(data[:meta_size].decode()), data[meta_size:]


def _frame(meta: dict, body: bytes) -> bytes:
    encoded = _encode_meta(meta).encode()
    return _HEADER.pack(len(encoded), len(body)) + encoded + body


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


class Channel:
    """The service's end of one environment's pipe: non-blocking, every wait bounded by a deadline."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self._readable = select.poll()
        self._readable.register(fd, select.POLLIN)
        self._buffer = b""  # bytes read past the end of the last frame

    def send(self, meta: dict, body: bytes, deadline: float) -> None:
        """Write one frame before the deadline (time.monotonic()), or raise TimeoutError."""
        view = memoryview(_frame(meta, body))
        while view:
            try:
                view = view[os.write(self.fd, view):]
            except BlockingIOError:
                if not _poll(self.fd, select.POLLOUT, deadline):
                    raise TimeoutError("the execution environment does not read its pipe") from None

    def receive(self, deadline: float, max_body: int) -> tuple[dict, bytes]:
        """One frame, read before the deadline; TimeoutError, EOFError, FrameTooLarge or FrameError otherwise."""
        data = self._buffer or self._read(deadline, 65536)
        while len(data) < _HEADER.size:
            data += self._read(deadline, 65536)
        meta_size, body_size = _HEADER.unpack_from(data)
        if body_size > max_body:
            raise FrameTooLarge(f"the execution environment sent a {body_size}-byte answer")
        if meta_size > MAX_META_BYTES:
            raise FrameError(f"the execution environment sent {meta_size} bytes of metadata")
        end = _HEADER.size + meta_size + body_size
        if len(data) < end:
            chunks = [data]
            missing = end - len(data)
            while missing > 0:
                chunk = self._read(deadline, missing)
                chunks.append(chunk)
                missing -= len(chunk)
            data = b"".join(chunks)
        self._buffer = data[end:]
        try:
            meta = _decode_meta(data[_HEADER.size:_HEADER.size + meta_size].decode())
        except ValueError:  # UnicodeDecodeError included
            raise FrameError("the execution environment sent metadata that is not JSON") from None
        if not isinstance(meta, dict):
            raise FrameError("the execution environment sent metadata that is not an object")
        return meta, data[_HEADER.size + meta_size:end]

    def _read(self, deadline: float, size: int) -> bytes:
        while True:
            if time.monotonic() > deadline:  # an answer trickling in must not outlast the invoke
                raise TimeoutError("the execution environment did not finish its answer")
            if not self._readable.poll(_remaining_ms(deadline)):
                raise TimeoutError("the execution environment did not answer in time")
            try:
                data = os.read(self.fd, size)
            except BlockingIOError:
                continue
            if not data:
                raise EOFError("the execution environment closed its pipe")
            return data

    def close(self) -> None:
        os.close(self.fd)


def _remaining_ms(deadline: float) -> int:
    return max(0, int((deadline - time.monotonic()) * 1000) + 1)


def _poll(fd: int, event: int, deadline: float) -> bool:
    poller = select.poll()
    poller.register(fd, event)
    return bool(poller.poll(_remaining_ms(deadline)))
