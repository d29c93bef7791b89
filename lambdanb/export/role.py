"""The function's execution role as SAM Policies: SAM makes the role in the stack (deleted with it, and always
allowed to write the function's logs), with the local role's policies, whose resources name the stack's."""
from __future__ import annotations

from typing import Any

from .. import aws
from ..arns import DEFAULT_ROLE, name_of
from .resources import Stack


def policies(role_arn: str | None, stack: Stack) -> list[Any]:
    """SAM's Policies for a local role: AWS managed policies by ARN; the role's inline policies and the customer
    managed policies attached to it as documents, their resources referring to the stack's. A function
    without a role of its own gets none: SAM's role writes its logs, as lambdanb's default does."""
    if not role_arn or role_arn == DEFAULT_ROLE:
        return []
    iam = aws.client("iam")
    name = name_of(role_arn)
    found: list[Any] = []
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        arn = attached["PolicyArn"]
        if arn.startswith("arn:aws:iam::aws:policy/"):
            found.append(arn)
            continue
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        found.append(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
    found += [iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
              for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]]
    return [_in_stack(policy, stack) if isinstance(policy, dict) else policy for policy in found]


def _in_stack(document: dict[str, Any], stack: Stack) -> dict[str, Any]:
    """A policy document whose statements' resources are the stack's, not the local account's."""
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    written = []
    for statement in statements:
        statement = dict(statement)
        for key in ("Resource", "NotResource"):
            if isinstance(statement.get(key), str):
                statement[key] = stack.refer_in_policy(statement[key])
            elif isinstance(statement.get(key), list):
                statement[key] = [stack.refer_in_policy(value) for value in statement[key]]
        written.append(statement)
    return {"Version": document.get("Version", "2012-10-17"), "Statement": written}
