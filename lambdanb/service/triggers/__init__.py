"""Triggers: other services pushing events to a function (today S3 bucket notifications, made with the same
configuration a script makes on AWS); the local AWS delivers them as async invokes through the Frontend."""
from __future__ import annotations

from typing import Any

from ...errors import LambdaNBError
from ..functions import FunctionRegistry
from .s3 import S3Trigger


class Triggers:
    """Adds triggers to the services that send them; each function's record lists its own."""

    def __init__(self, functions: FunctionRegistry) -> None:
        self.functions = functions

    def add_s3_trigger(self, function_name: str, bucket: str, events: list[str], prefix: str,
                       suffix: str) -> dict[str, Any]:
        function = self.functions.get(function_name, "PutBucketNotificationConfiguration")
        trigger = S3Trigger(function_name, bucket, list(events), prefix, suffix)
        try:
            trigger.configure_bucket()
        except Exception as error:
            raise LambdaNBError(f"The bucket {bucket} cannot notify {function_name}: {error}") from None
        function.triggers.append(trigger)
        return trigger.describe()
