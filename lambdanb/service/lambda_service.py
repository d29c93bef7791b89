"""LambdaService: the Lambda service one kernel hosts, its API calls (Lambda's operations in snake_case) composed
from the parts an invocation flows through."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import aws, runtimes
from ..arns import function_arn, function_reference
from ..clock import Clock
from ..errors import (
    InvalidParameterValueException,
    LambdaNBError,
    ProvisionedConcurrencyConfigNotFoundException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..ids import IdSource
from ..records import EventInvokeConfig, FunctionConfig, Invocation, InvocationType, TimelineEntry
from ..sandbox import leftovers
from . import billing, packages, permissions
from .async_queue import AsyncQueueStatus, Outcomes, event_invoke_config
from .billing import CostEstimate
from .frontend import NO_PAYLOAD, Frontend
from .functions import FunctionRegistry, validate
from .invoker import Invoker
from .layers import LayerStore, layer_arn
from .logs import LogEvents, LogStore
from .metrics import GB_SECONDS, MetricStore
from .packages import Package
from .placement import Placement
from .settings import Settings
from .triggers import Triggers
from .triggers.schedules import Schedules

if TYPE_CHECKING:
    from .event_sources import EventSources
    from .triggers.api_gateway import ApiGateway
    from .triggers.http import FunctionUrl

SUMMED_METRICS = ("Invocations", "Errors", "Throttles", "AsyncEventsReceived", "AsyncEventsDropped",
                  "DeadLetterErrors", "DestinationDeliveryFailures")
_CONFIGURABLE = ("handler", "runtime", "runtime_client", "memory_size", "timeout", "environment", "description",
                 "role", "dead_letter_config", "layers", "kernel_packages", "ephemeral_storage")


def no_event_invoke_config(arn: str, operation: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"The function {arn} doesn't have an EventInvokeConfig", operation)


class LambdaService:
    """A small Lambda service: the API calls a student makes, each a Lambda operation in snake_case."""

    def __init__(self, **settings: Any) -> None:
        """Settings are lambdanb.service.settings.Settings fields, e.g. LambdaService(account_concurrency=10)."""
        self.settings = Settings.make(**settings)
        self.clock = Clock(self.settings.deterministic)
        self.workdir = Path(tempfile.mkdtemp(prefix="lambdanb-"))
        leftovers.hold(self.workdir)  # removed by the next kernel if this one dies without cleaning up
        self.ids = IdSource(self.clock)
        self.functions = FunctionRegistry(self.workdir / "functions")
        self.layers = LayerStore(self.workdir / "opt")
        self.logs = LogStore()
        self.metrics = MetricStore()
        self.placement = Placement(self.workdir, self.ids, self.settings, self.functions)
        self.invoker = Invoker(self.placement, self.logs, self.metrics, self.clock)
        self.frontend = Frontend(self.functions, self.invoker, self.ids, self.settings, self.metrics, self.clock)
        self.queue = self.frontend.queue
        self.triggers = Triggers(self.functions)
        self.schedules = Schedules(self.frontend, lambda: self.settings.schedule_speedup)

    # Made on first use, as their modules are imported then: the first invoke of a notebook needs neither.

    @functools.cached_property
    def event_sources(self) -> EventSources:
        from .event_sources import EventSources
        return EventSources(self.frontend, self.functions, self.metrics, self.clock)

    @functools.cached_property
    def api_gateway(self) -> ApiGateway:
        from .triggers.api_gateway import ApiGateway
        return ApiGateway(self.frontend, lambda api_id: aws.local.api_routes(api_id))

    def __repr__(self) -> str:
        changed = {k: v for k, v in vars(self.settings).items() if v != Settings.__dataclass_fields__[k].default}
        return f"<lambdanb Lambda service: {len(self.functions.all())} functions, settings {changed or 'default'}>"

    # Functions and their code

    def create_function(self, name: str, code: str | None = None, *, handler: str | None = None,
                        runtime: str = "python3.12", memory_size: int = 128, timeout: int = 3,
                        environment: dict[str, str] | None = None, description: str = "", role: str | None = None,
                        dead_letter_config: dict[str, str] | None = None, runtime_client: str | None = None,
                        zip_file: bytes | None = None, package: str | Path | None = None,
                        s3_bucket: str | None = None, s3_key: str | None = None, s3_object_version: str | None = None,
                        requirements: list[str] | None = None, layers: list[str] | None = None,
                        kernel_packages: bool = False, ephemeral_storage: int = 512) -> FunctionConfig:
        """CreateFunction. The deployment package is `code` as its handler file (a cell), zip_file=bytes of a zip,
        package=a folder (with `code` too: the folder's files plus the handler file), or s3_bucket/s3_key in the
        local S3. requirements=["pillow>=10"] are pip-installed into the package (cached); layers are layer version
        ARNs. A function imports the standard library, boto3, its package and its layers; kernel_packages=True
        lets it import the kernel's packages too, which AWS will not. role is a role's name or ARN (see
        lambdanb.aws.create_role); without one the function can write its logs and nothing else. The handler
        defaults to the runtime's (lambda_function.lambda_handler, index.handler for Node.js, function.handler for
        provided.*); runtime_client="awslambdaric" runs a Python function through the Runtime API."""
        operation = "CreateFunction"
        handler = handler or runtimes.default_handler(runtime)
        built = self._package(operation, code, handler, runtime, zip_file, package, s3_bucket, s3_key,
                              s3_object_version, requirements, None)
        config = self._config(name, built, operation, handler=handler, runtime=runtime, memory_size=memory_size,
                              timeout=timeout, environment=environment, description=description, role=role,
                              dead_letter_config=dead_letter_config, runtime_client=runtime_client,
                              layers=layers, kernel_packages=kernel_packages, ephemeral_storage=ephemeral_storage)
        return self.functions.create(config)

    def update_function(self, name: str, code: str | None = None, *, handler: str | None = None,
                        runtime: str = "python3.12", memory_size: int = 128, timeout: int = 3,
                        environment: dict[str, str] | None = None, description: str = "", role: str | None = None,
                        dead_letter_config: dict[str, str] | None = None, runtime_client: str | None = None,
                        zip_file: bytes | None = None, package: str | Path | None = None,
                        s3_bucket: str | None = None, s3_key: str | None = None, s3_object_version: str | None = None,
                        requirements: list[str] | None = None, layers: list[str] | None = None,
                        kernel_packages: bool = False, ephemeral_storage: int = 512) -> FunctionConfig:
        """UpdateFunctionCode and UpdateFunctionConfiguration of $LATEST at once; warm environments retire.
        `code` alone replaces the handler file and keeps the package's other files (those added with
        put_function_file); zip_file, package or s3_bucket/s3_key replace the whole package."""
        operation = "UpdateFunctionCode"
        handler = handler or runtimes.default_handler(runtime)
        current = self.functions.latest(name, operation)
        built = self._package(operation, code, handler, runtime, zip_file, package, s3_bucket, s3_key,
                              s3_object_version, requirements, current.package)
        config = self._config(name, built, operation, handler=handler, runtime=runtime, memory_size=memory_size,
                              timeout=timeout, environment=environment, description=description, role=role,
                              dead_letter_config=dead_letter_config, runtime_client=runtime_client,
                              layers=layers, kernel_packages=kernel_packages, ephemeral_storage=ephemeral_storage)
        config = self.functions.update(config)
        self.placement.retire(name, "$LATEST")
        return config

    def deploy_function(self, name: str, code: str | None = None, **settings: Any) -> FunctionConfig:
        """Create the function, or update it if it exists: what the console's Deploy button does."""
        if self.functions.exists(name):
            return self.update_function(name, code, **settings)
        return self.create_function(name, code, **settings)

    def update_function_code(self, name: str, *, zip_file: bytes | None = None, package: str | Path | None = None,
                             s3_bucket: str | None = None, s3_key: str | None = None,
                             s3_object_version: str | None = None, code: str | None = None,
                             publish: bool = False) -> FunctionConfig:
        """UpdateFunctionCode: new code for $LATEST, its configuration kept; publish=True also publishes a version."""
        operation = "UpdateFunctionCode"
        current = self.functions.latest(name, operation)
        built = self._package(operation, code, current.handler, current.runtime, zip_file, package, s3_bucket,
                              s3_key, s3_object_version, current.requirements, current.package)
        config = dataclasses.replace(current, package=built, code=self._handler_text(built, current.handler,
                                                                                       current.runtime))
        config = self.functions.update(config, operation)
        self.placement.retire(name, "$LATEST")
        return self.functions.publish_version(name) if publish else config

    def put_function_file(self, name: str, path: str, text: str) -> FunctionConfig:
        """Add or replace one file of the function's package (a helper module, a data file) and deploy it."""
        operation = "UpdateFunctionCode"
        current = self.functions.latest(name, operation)
        path = path.strip().removeprefix("./")
        if not path or path.startswith("/") or ".." in path.split("/"):
            raise LambdaNBError(f"'{path}' is not a path inside the package (such as helpers.py or data/x.json).")
        assert current.package is not None
        built = current.package.with_files({path: text.encode()})
        config = dataclasses.replace(current, package=built,
                                     code=self._handler_text(built, current.handler, current.runtime))
        config = self.functions.update(config, operation)
        self.placement.retire(name, "$LATEST")
        return config

    def update_function_configuration(self, name: str, **changes: Any) -> FunctionConfig:
        """UpdateFunctionConfiguration: any of handler, runtime, memory_size, timeout, environment, description,
        role, dead_letter_config={"TargetArn": arn}, layers, kernel_packages, ephemeral_storage (MB of /tmp); a new
        $LATEST, so warm environments retire."""
        operation = "UpdateFunctionConfiguration"
        config = self.functions.latest(name, operation)
        unknown = set(changes) - set(_CONFIGURABLE)
        if unknown:
            raise LambdaNBError(f"update_function_configuration takes {', '.join(_CONFIGURABLE)}, "
                                f"not {', '.join(sorted(unknown))}.")
        current = {"handler": config.handler, "runtime": config.runtime, "runtime_client": config.runtime_client,
                   "memory_size": config.memory_size, "timeout": config.timeout, "environment": config.environment,
                   "description": config.description, "role": config.role,
                   "dead_letter_config": {"TargetArn": config.dead_letter_target_arn},
                   "layers": config.layer_arns, "kernel_packages": config.kernel_packages,
                   "ephemeral_storage": config.ephemeral_storage}
        assert config.package is not None
        new = self._config(name, config.package, operation, **(current | changes))
        new = self.functions.update(new, operation, new_code=False)
        self.placement.retire(name, "$LATEST")
        return new

    def _package(self, operation: str, code: str | None, handler: str, runtime: str, zip_file: bytes | None,
                 folder: str | Path | None, s3_bucket: str | None, s3_key: str | None, s3_version: str | None,
                 requirements: list[str] | None, current: Package | None) -> Package:
        """The deployment package from whichever form the code came in."""
        if requirements and runtime not in runtimes.PYTHON:
            raise LambdaNBError(f"requirements are pip requirements, for Python functions; a {runtime} function "
                                "brings its dependencies in its package or in a layer.")
        if zip_file is not None or s3_bucket or s3_key:
            if code is not None or folder is not None:
                raise LambdaNBError("Give the code one way: a zip (zip_file, or s3_bucket and s3_key), or cell "
                                    "code with an optional package folder.")
            uploaded = (packages.from_zip(zip_file, operation) if zip_file is not None
                        else packages.from_s3(s3_bucket or "", s3_key or "", s3_version, operation))
            return packages.Package(uploaded.files, uploaded.zip, list(requirements or []))
        files = packages.from_folder(folder) if folder is not None else dict(current.files) if current else {}
        if code is not None:
            files[runtimes.handler_file(runtime, handler, code)] = code.encode()
        if not files:
            raise LambdaNBError("A function needs code: the cell's text, zip_file=bytes of a zip, package=a folder, "
                                "or s3_bucket and s3_key of a zip in the local S3.")
        return packages.Package(files, requirements=list(requirements or []))

    @staticmethod
    def _handler_text(built: Package, handler: str, runtime: str) -> str:
        """The handler file's text, for display and export ("" when the package has none readable)."""
        for name in (runtimes.handler_file(runtime, handler, ""), runtimes.handler_file(runtime, handler, "export ")):
            try:
                return built.files[name].decode()
            except (KeyError, UnicodeDecodeError):
                continue
        return ""

    def _config(self, name: str, built: Package, operation: str, *, environment: dict[str, str] | None,
                role: str | None, dead_letter_config: dict[str, str] | None, handler: str | None,
                layers: list[str] | None, kernel_packages: bool, **settings: Any) -> FunctionConfig:
        environment = {str(k): str(v) for k, v in (environment or {}).items()}
        settings["handler"] = handler or runtimes.default_handler(settings["runtime"])
        cap = self.settings.max_environments_memory_mb
        if cap is not None and isinstance(settings["memory_size"], int) and settings["memory_size"] > cap:
            raise ValidationException(f"1 validation error detected: Value '{settings['memory_size']}' at "
                                      "'memorySize' failed to satisfy constraint: Member must have value less than "
                                      f"or equal to {cap}", operation)
        validate(name, environment=environment, operation=operation, **settings)
        layer_versions = self.layers.resolve(list(layers or []), operation)
        config = FunctionConfig(name=name, code=self._handler_text(built, settings["handler"], settings["runtime"]),
                                environment=environment, package=built, requirements=list(built.requirements),
                                layers=layer_versions,
                                opt_dir=self.layers.extract(layer_versions) if layer_versions else None,
                                kernel_packages=bool(kernel_packages),
                                dead_letter_target_arn=(dead_letter_config or {}).get("TargetArn"), **settings)
        if role:
            try:  # as Lambda does: a role it cannot assume is refused now, not at the first invoke
                config.role = aws.local.role_arn(role)
                aws.local.credentials(config.role)
            except LambdaNBError as refused:
                raise InvalidParameterValueException(str(refused), operation) from None
            config.logs_delivered = all(aws.local.role_allows(config.role, action) for action in aws.LOG_ACTIONS)
        return config

    def get_function(self, name: str) -> FunctionConfig:
        return self.functions.latest(name)

    def get_function_configuration(self, name: str, qualifier: str | None = None) -> FunctionConfig:
        """GetFunctionConfiguration of $LATEST, a version or an alias."""
        name, qualifier = function_reference(name, qualifier, "GetFunctionConfiguration")
        return self.functions.resolve(name, qualifier, "GetFunctionConfiguration")

    def get_function_code(self, name: str, qualifier: str | None = None) -> bytes:
        """The deployment package's zip, as GetFunction's Code.Location lets a client download it."""
        config = self.functions.resolve(*function_reference(name, qualifier, "GetFunction"), "GetFunction")
        assert config.package is not None
        return config.package.zip

    def package_info(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        """What the console's Configuration tab shows of the code: the package's files and sizes, CodeSha256,
        CodeSize, the requirements installed into it, its layers, and whether it imports the kernel's packages."""
        config = self.functions.resolve(*function_reference(name, qualifier, "GetFunction"), "GetFunction")
        assert config.package is not None
        return {"CodeSha256": config.code_sha256, "CodeSize": config.code_size, "Handler": config.handler,
                "Files": [{"Path": path, "Size": len(data)} for path, data in sorted(config.package.files.items())],
                "Requirements": list(config.requirements),
                "InstalledFiles": len(config.package.installed),
                "Layers": [{"Arn": layer.arn, "CodeSize": layer.package.code_size} for layer in config.layers],
                "KernelPackages": config.kernel_packages}

    def list_functions(self) -> list[FunctionConfig]:
        return self.functions.all()

    def delete_function(self, name: str, qualifier: str | None = None) -> None:
        """DeleteFunction: its record goes (versions, aliases, concurrency, async configuration, triggers, test
        events), its environments stop, its queued events are dropped; its log group stays, as on AWS. With a
        version number as qualifier, only that version goes."""
        name, qualifier = function_reference(name, qualifier, operation="DeleteFunction")
        if qualifier is not None:
            self.functions.delete_version(name, qualifier)
            self.placement.retire(name, qualifier)
            return
        function = self.functions.delete(name)
        if function.function_url is not None:
            function.function_url.stop()
        for part in (self.placement, self.queue, self.event_sources):
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

    def get_alias(self, name: str, alias: str) -> dict[str, str]:
        return self.functions.get_alias(name, alias).describe()

    def delete_alias(self, name: str, alias: str) -> None:
        self.functions.delete_alias(name, alias)

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

    def get_provisioned_concurrency_config(self, name: str, qualifier: str) -> dict[str, Any]:
        operation = "GetProvisionedConcurrencyConfig"
        count = self.functions.get(name, operation).provisioned_concurrency.get(qualifier)
        if count is None:
            raise ProvisionedConcurrencyConfigNotFoundException("No Provisioned Concurrency Config found for this "
                                                                "function", operation)
        return {"RequestedProvisionedConcurrentExecutions": count, "AvailableProvisionedConcurrentExecutions": count,
                "AllocatedProvisionedConcurrentExecutions": count, "Status": "READY"}

    def delete_provisioned_concurrency_config(self, name: str, qualifier: str) -> None:
        """The provisioned environments become ordinary ones: they stop when idle long enough."""
        self.functions.get(name, "DeleteProvisionedConcurrencyConfig").provisioned_concurrency.pop(qualifier, None)

    def environments(self, name: str, version: str | None = None) -> int:
        """How many execution environments a function (or one of its versions) has now, busy or idle."""
        return self.placement.environments(name, version)

    def concurrent_executions(self, name: str | None = None) -> int:
        """Environments running an invocation now, of one function or of all."""
        return self.placement.concurrent_executions(name)

    # Invoking

    def invoke(self, function_name: str, event: Any = NO_PAYLOAD, *,
               invocation_type: str | InvocationType = InvocationType.REQUEST_RESPONSE, qualifier: str | None = None,
               client_context: dict[str, Any] | None = None, source: str = "api",
               caller: permissions.ServiceCaller | None = None) -> Invocation:
        """Invoke: run the function with `event` (with none, the handler gets {} as on AWS) and return what
        happened; a service principal's invoke (`caller`) only where the function's resource policy allows it."""
        return self.frontend.invoke(function_name, event, invocation_type=invocation_type, qualifier=qualifier,
                                    client_context=client_context, source=source, caller=caller)

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

    def delete_function_event_invoke_config(self, name: str) -> None:
        function = self.functions.get(name, "DeleteFunctionEventInvokeConfig")
        if function.event_invoke_config is None:
            raise no_event_invoke_config(function.latest.arn, "DeleteFunctionEventInvokeConfig")
        function.event_invoke_config = None

    def async_outcomes(self, name: str) -> Outcomes:
        """How the function's accepted async events ended: received, succeeded, failed, dropped."""
        return self.queue.outcomes(name)

    def async_queue_status(self, name: str) -> AsyncQueueStatus:
        """The function's internal queue now: events waiting (for a first attempt or a retry), in flight, and
        where the finished ones went (destinations, dead-letter queue, dropped). After DeleteFunction it tells the
        events dropped, until a function of the same name gets a queue of its own."""
        if not self.queue.known(name):
            self.functions.get(name)  # Lambda's error for an unknown function
        return self.queue.status(name)

    def timeline(self, name: str) -> list[TimelineEntry]:
        """What happened in the function's execution environments and async queue, oldest first: INITs, invokes,
        throttles, retirements, and each async event's queueing, retries and end (the most recent few thousand).
        It stays after DeleteFunction, as the log group does."""
        entries = self.placement.timelines.get(name)
        if entries is None:
            self.functions.get(name)  # Lambda's error for a function that never was
        return list(entries or ())

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until the async queues are empty, nothing is in flight and every event source mapping has read all
        there is (False if the timeout came first). A stream batch retried for ever counts as done while it waits
        for its next try; schedules are not waited for."""
        deadline = None if timeout is None else time.monotonic() + timeout

        def remaining() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        while True:
            if not (self.queue.drain(remaining()) and self.event_sources.wait_idle(remaining())):
                return False
            if self.queue.pending() == 0:
                return True

    # Event sources and triggers

    def create_event_source_mapping(self, function_name: str, event_source_arn: str,
                                    **settings: Any) -> dict[str, Any]:
        """CreateEventSourceMapping for an SQS queue, Kinesis stream or DynamoDB stream of the local AWS:
        batch_size, maximum_batching_window_in_seconds, function_response_types=["ReportBatchItemFailures"],
        bisect_batch_on_function_error, maximum_retry_attempts, starting_position, destination_config, enabled,
        filter_criteria={"Filters": [{"Pattern": json_text}]} (Lambda's filter rules)."""
        return self.event_sources.create(function_name, event_source_arn, **settings)

    def get_event_source_mapping(self, uuid: str) -> dict[str, Any]:
        return self.event_sources.get(uuid)

    def update_event_source_mapping(self, uuid: str, **settings: Any) -> dict[str, Any]:
        """UpdateEventSourceMapping: enabled=True/False, batch_size."""
        return self.event_sources.update(uuid, **settings)

    def delete_event_source_mapping(self, uuid: str) -> dict[str, Any]:
        return self.event_sources.delete(uuid)

    def list_event_source_mappings(self, function_name: str | None = None) -> list[dict[str, Any]]:
        if "event_sources" not in vars(self):  # none made yet: the console asks every second, leave them unmade
            return []
        return self.event_sources.list(function_name)

    def add_s3_trigger(self, function_name: str, bucket: str, *,
                       events: list[str] | tuple[str, ...] = ("s3:ObjectCreated:*",), prefix: str = "",
                       suffix: str = "") -> dict[str, Any]:
        """The console's "Add trigger → S3": objects put into the bucket invoke the function asynchronously
        with Lambda's S3 event (the same as a LambdaFunctionConfiguration in the bucket's notifications)."""
        return self.triggers.add_s3_trigger(function_name, bucket, list(events), prefix, suffix)

    def list_triggers(self, function_name: str) -> list[dict[str, Any]]:
        """The function's triggers of every kind, as the console's Function overview lists them: {"Type" (S3, SNS,
        EventBridge, EventBridge Scheduler, API Gateway, Function URL, Event source mapping), "FunctionArn",
        "Source" (the bucket, topic, rule, schedule, API, URL or queue/stream ARN), "Detail"}."""
        return self.triggers.list_triggers(function_name, self.event_sources.list(function_name))

    def api_url(self, api_id: str, stage: str | None = None, for_browser: bool = False) -> str:
        """The URL that calls an API Gateway API's stage (REST APIs with Lambda proxy integrations, HTTP APIs) made
        in the local AWS, served from now on; on AWS https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/.
        for_browser: the URL the user's browser opens (through jupyter-server-proxy on JupyterHub)."""
        return self.api_gateway.url(api_id, stage, for_browser)

    # Function URLs

    def create_function_url_config(self, name: str, auth_type: str = "NONE", qualifier: str | None = None,
                                   cors: dict[str, Any] | None = None, invoke_mode: str = "BUFFERED") -> dict[str, Any]:
        """CreateFunctionUrlConfig: an HTTP endpoint for the function that requests, curl and a browser can call
        (auth_type NONE), with Lambda's payload format 2.0 and response mapping."""
        operation = "CreateFunctionUrlConfig"
        function = self.functions.get(name, operation)
        if auth_type not in ("NONE", "AWS_IAM"):
            raise ValidationException(f"1 validation error detected: Value '{auth_type}' at 'authType' failed to "
                                      "satisfy constraint: Member must satisfy enum value set: [AWS_IAM, NONE]",
                                      operation)
        self.functions.resolve(name, qualifier, operation)
        if function.function_url is not None:
            raise ResourceConflictException(
                f"Failed to create function url config for [functionArn = {function_arn(name, qualifier)}]. "
                "Error message:  FunctionUrlConfig exists for this Lambda function", operation)
        from .triggers.http import FunctionUrl
        url = FunctionUrl(name, qualifier, auth_type, dict(cors or {}))
        url.serve(self.frontend)
        function.function_url = url
        return url.describe()

    def get_function_url_config(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        return self._function_url(name, "GetFunctionUrlConfig", qualifier).describe()

    def function_url_for_browser(self, name: str) -> str:
        """The function URL as the user's browser reaches it (through jupyter-server-proxy on JupyterHub)."""
        return self._function_url(name, "GetFunctionUrlConfig").browser_url

    def allow_public_function_url(self, name: str) -> None:
        """What the console adds with a URL whose auth type is NONE: anyone may call the URL, and through it the
        function (AWS asks for both statements since October 2025). Statements already there stay."""
        public: list[tuple[str, str, dict[str, Any]]] = [
            ("FunctionURLAllowPublicAccess", "lambda:InvokeFunctionUrl", {"function_url_auth_type": "NONE"}),
            ("FunctionURLAllowInvokeAction", "lambda:InvokeFunction", {"invoked_via_function_url": True})]
        for statement_id, action, condition in public:
            with contextlib.suppress(ResourceConflictException):
                self.add_permission(name, statement_id, action, "*", **condition)

    def delete_function_url_config(self, name: str, qualifier: str | None = None) -> None:
        url = self._function_url(name, "DeleteFunctionUrlConfig", qualifier)
        self.functions.get(name).function_url = None
        url.stop()

    def _function_url(self, name: str, operation: str, qualifier: str | None = None) -> FunctionUrl:
        """The function's URL (one per function here; AWS allows one per alias too)."""
        url = self.functions.get(name, operation).function_url
        if url is None or (qualifier is not None and url.qualifier != qualifier):
            raise ResourceNotFoundException("The resource you requested does not exist.", operation)
        return url

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

    # Resource policies, tags, account settings

    def add_permission(self, name: str, statement_id: str, action: str, principal: str, *,
                       source_arn: str | None = None, source_account: str | None = None,
                       qualifier: str | None = None, function_url_auth_type: str | None = None,
                       invoked_via_function_url: bool = False) -> dict[str, Any]:
        """AddPermission: a statement in the function's resource policy, which a service's invokes must match."""
        operation = "AddPermission"
        function = self.functions.get(name, operation)
        if any(statement["Sid"] == statement_id for statement in function.policy):
            raise ResourceConflictException(f"The statement id ({statement_id}) provided already exists. Please "
                                            "provide a new statement id, or remove the existing statement.", operation)
        statement = permissions.statement(statement_id, action, principal, function_arn(name, qualifier), source_arn,
                                          source_account, function_url_auth_type, invoked_via_function_url)
        function.policy.append(statement)
        return statement

    def remove_permission(self, name: str, statement_id: str) -> None:
        function = self.functions.get(name, "RemovePermission")
        kept = [statement for statement in function.policy if statement["Sid"] != statement_id]
        if len(kept) == len(function.policy):
            raise ResourceNotFoundException("Statement " + statement_id + " is not found in resource policy.",
                                            "RemovePermission")
        function.policy[:] = kept

    def get_policy(self, name: str) -> dict[str, Any]:
        """GetPolicy: the resource policy document (Version, Id, Statement)."""
        function = self.functions.get(name, "GetPolicy")
        if not function.policy:
            raise ResourceNotFoundException("The resource you requested does not exist.", "GetPolicy")
        return {"Version": "2012-10-17", "Id": "default", "Statement": list(function.policy)}

    def tag_resource(self, resource: str, tags: dict[str, str]) -> None:
        self.functions.get(function_reference(resource, operation="TagResource")[0], "TagResource").tags.update(tags)

    def untag_resource(self, resource: str, tag_keys: list[str]) -> None:
        function = self.functions.get(function_reference(resource, operation="UntagResource")[0], "UntagResource")
        for key in tag_keys:
            function.tags.pop(key, None)

    def list_tags(self, resource: str) -> dict[str, str]:
        return dict(self.functions.get(function_reference(resource, operation="ListTags")[0], "ListTags").tags)

    def get_account_settings(self) -> dict[str, Any]:
        """GetAccountSettings: this service's limits, and what its functions use."""
        configs = self.functions.all()
        return {"AccountLimit": {"TotalCodeSize": 80 * 1024 ** 3, "CodeSizeUnzipped": packages.MAX_UNZIPPED_BYTES,
                                 "CodeSizeZipped": packages.MAX_ZIPPED_BYTES,
                                 "ConcurrentExecutions": self.settings.account_concurrency,
                                 "UnreservedConcurrentExecutions": self.settings.account_concurrency
                                 - sum(self.functions.reservations().values())},
                "AccountUsage": {"TotalCodeSize": sum(c.code_size for c in configs), "FunctionCount": len(configs)}}

    # Layers

    def publish_layer_version(self, layer_name: str, zip_file: bytes | None = None, *, s3_bucket: str | None = None,
                              s3_key: str | None = None, description: str = "",
                              compatible_runtimes: list[str] | None = None,
                              compatible_architectures: list[str] | None = None,
                              license_info: str = "") -> dict[str, Any]:
        """PublishLayerVersion: a zip whose python/ (or nodejs/node_modules/) folder functions using the layer
        import from, as /opt/python on AWS."""
        operation = "PublishLayerVersion"
        if zip_file is None and not (s3_bucket and s3_key):
            raise LambdaNBError("A layer needs its content: zip_file=bytes of a zip, or s3_bucket and s3_key.")
        content = (packages.from_zip(zip_file, operation) if zip_file is not None
                   else packages.from_s3(s3_bucket or "", s3_key or "", None, operation))
        return self.layers.publish(layer_name, content, description, compatible_runtimes, compatible_architectures,
                                   license_info).describe()

    def get_layer_version(self, layer_name: str, version_number: int) -> dict[str, Any]:
        return self.layers.get(layer_name, version_number).describe()

    def get_layer_version_by_arn(self, arn: str) -> dict[str, Any]:
        return self.layers.get_by_arn(arn).describe()

    def list_layer_versions(self, layer_name: str) -> list[dict[str, Any]]:
        return [layer.describe() for layer in self.layers.list_versions(layer_name)]

    def list_layers(self) -> list[dict[str, Any]]:
        return [{"LayerName": layer.name, "LayerArn": layer_arn(layer.name), "LatestMatchingVersion": layer.describe()}
                for layer in self.layers.list_layers()]

    def delete_layer_version(self, layer_name: str, version_number: int) -> None:
        self.layers.delete(layer_name, version_number)

    # The service itself

    def use_lambda_endpoint(self, url: str) -> None:
        """Environments started from now on find the Lambda API at `url` (AWS_ENDPOINT_URL_LAMBDA)."""
        self.placement.lambda_endpoint = url

    @property
    def lambda_endpoint(self) -> str | None:
        """The URL of the Lambda API serving this service, once started."""
        return self.placement.lambda_endpoint

    def close(self) -> None:
        """Stop every environment and remove the service's files."""
        for function in self.functions.all_records():
            if function.function_url is not None:
                function.function_url.stop()
        self.schedules.close()
        made = vars(self)  # the parts made on first use, where they were
        if "api_gateway" in made:
            self.api_gateway.close()
        if "event_sources" in made:
            self.event_sources.close()
        self.queue.close()
        self.placement.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
