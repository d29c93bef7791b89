"""Request ids and log stream names: random as on AWS, or stable in deterministic mode for checked notebooks."""
from __future__ import annotations

import hashlib
import itertools
import threading
import uuid
from collections import defaultdict

from .clock import Clock


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
            return str(uuid.uuid4())
        return str(uuid.UUID(bytes=self._next("request", function_name)[:16], version=4))

    def log_stream(self, function_name: str, version: str) -> str:
        """Lambda's stream name: YYYY/MM/DD/[version]<32 hex digits>."""
        if self.clock.deterministic:
            return f"{self.clock.date()}/[{version}]{self._next('stream', function_name).hex()[:32]}"
        return f"{self.clock.date()}/[{version}]{uuid.uuid4().hex}"
