"""The Lambda service one kernel hosts: functions, the Frontend, placement of environments, logs and metrics."""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterValueException, LambdaNBError, ValidationException
from ..ids import IdSource
from ..records import Invocation
from .async_queue import AsyncQueues, EventInvokeConfig
from .event_sources import EventSources
from .frontend import Frontend
from .. import runtimes
from .functions import FunctionConfig, FunctionRegistry, function_arn, validate
from .invoker import Invoker
from .logs import LogEvents, LogStore
from . import billing
from .billing import CostEstimate
from .metrics import GB_SECONDS, MetricStore
from .placement import Placement
from .settings import Settings


SUMMED_METRICS = ("Invocations", "Errors", "Throttles", "AsyncEventsReceived", "AsyncEventsDropped",
                  "DeadLetterErrors", "DestinationDeliveryFailures")


class Service:
    """A small Lambda service: the API calls a student makes, each a Lambda operation in snake_case."""

    def __init__(self, **settings: Any) -> None:
        """Settings are lambdanb.service.settings.Settings fields, e.g. Service(account_concurrency=10)."""
        self.settings = Settings.make(**settings)
        self.deterministic = self.settings.deterministic
        self.workdir = Path(tempfile.mkdtemp(prefix="lambdanb-"))
        self.ids = IdSource(self.deterministic)
        self.functions = FunctionRegistry(self.workdir / "functions")
        self.logs = LogStore()
        self.metrics = MetricStore()
        self.placement = Placement(self.workdir, self.ids, self.settings)
        self.invoker = Invoker(self.placement, self.logs, self.metrics, self.deterministic)
        self.event_invoke_configs: dict[str, EventInvokeConfig] = {}
        self.test_events: dict[str, dict[str, Any]] = {}
        self.endpoint = None  # per function: the console's saved test events
        self.queues = AsyncQueues(self.settings, self.metrics, self._invoke_queued, self._async_config,
                                  self._deliver, self._send_to_dead_letter_queue)
        self.frontend = Frontend(self.functions, self.invoker, self.queues, self.ids)
        self.event_sources = EventSources(
            lambda name, payload: self._invoke_queued(name, payload, self.ids.request_id(name)),
            self.metrics, self._deliver, self.functions.exists)

    def __repr__(self) -> str:
        changed = {k: v for k, v in vars(self.settings).items() if v != Settings.__dataclass_fields__[k].default}
        return f"<lambdanb Lambda service: {len(self.functions.all())} functions, settings {changed or 'default'}>"

    def create_function(self, name: str, code: str, *, handler: str | None = None, runtime: str = "python3.12",
                        memory_size: int = 128, timeout: int = 3, environment: dict[str, str] | None = None,
                        description: str = "", role: str | None = None, dead_letter_config: dict | None = None,
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
                        description: str = "", role: str | None = None, dead_letter_config: dict | None = None,
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
        config = self.functions.get(name, "UpdateFunctionConfiguration")
        current = {"handler": config.handler, "runtime": config.runtime, "runtime_client": config.runtime_client,
                   "memory_size": config.memory_size,
                   "timeout": config.timeout, "environment": config.environment, "description": config.description,
                   "role": config.role, "dead_letter_config": {"TargetArn": config.dead_letter_target_arn}}
        unknown = set(changes) - set(current)
        if unknown:
            raise LambdaNBError(f"update_function_configuration takes {', '.join(current)}, "
                                f"not {', '.join(sorted(unknown))}.")
        new = self.functions.update(self._config(name, config.code, "UpdateFunctionConfiguration",
                                                 **(current | changes)))
        self.placement.retire(name, "$LATEST")
        return new

    def _config(self, name: str, code: str, operation: str, *, environment, role, dead_letter_config, handler,
                **settings) -> FunctionConfig:
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

    def publish_version(self, name: str, description: str = "") -> FunctionConfig:
        """PublishVersion: freeze $LATEST as version 1, 2, ...; invoke it with qualifier="1"."""
        return self.functions.publish_version(name, description)

    def list_versions_by_function(self, name: str) -> list[FunctionConfig]:
        return self.functions.list_versions(name)

    def create_alias(self, name: str, alias: str, function_version: str, description: str = "") -> dict:
        """CreateAlias: a name (such as "prod") for a version; invoke it with qualifier="prod"."""
        return self.functions.put_alias(name, alias, function_version, description, "CreateAlias")

    def update_alias(self, name: str, alias: str, function_version: str, description: str = "") -> dict:
        """UpdateAlias: point the alias at another version."""
        return self.functions.put_alias(name, alias, function_version, description, "UpdateAlias")

    def list_aliases(self, name: str) -> list[dict]:
        return self.functions.list_aliases(name)

    def put_provisioned_concurrency_config(self, name: str, qualifier: str,
                                           provisioned_concurrent_executions: int) -> dict:
        """PutProvisionedConcurrencyConfig on a version or alias: that many environments initialised now,
        with AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency; more invokes spill over to on-demand."""
        operation = "PutProvisionedConcurrencyConfig"
        if qualifier in (None, "$LATEST"):
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", operation)
        config = self.functions.resolve(name, qualifier, operation)
        reserved = self.placement.reserved.get(name)
        if provisioned_concurrent_executions < 1 or (reserved is not None and
                                                     provisioned_concurrent_executions > reserved):
            raise InvalidParameterValueException(
                "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for "
                "function" if reserved is not None else "ProvisionedConcurrentExecutions must be at least 1.",
                operation)
        for environment in self.placement.provision(config, provisioned_concurrent_executions):
            self.invoker.initialize_ahead(config, environment)
        return {"RequestedProvisionedConcurrentExecutions": provisioned_concurrent_executions,
                "AllocatedProvisionedConcurrentExecutions": provisioned_concurrent_executions, "Status": "READY"}

    def put_function_concurrency(self, name: str, reserved_concurrent_executions: int) -> dict:
        """PutFunctionConcurrency: reserve (and cap) this many concurrent executions; 0 throttles every invoke."""
        self.functions.get(name, "PutFunctionConcurrency")
        others = sum(v for k, v in self.placement.reserved.items() if k != name)
        minimum = min(100, self.settings.account_concurrency // 10)
        if reserved_concurrent_executions < 0 or \
                self.settings.account_concurrency - others - reserved_concurrent_executions < minimum:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{minimum}].", "PutFunctionConcurrency")
        self.placement.reserved[name] = reserved_concurrent_executions
        return {"ReservedConcurrentExecutions": reserved_concurrent_executions}

    def get_function_concurrency(self, name: str) -> dict:
        self.functions.get(name, "GetFunctionConcurrency")
        reserved = self.placement.reserved.get(name)
        return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}

    def delete_function_concurrency(self, name: str) -> None:
        self.functions.get(name, "DeleteFunctionConcurrency")
        self.placement.reserved.pop(name, None)

    def put_function_event_invoke_config(self, name: str, *, maximum_retry_attempts: int | None = None,
                                         maximum_event_age_in_seconds: int | None = None,
                                         destination_config: dict | None = None) -> EventInvokeConfig:
        """PutFunctionEventInvokeConfig: retries (0-2), maximum event age (60-21600 s), and destinations
        {"OnSuccess": {"Destination": arn}, "OnFailure": {"Destination": arn}} (a function or an SQS queue)."""
        self.functions.get(name, "PutFunctionEventInvokeConfig")
        config = EventInvokeConfig()
        if maximum_retry_attempts is not None:
            if not 0 <= maximum_retry_attempts <= 2:
                raise ValidationException(
                    f"1 validation error detected: Value '{maximum_retry_attempts}' at 'maximumRetryAttempts' "
                    "failed to satisfy constraint: Member must have value less than or equal to 2",
                    "PutFunctionEventInvokeConfig")
            config.maximum_retry_attempts = maximum_retry_attempts
        if maximum_event_age_in_seconds is not None:
            if not 60 <= maximum_event_age_in_seconds <= 21600:
                raise ValidationException(
                    f"1 validation error detected: Value '{maximum_event_age_in_seconds}' at "
                    "'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between "
                    "60 and 21600", "PutFunctionEventInvokeConfig")
            config.maximum_event_age_in_seconds = maximum_event_age_in_seconds
        destinations = destination_config or {}
        config.on_success = (destinations.get("OnSuccess") or {}).get("Destination")
        config.on_failure = (destinations.get("OnFailure") or {}).get("Destination")
        for arn in (config.on_success, config.on_failure):
            if arn is not None and ":function:" not in arn and ":sqs:" not in arn:
                raise InvalidParameterValueException(
                    f"The destination ARN {arn} is invalid: lambdanb delivers to a function or an SQS queue.",
                    "PutFunctionEventInvokeConfig")
        self.event_invoke_configs[name] = config
        return config

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until the async queues are empty, nothing is in flight and every event source mapping has read
        all there is (False if the timeout came first)."""
        deadline = None if timeout is None else time.monotonic() + timeout

        def remaining() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        while True:
            if not self.queues.drain(remaining()) or not self.event_sources.wait_idle(remaining()):
                return False
            if self.queues.pending() == 0:
                return True

    def create_event_source_mapping(self, function_name: str, event_source_arn: str, **settings: Any) -> dict:
        """CreateEventSourceMapping for an SQS queue, Kinesis stream or DynamoDB stream of the local AWS:
        batch_size, maximum_batching_window_in_seconds, function_response_types=["ReportBatchItemFailures"],
        bisect_batch_on_function_error, maximum_retry_attempts, starting_position, destination_config, enabled."""
        return self.event_sources.create(function_name, event_source_arn, **settings)

    def add_s3_trigger(self, function_name: str, bucket: str, *, events: list[str] = ("s3:ObjectCreated:*",),
                       prefix: str = "", suffix: str = "") -> dict:
        """The console's "Add trigger → S3": objects put into the bucket invoke the function asynchronously
        with Lambda's S3 event (the same as a LambdaFunctionConfiguration in the bucket's notifications)."""
        return self.event_sources.add_s3_trigger(
            function_name, bucket, lambda name, event: self.frontend.invoke(name, event, invocation_type="Event"),
            list(events), prefix, suffix)

    def update_event_source_mapping(self, uuid: str, **settings: Any) -> dict:
        """UpdateEventSourceMapping: enabled=True/False, batch_size."""
        return self.event_sources.update(uuid, **settings)

    def delete_event_source_mapping(self, uuid: str) -> dict:
        return self.event_sources.delete(uuid)

    def list_event_source_mappings(self, function_name: str | None = None) -> list[dict]:
        return self.event_sources.list(function_name)

    def async_outcomes(self, name: str):
        """How the function's accepted async events ended: received, succeeded, failed, dropped."""
        return self.queues.outcomes(name)

    def _invoke_queued(self, name: str, payload: bytes, request_id: str) -> Invocation:
        config = self.functions.get(name, "Invoke")
        return self.invoker.run(config, payload, request_id, function_arn(name))

    def _async_config(self, name: str) -> tuple[EventInvokeConfig, str | None, int | None]:
        config = self.functions.get(name, "Invoke")
        return (self.event_invoke_configs.get(name, EventInvokeConfig()), config.dead_letter_target_arn,
                self.placement.reserved.get(name))

    def _deliver(self, destination: str, record: dict) -> None:
        """Send an invocation record to a destination: another function (async) or an SQS queue."""
        if ":function:" in destination:
            self.frontend.invoke(destination, record, invocation_type="Event")
        else:
            from .. import aws
            aws.send_to_queue(destination, json.dumps(record))

    def _send_to_dead_letter_queue(self, queue_arn: str, payload: bytes, attributes: dict) -> None:
        from .. import aws
        aws.send_to_queue(queue_arn, payload.decode(), attributes)

    def save_test_event(self, name: str, event_name: str, event: Any) -> None:
        """The console's "Create test event": keep an event under a name, for this function."""
        self.functions.get(name)
        if not event_name.strip():
            raise LambdaNBError("A test event needs a name.")
        self.test_events.setdefault(name, {})[event_name.strip()] = event

    def list_test_events(self, name: str) -> dict[str, Any]:
        return dict(self.test_events.get(name, {}))

    def get_function(self, name: str) -> FunctionConfig:
        return self.functions.get(name)

    def list_functions(self) -> list[FunctionConfig]:
        return self.functions.all()

    def delete_function(self, name: str) -> None:
        """DeleteFunction: its environments stop; its log group stays, as on AWS."""
        self.functions.delete(name)
        self.placement.retire(name)  # every version
        self.placement.reserved.pop(name, None)
        self.event_invoke_configs.pop(name, None)
        self.test_events.pop(name, None)
        self.event_sources.delete_for_function(name)
        self.queues.remove(name)
        self.metrics.forget(name)

    def invoke(self, function_name: str, event: Any = None, *, invocation_type: str = "RequestResponse",
               qualifier: str | None = None, client_context: dict | None = None) -> Invocation:
        """Invoke: run the function with `event` and return what happened."""
        return self.frontend.invoke(function_name, event, invocation_type=invocation_type, qualifier=qualifier,
                                    client_context=client_context)

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

    def export_function(self, name: str, directory: str) -> str:
        """Write the function's code, requirements.txt and a SAM template.yaml into a folder, for AWS."""
        from ..export import export_function
        return str(export_function(self, name, directory))

    def start_endpoint(self, port: int = 0) -> str:
        """Serve the Lambda API on 127.0.0.1 for boto3, the AWS CLI and functions calling functions; returns its
        URL (boto3.client("lambda", endpoint_url=url)). Environments started afterwards get AWS_ENDPOINT_URL_LAMBDA."""
        if self.endpoint is None:
            from ..endpoint import LambdaEndpoint
            self.endpoint = LambdaEndpoint(self, port)
            self.placement.lambda_endpoint = self.endpoint.url
        return self.endpoint.url

    def get_metric_statistics(self, function_name: str, metric_name: str, statistic: str = "Sum") -> list[dict]:
        """GetMetricStatistics (namespace AWS/Lambda, dimension FunctionName), one datapoint per minute."""
        return [{"Timestamp": point.timestamp, statistic: point.statistic(statistic)}
                for point in self.metrics.datapoints(function_name, metric_name)]

    def get_custom_metrics(self) -> list[dict]:
        """Metrics functions published in Embedded Metric Format (for example with aws-lambda-powertools)."""
        with self.metrics._lock:
            custom = list(self.metrics.custom.items())
        return [{"Namespace": m.namespace, "MetricName": m.name, "Dimensions": dict(m.dimensions), "Unit": m.unit,
                 "SampleCount": len(v), "Sum": sum(v), "Values": list(v)} for m, v in custom]

    def get_cost(self, function_name: str) -> CostEstimate:
        """What this function's invocations so far would cost on AWS (requests and GB-seconds)."""
        self.functions.get(function_name)
        return billing.estimate(int(self.metrics.total(function_name, "Invocations")),
                                self.metrics.total(function_name, GB_SECONDS))

    def close(self) -> None:
        """Stop every environment and remove the service's files."""
        if self.endpoint is not None:
            self.endpoint.stop()
        self.event_sources.close()
        self.queues.close()
        self.placement.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

