"""The Logs tab: a live tail of the function's log group, with a stream picker, a filter and errors set apart."""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import ipywidgets as widgets

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

ALL_STREAMS = "All log streams"
SHOWN = 300  # events on screen at most: the tail stays small however much the function logs
_ERROR_MARKS = ("[ERROR]", "Status: error", "Status: timeout", "Task timed out")


def is_error(message: str) -> bool:
    return any(mark in message for mark in _ERROR_MARKS)


class LogsPanel:
    def __init__(self, service: LambdaService, function_name: str) -> None:
        self.service = service
        self.function_name = function_name
        self.stream = widgets.Dropdown(options=[ALL_STREAMS], value=ALL_STREAMS, description="Stream",
                                       layout=widgets.Layout(width="60%"))
        self.filter = widgets.Text(placeholder="text or request id", description="Filter")
        self.errors = widgets.HTML()
        self.tail = widgets.HTML()
        self.stream.observe(lambda change: self.refresh(), names="value")
        self.filter.observe(lambda change: self.refresh(), names="value")
        self.root = widgets.VBox([widgets.HBox([self.stream, self.filter]), self.errors, self.tail])
        self.refresh()

    def refresh(self) -> None:
        events = self.service.get_logs(self.function_name)
        streams = [ALL_STREAMS, *sorted({e.log_stream for e in events})]
        if tuple(streams) != self.stream.options:
            self.stream.options = streams
        text = self.filter.value.strip()
        shown = [e for e in events
                 if (self.stream.value == ALL_STREAMS or e.log_stream == self.stream.value)
                 and (not text or text in e.message or text == e.request_id)][-SHOWN:]
        failures = [e for e in shown if is_error(e.message)]
        errors = "" if not failures else (
            f"<div style='color:#d13212;font-size:12px'><b>Errors ({len(failures)})</b><pre style='margin:2px 0;"
            "white-space:pre-wrap'>" + "\n".join(escape(e.message) for e in failures[-20:]) + "</pre></div>")
        lines = "\n".join(f"<span style='color:#d13212'>{escape(e.message)}</span>" if is_error(e.message)
                          else escape(e.message) for e in shown)
        tail = ("<pre style='max-height:360px;overflow:auto;white-space:pre-wrap;font-size:12px;margin:0'>"
                f"{lines or 'No log events yet.'}</pre>")
        if errors != self.errors.value:
            self.errors.value = errors
        if tail != self.tail.value:
            self.tail.value = tail
