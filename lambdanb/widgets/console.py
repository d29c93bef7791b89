"""The Lambda console of one function in the notebook: Test, Environments, Async queue, Logs, Monitor and
Configuration tabs, kept live, with a static picture of itself for notebooks read without a kernel."""
from __future__ import annotations

import threading
import time
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import ResourceNotFoundException
from ..log import problem
from .charts import clock
from .config_panel import ConfigPanel
from .environments_panel import EnvironmentsPanel
from .lanes import Timeline
from .logs_panel import LogsPanel
from .monitor_panel import MonitorPanel
from .queue_panel import QueuePanel
from .test_panel import TestPanel

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

TITLES = ("Test", "Environments", "Async queue", "Logs", "Monitor", "Configuration")


class Console:
    """One panel per tab; a single background thread refreshes them while the console is open."""

    def __init__(self, service: LambdaService, function_name: str, refresh_seconds: float = 1.0) -> None:
        self.service = service
        self.function_name = function_name
        self.test = TestPanel(service, function_name)
        self.environments = EnvironmentsPanel(service, function_name)
        self.queue = QueuePanel(service, function_name)
        self.logs = LogsPanel(service, function_name)
        self.monitor = MonitorPanel(service, function_name)
        self.configuration = ConfigPanel(service, function_name)
        self.panels = (self.test, self.environments, self.queue, self.logs, self.monitor, self.configuration)
        self.tabs = widgets.Tab(children=[panel.root for panel in self.panels], titles=TITLES)
        self.arn = service.get_function(function_name).arn
        self.deleted_at: float | None = None
        self.title = widgets.HTML(self._title_html())
        self.close_button = widgets.Button(description="Close", icon="times", layout=widgets.Layout(width="90px"))
        self.close_button.on_click(lambda _: self.close())
        self.root = widgets.VBox([widgets.HBox([self.title, self.close_button]), self.tabs])
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, args=(refresh_seconds,), daemon=True,
                                        name=f"lambdanb-console-{function_name}")
        self._ticker.start()

    def refresh(self) -> None:
        for panel in self.panels:
            panel.refresh()

    def _tick(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self._refresh_or_finish()
            except Exception as error:  # keep refreshing; say what went wrong once
                problem(f"the console of {self.function_name}", error)

    def _refresh_or_finish(self) -> None:
        if self.deleted_at is None:
            try:
                self.refresh()
                return
            except ResourceNotFoundException:
                self._noticed_deletion()
        self._draw_last_moments()

    def _noticed_deletion(self) -> None:
        self.deleted_at = time.time()
        self.title.value = self._title_html()

    def _draw_last_moments(self) -> None:
        """The function was deleted: the views drawn from its timeline (environments retired, queued events
        dropped with their end marks) are drawn until its queue and environments are gone; then the console stops."""
        try:
            self.environments.refresh()
            self.queue.refresh()
            status = self.service.async_queue_status(self.function_name)
            going_on = status.waiting + status.retrying + status.in_flight
        except ResourceNotFoundException:  # it never had an async event
            going_on = 0
        if not going_on + self.service.environments(self.function_name):
            self._stop.set()

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        """Stop the refresh thread and close every widget of the console."""
        self._stop.set()
        if self._ticker is not threading.current_thread():
            self._ticker.join(5)
        _close_tree(self.root)

    def snapshot(self) -> Snapshot:
        """The console as it is now, as a static picture (HTML and SVG) that stays in the saved notebook."""
        if self.deleted_at is None:
            try:
                self.refresh()
            except ResourceNotFoundException:  # deleted before the console's thread noticed
                self._noticed_deletion()
        timeline = Timeline(self.service, self.function_name)  # its window fits what happened
        sections = [("Environments", self.environments.summary.value + timeline.svg()),
                    ("Async queue", self.queue.counts.value + timeline.async_events_svg()),
                    ("Monitor", self.monitor.charts.value + self.monitor.cost.value),
                    ("Logs", self.logs.html())]
        if self.test.result.value:
            sections.insert(0, ("Test: execution result", self.test.result.value))
        body = "".join(f"<h4 style='margin:12px 0 4px'>{escape(title)}</h4>{html}" for title, html in sections)
        return Snapshot(f"<div class='lambdanb-console-snapshot'>{self._title_html()}{body}</div>")

    def _title_html(self) -> str:
        deleted = "" if self.deleted_at is None else (
            f" <b style='color:#d13212'>deleted at {clock(self.deleted_at)}: this console stopped</b>")
        return (f"<div><b>λ {escape(self.function_name)}</b> <span style='color:#777'>{escape(self.arn)}</span>"
                f"{deleted}</div>")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The live widget, and beside it (for GitHub, nbviewer and nbconvert, which run no kernel) the console's
        picture when it was shown."""
        bundle = self.root._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.snapshot()._repr_html_()
        bundle["text/plain"] = f"<lambdanb console of {self.function_name}>"
        return bundle


class Snapshot:
    """Static HTML of a console, displayable anywhere."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html


def _close_tree(widget: widgets.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
