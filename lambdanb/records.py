"""The records of the Lambda service: a function's configuration, an invocation request, what it did and logged."""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import display, runtimes
from .arns import function_arn

if TYPE_CHECKING:
    from .service.layers import LayerVersion
    from .service.packages import Package


class InvocationType(str, Enum):
    """How the caller waits: for the result, for acceptance into the internal queue, or for validation only."""

    REQUEST_RESPONSE = "RequestResponse"
    EVENT = "Event"
    DRY_RUN = "DryRun"


@dataclass(frozen=True)
class InvocationRequest:
    """One request to run a function, made once by the Frontend whatever asked for it, and handed on unchanged
    to the Invoker (now) or to the internal queue (later, perhaps several times)."""

    function_name: str
    qualifier: str | None  # as asked: None or $LATEST, a version number, or an alias
    payload: bytes
    request_id: str
    invocation_type: InvocationType
    source: str  # who asked: "api", "endpoint", "event-source", "s3", "destination", ...
    client_context: dict[str, Any] | None = None

    @property
    def invoked_arn(self) -> str:
        """The ARN the caller used, as context.invoked_function_arn shows it."""
        return function_arn(self.function_name, self.qualifier)


@dataclass
class FunctionConfig:
    """One version of a function ($LATEST, or a published number): configuration and code, as
    GetFunctionConfiguration describes it. `code` is the handler file's text (empty when the package has none
    readable as text); `package` is the whole deployment package."""

    name: str
    code: str = ""
    handler: str = "lambda_function.lambda_handler"
    runtime: str = "python3.12"
    runtime_client: str | None = None  # "awslambdaric" runs a Python function through the Runtime API
    memory_size: int = 128
    timeout: int = 3
    ephemeral_storage: int = 512  # MB of /tmp
    environment: dict[str, str] = field(default_factory=dict)
    description: str = ""
    dead_letter_target_arn: str | None = None
    role: str | None = None  # the execution role's ARN
    logs_delivered: bool = True  # False when the role may not write to CloudWatch Logs
    revision: int = 1
    code_sha256: str = ""
    code_size: int = 0
    last_modified: str = ""
    task_root: Path = Path()
    version: str = "$LATEST"
    package: Package | None = None
    requirements: list[str] = field(default_factory=list)  # installed into the package with pip
    layers: list[LayerVersion] = field(default_factory=list)
    opt_dir: Path | None = None  # the function's layers, extracted: what /opt is on AWS
    kernel_packages: bool = False  # unfaithful: the function also imports the kernel's site-packages

    @property
    def arn(self) -> str:
        return function_arn(self.name)

    @property
    def layer_arns(self) -> list[str]:
        return [layer.arn for layer in self.layers]

    @property
    def key(self) -> str:
        """name:version, the unit environments belong to."""
        return f"{self.name}:{self.version}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    @property
    def handler_file(self) -> str:
        return runtimes.handler_file(self.runtime, self.handler, self.code)

    @property
    def command(self) -> list[str] | None:
        """How an environment starts this function's runtime process (None: the native Python runtime)."""
        return runtimes.command(self.runtime, self.runtime_client, self.handler, self.task_root,
                                isolated=not self.kernel_packages)

    def _repr_html_(self) -> str:
        return display.function_card(self)


@dataclass
class EventInvokeConfig:
    """PutFunctionEventInvokeConfig: what happens to a function's async events."""

    maximum_retry_attempts: int = 2
    maximum_event_age_in_seconds: int = 21600
    on_success: str | None = None  # ARN of a function or an SQS queue
    on_failure: str | None = None


@dataclass
class Alias:
    """A name for a version of a function, such as "prod"."""

    function_name: str
    name: str
    function_version: str
    description: str = ""

    def describe(self) -> dict[str, str]:
        return {"AliasArn": function_arn(self.function_name, self.name), "Name": self.name,
                "FunctionVersion": self.function_version, "Description": self.description}


class LogEvent(NamedTuple):
    """One CloudWatch Logs event (a tuple: one is made for every line a function prints)."""

    timestamp: int  # milliseconds since the epoch
    message: str
    log_stream: str
    request_id: str = ""

    def __str__(self) -> str:
        return self.message


class TimelineEntry(NamedTuple):
    """One raw happening in a function's environments or async queue, as recorded (a tuple: one is made for every
    invoke); the console's Environments and Async queue views derive everything else from these when they read."""

    kind: str  # "init", "invoke", "throttle", "retire"; async events: "queued", "retry", "ended"; stream batches:
    # "batch" (start: when its last record reached the stream; end: when the function had it)
    function_name: str
    version: str
    lane: str  # the environment's log stream (one per environment); "" for what happens outside environments
    start: float  # seconds since the epoch
    end: float
    request_id: str = ""
    invocation_type: str = ""  # an InvocationType value
    source: str = ""  # who asked: api, endpoint, event-source, s3, destination, ...
    attempt: int = 1  # of an async event
    outcome: str = ""  # invoke: the environment's status (ok, error, failed, timeout, oom, exit); others: why
    report: str = ""  # invoke: the REPORT line


class LogEvents(list[LogEvent]):
    """Events returned by a query; shows as the plain log text."""

    def __str__(self) -> str:
        return "".join(event.message if event.message.endswith("\n") else event.message + "\n" for event in self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


@dataclass
class Invocation:
    """One invoke's outcome, as the Lambda console's "Execution result" shows it."""

    request_id: str
    status_code: int
    payload: Any
    function_error: str | None
    log_events: Sequence[LogEvent]  # the invoke's CloudWatch log events, START to REPORT
    duration_ms: float | None
    billed_duration_ms: int | None
    memory_size_mb: int | None
    max_memory_used_mb: int | None
    init_duration_ms: float | None
    executed_version: str | None
    function_name: str = ""

    @classmethod
    def accepted(cls, request: InvocationRequest, status_code: int) -> Invocation:
        """What an Event (202) or DryRun (204) invoke returns: the request id and nothing run yet."""
        return cls(request_id=request.request_id, status_code=status_code, payload=None, function_error=None,
                   log_events=(), duration_ms=None, billed_duration_ms=None, memory_size_mb=None,
                   max_memory_used_mb=None, init_duration_ms=None, executed_version=None,
                   function_name=request.function_name)

    @property
    def logs(self) -> str:
        """The log text of this invoke, as the console's "Function Logs" and the CLI's --log-type Tail show it."""
        return str(LogEvents(self.log_events))

    @property
    def succeeded(self) -> bool:
        return self.function_error is None

    @property
    def hint(self) -> str | None:
        """lambdanb's one line on how to add a module the function could not import (not part of Lambda's answer)."""
        if not isinstance(self.payload, dict) or self.payload.get("errorType") != "Runtime.ImportModuleError":
            return None
        missing = re.search(r"No module named '([^'.]+)", str(self.payload.get("errorMessage", "")))
        if missing is None:
            return None
        from .service.packages import module_distribution
        module, distribution = missing[1], module_distribution(missing[1])
        return (f"lambdanb: {module} is not part of the Lambda runtime; add it to the package with "
                f"requirements=[\"{distribution}\"] (%%lambda NAME --requirements {distribution}) or with a layer.")

    @property
    def response(self) -> str:
        """The payload as the console prints it: indented JSON."""
        if self.payload is None and self.status_code != 200:
            return ""
        if isinstance(self.payload, bytes):  # a handler that returned bytes which are not JSON
            return self.payload.decode("utf-8", "replace")
        return json.dumps(self.payload, indent=2, ensure_ascii=False)

    def __str__(self) -> str:
        text = display.invocation_text(self)
        return f"{text.rstrip()}\n{self.hint}\n" if self.hint else text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return display.invocation_html(self)
