"""The Logs tab: the function's log events as CloudWatch shows them: a table, newest at the bottom and followed,
each invocation's START…REPORT grouped and collapsible, REPORT as its fields, errors marked, filters."""
from __future__ import annotations

import threading
from html import escape
from itertools import groupby
from typing import TYPE_CHECKING

import ipywidgets as widgets

from ..records import LogEvent
from .charts import FONT, precise

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

ALL_STREAMS = "All log streams"
ALL_REQUESTS = "All requests"
LEVELS = ("All levels", "Errors", "Warnings and errors", "Platform lines (START, END, REPORT, INIT)")
SHOWN = 300  # events on screen at most: the view stays small however much the function logs
OPEN_GROUPS = 3  # the most recent invocations shown open; older ones folded
_ERROR_MARKS = ("[ERROR]", "Status: error", "Status: timeout", "Task timed out")
_PLATFORM = ("START ", "END ", "REPORT ", "INIT_START ", "INIT_REPORT ")


def is_error(message: str) -> bool:
    return any(mark in message for mark in _ERROR_MARKS)


def level_of(message: str) -> str:
    """ERROR, WARN, PLATFORM or INFO, as the view filters and marks a line."""
    if is_error(message):
        return "ERROR"
    if message.startswith(_PLATFORM):
        return "PLATFORM"
    if "[WARNING]" in message or "[WARN]" in message:
        return "WARN"
    return "INFO"


def shown_at(level: str, choice: str) -> bool:
    return {LEVELS[0]: True, LEVELS[1]: level == "ERROR", LEVELS[2]: level in ("ERROR", "WARN"),
            LEVELS[3]: level == "PLATFORM"}[choice]


def report_fields(message: str) -> str:
    """A REPORT line as its fields, one labelled chip each."""
    chips = []
    for field in message.rstrip("\t").split("\t")[1:]:
        name, _, value = field.partition(": ")
        colour = "#d13212" if name in ("Status", "Error Type") else "#16191f"
        chips.append(f"<span class='report-field' style='display:inline-block;margin:0 10px 0 0;color:{colour}'>"
                     f"<span style='color:#5f6b7a'>{escape(name)}</span> {escape(value)}</span>")
    return "<b>REPORT</b> " + "".join(chips)


def _row(event: LogEvent) -> str:
    level = level_of(event.message)
    message = report_fields(event.message) if event.message.startswith("REPORT ") else escape(event.message)
    style = "background:#fdf3f1;color:#d13212" if level == "ERROR" else (
        "background:#fff8e6" if level == "WARN" else "")
    # every cell's alignment and padding said here: a saved notebook's page styles tables its own way
    return (f"<tr class='log-row level-{level.lower()}' style='{style}'><td style='white-space:nowrap;width:1%;"
            f"color:#5f6b7a;vertical-align:top;padding:1px 10px 1px 0;text-align:left'>"
            f"{precise(event.timestamp / 1000)}</td><td style='white-space:pre-wrap;word-break:normal;"
            f"overflow-wrap:anywhere;line-height:1.35;padding:1px 0;text-align:left'>{message}</td></tr>")


def _group(request_id: str, events: list[LogEvent], open_: bool) -> str:
    report = next((e.message for e in events if e.message.startswith("REPORT ")), "")
    failed = any(level_of(e.message) == "ERROR" for e in events)
    duration = next((f.split(": ", 1)[1] for f in report.split("\t") if f.startswith("Duration: ")), "")
    title = (f"{precise(events[0].timestamp / 1000)} &nbsp; <code>{escape(request_id or 'no request')}</code>"
             f"{f' &nbsp; {escape(duration)}' if duration else ''}"
             f"{' &nbsp; <b style=color:#d13212>error</b>' if failed else ''}")
    rows = "".join(_row(e) for e in events)
    return (f"<details class='log-group' {'open' if open_ else ''} style='border-bottom:1px solid #e9ebed;{FONT};"
            "font-size:12px'>"
            f"<summary style='cursor:pointer;padding:2px 0'>{title}</summary><table style='border-collapse:collapse;"
            f"table-layout:auto;width:100%;font-size:12px;font-family:monospace;margin:0'>{rows}</table></details>")


class LogsPanel:
    """The log table, one HTML widget per invocation's group: a group is drawn anew only when its events (or the
    choice to fold it) change, so what the reader opened or folded in the browser stays so as new events arrive.
    A group still being written is drawn anew with each of its lines."""

    def __init__(self, service: LambdaService, function_name: str) -> None:
        self.service = service
        self.function_name = function_name
        self.stream = widgets.Dropdown(options=[ALL_STREAMS], value=ALL_STREAMS, description="Stream",
                                       layout=widgets.Layout(width="50%"))
        self.filter = widgets.Text(placeholder="text in the message", description="Filter")
        self.request = widgets.Combobox(placeholder=ALL_REQUESTS, description="Request id", ensure_option=False,
                                        layout=widgets.Layout(width="50%"))
        self.level = widgets.Dropdown(options=LEVELS, value=LEVELS[0], description="Level")
        self.expand = widgets.Checkbox(value=False, description="Expand every invocation", indent=False)
        self.errors = widgets.HTML()
        self.groups = widgets.VBox(layout=widgets.Layout(flex="0 0 auto", display="block"))
        self._drawn: dict[tuple[str, str, int, int], widgets.HTML] = {}  # (stream, request id, first time, n)
        self._lock = threading.Lock()
        # The outer box scrolls and is never drawn anew, so its position survives updates; column-reverse keeps
        # it at the newest events until the reader scrolls up.
        self.tail = widgets.Box([self.groups], layout=widgets.Layout(
            height="420px", overflow="auto", display="flex", flex_flow="column-reverse",
            border="1px solid #e9ebed"))
        self.tail.add_class("lambdanb-logs")
        self.empty = widgets.HTML()  # always the first child, so that the groups after it keep their places
        for control in (self.stream, self.filter, self.request, self.level, self.expand):
            control.observe(lambda change: self.refresh(), names="value")
        self.root = widgets.VBox([widgets.HBox([self.stream, self.filter]),
                                  widgets.HBox([self.request, self.level, self.expand]), self.errors, self.tail])
        self.refresh()

    def refresh(self) -> None:
        with self._lock:  # the console's thread and the reader's choices both refresh
            self._refresh()

    def _refresh(self) -> None:
        events = self.service.get_logs(self.function_name)
        streams = [ALL_STREAMS, *sorted({e.log_stream for e in events})]
        if tuple(streams) != self.stream.options:
            self.stream.options = streams
        request_ids = tuple(dict.fromkeys(e.request_id for e in reversed(events) if e.request_id))[:100]
        if request_ids != self.request.options:
            self.request.options = request_ids
        text, request_id = self.filter.value.strip(), self.request.value.strip()
        shown = [e for e in events
                 if (self.stream.value == ALL_STREAMS or e.log_stream == self.stream.value)
                 and (not request_id or e.request_id == request_id)
                 and (not text or text in e.message)
                 and shown_at(level_of(e.message), self.level.value)][-SHOWN:]
        failures = sum(1 for e in shown if level_of(e.message) == "ERROR")
        errors = (f"<div style='color:#d13212;font-size:12px;{FONT}'><b>Errors ({failures})</b> among the events "
                  "shown: marked red below</div>") if failures else ""
        if errors != self.errors.value:
            self.errors.value = errors
        runs = [list(run) for _, run in groupby(shown, key=lambda e: (e.log_stream, e.request_id))]
        drawn: dict[tuple[str, str, int, int], widgets.HTML] = {}
        for i, run in enumerate(runs):
            key = (run[0].log_stream, run[0].request_id, run[0].timestamp, 0)
            while key in drawn:  # two runs alike in the same millisecond: told apart by their order
                key = (*key[:3], key[3] + 1)
            html = _group(run[0].request_id, run, self.expand.value or i >= len(runs) - OPEN_GROUPS)
            group = self._drawn.pop(key, None) or widgets.HTML(layout=widgets.Layout(width="100%"))
            if group.value != html:
                group.value = html
            drawn[key] = group
        empty = "" if drawn else f"<div style='{FONT};font-size:12px;color:#5f6b7a'>No log events yet.</div>"
        if empty != self.empty.value:
            self.empty.value = empty
        children = (self.empty, *drawn.values())
        if children != self.groups.children:  # new groups are added after the others: theirs stay as they were
            self.groups.children = children
        for gone in self._drawn.values():
            gone.close()
        self._drawn = drawn

    def html(self) -> str:
        """The events shown, as static HTML (for a saved notebook's picture)."""
        groups = "".join(group.value for group in self._drawn.values())
        return f"<div style='{FONT};font-size:12px'>{groups or 'No log events yet.'}</div>"
