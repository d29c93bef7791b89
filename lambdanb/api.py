"""The Python API: module-level functions over the one Lambda service of this kernel (or process)."""
from __future__ import annotations

import atexit
import functools
import inspect
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .service.lambda_service import LambdaService

_service: LambdaService | None = None
_endpoint: Any = None  # the LambdaEndpoint serving _service, once started
_lock = threading.Lock()


def lambda_service() -> LambdaService:
    """The Lambda service of this process, started on first use and stopped at exit."""
    global _service
    with _lock:
        if _service is None:
            _service = LambdaService()
            atexit.register(_close)
        return _service


def configure(**settings: Any) -> LambdaService:
    """Start a fresh service with these settings (lambdanb.service.settings.Settings), for example
    configure(deterministic=True) for stable ids and timings, or configure(account_concurrency=10)."""
    global _service
    with _lock:
        _close_locked()
        _service = LambdaService(**settings)
        atexit.register(_close)
        return _service


def _close() -> None:
    with _lock:
        _close_locked()


def _close_locked() -> None:
    global _service, _endpoint
    if _endpoint is not None:
        _endpoint.stop()
        _endpoint = None
    if _service is not None:
        atexit.unregister(_close)
        _service.close()
        _service = None


def start_endpoint(port: int = 0) -> str:
    """Serve the Lambda API on 127.0.0.1 for boto3, the AWS CLI and functions calling functions; returns its
    URL (boto3.client("lambda", endpoint_url=url)). Environments started afterwards get AWS_ENDPOINT_URL_LAMBDA."""
    global _endpoint
    service = lambda_service()
    with _lock:
        if _endpoint is None:
            from .endpoint import LambdaEndpoint
            _endpoint = LambdaEndpoint(service, port)
            service.use_lambda_endpoint(_endpoint.url)
        return str(_endpoint.url)


def export_function(name: str, directory: str | Path) -> str:
    """Write the function's code, requirements.txt and a SAM template.yaml into a folder, for AWS."""
    from .export import export_function as export
    return str(export(lambda_service(), name, directory))


def _forward(name: str) -> Callable[..., Any]:
    method = getattr(LambdaService, name)

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(lambda_service(), name)(*args, **kwargs)

    signature = inspect.signature(method)
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=list(signature.parameters.values())[1:])
    return call


create_function = _forward("create_function")
update_function = _forward("update_function")
deploy_function = _forward("deploy_function")
get_function = _forward("get_function")
list_functions = _forward("list_functions")
delete_function = _forward("delete_function")
invoke = _forward("invoke")
get_logs = _forward("get_logs")
get_metrics = _forward("get_metrics")
update_function_configuration = _forward("update_function_configuration")
put_function_concurrency = _forward("put_function_concurrency")
get_function_concurrency = _forward("get_function_concurrency")
delete_function_concurrency = _forward("delete_function_concurrency")
put_function_event_invoke_config = _forward("put_function_event_invoke_config")
get_function_event_invoke_config = _forward("get_function_event_invoke_config")
drain = _forward("drain")
create_event_source_mapping = _forward("create_event_source_mapping")
get_event_source_mapping = _forward("get_event_source_mapping")
update_event_source_mapping = _forward("update_event_source_mapping")
delete_event_source_mapping = _forward("delete_event_source_mapping")
list_event_source_mappings = _forward("list_event_source_mappings")
add_s3_trigger = _forward("add_s3_trigger")
list_triggers = _forward("list_triggers")
get_metric_statistics = _forward("get_metric_statistics")
get_custom_metrics = _forward("get_custom_metrics")
get_cost = _forward("get_cost")
publish_version = _forward("publish_version")
list_versions_by_function = _forward("list_versions_by_function")
create_alias = _forward("create_alias")
update_alias = _forward("update_alias")
list_aliases = _forward("list_aliases")
put_provisioned_concurrency_config = _forward("put_provisioned_concurrency_config")
save_test_event = _forward("save_test_event")
list_test_events = _forward("list_test_events")
async_outcomes = _forward("async_outcomes")
async_queue_status = _forward("async_queue_status")
