"""The Monitor tab: the function's metrics on one time window, live at one-second resolution or as CloudWatch's
one-minute statistics, and its cost as the AWS pricing calculator shows it."""
from __future__ import annotations

import time
from html import escape
from typing import TYPE_CHECKING

import ipywidgets as widgets

from ..arns import service_of
from .charts import FONT, Series, line_chart, number
from .timeline import per_second

if TYPE_CHECKING:
    from ..service.billing import CostEstimate
    from ..service.lambda_service import LambdaService

LIVE = "Live · last 2 min"
RESOLUTIONS = {LIVE: 120, "CloudWatch · last 15 min": 900, "CloudWatch · last 3 h": 10800}
TOOLTIPS = ["one point per second, worked out from the timeline while the console is open",
            "GetMetricStatistics: one datapoint per minute", "GetMetricStatistics: one datapoint per minute"]
# (title, metric, statistic, unit, what the figure beside the title adds up), as the Lambda console's Monitor shows
METRICS = (("Invocations", "Invocations", "Sum", "count", "invocations"),
           ("Errors", "Errors", "Sum", "count", "errors"), ("Throttles", "Throttles", "Sum", "count", "throttles"),
           ("Duration p50", "Duration", "p50", "ms", ""), ("Duration p99", "Duration", "p99", "ms", ""),
           ("Concurrent executions", "ConcurrentExecutions", "Maximum", "count", ""),
           ("Async event age", "AsyncEventAge", "Maximum", "ms", ""),
           ("Iterator age", "IteratorAge", "Maximum", "ms", ""))


def usd(amount: float) -> str:
    """Dollars as the AWS pricing calculator shows them: two decimals, and no pretending a fraction is nothing."""
    if 0 < amount < 0.005:
        return "0.00 USD (less than a cent)"
    return f"{amount:,.2f} USD"


def cost_html(estimate: CostEstimate) -> str:
    """The cost line: the total as the pricing calculator rounds it, then what it is made of."""
    return (f"<div style='font-size:13px;{FONT}' class='cost'><b>Cost estimate</b> (us-east-1, x86, this usage in a "
            f"month): <b>{usd(estimate.cost)}</b> for {estimate.requests:,} requests "
            f"({estimate.request_cost:,.2f} USD) and {estimate.gb_seconds:,.2f} GB-s of compute "
            f"({estimate.compute_cost:,.2f} USD); after the free tier ({estimate.free_tier_requests:,} requests and "
            f"{estimate.free_tier_gb_seconds:,.0f} GB-s a month): {usd(estimate.cost_after_free_tier)}</div>")


class MonitorPanel:
    def __init__(self, service: LambdaService, function_name: str) -> None:
        self.service = service
        self.function_name = function_name
        self.resolution = widgets.ToggleButtons(options=list(RESOLUTIONS), value=LIVE, tooltips=TOOLTIPS,
                                                style={"button_width": "190px"})
        self.charts = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.cost = widgets.HTML()
        self.resolution.observe(lambda change: self.refresh(), names="value")
        self.root = widgets.VBox([self.resolution, self.charts, self.cost])
        self.refresh()

    def series(self, end: float) -> tuple[list[Series], float]:
        """The charts' data and the window's start."""
        seconds = RESOLUTIONS[self.resolution.value]
        if self.resolution.value == LIVE:
            start = end - seconds
            streams = any(service_of(m["EventSourceArn"]) in ("kinesis", "dynamodb")
                          for m in self.service.list_event_source_mappings(self.function_name))
            return per_second(self.service.timeline(self.function_name), start, end, streams), start
        this_minute = int(end) // 60 * 60
        start = this_minute - seconds + 60
        minutes = range(int(start), this_minute + 60, 60)
        window = f"last {seconds // 60} min" if seconds < 3600 else f"last {seconds // 3600} h"
        series = []
        for title, metric, statistic, unit, noun in METRICS:
            found = {p["Timestamp"]: p[statistic] for p in self.service.get_metric_statistics(
                self.function_name, metric, statistic) if p["Timestamp"] >= start}
            if statistic == "Sum":  # a minute without invocations counts 0; other statistics have gaps
                points = [(float(m), found.get(m, 0.0)) for m in minutes]
                summary = f"{window}: {number(sum(found.values()))} {noun}"
            else:
                points = sorted((float(m), v) for m, v in found.items())
                summary = f"{window}: highest minute {number(max(found.values()))} {unit}" if found \
                    else f"{window}: no data"
            series.append(Series(title, unit, points, 60, summary))
        return series, start

    def refresh(self) -> None:
        end = time.time()
        series, start = self.series(end)
        note = ("one point per second, worked out from the timeline while the console is open" if
                self.resolution.value == LIVE else "one datapoint per minute, as GetMetricStatistics returns them")
        pictures = "".join(line_chart(s, start, end, share="calc(50% - 16px)") for s in series)
        charts = (f"<div class='lambdanb-monitor' style='{FONT}'>{pictures}"
                  + f"<div style='font-size:11px;color:#5f6b7a;{FONT}'>{escape(note)}; times are the kernel's "
                  f"local time ({time.strftime('%Z')}). Hover over a point for its value.</div></div>")
        if charts != self.charts.value:
            self.charts.value = charts
        cost = cost_html(self.service.get_cost(self.function_name))
        if cost != self.cost.value:
            self.cost.value = cost
