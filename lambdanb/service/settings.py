"""Settings of the local Lambda service: Lambda's numbers by default, small enough for a lab when asked."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..errors import LambdaNBError

# Limits a teacher sets for every student's kernel (JupyterHub's extraEnv, say): a notebook may go lower, not higher.
CEILINGS = {"account_concurrency": "LAMBDANB_ACCOUNT_CONCURRENCY", "max_environments": "LAMBDANB_MAX_ENVIRONMENTS",
            "max_environments_memory_mb": "LAMBDANB_MAX_ENVIRONMENTS_MEMORY_MB"}


def deterministic_from_environment() -> bool:
    return os.environ.get("LAMBDANB_DETERMINISTIC", "").lower() in ("1", "true", "yes", "on")


def _ceiling(variable: str) -> int | None:
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise LambdaNBError(f"{variable} must be a whole number of at least 1, not {value!r}.")
    return int(value)


@dataclass
class Settings:
    """Pass any of these to lambdanb.configure(...), e.g.
    configure(account_concurrency=10, async_retry_delays=(1, 2))."""

    deterministic: bool = False
    # Concurrent executions of the whole account (Lambda's default quota per region).
    account_concurrency: int = 1000
    # Environments are recycled after this lifetime (Lambda's workers live about 14 hours) ...
    max_environment_lifetime: float = 14 * 3600
    # ... and after being idle this long (Lambda does not publish its figure).
    idle_environment_timeout: float = 600
    # Waits before the 2nd and 3rd attempt of an async event whose function failed (Lambda: about 1 and 2 min).
    async_retry_delays: tuple[float, ...] = (60.0, 120.0)
    # First and largest wait before retrying a throttled async event (Lambda: 1 s growing to 5 min).
    throttle_retry_delays: tuple[float, float] = (1.0, 300.0)
    # Execution environments alive at once in this kernel, of all functions (None: no cap but memory) ...
    max_environments: int | None = None
    # ... and the memory sizes of those environments added up, in MB (None: no cap).
    max_environments_memory_mb: int | None = None
    # Async events of one function invoked at the same time, at most.
    async_pollers: int = 4
    # How much faster than real time schedules run (60: rate(1 minute) fires every second), for labs.
    schedule_speedup: float = 1.0
    # Output one invocation may print before the rest is dropped (and counted).
    max_output_bytes: int = 1024 * 1024

    @classmethod
    def make(cls, **overrides: Any) -> Settings:
        unknown = set(overrides) - set(cls.__dataclass_fields__)
        if unknown:
            raise LambdaNBError(f"Unknown setting {', '.join(sorted(unknown))}; the settings are "
                                f"{', '.join(cls.__dataclass_fields__)}.")
        if overrides.get("deterministic") is None:
            overrides["deterministic"] = deterministic_from_environment()
        for setting, variable in CEILINGS.items():
            ceiling = _ceiling(variable)
            if ceiling is None:
                continue
            asked = overrides.get(setting)
            if asked is None:
                overrides[setting] = ceiling
            elif asked > ceiling:
                raise LambdaNBError(f"{setting} cannot exceed {ceiling} on this server ({variable}).")
        return cls(**overrides)
