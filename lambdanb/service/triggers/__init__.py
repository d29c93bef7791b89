"""Triggers: other services pushing events to a function (S3 bucket notifications, API Gateway APIs served on
loopback, function URLs, schedules), made with the same configuration a script makes on AWS; each invoke goes through
the Frontend."""
from __future__ import annotations

import uuid
from typing import Any

from ... import aws
from ...arns import ACCOUNT_ID, function_arn
from ...errors import LambdaNBError
from ..functions import FunctionRegistry
from ..permissions import ServiceCaller, allows, statement
from .s3 import S3Trigger


class Triggers:
    """Adds triggers to the services that send them, and lists a function's triggers from the local AWS (where
    they live, as on AWS), its URL and its event source mappings."""

    def __init__(self, functions: FunctionRegistry) -> None:
        self.functions = functions

    def add_s3_trigger(self, function_name: str, bucket: str, events: list[str], prefix: str,
                       suffix: str) -> dict[str, Any]:
        self.functions.get(function_name, "PutBucketNotificationConfiguration")
        trigger = S3Trigger(function_name, bucket, list(events), prefix, suffix)
        added = self.allow_service(function_name, "s3.amazonaws.com", f"arn:aws:s3:::{bucket}")
        try:
            trigger.configure_bucket()
        except Exception as error:
            if added is not None:  # the permission was for this trigger alone
                self.functions.get(function_name).policy.remove(added)
            raise LambdaNBError(f"The bucket {bucket} cannot notify {function_name}: {error}") from None
        return trigger.describe()

    def list_triggers(self, function_name: str, mappings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every trigger of the function, as the console's Function overview lists them: those the local AWS keeps
        (S3, SNS, EventBridge rules and schedules, API Gateway routes), its URL and its event source mappings;
        each {"Type", "FunctionArn", "Source", "Detail"}."""
        function = self.functions.get(function_name)
        found = [t for t in aws.local.lambda_triggers() if names_function(t["FunctionArn"], function_name)] \
            if aws.local.running else []
        if function.function_url is not None:
            url = function.function_url
            found.append({"Type": "Function URL", "FunctionArn": function_arn(function_name, url.qualifier),
                          "Source": url.url, "Detail": f"AuthType {url.auth_type}"})
        found += [{"Type": "Event source mapping", "FunctionArn": m["FunctionArn"], "Source": m["EventSourceArn"],
                   "Detail": f"{m['State']}, batch {m['BatchSize']}"} for m in mappings]
        return found

    def allow_service(self, function_name: str, principal: str, source_arn: str) -> dict[str, Any] | None:
        """What the console adds with a trigger: a statement letting the service invoke the function for this
        source, unless the policy already allows it; the statement added, if any."""
        function = self.functions.get(function_name, "AddPermission")
        if allows(function.policy, ServiceCaller(principal, source_arn, ACCOUNT_ID), function_name, None):
            return None
        added = statement(f"lambda-{uuid.uuid4()}", "lambda:InvokeFunction", principal,
                          function_arn(function_name), source_arn, ACCOUNT_ID, None)
        function.policy.append(added)
        return added


def names_function(arn: str, function_name: str) -> bool:
    """Whether an ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) or a name is the function's."""
    parts = arn.split(":")
    return (parts[6] if arn.startswith("arn:") and len(parts) >= 7 else arn) == function_name
