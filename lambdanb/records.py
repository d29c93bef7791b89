"""The records the Python API returns: an Invocation is what one invoke did and measured."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Invocation:
    """One invoke's outcome, as the Lambda console's "Execution result" shows it."""

    request_id: str
    status_code: int
    payload: Any
    function_error: str | None
    logs: str
    duration_ms: float | None
    billed_duration_ms: int | None
    memory_size_mb: int | None
    max_memory_used_mb: int | None
    init_duration_ms: float | None
    executed_version: str | None
    function_name: str = ""

    @property
    def succeeded(self) -> bool:
        return self.function_error is None

    @property
    def response(self) -> str:
        """The payload as the console prints it: indented JSON."""
        if self.payload is None and self.status_code != 200:
            return ""
        if isinstance(self.payload, bytes):  # a handler that returned bytes which are not JSON
            return self.payload.decode("utf-8", "replace")
        return json.dumps(self.payload, indent=2, ensure_ascii=False)

    def __str__(self) -> str:
        from .display import invocation_text
        return invocation_text(self)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        from .display import invocation_html
        return invocation_html(self)
