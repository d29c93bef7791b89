"""Export a function for AWS: its package, its layers, a requirements file and a SAM template.yaml with its
configuration, alias, role, triggers, the resources it uses in the local AWS and the state machines that call it,
ready for `sam build && sam deploy`."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from .. import runtimes
from ..arns import service_of
from ..errors import LambdaNBError, ProvisionedConcurrencyConfigNotFoundException, ResourceNotFoundException
from .events import events
from .requirements import requirements
from .resources import Stack, logical_id
from .role import policies
from .state_machines import state_machines

if TYPE_CHECKING:
    from ..records import FunctionConfig
    from ..service.lambda_service import LambdaService

__all__ = ["export_function", "requirements", "template"]

_DESTINATION_TYPES = {"sqs": "SQS", "sns": "SNS", "lambda": "Lambda", "events": "EventBridge", "s3": "S3"}
_URL_CORS = ("AllowCredentials", "AllowHeaders", "AllowMethods", "AllowOrigins", "ExposeHeaders", "MaxAge")


CODE_FOLDER = "function"  # the package and requirements.txt, apart from the layers so that its zip holds no layer


def layer_folder(layer_name: str) -> str:
    """Where an exported layer's content goes, beside the function's folder."""
    return f"layers/{layer_name}"


def template(service: LambdaService, name: str) -> dict[str, Any]:
    """The SAM template of a function, as a dict."""
    config = service.get_function(name)
    function = logical_id(config.name)
    stack = Stack({function, *(logical_id(layer.name, "Layer") for layer in config.layers)})
    stack.parameters[function + "FunctionName"] = {
        "Type": "String", "Default": config.name,
        "Description": f"The name of the Lambda function ({config.name} in the notebook)"}
    properties: dict[str, Any] = {
        "FunctionName": {"Ref": function + "FunctionName"}, "CodeUri": f"{CODE_FOLDER}/", "Handler": config.handler,
        "Runtime": config.runtime, "Architectures": ["x86_64"], "MemorySize": config.memory_size,
        "Timeout": config.timeout, "EphemeralStorage": {"Size": config.ephemeral_storage}}
    role_policies = policies(config.role, stack)
    if role_policies:
        properties["Policies"] = role_policies
    if config.description:
        properties["Description"] = config.description
    if config.environment:
        properties["Environment"] = {"Variables": {key: stack.refer_by_name(value)
                                                   for key, value in config.environment.items()}}
    if config.layers:
        properties["Layers"] = [{"Ref": logical_id(layer.name, "Layer")} for layer in config.layers]
    tags = service.list_tags(config.arn)
    if tags:
        properties["Tags"] = tags
    reserved = service.get_function_concurrency(name).get("ReservedConcurrentExecutions")
    if reserved is not None:
        properties["ReservedConcurrentExecutions"] = reserved
    properties.update(_alias(service, name))
    if config.dead_letter_target_arn:
        properties["DeadLetterQueue"] = {"Type": _DESTINATION_TYPES[service_of(config.dead_letter_target_arn)],
                                         "TargetArn": stack.refer(config.dead_letter_target_arn)}
    invoke_config = _event_invoke_config(service, name, stack)
    if invoke_config:
        properties["EventInvokeConfig"] = invoke_config
    url = _function_url(service, name)
    if url:
        properties["FunctionUrlConfig"] = url
    function_events = events(service, name, stack)
    if function_events:
        properties["Events"] = function_events
    state_machines(config.arn, function, stack)
    resources: dict[str, Any] = {function: {"Type": "AWS::Serverless::Function", "Properties": properties}}
    resources.update(_layers(config))
    resources.update(stack.resources)
    document: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
                                "Description": f"{config.name}, exported from a lambdanb notebook"}
    document["Parameters"] = stack.parameters
    document["Resources"] = resources
    return document


def _alias(service: LambdaService, name: str) -> dict[str, Any]:
    """SAM's AutoPublishAlias for the function's alias, with its ProvisionedConcurrencyConfig: each deploy then
    publishes a version of the deployed code and points the alias at it. SAM gives a function one alias: the one
    with provisioned concurrency, else the first by name."""
    aliases = sorted(alias["Name"] for alias in service.list_aliases(name))
    provisioned = {}
    for alias in aliases:
        try:
            config = service.get_provisioned_concurrency_config(name, alias)
        except ProvisionedConcurrencyConfigNotFoundException:
            continue
        provisioned[alias] = config["RequestedProvisionedConcurrentExecutions"]
    if not aliases:
        return {}
    chosen = next(iter(provisioned), aliases[0])
    written: dict[str, Any] = {"AutoPublishAlias": chosen}
    if chosen in provisioned:
        written["ProvisionedConcurrencyConfig"] = {"ProvisionedConcurrentExecutions": provisioned[chosen]}
    return written


def _event_invoke_config(service: LambdaService, name: str, stack: Stack) -> dict[str, Any] | None:
    invoke_config = service.get_function_event_invoke_config(name)
    if invoke_config is None:
        return None
    written: dict[str, Any] = {"MaximumRetryAttempts": invoke_config.maximum_retry_attempts,
                               "MaximumEventAgeInSeconds": invoke_config.maximum_event_age_in_seconds}
    destinations = {key: {"Type": _DESTINATION_TYPES[service_of(arn)], "Destination": stack.refer(arn)}
                    for key, arn in (("OnSuccess", invoke_config.on_success), ("OnFailure", invoke_config.on_failure))
                    if arn}
    if destinations:
        written["DestinationConfig"] = destinations
    return written


def _function_url(service: LambdaService, name: str) -> dict[str, Any] | None:
    try:
        url = service.get_function_url_config(name)
    except ResourceNotFoundException:
        return None
    written: dict[str, Any] = {"AuthType": url["AuthType"], "InvokeMode": url.get("InvokeMode", "BUFFERED")}
    cors = {key: value for key, value in url.get("Cors", {}).items() if key in _URL_CORS and value not in ([], None)}
    if cors:
        written["Cors"] = cors
    return written


def _layers(config: FunctionConfig) -> dict[str, Any]:
    """The function's layers as AWS::Serverless::LayerVersion resources, their content beside the template."""
    resources = {}
    for layer in config.layers:
        properties: dict[str, Any] = {"LayerName": layer.name, "ContentUri": layer_folder(layer.name),
                                      "RetentionPolicy": "Delete"}
        if layer.description:
            properties["Description"] = layer.description
        if layer.compatible_runtimes:
            properties["CompatibleRuntimes"] = list(layer.compatible_runtimes)
        if layer.compatible_architectures:
            properties["CompatibleArchitectures"] = list(layer.compatible_architectures)
        if layer.license_info:
            properties["LicenseInfo"] = layer.license_info
        resources[logical_id(layer.name, "Layer")] = {"Type": "AWS::Serverless::LayerVersion",
                                                      "Properties": properties}
    return resources


def _write(root: Path, files: dict[str, bytes]) -> None:
    for inside, data in files.items():
        written = root / inside
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_bytes(data)


def export_function(service: LambdaService, name: str, directory: str | Path) -> Path:
    """Write template.yaml into `directory`, the function's package and requirements.txt into its function/
    folder, and each layer's content into layers/NAME/; returns the template's path."""
    config = service.get_function(name)
    target = Path(directory)
    try:
        document = template(service, name)
    except (ClientError, BotoCoreError) as error:
        raise LambdaNBError(f"Cannot read what {name} uses from the local AWS: {error}") from None
    try:
        code = target / CODE_FOLDER
        code.mkdir(parents=True, exist_ok=True)
        _write(code, config.package.files if config.package else {})  # the package's own files
        code_file = code / config.handler_file
        code_file.parent.mkdir(parents=True, exist_ok=True)
        code_file.write_text(config.code)
        if config.runtime in runtimes.PROVIDED:
            code_file.chmod(0o755)
        if config.runtime in runtimes.PYTHON:
            (code / "requirements.txt").write_text("".join(f"{line}\n" for line in requirements(config)))
        for layer in config.layers:
            _write(target / layer_folder(layer.name), layer.package.files)
        path = target / "template.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    except OSError as error:
        raise LambdaNBError(f"Cannot write the export into {target}: {error.strerror} "
                            f"({error.filename or target}).") from None
    return path
