"""CloudWatch metrics for functions (namespace AWS/Lambda): datapoints per function, metric and minute."""
from __future__ import annotations

import json
import math
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

PERIOD_S = 60
GB_SECONDS = "lambdanb:GBSeconds"  # billed compute per invocation, for the cost estimate
SAMPLES_KEPT = 1000  # per function, metric and minute: enough for percentiles, bounded in memory


@dataclass
class Datapoint:
    """The values of one metric over one period: kept as they came (statistics are worked out when read), and
    beyond SAMPLES_KEPT folded into running totals so that memory stays bounded."""

    timestamp: int  # start of the period, seconds since the epoch
    samples: list[float] = field(default_factory=list, repr=False)
    folded_count: int = 0
    folded_sum: float = 0.0
    folded_minimum: float = math.inf
    folded_maximum: float = -math.inf

    def add(self, value: float) -> None:
        if len(self.samples) < SAMPLES_KEPT:
            self.samples.append(value)
            return
        self.folded_count += 1
        self.folded_sum += value
        self.folded_minimum = min(self.folded_minimum, value)
        self.folded_maximum = max(self.folded_maximum, value)

    def extend(self, values: list[float]) -> None:
        """Many values at once (the invocations folded in together): as `add` for each, in one step."""
        room = SAMPLES_KEPT - len(self.samples)
        self.samples.extend(values[:room])
        rest = values[room:]
        if rest:
            self.folded_count += len(rest)
            self.folded_sum += math.fsum(rest)
            self.folded_minimum = min(self.folded_minimum, min(rest))
            self.folded_maximum = max(self.folded_maximum, max(rest))

    def merge(self, other: Datapoint) -> None:
        self.samples.extend(other.samples)
        self.folded_count += other.folded_count
        self.folded_sum += other.folded_sum
        self.folded_minimum = min(self.folded_minimum, other.folded_minimum)
        self.folded_maximum = max(self.folded_maximum, other.folded_maximum)

    @property
    def sample_count(self) -> int:
        return len(self.samples) + self.folded_count

    @property
    def sum(self) -> float:
        return math.fsum(self.samples) + self.folded_sum

    @property
    def minimum(self) -> float:
        return min(min(self.samples, default=math.inf), self.folded_minimum)

    @property
    def maximum(self) -> float:
        return max(max(self.samples, default=-math.inf), self.folded_maximum)

    @property
    def average(self) -> float:
        return self.sum / self.sample_count if self.sample_count else 0.0

    def statistic(self, name: str) -> float:
        if name.startswith("p"):  # percentiles from the values kept
            return percentile(self.samples, float(name[1:]))
        statistics: dict[str, Callable[[], float]] = {
            "Sum": lambda: self.sum, "Average": lambda: self.average, "Maximum": lambda: self.maximum,
            "Minimum": lambda: self.minimum, "SampleCount": lambda: self.sample_count}
        return statistics[name]()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(math.ceil(p / 100 * len(ordered)) - 1, 0)
    return ordered[min(rank, len(ordered) - 1)]


@dataclass(frozen=True)
class CustomMetric:
    """A metric a function published in Embedded Metric Format."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    unit: str


@dataclass
class InvocationFacts:
    """What one invocation measured, recorded as it is; its five metrics are derived when someone reads them."""

    function_name: str
    timestamp_s: float
    failed: bool
    duration_ms: float
    concurrency: int
    gb_seconds: float

    def metrics(self) -> tuple[tuple[str, float], ...]:
        return (("Invocations", 1), ("Errors", 1 if self.failed else 0), ("Duration", self.duration_ms),
                ("ConcurrentExecutions", self.concurrency), (GB_SECONDS, self.gb_seconds))


FOLD_AFTER = 1000  # invocations recorded before they are folded into datapoints even if nobody reads them


class MetricStore:
    """Datapoints by (function, metric), one per minute; custom metrics from EMF log lines beside them.

    An invocation's own metrics are recorded as one InvocationFacts and folded into datapoints in bulk, when
    someone reads them or when FOLD_AFTER have piled up: the invoke itself pays for one append."""

    def __init__(self) -> None:
        self._series: defaultdict[tuple[str, str], dict[int, Datapoint]] = defaultdict(dict)
        self._unfolded: list[InvocationFacts] = []
        self.custom: defaultdict[CustomMetric, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def put_embedded(self, output: str, timestamp_s: float) -> None:
        """Read Embedded Metric Format lines (as aws-lambda-powertools' Metrics prints them) into custom metrics."""
        for line in output.splitlines():
            document = _emf_document(line)
            if document is None:
                continue
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for dimension_set in directive.get("Dimensions") or [[]]:
                    dimensions = tuple((key, str(document.get(key, ""))) for key in dimension_set)
                    for metric in directive.get("Metrics", []):
                        values = document.get(metric.get("Name"))
                        values = values if isinstance(values, list) else [values]
                        key = CustomMetric(directive.get("Namespace", ""), metric.get("Name", ""), dimensions,
                                           metric.get("Unit", "None"))
                        with self._lock:
                            samples = self.custom[key]
                            samples.extend(float(v) for v in values if isinstance(v, (int, float)))
                            del samples[:-SAMPLES_KEPT]

    def record_invocation(self, facts: InvocationFacts) -> None:
        with self._lock:
            self._unfolded.append(facts)
            if len(self._unfolded) >= FOLD_AFTER:
                self._fold()

    def _fold(self) -> None:
        """The invocations recorded so far into their datapoints, grouped by function, metric and minute (called
        with the lock held)."""
        grouped: defaultdict[tuple[str, str, int], list[float]] = defaultdict(list)
        for facts in self._unfolded:
            minute = int(facts.timestamp_s // PERIOD_S * PERIOD_S)
            for metric, value in facts.metrics():
                grouped[(facts.function_name, metric, minute)].append(value)
        self._unfolded = []
        for (function_name, metric, minute), values in grouped.items():
            self._point(function_name, metric, minute).extend(values)

    def _point(self, function_name: str, metric: str, minute: int) -> Datapoint:
        """The metric's datapoint of that minute, made if missing (called with the lock held)."""
        series = self._series[(function_name, metric)]
        point = series.get(minute)
        if point is None:
            point = series[minute] = Datapoint(minute)
        return point

    def put(self, function_name: str, metric: str, value: float, timestamp_s: float) -> None:
        """One value of a metric that is not an invocation's (throttles, async events, iterator age ...)."""
        with self._lock:
            self._point(function_name, metric, int(timestamp_s // PERIOD_S * PERIOD_S)).add(value)

    def datapoints(self, function_name: str, metric: str) -> list[Datapoint]:
        with self._lock:
            if self._unfolded:
                self._fold()
            return sorted(self._series.get((function_name, metric), {}).values(), key=lambda d: d.timestamp)

    def total(self, function_name: str, metric: str, statistic: str = "Sum") -> float:
        """One statistic over all time, e.g. total Invocations or Duration p99."""
        points = self.datapoints(function_name, metric)
        if not points:
            return 0.0
        merged = Datapoint(points[0].timestamp)
        for point in points:
            merged.merge(point)
        return merged.statistic(statistic)

    def custom_metrics(self) -> list[tuple[CustomMetric, list[float]]]:
        with self._lock:
            return [(metric, list(values)) for metric, values in self.custom.items()]


def _emf_document(line: str) -> dict | None:
    line = line.strip()
    if not (line.startswith("{") and '"_aws"' in line):
        return None
    try:
        document = json.loads(line)
    except ValueError:
        return None
    metrics = document.get("_aws", {}).get("CloudWatchMetrics") if isinstance(document, dict) else None
    return document if isinstance(metrics, list) else None
