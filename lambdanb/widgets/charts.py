"""Small SVG line charts for the Monitor tab: plain HTML, so they render with no lab extension."""
from __future__ import annotations

from html import escape


def sparkline(title: str, points: list[tuple[int, float]], unit: str = "", width: int = 220,
              height: int = 60) -> str:
    """A titled chart of (minute, value) points with its latest value."""
    latest = f"{points[-1][1]:,.2f}".rstrip("0").rstrip(".") if points else "-"
    head = (f"<div style='font-size: 12px;'><b>{escape(title)}</b> "
            f"<span style='color: #555'>{escape(latest)}{escape(unit) if points else ''}</span></div>")
    if not points:
        body = (f"<div style='width:{width}px;height:{height + 2}px;color:#999;font-size:11px;"
                f"box-sizing:border-box;border:1px dashed #ddd;padding:4px'>no data yet</div>")
        return f"<div style='display:inline-block;margin:4px 12px 8px 0'>{head}{body}</div>"
    values = [value for _, value in points]
    low, high = min(0.0, min(values)), max(values)
    span = (high - low) or 1.0
    step = width / max(len(points) - 1, 1)
    coordinates = " ".join(f"{i * step:.1f},{height - 4 - (v - low) / span * (height - 8):.1f}"
                           for i, v in enumerate(values))
    dots = "".join(f"<circle cx='{i * step:.1f}' cy='{height - 4 - (v - low) / span * (height - 8):.1f}' r='2' "
                   f"fill='#0972d3'/>" for i, v in enumerate(values))
    svg = (f"<svg width='{width}' height='{height}' style='background:#f8f8f8;border:1px solid #ddd'>"
           f"<polyline fill='none' stroke='#0972d3' stroke-width='2' points='{coordinates}'/>{dots}</svg>")
    return f"<div style='display:inline-block;margin:4px 12px 8px 0'>{head}{svg}</div>"
