"""lambdanb's logger: problems in background work (pollers, deliveries) are logged once, where the user sees them."""
from __future__ import annotations

import logging
import threading

logger = logging.getLogger("lambdanb")
_reported: set[tuple[str, str]] = set()
_lock = threading.Lock()
_MAX_REMEMBERED = 10_000


def problem(where: str, error: BaseException | str) -> None:
    """Log a warning about background work the first time this place meets this kind of problem."""
    kind = type(error).__name__ if isinstance(error, BaseException) else str(error)
    with _lock:
        if (where, kind) in _reported:
            return
        if len(_reported) >= _MAX_REMEMBERED:
            _reported.clear()
        _reported.add((where, kind))
    logger.warning("%s: %s", where, error)
