"""The console widgets: lambdanb.console("fn") shows a function's Test, Logs, Monitor and Configuration tabs."""
from __future__ import annotations

from .console import Console


def console(function_name: str, refresh_seconds: float = 1.0) -> Console:
    """The Lambda console of a function, live in the notebook."""
    from ..api import lambda_service
    return Console(lambda_service(), function_name, refresh_seconds)


__all__ = ["Console", "console"]
