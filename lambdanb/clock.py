"""One clock for what lambdanb shows: real times and measurements, or fixed ones in deterministic mode."""
from __future__ import annotations

import time

FIXED_ISO_TIME = "2026-01-01T00:00:00.000Z"
FIXED_DATE = "2026/01/01"


def iso_time(epoch_seconds: float | None = None) -> str:
    """A UTC time as Lambda writes it: 2026-01-31T12:34:56.789Z (now, if no time is given)."""
    moment = time.time() if epoch_seconds is None else epoch_seconds
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment * 1000) % 1000:03d}Z"


def now_ms() -> int:
    return int(time.time() * 1000)


class Clock:
    """What the service shows of time: deterministic mode fixes dates, times and measurements so that checked
    notebooks match byte for byte; event timestamps stay real so that order and ages still make sense."""

    # Reported instead of measurements in deterministic mode.
    FIXED_DURATION_MS = 1.0
    FIXED_INIT_MS = 100.0
    FIXED_MEMORY_MB = 40

    def __init__(self, deterministic: bool = False) -> None:
        self.deterministic = deterministic

    def iso_now(self) -> str:
        return FIXED_ISO_TIME if self.deterministic else iso_time()

    def iso(self, epoch_seconds: float) -> str:
        return FIXED_ISO_TIME if self.deterministic else iso_time(epoch_seconds)

    def date(self) -> str:
        """Today as log stream names start: YYYY/MM/DD."""
        return FIXED_DATE if self.deterministic else time.strftime("%Y/%m/%d", time.gmtime())

    def shown(self, measured: float, fixed: float) -> float:
        """The measured figure, or in deterministic mode the fixed one."""
        return fixed if self.deterministic else measured
