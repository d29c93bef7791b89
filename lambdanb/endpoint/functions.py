"""The endpoint's function operations: create, read, update and delete functions and their code, list them,
versions and aliases, and Invoke."""
from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any

from ..arns import DEFAULT_ROLE, function_arn, function_reference
from ..errors import InvalidParameterValueException, LambdaNBError
from . import CODE_PATH
from .protocol import Reply, page, serves

if TYPE_CHECKING:
    from ..records import FunctionConfig
    from ..service.lambda_service import LambdaService

TAIL_BYTES = 4096
# CreateFunction and UpdateFunctionConfiguration members → LambdaService keyword arguments
_SETTINGS = {"Handler": "handler", "Runtime": "runtime", "MemorySize": "memory_size", "Timeout": "timeout",
             "Description": "description", "Role": "role", "DeadLetterConfig": "dead_letter_config",
             "Layers": "layers"}


def configuration(config: FunctionConfig) -> dict[str, Any]:
    """GetFunctionConfiguration's shape."""
    qualified = function_arn(config.name, None if config.version == "$LATEST" else config.version)
    return {"FunctionName": config.name, "FunctionArn": qualified, "Runtime": config.runtime,
            "Role": config.role or DEFAULT_ROLE, "Handler": config.handler,
            "CodeSize": config.code_size, "Description": config.description, "Timeout": config.timeout,
            "MemorySize": config.memory_size, "LastModified": config.last_modified,
            "CodeSha256": config.code_sha256, "Version": config.version,
            "Environment": {"Variables": dict(config.environment)}, "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{qualified}#{config.revision}")),
            "Layers": [{"Arn": layer.arn, "CodeSize": layer.package.code_size} for layer in config.layers],
            "State": "Active", "LastUpdateStatus": "Successful", "PackageType": "Zip",
            "Architectures": ["x86_64"], "EphemeralStorage": {"Size": config.ephemeral_storage},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": config.log_group},
            **({"DeadLetterConfig": {"TargetArn": config.dead_letter_target_arn}}
               if config.dead_letter_target_arn else {})}


def _code(request: dict[str, Any], operation: str) -> dict[str, Any]:
    """The code arguments of a request (Code for CreateFunction; the request itself for UpdateFunctionCode)."""
    code = request.get("Code", request)
    if code.get("ImageUri") or request.get("PackageType") == "Image":
        raise InvalidParameterValueException("lambdanb runs .zip deployment packages only, not container images.",
                                             operation)
    if code.get("ZipFile") is None and not code.get("S3Bucket"):
        raise InvalidParameterValueException("Please provide a source for function code.", operation)
    return {"zip_file": code.get("ZipFile"), "s3_bucket": code.get("S3Bucket"), "s3_key": code.get("S3Key"),
            "s3_object_version": code.get("S3ObjectVersion")}


def _settings(request: dict[str, Any], operation: str) -> dict[str, Any]:
    settings = {argument: request[member] for member, argument in _SETTINGS.items() if member in request}
    if "Environment" in request:
        settings["environment"] = request["Environment"].get("Variables") or {}
    if "EphemeralStorage" in request:
        settings["ephemeral_storage"] = request["EphemeralStorage"].get("Size")
    if settings.get("role") == DEFAULT_ROLE:
        settings["role"] = None  # what GetFunction shows for a function created without a role
    elif settings.get("role"):
        from .. import aws
        try:
            aws.local.credentials(aws.local.role_arn(settings["role"]))
        except LambdaNBError:
            raise InvalidParameterValueException("The role defined for the function cannot be assumed by Lambda.",
                                                 operation) from None
    return settings


@serves("CreateFunction")
def create_function(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="CreateFunction")[0]
    config = service.create_function(name, **_code(request, "CreateFunction"), **_settings(request, "CreateFunction"))
    if request.get("Tags"):
        service.tag_resource(name, request["Tags"])
    return configuration(service.publish_version(name) if request.get("Publish") else config)


@serves("UpdateFunctionCode")
def update_function_code(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="UpdateFunctionCode")[0]
    return configuration(service.update_function_code(name, **_code(request, "UpdateFunctionCode"),
                                                      publish=bool(request.get("Publish"))))


@serves("UpdateFunctionConfiguration")
def update_function_configuration(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="UpdateFunctionConfiguration")[0]
    return configuration(service.update_function_configuration(name, **_settings(request, "CreateFunction")))


@serves("GetFunction")
def get_function(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    config = service.get_function_configuration(request["FunctionName"], request.get("Qualifier"))
    tags = service.list_tags(config.name)
    concurrency = service.get_function_concurrency(config.name)
    location = f"{service.lambda_endpoint or ''}{CODE_PATH}{config.name}/{urllib.parse.quote(config.version)}"
    return {"Configuration": configuration(config), "Code": {"RepositoryType": "S3", "Location": location},
            **({"Tags": tags} if tags else {}), **({"Concurrency": concurrency} if concurrency else {})}


@serves("GetFunctionConfiguration")
def get_function_configuration(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return configuration(service.get_function_configuration(request["FunctionName"], request.get("Qualifier")))


@serves("DeleteFunction")
def delete_function(service: LambdaService, request: dict[str, Any]) -> Reply:
    service.delete_function(request["FunctionName"], request.get("Qualifier"))
    return 204, {}, b""


@serves("ListFunctions")
def list_functions(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    configs = service.list_functions()
    if request.get("FunctionVersion") == "ALL":
        configs = [version for config in configs for version in service.list_versions_by_function(config.name)]
    return page([configuration(c) for c in configs], request.get("Marker"), request.get("MaxItems"),
                lambda c: c["RevisionId"], "Functions")


@serves("PublishVersion")
def publish_version(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="PublishVersion")[0]
    return configuration(service.publish_version(name, request.get("Description", "")))


@serves("ListVersionsByFunction")
def list_versions_by_function(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="ListVersionsByFunction")[0]
    return page([configuration(c) for c in service.list_versions_by_function(name)], request.get("Marker"),
                request.get("MaxItems"), lambda c: c["Version"], "Versions")


@serves("CreateAlias")
def create_alias(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="CreateAlias")[0]
    return _alias(service.create_alias(name, request["Name"], request["FunctionVersion"],
                                       request.get("Description", "")))


@serves("UpdateAlias")
def update_alias(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="UpdateAlias")[0]
    version = request.get("FunctionVersion") or service.get_alias(name, request["Name"])["FunctionVersion"]
    return _alias(service.update_alias(name, request["Name"], version, request.get("Description", "")))


@serves("GetAlias")
def get_alias(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="GetAlias")[0]
    return _alias(service.get_alias(name, request["Name"]))


@serves("DeleteAlias")
def delete_alias(service: LambdaService, request: dict[str, Any]) -> None:
    service.delete_alias(function_reference(request["FunctionName"], operation="DeleteAlias")[0], request["Name"])


@serves("ListAliases")
def list_aliases(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = function_reference(request["FunctionName"], operation="ListAliases")[0]
    aliases = [_alias(alias) for alias in service.list_aliases(name)
               if request.get("FunctionVersion") in (None, alias["FunctionVersion"])]
    return page(aliases, request.get("Marker"), request.get("MaxItems"), lambda a: a["Name"], "Aliases")


def _alias(alias: dict[str, str]) -> dict[str, Any]:
    return {**alias, "RevisionId": str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(alias, sort_keys=True)))}


@serves("Invoke")
def invoke(service: LambdaService, request: dict[str, Any]) -> Reply:
    client_context = None
    if request.get("ClientContext"):
        client_context = json.loads(base64.b64decode(request["ClientContext"]))
    invocation = service.invoke(request["FunctionName"], request.get("Payload") or b"",
                                invocation_type=request.get("InvocationType", "RequestResponse"),
                                qualifier=request.get("Qualifier"), client_context=client_context,
                                source=request["Caller"].principal if "Caller" in request else "endpoint",
                                caller=request.get("Caller"))
    reply: dict[str, str] = {"x-amzn-RequestId": invocation.request_id}
    if invocation.status_code != 200:
        return invocation.status_code, reply, b""
    reply["X-Amz-Executed-Version"] = invocation.executed_version or "$LATEST"
    if invocation.function_error:
        reply["X-Amz-Function-Error"] = invocation.function_error
    if request.get("LogType") == "Tail":
        reply["X-Amz-Log-Result"] = base64.b64encode(invocation.logs.encode()[-TAIL_BYTES:]).decode()
    payload = invocation.payload
    return 200, reply, payload if isinstance(payload, bytes) else json.dumps(payload).encode()
