"""The internal queue of asynchronous invocations: retries with backoff, maximum event age, destinations, DLQ."""
from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from ..errors import LambdaNBError, ResourceNotFoundException, TooManyRequestsException
from ..records import Invocation
from .functions import function_arn
from .logs import iso_time
from .metrics import MetricStore
from .settings import Settings


@dataclass
class EventInvokeConfig:
    """PutFunctionEventInvokeConfig: what happens to a function's async events."""

    maximum_retry_attempts: int = 2
    maximum_event_age_in_seconds: int = 21600
    on_success: str | None = None  # ARN of a function or an SQS queue
    on_failure: str | None = None


@dataclass(order=True)
class AsyncEvent:
    """One accepted event; its request id stays the same through every retry."""

    due: float
    sequence: int
    request_id: str = field(compare=False)
    function_name: str = field(compare=False)
    payload: bytes = field(compare=False)
    received_at: float = field(compare=False)  # time.time() when the Frontend accepted it
    attempts: int = field(default=0, compare=False)  # invocations that ran the function
    throttles: int = field(default=0, compare=False)
    last: Invocation | None = field(default=None, compare=False)


@dataclass
class Outcomes:
    """Where every accepted event of a function ended: the sum always equals `received` once drained."""

    received: int = 0
    succeeded: int = 0
    failed: int = 0  # ended with an on-failure record or a DLQ message, or dropped: see dropped
    dropped: int = 0  # failed events that no destination or DLQ took


class FunctionQueue:
    """One function's queue, served by a few poller threads."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.heap: list[AsyncEvent] = []
        self.in_flight = 0
        self.outcomes = Outcomes()
        self.pollers: list[threading.Thread] = []
        self.closed = False


class AsyncQueues:
    """Accepts Event invocations (202 at once) and invokes them later, as Lambda's internal queue does."""

    def __init__(self, settings: Settings, metrics: MetricStore, invoke: Callable[[str, bytes, str], Invocation],
                 config_of: Callable[[str], tuple[EventInvokeConfig, str | None, int | None]],
                 deliver: Callable[[str, dict], None],
                 dead_letter: Callable[[str, bytes, dict], None]) -> None:
        self.settings = settings
        self.metrics = metrics
        self.invoke = invoke  # (function name, payload, request id) -> Invocation; raises on throttle
        self.config_of = config_of  # function name -> (event invoke config, DLQ ARN, reserved concurrency)
        self.deliver = deliver  # (destination ARN, invocation record)
        self.dead_letter = dead_letter  # (DLQ ARN, original payload, message attributes)
        self._queues: dict[str, FunctionQueue] = {}
        self._sequence = itertools.count()
        self._changed = threading.Condition()
        self._closed = False

    def put(self, function_name: str, payload: bytes, request_id: str) -> None:
        now = time.time()
        event = AsyncEvent(time.monotonic(), next(self._sequence), request_id, function_name, payload, now)
        with self._changed:
            queue = self._queue(function_name)
            queue.outcomes.received += 1
            heapq.heappush(queue.heap, event)
            self._changed.notify_all()
        self.metrics.put(function_name, "AsyncEventsReceived", 1, now)

    def outcomes(self, function_name: str) -> Outcomes:
        with self._changed:
            queue = self._queues.get(function_name)
            return Outcomes(**vars(queue.outcomes)) if queue else Outcomes()

    def pending(self) -> int:
        with self._changed:
            return sum(len(q.heap) + q.in_flight for q in self._queues.values())

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queue is empty and nothing is in flight; False if the timeout came first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while any(q.heap or q.in_flight for q in self._queues.values()):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(remaining if remaining is not None else 1.0)
        return True

    def remove(self, function_name: str) -> None:
        """The function was deleted: its waiting events are dropped (and counted), its pollers stop."""
        with self._changed:
            queue = self._queues.get(function_name)
            if queue is None:
                return
            queue.closed = True
            waiting, queue.heap = queue.heap, []
            queue.outcomes.failed += len(waiting)
            queue.outcomes.dropped += len(waiting)
            self._changed.notify_all()
        for _ in waiting:
            self.metrics.put(function_name, "AsyncEventsDropped", 1, time.time())
        for poller in queue.pollers:
            poller.join(5)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _queue(self, function_name: str) -> FunctionQueue:
        old = queue = self._queues.get(function_name)
        if queue is None or queue.closed:  # new, or made again after a deletion: keep counting its outcomes
            queue = self._queues[function_name] = FunctionQueue(function_name)
            if old is not None:
                queue.outcomes = old.outcomes
            for number in range(self.settings.async_pollers):
                poller = threading.Thread(target=self._poll, args=(queue,), daemon=True,
                                          name=f"lambdanb-async-{function_name}-{number}")
                queue.pollers.append(poller)
                poller.start()
        return queue

    def _poll(self, queue: FunctionQueue) -> None:
        while True:
            with self._changed:
                while not (self._closed or queue.closed):
                    now = time.monotonic()
                    if queue.heap and queue.heap[0].due <= now:
                        break
                    self._changed.wait(queue.heap[0].due - now if queue.heap else None)
                if self._closed or queue.closed:
                    return
                event = heapq.heappop(queue.heap)
                queue.in_flight += 1
            try:
                self._process(queue, event)
            finally:
                with self._changed:
                    queue.in_flight -= 1
                    self._changed.notify_all()

    def _retry_later(self, queue: FunctionQueue, event: AsyncEvent, delay: float) -> None:
        event.due = time.monotonic() + delay
        event.sequence = next(self._sequence)
        with self._changed:
            if queue.closed:  # deleted meanwhile
                queue.outcomes.failed += 1
                queue.outcomes.dropped += 1
                return
            heapq.heappush(queue.heap, event)
            self._changed.notify_all()

    def _process(self, queue: FunctionQueue, event: AsyncEvent) -> None:
        try:
            config, dead_letter_arn, reserved = self.config_of(event.function_name)
        except ResourceNotFoundException:
            self._end(queue, event, EventInvokeConfig(), None, "FunctionDeleted")
            return
        age = time.time() - event.received_at
        if age > config.maximum_event_age_in_seconds:
            self._end(queue, event, config, dead_letter_arn, "EventAgeExceeded")
            return
        if reserved == 0:  # fully throttled: Lambda sends such events straight to the DLQ or on-failure
            self._end(queue, event, config, dead_letter_arn, "RetriesExhausted")
            return
        try:
            invocation = self.invoke(event.function_name, event.payload, event.request_id)
        except TooManyRequestsException:
            first, largest = self.settings.throttle_retry_delays
            event.throttles += 1
            self._retry_later(queue, event, min(first * 2 ** (event.throttles - 1), largest))
            return
        except LambdaNBError:
            self._end(queue, event, config, dead_letter_arn, "FunctionDeleted")
            return
        event.attempts += 1
        event.last = invocation
        self.metrics.put(event.function_name, "AsyncEventAge", age * 1000, time.time())
        if invocation.function_error is None:
            with self._changed:
                queue.outcomes.succeeded += 1
            if config.on_success:
                record = self._record(event, "Success")
                self._try(event, "DestinationDeliveryFailures", lambda: self.deliver(config.on_success, record))
            return
        if event.attempts > config.maximum_retry_attempts:
            self._end(queue, event, config, dead_letter_arn, "RetriesExhausted")
            return
        delays = self.settings.async_retry_delays
        self._retry_later(queue, event, delays[min(event.attempts - 1, len(delays) - 1)])

    def _end(self, queue: FunctionQueue, event: AsyncEvent, config: EventInvokeConfig, dead_letter_arn: str | None,
             condition: str) -> None:
        """The event failed for good: an on-failure record, else a DLQ message; the drop is counted either way."""
        taken = False
        if config.on_failure:
            record = self._record(event, condition)
            taken = self._try(event, "DestinationDeliveryFailures", lambda: self.deliver(config.on_failure, record))
        elif dead_letter_arn:
            attributes = self._dead_letter_attributes(event)
            taken = self._try(event, "DeadLetterErrors",
                              lambda: self.dead_letter(dead_letter_arn, event.payload, attributes))
        with self._changed:
            queue.outcomes.failed += 1
            queue.outcomes.dropped += 0 if taken else 1
        self.metrics.put(event.function_name, "AsyncEventsDropped", 1, time.time())

    def _try(self, event: AsyncEvent, failure_metric: str, send: Callable[[], None]) -> bool:
        """Deliver to a destination or a DLQ; a failure is counted in its metric, never raised."""
        try:
            send()
            return True
        except Exception:
            self.metrics.put(event.function_name, failure_metric, 1, time.time())
            return False

    @staticmethod
    def _dead_letter_attributes(event: AsyncEvent) -> dict:
        """The DLQ message's attributes: RequestID, ErrorCode and the first 1 KB of ErrorMessage."""
        last = event.last
        message = ""
        if last is not None and isinstance(last.payload, dict):
            message = str(last.payload.get("errorMessage", ""))[:1024]
        return {"RequestID": {"DataType": "String", "StringValue": event.request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                "ErrorMessage": {"DataType": "String", "StringValue": message or "-"}}

    def _record(self, event: AsyncEvent, condition: str) -> dict:
        """Lambda's invocation record, as destinations receive it."""
        last = event.last
        record = {
            "version": "1.0",
            "timestamp": iso_time(),
            "requestContext": {"requestId": event.request_id,
                               "functionArn": function_arn(event.function_name, "$LATEST"),
                               "condition": condition, "approximateInvokeCount": event.attempts},
            "requestPayload": json.loads(event.payload) if event.payload else None,
        }
        if last is not None:
            response = {"statusCode": 200, "executedVersion": last.executed_version}
            if last.function_error:
                response["functionError"] = last.function_error
            record["responseContext"] = response
            record["responsePayload"] = last.payload if not isinstance(last.payload, bytes) else \
                last.payload.decode("utf-8", "replace")
        return record
