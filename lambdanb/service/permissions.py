"""Resource policies: the statements AddPermission writes, and whether they let a service principal invoke a
function for a source (a bucket, topic, rule or API), evaluated as Lambda evaluates them."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from ..arns import function_arn

INVOKE_ACTIONS = ("lambda:InvokeFunction", "lambda:*", "*")


@dataclass(frozen=True)
class ServiceCaller:
    """Who invokes on a service's behalf: the principal (s3.amazonaws.com...), the source's ARN and its account."""

    principal: str
    source_arn: str
    source_account: str


def statement(statement_id: str, action: str, principal: str, resource: str, source_arn: str | None,
              source_account: str | None, function_url_auth_type: str | None) -> dict[str, Any]:
    """One policy statement as GetPolicy shows what AddPermission was given."""
    conditions: dict[str, Any] = {}
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


def _grants(statement: dict[str, Any], caller: ServiceCaller, resource: str) -> bool:
    principal = statement.get("Principal", {})
    if principal != "*" and principal.get("Service") != caller.principal and principal.get("AWS") != "*":
        return False
    if statement.get("Effect") != "Allow" or statement.get("Action") not in INVOKE_ACTIONS:
        return False
    if not fnmatch.fnmatchcase(resource, statement.get("Resource", "")):
        return False
    conditions = statement.get("Condition", {})
    arn_like = conditions.get("ArnLike", {}).get("AWS:SourceArn")
    if arn_like is not None and not fnmatch.fnmatchcase(caller.source_arn, arn_like):
        return False
    account = conditions.get("StringEquals", {}).get("AWS:SourceAccount")
    return account is None or account == caller.source_account
