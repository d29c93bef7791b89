"""The Lambda console of one function in the notebook: Test, Logs, Monitor and Configuration tabs, kept live."""
from __future__ import annotations

import threading
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import ResourceNotFoundException
from ..log import problem
from .config_panel import ConfigPanel
from .logs_panel import LogsPanel
from .monitor_panel import MonitorPanel
from .test_panel import TestPanel

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService


class Console:
    """One panel per tab; a single background thread refreshes Logs, Monitor and Configuration while it is open."""

    def __init__(self, service: LambdaService, function_name: str, refresh_seconds: float = 1.0) -> None:
        service.get_function(function_name)  # a clear error for an unknown function, before any widget
        self.service = service
        self.function_name = function_name
        self.test = TestPanel(service, function_name)
        self.logs = LogsPanel(service, function_name)
        self.monitor = MonitorPanel(service, function_name)
        self.configuration = ConfigPanel(service, function_name)
        self.tabs = widgets.Tab(children=[self.test.root, self.logs.root, self.monitor.root,
                                          self.configuration.root],
                                titles=("Test", "Logs", "Monitor", "Configuration"))
        title = widgets.HTML(f"<b>λ {escape(function_name)}</b> <span style='color:#777'>"
                             f"{escape(service.get_function(function_name).arn)}</span>")
        self.close_button = widgets.Button(description="Close", icon="times", layout=widgets.Layout(width="90px"))
        self.close_button.on_click(lambda _: self.close())
        self.root = widgets.VBox([widgets.HBox([title, self.close_button]), self.tabs])
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, args=(refresh_seconds,), daemon=True,
                                        name=f"lambdanb-console-{function_name}")
        self._ticker.start()

    def refresh(self) -> None:
        for panel in (self.test, self.logs, self.monitor, self.configuration):
            panel.refresh()

    def _tick(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self.refresh()
            except ResourceNotFoundException:
                self.close()  # the function went away: nothing left to watch
                return
            except Exception as error:  # keep refreshing; say what went wrong once
                problem(f"the console of {self.function_name}", error)

    @property
    def closed(self) -> bool:
        return self._stop.is_set()

    def close(self) -> None:
        """Stop the refresh thread and close every widget of the console."""
        self._stop.set()
        if self._ticker is not threading.current_thread():
            self._ticker.join(5)
        _close_tree(self.root)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)


def _close_tree(widget: widgets.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
