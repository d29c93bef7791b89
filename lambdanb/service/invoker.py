"""Runs one invocation in an execution environment and records its logs and metrics, as Lambda's platform does."""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from ..clock import Clock, now_ms
from ..errors import TooManyRequestsException
from ..records import FunctionConfig, Invocation, InvocationRequest, LogEvent, TimelineEntry
from ..sandbox.environment import ExecutionEnvironment, RunResult, RunStatus
from . import billing, logs
from .logs import LogStore, ReportStatus
from .metrics import InvocationFacts, MetricStore
from .placement import Placement


class Invoker:
    """Takes an environment from placement, runs the handler there, writes START/END/REPORT around its output."""

    def __init__(self, placement: Placement, log_store: LogStore, metrics: MetricStore, clock: Clock) -> None:
        self.placement = placement
        self.log_store = log_store
        self.metrics = metrics
        self.clock = clock
        self.timelines = placement.timelines

    def run(self, request: InvocationRequest, config: FunctionConfig, attempt: int = 1) -> Invocation:
        """Run the request on the version `config` (which the Frontend or the queue resolved from its qualifier);
        `attempt` counts the runs of an async event."""
        started = time.time()
        try:
            environment, concurrency = self.placement.acquire(config)
        except TooManyRequestsException as error:
            self.metrics.put(config.name, "Throttles", 1, started)  # throttles are not Invocations
            self.timelines[config.name].append(TimelineEntry(
                "throttle", config.name, config.version, "", started, started, request.request_id,
                request.invocation_type, request.source, attempt, str(error)))
            raise
        try:
            invocation = self._run(config, environment, request, concurrency)
        finally:
            self.placement.release(config, environment)
        # The one record of the invoke; the views work out the rest (outcome, duration) from its REPORT line.
        # tuple.__new__ skips the NamedTuple's Python-level constructor: this runs on every invoke.
        self.timelines[config.name].append(tuple.__new__(TimelineEntry, (
            "invoke", config.name, config.version, environment.spec.log_stream, started, time.time(),
            request.request_id, request.invocation_type, request.source, attempt, invocation.function_error or "",
            invocation.log_events[-1].message)))
        return invocation

    def _run(self, config: FunctionConfig, environment: ExecutionEnvironment, request: InvocationRequest,
             concurrency: int) -> Invocation:
        request_id = request.request_id
        stream = environment.spec.log_stream
        events: list[LogEvent] = []

        def log(message: str) -> None:
            events.append(LogEvent(now_ms(), message, stream, request_id))

        init_ms: float | None = None  # shown as Init Duration: the first INIT of an environment only
        reinit_ms = 0.0  # a re-INIT after a reset runs inside the invoke and counts in its Duration
        if not environment.alive:
            cold = environment.starts == 0
            if cold:
                log(logs.init_start(config.runtime))
            init_started = time.time()
            init = environment.start(request_id)
            self._record_init(config, environment, init_started, init.error, request)
            events.extend(logs.split_output(init.output, stream, request_id, now_ms()))
            if init.error is not None:
                init_ms_shown = self.clock.shown(init.init_ms, Clock.FIXED_INIT_MS)
                log(logs.init_report(init_ms_shown, init.error_type, init.timed_out))
                log(logs.start(request_id, config.version))
                failure = RunResult(RunStatus.TIMEOUT if init.timed_out else RunStatus.FAILED,
                                    json.dumps(init.error).encode(),
                                    config.timeout * 1000.0 if init.timed_out else init.init_ms,
                                    environment.peak_mb, "")
                return self._finish(config, failure, request_id, events, log, None, concurrency)
            if cold:
                init_ms = init.init_ms
            else:
                reinit_ms = init.init_ms
        log(logs.start(request_id, config.version))
        result = environment.run(request_id, request.payload, request.invoked_arn, request.client_context)
        result.duration_ms += reinit_ms
        events.extend(logs.split_output(result.output, stream, request_id, now_ms()))
        return self._finish(config, result, request_id, events, log, init_ms, concurrency)

    def initialize_ahead(self, config: FunctionConfig, environment: ExecutionEnvironment) -> None:
        """INIT of a provisioned environment, before any invoke; its log lines go to its own stream."""
        stream = environment.spec.log_stream
        events = [LogEvent(now_ms(), logs.init_start(config.runtime), stream)]
        init_started = time.time()
        init = environment.start()
        self._record_init(config, environment, init_started, init.error)
        events += logs.split_output(init.output, stream, "", now_ms())
        if init.error is not None:
            events.append(LogEvent(now_ms(), logs.init_report(init.init_ms, init.error_type, init.timed_out),
                                   stream))
        if config.logs_delivered:
            self.log_store.put(config.log_group, events)

    def _record_init(self, config: FunctionConfig, environment: ExecutionEnvironment, started: float,
                     error: dict | None, request: InvocationRequest | None = None) -> None:
        self.timelines[config.name].append(TimelineEntry(
            "init", config.name, config.version, environment.spec.log_stream, started, time.time(),
            request.request_id if request else "", request.invocation_type if request else "",
            request.source if request else "provisioned-concurrency", 1, error["errorType"] if error else ""))

    def _finish(self, config: FunctionConfig, result: RunResult, request_id: str, events: list[LogEvent],
                log: Callable[[str], None], init_ms: float | None, concurrency: int) -> Invocation:
        if result.status is RunStatus.TIMEOUT:
            log(f"{self.clock.iso_now()} {request_id} Task timed out after {config.timeout:.2f} seconds")
        log(logs.end(request_id))
        shown = self.clock.shown
        duration_ms = result.duration_ms if result.status is RunStatus.TIMEOUT else shown(result.duration_ms,
                                                                                  Clock.FIXED_DURATION_MS)
        init_ms = None if init_ms is None else shown(init_ms, Clock.FIXED_INIT_MS)
        used_mb = result.peak_mb if result.status is RunStatus.OUT_OF_MEMORY else int(shown(
            result.peak_mb, min(Clock.FIXED_MEMORY_MB, config.memory_size)))
        if result.status is RunStatus.TIMEOUT:
            billed_ms = config.timeout * 1000
        else:
            billed_ms = max(1, math.ceil(duration_ms + (init_ms or 0.0)))  # INIT is billed since August 2025
        # A REPORT carries a Status when the platform saw the failure, not when the runtime reported an error.
        status: ReportStatus = None if result.status in (RunStatus.OK, RunStatus.ERROR) else \
            "timeout" if result.status is RunStatus.TIMEOUT else "error"
        log(logs.report(request_id, duration_ms, billed_ms, config.memory_size, used_mb, init_ms,
                        status, result.error_type))
        if config.logs_delivered:
            self.log_store.put(config.log_group, events)
        now_s = events[-1].timestamp / 1000
        self.metrics.record_invocation(InvocationFacts(
            config.name, now_s, result.status is not RunStatus.OK, duration_ms, concurrency,
            billing.gb_seconds(config.memory_size, billed_ms)))
        if result.output and '"_aws"' in result.output:
            self.metrics.put_embedded(result.output, now_s)
        return Invocation(
            request_id=request_id, status_code=200, payload=_decode(result.response),
            function_error=None if result.status is RunStatus.OK else "Unhandled",
            log_events=events, duration_ms=duration_ms, billed_duration_ms=billed_ms,
            memory_size_mb=config.memory_size, max_memory_used_mb=used_mb, init_duration_ms=init_ms,
            executed_version=config.version, function_name=config.name)


def _decode(response: bytes) -> Any:
    if not response:
        return None
    try:
        return json.loads(response)
    except ValueError:
        return response
