"""One row per figure: what was measured, against which floor, the ratio, the goal, and whether it was met."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    floor: float | None = None  # in the same unit
    floor_name: str = ""
    goal: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        return self.value / self.floor if self.floor else None


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def print_table(rows: list[Row]) -> None:
    print("| figure | measured | floor | ratio | goal | met |\n|---|---|---|---|---|---|")
    for row in rows:
        floor = f"{row.floor:,.1f} {row.unit} ({row.floor_name})" if row.floor else ""
        ratio = f"{row.ratio:.1f}x" if row.ratio is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        print(f"| {row.figure} | {row.value:,.1f} {row.unit} | {floor} | {ratio} | {row.goal} | {met} |")
