"""LambdaService: the Lambda service one kernel hosts, its API calls (Lambda's operations in snake_case) composed
from the parts an invocation flows through."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import runtimes
from ..arns import function_reference
from ..clock import Clock
from ..errors import LambdaNBError
from ..ids import IdSource
from ..records import EventInvokeConfig, FunctionConfig, Invocation, InvocationType, TimelineEntry
from . import billing
from .async_queue import AsyncQueueStatus, Outcomes, event_invoke_config
from .billing import CostEstimate
from .event_sources import EventSources
from .frontend import NO_PAYLOAD, Frontend
from .functions import FunctionRegistry, validate
from .invoker import Invoker
from .logs import LogEvents, LogStore
from .metrics import GB_SECONDS, MetricStore
from .placement import Placement
from .settings import Settings
from .triggers import Triggers

SUMMED_METRICS = ("Invocations", "Errors", "Throttles", "AsyncEventsReceived", "AsyncEventsDropped",
                  "DeadLetterErrors", "DestinationDeliveryFailures")
_CONFIGURABLE = ("handler", "runtime", "runtime_client", "memory_size", "timeout", "environment", "description",
                 "role", "dead_letter_config")


class LambdaService:
    """A small Lambda service: the API calls a student makes, each a Lambda operation in snake_case."""

    def __init__(self, **settings: Any) -> None:
        """Settings are lambdanb.service.settings.Settings fields, e.g. LambdaService(account_concurrency=10)."""
        self.settings = Settings.make(**settings)
        self.clock = Clock(self.settings.deterministic)
        self.workdir = Path(tempfile.mkdtemp(prefix="lambdanb-"))
        self.ids = IdSource(self.clock)
        self.functions = FunctionRegistry(self.workdir / "functions")
        self.logs = LogStore()
        self.metrics = MetricStore()
        self.placement = Placement(self.workdir, self.ids, self.settings, self.functions)
        self.invoker = Invoker(self.placement, self.logs, self.metrics, self.clock)
        self.frontend = Frontend(self.functions, self.invoker, self.ids, self.settings, self.metrics, self.clock)
        self.queue = self.frontend.queue
        self.event_sources = EventSources(self.frontend, self.functions, self.metrics, self.clock)
        self.triggers = Triggers(self.frontend, self.functions)

    def __repr__(self) -> str:
        changed = {k: v for k, v in vars(self.settings).items() if v != Settings.__dataclass_fields__[k].default}
        return f"<lambdanb Lambda service: {len(self.functions.all())} functions, settings {changed or 'default'}>"

    # Functions and their code

    def create_function(self, name: str, code: str, *, handler: str | None = None, runtime: str = "python3.12",
                        memory_size: int = 128, timeout: int = 3, environment: dict[str, str] | None = None,
                        description: str = "", role: str | None = None,
                        dead_letter_config: dict[str, str] | None = None,
                        runtime_client: str | None = None) -> FunctionConfig:
        """CreateFunction: a new function whose deployment package is `code` as its handler file.
        role is a role's name or ARN (see lambdanb.aws.create_role); without one the function can write its
        logs and nothing else. The handler defaults to the runtime's (lambda_function.lambda_handler,
        index.handler for Node.js, function.handler for provided.*); runtime_client="awslambdaric" runs a Python
        function through the Runtime API with AWS's own runtime client."""
        config = self._config(name, code, "CreateFunction", handler=handler, runtime=runtime,
                              memory_size=memory_size, timeout=timeout, environment=environment,
                              description=description, role=role, dead_letter_config=dead_letter_config,
                              runtime_client=runtime_client)
        return self.functions.create(config)

    def update_function(self, name: str, code: str, *, handler: str | None = None, runtime: str = "python3.12",
                        memory_size: int = 128, timeout: int = 3, environment: dict[str, str] | None = None,
                        description: str = "", role: str | None = None,
                        dead_letter_config: dict[str, str] | None = None,
                        runtime_client: str | None = None) -> FunctionConfig:
        """UpdateFunctionCode and UpdateFunctionConfiguration of $LATEST at once; warm environments retire."""
        config = self._config(name, code, "UpdateFunctionCode", handler=handler, runtime=runtime,
                              memory_size=memory_size, timeout=timeout, environment=environment,
                              description=description, role=role, dead_letter_config=dead_letter_config,
                              runtime_client=runtime_client)
        config = self.functions.update(config)
        self.placement.retire(name, "$LATEST")
        return config

    def deploy_function(self, name: str, code: str, **settings: Any) -> FunctionConfig:
        """Create the function, or update it if it exists: what the console's Deploy button does."""
        if self.functions.exists(name):
            return self.update_function(name, code, **settings)
        return self.create_function(name, code, **settings)

    def update_function_configuration(self, name: str, **changes: Any) -> FunctionConfig:
        """UpdateFunctionConfiguration: any of handler, runtime, memory_size, timeout, environment, description,
        role, dead_letter_config={"TargetArn": arn}; a new $LATEST, so warm environments retire."""
        operation = "UpdateFunctionConfiguration"
        config = self.functions.latest(name, operation)
        unknown = set(changes) - set(_CONFIGURABLE)
        if unknown:
            raise LambdaNBError(f"update_function_configuration takes {', '.join(_CONFIGURABLE)}, "
                                f"not {', '.join(sorted(unknown))}.")
        current = {"handler": config.handler, "runtime": config.runtime, "runtime_client": config.runtime_client,
                   "memory_size": config.memory_size, "timeout": config.timeout, "environment": config.environment,
                   "description": config.description, "role": config.role,
                   "dead_letter_config": {"TargetArn": config.dead_letter_target_arn}}
        new = self.functions.update(self._config(name, config.code, operation, **(current | changes)), operation)
        self.placement.retire(name, "$LATEST")
        return new

    def _config(self, name: str, code: str, operation: str, *, environment: dict[str, str] | None,
                role: str | None, dead_letter_config: dict[str, str] | None, handler: str | None,
                **settings: Any) -> FunctionConfig:
        environment = {str(k): str(v) for k, v in (environment or {}).items()}
        settings["handler"] = handler or runtimes.default_handler(settings["runtime"])
        validate(name, environment=environment, operation=operation, **settings)
        config = FunctionConfig(name=name, code=code, environment=environment,
                                dead_letter_target_arn=(dead_letter_config or {}).get("TargetArn"), **settings)
        if role:
            from .. import aws
            config.role = aws.local.role_arn(role)
            config.logs_delivered = all(aws.local.role_allows(config.role, action) for action in aws.LOG_ACTIONS)
        return config

    def get_function(self, name: str) -> FunctionConfig:
        return self.functions.latest(name)

    def list_functions(self) -> list[FunctionConfig]:
        return self.functions.all()

    def delete_function(self, name: str) -> None:
        """DeleteFunction: its record goes (versions, aliases, concurrency, async configuration, triggers, test
        events), its environments stop, its queued events are dropped; its log group stays, as on AWS."""
        name, _ = function_reference(name, operation="DeleteFunction")
        self.functions.delete(name)
        for part in (self.placement, self.queue, self.event_sources, self.triggers):
            part.function_deleted(name)

    # Versions and aliases

    def publish_version(self, name: str, description: str = "") -> FunctionConfig:
        """PublishVersion: freeze $LATEST as version 1, 2, ...; invoke it with qualifier="1"."""
        return self.functions.publish_version(name, description)

    def list_versions_by_function(self, name: str) -> list[FunctionConfig]:
        return self.functions.list_versions(name)

    def create_alias(self, name: str, alias: str, function_version: str, description: str = "") -> dict[str, str]:
        """CreateAlias: a name (such as "prod") for a version; invoke it with qualifier="prod"."""
        return self.functions.put_alias(name, alias, function_version, description, "CreateAlias").describe()

    def update_alias(self, name: str, alias: str, function_version: str, description: str = "") -> dict[str, str]:
        """UpdateAlias: point the alias at another version."""
        return self.functions.put_alias(name, alias, function_version, description, "UpdateAlias").describe()

    def list_aliases(self, name: str) -> list[dict[str, str]]:
        return [alias.describe() for alias in self.functions.get(name, "ListAliases").aliases.values()]

    # Concurrency

    def put_function_concurrency(self, name: str, reserved_concurrent_executions: int) -> dict[str, int]:
        """PutFunctionConcurrency: reserve (and cap) this many concurrent executions; 0 throttles every invoke."""
        function = self.functions.get(name, "PutFunctionConcurrency")
        self.placement.check_reserved_concurrency(name, reserved_concurrent_executions)
        function.reserved_concurrency = reserved_concurrent_executions
        return {"ReservedConcurrentExecutions": reserved_concurrent_executions}

    def get_function_concurrency(self, name: str) -> dict[str, int]:
        reserved = self.functions.get(name, "GetFunctionConcurrency").reserved_concurrency
        return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}

    def delete_function_concurrency(self, name: str) -> None:
        self.functions.get(name, "DeleteFunctionConcurrency").reserved_concurrency = None

    def put_provisioned_concurrency_config(self, name: str, qualifier: str,
                                           provisioned_concurrent_executions: int) -> dict[str, Any]:
        """PutProvisionedConcurrencyConfig on a version or alias: that many environments initialised now,
        with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency; more invokes spill over to on-demand."""
        operation = "PutProvisionedConcurrencyConfig"
        function = self.functions.get(name, operation)
        self.placement.check_provisioned_concurrency(qualifier, provisioned_concurrent_executions,
                                                     function.reserved_concurrency)
        config = self.functions.resolve(name, qualifier, operation)
        function.provisioned_concurrency[qualifier] = provisioned_concurrent_executions
        for environment in self.placement.provision(config, provisioned_concurrent_executions):
            self.invoker.initialize_ahead(config, environment)
        return {"RequestedProvisionedConcurrentExecutions": provisioned_concurrent_executions,
                "AllocatedProvisionedConcurrentExecutions": provisioned_concurrent_executions, "Status": "READY"}

    def environments(self, name: str, version: str | None = None) -> int:
        """How many execution environments a function (or one of its versions) has now, busy or idle."""
        return self.placement.environments(name, version)

    def concurrent_executions(self, name: str | None = None) -> int:
        """Environments running an invocation now, of one function or of all."""
        return self.placement.concurrent_executions(name)

    # Invoking

    def invoke(self, function_name: str, event: Any = NO_PAYLOAD, *,
               invocation_type: str | InvocationType = InvocationType.REQUEST_RESPONSE, qualifier: str | None = None,
               client_context: dict[str, Any] | None = None, source: str = "api") -> Invocation:
        """Invoke: run the function with `event` (with none, the handler gets {} as on AWS) and return what
        happened."""
        return self.frontend.invoke(function_name, event, invocation_type=invocation_type, qualifier=qualifier,
                                    client_context=client_context, source=source)

    def put_function_event_invoke_config(self, name: str, *, maximum_retry_attempts: int | None = None,
                                         maximum_event_age_in_seconds: int | None = None,
                                         destination_config: dict[str, Any] | None = None) -> EventInvokeConfig:
        """PutFunctionEventInvokeConfig: retries (0-2), maximum event age (60-21600 s), and destinations
        {"OnSuccess": {"Destination": arn}, "OnFailure": {"Destination": arn}} (a function or an SQS queue)."""
        function = self.functions.get(name, "PutFunctionEventInvokeConfig")
        function.event_invoke_config = event_invoke_config(maximum_retry_attempts, maximum_event_age_in_seconds,
                                                           destination_config)
        return function.event_invoke_config

    def get_function_event_invoke_config(self, name: str) -> EventInvokeConfig | None:
        """The function's async configuration, or None while it has the defaults."""
        return self.functions.get(name, "GetFunctionEventInvokeConfig").event_invoke_config

    def async_outcomes(self, name: str) -> Outcomes:
        """How the function's accepted async events ended: received, succeeded, failed, dropped."""
        return self.queue.outcomes(name)

    def async_queue_status(self, name: str) -> AsyncQueueStatus:
        """The function's internal queue now: events waiting (for a first attempt or a retry), in flight, and
        where the finished ones went (destinations, dead-letter queue, dropped)."""
        self.functions.get(name)
        return self.queue.status(name)

    def timeline(self, name: str) -> list[TimelineEntry]:
        """What happened in the function's execution environments and async queue, oldest first: INITs, invokes,
        throttles, retirements, and each async event's queueing, retries and end (the most recent few thousand)."""
        self.functions.get(name)
        return list(self.placement.timelines.get(name, ()))

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until the async queues are empty, nothing is in flight and every event source mapping and trigger
        has read all there is (False if the timeout came first)."""
        deadline = None if timeout is None else time.monotonic() + timeout

        def remaining() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        while True:
            if not (self.queue.drain(remaining()) and self.event_sources.wait_idle(remaining())
                    and self.triggers.wait_idle(remaining())):
                return False
            if self.queue.pending() == 0:
                return True

    # Event sources and triggers

    def create_event_source_mapping(self, function_name: str, event_source_arn: str,
                                    **settings: Any) -> dict[str, Any]:
        """CreateEventSourceMapping for an SQS queue, Kinesis stream or DynamoDB stream of the local AWS:
        batch_size, maximum_batching_window_in_seconds, function_response_types=["ReportBatchItemFailures"],
        bisect_batch_on_function_error, maximum_retry_attempts, starting_position, destination_config, enabled."""
        return self.event_sources.create(function_name, event_source_arn, **settings)

    def get_event_source_mapping(self, uuid: str) -> dict[str, Any]:
        return self.event_sources.get(uuid)

    def update_event_source_mapping(self, uuid: str, **settings: Any) -> dict[str, Any]:
        """UpdateEventSourceMapping: enabled=True/False, batch_size."""
        return self.event_sources.update(uuid, **settings)

    def delete_event_source_mapping(self, uuid: str) -> dict[str, Any]:
        return self.event_sources.delete(uuid)

    def list_event_source_mappings(self, function_name: str | None = None) -> list[dict[str, Any]]:
        return self.event_sources.list(function_name)

    def add_s3_trigger(self, function_name: str, bucket: str, *,
                       events: list[str] | tuple[str, ...] = ("s3:ObjectCreated:*",), prefix: str = "",
                       suffix: str = "") -> dict[str, Any]:
        """The console's "Add trigger → S3": objects put into the bucket invoke the function asynchronously
        with Lambda's S3 event (the same as a LambdaFunctionConfiguration in the bucket's notifications)."""
        return self.triggers.add_s3_trigger(function_name, bucket, list(events), prefix, suffix)

    def list_triggers(self, function_name: str) -> list[dict[str, Any]]:
        """The function's triggers, as the console's Function overview lists them."""
        return [trigger.describe() for trigger in self.functions.get(function_name).triggers]

    # The console's saved test events

    def save_test_event(self, name: str, event_name: str, event: Any) -> None:
        """The console's "Create test event": keep an event under a name, for this function."""
        function = self.functions.get(name)
        if not event_name.strip():
            raise LambdaNBError("A test event needs a name.")
        function.test_events[event_name.strip()] = event

    def list_test_events(self, name: str) -> dict[str, Any]:
        return dict(self.functions.get(name).test_events)

    # Logs, metrics and cost

    def get_logs(self, function_name: str, *, log_stream: str | None = None, request_id: str | None = None,
                 pattern: str | None = None, start_time: int | None = None, end_time: int | None = None,
                 limit: int | None = None) -> LogEvents:
        """FilterLogEvents on the function's log group /aws/lambda/<name>."""
        return self.logs.filter(f"/aws/lambda/{function_name}", log_stream=log_stream, request_id=request_id,
                                pattern=pattern, start_time=start_time, end_time=end_time, limit=limit)

    def get_metrics(self, function_name: str) -> dict[str, float]:
        """The Monitor numbers for a function, over all time: sums, and Duration's statistics."""
        self.functions.get(function_name)
        total = self.metrics.total
        summary = {name: total(function_name, name) for name in SUMMED_METRICS}
        for statistic in ("Average", "p50", "p90", "p99", "Maximum"):
            summary[f"Duration {statistic}"] = total(function_name, "Duration", statistic)
        for name in ("ConcurrentExecutions", "IteratorAge", "AsyncEventAge"):
            summary[f"{name} Maximum"] = total(function_name, name, "Maximum")
        return summary

    def get_metric_statistics(self, function_name: str, metric_name: str,
                              statistic: str = "Sum") -> list[dict[str, Any]]:
        """GetMetricStatistics (namespace AWS/Lambda, dimension FunctionName), one datapoint per minute."""
        return [{"Timestamp": point.timestamp, statistic: point.statistic(statistic)}
                for point in self.metrics.datapoints(function_name, metric_name)]

    def get_custom_metrics(self) -> list[dict[str, Any]]:
        """Metrics functions published in Embedded Metric Format (for example with aws-lambda-powertools)."""
        return [{"Namespace": m.namespace, "MetricName": m.name, "Dimensions": dict(m.dimensions), "Unit": m.unit,
                 "SampleCount": len(v), "Sum": sum(v), "Values": v} for m, v in self.metrics.custom_metrics()]

    def get_cost(self, function_name: str) -> CostEstimate:
        """What this function's invocations so far would cost on AWS (requests and GB-seconds)."""
        self.functions.get(function_name)
        return billing.estimate(int(self.metrics.total(function_name, "Invocations")),
                                self.metrics.total(function_name, GB_SECONDS))

    # The service itself

    def use_lambda_endpoint(self, url: str) -> None:
        """Environments started from now on find the Lambda API at `url` (AWS_ENDPOINT_URL_LAMBDA)."""
        self.placement.lambda_endpoint = url

    def close(self) -> None:
        """Stop every environment and remove the service's files."""
        self.triggers.close()
        self.event_sources.close()
        self.queue.close()
        self.placement.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
