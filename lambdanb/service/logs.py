"""CloudWatch Logs for functions: log groups and streams of events, and the platform's START/END/REPORT lines."""
from __future__ import annotations

import hashlib
import threading
from collections import deque
from typing import Literal

from ..arns import REGION
from ..records import LogEvent, LogEvents

# CloudWatch Logs takes events of at most 256 KB, 26 bytes of which are its own overhead.
MAX_EVENT_BYTES = 262_144 - 26


class LogStore:
    """Log groups, each keeping its most recent events (older ones expire, as with a retention setting)."""

    def __init__(self, max_events_per_group: int = 20_000) -> None:
        self.max_events_per_group = max_events_per_group
        self._groups: dict[str, deque[LogEvent]] = {}
        self._lock = threading.Lock()

    def put(self, group: str, events: list[LogEvent]) -> None:
        with self._lock:
            store = self._groups.get(group)
            if store is None:
                store = self._groups[group] = deque(maxlen=self.max_events_per_group)
            store.extend(events)

    def delete_group(self, group: str) -> None:
        with self._lock:
            self._groups.pop(group, None)

    def groups(self) -> list[str]:
        with self._lock:
            return sorted(self._groups)

    def filter(self, group: str, *, log_stream: str | None = None, request_id: str | None = None,
               pattern: str | None = None, start_time: int | None = None, end_time: int | None = None,
               limit: int | None = None) -> LogEvents:
        """FilterLogEvents: events of a group by stream, request id, time range (ms) and text pattern."""
        with self._lock:
            events = list(self._groups.get(group, ()))
        matches = LogEvents(
            e for e in events
            if (log_stream is None or e.log_stream == log_stream)
            and (request_id is None or e.request_id == request_id)
            and (start_time is None or e.timestamp >= start_time)
            and (end_time is None or e.timestamp <= end_time)
            and (pattern is None or pattern in e.message))
        return LogEvents(matches[-limit:]) if limit else matches


def split_output(text: str, stream: str, request_id: str, timestamp: int) -> list[LogEvent]:
    """A function's output as log events: one per line; \\r joins lines of one event, as the runtime writes them."""
    events = []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    for line in lines:
        message = line.replace("\r", "\n").rstrip("\n")
        encoded = message.encode()
        if len(encoded) > MAX_EVENT_BYTES:
            message = encoded[:MAX_EVENT_BYTES].decode("utf-8", "ignore")
        events.append(LogEvent(timestamp, message, stream, request_id))
    return events


def init_start(runtime: str) -> str:
    """INIT_START with a runtime version and its ARN, derived from the runtime name so they stay stable."""
    digest = hashlib.sha256(runtime.encode()).hexdigest()
    if runtime.startswith(("python", "nodejs")):  # python3.12 -> python:3.12, nodejs20.x -> nodejs:20
        version = f"{runtime[:6]}:{runtime[6:].removesuffix('.x')}.v1"
    else:  # provided.al2023 -> provided:al2023
        version = runtime.replace(".", ":", 1) + ".v1"
    return f"INIT_START Runtime Version: {version}\tRuntime Version ARN: arn:aws:lambda:{REGION}::runtime:{digest}"


def init_report(init_ms: float, error_type: str | None, timed_out: bool = False) -> str:
    line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\t"
    return line + ("Status: timeout" if timed_out else f"Status: error\tError Type: {error_type}")


def start(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end(request_id: str) -> str:
    return f"END RequestId: {request_id}"


ReportStatus = Literal["timeout", "error"] | None  # what a REPORT line says when the platform saw a failure


def report(request_id: str, duration_ms: float, billed_ms: int, memory_mb: int, used_mb: int,
           init_ms: float | None, status: ReportStatus = None, error_type: str | None = None) -> str:
    """The REPORT line, tab-separated in Lambda's field order; Init Duration only on a cold start."""
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\t"
            f"Memory Size: {memory_mb} MB\tMax Memory Used: {used_mb} MB\t")
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if status == "timeout":
        line += "Status: timeout"
    elif status == "error":
        line += f"Status: error\tError Type: {error_type}"
    return line

