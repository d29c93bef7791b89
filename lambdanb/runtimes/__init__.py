"""Runtimes: the native Python fast path, and the ones that talk to the Runtime API (awslambdaric, Node.js,
custom `provided` bootstraps): their handler files, default handlers and the command that starts them."""
from __future__ import annotations

import posixpath
import re
import shutil
import sys
from pathlib import Path

from ..errors import LambdaNBError

PYTHON = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
NODE = ("nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x")
PROVIDED = ("provided.al2023", "provided.al2")
ALL = PYTHON + NODE + PROVIDED
RUNTIME_CLIENTS = ("awslambdaric",)
NODE_CLIENT = Path(__file__).with_name("node_runtime_client.mjs")
_ES_MODULE = re.compile(r"^\s*(export\s|import\s.+\sfrom\s)", re.M)


def default_handler(runtime: str) -> str:
    if runtime in NODE:
        return "index.handler"
    if runtime in PROVIDED:
        return "function.handler"
    return "lambda_function.lambda_handler"


def handler_file(runtime: str, handler: str, code: str, operation: str = "CreateFunction") -> str:
    """The file the cell becomes in the deployment package: always a relative path inside it."""
    module = handler.rsplit(".", 1)[0] if "." in handler else handler
    if runtime in PROVIDED:
        return "bootstrap"
    if runtime in NODE:
        path = module + (".mjs" if _ES_MODULE.search(code) else ".js")
    else:
        path = module.replace(".", "/") + ".py" if "." in handler else "lambda_function.py"
    _check_inside(handler, path, operation)
    return path


def _check_inside(handler: str, path: str, operation: str) -> None:
    """A handler names a file of the deployment package, never one outside it (../ or an absolute path)."""
    normal = posixpath.normpath(path)
    if path.startswith("/") or normal.startswith("../") or normal == ".." or "\\" in path:
        from ..errors import ValidationException
        raise ValidationException(
            f"1 validation error detected: Value '{handler}' at 'handler' failed to satisfy constraint: "
            "Member must name a file inside the deployment package", operation)


def check(runtime: str, runtime_client: str | None, operation: str, handler: str | None = None) -> None:
    """Refuse a runtime this machine cannot run, or a handler outside the deployment package, in one sentence."""
    from ..errors import InvalidParameterValueException
    if handler is not None and runtime in ALL:
        handler_file(runtime, handler, "", operation)
    if runtime not in ALL:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is not supported here; lambdanb runs {', '.join(ALL)}.", operation)
    if runtime_client is not None:
        if runtime not in PYTHON or runtime_client not in RUNTIME_CLIENTS:
            raise InvalidParameterValueException(
                f"The runtime client {runtime_client} is not available for {runtime}; "
                f"Python runtimes take {', '.join(RUNTIME_CLIENTS)}.", operation)
        import importlib.util
        if importlib.util.find_spec("awslambdaric") is None:
            raise LambdaNBError("The awslambdaric runtime client is not installed: pip install awslambdaric.")
    if runtime in NODE and shutil.which("node") is None:
        raise LambdaNBError(f"The {runtime} runtime needs Node.js: install it (the `node` command) and deploy again.")


def command(runtime: str, runtime_client: str | None, handler: str, task_root: Path,
            isolated: bool = True) -> list[str] | None:
    """How the environment starts the runtime process; None for the native Python runtime. An isolated Python
    runtime client starts without the kernel's site-packages (-S): it imports from PYTHONPATH, as on AWS."""
    if runtime in NODE:
        return [shutil.which("node") or "node", str(NODE_CLIENT)]
    if runtime in PROVIDED:
        return [str(task_root / "bootstrap")]
    if runtime_client == "awslambdaric":
        return [sys.executable, *(["-S"] if isolated else []), "-m", "awslambdaric", handler]
    return None
