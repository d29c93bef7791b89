"""The function registry: one record per function (versions, aliases, concurrency, async configuration), and
Lambda's validation of a function's configuration."""
from __future__ import annotations

import ast
import dataclasses
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import runtimes
from ..arns import function_arn
from ..errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..records import Alias, EventInvokeConfig, FunctionConfig

if TYPE_CHECKING:
    from .triggers.http import FunctionUrl

DEFAULT_HANDLER = runtimes.default_handler("python3.12")
_NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")
_NAME_PATTERN = r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?" \
                r"([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
_ALIAS = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
_ENV_KEY = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
RESERVED_ENV_KEYS = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"})


@dataclass
class Function:
    """Everything Lambda keeps about one function: its versions and aliases, its concurrency, what happens to its
    async events, and the console's saved test events. Deleting the function deletes all of it."""

    latest: FunctionConfig
    versions: dict[str, FunctionConfig] = field(default_factory=dict)  # published versions by number
    aliases: dict[str, Alias] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    provisioned_concurrency: dict[str, int] = field(default_factory=dict)  # by version or alias
    event_invoke_config: EventInvokeConfig | None = None
    function_url: FunctionUrl | None = None
    test_events: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    policy: list[dict[str, Any]] = field(default_factory=list)  # the resource policy's statements
    published: int = 0  # the last version number given: numbers are never reused

    @property
    def name(self) -> str:
        return self.latest.name


def validate(name: str, *, handler: str, runtime: str, runtime_client: str | None, memory_size: int, timeout: int,
             environment: dict[str, str], description: str, operation: str, ephemeral_storage: int = 512) -> None:
    """Refuse what Lambda's CreateFunction would refuse, with Lambda's own words."""
    problems = []
    if not _NAME.fullmatch(name or ""):
        problems.append(f"Value '{name}' at 'functionName' failed to satisfy constraint: "
                        + ("Member must have length less than or equal to 64" if len(name or "") > 64 else
                           f"Member must satisfy regular expression pattern: {_NAME_PATTERN}"))
    if not _whole_number(memory_size) or memory_size < 128:
        problems.append(f"Value '{memory_size}' at 'memorySize' failed to satisfy constraint: "
                        "Member must have value greater than or equal to 128")
    elif memory_size > 10240:
        problems.append(f"Value '{memory_size}' at 'memorySize' failed to satisfy constraint: "
                        "Member must have value less than or equal to 10240")
    if not _whole_number(timeout) or timeout < 1:
        problems.append(f"Value '{timeout}' at 'timeout' failed to satisfy constraint: "
                        "Member must have value greater than or equal to 1")
    elif timeout > 900:
        problems.append(f"Value '{timeout}' at 'timeout' failed to satisfy constraint: "
                        "Member must have value less than or equal to 900")
    if not _whole_number(ephemeral_storage) or ephemeral_storage < 512:
        problems.append(f"Value '{ephemeral_storage}' at 'ephemeralStorage.size' failed to satisfy constraint: "
                        "Member must have value greater than or equal to 512")
    elif ephemeral_storage > 10240:
        problems.append(f"Value '{ephemeral_storage}' at 'ephemeralStorage.size' failed to satisfy constraint: "
                        "Member must have value less than or equal to 10240")
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
    runtimes.check(runtime, runtime_client, operation, handler)
    _validate_environment(environment, operation)


def _whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_environment(environment: dict[str, str], operation: str) -> None:
    with_nul = [key for key, value in environment.items() if "\x00" in value]
    if with_nul:
        raise InvalidParameterValueException(
            f"Lambda was unable to configure your environment variables: the value of {with_nul[0]} contains a "
            "NUL character, which no environment variable can hold.", operation)
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


class FunctionRegistry:
    """The functions of this Lambda service, one Function record each; each revision's code has its own task root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._functions: dict[str, Function] = {}
        self._lock = threading.Lock()

    def create(self, config: FunctionConfig) -> FunctionConfig:
        with self._lock:
            if config.name in self._functions:
                raise ResourceConflictException(f"Function already exist: {config.name}", "CreateFunction")
            self._store(config, revision=1, new_code=True)
            self._functions[config.name] = Function(config)
            return config

    def update(self, config: FunctionConfig, operation: str = "UpdateFunctionCode",
               new_code: bool = True) -> FunctionConfig:
        """A new revision of $LATEST: new code gets its own task root; a configuration change keeps the code's."""
        with self._lock:
            function = self._get(config.name, operation)
            if not new_code:
                config.task_root = function.latest.task_root
            self._store(config, revision=function.latest.revision + 1, new_code=new_code)
            function.latest = config
            return config

    def _store(self, config: FunctionConfig, revision: int, new_code: bool) -> None:
        assert config.package is not None, "a function's configuration carries its package"
        config.revision = revision
        config.code_sha256, config.code_size = config.package.code_sha256, config.package.code_size
        config.last_modified = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
        if new_code:
            config.task_root = self.root / config.name / str(revision)
            config.task_root.mkdir(parents=True, exist_ok=True)
            config.package.write(config.task_root)

    def get(self, name: str, operation: str = "GetFunction") -> Function:
        """The function's whole record; ResourceNotFoundException, as Lambda says it, when there is none."""
        with self._lock:
            return self._get(name, operation)

    def _get(self, name: str, operation: str) -> Function:
        try:
            return self._functions[name]
        except KeyError:
            raise ResourceNotFoundException(f"Function not found: {function_arn(name, '$LATEST')}", operation) from None

    def latest(self, name: str, operation: str = "GetFunction") -> FunctionConfig:
        return self.get(name, operation).latest

    def exists(self, name: str) -> bool:
        return name in self._functions

    def publish_version(self, name: str, description: str = "") -> FunctionConfig:
        """PublishVersion: an immutable snapshot of $LATEST, numbered 1, 2, ... (none if nothing changed)."""
        with self._lock:
            function = self._get(name, "PublishVersion")
            latest = function.latest
            for published in function.versions.values():
                if published.revision == latest.revision:
                    return published
            function.published += 1
            version = dataclasses.replace(latest, version=str(function.published),
                                          description=description or latest.description)
            function.versions[version.version] = version
            return version

    def list_versions(self, name: str) -> list[FunctionConfig]:
        with self._lock:
            function = self._get(name, "ListVersionsByFunction")
            return [function.latest, *function.versions.values()]

    def put_alias(self, name: str, alias: str, function_version: str, description: str, operation: str) -> Alias:
        with self._lock:
            function = self._get(name, operation)
            if function_version != "$LATEST" and function_version not in function.versions:
                raise ResourceNotFoundException(f"Function not found: {function_arn(name, function_version)}",
                                                operation)
            if operation == "CreateAlias" and alias in function.aliases:
                raise ResourceConflictException(f"Alias already exists: {function_arn(name, alias)}", operation)
            if operation == "UpdateAlias" and alias not in function.aliases:
                raise ResourceNotFoundException(f"Alias not found: {function_arn(name, alias)}", operation)
            if not _ALIAS.fullmatch(alias):
                raise ValidationException(f"1 validation error detected: Value '{alias}' at 'name' failed to "
                                          "satisfy constraint: Member must satisfy regular expression pattern: "
                                          f"{_ALIAS.pattern}", operation)
            function.aliases[alias] = Alias(name, alias, function_version, description)
            return function.aliases[alias]

    def get_alias(self, name: str, alias: str, operation: str = "GetAlias") -> Alias:
        with self._lock:
            try:
                return self._get(name, operation).aliases[alias]
            except KeyError:
                raise ResourceNotFoundException(f"Cannot find alias arn: {function_arn(name, alias)}",
                                                operation) from None

    def delete_alias(self, name: str, alias: str) -> None:
        with self._lock:
            self._get(name, "DeleteAlias").aliases.pop(alias, None)

    def delete_version(self, name: str, version: str) -> None:
        """DeleteFunction with a version number as qualifier: that version goes, unless an alias points at it."""
        operation = "DeleteFunction"
        with self._lock:
            function = self._get(name, operation)
            if version == "$LATEST" or not version.isdigit():
                raise InvalidParameterValueException(
                    "$LATEST version cannot be deleted without deleting the function." if version == "$LATEST"
                    else "Deletion of aliases is not supported via DeleteFunction; use DeleteAlias.", operation)
            if version not in function.versions:
                raise ResourceNotFoundException(f"Function not found: {function_arn(name, version)}", operation)
            users = [a.name for a in function.aliases.values() if a.function_version == version]
            if users:
                raise ResourceConflictException(f"Unable to delete version because the following aliases "
                                                f"reference it: {users}", operation)
            del function.versions[version]

    def resolve(self, name: str, qualifier: str | None, operation: str = "Invoke") -> FunctionConfig:
        """The version a qualifier names: none or $LATEST, a version number, or an alias."""
        with self._lock:
            function = self._get(name, operation)
            if qualifier in (None, "$LATEST"):
                return function.latest
            alias = function.aliases.get(qualifier)
            version = alias.function_version if alias else qualifier
            if version == "$LATEST":
                return function.latest
            try:
                return function.versions[version]
            except KeyError:
                raise ResourceNotFoundException(f"Function not found: {function_arn(name, qualifier)}",
                                                operation) from None

    def reservations(self) -> dict[str, int]:
        """Reserved concurrency of every function that has some."""
        with self._lock:
            return {name: f.reserved_concurrency for name, f in self._functions.items()
                    if f.reserved_concurrency is not None}

    def delete(self, name: str) -> Function:
        """DeleteFunction: the record and every version's code go."""
        with self._lock:
            function = self._get(name, "DeleteFunction")
            del self._functions[name]
        shutil.rmtree(self.root / name, ignore_errors=True)
        return function

    def all_records(self) -> list[Function]:
        with self._lock:
            return list(self._functions.values())

    def all(self) -> list[FunctionConfig]:
        with self._lock:
            return sorted((f.latest for f in self._functions.values()), key=lambda config: config.name)


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
