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
_endpoint: Any = None  # the LambdaEndpoint serving _service
_lock = threading.Lock()


def lambda_service() -> LambdaService:
    """The Lambda service of this process, started on first use and stopped at exit."""
    with _lock:
        return _service or _start_locked(LambdaService())


def configure(**settings: Any) -> LambdaService:
    """Start a fresh service with these settings (lambdanb.service.settings.Settings), for example
    configure(deterministic=True) for stable ids and timings, or configure(account_concurrency=10)."""
    with _lock:
        _close_locked()
        return _start_locked(LambdaService(**settings))


def _start_locked(service: LambdaService) -> LambdaService:
    """The service becomes this process's, and its Lambda API the local AWS's: boto3.client("lambda") with the
    local AWS's endpoint, in the notebook or in a function, reaches it."""
    global _service, _endpoint
    from . import aws
    from .endpoint import LambdaEndpoint
    _service = service
    _endpoint = LambdaEndpoint(service)
    aws.local.route_lambda_to(_endpoint.start)
    atexit.register(shutdown)
    return service


def shutdown() -> None:
    """Stop this process's Lambda service (the next call starts a fresh one); it also stops at exit."""
    with _lock:
        _close_locked()


def _close_locked() -> None:
    global _service, _endpoint
    if _endpoint is not None:
        from . import aws
        aws.local.route_lambda_to(None)
        _endpoint.stop()
        _endpoint = None
    if _service is not None:
        atexit.unregister(shutdown)
        _service.close()
        _service = None


def start_endpoint(port: int = 0) -> str:
    """The URL of this kernel's Lambda API on 127.0.0.1, for boto3 and the AWS CLI without the local AWS
    (boto3.client("lambda", endpoint_url=url)); environments started afterwards get AWS_ENDPOINT_URL_LAMBDA.
    The Lambda API is also part of the local AWS: lambdanb.aws.client("lambda") reaches it without this."""
    global _endpoint
    service = lambda_service()
    with _lock:
        if port and _endpoint.port != port:
            from . import aws
            from .endpoint import LambdaEndpoint
            _endpoint.stop()
            _endpoint = LambdaEndpoint(service, port)
            aws.local.route_lambda_to(_endpoint.start)
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
api_url = _forward("api_url")
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
update_function_code = _forward("update_function_code")
put_function_file = _forward("put_function_file")
get_function_configuration = _forward("get_function_configuration")
package_info = _forward("package_info")
get_alias = _forward("get_alias")
delete_alias = _forward("delete_alias")
get_provisioned_concurrency_config = _forward("get_provisioned_concurrency_config")
delete_provisioned_concurrency_config = _forward("delete_provisioned_concurrency_config")
delete_function_event_invoke_config = _forward("delete_function_event_invoke_config")
create_function_url_config = _forward("create_function_url_config")
get_function_url_config = _forward("get_function_url_config")
delete_function_url_config = _forward("delete_function_url_config")
add_permission = _forward("add_permission")
remove_permission = _forward("remove_permission")
get_policy = _forward("get_policy")
tag_resource = _forward("tag_resource")
untag_resource = _forward("untag_resource")
list_tags = _forward("list_tags")
get_account_settings = _forward("get_account_settings")
publish_layer_version = _forward("publish_layer_version")
get_layer_version = _forward("get_layer_version")
get_layer_version_by_arn = _forward("get_layer_version_by_arn")
list_layers = _forward("list_layers")
list_layer_versions = _forward("list_layer_versions")
delete_layer_version = _forward("delete_layer_version")
async_queue_status = _forward("async_queue_status")
