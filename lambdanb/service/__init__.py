"""The Lambda service one kernel hosts: functions, the Frontend, placement of environments, logs and metrics."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..ids import IdSource
from ..records import Invocation
from .frontend import Frontend
from .functions import DEFAULT_HANDLER, FunctionConfig, FunctionRegistry, validate
from .invoker import Invoker
from .logs import LogEvents, LogStore
from .metrics import MetricStore
from .placement import Placement


def deterministic_from_environment() -> bool:
    return os.environ.get("LAMBDANB_DETERMINISTIC", "").lower() in ("1", "true", "yes", "on")


class Service:
    """A small Lambda service: the API calls a student makes, each a Lambda operation in snake_case."""

    def __init__(self, *, deterministic: bool | None = None, max_output_bytes: int = 1024 * 1024) -> None:
        self.deterministic = deterministic_from_environment() if deterministic is None else deterministic
        self.workdir = Path(tempfile.mkdtemp(prefix="lambdanb-"))
        self.ids = IdSource(self.deterministic)
        self.functions = FunctionRegistry(self.workdir / "functions")
        self.logs = LogStore()
        self.metrics = MetricStore()
        self.placement = Placement(self.workdir, self.ids, self.deterministic, max_output_bytes)
        self.invoker = Invoker(self.placement, self.logs, self.metrics, self.deterministic)
        self.frontend = Frontend(self.functions, self.invoker, self.ids)

    def create_function(self, name: str, code: str, *, handler: str = DEFAULT_HANDLER, runtime: str = "python3.12",
                        memory_size: int = 128, timeout: int = 3, environment: dict[str, str] | None = None,
                        description: str = "") -> FunctionConfig:
        """CreateFunction: a new function whose deployment package is `code` as its handler file."""
        config = self._config(name, code, handler, runtime, memory_size, timeout, environment, description,
                              "CreateFunction")
        return self.functions.create(config)

    def update_function(self, name: str, code: str, *, handler: str = DEFAULT_HANDLER, runtime: str = "python3.12",
                        memory_size: int = 128, timeout: int = 3, environment: dict[str, str] | None = None,
                        description: str = "") -> FunctionConfig:
        """UpdateFunctionCode and UpdateFunctionConfiguration of $LATEST at once; warm environments retire."""
        config = self._config(name, code, handler, runtime, memory_size, timeout, environment, description,
                              "UpdateFunctionCode")
        config = self.functions.update(config)
        self.placement.retire(name)
        return config

    def deploy_function(self, name: str, code: str, **settings: Any) -> FunctionConfig:
        """Create the function, or update it if it exists: what the console's Deploy button does."""
        if self.functions.exists(name):
            return self.update_function(name, code, **settings)
        return self.create_function(name, code, **settings)

    def _config(self, name, code, handler, runtime, memory_size, timeout, environment, description,
                operation) -> FunctionConfig:
        environment = {str(k): str(v) for k, v in (environment or {}).items()}
        validate(name, handler=handler, runtime=runtime, memory_size=memory_size, timeout=timeout,
                 environment=environment, description=description, operation=operation)
        return FunctionConfig(name=name, code=code, handler=handler, runtime=runtime, memory_size=memory_size,
                              timeout=timeout, environment=environment, description=description)

    def get_function(self, name: str) -> FunctionConfig:
        return self.functions.get(name)

    def list_functions(self) -> list[FunctionConfig]:
        return self.functions.all()

    def delete_function(self, name: str) -> None:
        """DeleteFunction: its environments stop; its log group stays, as on AWS."""
        self.functions.delete(name)
        self.placement.retire(name)
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
        """The console's Monitor numbers for a function: Invocations, Errors and Duration statistics."""
        self.functions.get(function_name)
        total = self.metrics.total
        return {"Invocations": total(function_name, "Invocations"), "Errors": total(function_name, "Errors"),
                "Duration Average": total(function_name, "Duration", "Average"),
                "Duration p50": total(function_name, "Duration", "p50"),
                "Duration p99": total(function_name, "Duration", "p99"),
                "Duration Maximum": total(function_name, "Duration", "Maximum")}

    def close(self) -> None:
        """Stop every environment and remove the service's files."""
        self.placement.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

