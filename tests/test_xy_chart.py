"""x-y charts for labs (cost against traffic, duration against memory): axes in their units, legend, marks, hover."""
from __future__ import annotations

import re

import pytest

from lambdanb.widgets.charts import Curve, compact, xy_chart


def texts(html: str, css_class: str) -> list[str]:
    return re.findall(rf"class='{css_class}'>([^<]*)<", html)


def test_a_logarithmic_axis_has_a_tick_per_power_of_ten_in_compact_numbers():
    html = xy_chart("Monthly cost", [Curve("Lambda", [(1e4, 0.0), (1e6, 2.0), (1e9, 300.0)])],
                    "requests a month", "USD a month", log_x=True)
    assert texts(html, "axis-x") == ["10k", "100k", "1M", "10M", "100M", "1B"]
    assert "requests a month (logarithmic)" in texts(html, "axis-unit")
    assert texts(html, "axis-value")[-1] == "300"


def test_a_linear_axis_curves_legend_marks_and_hover_values():
    html = xy_chart("Duration against memory",
                    [Curve("here", [(128, 40.0), (3008, 41.0)], color="#8c8c94"),
                     Curve("on AWS", [(3008, 40.0), (128, 552.8)], dashed=True)],
                    "memory (MB)", "ms", summary="crunch", marks=[(1769, "1 vCPU")])
    assert texts(html, "legend") == ["here", "on AWS"]
    assert texts(html, "mark") == ["1 vCPU"]
    assert "on AWS: 553 ms at 128 memory (MB)" in html
    assert texts(html, "axis-x") == ["0", "1k", "2k", "3k", "4k"]
    assert html.count("stroke-dasharray='6 4'") == 2  # the dashed curve and its legend line
    assert "<b>Duration against memory</b>" in html and "crunch" in html


def test_points_further_right_are_drawn_further_right():
    html = xy_chart("t", [Curve("c", [(1, 1.0), (10, 2.0), (100, 3.0)])], "x", "y", log_x=True)
    xs = [float(x) for x in re.findall(r"<circle cx='([\d.]+)'", html)]
    assert xs == sorted(xs) and len(set(xs)) == 3


@pytest.mark.parametrize("curves,log_x", [([], False), ([Curve("c", [(0, 1.0), (10, 2.0)])], True)])
def test_a_chart_without_points_or_with_zero_on_a_log_axis_says_so(curves, log_x):
    with pytest.raises(ValueError, match="needs points"):
        xy_chart("t", curves, "x", "y", log_x=log_x)


def test_compact_numbers():
    assert [compact(v) for v in (0, 950, 1500, 3_000_000, 2.5e9)] == ["0", "950", "1.5k", "3M", "2.5B"]
