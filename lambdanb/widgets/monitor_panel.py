"""The Monitor tab: live charts of the function's metrics, per minute, and its cost estimate."""
from __future__ import annotations

import time
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .charts import sparkline

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

# (title, metric, statistic, unit) as the Lambda console's Monitor tab shows them
CHARTS = (("Invocations", "Invocations", "Sum", ""), ("Errors", "Errors", "Sum", ""),
          ("Duration p50", "Duration", "p50", " ms"), ("Duration p99", "Duration", "p99", " ms"),
          ("Throttles", "Throttles", "Sum", ""), ("Concurrent executions", "ConcurrentExecutions", "Maximum", ""),
          ("Iterator age", "IteratorAge", "Maximum", " ms"), ("Async event age", "AsyncEventAge", "Maximum", " ms"))
MINUTES_SHOWN = 15


class MonitorPanel:
    def __init__(self, service: LambdaService, function_name: str) -> None:
        self.service = service
        self.function_name = function_name
        self.charts = widgets.HTML()
        self.cost = widgets.HTML()
        self.root = widgets.VBox([self.charts, self.cost])
        self.refresh()

    def refresh(self) -> None:
        this_minute = int(time.time()) // 60 * 60
        minutes = range(this_minute - (MINUTES_SHOWN - 1) * 60, this_minute + 60, 60)
        html = []
        for title, metric, statistic, unit in CHARTS:
            found = {p["Timestamp"]: p[statistic] for p in self.service.get_metric_statistics(
                self.function_name, metric, statistic) if p["Timestamp"] >= minutes[0]}
            if statistic == "Sum" and found:  # a minute without invocations counts 0; other statistics have gaps
                points = [(minute, found.get(minute, 0.0)) for minute in minutes]
            else:
                points = sorted(found.items())
            html.append(sparkline(title, points, unit))
        charts = "<div>" + "".join(html) + "<div style='font-size:11px;color:#777'>one point per minute, " \
                 f"last {MINUTES_SHOWN} minutes</div></div>"
        if charts != self.charts.value:
            self.charts.value = charts
        estimate = self.service.get_cost(self.function_name)
        cost = f"<div style='font-size:12px'><b>Cost estimate</b> {escape(str(estimate))}</div>"
        if cost != self.cost.value:
            self.cost.value = cost
