"""Triggers: other services pushing events to a function (S3 bucket notifications, API Gateway APIs served on
loopback, function URLs, schedules), made with the same configuration a script makes on AWS; each invoke goes through
the Frontend."""
from __future__ import annotations

import uuid
from typing import Any

from ...arns import ACCOUNT_ID, function_arn
from ...errors import LambdaNBError
from ..functions import FunctionRegistry
from ..permissions import ServiceCaller, allows, statement
from .s3 import S3Trigger


class Triggers:
    """Adds triggers to the services that send them; each function's record lists its own."""

    def __init__(self, functions: FunctionRegistry) -> None:
        self.functions = functions

    def add_s3_trigger(self, function_name: str, bucket: str, events: list[str], prefix: str,
                       suffix: str) -> dict[str, Any]:
        function = self.functions.get(function_name, "PutBucketNotificationConfiguration")
        trigger = S3Trigger(function_name, bucket, list(events), prefix, suffix)
        self.allow_service(function_name, "s3.amazonaws.com", f"arn:aws:s3:::{bucket}")
        try:
            trigger.configure_bucket()
        except Exception as error:
            raise LambdaNBError(f"The bucket {bucket} cannot notify {function_name}: {error}") from None
        function.triggers.append(trigger)
        return trigger.describe()

    def allow_service(self, function_name: str, principal: str, source_arn: str) -> None:
        """What the console adds with a trigger: a statement letting the service invoke the function for this
        source, unless the policy already allows it."""
        function = self.functions.get(function_name, "AddPermission")
        if not allows(function.policy, ServiceCaller(principal, source_arn, ACCOUNT_ID), function_name, None):
            function.policy.append(statement(f"lambda-{uuid.uuid4()}", "lambda:InvokeFunction", principal,
                                             function_arn(function_name), source_arn, ACCOUNT_ID, None))
