"""Request ids and log stream names: random as on AWS, or stable in deterministic mode for checked notebooks."""
from __future__ import annotations

import hashlib
import itertools
import random
import threading
from collections import defaultdict

from .clock import Clock

# Seeded from the system's randomness once: os.urandom on every invoke would give up the interpreter lock, which a
# kernel busy with many invokes at once then waits to get back. Request ids need to be unique, not secret.
_random = random.Random()


class IdSource:
    """Hands out ids; in deterministic mode each function gets its own counted, reproducible sequence."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._counters: defaultdict[str, itertools.count[int]] = defaultdict(itertools.count)
        self._lock = threading.Lock()

    def _next(self, kind: str, function_name: str) -> bytes:
        with self._lock:
            n = next(self._counters[f"{kind}:{function_name}"])
        return hashlib.sha256(f"{kind}:{function_name}:{n}".encode()).digest()

    def request_id(self, function_name: str) -> str:
        if not self.clock.deterministic:
            return uuid4_text(_random.randbytes(16))
        return uuid4_text(self._next("request", function_name))

    def log_stream(self, function_name: str, version: str) -> str:
        """Lambda's stream name: YYYY/MM/DD/[version]<32 hex digits>."""
        if self.clock.deterministic:
            return f"{self.clock.date()}/[{version}]{self._next('stream', function_name).hex()[:32]}"
        return f"{self.clock.date()}/[{version}]{_random.randbytes(16).hex()}"


def uuid4_text(raw: bytes) -> str:
    """The first 16 bytes as a version 4 UUID's text, as str(uuid.UUID(bytes=raw[:16], version=4)) writes it,
    without building a UUID object (a request id is made on every invoke)."""
    digits = raw[:16].hex()
    variant = "89ab"[int(digits[16], 16) & 3]  # the two top bits of byte 8 are 10
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:32]}"
