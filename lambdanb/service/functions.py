"""Functions and their configuration: FunctionConfig records, validation as Lambda does it, the registry."""
from __future__ import annotations

import ast
import base64
import dataclasses
import hashlib
import io
import re
import shutil
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import runtimes
from ..errors import ResourceConflictException, ResourceNotFoundException, ValidationException, \
    InvalidParameterValueException

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
DEFAULT_HANDLER = runtimes.default_handler("python3.12")
_NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")
_NAME_PATTERN = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?" \
                r"([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
_ENV_KEY = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
RESERVED_ENV_KEYS = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"})


def function_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


@dataclass
class FunctionConfig:
    """One version of a function ($LATEST, or a published number): configuration and code, as
    GetFunctionConfiguration describes it."""

    name: str
    code: str
    handler: str = DEFAULT_HANDLER
    runtime: str = "python3.12"
    runtime_client: str | None = None  # "awslambdaric" runs a Python function through the Runtime API
    memory_size: int = 128
    timeout: int = 3
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

    @property
    def arn(self) -> str:
        return function_arn(self.name)

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
        return runtimes.command(self.runtime, self.runtime_client, self.handler, self.task_root)

    def _repr_html_(self) -> str:
        from ..display import function_card
        return function_card(self)


def validate(name: str, *, handler: str, runtime: str, runtime_client: str | None, memory_size: int, timeout: int,
             environment: dict[str, str], description: str, operation: str) -> None:
    """Refuse what Lambda's CreateFunction would refuse, with Lambda's own words."""
    problems = []
    if not _NAME.fullmatch(name or ""):
        problems.append(f"Value '{name}' at 'functionName' failed to satisfy constraint: "
                        + ("Member must have length less than or equal to 64" if len(name or "") > 64 else
                           f"Member must satisfy regular expression pattern: {_NAME_PATTERN}"))
    if not isinstance(memory_size, int) or memory_size < 128:
        problems.append(f"Value '{memory_size}' at 'memorySize' failed to satisfy constraint: "
                        "Member must have value greater than or equal to 128")
    elif memory_size > 10240:
        problems.append(f"Value '{memory_size}' at 'memorySize' failed to satisfy constraint: "
                        "Member must have value less than or equal to 10240")
    if not isinstance(timeout, int) or timeout < 1:
        problems.append(f"Value '{timeout}' at 'timeout' failed to satisfy constraint: "
                        "Member must have value greater than or equal to 1")
    elif timeout > 900:
        problems.append(f"Value '{timeout}' at 'timeout' failed to satisfy constraint: "
                        "Member must have value less than or equal to 900")
    if not handler or len(handler) > 128 or re.search(r"\s", handler):
        problems.append(f"Value '{handler}' at 'handler' failed to satisfy constraint: "
                        r"Member must satisfy regular expression pattern: [^\s]+")
    if len(description) > 256:
        problems.append("Value at 'description' failed to satisfy constraint: "
                        "Member must have length less than or equal to 256")
    if problems:
        count = len(problems)
        raise ValidationException(f"{count} validation error{'s' if count > 1 else ''} detected: "
                                  + "; ".join(problems), operation)
    runtimes.check(runtime, runtime_client, operation)
    _validate_environment(environment, operation)


def _validate_environment(environment: dict[str, str], operation: str) -> None:
    bad_keys = [key for key in environment if not _ENV_KEY.fullmatch(key)]
    if bad_keys:
        raise ValidationException(
            f"1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
            f"Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
            f"[a-zA-Z]([a-zA-Z0-9_])+] (not: {', '.join(bad_keys)})", operation)
    reserved = sorted(RESERVED_ENV_KEYS.intersection(environment))
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you "
            "have provided contains reserved keys that are currently not supported for modification. "
            f"Reserved keys used in this request: {','.join(reserved)}", operation)
    measured = ",".join(f'"{k}":"{v}"' for k, v in environment.items())
    if len(measured.encode()) + 2 > 4096:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you "
            "have provided exceeded the 4KB limit.", operation)


def package(handler_file: str, code: str) -> tuple[str, int]:
    """CodeSha256 and CodeSize of the deployment package: a zip with the cell as the handler file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(handler_file, date_time=(1980, 1, 1, 0, 0, 0)), code)
    data = buffer.getvalue()
    return base64.b64encode(hashlib.sha256(data).digest()).decode(), len(data)


class FunctionRegistry:
    """The functions of this Lambda service; each revision's code lives in its own task root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._functions: dict[str, FunctionConfig] = {}
        self._versions: dict[str, dict[str, FunctionConfig]] = {}  # published versions by number
        self._aliases: dict[str, dict[str, dict]] = {}  # alias name -> {"FunctionVersion", "Description"}
        self._lock = threading.Lock()

    def create(self, config: FunctionConfig) -> FunctionConfig:
        with self._lock:
            if config.name in self._functions:
                raise ResourceConflictException(f"Function already exist: {config.name}", "CreateFunction")
            return self._store(config, revision=1)

    def update(self, config: FunctionConfig) -> FunctionConfig:
        """A new revision of $LATEST (code or configuration)."""
        with self._lock:
            old = self._get(config.name, "UpdateFunctionCode")
            return self._store(config, revision=old.revision + 1)

    def _store(self, config: FunctionConfig, revision: int) -> FunctionConfig:
        config.revision = revision
        config.code_sha256, config.code_size = package(config.handler_file, config.code)
        config.last_modified = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
        config.task_root = self.root / config.name / str(revision)
        handler_path = config.task_root / config.handler_file
        handler_path.parent.mkdir(parents=True, exist_ok=True)
        handler_path.write_text(config.code)
        if config.runtime in runtimes.PROVIDED:
            handler_path.chmod(0o755)  # the bootstrap is executed
        self._functions[config.name] = config
        return config

    def get(self, name: str, operation: str = "GetFunction") -> FunctionConfig:
        with self._lock:
            return self._get(name, operation)

    def _get(self, name: str, operation: str) -> FunctionConfig:
        try:
            return self._functions[name]
        except KeyError:
            raise ResourceNotFoundException(f"Function not found: {function_arn(name, '$LATEST')}", operation) from None

    def exists(self, name: str) -> bool:
        return name in self._functions

    def publish_version(self, name: str, description: str = "") -> FunctionConfig:
        """PublishVersion: an immutable snapshot of $LATEST, numbered 1, 2, ... (none if nothing changed)."""
        with self._lock:
            latest = self._get(name, "PublishVersion")
            versions = self._versions.setdefault(name, {})
            for published in versions.values():
                if published.revision == latest.revision:
                    return published
            version = dataclasses.replace(latest, version=str(len(versions) + 1),
                                          description=description or latest.description)
            versions[version.version] = version
            return version

    def list_versions(self, name: str) -> list[FunctionConfig]:
        with self._lock:
            return [self._get(name, "ListVersionsByFunction"), *self._versions.get(name, {}).values()]

    def put_alias(self, name: str, alias: str, function_version: str, description: str, operation: str) -> dict:
        with self._lock:
            self._get(name, operation)
            if function_version != "$LATEST" and function_version not in self._versions.get(name, {}):
                raise ResourceNotFoundException(f"Function not found: {function_arn(name, function_version)}",
                                                operation)
            aliases = self._aliases.setdefault(name, {})
            if operation == "CreateAlias" and alias in aliases:
                raise ResourceConflictException(f"Alias already exists: {function_arn(name, alias)}", operation)
            if operation == "UpdateAlias" and alias not in aliases:
                raise ResourceNotFoundException(f"Alias not found: {function_arn(name, alias)}", operation)
            if not re.fullmatch(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)", alias):
                raise ValidationException(f"1 validation error detected: Value '{alias}' at 'name' failed to "
                                          r"satisfy constraint: Member must satisfy regular expression pattern: "
                                          r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)", operation)
            aliases[alias] = {"AliasArn": function_arn(name, alias), "Name": alias,
                              "FunctionVersion": function_version, "Description": description}
            return dict(aliases[alias])

    def list_aliases(self, name: str) -> list[dict]:
        with self._lock:
            self._get(name, "ListAliases")
            return [dict(a) for a in self._aliases.get(name, {}).values()]

    def resolve(self, name: str, qualifier: str | None, operation: str = "Invoke") -> FunctionConfig:
        """The version a qualifier names: none or $LATEST, a version number, or an alias."""
        with self._lock:
            latest = self._get(name, operation)
            if qualifier in (None, "$LATEST"):
                return latest
            alias = self._aliases.get(name, {}).get(qualifier)
            version = alias["FunctionVersion"] if alias else qualifier
            if version == "$LATEST":
                return latest
            try:
                return self._versions[name][version]
            except KeyError:
                raise ResourceNotFoundException(f"Function not found: {function_arn(name, qualifier)}",
                                                operation) from None

    def delete(self, name: str) -> FunctionConfig:
        with self._lock:
            config = self._get(name, "DeleteFunction")
            del self._functions[name]
            self._versions.pop(name, None)
            self._aliases.pop(name, None)
        shutil.rmtree(self.root / name, ignore_errors=True)
        return config

    def all(self) -> list[FunctionConfig]:
        with self._lock:
            return sorted(self._functions.values(), key=lambda f: f.name)


def code_warning(code: str, handler: str) -> str | None:
    """One line telling what invoking will fail with, when the code cannot compile or lacks the handler."""
    module, _, function = handler.rpartition(".")
    try:
        tree = ast.parse(code, filename=f"{module}.py")
    except SyntaxError as error:
        return (f"Warning: {module}.py does not compile ({error.msg}, line {error.lineno}); "
                f"invoking will return Runtime.UserCodeSyntaxError.")
    if module and function and not _defines(tree, function):
        return (f"Warning: {module}.py defines no '{function}'; "
                f"invoking will return Runtime.HandlerNotFound.")
    return None


def _defines(tree: ast.Module, name: str) -> bool:
    """Whether the module's top level binds `name`; code that binds names conditionally gets the benefit of doubt."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names):
                return True
    return any(isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)) or
               (isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)) for node in tree.body)
