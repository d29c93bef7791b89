"""The path of one invocation as a diagram, drawn from what lambdanb recorded for its request id: who asked, the
Frontend's route, the internal queue (async), the execution environment (cold or warm), the handler's run, and
its lines in CloudWatch Logs."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from ..errors import LambdaNBError
from ..records import InvocationType, TimelineEntry
from .charts import AXIS, BLUE, FONT, INK, svg_document
from .timeline import duration_ms, outcome, request_kind

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

BOX_WIDTH, BOX_HEIGHT, GAP = 150, 78, 28
_INIT_DURATION = re.compile(r"Init Duration: ([0-9.]+) ms")


@dataclass
class Step:
    """One box of the diagram: a part of the service and what it did with this request."""

    title: str
    lines: list[str]


def path_steps(request_id: str, entries: Sequence[TimelineEntry], log_lines: Sequence[str],
               log_group: str) -> list[Step]:
    """The parts one request went through, in order, from the function's timeline entries and log lines."""
    mine = [entry for entry in entries if entry.request_id == request_id]
    queued = next((entry for entry in mine if entry.kind == "queued"), None)
    invokes = [entry for entry in mine if entry.kind == "invoke"]
    first = queued or (invokes[0] if invokes else None)
    if first is None:
        raise LambdaNBError(f"No invocation with request id {request_id} was recorded for this function.")
    asynchronous = first.invocation_type == InvocationType.EVENT
    kind = InvocationType(first.invocation_type).value
    steps = [Step("Caller", [f"asked by: {first.source}", f"type: {kind}"]),
             Step("Frontend", [f"request {request_id[:8]}…",
                               "route: internal queue, 202" if asynchronous else "route: straight to an",
                               "" if asynchronous else "environment, caller waits"])]
    if queued:
        waited = f"waited {(invokes[0].start - queued.start) * 1000:.1f} ms" if invokes else "waiting"
        steps.append(Step("Internal queue", [waited, f"attempts: {len(invokes)}"]))
    if invokes:
        last = invokes[-1]
        cold = any(entry.kind == "init" for entry in mine)
        init_ms = _INIT_DURATION.search(invokes[0].report)
        started = (f"cold: Init Duration {float(init_ms.group(1)):.2f} ms" if init_ms
                   else "cold start" if cold else "warm: no INIT")
        steps.append(Step("Execution environment", [f"log stream …{last.lane[-8:]}", started]))
        measured = duration_ms(last)
        steps.append(Step("Handler", [f"Duration: {measured:.2f} ms" if measured is not None else "no REPORT",
                                      f"{request_kind(last)}: {outcome(last)}"]))
    steps.append(Step("CloudWatch Logs", [log_group, f"{len(log_lines)} lines, START … REPORT"]))
    return steps


def path_svg(steps: Sequence[Step]) -> str:
    """The steps as boxes joined by arrows, left to right."""
    width = len(steps) * (BOX_WIDTH + GAP) - GAP + 4
    parts = [f"<defs><marker id='lambdanb-arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' "
             f"markerHeight='7' orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='{AXIS}'/></marker></defs>"]
    for number, step in enumerate(steps):
        x = 2 + number * (BOX_WIDTH + GAP)
        parts.append(f"<g class='path-step'><rect x='{x}' y='2' width='{BOX_WIDTH}' height='{BOX_HEIGHT}' rx='6' "
                     f"fill='#f2f8fd' stroke='{BLUE}'/><text x='{x + 8}' y='20' font-size='12' font-weight='bold' "
                     f"fill='{INK}'>{escape(step.title)}</text>")
        for row, line in enumerate(step.lines):
            parts.append(f"<text x='{x + 8}' y='{38 + row * 15}' font-size='10.5' fill='{INK}'>{escape(line)}"
                         "</text>")
        parts.append("</g>")
        if number:
            parts.append(f"<line x1='{x - GAP + 2}' x2='{x - 2}' y1='{BOX_HEIGHT / 2 + 2}' "
                         f"y2='{BOX_HEIGHT / 2 + 2}' stroke='{AXIS}' marker-end='url(#lambdanb-arrow)'/>")
    return svg_document(width, BOX_HEIGHT + 4, "lambdanb-path", "".join(parts))


class InvocationPath:
    """The diagram of one request's path through the service; shows as SVG and stays in the saved notebook."""

    def __init__(self, service: LambdaService, function_name: str, request_id: str) -> None:
        config = service.get_function(function_name)
        lines = [event.message for event in service.get_logs(function_name, request_id=request_id)]
        self.function_name = function_name
        self.request_id = request_id
        self.steps = path_steps(request_id, service.timeline(function_name), lines, config.log_group)

    def _repr_html_(self) -> str:
        title = (f"<div style='{FONT};font-size:14px;color:{INK}'><b>λ {escape(self.function_name)}</b>: the path "
                 f"of request {escape(self.request_id)}</div>")
        return title + path_svg(self.steps)

    def __repr__(self) -> str:
        return f"<path of {self.request_id}: {' → '.join(step.title for step in self.steps)}>"
