"""The Environments tab: a live timeline of the function's execution environments, throttles and concurrency."""
from __future__ import annotations

import time
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .charts import FONT, clock
from .lanes import legend_html, reserved_concurrency, timeline_svg
from .timeline import Picture, describe, outcome

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

WINDOWS = {"30 s": 30, "1 min": 60, "5 min": 300, "15 min": 900}
NO_DETAILS = "pick an invoke to see its details"
SHOWN_IN_PICKER = 50  # the most recent invokes, newest first


class EnvironmentsPanel:
    """Lanes of environments over a sliding window; Pause freezes it for hovering, the picker shows one invoke."""

    def __init__(self, service: LambdaService, function_name: str) -> None:
        self.service = service
        self.function_name = function_name
        self.window = widgets.ToggleButtons(options=list(WINDOWS), value="1 min", style={"button_width": "72px"})
        self.window.add_class("lambdanb-environments-window")
        self.live = widgets.ToggleButton(value=True, description="Live", icon="pause",
                                         tooltip="Pause the view to hover over invokes at leisure",
                                         layout=widgets.Layout(width="110px", margin="0 0 0 16px"))
        self.summary = widgets.HTML()
        self.legend = widgets.HTML(legend_html())
        self.view = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.invoke = widgets.Dropdown(options=[NO_DETAILS], value=NO_DETAILS, description="Invoke",
                                       layout=widgets.Layout(width="70%"))
        self.details = widgets.HTML()
        self.window.observe(lambda change: self.refresh(force=True), names="value")
        self.live.observe(self._live_changed, names="value")
        self.invoke.observe(lambda change: self._show_details(), names="value")
        self.root = widgets.VBox([widgets.HBox([widgets.Label("Window"), self.window, self.live],
                                               layout=widgets.Layout(align_items="center")),
                                  self.summary, self.legend, self.view,
                                  self.invoke, self.details])
        self._descriptions: dict[str, str] = {}
        self.refresh(force=True)

    def _live_changed(self, change: dict) -> None:
        self.live.description, self.live.icon = ("Live", "pause") if change["new"] else ("Paused", "play")
        if change["new"]:
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        if not (self.live.value or force):
            return
        entries = self.service.timeline(self.function_name)
        picture = Picture.of(entries)
        end = time.time()
        start = end - WINDOWS[self.window.value]
        reserved = reserved_concurrency(self.service, self.function_name)
        html = timeline_svg(picture, start, end, now=end, reserved=reserved)
        if html != self.view.value:
            self.view.value = html
        in_window = [e for lane in picture.lanes for e in lane.invokes if e.end >= start]
        inits = sum(1 for lane in picture.lanes for e in lane.inits if e.end >= start)
        throttles = sum(1 for e in picture.throttles if e.start >= start)
        summary = (f"<div style='{FONT};font-size:13px'>Now: <b>{self.service.environments(self.function_name)}"
                   f"</b> execution environments, <b>{self.service.concurrent_executions(self.function_name)}</b> "
                   f"running. In this window: {len(in_window)} invokes, {inits} INITs (cold starts and re-INITs), "
                   f"{throttles} throttles. <span style='color:#5f6b7a'>Hover over a bar for its request; pause to "
                   "keep the picture still.</span></div>")
        if summary != self.summary.value:
            self.summary.value = summary
        recent = sorted((e for lane in picture.lanes for e in lane.invokes), key=lambda e: -e.end)[:SHOWN_IN_PICKER]
        lane_of = {lane.stream: lane.number for lane in picture.lanes}
        self._descriptions = {
            f"{clock(e.end)}  env {lane_of[e.lane]}  {outcome(e)}  {e.request_id}": describe(e) for e in recent}
        options = [NO_DETAILS, *self._descriptions]
        if tuple(options) != self.invoke.options:
            current = self.invoke.value
            self.invoke.options = options
            self.invoke.value = current if current in options else NO_DETAILS

    def _show_details(self) -> None:
        text = self._descriptions.get(self.invoke.value, "")
        self.details.value = f"<pre style='font-size:12px;margin:2px 0'>{escape(text)}</pre>" if text else ""
