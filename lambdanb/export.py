"""Export a function for AWS: its code, a requirements file and a SAM template.yaml with its configuration,
role policies, event source mappings and async configuration, ready for `sam deploy`."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import yaml

from . import runtimes
from .arns import name_of, service_of
from .errors import LambdaNBError

if TYPE_CHECKING:
    from .records import FunctionConfig
    from .service.lambda_service import LambdaService

# Packages a Lambda Python runtime already has: nothing to list in requirements.txt for them.
_IN_RUNTIME = {"boto3", "botocore", "awslambdaric", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}


def _imports(code: str, own: set[str]) -> list[str]:
    """Third-party top-level imports of a Python handler (standard library, the runtime's own and the package's
    own modules left out)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return sorted(n for n in names if n not in sys.stdlib_module_names and n not in _IN_RUNTIME and n not in own)


def requirements(config: FunctionConfig) -> list[str]:
    """requirements.txt for `sam build`: the function's declared requirements, else the distributions that give
    its imports, pinned to the versions this kernel has (PIL is pillow, yaml is PyYAML); an import no installed
    distribution gives stays as a comment to fill in."""
    if config.requirements:
        return list(config.requirements)
    files = config.package.files if config.package else {}
    own = {PurePosixPath(path).parts[0].removesuffix(".py") for path in files} | \
        {p.stem for p in config.task_root.glob("*.py")}
    givers = importlib.metadata.packages_distributions()
    lines = []
    for name in _imports(config.code, own):
        distributions = givers.get(name)
        if not distributions:
            lines.append(f"# {name}: no installed distribution gives it; name the one to install here")
            continue
        distribution = distributions[0]
        lines.append(f"{distribution}=={importlib.metadata.version(distribution)}")
    return sorted(set(lines))


def _logical_id(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]", name) if part) or "Function"


def _policies(role_arn: str | None) -> list[Any]:
    """The role's policies, in SAM's Policies form: managed policy ARNs, and inline statements as documents."""
    if not role_arn:
        return ["AWSLambdaBasicExecutionRole"]
    from . import aws
    iam = aws.client("iam")
    name = name_of(role_arn)
    policies: list[Any] = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
        policies.append({"Version": document.get("Version", "2012-10-17"), "Statement": document["Statement"]})
    return policies


def _destination(arn: str) -> dict[str, str]:
    return {"Type": "Lambda" if service_of(arn) == "lambda" else "SQS", "Destination": arn}


def _events(service: LambdaService, name: str) -> dict[str, Any]:
    events = {}
    for number, mapping in enumerate(service.list_event_source_mappings(name), 1):
        arn = mapping["EventSourceArn"]
        kind = service_of(arn)
        properties = {"BatchSize": mapping["BatchSize"], "Enabled": mapping["State"] == "Enabled"}
        if mapping["MaximumBatchingWindowInSeconds"]:
            properties["MaximumBatchingWindowInSeconds"] = mapping["MaximumBatchingWindowInSeconds"]
        if mapping["FunctionResponseTypes"]:
            properties["FunctionResponseTypes"] = mapping["FunctionResponseTypes"]
        if kind == "sqs":
            events[f"Queue{number}"] = {"Type": "SQS", "Properties": {"Queue": arn, **properties}}
            continue
        properties.update(Stream=arn, StartingPosition=mapping["StartingPosition"],
                          BisectBatchOnFunctionError=mapping["BisectBatchOnFunctionError"],
                          MaximumRetryAttempts=mapping["MaximumRetryAttempts"])
        if mapping["DestinationConfig"]:
            properties["DestinationConfig"] = {"OnFailure": {
                "Destination": mapping["DestinationConfig"]["OnFailure"]["Destination"],
                "Type": "SQS" if service_of(mapping["DestinationConfig"]["OnFailure"]["Destination"]) == "sqs"
                else "SNS"}}
        events[f"Stream{number}"] = {"Type": "Kinesis" if kind == "kinesis" else "DynamoDB", "Properties": properties}
    return events


def template(service: LambdaService, name: str) -> dict[str, Any]:
    """The SAM template of a function, as a dict."""
    config = service.get_function(name)
    properties: dict[str, Any] = {"FunctionName": config.name, "CodeUri": ".", "Handler": config.handler,
                        "Runtime": config.runtime, "MemorySize": config.memory_size, "Timeout": config.timeout,
                        "Architectures": ["x86_64"], "Policies": _policies(config.role)}
    if config.description:
        properties["Description"] = config.description
    if config.environment:
        properties["Environment"] = {"Variables": dict(config.environment)}
    reserved = service.get_function_concurrency(name).get("ReservedConcurrentExecutions")
    if reserved is not None:
        properties["ReservedConcurrentExecutions"] = reserved
    if config.dead_letter_target_arn:
        properties["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": config.dead_letter_target_arn}
    invoke_config = service.get_function_event_invoke_config(name)
    if invoke_config is not None:
        async_config: dict[str, Any] = {"MaximumRetryAttempts": invoke_config.maximum_retry_attempts,
                              "MaximumEventAgeInSeconds": invoke_config.maximum_event_age_in_seconds}
        destinations = {key: _destination(arn) for key, arn in (("OnSuccess", invoke_config.on_success),
                                                                 ("OnFailure", invoke_config.on_failure)) if arn}
        if destinations:
            async_config["DestinationConfig"] = destinations
        properties["EventInvokeConfig"] = async_config
    events = _events(service, name)
    if events:
        properties["Events"] = events
    return {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
            "Description": f"{config.name}, exported from a lambdanb notebook",
            "Resources": {_logical_id(config.name): {"Type": "AWS::Serverless::Function", "Properties": properties}}}


def export_function(service: LambdaService, name: str, directory: str | Path) -> Path:
    """Write the function's code, requirements.txt and template.yaml into `directory`; returns the template."""
    config = service.get_function(name)
    target = Path(directory)
    document = template(service, name)
    try:
        target.mkdir(parents=True, exist_ok=True)
        for inside, data in (config.package.files if config.package else {}).items():  # the package's own files
            written = target / inside
            written.parent.mkdir(parents=True, exist_ok=True)
            written.write_bytes(data)
        code_file = target / config.handler_file
        code_file.parent.mkdir(parents=True, exist_ok=True)
        code_file.write_text(config.code)
        if config.runtime in runtimes.PROVIDED:
            code_file.chmod(0o755)
        if config.runtime in runtimes.PYTHON:
            (target / "requirements.txt").write_text("".join(f"{line}\n" for line in requirements(config)))
        path = target / "template.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    except OSError as error:
        raise LambdaNBError(f"Cannot write the export into {target}: {error.strerror} "
                            f"({error.filename or target}).") from None
    return path
