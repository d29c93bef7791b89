"""The Step Functions state machines of the local AWS that call the function, as AWS::Serverless::StateMachine
resources: their definitions, with the function's ARN and the other local ARNs they name as DefinitionSubstitutions
that refer to the stack's own resources."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import aws
from ..arns import Arn
from .resources import Stack, logical_id
from .role import policies


def state_machines(function_arn: str, function: str, stack: Stack) -> None:
    """Declare in the stack every state machine whose definition names the function (its ARN, or a version's or
    alias's), the function being the template's resource `function`."""
    client = aws.client("stepfunctions")
    for page in client.get_paginator("list_state_machines").paginate():
        for listed in page["stateMachines"]:
            described = client.describe_state_machine(stateMachineArn=listed["stateMachineArn"])
            definition = json.loads(described["definition"])
            if not any(_names(text, function_arn) for text in _strings(definition)):
                continue
            logical = stack.free_id(logical_id(described["name"], "StateMachine"))
            substitutions: dict[str, Any] = {}
            definition = _substituted(definition, function_arn, function, stack,
                                      substitutions)
            properties: dict[str, Any] = {
                "Name": stack.name_parameter(logical, described["name"], "state machine"),
                "Type": described.get("type", "STANDARD"), "Definition": definition,
                "DefinitionSubstitutions": substitutions,
                "Policies": [*_role_policies(described["roleArn"], stack),
                             {"LambdaInvokePolicy": {"FunctionName": {"Ref": function}}}]}
            stack.resources[logical] = {"Type": "AWS::Serverless::StateMachine", "Properties": properties}


def _strings(node: Any) -> Iterator[str]:
    """Every string value in a definition."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _names(text: str, function_arn: str) -> bool:
    """Whether a string is the function's ARN, or a version's or an alias's."""
    return text == function_arn or text.startswith(function_arn + ":")


def _substituted(node: Any, function_arn: str, function: str, stack: Stack, substitutions: dict[str, Any]) -> Any:
    """The definition with each string naming a resource of the local account (an ARN, a queue URL) replaced by
    ${Name}, Name a substitution holding the stack's reference to it (the function's, or what the stack declares for
    others)."""
    if isinstance(node, dict):
        return {key: _substituted(value, function_arn, function, stack, substitutions) for key, value in node.items()}
    if isinstance(node, list):
        return [_substituted(value, function_arn, function, stack, substitutions) for value in node]
    if not isinstance(node, str):
        return node
    if _names(node, function_arn):
        qualifier = node[len(function_arn):]
        reference: Any = {"Fn::GetAtt": [function, "Arn"]} if not qualifier else \
            {"Fn::Sub": f"${{{function}.Arn}}{qualifier}"}
        name = function + "Arn" + logical_id(qualifier)
    else:
        reference = stack.refer(node)
        if reference == node:
            return node
        arn = Arn.parse(node)
        name = logical_id(arn.name, "Arn") if arn else logical_id(node.rsplit("/", 1)[-1], "Url")  # a queue URL
    substitutions[name] = reference
    return f"${{{name}}}"


def _role_policies(role_arn: str, stack: Stack) -> list[Any]:
    """The local state machine role's policies, as SAM's Policies; none when the local AWS has no such role (Step
    Functions there does not check it)."""
    try:
        return policies(role_arn, stack)
    except (ClientError, BotoCoreError):
        return []
