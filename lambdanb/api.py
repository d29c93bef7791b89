"""The Python API: module-level functions over the one Lambda service of this kernel (or process)."""
from __future__ import annotations

import atexit
import functools
import inspect
import threading

from .service import Service

_service: Service | None = None
_lock = threading.Lock()


def service() -> Service:
    """The Lambda service of this process, started on first use and stopped at exit."""
    global _service
    with _lock:
        if _service is None:
            _service = Service()
            atexit.register(_service.close)
        return _service


def configure(**settings) -> Service:
    """Start a fresh service with these settings (lambdanb.service.settings.Settings), for example
    configure(deterministic=True) for stable ids and timings, or configure(account_concurrency=10)."""
    global _service
    with _lock:
        if _service is not None:
            atexit.unregister(_service.close)
            _service.close()
        _service = Service(**settings)
        atexit.register(_service.close)
        return _service


def _forward(name: str):
    method = getattr(Service, name)

    @functools.wraps(method)
    def call(*args, **kwargs):
        return getattr(service(), name)(*args, **kwargs)

    signature = inspect.signature(method)
    call.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])
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
drain = _forward("drain")
create_event_source_mapping = _forward("create_event_source_mapping")
update_event_source_mapping = _forward("update_event_source_mapping")
delete_event_source_mapping = _forward("delete_event_source_mapping")
list_event_source_mappings = _forward("list_event_source_mappings")
add_s3_trigger = _forward("add_s3_trigger")
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
start_endpoint = _forward("start_endpoint")
export_function = _forward("export_function")
list_test_events = _forward("list_test_events")
async_outcomes = _forward("async_outcomes")
