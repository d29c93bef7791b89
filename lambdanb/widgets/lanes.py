"""The timeline drawn in SVG: lanes of environments with their invokes by outcome, idle time, resets and retirement,
throttles, concurrency beneath, and a row per async event; lambdanb.timeline("fn") shows it in a notebook."""
from __future__ import annotations

import time
from html import escape
from typing import TYPE_CHECKING, Any

from ..errors import ResourceNotFoundException
from ..records import TimelineEntry
from .charts import AXIS, BLUE, FONT, GRID, INK, Series, TimeAxis, line_chart, number, precise, svg_document
from .timeline import Lane, Picture, describe, outcome, request_kind

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

OUTCOME_COLORS = {"success": "#2e8540", "function error": "#d13212", "timeout": "#ec7211",
                  "out of memory": "#a3239b", "crash": "#16191f"}
TYPE_COLORS = {"sync": BLUE, "async": "#8d5cd6", "event source": "#00a1c9"}
INIT_COLOR, IDLE_COLOR, THROTTLE_COLOR, QUEUE_COLOR = "#b4bcc6", "#c6ccd3", "#d13212", "#e9c46a"
RETRIED_COLOR = "#ec7211"  # an async throttle: the queue tries again
RESETS = ("timeout", "out of memory", "crash")
ROW, LABEL_WIDTH, WIDTH, RIGHT = 22, 150, 980, 26
TICKS = 12  # times on the axis, the same for the lanes and the concurrency beneath them
MARK_SPACE = 22  # pixels a throttle mark with its number takes


def timeline_svg(picture: Picture, start: float, end: float, now: float | None = None,
                 reserved: int | None = None) -> str:
    """The environments as lanes over [start, end], sync and async throttles on rows of their own, concurrency
    beneath on the same time axis."""
    now = time.time() if now is None else now
    axis = TimeAxis(start, end, LABEL_WIDTH, WIDTH - LABEL_WIDTH - RIGHT)
    lanes = [lane for lane in picture.lanes if _lane_visible(lane, start)]
    top = 6
    rows_bottom = top + ROW * (max(len(lanes), 1) + 2)  # two throttle rows, and a row saying there is no lane
    parts = [axis.svg(top, rows_bottom, most=TICKS)]
    throttles = [e for e in picture.throttles if start <= e.start <= end]
    y = top
    for retried, label, hover, color in (
            (False, "Throttled, sync", "requests refused: 429 TooManyRequestsException to the caller",
             THROTTLE_COLOR),
            (True, "Throttled, async", "async events refused for now: the internal queue tries them again later",
             RETRIED_COLOR)):
        row = [e for e in throttles if (e.invocation_type == "Event") == retried]
        parts.append(_row_label(y, f"{label} ({len(row)})", hover, color))
        parts += [_throttle_mark(group, axis, y, retried) for group in _close_together(row, axis)]
        y += ROW
    for lane in lanes:
        parts.append(_lane_svg(lane, axis, y, now))
        y += ROW
    if not lanes:
        parts.append(f"<text x='{axis.left + axis.width / 2}' y='{y + 15}' text-anchor='middle' "
                     f"font-size='11' fill='{AXIS}'>no execution environment in this window</text>")
    height = rows_bottom + 24
    svg = svg_document(WIDTH, height, "lambdanb-timeline", "".join(parts))
    period = (end - start) / 400  # about two pixels
    shown = picture.peaks(start, end, period)
    highest = max((v for _, v in shown), default=0)
    chart = line_chart(Series("Concurrent executions", "count", shown, period,
                              f"in this window: at most {number(highest)}", step=True),
                       start, end, width=WIDTH, height=130, left=LABEL_WIDTH, ticks=TICKS,
                       reference=(reserved, f"reserved concurrency {reserved}") if reserved else None)
    return svg + chart


def _close_together(throttles: list[TimelineEntry], axis: TimeAxis) -> list[list[TimelineEntry]]:
    """Throttles too close to draw apart (a mark and its number take MARK_SPACE pixels): one mark per group."""
    groups: list[list[TimelineEntry]] = []
    for entry in sorted(throttles, key=lambda e: e.start):
        if groups and axis.x(entry.start) - axis.x(groups[-1][0].start) < MARK_SPACE:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def _throttle_mark(group: list[TimelineEntry], axis: TimeAxis, y: float, retried: bool) -> str:
    """Throttles within a few pixels of each other: one mark, with their number when there are several."""
    first = group[0]
    x = axis.x(first.start)
    color = RETRIED_COLOR if retried else THROTTLE_COLOR
    fate = ("async: the internal queue retries them later" if retried
            else "sync: 429 TooManyRequestsException returned to the caller")
    reason = first.outcome.rsplit("Reason: ", 1)[-1].rstrip(")")
    listed = "\n".join(f"  {e.request_id} ({e.source}{f', attempt {e.attempt}' if retried else ''})"
                       for e in group[:10]) + (f"\n  and {len(group) - 10} more" if len(group) > 10 else "")
    count = (f"<text x='{x + 6:.1f}' y='{y + 15}' font-size='10' fill='{color}'>{len(group)}</text>"
             if len(group) > 1 else "")
    return (f"<g class='throttle {'retried' if retried else 'refused'}' data-count='{len(group)}'><title>"
            f"{len(group)} throttled at {precise(first.start)}: {escape(reason)}\n{fate}\n{escape(listed)}</title>"
            f"<path d='M{x - 4:.1f},{y + 5} l8,10 m0,-10 l-8,10' stroke='{color}' stroke-width='2'/>{count}</g>")


def _lane_visible(lane: Lane, start: float) -> bool:
    return lane.retired is None or lane.retired.start >= start


def _row_label(y: float, text: str, hover: str, color: str = INK) -> str:
    return (f"<text x='4' y='{y + 15}' font-size='11' fill='{color}' class='lane-label'><title>{escape(hover)}"
            f"</title>{escape(text)}</text><line x1='{LABEL_WIDTH}' x2='{WIDTH - RIGHT}' y1='{y + ROW}' "
            f"y2='{y + ROW}' stroke='{GRID}'/>")


def _lane_svg(lane: Lane, axis: TimeAxis, y: float, now: float) -> str:
    parts = ["<g class='lane'>", _row_label(y, f"env {lane.number} ({lane.version})", lane.stream)]
    middle = y + ROW / 2
    born = lane.inits[0].start if lane.inits else (lane.invokes[0].start if lane.invokes else now)
    until = lane.retired.start if lane.retired else now
    parts.append(f"<line x1='{axis.x(born):.1f}' x2='{axis.x(until):.1f}' y1='{middle}' y2='{middle}' "
                 f"stroke='{IDLE_COLOR}' stroke-width='2' stroke-dasharray='2 2'><title>env {lane.number}: idle "
                 "and warm between invokes</title></line>")
    init_ends = {e.request_id: e.end for e in lane.inits if e.request_id}
    for number_of_init, entry in enumerate(lane.inits):
        if entry.end < axis.start:
            continue
        label = "INIT" if number_of_init == 0 else "re-INIT after a reset"
        failed = f", failed: {entry.outcome}" if entry.outcome else ""
        parts.append(_bar(axis, entry.start, entry.end, y + 4, ROW - 8, INIT_COLOR,
                          f"{label} of env {lane.number}{failed}\n{precise(entry.start)} → {precise(entry.end)} "
                          f"({(entry.end - entry.start) * 1000:,.0f} ms)", "init"))
    for group in _runs([e for e in lane.invokes if e.end >= axis.start and e.start <= axis.end], axis):
        first, last = group[0], group[-1]
        begins = max(first.start, init_ends.get(first.request_id, first.start))
        result, kind = outcome(first), request_kind(first)
        hover = describe(first) if len(group) == 1 else (
            f"{len(group)} invokes, {result}, {kind}: {precise(first.start)} → {precise(last.end)}\n"
            "too close together to draw apart here: a shorter window shows each; the list below has their REPORTs")
        parts.append(_bar(axis, begins, last.end, y + 4, ROW - 8, OUTCOME_COLORS[result], hover,
                          f"invoke {result.replace(' ', '-')}", TYPE_COLORS[kind], len(group)))
        if result in RESETS:
            x = axis.x(entry.end)
            parts.append(f"<text x='{x + 2:.1f}' y='{y + 15}' font-size='12' fill='{INK}' class='reset'>"
                         f"<title>reset: the environment's process was stopped after a {result}; the next invoke "
                         f"runs INIT again</title>↺</text>")
    if lane.retired is not None:
        x = axis.x(lane.retired.start)
        parts.append(f"<rect x='{x - 1:.1f}' y='{y + 3}' width='3' height='{ROW - 6}' fill='{INK}' class='retire'>"
                     f"<title>env {lane.number} retired at {precise(lane.retired.start)}: "
                     f"{escape(lane.retired.outcome)}</title></rect>")
    parts.append("</g>")
    return "".join(parts)


def _runs(invokes: list[TimelineEntry], axis: TimeAxis) -> list[list[TimelineEntry]]:
    """Invokes of one lane in runs that look alike (outcome and kind) and lie within a few pixels of each other:
    one bar each, so that thousands of invokes stay a small picture."""
    runs: list[list[TimelineEntry]] = []
    for entry in invokes:
        run = runs[-1] if runs else None
        if (run is not None and axis.x(entry.start) - axis.x(run[-1].end) < 2 and axis.x(entry.end) -
                axis.x(entry.start) < 3 and (outcome(entry), request_kind(entry)) ==
                (outcome(run[-1]), request_kind(run[-1]))):
            run.append(entry)
        else:
            runs.append([entry])
    return runs


def _bar(axis: TimeAxis, start: float, end: float, y: float, height: float, color: str, hover: str,
         css: str, band: str | None = None, count: int = 1) -> str:
    x = axis.x(start)
    width = max(axis.x(end) - x, 2.0)  # a 1 ms invoke stays visible
    band_svg = f"<rect x='{x:.1f}' y='{y}' width='{width:.1f}' height='3' fill='{band}'/>" if band else ""
    return (f"<g class='{css}' data-count='{count}'><title>{escape(hover)}</title><rect x='{x:.1f}' y='{y}' "
            f"width='{width:.1f}' height='{height}' fill='{color}' rx='1.5'/>{band_svg}</g>")


def legend_html() -> str:
    swatch = "display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle"
    items = [(INIT_COLOR, "INIT")] + [(c, o) for o, c in OUTCOME_COLORS.items()]
    bands = [(c, f"{k} (top band)") for k, c in TYPE_COLORS.items()]
    entries = [f"<span style='{swatch};background:{c}'></span>{escape(t)}" for c, t in items + bands]
    entries += [f"<span style='color:{THROTTLE_COLOR}'>✕</span> throttled, sync (429)",
                f"<span style='color:{RETRIED_COLOR}'>✕</span> throttled, async (retried)",
                "↺ reset", "▮ retired", f"<span style='color:{AXIS}'>- - idle</span>"]
    html = "".join(f"<span style='white-space:nowrap;margin-right:14px;display:inline-block'>{e}</span>"
                   for e in entries)
    return f"<div style='font-size:12px;{FONT};color:{INK};margin:2px 0 6px'>{html}</div>"


def async_events_svg(picture: Picture, start: float, end: float, now: float | None = None, most: int = 40) -> str:
    """One thin row per async event: waiting in the queue, its attempts by outcome, retry waits, and its end."""
    now = time.time() if now is None else now
    shown = [(rid, entries) for rid, entries in picture.events.items()
             if entries[-1].end >= start or not _ended(entries)][-most:]
    row, top = 14, 6
    axis = TimeAxis(start, end, LABEL_WIDTH, WIDTH - LABEL_WIDTH - RIGHT)
    bottom = top + row * max(len(shown), 1)
    parts = [axis.svg(top, bottom)]
    if not shown:
        parts.append(f"<text x='{axis.left + axis.width / 2}' y='{top + 10}' text-anchor='middle' font-size='11' "
                     f"fill='{AXIS}'>no async event in this window</text>")
    for index, (request_id, entries) in enumerate(shown):
        y = top + index * row
        parts.append(f"<text x='4' y='{y + 10}' font-size='10' fill='{INK}' class='event-label'><title>"
                     f"{request_id}</title>{request_id[:8]}</text>")
        parts.append(_event_svg(entries, axis, y, row, now))
    height = bottom + 24
    return svg_document(WIDTH, height, "lambdanb-async", "".join(parts))


def _ended(entries: list[TimelineEntry]) -> bool:
    return entries[-1].kind == "ended"


def _event_svg(entries: list[TimelineEntry], axis: TimeAxis, y: float, row: float, now: float) -> str:
    parts = []
    waiting_since = entries[0].start if entries[0].kind == "queued" else None
    ended_at = entries[-1].end if _ended(entries) else None  # a retry planned after the end never came
    for entry in entries:
        if entry.kind == "invoke" or entry.kind == "throttle":
            if waiting_since is not None:
                parts.append(_bar(axis, waiting_since, entry.start, y + 5, 4, QUEUE_COLOR,
                                  f"waiting in the internal queue {entry.start - waiting_since:.1f} s", "waiting"))
                waiting_since = None
            if entry.kind == "invoke":
                parts.append(_bar(axis, entry.start, entry.end, y + 2, row - 4, OUTCOME_COLORS[outcome(entry)],
                                  describe(entry), "attempt"))
            else:
                x = axis.x(entry.start)
                parts.append(f"<path d='M{x - 3:.1f},{y + 3} l6,8 m0,-8 l-6,8' stroke='{THROTTLE_COLOR}' "
                             f"stroke-width='1.5' class='throttle'><title>attempt {entry.attempt} throttled at "
                             f"{precise(entry.start)}</title></path>")
        elif entry.kind == "retry":
            until = entry.end if ended_at is None else min(entry.end, ended_at)
            parts.append(f"<line x1='{axis.x(entry.start):.1f}' x2='{axis.x(until):.1f}' y1='{y + 7}' "
                         f"y2='{y + 7}' stroke='#ec7211' stroke-width='2' stroke-dasharray='4 2' class='retry'>"
                         f"<title>{escape(entry.outcome)}: retried after {entry.end - entry.start:g} s (at "
                         f"{precise(entry.end)})</title></line>")
            waiting_since = entry.end
        elif entry.kind == "ended":
            ok = entry.outcome.startswith("succeeded")
            mark, color = ("✓", OUTCOME_COLORS["success"]) if ok else (
                ("✗", THROTTLE_COLOR) if "dropped" in entry.outcome else ("➜", "#ec7211"))
            parts.append(f"<text x='{axis.x(entry.end) + 2:.1f}' y='{y + 11}' font-size='11' fill='{color}' "
                         f"class='ended'><title>{escape(entry.outcome)} after {entry.attempt} attempt(s)</title>"
                         f"{mark}</text>")
    if waiting_since is not None and waiting_since < now:
        parts.append(_bar(axis, waiting_since, now, y + 5, 4, QUEUE_COLOR, "waiting in the internal queue", "waiting"))
    return "".join(parts)


def reserved_concurrency(service: LambdaService, function_name: str) -> int | None:
    """The function's reserved concurrency, or None (none set, or the function deleted: its timeline stays)."""
    try:
        return service.get_function_concurrency(function_name).get("ReservedConcurrentExecutions")
    except ResourceNotFoundException:
        return None


class Timeline:
    """A function's timeline at one moment, for a notebook: shows as SVG, and stays in the saved notebook."""

    def __init__(self, service: LambdaService, function_name: str, seconds: float | None = None) -> None:
        entries = service.timeline(function_name)
        self.function_name = function_name
        self.picture = Picture.of(entries)
        first, last = self.picture.span()
        self.now = time.time()  # what still waits or idles is drawn up to now, not to the window's end
        self.end = max(last, first + 10) + 0.5
        self.start = self.end - seconds if seconds else max(first - 0.5, self.end - 900)
        self.reserved = reserved_concurrency(service, function_name)

    def svg(self) -> str:
        lanes = timeline_svg(self.picture, self.start, self.end, now=self.now, reserved=self.reserved)
        return f"<div class='lambdanb-timeline-view'>{legend_html()}{lanes}</div>"

    def async_events_svg(self) -> str:
        """The async events' rows over the same window."""
        return async_events_svg(self.picture, self.start, self.end, now=self.now)

    def _repr_html_(self) -> str:
        title = (f"<div style='{FONT};font-size:14px;color:{INK}'><b>λ {escape(self.function_name)}</b>: "
                 f"{len(self.picture.lanes)} execution environments, {len(self.picture.throttles)} throttles</div>")
        return title + self.svg()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        return (f"<timeline of {self.function_name}: {len(self.picture.lanes)} environments, "
                f"{sum(len(lane.invokes) for lane in self.picture.lanes)} invokes, "
                f"{len(self.picture.throttles)} throttles>")
