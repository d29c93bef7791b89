"""lambdanb: AWS Lambda inside a Jupyter notebook, for learning and prototyping."""
from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from .widgets.console import Console
    from .widgets.lanes import Timeline
    from .widgets.path import InvocationPath

__version__ = "0.1.0"

# The Python API, imported on first use: an execution environment imports lambdanb's sandbox and needs none of it,
# and %load_ext stays quick.
_FROM_API = (
    "add_permission", "add_s3_trigger", "api_url", "async_outcomes", "async_queue_status", "configure", "create_alias",
    "create_event_source_mapping", "create_function", "create_function_url_config", "delete_alias",
    "delete_event_source_mapping", "delete_function", "delete_function_concurrency",
    "delete_function_event_invoke_config", "delete_function_url_config", "delete_layer_version",
    "delete_provisioned_concurrency_config", "deploy_function", "drain", "export_function", "get_account_settings",
    "get_alias", "get_cost", "get_custom_metrics", "get_event_source_mapping", "get_function",
    "get_function_concurrency", "get_function_configuration", "get_function_event_invoke_config",
    "get_function_url_config", "get_layer_version", "get_layer_version_by_arn", "get_logs",
    "get_metric_statistics", "get_metrics", "get_policy", "get_provisioned_concurrency_config", "invoke",
    "lambda_service", "list_aliases", "list_event_source_mappings", "list_functions", "list_layer_versions",
    "list_layers", "list_tags", "list_test_events", "list_triggers", "list_versions_by_function", "package_info",
    "publish_layer_version", "publish_version", "put_function_concurrency", "put_function_event_invoke_config",
    "put_function_file", "put_provisioned_concurrency_config", "remove_permission", "save_test_event",
    "start_endpoint", "tag_resource", "untag_resource", "update_alias", "update_event_source_mapping",
    "update_function", "update_function_code", "update_function_configuration",)
_ELSEWHERE = {"LambdaNBError": "errors", "Invocation": "records"}

__all__ = [*_FROM_API, "LambdaNBError", "Invocation", "console", "events", "invocation_path", "timeline"]


# Cleared while %load_ext's thread starts the template process. The API waits for it: the template then boots on the
# other core while the API is imported here, instead of the two imports taking turns with this process's one lock.
_template_started = threading.Event()
_template_started.set()


def __getattr__(name: str) -> Any:
    if name == "api" or name in _FROM_API:
        _template_started.wait()
    if name in _FROM_API:
        value = getattr(importlib.import_module(".api", __name__), name)
    elif name in _ELSEWHERE:
        value = getattr(importlib.import_module(f".{_ELSEWHERE[name]}", __name__), name)
    else:
        try:
            value = importlib.import_module(f".{name}", __name__)  # lambdanb.aws, lambdanb.events, ...
        except ModuleNotFoundError:
            raise AttributeError(f"module 'lambdanb' has no attribute '{name}'") from None
    globals()[name] = value
    return value


def console(function_name: str, refresh_seconds: float = 1.0) -> Console:
    """The Lambda console of a function in the notebook: Test, Logs, Monitor and Configuration tabs."""
    from .widgets import console as make_console
    return make_console(function_name, refresh_seconds)


def timeline(function_name: str, seconds: float | None = None) -> Timeline:
    """A picture of the function's execution environments as lanes (INIT, invokes by outcome, idle, resets,
    retirement), its throttles and its concurrency over time; it stays in the saved notebook. `seconds`: the
    window, ending with the last thing that happened (default: all of it, at most 15 minutes)."""
    from .api import lambda_service
    from .widgets.lanes import Timeline
    return Timeline(lambda_service(), function_name, seconds)


def invocation_path(function_name: str, request_id: str) -> InvocationPath:
    """A diagram of one invocation's path through the service (caller, Frontend, internal queue, execution
    environment, handler, logs), drawn from what was recorded for its request id; it stays in the saved notebook."""
    from .api import lambda_service
    from .widgets.path import InvocationPath
    return InvocationPath(lambda_service(), function_name, request_id)


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """%load_ext lambdanb: registers %%lambda and %lambda, and makes `lambdanb` available in the notebook. It
    returns at once; the first environment process and the Python API get ready in the background."""
    from .magics import LambdaMagics
    ipython.register_magics(LambdaMagics)
    ipython.user_ns.setdefault("lambdanb", __import__(__name__))
    _template_started.clear()
    threading.Thread(target=_get_ready, name="lambdanb-get-ready", daemon=True).start()


def _get_ready() -> None:
    """While the notebook's next cell is being written: the template process first (it boots in a process of its
    own, on the other core), then a spare environment process, then the Python API (a magic that comes sooner
    waits for it)."""
    try:
        try:
            from .sandbox import template
            template.start_template()
        finally:
            _template_started.set()  # whatever happened: the API must never wait for ever
        template.spare.refill()  # the first cold start finds a process ready, not a server to boot
        importlib.import_module(".api", __name__)
    except Exception:  # the magic that needs them starts them again, and shows what is wrong
        pass
