"""Resource policies: the statements AddPermission writes, and whether they let a service principal invoke a
function for a source (a bucket, topic, rule or API), or everyone call its URL, evaluated as Lambda evaluates them."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from ..arns import function_arn

INVOKE_ACTIONS = ("lambda:InvokeFunction", "lambda:*", "*")
# The conditions a service's invoke is checked against; a statement with any other grants it nothing.
SERVICE_CONDITIONS = {("ArnLike", "AWS:SourceArn"), ("StringEquals", "AWS:SourceAccount")}


@dataclass(frozen=True)
class ServiceCaller:
    """Who invokes on a service's behalf: the principal (s3.amazonaws.com...), the source's ARN and its account."""

    principal: str
    source_arn: str
    source_account: str


def statement(statement_id: str, action: str, principal: str, resource: str, source_arn: str | None,
              source_account: str | None, function_url_auth_type: str | None,
              invoked_via_function_url: bool = False) -> dict[str, Any]:
    """One policy statement as GetPolicy shows what AddPermission was given."""
    conditions: dict[str, Any] = {}
    if invoked_via_function_url:
        conditions["Bool"] = {"lambda:InvokedViaFunctionUrl": "true"}
    if source_arn:
        conditions["ArnLike"] = {"AWS:SourceArn": source_arn}
    if source_account:
        conditions["StringEquals"] = {"AWS:SourceAccount": source_account}
    if function_url_auth_type:
        conditions.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = function_url_auth_type
    return {"Sid": statement_id, "Effect": "Allow",
            "Principal": {"Service": principal} if principal.endswith(".amazonaws.com")
            else {"AWS": principal if principal.startswith("arn:") or principal == "*"
                  else f"arn:aws:iam::{principal}:root"},
            "Action": action, "Resource": resource, **({"Condition": conditions} if conditions else {})}


def allows(policy: list[dict[str, Any]], caller: ServiceCaller, name: str, qualifier: str | None) -> bool:
    """Whether a statement lets the caller invoke the function as it was named (unqualified, or with a version or
    alias: a permission applies to the ARN it was added for)."""
    resource = function_arn(name, qualifier if qualifier not in (None, "$LATEST") else None)
    return any(_grants(s, caller, resource) for s in policy)


def allows_public_url(policy: list[dict[str, Any]], name: str, qualifier: str | None) -> bool:
    """Whether a function URL with AuthType NONE may answer: the policy grants everyone (Principal "*")
    lambda:InvokeFunctionUrl and, as for every URL made since October 2025, lambda:InvokeFunction."""
    resource = function_arn(name, qualifier if qualifier not in (None, "$LATEST") else None)

    def granted(action: str) -> bool:
        return any(s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})
                   and s.get("Action") in (action, "lambda:*", "*")
                   and fnmatch.fnmatchcase(resource, s.get("Resource", ""))
                   and s.get("Condition", {}).get("StringEquals", {}).get("lambda:FunctionUrlAuthType", "NONE")
                   == "NONE" and "ArnLike" not in s.get("Condition", {}) for s in policy)

    return granted("lambda:InvokeFunctionUrl") and granted("lambda:InvokeFunction")


def _grants(statement: dict[str, Any], caller: ServiceCaller, resource: str) -> bool:
    principal = statement.get("Principal", {})
    if principal != "*" and principal.get("Service") != caller.principal and principal.get("AWS") != "*":
        return False
    if statement.get("Effect") != "Allow" or statement.get("Action") not in INVOKE_ACTIONS:
        return False
    if not fnmatch.fnmatchcase(resource, statement.get("Resource", "")):
        return False
    conditions = statement.get("Condition", {})
    tested = {(operator, key) for operator, tests in conditions.items() for key in tests}
    if not tested <= SERVICE_CONDITIONS:  # e.g. lambda:InvokedViaFunctionUrl: a statement for another caller
        return False
    arn_like = conditions.get("ArnLike", {}).get("AWS:SourceArn")
    if arn_like is not None and not fnmatch.fnmatchcase(caller.source_arn, arn_like):
        return False
    account = conditions.get("StringEquals", {}).get("AWS:SourceAccount")
    return account is None or account == caller.source_account
