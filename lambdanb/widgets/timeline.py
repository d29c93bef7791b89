"""A function's timeline, worked out from the service's raw entries when it is read: one lane per execution
environment (its INITs, invokes and retirement), throttles, concurrency over time, each async event's way through
the internal queue, and the Monitor's one-second statistics."""
from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..records import TimelineEntry
from ..service.metrics import percentile
from .charts import Series, number, precise

_DURATION = re.compile(r"Duration: ([0-9.]+) ms")


def outcome(entry: TimelineEntry) -> str:
    """How an invoke ended: success, function error, timeout, out of memory or crash (read from its REPORT)."""
    if not entry.outcome:
        return "success"
    if "Status: timeout" in entry.report:
        return "timeout"
    if "Runtime.OutOfMemory" in entry.report:
        return "out of memory"
    if "Runtime.ExitError" in entry.report:
        return "crash"
    return "function error"


def request_kind(entry: TimelineEntry) -> str:
    """sync, async or event source: how the invoke was asked for."""
    if entry.source.startswith("event-source"):
        return "event source"
    return "async" if entry.invocation_type == "Event" else "sync"


def describe(entry: TimelineEntry) -> str:
    """The invoke as its hover says it: request id, how it was asked for, when, how long, and its REPORT."""
    kind = request_kind(entry)
    how = {"sync": "synchronous (RequestResponse)", "event source": "event-source batch (synchronous)",
           "async": f"asynchronous (Event), attempt {entry.attempt}"}[kind]
    report = "\n  ".join(entry.report.rstrip("\t").split("\t"))
    return (f"{outcome(entry)}: {entry.request_id}\n{how}, from {entry.source}\n"
            f"{precise(entry.start)} → {precise(entry.end)} ({(entry.end - entry.start) * 1000:,.0f} ms)\n{report}")


def duration_ms(entry: TimelineEntry) -> float | None:
    found = _DURATION.search(entry.report)
    return float(found.group(1)) if found else None


@dataclass
class Lane:
    """One execution environment and what happened in it."""

    number: int
    stream: str
    version: str
    inits: list[TimelineEntry] = field(default_factory=list)
    invokes: list[TimelineEntry] = field(default_factory=list)
    retired: TimelineEntry | None = None

    @property
    def busy(self) -> list[tuple[float, float]]:
        """When it was taken for something (an invoke, with its INIT if it had one, or a provisioned INIT): what
        concurrency counts."""
        return sorted([(e.start, e.end) for e in self.inits if not e.request_id]
                      + [(e.start, e.end) for e in self.invokes])


@dataclass
class Picture:
    """The timeline of a function worked out from its entries: lanes, throttles, and async events."""

    lanes: list[Lane]
    throttles: list[TimelineEntry]
    events: dict[str, list[TimelineEntry]]  # async request id -> its entries (queued, attempts, retries, end)

    @classmethod
    def of(cls, entries: Iterable[TimelineEntry]) -> Picture:
        lanes: dict[str, Lane] = {}
        throttles: list[TimelineEntry] = []
        events: dict[str, list[TimelineEntry]] = {}
        for entry in sorted(entries, key=lambda e: e.start):
            if entry.lane:
                lane = lanes.get(entry.lane)
                if lane is None:
                    lane = lanes[entry.lane] = Lane(len(lanes) + 1, entry.lane, entry.version)
                if entry.kind == "init":
                    lane.inits.append(entry)
                elif entry.kind == "invoke":
                    lane.invokes.append(entry)
                elif entry.kind == "retire":
                    lane.retired = entry
            elif entry.kind == "throttle":
                throttles.append(entry)
            if entry.invocation_type == "Event" and entry.request_id and entry.kind != "init":
                events.setdefault(entry.request_id, []).append(entry)
        return cls(list(lanes.values()), throttles, events)

    def concurrency(self) -> list[tuple[float, float]]:
        """Environments busy at each moment something started or ended: (time, count) steps."""
        changes = sorted([(start, 1) for lane in self.lanes for start, _ in lane.busy]
                         + [(end, -1) for lane in self.lanes for _, end in lane.busy])
        steps: list[tuple[float, float]] = []
        level = 0
        for t, change in changes:
            level += change
            if steps and steps[-1][0] == t:
                steps[-1] = (t, level)
            else:
                steps.append((t, level))
        return steps

    def peaks(self, start: float, end: float, period: float) -> list[tuple[float, float]]:
        """The most environments busy at once in each `period` from start to end, where it changes: the steps of a
        concurrency chart, no more of them than it can show."""
        steps = self.concurrency()
        i, level = 0, 0.0
        while i < len(steps) and steps[i][0] <= start:
            level = steps[i][1]
            i += 1
        points: list[tuple[float, float]] = []
        for k in range(max(1, math.ceil((end - start) / period))):
            bucket_end, peak = start + (k + 1) * period, level
            while i < len(steps) and steps[i][0] < bucket_end:
                level = steps[i][1]
                peak = max(peak, level)
                i += 1
            if not points or points[-1][1] != peak:
                points.append((start + k * period, peak))
        return points

    def span(self) -> tuple[float, float]:
        moments = [e.start for lane in self.lanes for e in lane.inits + lane.invokes] + \
                  [e.start for e in self.throttles] + [e[0].start for e in self.events.values()]
        ends = [e.end for lane in self.lanes for e in lane.invokes] + [e[-1].end for e in self.events.values()]
        if not moments:
            now = time.time()
            return now - 60, now
        return min(moments), max([*ends, *moments])


def per_second(entries: Sequence[TimelineEntry], start: float, end: float, streams: bool = False) -> list[Series]:
    """The Monitor's live charts at one-second resolution, worked out from the timeline; with `streams` (the
    function reads a Kinesis or DynamoDB stream) also the iterator age."""
    seconds = range(int(start), int(end) + 1)
    invokes = [e for e in entries if e.kind == "invoke" and start - 1 <= e.end <= end + 1]
    counts: dict[str, dict[int, float]] = {"Invocations": {}, "Errors": {}, "Throttles": {}}
    durations: dict[int, list[float]] = {}
    for entry in invokes:
        second = int(entry.end)
        counts["Invocations"][second] = counts["Invocations"].get(second, 0) + 1
        if entry.outcome:
            counts["Errors"][second] = counts["Errors"].get(second, 0) + 1
        measured = duration_ms(entry)
        if measured is not None:
            durations.setdefault(second, []).append(measured)
    for entry in entries:
        if entry.kind == "throttle" and start - 1 <= entry.start <= end:
            counts["Throttles"][int(entry.start)] = counts["Throttles"].get(int(entry.start), 0) + 1
    window = f"last {_span_words(end - start)}"
    series = []
    for title, unit, noun in (("Invocations", "count", "invocations"), ("Errors", "count", "errors"),
                              ("Throttles", "count", "throttles")):
        points = [(float(s), counts[title].get(s, 0.0)) for s in seconds]
        total = sum(v for _, v in points)
        series.append(Series(title, unit, points, 1, f"{window}: {number(total)} {noun}"))
    all_durations = [d for values in durations.values() for d in values]
    for statistic in (50, 99):
        points = [(float(s), percentile(durations[s], statistic)) for s in seconds if s in durations]
        summary = f"{window}: p{statistic} {number(percentile(all_durations, statistic))} ms" if all_durations \
            else f"{window}: no invocations"
        series.append(Series(f"Duration p{statistic}", "ms", points, 1, summary))
    picture = Picture.of(entries)
    shown = picture.peaks(start, end, 1)
    highest = max((v for _, v in shown), default=0)
    series.append(Series("Concurrent executions", "count", shown, 1, f"{window}: at most {number(highest)}",
                         step=True))
    ages: dict[int, float] = {}  # the oldest event taken from the queue each second, as AsyncEventAge
    for steps in picture.events.values():
        for entry in steps[1:] if steps[0].kind == "queued" else ():
            if entry.kind == "invoke" and start - 1 <= entry.start <= end:
                second = int(entry.start)
                ages[second] = max(ages.get(second, 0.0), (entry.start - steps[0].start) * 1000)
    oldest = f"{window}: at most {number(max(ages.values()))} ms" if ages else f"{window}: no async events"
    series.append(Series("Async event age", "ms", sorted((float(s), v) for s, v in ages.items()), 1, oldest))
    if streams:
        series.append(_iterator_ages(entries, start, end, window))
    return series


def _iterator_ages(entries: Sequence[TimelineEntry], start: float, end: float, window: str) -> Series:
    """The oldest last record of a stream batch the function had each second, as IteratorAge's Maximum."""
    ages: dict[int, float] = {}
    for entry in entries:
        if entry.kind == "batch" and start - 1 <= entry.end <= end:
            second = int(entry.end)
            ages[second] = max(ages.get(second, 0.0), (entry.end - entry.start) * 1000)
    summary = f"{window}: at most {number(max(ages.values()))} ms" if ages else f"{window}: no stream batches"
    return Series("Iterator age", "ms", sorted((float(s), v) for s, v in ages.items()), 1, summary)


def _span_words(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 120 else f"{seconds:.0f} s"
