"""The internal queue of asynchronous invocations: retries with backoff, maximum event age, destinations, DLQ."""
from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..arns import function_arn
from ..clock import Clock
from ..errors import LambdaNBError, ResourceNotFoundException, TooManyRequestsException, ValidationException
from ..log import problem
from ..records import EventInvokeConfig, FunctionConfig, Invocation, InvocationRequest, TimelineEntry
from .destinations import check_destination, send_record, send_to_dead_letter_queue
from .metrics import MetricStore
from .settings import Settings

if TYPE_CHECKING:
    from .frontend import Frontend


def event_invoke_config(maximum_retry_attempts: int | None = None, maximum_event_age_in_seconds: int | None = None,
                        destination_config: dict[str, Any] | None = None,
                        operation: str = "PutFunctionEventInvokeConfig") -> EventInvokeConfig:
    """An EventInvokeConfig within Lambda's ranges: retries 0-2, maximum event age 60-21600 s, destinations that
    are a function or an SQS queue."""
    config = EventInvokeConfig()
    if maximum_retry_attempts is not None:
        if not 0 <= maximum_retry_attempts <= 2:
            raise ValidationException(
                f"1 validation error detected: Value '{maximum_retry_attempts}' at 'maximumRetryAttempts' "
                "failed to satisfy constraint: Member must have value less than or equal to 2", operation)
        config.maximum_retry_attempts = maximum_retry_attempts
    if maximum_event_age_in_seconds is not None:
        if not 60 <= maximum_event_age_in_seconds <= 21600:
            raise ValidationException(
                f"1 validation error detected: Value '{maximum_event_age_in_seconds}' at "
                "'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between "
                "60 and 21600", operation)
        config.maximum_event_age_in_seconds = maximum_event_age_in_seconds
    destinations = destination_config or {}
    config.on_success = (destinations.get("OnSuccess") or {}).get("Destination")
    config.on_failure = (destinations.get("OnFailure") or {}).get("Destination")
    for arn in (config.on_success, config.on_failure):
        if arn is not None:
            check_destination(arn, operation)
    return config


@dataclass
class AsyncEvent:
    """One accepted event; its request (and request id) stays the same through every retry."""

    request: InvocationRequest
    received_at: float  # time.time() when the Frontend accepted it
    attempts: int = 0  # invocations that ran the function
    throttles: int = 0
    last: Invocation | None = None


@dataclass
class Outcomes:
    """Where every accepted event of a function ended: the sum always equals `received` once drained."""

    received: int = 0
    succeeded: int = 0
    failed: int = 0  # ended with an on-failure record or a DLQ message, or dropped: see dropped
    dropped: int = 0  # failed events that no destination or DLQ took


@dataclass
class WaitingEvent:
    """An event in the internal queue, as the console's Async queue view lists it."""

    request_id: str
    attempts: int  # runs so far
    throttles: int
    due_in: float  # seconds until a poller may take it
    age: float  # seconds since it was accepted


@dataclass
class AsyncQueueStatus:
    """A function's internal queue now: what waits, what runs, and where the finished events went."""

    outcomes: Outcomes
    waiting: int  # for their first attempt
    retrying: int  # for another attempt, after a function error or a throttle
    in_flight: int
    to_on_success: int  # success records delivered to the on-success destination
    to_on_failure: int  # failure records delivered to the on-failure destination
    to_dead_letter_queue: int
    events: list[WaitingEvent]  # soonest first


class FunctionQueue:
    """One function's queue, served by a few poller threads; it ends with the function."""

    def __init__(self, name: str, lock: threading.RLock) -> None:
        self.name = name
        # Its pollers wait here: an event wakes one of them, not every poller of every function.
        self.due = threading.Condition(lock)
        self.heap: list[tuple[float, int, AsyncEvent]] = []  # (due, sequence, event): soonest first, compared in C
        self.in_flight = 0
        self.outcomes = Outcomes()
        self.delivered = {"on-success": 0, "on-failure": 0, "dead-letter queue": 0}
        self.pollers: list[threading.Thread] = []
        self.closed = False


class AsyncQueues:
    """Accepts Event invocations (202 at once) and invokes them later, as Lambda's internal queue does."""

    def __init__(self, frontend: Frontend, settings: Settings, metrics: MetricStore, clock: Clock) -> None:
        self.frontend = frontend
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
        self._queues: dict[str, FunctionQueue] = {}
        self._sequence = itertools.count()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)  # a queue went idle: drain() looks again
        self._closed = False

    def put(self, request: InvocationRequest) -> None:
        now = time.time()
        event = AsyncEvent(request, now)
        with self._changed:
            queue = self._queue(request.function_name)
            queue.outcomes.received += 1
            heapq.heappush(queue.heap, (time.monotonic(), next(self._sequence), event))
            queue.due.notify()
        self.metrics.put(request.function_name, "AsyncEventsReceived", 1, now)
        self._on_timeline("queued", request, now, now)

    def outcomes(self, function_name: str) -> Outcomes:
        with self._changed:
            queue = self._queues.get(function_name)
            return Outcomes(**vars(queue.outcomes)) if queue else Outcomes()

    def status(self, function_name: str) -> AsyncQueueStatus:
        """What waits in a function's queue now, what runs, and where its finished events went."""
        now = time.monotonic()
        with self._changed:
            queue = self._queues.get(function_name) or FunctionQueue(function_name, self._lock)
            events = [WaitingEvent(e.request.request_id, e.attempts, e.throttles, max(0.0, due - now),
                                   time.time() - e.received_at) for due, _, e in sorted(queue.heap)]
            retrying = sum(1 for e in events if e.attempts or e.throttles)
            return AsyncQueueStatus(Outcomes(**vars(queue.outcomes)), len(events) - retrying, retrying,
                                    queue.in_flight, queue.delivered["on-success"], queue.delivered["on-failure"],
                                    queue.delivered["dead-letter queue"], events)

    def known(self, function_name: str) -> bool:
        """Whether the function has had async events (its queue stays, closed, after it is deleted)."""
        with self._changed:
            return function_name in self._queues

    def pending(self, function_name: str | None = None) -> int:
        """Events waiting or in flight, of one function or of all."""
        with self._changed:
            return sum(len(q.heap) + q.in_flight for name, q in self._queues.items()
                       if function_name is None or name == function_name)

    def waiting(self, function_name: str) -> list[InvocationRequest]:
        """The requests waiting in a function's queue (for a first attempt or a retry), soonest first."""
        with self._changed:
            queue = self._queues.get(function_name)
            return [event.request for _, _, event in sorted(queue.heap)] if queue else []

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

    def function_deleted(self, function_name: str) -> None:
        """Its waiting events are dropped (and counted: outcomes() tells them until a function of the same name
        gets a queue of its own), its pollers stop."""
        with self._changed:
            queue = self._queues.get(function_name)
            if queue is None or queue.closed:
                return
            queue.closed = True
            waiting, queue.heap = queue.heap, []
            queue.outcomes.failed += len(waiting)
            queue.outcomes.dropped += len(waiting)
            queue.due.notify_all()
            self._changed.notify_all()
        for _, _, event in waiting:
            self.metrics.put(function_name, "AsyncEventsDropped", 1, time.time())
            self._dropped_on_timeline(event, "FunctionDeleted")
        for poller in queue.pollers:
            if poller is not threading.current_thread():
                poller.join(5)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            for queue in self._queues.values():
                queue.due.notify_all()
            self._changed.notify_all()

    def _queue(self, function_name: str) -> FunctionQueue:
        queue = self._queues.get(function_name)
        if queue is None or queue.closed:
            queue = self._queues[function_name] = FunctionQueue(function_name, self._lock)
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
                    if queue.heap and queue.heap[0][0] <= now:
                        break
                    queue.due.wait(queue.heap[0][0] - now if queue.heap else None)
                if self._closed or queue.closed:
                    return
                _, _, event = heapq.heappop(queue.heap)
                queue.in_flight += 1
            try:
                self._process(queue, event)
            except Exception as error:  # the event must still be accounted for: it ends as dropped
                problem(f"async invocation of {queue.name}", error)
                self._count_end(queue, event, taken=False)
                self._dropped_on_timeline(event, type(error).__name__)
            finally:
                with self._changed:
                    queue.in_flight -= 1
                    if not queue.in_flight and not queue.heap:  # only then can drain() be done: waking it
                        self._changed.notify_all()              # after every event costs a thread switch each

    def _retry_later(self, queue: FunctionQueue, event: AsyncEvent, delay: float, why: str) -> None:
        now = time.time()
        self._on_timeline("retry", event.request, now, now + delay, event.attempts, why)
        with self._changed:
            if not queue.closed:
                heapq.heappush(queue.heap, (time.monotonic() + delay, next(self._sequence), event))
                queue.due.notify()
                return
            queue.outcomes.failed += 1  # deleted meanwhile
            queue.outcomes.dropped += 1
        self._dropped_on_timeline(event, "FunctionDeleted")

    def _process(self, queue: FunctionQueue, event: AsyncEvent) -> None:
        request = event.request
        functions = self.frontend.functions
        try:
            function = functions.get(request.function_name, "Invoke")
            config = functions.resolve(request.function_name, request.qualifier)
        except ResourceNotFoundException:
            self._end(queue, event, EventInvokeConfig(), None, "FunctionDeleted")
            return
        invoke_config = function.event_invoke_config or EventInvokeConfig()
        age = time.time() - event.received_at
        if age > invoke_config.maximum_event_age_in_seconds:
            self._end(queue, event, invoke_config, config, "EventAgeExceeded")
            return
        if function.reserved_concurrency == 0:  # fully throttled: such events go straight to the DLQ or on-failure
            self._end(queue, event, invoke_config, config, "RetriesExhausted")
            return
        try:
            invocation = self.frontend.invoker.run(request, config, event.attempts + 1)
        except TooManyRequestsException:
            first, largest = self.settings.throttle_retry_delays
            event.throttles += 1
            self._retry_later(queue, event, min(first * 2 ** (event.throttles - 1), largest), "throttled")
            return
        except LambdaNBError:
            self._end(queue, event, invoke_config, config, "FunctionDeleted")
            return
        event.attempts += 1
        event.last = invocation
        self.metrics.put(request.function_name, "AsyncEventAge", age * 1000, time.time())
        if invocation.function_error is None:
            with self._changed:
                queue.outcomes.succeeded += 1
            ended = "succeeded"
            if invoke_config.on_success:
                on_success = invoke_config.on_success
                record = self._record(event, config, "Success")
                if self._try(event, "DestinationDeliveryFailures",
                             lambda: send_record(self.frontend, on_success, record)):
                    ended += self._delivered(queue, "on-success")
            now = time.time()
            self._on_timeline("ended", request, now, now, event.attempts, ended)
            return
        if event.attempts > invoke_config.maximum_retry_attempts:
            self._end(queue, event, invoke_config, config, "RetriesExhausted")
            return
        delays = self.settings.async_retry_delays
        self._retry_later(queue, event, delays[min(event.attempts - 1, len(delays) - 1)], "function error")

    def _end(self, queue: FunctionQueue, event: AsyncEvent, invoke_config: EventInvokeConfig,
             config: FunctionConfig | None, condition: str) -> None:
        """The event failed for good: an on-failure record, else a DLQ message; the drop is counted either way."""
        taken, where = False, ""
        dead_letter_arn = config.dead_letter_target_arn if config else None
        if invoke_config.on_failure:
            on_failure = invoke_config.on_failure
            record = self._record(event, config, condition)
            taken = self._try(event, "DestinationDeliveryFailures",
                              lambda: send_record(self.frontend, on_failure, record))
            where = self._delivered(queue, "on-failure") if taken else ""
        elif dead_letter_arn:
            attributes = self._dead_letter_attributes(event)
            taken = self._try(event, "DeadLetterErrors", lambda: send_to_dead_letter_queue(
                dead_letter_arn, event.request.payload, attributes))
            where = self._delivered(queue, "dead-letter queue") if taken else ""
        now = time.time()
        ended = f"failed ({condition}){where or ', dropped'}"
        self._on_timeline("ended", event.request, now, now, event.attempts, ended)
        self._count_end(queue, event, taken)

    def _delivered(self, queue: FunctionQueue, where: str) -> str:
        """Count a delivery; says where it went, for the timeline."""
        with self._changed:
            queue.delivered[where] += 1
        return f", sent to {where}"

    def _on_timeline(self, kind: str, request: InvocationRequest, start: float, end: float, attempt: int = 0,
                     outcome: str = "") -> None:
        """An async event's step on the function's timeline (the attempts themselves are the Invoker's)."""
        self.frontend.invoker.timelines[request.function_name].append(TimelineEntry(
            kind, request.function_name, "", "", start, end, request.request_id, request.invocation_type,
            request.source, attempt, outcome))

    def _dropped_on_timeline(self, event: AsyncEvent, condition: str) -> None:
        """The end mark of an event dropped outside _end (its function deleted, or a fault of lambdanb's)."""
        now = time.time()
        self._on_timeline("ended", event.request, now, now, event.attempts, f"failed ({condition}), dropped")

    def _count_end(self, queue: FunctionQueue, event: AsyncEvent, taken: bool) -> None:
        with self._changed:
            queue.outcomes.failed += 1
            queue.outcomes.dropped += 0 if taken else 1
        self.metrics.put(event.request.function_name, "AsyncEventsDropped", 1, time.time())

    def _try(self, event: AsyncEvent, failure_metric: str, send: Callable[[], None]) -> bool:
        """Deliver to a destination or a DLQ; a failure is counted in its metric and logged, never raised."""
        try:
            send()
            return True
        except Exception as error:
            self.metrics.put(event.request.function_name, failure_metric, 1, time.time())
            problem(f"{failure_metric} of {event.request.function_name}", error)
            return False

    @staticmethod
    def _dead_letter_attributes(event: AsyncEvent) -> dict[str, Any]:
        """The DLQ message's attributes: RequestID, ErrorCode and the first 1 KB of ErrorMessage."""
        last = event.last
        message = ""
        if last is not None and isinstance(last.payload, dict):
            message = str(last.payload.get("errorMessage", ""))[:1024]
        return {"RequestID": {"DataType": "String", "StringValue": event.request.request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                "ErrorMessage": {"DataType": "String", "StringValue": message or "-"}}

    def _record(self, event: AsyncEvent, config: FunctionConfig | None, condition: str) -> dict[str, Any]:
        """Lambda's invocation record, as destinations receive it, naming the version that ran."""
        last = event.last
        request = event.request
        version = (last.executed_version if last else None) or (config.version if config else "$LATEST")
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": self.clock.iso_now(),
            "requestContext": {"requestId": request.request_id,
                               "functionArn": function_arn(request.function_name, version),
                               "condition": condition, "approximateInvokeCount": event.attempts},
            "requestPayload": json.loads(request.payload) if request.payload else None,
        }
        if last is not None:
            response: dict[str, Any] = {"statusCode": 200, "executedVersion": last.executed_version}
            if last.function_error:
                response["functionError"] = last.function_error
            record["responseContext"] = response
            record["responsePayload"] = last.payload if not isinstance(last.payload, bytes) else \
                last.payload.decode("utf-8", "replace")
        return record
