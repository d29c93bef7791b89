"""Polling threads: the loop every poller runs, and what a mapping's poller does with a batch of records."""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ...clock import Clock
from ...errors import TooManyRequestsException
from ...log import problem
from ...records import Invocation
from ..metrics import MetricStore
from .mappings import EventSourceMapping

if TYPE_CHECKING:
    from ..frontend import Frontend


class PollingLoop(ABC):
    """A thread that polls its source until stopped; `idle` is true while the source has nothing left for it,
    `backing_off` while it waits to retry a batch it will retry until the batch's records expire."""

    def __init__(self, name: str) -> None:
        self.idle = False
        self.backing_off = False
        self.polls = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=name)

    @property
    def enabled(self) -> bool:
        return True

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def pause(self, seconds: float) -> bool:
        """Wait, waking early when the loop is stopped or disabled; False if it was."""
        deadline = time.monotonic() + seconds
        while not self.stopped.is_set() and self.enabled:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            self.stopped.wait(min(left, 0.1))
        return False

    def _run(self) -> None:
        while not self.stopped.is_set():
            if not self.enabled:
                self.idle = True
                self.polls += 1
                self.stopped.wait(0.1)
                continue
            try:
                worked = self.poll_once()
            except Exception as error:  # the source went away, or the local AWS stopped: report, go on
                self.failed(error)
                worked = False
            self.polls += 1
            if not worked:
                self.stopped.wait(0.05)

    @abstractmethod
    def poll_once(self) -> bool:
        """Read and process one batch; False when there was nothing to read."""

    def failed(self, error: Exception) -> None:
        problem(self.thread.name, error)


def wait_until_idle(loops: Iterable[PollingLoop], timeout: float | None = None) -> bool:
    """Wait until every loop has looked twice more and found nothing, or is backing off from a batch it retries for
    ever (otherwise no drain would end); False on timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    seen = [(loop, loop.polls) for loop in loops]
    while not all(loop.backing_off or (loop.idle and loop.polls >= before + 2)
                  for loop, before in seen if not loop.stopped.is_set()):
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class MappingPoller(PollingLoop):
    """The poller of one event source mapping: invokes its function synchronously, through the Frontend, with
    batches of records."""

    def __init__(self, mapping: EventSourceMapping, frontend: Frontend, metrics: MetricStore, clock: Clock) -> None:
        super().__init__(f"lambdanb-poller-{mapping.uuid[:8]}")
        self.mapping = mapping
        self.frontend = frontend
        self.metrics = metrics
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return self.mapping.enabled

    @abstractmethod
    def check_source(self) -> None:
        """Raise if the event source cannot be read (it does not exist, or the local AWS refuses)."""

    def failed(self, error: Exception) -> None:
        self.mapping.last_processing_result = f"PROBLEM: {error}"
        super().failed(error)

    def select(self, records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The records the mapping's FilterCriteria let through, and the others."""
        filters = self.mapping.filters
        if filters is None:
            return records, []
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        for record in records:
            (kept if filters.matches(self.mapping.kind, record) else dropped).append(record)
        return kept, dropped

    def call(self, records: list[dict[str, Any]]) -> Invocation | None:
        """Invoke the function with one batch; None when throttled (the records are tried again later)."""
        try:
            invocation = self.frontend.invoke(self.mapping.function_name, {"Records": records},
                                              qualifier=self.mapping.qualifier,
                                              source=f"event-source:{self.mapping.uuid}")
        except TooManyRequestsException:
            return None
        self.mapping.last_processing_result = "OK" if invocation.succeeded else "PROBLEM: Function call failed"
        return invocation

    def failed_items(self, invocation: Invocation, identifiers: list[str]) -> list[str] | None:
        """Partial batch response: the identifiers that failed, or None when the whole batch counts as failed."""
        if invocation.function_error is not None:
            return None
        if not self.mapping.reports_item_failures or invocation.payload in (None, {}, ""):
            return []
        if not isinstance(invocation.payload, dict):
            return None
        failures = invocation.payload.get("batchItemFailures")
        if failures in (None, []):
            return []
        if not isinstance(failures, list):
            return None
        found = []
        for failure in failures:
            item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not item or item not in identifiers:
                return None
            found.append(item)
        return found
