"""The Async queue tab: the function's internal queue live: counts, each event's way through it, what waits."""
from __future__ import annotations

import time
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .charts import FONT, INK
from .lanes import async_events_svg
from .timeline import Picture

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

WINDOWS = {"30 s": 30, "1 min": 60, "5 min": 300, "15 min": 900}
LISTED = 8  # waiting events listed by name, soonest first


class QueuePanel:
    def __init__(self, service: LambdaService, function_name: str) -> None:
        self.service = service
        self.function_name = function_name
        self.window = widgets.ToggleButtons(options=list(WINDOWS), value="1 min", style={"button_width": "72px"})
        self.window.add_class("lambdanb-async-window")
        self.counts = widgets.HTML()
        self.events = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.waiting = widgets.HTML()
        self.window.observe(lambda change: self.refresh(), names="value")
        self.root = widgets.VBox([self.counts, widgets.HBox([widgets.Label("Window"), self.window],
                                                            layout=widgets.Layout(align_items="center")),
                                  self.events, self.waiting])
        self.refresh()

    def refresh(self) -> None:
        # the events' rows first: they are drawn from the timeline, which outlives the function
        end = time.time()
        picture = Picture.of(self.service.timeline(self.function_name))
        events = (f"<div style='font-size:12px;color:#5f6b7a;{FONT}'>One row per event: ▬ waiting in the queue, "
                  "a bar per attempt (coloured by outcome), - - wait before a retry, ✕ throttled, ✓ succeeded, "
                  "➜ sent to a destination or DLQ, ✗ dropped. Hover for details.</div>"
                  + async_events_svg(picture, end - WINDOWS[self.window.value], end, now=end))
        if events != self.events.value:
            self.events.value = events
        status = self.service.async_queue_status(self.function_name)
        now = [("Waiting", status.waiting, "for a first attempt"),
               ("Retrying", status.retrying, "for another attempt"),
               ("In flight", status.in_flight, "running now")]
        so_far = [("Received", status.outcomes.received, "accepted with 202"),
                  ("Succeeded", status.outcomes.succeeded, "ran without error"),
                  ("To on-success", status.to_on_success, "destination"),
                  ("To on-failure", status.to_on_failure, "destination"),
                  ("To DLQ", status.to_dead_letter_queue, "dead-letter queue"),
                  ("Dropped", status.outcomes.dropped, "failed, taken by nobody")]
        counts = f"<div style='{FONT};color:{INK}'>{_tiles('Now', now)}{_tiles('So far', so_far)}</div>"
        if counts != self.counts.value:
            self.counts.value = counts
        cell = "padding:1px 14px 1px 0;text-align:"
        rows = "".join(f"<tr><td style='{cell}left'><code>{escape(e.request_id)}</code></td>"
                       + "".join(f"<td style='{cell}right'>{value}</td>" for value in
                                 (e.attempts, e.throttles, f"{e.due_in:.1f} s", f"{e.age:.1f} s")) + "</tr>"
                       for e in status.events[:LISTED])
        head = "".join(f"<th style='{cell}{align}'>{title}</th>" for title, align in (
            ("Waiting now", "left"), ("attempts", "right"), ("throttles", "right"), ("due in", "right"),
            ("age", "right")))
        waiting = "" if not rows else (
            f"<table style='{FONT};font-size:12px;border-collapse:collapse;margin-top:6px'><tr>{head}</tr>{rows}"
            "</table>"
            + (f"<div style='font-size:12px'>and {len(status.events) - LISTED} more</div>"
               if len(status.events) > LISTED else ""))
        if waiting != self.waiting.value:
            self.waiting.value = waiting


def _tiles(label: str, tiles: list[tuple[str, int, str]]) -> str:
    """One row of counts, each a tile with its title, number and what it counts."""
    row = "".join(
        f"<div class='queue-count' style='display:inline-block;min-width:92px;margin:0 8px 8px 0;padding:4px 8px;"
        f"border-left:3px solid #0972d3;vertical-align:top'><div style='font-size:11px;color:#5f6b7a'>"
        f"{escape(title)}</div><div style='font-size:22px'>{value}</div><div style='font-size:10px;color:#5f6b7a'>"
        f"{escape(note)}</div></div>" for title, value, note in tiles)
    return (f"<div><div style='display:inline-block;width:52px;font-size:12px;"
            f"color:#5f6b7a;vertical-align:top;padding-top:6px'>{escape(label)}</div>{row}</div>")
