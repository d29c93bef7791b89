"""SVG charts for the console (time axes, line and step charts with grid, units and hover values): plain markup,
so the same picture is live in a widget and stays in a saved notebook with no lab extension."""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = 'font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;line-height:1.4'
INK, GRID, AXIS, BLUE = "#16191f", "#e9ebed", "#8c8c94", "#0972d3"
_TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def clock(t: float, seconds: bool = True) -> str:
    """A moment as the kernel's local time of day."""
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.localtime(t))


def precise(t: float) -> str:
    return f"{clock(t)}.{int(t * 1000) % 1000:03d}"


def number(value: float) -> str:
    """A value as a chart labels it: no trailing zeros, thousands apart, at most two decimals."""
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class TimeAxis:
    """A window of time mapped onto the pixels between `left` and `left + width`."""

    start: float  # seconds since the epoch
    end: float
    left: float
    width: float

    def x(self, t: float) -> float:
        return self.left + (min(max(t, self.start), self.end) - self.start) / (self.end - self.start) * self.width

    def ticks(self, most: int = 8) -> list[float]:
        span = self.end - self.start
        step = next((s for s in _TICK_STEPS if span / s <= most), _TICK_STEPS[-1])
        offset = time.localtime(self.start).tm_gmtoff  # ticks on round local times
        first = math.ceil((self.start + offset) / step) * step - offset
        return [first + i * step for i in range(int((self.end - first) // step) + 1)]

    def svg(self, top: float, bottom: float, most: int = 8) -> str:
        """Vertical grid lines from `top` to `bottom`, and the times under them (`most` of them)."""
        span = self.end - self.start
        parts = [f"<line x1='{self.left}' x2='{self.left + self.width}' y1='{bottom}' y2='{bottom}' "
                 f"stroke='{AXIS}'/>"]
        for t in self.ticks(most):
            x = self.x(t)
            parts.append(f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top}' y2='{bottom + 4}' stroke='{GRID}'/>"
                         f"<text x='{x:.1f}' y='{bottom + 15}' text-anchor='middle' font-size='10' fill='{AXIS}' "
                         f"class='axis-time'>{clock(t, seconds=span < 600)}</text>")
        return "".join(parts)


def window_ending_now(seconds: float, now: float | None = None) -> tuple[float, float]:
    end = time.time() if now is None else now
    return end - seconds, end


@dataclass
class Series:
    """A chart's data: (time, value) points, and how to say what they are."""

    title: str
    unit: str  # "count", "ms", ...
    points: Sequence[tuple[float, float]]
    period: float  # seconds each point covers
    summary: str  # the figure beside the title, saying what it is
    step: bool = False  # a level that holds until the next point (concurrency), rather than a measurement


def line_chart(series: Series, start: float, end: float, width: int = 440, height: int = 150,
               reference: tuple[float, str] | None = None, left: int = 46, share: str = "100%",
               ticks: int | None = None) -> str:
    """A titled chart with a time axis, a value axis in its unit, a grid and a value on every point's hover;
    `reference` draws a dashed level such as a concurrency limit; `left` is where the plot begins; `share` is the
    part of the row the chart takes (it never grows past `width`); `ticks`, the most times on its axis."""
    right, top, bottom = 26, 18, height - 22
    axis = TimeAxis(start, end, left, width - left - right)
    values = [v for _, v in series.points]
    ceiling = max([*values, reference[0] if reference else 0.0, 0.0])
    y_step = _nice_step(ceiling / 4) if ceiling > 0 else 1.0
    if series.unit == "count":
        y_step = max(y_step, 1.0)
    y_max = max(y_step * math.ceil(ceiling / y_step), y_step)

    def y(value: float) -> float:
        return bottom - value / y_max * (bottom - top)

    parts = [axis.svg(top, bottom, most=ticks or max(3, width // 70))]
    parts.append(_value_grid(left, axis.width, y_max, y_step, y, number))
    parts.append(f"<text x='{left - 4}' y='{top - 8}' font-size='10' fill='{AXIS}' text-anchor='end' "
                 f"class='axis-unit'>{escape(series.unit)}</text>")  # above the values, clear of the longest
    if reference:
        parts.append(f"<line x1='{left}' x2='{left + axis.width}' y1='{y(reference[0]):.1f}' "
                     f"y2='{y(reference[0]):.1f}' stroke='#d13212' stroke-dasharray='4 3'><title>"
                     f"{escape(reference[1])}</title></line>")
    shown = [(t, v) for t, v in series.points if start - series.period < t <= end]
    if shown:
        coordinates = []
        for i, (t, v) in enumerate(shown):
            if series.step and i:
                coordinates.append(f"{axis.x(t):.1f},{y(shown[i - 1][1]):.1f}")
            coordinates.append(f"{axis.x(t):.1f},{y(v):.1f}")
        if series.step:
            coordinates.append(f"{axis.x(end):.1f},{y(shown[-1][1]):.1f}")
        parts.append(f"<polyline fill='none' stroke='{BLUE}' stroke-width='1.5' points='{' '.join(coordinates)}'/>")
        dot = 2.5 if len(shown) < 60 else 2.0
        # a level's changes are its corners, and a hundred dots in a row read as a thick line: hover only
        fill = "transparent" if series.step or len(shown) >= 60 else BLUE
        for t, v in shown:
            when = f"{clock(t)}–{clock(t + series.period)}" if series.period > 1 else clock(t)
            parts.append(f"<circle cx='{axis.x(t):.1f}' cy='{y(v):.1f}' r='{dot}' fill='{fill}' class='point'>"
                         f"<title>{escape(series.title)}: {number(v)} {escape(series.unit)} ({when})</title>"
                         "</circle>")
    else:
        parts.append(f"<text x='{left + axis.width / 2}' y='{(top + bottom) / 2}' text-anchor='middle' "
                     f"font-size='11' fill='{AXIS}'>no data in this window</text>")
    svg = svg_document(width, height, "lambdanb-chart", "".join(parts))
    head = (f"<div style='font-size:13px;{FONT};color:{INK}'><b>{escape(series.title)}</b> "
            f"<span style='color:#5f6b7a'>{escape(series.summary)}</span></div>")
    return (f"<div style='display:inline-block;vertical-align:top;width:{share};max-width:{width}px;"
            f"margin:4px 14px 10px 0'>{head}{svg}</div>")


def _value_grid(left: float, width: float, high: float, step: float, y: Callable[[float], float],
                label: Callable[[float], str]) -> str:
    """The horizontal grid lines of a chart's value axis, each with its value at the left."""
    lines = []
    for i in range(int(round(high / step)) + 1):
        level = i * step
        lines.append(f"<line x1='{left}' x2='{left + width}' y1='{y(level):.1f}' y2='{y(level):.1f}' "
                     f"stroke='{GRID}'/><text x='{left - 4}' y='{y(level) + 3:.1f}' text-anchor='end' "
                     f"font-size='10' fill='{AXIS}' class='axis-value'>{label(level)}</text>")
    return "".join(lines)


def svg_document(width: float, height: float, css_class: str, body: str) -> str:
    """An SVG drawn on a width x height canvas that shrinks with its container (never grows past its size)."""
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='100%' viewBox='0 0 {width} {height}' "
            f"class='{css_class}' style='{FONT};max-width:{width}px;height:auto;display:block'>{body}</svg>")


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at least `raw`."""
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


@dataclass(frozen=True)
class Curve:
    """One line of an x-y chart: what it is, its (x, y) points and how it is drawn."""

    label: str
    points: Sequence[tuple[float, float]]
    color: str = BLUE
    dashed: bool = False


def compact(value: float) -> str:
    """A large number as an axis labels it: 1,500 as 1.5k, 3,000,000 as 3M."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{number(value / size)}{suffix}"
    return number(value)


def xy_chart(title: str, curves: Sequence[Curve], x_unit: str, y_unit: str, summary: str = "", *,
             log_x: bool = False, marks: Sequence[tuple[float, str]] = (), width: int = 560,
             height: int = 240) -> str:
    """A titled chart of curves over a numeric x axis (logarithmic with `log_x`): value axes in their units, a
    grid, a legend, each point's values on hover, and `marks`, dashed vertical lines with a label (a crossover,
    a threshold)."""
    # The legend is a band above the plot, a line per curve, so that it never covers a curve or a mark.
    left, right, top, bottom = 56, 16, 24 + 14 * len(curves), height - 34 + 14 * len(curves)
    height += 14 * len(curves)
    xs = [x for curve in curves for x, _ in curve.points] + [x for x, _ in marks]
    ys = [y for curve in curves for _, y in curve.points]
    if not xs or (log_x and min(xs) <= 0):
        raise ValueError("An x-y chart needs points (with x above 0 on a logarithmic axis).")
    if log_x:
        low, high = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
        high = max(high, low + 1)
        x_ticks = [10.0 ** p for p in range(low, high + 1)]

        def scale(x: float) -> float:
            return (math.log10(x) - low) / (high - low)
    else:
        x_step = _nice_step(max(xs) / 6) if max(xs) > 0 else 1.0
        x_high = max(x_step * math.ceil(max(xs) / x_step), x_step)
        x_ticks = [i * x_step for i in range(int(round(x_high / x_step)) + 1)]

        def scale(x: float) -> float:
            return x / x_high
    plot_width = width - left - right
    y_step = _nice_step(max(ys) / 4) if ys and max(ys) > 0 else 1.0
    y_high = max(y_step * math.ceil(max(ys, default=0) / y_step), y_step)

    def px(x: float) -> float:
        return left + scale(x) * plot_width

    def py(y: float) -> float:
        return bottom - y / y_high * (bottom - top)

    parts = [f"<line x1='{left}' x2='{left + plot_width}' y1='{bottom}' y2='{bottom}' stroke='{AXIS}'/>"]
    for x in x_ticks:
        parts.append(f"<line x1='{px(x):.1f}' x2='{px(x):.1f}' y1='{top}' y2='{bottom + 4}' stroke='{GRID}'/>"
                     f"<text x='{px(x):.1f}' y='{bottom + 15}' text-anchor='middle' font-size='10' fill='{AXIS}' "
                     f"class='axis-x'>{compact(x)}</text>")
    parts.append(_value_grid(left, plot_width, y_high, y_step, py, compact))
    parts.append(f"<text x='{left + plot_width}' y='{bottom + 29}' text-anchor='end' font-size='10' fill='{AXIS}' "
                 f"class='axis-unit'>{escape(x_unit)}{' (logarithmic)' if log_x else ''}</text>"
                 f"<text x='4' y='{top - 8}' font-size='10' fill='{AXIS}' class='axis-unit'>{escape(y_unit)}</text>")
    for x, label in marks:
        parts.append(f"<line x1='{px(x):.1f}' x2='{px(x):.1f}' y1='{top}' y2='{bottom}' stroke='#d13212' "
                     f"stroke-dasharray='4 3'/><text x='{px(x) + 4:.1f}' y='{top + 10}' font-size='10' "
                     f"fill='#d13212' class='mark'>{escape(label)}</text>")
    for number_of, curve in enumerate(curves):
        points = sorted(curve.points)
        dash = " stroke-dasharray='6 4'" if curve.dashed else ""
        parts.append(f"<polyline fill='none' stroke='{curve.color}' stroke-width='2'{dash} "
                     f"points='{' '.join(f'{px(x):.1f},{py(y):.1f}' for x, y in points)}'/>")
        for x, y in points:
            parts.append(f"<circle cx='{px(x):.1f}' cy='{py(y):.1f}' r='2.5' fill='{curve.color}' class='point'>"
                         f"<title>{escape(curve.label)}: {number(y)} {escape(y_unit)} at {number(x)} "
                         f"{escape(x_unit)}</title></circle>")
        legend_y = 8 + 14 * number_of
        parts.append(f"<line x1='{left + 10}' x2='{left + 30}' y1='{legend_y}' y2='{legend_y}' "
                     f"stroke='{curve.color}' stroke-width='2'{dash}/><text x='{left + 36}' y='{legend_y + 4}' "
                     f"font-size='11' fill='{INK}' class='legend'>{escape(curve.label)}</text>")
    svg = svg_document(width, height, "lambdanb-chart", "".join(parts))
    head = (f"<div style='font-size:13px;{FONT};color:{INK}'><b>{escape(title)}</b> "
            f"<span style='color:#5f6b7a'>{escape(summary)}</span></div>")
    return f"<div style='display:block;width:100%;max-width:{width}px;margin:4px 14px 10px 0'>" \
           f"{head}{svg}</div>"
